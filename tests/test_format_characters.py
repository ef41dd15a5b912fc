"""Invisible format characters (a right-to-left override, zero-width spaces): names
and identifiers refuse them, and wherever staff read applicant text they are
written out, so that what staff read is what was sent."""

import html

from .helpers import (
    ORG,
    STAFF,
    add_request,
    aid_answers,
    at,
    csrf_for,
    post_form,
    with_file,
)

RLO = "\u202e"
SHOWN = "<U+202E>"


def test_name_with_a_direction_override_is_refused_in_both_languages(client, store):
    for lang, message in (
        ("fr", "Supprimez les caractères de mise en forme invisibles"),
        ("en", "Remove the invisible formatting characters"),
    ):
        response = post_form(
            client,
            with_file(aid_answers(last_name=f"Durand{RLO}dnaruD")),
            query_string={"lang": lang},
        )
        assert response.status_code == 422
        assert message in html.unescape(response.get_data(as_text=True))
    assert store.submission_count() == 0


def test_free_text_with_format_characters_is_shown_written_out_to_staff(
    client, staff_client, store
):
    explanation = f"Fermeture{RLO} 👨\u200d👩\u200d👧"
    response = post_form(client, with_file(aid_answers(explanation=explanation)))
    assert response.status_code == 303
    assert store.submission(1)["answers"]["explanation"] == explanation  # as sent
    page = html.unescape(staff_client.get(f"{STAFF}/requests/1").get_data(as_text=True))
    assert f"Fermeture{SHOWN} 👨\u200d👩\u200d👧" in page
    assert RLO not in page


def _old_request(store):
    """A request stored before names were checked (or by a form without them)."""
    org = store.organisation(ORG)["id"]
    return add_request(
        store,
        org,
        at("2026-11-29 13:05"),
        first=f"Zoé{RLO}",
        last="Durand",
        email="zoe@example.org",
        explanation=f"Texte{RLO}inversé",
    )


def test_staff_list_writes_out_format_characters_in_names(staff_client, store):
    _old_request(store)
    page = html.unescape(staff_client.get(f"{STAFF}/").get_data(as_text=True))
    assert f"Zoé{SHOWN} Durand" in page
    assert RLO not in page


def test_export_writes_out_format_characters(staff_client, store):
    _old_request(store)
    response = staff_client.get(f"{STAFF}/requests.csv")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert f"Texte{SHOWN}inversé" in text
    assert f"Zoé{SHOWN}" in text
    assert RLO not in text


def test_e_mails_leave_out_a_name_holding_format_characters(staff_client, store):
    sid = _old_request(store)["id"]
    response = staff_client.post(
        f"{STAFF}/requests/{sid}/status",
        data={
            "csrf_token": csrf_for(staff_client),
            "to_status": "in_review",
            "expected": "submitted",
            "public_message": "",
        },
    )
    assert response.status_code == 303
    [message] = [m for m in store.outbox_messages() if m["kind"] == "status"]
    text, page = message["body_text"], html.unescape(message["body_html"])
    assert text.startswith("Bonjour,") and "<p>Bonjour,</p>" in page
    assert "Zoé" not in text + page and RLO not in text + page
