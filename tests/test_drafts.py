"""Save and come back: drafts by link, without an account or a cookie, and files
kept as soon as they pass their checks."""

from __future__ import annotations

import io
import itertools
import re
import time
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner

from ecitiz_kit.domain import drafts
from ecitiz_kit.state import state
from ecitiz_kit.store import utcnow

from .helpers import (
    IBAN,
    PDF,
    REFERENCE,
    aid_answers,
    form_url,
    hidden_inputs,
    post_form,
    press,
    shown_page,
    stored_requests,
    ticket_for,
    uploaded_files,
    walk_to,
    with_file,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
DRAFT_LINK = re.compile(r'id="draft-link">http://localhost(/ecitiz/d/[^<]+)<')


def save_later(client, data: dict, form_page: str | None = None, **kw):
    """Press "Continue later" on a fresh form (or on the page ``form_page``)."""
    inputs = hidden_inputs(form_page or client.get(form_url()).text)
    payload = {"ticket": inputs["ticket"], **data}
    if "draft" in inputs:
        payload["draft"] = inputs["draft"]
    return client.post(
        form_url() + "/later",
        data=payload,
        content_type="multipart/form-data",
        **kw,
    )


def draft_path(response) -> str:
    return DRAFT_LINK.search(response.text).group(1)


def draft_mails(store) -> list[dict]:
    return [m for m in store.outbox_messages() if m["kind"] == "draft"]


def kept_names(html: str) -> list[str]:
    return re.findall(r'<li><span>([^<]+)</span> <input[^>]*name="remove:', html)


def test_continue_later_saves_incomplete_answers_without_a_cookie(client, store):
    answers = aid_answers(siret="not a siret", declaration=None, explanation="")
    response = save_later(client, with_file(answers))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    path = draft_path(response)
    assert "Camille" not in path and "camille" not in path  # ids only in the token
    assert store.table_counts()["submissions"] == 0
    assert stored_requests(store) == []  # staff lists see no draft
    assert store.table_counts()["drafts"] == 1


def test_the_link_is_e_mailed_without_the_answers(client, store, monkeypatch):
    # Each signature a second later than the one before: the page must show
    # the very link the e-mail carries, not one signed again.
    seconds = itertools.count(int(time.time()))
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _: next(seconds))
    response = save_later(client, with_file(aid_answers()))
    [mail] = draft_mails(store)
    assert mail["recipient"] == "camille@example.org"
    assert draft_path(response) in mail["body_text"]
    for secret in (IBAN, IBAN[-4:], "732 829", "Boulangerie", "Durand"):
        assert secret not in mail["body_text"] and secret not in mail["body_html"]
    assert "camille@example.org" in response.text


def test_no_address_no_e_mail_but_the_link_on_screen(client, store):
    response = save_later(client, aid_answers(email=None))
    assert response.status_code == 200
    assert draft_path(response)
    assert draft_mails(store) == []


def test_another_browser_resumes_with_every_answer_and_file(app, client, store):
    saved = save_later(client, with_file(aid_answers(siret="732 829 320 00075")))
    fresh = app.test_client()  # nothing shared with the first browser
    page = fresh.get(draft_path(saved))
    assert page.status_code == 200
    html = page.text
    # Saved without a page (all in one post): it opens on the first page, the
    # answers of the others travelling with it.
    assert shown_page(html) == "applicant"
    assert 'value="732 829 320 00075"' in html
    assert 'value="Durand-Lefèvre"' in html
    assert f'value="{IBAN}"' in html  # a draft keeps masked answers to resume
    assert 'value="Fermeture administrative pendant six semaines."' in html
    assert 'name="declaration" value="y"' in html
    assert hidden_inputs(html)["draft"]
    documents = walk_to(fresh, html, "documents")
    assert kept_names(documents) == ["justificatif.pdf"]


def test_sending_the_resumed_draft_spends_it_and_its_link_leads_to_the_receipt(
    app, client, store
):
    saved = save_later(client, with_file(aid_answers()))
    link = draft_path(saved)
    fresh = app.test_client()
    inputs = hidden_inputs(fresh.get(link).text)
    sent = fresh.post(
        form_url(),
        data={"ticket": inputs["ticket"], "draft": inputs["draft"], **aid_answers()},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 303, sent.text
    reference = REFERENCE.search(fresh.get(sent.headers["Location"]).text).group(0)
    [request] = stored_requests(store)
    assert request["reference"] == reference
    [attachment] = store.attachments(request["id"])
    assert attachment["filename"] == "justificatif.pdf"
    assert state(app).uploads.read_committed(attachment["stored_name"]) == PDF
    assert store.table_counts()["kept_uploads"] == 0
    assert '"justificatif.pdf"' in request["answers"]
    # The spent draft forgot its answers; its link now shows the receipt.
    again = client.get(link)
    assert again.status_code == 303
    assert reference in client.get(again.headers["Location"]).text
    [draft] = store._all("SELECT * FROM drafts")
    assert draft["answers"] == "{}" and draft["submission_id"] == request["id"]


def test_a_spent_draft_is_not_sent_twice(app, client, store):
    saved = save_later(client, with_file(aid_answers()))
    page = client.get(draft_path(saved)).text
    first, second = (
        hidden_inputs(page),
        hidden_inputs(client.get(draft_path(saved)).text),
    )
    for inputs in (first, second):
        response = client.post(
            form_url(),
            data={
                "ticket": inputs["ticket"],
                "draft": inputs["draft"],
                **aid_answers(),
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 303
    assert len(stored_requests(store)) == 1


@pytest.mark.parametrize("tamper", ["flip", "garbage", "other-salt"])
def test_a_tampered_draft_link_gets_the_not_found_page(client, tamper):
    path = draft_path(save_later(client, aid_answers()))
    token = path.split("/d/")[1].split("?")[0]
    bad = {
        "flip": token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1],
        "garbage": "nope",
        "other-salt": hidden_inputs(client.get(form_url()).text)["ticket"],
    }[tamper]
    unknown = client.get("/ecitiz/s/nope")
    response = client.get(f"/ecitiz/d/{bad}")
    assert response.status_code == unknown.status_code == 404
    assert response.text == unknown.text


def test_an_expired_draft_gets_the_not_found_page_and_is_purged_with_its_files(
    app, client, store
):
    saved = save_later(client, with_file(aid_answers()))
    assert len(uploaded_files(app)) == 1
    later = utcnow() + timedelta(days=app.config["ECITIZ_DRAFT_DAYS"], seconds=1)
    kit = state(app)
    # Not yet: a purge before the end keeps everything.
    assert drafts.purge(kit.store, kit.uploads, utcnow(), 3600) == (0, 0)
    assert len(uploaded_files(app)) == 1
    assert drafts.purge(kit.store, kit.uploads, later, 3600) == (1, 1)
    assert uploaded_files(app) == []
    assert store.table_counts()["drafts"] == store.table_counts()["kept_uploads"] == 0
    assert client.get(draft_path(saved)).status_code == 404


def test_a_draft_past_its_days_is_not_found_even_before_the_purge(
    app, client, monkeypatch
):
    saved = save_later(client, aid_answers())
    later = utcnow() + timedelta(days=app.config["ECITIZ_DRAFT_DAYS"], minutes=1)
    monkeypatch.setattr("ecitiz_kit.public.draft_page.utcnow", lambda: later)
    assert client.get(draft_path(saved)).status_code == 404


def test_saving_the_resumed_draft_again_keeps_one_draft(client, store):
    first = save_later(client, aid_answers(town="Lyon"))
    page = client.get(draft_path(first)).text
    save_later(client, aid_answers(town="Lille"), form_page=page)
    assert store.table_counts()["drafts"] == 1
    assert 'value="Lille"' in client.get(draft_path(first)).text


def test_a_bad_file_is_refused_and_nothing_is_saved(app, client, store):
    response = save_later(client, with_file(aid_answers(), b"MZ\x90\0 not a pdf"))
    assert response.status_code == 422
    assert 'id="e-documents"' in response.text
    assert store.table_counts()["drafts"] == 0
    assert uploaded_files(app) == []


def test_continue_later_is_rate_limited(app, client, store):
    app.config["ECITIZ_DRAFT_LIMIT"] = "2 per hour"
    for _ in range(2):
        assert save_later(client, aid_answers()).status_code == 200
    refused = save_later(client, aid_answers())
    assert refused.status_code == 429
    assert refused.headers["Retry-After"]
    assert 'value="Durand-Lefèvre"' in refused.text
    assert store.table_counts()["drafts"] == 2


def test_staff_never_see_drafts(client, staff_client, store):
    save_later(client, with_file(aid_answers()))
    listing = staff_client.get("/ecitiz/staff/")
    assert listing.status_code == 200
    assert "Durand" not in listing.text and "Camille" not in listing.text
    assert stored_requests(store) == []


# -- kept files -------------------------------------------------------------------


def test_a_refused_answer_keeps_the_files_and_the_next_try_sends_them(
    app, client, store
):
    first = post_form(client, with_file(aid_answers(siret="1")))
    assert first.status_code == 422
    documents = walk_to(client, first.text, "documents")
    assert kept_names(documents) == ["justificatif.pdf"]
    # The file input no longer asks for a file it has.
    assert not re.search(r'id="f-documents"[^>]*required', documents)
    inputs = hidden_inputs(first.text)
    sent = post_form(client, aid_answers(), ticket=inputs["ticket"])
    assert sent.status_code == 303, sent.text
    [request] = stored_requests(store)
    [attachment] = store.attachments(request["id"])
    assert attachment["filename"] == "justificatif.pdf"
    assert len(uploaded_files(app)) == 1
    assert store.table_counts()["kept_uploads"] == 0


def test_the_remove_button_removes_the_file(app, client, store):
    first = post_form(client, with_file(aid_answers(siret="1")))
    documents = walk_to(client, first.text, "documents")
    key = re.search(r'name="remove:([^"]+)"', documents).group(1)
    inputs = hidden_inputs(first.text)
    removed = press(
        client, documents, {f"remove:{key}": "Remove"}, go=None, path="/remove"
    )
    assert removed.status_code == 200
    assert shown_page(removed.text) == "documents"  # the page it was removed from
    assert kept_names(removed.text) == []
    assert "justificatif.pdf" in removed.text  # the notice names what went
    assert uploaded_files(app) == []
    assert store.table_counts()["kept_uploads"] == 0
    # Without its file, the form asks for one again.
    again = post_form(client, aid_answers(), ticket=inputs["ticket"])
    assert again.status_code == 422 and 'id="e-documents"' in again.text


def test_someone_elses_ticket_cannot_remove_a_file(app, client, store):
    first = post_form(client, with_file(aid_answers(siret="1")))
    documents = walk_to(client, first.text, "documents")
    key = re.search(r'name="remove:([^"]+)"', documents).group(1)
    stranger = app.test_client()
    refused = stranger.post(
        form_url() + "/remove",
        data={"ticket": ticket_for(stranger), f"remove:{key}": "Remove"},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 404
    assert len(uploaded_files(app)) == 1
    assert store.table_counts()["kept_uploads"] == 1
    # Nor can a forged ticket.
    forged = stranger.post(
        form_url() + "/remove",
        data={"ticket": "forged.ticket.value", f"remove:{key}": "Remove"},
        content_type="multipart/form-data",
    )
    assert forged.status_code == 400
    assert store.table_counts()["kept_uploads"] == 1


def test_kept_files_count_against_the_most_files(app, client, store):
    app.config["ECITIZ_MAX_FILES"] = 2
    files = [(io.BytesIO(PDF), "a.pdf"), (io.BytesIO(PNG), "b.png")]
    first = post_form(client, {**aid_answers(siret="1"), "documents": files})
    documents = walk_to(client, first.text, "documents")
    assert kept_names(documents) == ["a.pdf", "b.png"]
    inputs = hidden_inputs(first.text)
    third = post_form(client, with_file(aid_answers()), ticket=inputs["ticket"])
    assert third.status_code == 422 and 'id="e-documents"' in third.text
    assert stored_requests(store) == []
    assert store.table_counts()["kept_uploads"] == 2


def test_files_of_abandoned_tickets_go_after_the_ticket_lifetime(app, client, store):
    post_form(client, with_file(aid_answers(siret="1")))
    kit = state(app)
    max_age = app.config["ECITIZ_FORM_TICKET_MAX_AGE"]
    assert drafts.purge(kit.store, kit.uploads, utcnow(), max_age) == (0, 0)
    assert len(uploaded_files(app)) == 1
    later = utcnow() + timedelta(seconds=max_age + 1)
    assert drafts.purge(kit.store, kit.uploads, later, max_age) == (0, 1)
    assert uploaded_files(app) == []


def test_the_start_up_sweep_leaves_kept_files_alone(app, client, store):
    post_form(client, with_file(aid_answers(siret="1")))
    kit = state(app)
    kit.orphan_file_age = 0
    kit.tidy_uploads()
    assert len(uploaded_files(app)) == 1


# -- one file at a time, as the form's script sends them ------------------------------


def upload(client, ticket: str, content: bytes = PDF, name: str = "a.pdf", **data):
    return client.post(
        form_url() + "/upload",
        data={"ticket": ticket, "field": "documents", **data,
              "documents": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )  # fmt: skip


def test_a_file_sent_alone_is_kept_for_the_ticket_and_sent_with_the_form(
    app, client, store
):
    ticket = ticket_for(client)
    kept = upload(client, ticket)
    assert kept.status_code == 201
    assert kept.json["filename"] == "a.pdf" and kept.json["key"]
    assert store.table_counts()["kept_uploads"] == 1
    sent = post_form(client, aid_answers(), ticket=ticket)
    assert sent.status_code == 303, sent.text
    [request] = stored_requests(store)
    assert [a["filename"] for a in store.attachments(request["id"])] == ["a.pdf"]


def test_a_bad_file_sent_alone_gets_its_own_error_and_nothing_is_kept(app, client):
    refused = upload(client, ticket_for(client), b"MZ\x90\0 not a pdf", "x.pdf")
    assert refused.status_code == 422
    assert "x.pdf" in refused.json["error"]
    assert uploaded_files(app) == []


@pytest.mark.parametrize(
    "data",
    [{"ticket": "forged.ticket.value"}, {"field": "first_name"}, {"field": "nope"}],
)
def test_a_file_sent_alone_needs_a_genuine_ticket_and_a_file_question(
    app, client, store, data
):
    refused = upload(client, **{"ticket": ticket_for(client), **data})
    assert refused.status_code == 400 and refused.json["error"]
    assert uploaded_files(app) == []
    assert store.table_counts()["kept_uploads"] == 0


def test_files_sent_alone_stop_at_the_question_s_most(app, client, store):
    ticket = ticket_for(client)
    for _ in range(5):  # the aid request takes 5 files at most
        assert upload(client, ticket).status_code == 201
    refused = upload(client, ticket)
    assert refused.status_code == 422
    assert store.table_counts()["kept_uploads"] == 5
