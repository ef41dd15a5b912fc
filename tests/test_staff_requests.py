"""A request as staff handle it: answers, files, PDFs, status changes, refusals."""

import re
from urllib.parse import urlsplit

import pytest

from ecitiz_kit import lifecycle
from ecitiz_kit.state import state

from .helpers import (
    PDF,
    STAFF,
    aid_answers,
    attestation_answers,
    csrf_for,
    pdf_text,
    post_form,
    stored_requests,
    submit_request,
    with_file,
)


@pytest.fixture
def request_id(app, client, store):
    reference = submit_request(client)
    return store.submission_by_reference(reference)["id"]


def _detail(client, submission_id):
    response = client.get(f"{STAFF}/requests/{submission_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _move(client, submission_id, to_status, expected=None, message="", note="", **kw):
    token = csrf_for(client)
    data = {
        "csrf_token": token,
        "to_status": to_status,
        "public_message": message,
        "private_note": note,
    }
    if expected is not False:
        data["expected"] = expected or state().store.submission(submission_id)["status"]
    data.update(kw)
    return client.post(f"{STAFF}/requests/{submission_id}/status", data=data)


def test_list_shows_the_organisation_requests_newest_first(staff_client, client):
    first = submit_request(client)
    second = submit_request(client)
    html = staff_client.get(f"{STAFF}/").get_data(as_text=True)
    assert html.index(second) < html.index(first)
    assert "Reçue, en attente d’examen" in html


def test_detail_shows_answers_by_section_with_labels(staff_client, request_id):
    html = _detail(staff_client, request_id)
    assert "<h3>Votre entreprise</h3>" in html or "Votre entreprise" in html
    assert "Boulangerie Durand" in html
    assert "732 829 320 00074" in html  # displayed as people read it
    # Staff pay the aid: they see the whole IBAN, grouped as it is printed.
    assert "FR14 2004 1010 0505 0001 3M02 606" in html and "•" not in html
    assert "justificatif.pdf" in html
    # Only what the life cycle allows from "submitted".
    assert "Commencer l’instruction" in html and "Classer sans suite" in html
    assert "Accepter" not in html and "Renvoyer pour modification" not in html


@pytest.mark.parametrize(
    "status,allowed",
    [(s, lifecycle.TRANSITIONS[s]) for s in lifecycle.STATUSES],
)
def test_detail_offers_exactly_the_allowed_transitions(
    staff_client, store, request_id, status, allowed
):
    with store._write() as conn:
        conn.execute(
            "UPDATE submissions SET status = ? WHERE id = ?", (status, request_id)
        )
    html = _detail(staff_client, request_id)
    offered = set(re.findall(r'name="to_status" value="(\w+)"', html))
    assert offered == set(allowed)


def test_start_review_then_accept_with_a_message(app, staff_client, client, store):
    reference = submit_request(client, email="applicant@example.org")
    submission = store.submission_by_reference(reference)
    sid = submission["id"]
    response = _move(staff_client, sid, "in_review", note="looks complete")
    assert response.status_code == 303
    assert store.submission(sid)["status"] == "in_review"
    response = _move(staff_client, sid, "accepted", message="Aide accordée : 5000 €")
    assert response.status_code == 303
    html = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "La demande est maintenant «\u00a0Acceptée\u00a0»" in html
    events = store.events(sid)
    assert [e["to_status"] for e in events] == ["submitted", "in_review", "accepted"]
    assert events[1]["private_note"] == "looks complete"
    assert events[1]["actor"] == "agent@acme.example"
    assert events[2]["public_message"] == "Aide accordée : 5000 €"
    assert "looks complete" in html  # staff see the private note


def tracking_page(client, store, sid):
    from flask import current_app

    submission = store.submission(sid)
    token = (
        state()
        .tokens(current_app.config)
        .status_link(submission["public_id"], submission["link_version"])
    )
    return client.get(f"/ecitiz/s/{token}").get_data(as_text=True)


def test_the_applicant_sees_the_message_but_not_the_note(
    staff_client, client, store, request_id
):
    _move(staff_client, request_id, "in_review", message="Nous examinons", note="x7q")
    page = tracking_page(client, store, request_id)
    assert "Nous examinons" in page and "En cours d’examen" in page
    assert "x7q" not in page


def test_forbidden_transition_is_refused_and_changes_nothing(
    staff_client, store, request_id
):
    before = store.table_counts()
    response = _move(staff_client, request_id, "accepted", message="too early")
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "ne peut pas passer à «\u00a0Acceptée\u00a0»" in text
    assert "Rien n’a été modifié" in text
    assert store.submission(request_id)["status"] == "submitted"
    assert store.table_counts() == before


def test_stale_status_is_refused_and_changes_nothing(staff_client, store, request_id):
    token = csrf_for(staff_client, f"{STAFF}/requests/{request_id}")
    # Someone else starts the review while this page is open.
    assert _move(staff_client, request_id, "in_review").status_code == 303
    before = store.table_counts()
    response = staff_client.post(
        f"{STAFF}/requests/{request_id}/status",
        data={"csrf_token": token, "to_status": "closed", "expected": "submitted"},
    )
    assert response.status_code == 409
    assert "Quelqu’un a modifié cette demande" in response.get_data(as_text=True)
    assert store.submission(request_id)["status"] == "in_review"
    assert store.table_counts() == before


def test_stale_status_caught_by_the_store_changes_nothing(
    staff_client, store, request_id, monkeypatch
):
    """The store's own check holds when two staff click at the same moment."""
    from ecitiz_kit.staff import request_page as staff_requests

    real = staff_requests.change_status

    def racing(store_, *args, **kwargs):
        store_.change_status(
            request_id, expected="submitted", to_status="closed", actor="other"
        )
        return real(store_, *args, **kwargs)

    monkeypatch.setattr(staff_requests, "change_status", racing)
    response = _move(staff_client, request_id, "in_review", expected="submitted")
    assert response.status_code == 409
    assert store.submission(request_id)["status"] == "closed"
    assert [e["actor"] for e in store.events(request_id)] == ["applicant", "other"]


@pytest.mark.parametrize("to_status", ["", "deleted", "SUBMITTED"])
def test_unknown_status_is_refused(staff_client, store, request_id, to_status):
    before = store.table_counts()
    response = _move(staff_client, request_id, to_status)
    assert response.status_code == 404
    assert store.table_counts() == before


def test_send_back_needs_a_message_for_the_applicant(staff_client, store, request_id):
    _move(staff_client, request_id, "in_review")
    before = store.table_counts()
    response = _move(staff_client, request_id, "submitted", message="   ")
    assert response.status_code == 422
    assert "Dites au demandeur ce qu’il doit modifier" in response.get_data(
        as_text=True
    )
    assert store.submission(request_id)["status"] == "in_review"
    assert store.table_counts() == before


def test_too_long_message_is_refused_with_the_field_named(
    staff_client, store, request_id
):
    before = store.table_counts()
    response = _move(staff_client, request_id, "in_review", message="x" * 2001)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Écrivez au plus 2000 caractères." in html
    assert 'aria-invalid="true"' in html
    assert store.table_counts() == before


@pytest.mark.parametrize("field", ["message", "note"])
def test_a_control_character_in_a_message_is_refused(
    staff_client, store, request_id, field
):
    before = store.table_counts()
    response = _move(staff_client, request_id, "in_review", **{field: "Vu\x00"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Supprimez les caractères invisibles (caractères de contrôle)" in html
    assert store.submission(request_id)["status"] == "submitted"
    assert store.table_counts() == before


def test_transition_without_csrf_changes_nothing(staff_client, store, request_id):
    before = store.table_counts()
    response = staff_client.post(
        f"{STAFF}/requests/{request_id}/status",
        data={"to_status": "in_review", "expected": "submitted"},
    )
    assert response.status_code == 400
    assert store.submission(request_id)["status"] == "submitted"
    assert store.table_counts() == before


def test_unknown_request_is_404(staff_client, store):
    before = store.table_counts()
    assert staff_client.get(f"{STAFF}/requests/999").status_code == 404
    response = _move(staff_client, 999, "in_review", expected="submitted")
    assert response.status_code == 404
    assert store.table_counts() == before


@pytest.mark.parametrize(
    "path",
    [
        "/requests/18446744073709551616",
        "/requests/18446744073709551616/receipt.pdf",
        "/requests/18446744073709551616/attestation.pdf",
        "/requests/1/files/18446744073709551616",
        "/requests/1/versions/18446744073709551616",
    ],
)
def test_ids_too_large_to_exist_are_404(staff_client, path):
    assert staff_client.get(STAFF + path).status_code == 404


# -- files and documents -----------------------------------------------------------


def test_attachment_downloads_are_never_rendered(staff_client, store, request_id):
    [attachment] = store.attachments(request_id)
    response = staff_client.get(
        f"{STAFF}/requests/{request_id}/files/{attachment['id']}"
    )
    assert response.status_code == 200
    assert response.data == PDF
    headers = response.headers
    assert headers["Content-Disposition"].startswith("attachment;")
    assert "justificatif.pdf" in headers["Content-Disposition"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"].split(";")[0] == "sandbox"
    assert headers["Cache-Control"] == "no-store"


def test_attachment_of_another_request_is_404(staff_client, client, store, request_id):
    other = store.submission_by_reference(submit_request(client))["id"]
    [attachment] = store.attachments(request_id)
    url = f"{STAFF}/requests/{other}/files/{attachment['id']}"
    assert staff_client.get(url).status_code == 404


def test_receipt_pdf_downloads(staff_client, store, request_id):
    response = staff_client.get(f"{STAFF}/requests/{request_id}/receipt.pdf")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    reference = store.submission(request_id)["reference"]
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{reference}.pdf"'
    )
    # The staff's copy never holds the applicant's private tracking link, which
    # would let staff amend the request in the applicant's name.
    text = pdf_text(response.data)
    assert reference in text
    assert "/s/" not in text and "Suivre votre demande" not in text


def test_applicants_receipt_pdf_keeps_its_tracking_link(client):
    response = post_form(client, with_file(aid_answers()))
    receipt_path = urlsplit(response.headers["Location"]).path
    pdf = client.get(f"{receipt_path}/receipt.pdf")
    assert pdf.status_code == 200
    assert "/ecitiz/s/" in pdf_text(pdf.data).replace("\n", "")


def test_accepting_an_attestation_issues_the_pdf_staff_can_download(
    staff_client, client, store
):
    assert post_form(client, attestation_answers(), "attestation").status_code == 303
    [row] = stored_requests(store, form_id="attestation")
    sid = row["id"]
    url = f"{STAFF}/requests/{sid}/attestation.pdf"
    assert staff_client.get(url).status_code == 404  # nothing issued yet
    _move(staff_client, sid, "in_review")
    assert _move(staff_client, sid, "accepted", message="OK").status_code == 303
    response = staff_client.get(url)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert "Attestation (PDF)" in _detail(staff_client, sid)


@pytest.mark.parametrize("from_status", lifecycle.STATUSES)
@pytest.mark.parametrize("to_status", lifecycle.STATUSES)
def test_every_move_is_allowed_or_refused_as_the_life_cycle_says(
    staff_client, store, request_id, from_status, to_status
):
    with store._write() as conn:
        conn.execute(
            "UPDATE submissions SET status = ? WHERE id = ?", (from_status, request_id)
        )
    before = store.table_counts()
    response = _move(staff_client, request_id, to_status, message="Un message.")
    if lifecycle.can_move(from_status, to_status):
        assert response.status_code == 303
        assert store.submission(request_id)["status"] == to_status
        event = store.events(request_id)[-1]
        assert (event["from_status"], event["to_status"]) == (from_status, to_status)
    else:
        assert response.status_code == 409
        assert store.submission(request_id)["status"] == from_status
        assert store.table_counts() == before


def test_reopening_an_accepted_attestation_revokes_it(staff_client, client, store):
    assert post_form(client, attestation_answers(), "attestation").status_code == 303
    [row] = stored_requests(store, form_id="attestation")
    sid = row["id"]
    _move(staff_client, sid, "in_review")
    _move(staff_client, sid, "accepted", message="OK")
    assert _move(staff_client, sid, "in_review", message="Erreur").status_code == 303
    [document] = store.documents(sid)
    assert document["revoked_at"] is not None
    response = staff_client.get(f"{STAFF}/requests/{sid}/attestation.pdf")
    assert response.status_code == 404
