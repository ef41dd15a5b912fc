"""Forms in steps: page by page, each page checked before the next, back
without losing anything, and a page to check every answer before sending."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from ecitiz_kit.errors import DefinitionError
from ecitiz_kit.forms.loading import definition_to_json, load_catalog, parse_definition
from ecitiz_kit.forms.validators import IbanCheck, StopValidation
from ecitiz_kit.i18n import text
from ecitiz_kit.state import state

from .helpers import (
    IBAN,
    REFERENCE,
    aid_answers,
    aid_page,
    answers_of,
    attestation_answers,
    form_url,
    hidden_pairs,
    post_form,
    press,
    shown_page,
    stored_requests,
    with_file,
)

CATALOG = Path(__file__).parents[1] / "ecitiz_kit" / "forms" / "catalog"
AID = json.loads((CATALOG / "aid-request.json").read_text(encoding="utf-8"))
DEFINITION = load_catalog("aid-request")
DRAFT_LINK = re.compile(r'id="draft-link">http://localhost(/ecitiz/d/[^<]+)<')


# -- the definition ----------------------------------------------------------------


def aid_with_pages(pages):
    data = copy.deepcopy(AID)
    data["pages"] = pages
    return data


def two_pages(first, second):
    return [
        {"id": "one", "title": {"fr": "Un", "en": "One"}, "sections": first},
        {"id": "two", "title": {"fr": "Deux", "en": "Two"}, "sections": second},
    ]


ALL = ["applicant", "business", "employees", "situation", "bank", "documents"]
BROKEN_PAGES = [
    (
        two_pages(ALL, ["declaration", "nowhere"]),
        "page 'two': unknown section 'nowhere'",
    ),
    (
        two_pages(ALL, ["bank", "declaration"]),
        "page 'two': section 'bank' is already on page 'one'",
    ),
    (two_pages(ALL[:-1], ["declaration"]), "section 'documents' is on no page"),
    (
        two_pages(ALL[:2], ["situation", "employees", *ALL[4:], "declaration"]),
        "pages must take the sections in the order",
    ),
    (two_pages(ALL, []), "page 'two': 'sections' must be a non-empty list"),
    ([], "'pages' must be a non-empty list"),
]


@pytest.mark.parametrize(
    "pages, problem", BROKEN_PAGES, ids=[p for _, p in BROKEN_PAGES]
)
def test_pages_that_miss_repeat_or_invent_a_section_are_refused(pages, problem):
    with pytest.raises(DefinitionError) as error:
        parse_definition(aid_with_pages(pages), "aid-request.json")
    assert str(error.value).startswith("aid-request.json: ")
    assert problem in str(error.value)


def test_pages_read_back_from_the_canonical_json():
    again = parse_definition(json.loads(definition_to_json(DEFINITION)), "x")
    assert again.pages == DEFINITION.pages
    assert again.digest == DEFINITION.digest
    assert [p.id for p in DEFINITION.pages] == [
        "applicant", "business", "situation", "bank", "documents", "declaration",
    ]  # fmt: skip


def test_other_ready_made_forms_stay_on_one_page():
    assert [load_catalog("attestation").pages] == [()]


# -- moving through the pages ----------------------------------------------------------


def to_check_page(client, **overrides) -> str:
    html = aid_page(client, "check", **overrides)
    assert shown_page(html) == "check"
    return html


def label(name: str, lang: str = "fr") -> str:
    return text(DEFINITION.field(name).label, lang)


def test_the_form_opens_on_its_first_page_only(client):
    html = client.get(form_url()).text
    assert shown_page(html) == "applicant"
    assert 'id="f-iban"' not in html and 'id="f-siret"' not in html
    assert "Étape 1 sur 7" in html
    assert 'name="_go" value="back"' not in html  # nothing before the first page


def test_continue_checks_only_the_page_shown_page(client, store):
    html = client.get(form_url()).text
    refused = press(client, html, answers_of("applicant", email="pas une adresse"))
    assert refused.status_code == 422
    assert shown_page(refused.text) == "applicant"
    assert 'id="error-summary"' in refused.text
    summary = refused.text.split('id="error-summary"')[1].split("</div>")[0]
    assert summary.count("<li>") == 1 and 'href="#f-email"' in summary
    moved = press(client, refused.text, answers_of("applicant"))
    assert moved.status_code == 200
    assert shown_page(moved.text) == "business"
    assert "error-summary" not in moved.text  # later pages are not checked yet
    assert ("first_name", "Camille") in hidden_pairs(moved.text)
    assert store.table_counts()["submissions"] == 0


def test_back_never_checks_and_never_loses_answers(client):
    page_two = press(client, client.get(form_url()).text, answers_of("applicant"))
    half_typed = {"siret": "pas un siret", "town": "Lyon"}
    back = press(client, page_two.text, half_typed, go="back")
    assert back.status_code == 200
    assert shown_page(back.text) == "applicant"
    assert "error-summary" not in back.text
    assert 'value="Camille"' in back.text
    again = press(client, back.text)
    assert shown_page(again.text) == "business"
    assert 'value="pas un siret"' in again.text and 'value="Lyon"' in again.text


def test_the_check_page_lists_every_answer_with_a_change_button(client):
    html = to_check_page(client)
    rows = re.findall(r"<dt>([^<]+)</dt><dd>([^<]*)</dd>", html)
    listed = dict(rows)
    for name in aid_answers():
        assert label(name) in listed, name
    assert listed[label("first_name")] == "Camille"
    assert listed[label("documents")] == "justificatif.pdf"
    assert "FR14 2004 1010 0505 0001 3M02 606" in listed[label("iban")]
    changes = re.findall(r'name="_go" value="page:([a-z_]+)"', html)
    assert len(changes) == len(rows)
    assert set(changes) == {p.id for p in DEFINITION.pages}


def test_change_goes_to_the_page_and_continue_comes_back_to_the_check_page(client):
    html = to_check_page(client)
    page = press(client, html, go="page:business")
    assert shown_page(page.text) == "business"
    assert 'value="Boulangerie Durand"' in page.text
    back = press(client, page.text, {"town": "Lille"})
    assert shown_page(back.text) == "check"
    assert "<dd>Lille</dd>" in back.text and "justificatif.pdf" in back.text


def test_questions_that_do_not_apply_are_not_on_the_check_page(client):
    html = to_check_page(client, headcount="0", short_time_employees="3")
    assert label("short_time_employees") not in html.split('id="page-title"')[1]
    assert label("other_aid_details") not in html.split('id="page-title"')[1]
    sent = press(client, html, go=None, path="")
    assert sent.status_code == 303
    [request] = stored_requests(client.application.extensions["ecitiz"].store)
    assert "short_time_employees" not in request["answers"]


def test_sending_from_the_check_page_stores_the_request_and_its_file(app, client):
    html = to_check_page(client)
    sent = press(client, html, go=None, path="")
    assert sent.status_code == 303, sent.text
    reference = REFERENCE.search(client.get(sent.headers["Location"]).text)
    [request] = stored_requests(state(app).store)
    assert request["reference"] == reference.group(0)
    [attachment] = state(app).store.attachments(request["id"])
    assert attachment["filename"] == "justificatif.pdf"


@pytest.mark.parametrize("where", ["page", "check"])
def test_changed_carried_answers_are_refused(app, client, where):
    html = client.get(form_url()).text
    html = press(client, html, answers_of("applicant")).text
    if where == "check":
        html = to_check_page(client)
    forged = html.replace('value="Camille"', 'value="Mallory"')
    assert forged != html
    response = press(
        client, forged, go="next" if where == "page" else None,
        path="/step" if where == "page" else "",
    )  # fmt: skip
    assert response.status_code == 400
    assert "could not check" in response.text or "pas pu vérifier" in response.text
    assert stored_requests(state(app).store) == []


def test_a_forged_steps_token_is_refused(client):
    html = press(client, client.get(form_url()).text, answers_of("applicant")).text
    token = dict(hidden_pairs(html))["_steps"]
    forged = html.replace(token, token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB"))
    assert press(client, forged).status_code == 400
    assert press(client, html, answers_of("business")).status_code == 200


def test_a_single_page_form_is_unchanged(client):
    html = client.get(form_url("attestation")).text
    assert 'name="_steps"' not in html and "page-title" not in html
    assert f'action="{form_url("attestation")}' in html
    assert 'id="f-first_name"' in html and 'id="f-declaration"' in html
    sent = post_form(client, attestation_answers(), form_id="attestation")
    assert sent.status_code == 303


def test_a_full_post_of_every_answer_still_sends_a_form_in_steps(app, client):
    sent = post_form(client, with_file(aid_answers()))
    assert sent.status_code == 303, sent.text
    assert len(stored_requests(state(app).store)) == 1


def test_continue_later_from_page_two_resumes_on_page_two(app, client):
    page_two = press(client, client.get(form_url()).text, answers_of("applicant"))
    saved = press(client, page_two.text, {"town": "Lyon"}, go=None, path="/later")
    assert saved.status_code == 200
    link = DRAFT_LINK.search(saved.text).group(1)
    fresh = app.test_client()  # another browser: nothing shared
    resumed = fresh.get(link)
    assert resumed.status_code == 200
    assert shown_page(resumed.text) == "business"
    assert 'value="Lyon"' in resumed.text
    assert ("email", "camille@example.org") in hidden_pairs(resumed.text)
    on = press(fresh, resumed.text, answers_of("business", town="Lyon"))
    assert shown_page(on.text) == "situation"


def test_continue_later_from_the_check_page_resumes_there(app, client):
    html = to_check_page(client)
    saved = press(client, html, go=None, path="/later")
    fresh = app.test_client()
    resumed = fresh.get(DRAFT_LINK.search(saved.text).group(1))
    assert shown_page(resumed.text) == "check"
    assert "justificatif.pdf" in resumed.text
    sent = press(fresh, resumed.text, go=None, path="")
    assert sent.status_code == 303
    assert len(stored_requests(state(app).store)) == 1


def test_an_iban_refused_at_send_keeps_every_answer_and_file(app, client, monkeypatch):
    html = to_check_page(client)
    refuse = IbanCheck.clean

    def refusing(self, raw):
        raise StopValidation(self.wrong())

    # The IBAN passed its page, then is refused when the form is sent (as when
    # the form's checks changed meanwhile): everything else must stay.
    monkeypatch.setattr(IbanCheck, "clean", refusing)
    refused = press(client, html, go=None, path="")
    assert refused.status_code == 422
    assert shown_page(refused.text) == "bank"
    assert 'href="#f-iban"' in refused.text
    assert ("first_name", "Camille") in hidden_pairs(refused.text)
    monkeypatch.setattr(IbanCheck, "clean", refuse)
    fixed = press(client, refused.text, {"iban": IBAN})
    assert shown_page(fixed.text) == "check"  # straight back, files still there
    assert "justificatif.pdf" in fixed.text
    sent = press(client, fixed.text, go=None, path="")
    assert sent.status_code == 303
    [request] = stored_requests(state(app).store)
    [attachment] = state(app).store.attachments(request["id"])
    assert attachment["filename"] == "justificatif.pdf"


def test_a_one_go_post_with_a_bad_iban_shows_its_page_and_keeps_the_file(app, client):
    refused = post_form(client, with_file(aid_answers(iban="FR76 0000")))
    assert refused.status_code == 422
    assert shown_page(refused.text) == "bank"
    html = refused.text
    for _ in range(3):  # bank, documents (the file is kept), declaration
        html = press(client, html, {"iban": IBAN}).text
    assert shown_page(html) == "check" and "justificatif.pdf" in html
    assert press(client, html, go=None, path="").status_code == 303
    [request] = stored_requests(state(app).store)
    assert len(state(app).store.attachments(request["id"])) == 1
