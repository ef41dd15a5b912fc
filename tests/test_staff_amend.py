"""Send back for changes: the applicant amends through the tracking link, the old
answers stay in the history, staff see both."""

import html
import io
import re
from datetime import date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from ecitiz_kit.i18n import today

from .helpers import (
    ALLOWED,
    IBAN,
    PDF,
    STAFF,
    aid_answers,
    csrf_for,
    hidden_inputs,
    post_form,
    status_url_in,
    ticket_for,
    uploaded_files,
    with_file,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def tracked(client, store):
    """A request with one file, and its tracking path."""
    response = post_form(client, with_file(aid_answers()))
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    reference = re.search(r"\bAID-[2-9A-Z]{4}-[2-9A-Z]{4}\b", html).group(0)
    return store.submission_by_reference(reference)["id"], status_url_in(html)


def _move(staff_client, sid, to_status, expected, message=""):
    response = staff_client.post(
        f"{STAFF}/requests/{sid}/status",
        data={
            "csrf_token": csrf_for(staff_client),
            "to_status": to_status,
            "expected": expected,
            "public_message": message,
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[-800:]


def _send_back(staff_client, sid, message="Le justificatif est illisible."):
    _move(staff_client, sid, "in_review", "submitted")
    _move(staff_client, sid, "submitted", "in_review", message)


def _amend(client, status_path, data, ticket=None, **kw):
    if ticket is None:
        page = client.get(status_path + "/amend")
        assert page.status_code == 200, page.status_code
        ticket = hidden_inputs(page.get_data(as_text=True))["ticket"]
    return client.post(
        status_path + "/amend",
        data={"ticket": ticket, **data},
        content_type="multipart/form-data",
        **kw,
    )


def test_send_back_amend_and_review_again_end_to_end(
    app, staff_client, client, store, tracked
):
    sid, status_path = tracked
    _send_back(staff_client, sid)
    page = client.get(status_path).get_data(as_text=True)
    assert "Le justificatif est illisible." in page
    assert "/amend" in page and "Modifier ma demande" in page

    form = client.get(status_path + "/amend")
    assert form.status_code == 200
    assert "Set-Cookie" not in form.headers
    html = form.get_data(as_text=True)
    inputs = hidden_inputs(html)
    assert inputs["legal_name"] == "Boulangerie Durand"  # prefilled
    assert inputs["email"] == "camille@example.org"
    assert inputs.get("iban", "") == ""  # masked answers are typed again
    assert IBAN not in html
    assert "Déjà envoyé\u00a0: justificatif.pdf" in html
    file_input = re.search(r'<input id="f-documents"[^>]*>', html).group(0)
    assert " required" not in file_input

    answers = aid_answers(legal_name="Boulangerie Durand et Fils")
    response = _amend(client, status_path, answers)
    assert response.status_code == 303
    assert "Set-Cookie" not in response.headers
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Vos modifications ont été envoyées" in done
    assert "Vous avez modifié votre demande" in done

    submission = store.submission(sid)
    assert submission["status"] == "submitted"
    assert submission["answers"]["legal_name"] == "Boulangerie Durand et Fils"
    assert submission["answers"]["documents"] == ["justificatif.pdf"]
    [version] = store.versions(sid)
    old = store.version(sid, version["number"])
    assert old["answers"]["legal_name"] == "Boulangerie Durand"
    assert [f["filename"] for f in old["files"]] == ["justificatif.pdf"]
    [attachment] = store.attachments(sid)  # kept, not copied
    assert attachment["replaced_in"] is None
    assert store.events(sid)[-1]["kind"] == "amended"

    detail = staff_client.get(f"{STAFF}/requests/{sid}").get_data(as_text=True)
    assert "Boulangerie Durand et Fils" in detail
    assert "a modifié cette demande une fois" in detail
    assert "Modifiée par le demandeur" in detail
    old_page = staff_client.get(f"{STAFF}/requests/{sid}/versions/1")
    assert old_page.status_code == 200
    assert "Boulangerie Durand<" in old_page.get_data(as_text=True)

    # Staff take it up again: the applicant can no longer change it.
    _move(staff_client, sid, "in_review", "submitted")
    assert client.get(status_path + "/amend").status_code == 303
    assert "Modifier ma demande" not in client.get(status_path).get_data(as_text=True)
    before = store.table_counts()
    late = _amend(client, status_path, answers, ticket=ticket_for(client))
    assert late.status_code == 409
    assert "ne peut plus être modifiée" in late.get_data(as_text=True)
    assert store.table_counts() == before


def test_attaching_a_new_file_replaces_the_old_one_which_is_kept(
    app, staff_client, client, store, tracked
):
    sid, status_path = tracked
    _send_back(staff_client, sid)
    data = {**aid_answers(), "documents": (io.BytesIO(PNG), "scan.png")}
    assert _amend(client, status_path, data).status_code == 303
    old, new = store.attachments(sid)
    assert (old["filename"], old["replaced_in"]) == ("justificatif.pdf", 1)
    assert (new["filename"], new["replaced_in"]) == ("scan.png", None)
    assert len(uploaded_files(app)) == 2
    detail = staff_client.get(f"{STAFF}/requests/{sid}").get_data(as_text=True)
    assert f"/files/{new['id']}" in detail and f"/files/{old['id']}" not in detail
    version = staff_client.get(f"{STAFF}/requests/{sid}/versions/1")
    assert f"/files/{old['id']}" in version.get_data(as_text=True)
    download = staff_client.get(f"{STAFF}/requests/{sid}/files/{old['id']}")
    assert download.data == PDF


def test_replayed_ticket_changes_nothing(staff_client, client, store, tracked):
    sid, status_path = tracked
    _send_back(staff_client, sid)
    ticket = ticket_for(client)
    first = _amend(client, status_path, aid_answers(town="Lyon"), ticket=ticket)
    assert first.status_code == 303
    before = store.table_counts()
    again = _amend(client, status_path, aid_answers(town="Nice"), ticket=ticket)
    assert again.status_code == 303  # back to the tracking page
    assert store.table_counts() == before
    assert store.submission(sid)["answers"]["town"] == "Lyon"


def test_ticket_spent_on_an_amendment_cannot_make_a_new_request(
    staff_client, client, store, tracked
):
    sid, status_path = tracked
    _send_back(staff_client, sid)
    ticket = ticket_for(client)
    assert _amend(client, status_path, aid_answers(), ticket=ticket).status_code == 303
    before = store.table_counts()
    replay = post_form(client, with_file(aid_answers()), ticket=ticket)
    assert replay.status_code == 303  # to the receipt of the request it amended
    assert store.table_counts() == before


def test_ticket_spent_on_a_new_request_cannot_amend(
    staff_client, client, store, tracked
):
    sid, status_path = tracked
    _send_back(staff_client, sid)
    ticket = ticket_for(client)
    assert post_form(client, with_file(aid_answers()), ticket=ticket).status_code == 303
    before = store.table_counts()
    response = _amend(client, status_path, aid_answers(town="Nice"), ticket=ticket)
    assert response.status_code == 303
    assert store.table_counts() == before


def test_request_not_sent_back_cannot_be_amended(client, store, tracked):
    sid, status_path = tracked
    assert "Modifier ma demande" not in client.get(status_path).get_data(as_text=True)
    assert client.get(status_path + "/amend").status_code == 303
    before = store.table_counts()
    response = _amend(client, status_path, aid_answers(), ticket=ticket_for(client))
    assert response.status_code == 409
    assert store.table_counts() == before


def test_bad_values_are_refused_with_values_kept_and_no_file_left(
    app, staff_client, client, store, tracked
):
    sid, status_path = tracked
    _send_back(staff_client, sid)
    before, files_before = store.table_counts(), uploaded_files(app)
    data = with_file(aid_answers(siret="123", legal_name="Nouveau nom"))
    response = _amend(client, status_path, data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "SIRET" in html and 'value="Nouveau nom"' in html
    assert store.table_counts() == before
    assert uploaded_files(app) == files_before
    assert store.submission(sid)["answers"]["legal_name"] == "Boulangerie Durand"


@pytest.mark.parametrize("ticket", ["", "forged"])
def test_forged_ticket_is_refused(staff_client, client, store, tracked, ticket):
    sid, status_path = tracked
    _send_back(staff_client, sid)
    before = store.table_counts()
    response = _amend(client, status_path, aid_answers(town="Nice"), ticket=ticket)
    assert response.status_code == 400
    assert store.table_counts() == before


def test_cross_site_amend_is_refused(staff_client, client, store, tracked):
    sid, status_path = tracked
    _send_back(staff_client, sid)
    before = store.table_counts()
    response = _amend(
        client, status_path, aid_answers(), headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert store.table_counts() == before


def test_unknown_tracking_token_cannot_amend(client, store):
    before = store.table_counts()
    assert client.get("/ecitiz/s/forged/amend").status_code == 404
    response = client.post("/ecitiz/s/forged/amend", data={"ticket": "x"})
    assert response.status_code == 404
    assert store.table_counts() == before


def test_unknown_version_is_404(staff_client, tracked):
    sid, _path = tracked
    assert staff_client.get(f"{STAFF}/requests/{sid}/versions/1").status_code == 404


def test_expired_ticket_keeps_the_answers_and_changes_nothing(
    staff_client, client, store, tracked, monkeypatch
):
    import time

    sid, status_path = tracked
    _send_back(staff_client, sid)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 5 * 3600)
    ticket = ticket_for(client)
    monkeypatch.setattr(time, "time", real)
    before = store.table_counts()
    response = _amend(client, status_path, aid_answers(town="Nice"), ticket=ticket)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "resté ouvert longtemps" in html
    assert 'value="Nice"' in html
    assert store.table_counts() == before


def test_amending_inside_an_embedded_frame_keeps_the_embedding(
    staff_client, client, store, tracked
):
    # Inside a host page the frame must keep resizing and its theme: the links
    # and the form of the amendment carry the embedding parameters along.
    sid, status_path = tracked
    _send_back(staff_client, sid)
    embedded = f"origin={ALLOWED}&embed=ecitiz-1"
    status = client.get(f"{status_path}?{embedded}").get_data(as_text=True)
    link = re.search(r'href="([^"]*/amend[^"]*)"', status).group(1)
    assert embedded in html.unescape(link)
    page = client.get(html.unescape(link)).get_data(as_text=True)
    assert f'data-ecitiz-origin="{ALLOWED}"' in page
    action = html.unescape(re.search(r'<form[^>]*action="([^"]+)"', page).group(1))
    assert embedded in action
    answers = {"ticket": hidden_inputs(page)["ticket"], **aid_answers(town="Lyon")}
    response = client.post(action, data=answers, content_type="multipart/form-data")
    assert response.status_code == 303
    assert embedded in response.headers["Location"]


def test_changes_sent_back_start_the_decision_period_again(
    app, staff_client, client, store, tracked
):
    sid, status_path = tracked
    first_due = store.submission(sid)["due_on"]
    assert date.fromisoformat(first_due) == today(app.config["ECITIZ_TIMEZONE"]) + (
        timedelta(days=30)
    )
    _send_back(staff_client, sid)
    # The applicant answers twelve days later: thirty days from then.
    later = store.submission(sid)["created_at"]
    moment = datetime.fromisoformat(later.replace("Z", "+00:00")) + timedelta(days=12)
    with mock.patch("ecitiz_kit.domain.amend.utcnow", return_value=moment):
        response = _amend(client, status_path, aid_answers(town="Lyon"))
    assert response.status_code == 303
    local_day = moment.astimezone(ZoneInfo(app.config["ECITIZ_TIMEZONE"])).date()
    assert store.submission(sid)["due_on"] == str(local_day + timedelta(days=30))
    assert store.submission(sid)["due_on"] > first_due
