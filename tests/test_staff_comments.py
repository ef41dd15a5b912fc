"""The staff's comment thread on a request: written, listed, limited, audited,
and never shown to the applicant nor sent to them."""

import email
import email.policy

import pytest

from ecitiz_kit.state import state

from .helpers import (
    STAFF,
    STAFF_EMAIL,
    add_request,
    aid_answers,
    at,
    csrf_for,
    hidden_inputs,
    pdf_text,
    post_form,
    send_mail,
    status_url_in,
    with_file,
)

SECRET_WORDS = "Vérifier le Kbis auprès du greffe avant de payer"


@pytest.fixture
def submitted(client, store):
    """A request sent through the public form: its id and tracking path."""
    response = post_form(client, with_file(aid_answers()))
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    tracking = status_url_in(receipt)
    submission = store.request_page(store.organisation("acme")["id"], limit=1)[0]
    return submission["id"], tracking


def comment(client, submission_id, body, **query):
    return client.post(
        f"{STAFF}/requests/{submission_id}/comments",
        query_string=query,
        data={"csrf_token": csrf_for(client), "body": body},
    )


def test_a_comment_is_added_to_the_thread_with_its_author(
    staff_client, store, submitted
):
    submission_id, _tracking = submitted
    response = comment(staff_client, submission_id, f"  {SECRET_WORDS}\nMerci.  ")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("done=commented#comments")
    [stored] = store.comments(submission_id)
    assert stored["body"] == f"{SECRET_WORDS}\nMerci."
    assert stored["author"] == STAFF_EMAIL
    html = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Votre commentaire a été ajouté." in html
    thread = html[html.index('id="comments"') : html.index("Historique")]
    assert SECRET_WORDS in thread and STAFF_EMAIL in thread
    [entry] = store.audit_entries(
        store.organisation("acme")["id"], action="request.comment"
    )
    assert entry["actor"] == STAFF_EMAIL
    assert entry["subject"] == store.submission(submission_id)["reference"]
    assert entry["detail"] == {"comment": stored["id"]}


def _comment_form(client, submission_id):
    """The comment form's hidden fields, as the request page gives them."""
    html = client.get(f"{STAFF}/requests/{submission_id}").get_data(as_text=True)
    form = html[html.index("/comments") :]
    return hidden_inputs(form[: form.index("</form>")])


def test_the_same_form_sent_twice_adds_its_comment_once(staff_client, store, submitted):
    submission_id, _tracking = submitted
    form = _comment_form(staff_client, submission_id)
    for _ in range(2):  # a double click
        response = staff_client.post(
            f"{STAFF}/requests/{submission_id}/comments",
            data={**form, "body": SECRET_WORDS},
        )
        assert response.status_code == 303
    assert [c["body"] for c in store.comments(submission_id)] == [SECRET_WORDS]
    entries = store.audit_entries(
        store.organisation("acme")["id"], action="request.comment"
    )
    assert len(entries) == 1
    # The page shown next carries a new form: the next comment is added.
    response = staff_client.post(
        f"{STAFF}/requests/{submission_id}/comments",
        data={**_comment_form(staff_client, submission_id), "body": "Kbis reçu."},
    )
    assert response.status_code == 303
    assert len(store.comments(submission_id)) == 2


@pytest.mark.parametrize("key", ["", "short", "x" * 500, "../../etc/passwd"])
def test_a_form_without_a_key_of_the_kit_still_adds_its_comment(
    staff_client, store, submitted, key
):
    submission_id, _tracking = submitted
    for _ in range(2):
        response = staff_client.post(
            f"{STAFF}/requests/{submission_id}/comments",
            data={"csrf_token": csrf_for(staff_client), "key": key, "body": "Vu."},
        )
        assert response.status_code == 303
    # Nothing tells the two apart: both are kept, none is lost.
    assert len(store.comments(submission_id)) == 2


def test_comments_are_kept_apart_from_the_private_note(staff_client, store, submitted):
    submission_id, _tracking = submitted
    comment(staff_client, submission_id, SECRET_WORDS)
    assert all(
        SECRET_WORDS not in (event["private_note"] or "")
        for event in store.events(submission_id)
    )


@pytest.mark.parametrize(
    "body,why",
    [
        ("", "Écrivez un commentaire de 2000 caractères au plus."),
        ("   \n\t ", "Écrivez un commentaire avant de l’envoyer."),
        ("x" * 2001, "Écrivez un commentaire de 2000 caractères au plus."),
        ("Vu\x00", "Supprimez les caractères invisibles (caractères de contrôle)"),
    ],
)
def test_an_empty_or_too_long_comment_is_refused_and_kept_for_editing(
    staff_client, store, submitted, body, why
):
    submission_id, _tracking = submitted
    response = comment(staff_client, submission_id, body)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert why in html and "<title>Erreur" in html
    if body.strip():
        assert body in html  # what was typed comes back
    assert store.comments(submission_id) == []
    assert (
        store.audit_entries(store.organisation("acme")["id"], action="request.comment")
        == []
    )


def test_another_organisations_request_takes_no_comment(staff_client, store):
    globex = store.create_organisation("globex", "Globex")
    store.enable_form(globex["id"], "aid-request", 1, None, 730)
    theirs = add_request(store, globex["id"], at("2026-11-20 10:00"))
    assert comment(staff_client, theirs["id"], SECRET_WORDS).status_code == 404
    assert store.comments(theirs["id"]) == []


def _text(path):
    """Every text part of an e-mail, decoded."""
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return "\n".join(
        part.get_content()
        for part in message.walk()
        if part.get_content_maintype() == "text"
    )


def test_comments_never_reach_the_applicant(
    app, client, staff_client, store, submitted
):
    submission_id, tracking = submitted
    comment(staff_client, submission_id, SECRET_WORDS)
    # A decision with a public message: the applicant is e-mailed and the
    # attestation of an accepted request is issued.
    for to_status in ("in_review", "accepted"):
        response = staff_client.post(
            f"{STAFF}/requests/{submission_id}/status",
            data={
                "csrf_token": csrf_for(staff_client),
                "to_status": to_status,
                "expected": store.submission(submission_id)["status"],
                "public_message": "Votre aide est accordée.",
            },
        )
        assert response.status_code == 303
    page = client.get(tracking)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Votre aide est accordée." in html
    assert SECRET_WORDS not in html and STAFF_EMAIL not in html
    # Everything e-mailed to the applicant.
    assert send_mail(app).sent >= 2
    texts = [_text(path) for path in state(app).data_dir.rglob("*.eml")]
    assert any("Votre aide est accordée." in text for text in texts)
    assert not any(SECRET_WORDS in text for text in texts)
    # The receipt the applicant downloads.
    receipt = client.get(f"{tracking}/receipt.pdf")
    assert receipt.status_code == 200
    assert SECRET_WORDS not in pdf_text(receipt.data)
