"""Questions that apply only on some answers: conditions in definitions, their
checks at load, what the server does with the answers, and the page as it reads
without JavaScript."""

import copy
import io
import json
import re
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage, MultiDict

from ecitiz_kit.domain.amend import keep_unreplaced_files
from ecitiz_kit.errors import DefinitionError
from ecitiz_kit.forms.conditions import applicable, condition_words, conditional
from ecitiz_kit.forms.fields import compile_form
from ecitiz_kit.forms.loading import (
    definition_to_json,
    load_catalog,
    load_definition,
    parse_definition,
)

from .helpers import (
    IBAN,
    PDF,
    STAFF,
    aid_answers,
    aid_page,
    attestation_answers,
    form_url,
    post_form,
    stored_requests,
    uploaded_files,
    with_file,
)
from .test_staff_amend import _amend, _send_back

DATA = Path(__file__).parent / "data" / "definitions"
MEMBERSHIP = json.loads((DATA / "membership.json").read_text(encoding="utf-8"))
CAPS = {"max_file_size": 10 * 2**20, "max_files": 10}


def membership(**whens):
    """The membership form with a ``when`` on some of its fields."""
    data = copy.deepcopy(MEMBERSHIP)
    for field in data["sections"][0]["fields"]:
        if field["name"] in whens:
            field["when"] = whens[field["name"]]
    return data


def member_answers(**changes):
    answers = {
        "full_name": "Léa Martin", "email": "lea@example.org", "joined_on":
        "2024-03-01", "tier": "basic", "employees": "3", "fee": "50",
        "postcode": "75011", "rules_ok": "y",
    }  # fmt: skip
    answers.update(changes)
    return MultiDict({k: v for k, v in answers.items() if v is not None})


def validate(defn, answers, files=None):
    return compile_form(defn).validate(answers, files or MultiDict(), **CAPS)


# -- checks at load ----------------------------------------------------------------

REFUSED = [
    ({"field": "rib", "ticked": True}, "'when' names 'rib', which is not asked "
     "before it: a condition can only look at an earlier answer"),
    ({"field": "notes", "ticked": True}, "'when' names 'notes', which is not asked "
     "before it"),
    ({"field": "nope", "equals": "x"}, "'when' names no field of this form: 'nope'"),
    ({"field": "tier", "greater_than": 1}, "'greater_than' does not apply to the "
     "choice field 'tier' (use equals, one_of)"),
    ({"field": "employees", "equals": "3"}, "'equals' does not apply to the number "
     "field 'employees' (use greater_than, at_least, less_than, at_most)"),
    ({"field": "newsletter", "one_of": [True]}, "'one_of' does not apply to the "
     "checkbox field 'newsletter' (use ticked)"),
    ({"field": "email", "equals": "a@b.fr"}, "field 'email' is of type email; a "
     "condition looks at a choice, checkbox, number or money field"),
    ({"field": "tier", "equals": "gold"}, "'gold' is not an option of 'tier' "
     "(options: basic, support)"),
    ({"field": "tier", "one_of": ["basic", "gold"]}, "'gold' is not an option"),
    ({"field": "tier", "one_of": []}, "'one_of' must be a non-empty list"),
    ({"field": "tier", "one_of": "basic"}, "'one_of' must be a non-empty list"),
    ({"field": "newsletter", "ticked": "yes"}, "'ticked' must be true or false"),
    ({"field": "employees", "greater_than": 1.5}, "must be a whole number "
     "between -1,000,000,000,000 and 1,000,000,000,000, got 1.5"),
    ({"field": "employees", "at_least": "many"}, "must be a whole number"),
    ({"field": "fee", "at_least": "beaucoup"}, "must be an amount"),
    ({"field": "fee", "at_most": "Infinity"}, "must be an amount"),
    ({"field": "employees", "at_most": "1e999999999"}, "must be a whole number "
     "between -1,000,000,000,000 and 1,000,000,000,000"),
    ({"field": "fee", "at_most": 10**13}, "must be an amount between"),
    ({"field": "fee", "less_than": True}, "'less_than' must be a number"),
    ({"field": "fee", "less_than": None}, "'less_than' must be a number"),
    ({"field": "tier"}, "'when' needs 'field' and exactly one operator"),
    ({"equals": "basic"}, "'when' needs 'field' and exactly one operator"),
    ({"field": "tier", "equals": "basic", "one_of": ["basic"]}, "exactly one"),
    ({"field": "tier", "is": "basic"}, "'when': unknown key 'is' (allowed: field,"),
    ("tier == basic", "'when' must be an object"),
    ({"field": ["tier"], "equals": "basic"}, "names no field of this form"),
]  # fmt: skip


@pytest.mark.parametrize("when, problem", REFUSED, ids=[p for _, p in REFUSED])
def test_bad_conditions_are_refused_with_file_field_and_reason(when, problem):
    with pytest.raises(DefinitionError) as error:
        parse_definition(membership(notes=when), "membership.json")
    message = str(error.value)
    assert message.startswith("membership.json: field 'notes': "), message
    assert problem in message


def test_a_file_whose_condition_looks_ahead_is_refused_when_loaded(tmp_path):
    path = tmp_path / "members.json"
    data = membership(tier={"field": "newsletter", "ticked": True})
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DefinitionError) as error:
        load_definition(path)
    assert str(error.value) == (
        "members.json: field 'tier': 'when' names 'newsletter', which is not asked "
        "before it: a condition can only look at an earlier answer"
    )


def _two_sections(when):
    data = membership()
    data["sections"].append(
        {"id": "extra", "title": "Plus", "when": when,
         "fields": [{"name": "extra_note", "type": "text", "label": "Note"}]}
    )  # fmt: skip
    return data


def test_section_conditions_are_checked_like_field_conditions():
    ok = parse_definition(_two_sections({"field": "tier", "equals": "support"}), "m")
    assert ok.sections[1].when.field == "tier"
    with pytest.raises(DefinitionError) as error:
        parse_definition(_two_sections({"field": "extra_note", "ticked": 1}), "m")
    assert str(error.value).startswith("m: section 'extra': 'when' names 'extra_note'")
    with pytest.raises(DefinitionError, match="not an option of 'tier'"):
        parse_definition(_two_sections({"field": "tier", "equals": "x"}), "m")


def test_a_document_needs_its_holder_and_dates_from_everyone():
    path = Path(__file__).parents[1] / "ecitiz_kit/forms/catalog/attestation.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    validity = next(s for s in data["sections"] if s["id"] == "validity")
    validity["when"] = {"field": "purpose", "equals": "work"}
    with pytest.raises(DefinitionError) as error:
        parse_definition(data, "attestation.json")
    assert str(error.value).startswith(
        "attestation.json: document: 'valid_from' names the field 'valid_from', "
        "which carries a condition"
    )


def test_conditions_survive_the_canonical_json():
    data = membership(
        employees={"field": "tier", "equals": "support"},
        gift={"field": "fee", "at_least": "100.5"},
        notes={"field": "newsletter", "ticked": False},
    )
    defn = parse_definition(data, "m")
    again = parse_definition(json.loads(definition_to_json(defn)), "again")
    assert again.digest == defn.digest
    assert [again.field(n).when for n in ("employees", "gift", "notes")] == [
        defn.field(n).when for n in ("employees", "gift", "notes")
    ]
    assert json.loads(definition_to_json(defn))["sections"][0]["fields"][6]["when"] == {
        "field": "tier",
        "one_of": ["support"],
    }
    changed = parse_definition(
        membership(notes={"field": "newsletter", "ticked": True}), "m"
    )
    assert changed.digest != defn.digest


# -- evaluation ---------------------------------------------------------------------


def test_applicable_follows_each_operator_and_chains():
    defn = parse_definition(
        membership(
            employees={"field": "tier", "one_of": ["support"]},
            fee={"field": "employees", "greater_than": 0},
            gift={"field": "fee", "at_most": "100"},
            notes={"field": "newsletter", "ticked": False},
        ),
        "m",
    )
    always = {f.name for f in defn.fields} - {"employees", "fee", "gift", "notes"}
    answers = {"tier": "support", "employees": 2, "fee": "80.00", "newsletter": False}
    assert applicable(defn, answers) == always | {"employees", "fee", "gift", "notes"}
    assert applicable(defn, {**answers, "fee": "100.01"}) == always | {
        "employees", "fee", "notes",
    }  # fmt: skip
    # No employees: the fee is not asked, so neither is what depends on it.
    assert applicable(defn, {**answers, "employees": 0}) == always | {
        "employees", "notes",
    }  # fmt: skip
    # The first answer changes: the whole chain goes, stale answers or not.
    assert applicable(defn, {**answers, "tier": "basic", "newsletter": True}) == always
    assert applicable(defn, {}) == always | {"notes"}  # an unticked box


@pytest.mark.parametrize(
    "operator, limit, shown",
    [("greater_than", 3, [False, False, True]), ("at_least", 3, [False, True, True]),
     ("less_than", 3, [True, False, False]), ("at_most", 3, [True, True, False])],
)  # fmt: skip
def test_number_comparisons(operator, limit, shown):
    defn = parse_definition(
        membership(fee={"field": "employees", operator: limit}), "m"
    )
    assert ["fee" in applicable(defn, {"employees": n}) for n in (2, 3, 4)] == shown
    assert "fee" not in applicable(defn, {"employees": None})


def test_conditions_read_in_plain_words_in_both_languages():
    defn = parse_definition(
        membership(
            employees={"field": "tier", "equals": "support"},
            fee={"field": "employees", "greater_than": 1000},
            gift={"field": "fee", "at_least": "1500.5"},
            notes={"field": "newsletter", "ticked": True},
            bank_code={"field": "tier", "one_of": ["basic", "support"]},
        ),
        "m",
    )
    words = {
        lang: [condition_words(defn, defn.field(n).when, lang)
               for n in ("employees", "fee", "gift", "notes", "bank_code")]
        for lang in ("fr", "en")
    }  # fmt: skip
    assert words["en"] == [
        "Answer only if you answered “Supporter” to “Formule”.",
        "Answer only if your answer to “Salariés” is more than 1,000.",
        "Answer only if your answer to “Cotisation” is €1,500.50 or more.",
        "Answer only if you ticked “Recevoir la lettre”.",
        "Answer only if your answer to “Formule” is one of: “Basic”, “Supporter”.",
    ]
    assert words["fr"][0] == (
        "Répondez seulement si vous avez répondu «\u00a0Bienfaiteur\u00a0» à "
        "«\u00a0Formule\u00a0»."
    )
    assert words["fr"][2] == (
        "Répondez seulement si votre réponse à «\u00a0Cotisation\u00a0» est de "
        "1\u202f500,50\u00a0€ ou plus."
    )


# -- the server decides -------------------------------------------------------------


def test_a_hidden_required_question_is_not_required_nor_checked_nor_kept():
    defn = parse_definition(membership(fee={"field": "tier", "equals": "support"}), "m")
    outcome = validate(defn, member_answers(fee=None))
    assert outcome.ok, outcome.errors
    assert "fee" not in outcome.answers
    # Posted anyway, even wrong: ignored, and a rule on it does not fire.
    for posted in ("beaucoup", "20"):
        outcome = validate(defn, member_answers(fee=posted, gift="30"))
        assert outcome.ok, outcome.errors
        assert "fee" not in outcome.answers and outcome.answers["gift"] == "30.00"
    outcome = validate(defn, member_answers(tier="support", fee=None))
    assert list(outcome.errors) == ["fee"]
    outcome = validate(defn, member_answers(tier="support", fee="20", gift="30"))
    assert list(outcome.errors) == ["gift"]  # the rule holds again


def test_a_condition_on_a_wrong_answer_does_not_hold_until_it_is_right():
    defn = parse_definition(
        membership(fee={"field": "employees", "greater_than": 0}), "m"
    )
    outcome = validate(defn, member_answers(employees="trois", fee=None))
    assert list(outcome.errors) == ["employees"]


def test_a_hidden_file_question_keeps_no_upload():
    defn = parse_definition(
        membership(rib={"field": "newsletter", "ticked": True}), "m"
    )

    def files():
        return MultiDict([("rib", FileStorage(io.BytesIO(PDF), filename="rib.pdf"))])

    outcome = validate(defn, member_answers(), files())
    assert outcome.ok and outcome.uploads == [] and "rib" not in outcome.answers
    outcome = validate(defn, member_answers(newsletter="y"), files())
    assert [u.filename for u in outcome.uploads] == ["rib.pdf"]
    assert outcome.answers["rib"] == ["rib.pdf"]


def _stored(store):
    [row] = stored_requests(store)
    return json.loads(row["answers"])


def test_aid_request_without_employees_skips_their_questions(client, store, app):
    response = post_form(
        client,
        with_file(aid_answers(headcount="0", short_time_employees="12",
                              monthly_payroll="beaucoup")),
    )  # fmt: skip
    assert response.status_code == 303, response.get_data(as_text=True)[-600:]
    answers = _stored(store)
    assert answers["headcount"] == 0
    assert "short_time_employees" not in answers
    assert "monthly_payroll" not in answers
    assert "other_aid_details" not in answers and answers["other_aid"] is False


def test_aid_request_with_employees_asks_how_many_are_on_short_time(client, store, app):
    def post(short_time):
        data = aid_answers(headcount="3", short_time_employees=short_time)
        return post_form(client, with_file(data))

    response = post(None)
    assert response.status_code == 422
    assert 'id="e-short_time_employees"' in response.get_data(as_text=True)
    # Nothing is stored as a request; the file is kept for the next try.
    assert store.table_counts()["submissions"] == 0
    assert store.table_counts()["kept_uploads"] == len(uploaded_files(app)) == 1
    response = post("4")
    assert response.status_code == 422  # more than the headcount
    assert 'id="e-short_time_employees"' in response.get_data(as_text=True)
    assert post("3").status_code == 303
    assert _stored(store)["short_time_employees"] == 3


def test_other_aid_details_are_asked_only_of_those_who_ticked(client, store):
    response = post_form(client, with_file(aid_answers(other_aid="y")))
    assert response.status_code == 422
    assert 'id="e-other_aid_details"' in response.get_data(as_text=True)
    details = aid_answers(other_aid="y", other_aid_details="FSN 1 500 €")
    assert post_form(client, with_file(details)).status_code == 303
    answers = _stored(store)
    assert (answers["other_aid"], answers["other_aid_details"]) == (True, "FSN 1 500 €")


def test_attestation_details_only_for_another_reason(client, store):
    response = post_form(
        client, attestation_answers(purpose="other", purpose_details=""), "attestation"
    )
    assert response.status_code == 422
    response = post_form(
        client, attestation_answers(purpose_details="Voyage"), "attestation"
    )
    assert response.status_code == 303
    [row] = stored_requests(store, form_id="attestation")
    assert "purpose_details" not in json.loads(row["answers"])


# -- the page -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lang, words",
    [("fr", "Répondez seulement si votre réponse à «\u00a0Nombre de salariés\u00a0»"
      " est supérieure à 0."),
     ("en", "Answer only if your answer to “Number of employees” is more than 0.")],
)  # fmt: skip
def test_form_page_says_when_a_question_applies(client, lang, words):
    # The aid request asks these on its second and third pages.
    html = aid_page(client, "business", query=f"?lang={lang}")
    html += aid_page(client, "situation", query=f"?lang={lang}")
    assert f'<p class="ecitiz-condition" id="w-section-employees">{words}</p>' in html
    section = html.split('<fieldset class="ecitiz-section" data-ecitiz-when=', 1)[1]
    assert section.startswith(
        '\'{"field": "headcount", "op": "greater_than", "value": "0"}\'>'
    )
    # Without the script nothing may stop an applicant leaving it out.
    short_time = re.search(r'<input id="f-short_time_employees"[^>]*>', html)[0]
    assert " required" not in short_time and "data-ecitiz-required" in short_time
    assert "required" in re.search(r'<input id="f-headcount"[^>]*>', html)[0]
    details = re.search(r'<textarea id="f-other_aid_details"[^>]*>', html)[0]
    assert 'aria-describedby="w-other_aid_details h-other_aid_details"' in details
    assert 'id="w-other_aid_details"' in html


def test_a_shown_error_on_a_conditional_question_is_described(client):
    response = post_form(client, with_file(aid_answers(other_aid="y")))
    html = response.get_data(as_text=True)
    details = re.search(r'<textarea id="f-other_aid_details"[^>]*>', html)[0]
    assert (
        'aria-describedby="w-other_aid_details h-other_aid_details e-other_aid_details"'
    ) in details


def test_catalog_conditions_look_at_earlier_questions():
    aid = load_catalog("aid-request")
    assert conditional(aid.sections) == {
        "short_time_employees", "monthly_payroll", "other_aid_details",
    }  # fmt: skip
    assert conditional(load_catalog("attestation").sections) == {"purpose_details"}


# -- where answers are shown ----------------------------------------------------------


def test_absent_answers_show_nothing_to_staff_nor_in_exports(
    client, staff_client, store
):
    post_form(client, with_file(aid_answers(headcount="0")))
    [row] = stored_requests(store)
    page = staff_client.get(f"{STAFF}/requests/{row['id']}").get_data(as_text=True)
    assert "None" not in page and "Nombre de salariés en activité partielle" not in page
    csv = staff_client.get(f"{STAFF}/requests.csv").get_data(as_text=True)
    assert "None" not in csv
    pdf = staff_client.get(f"{STAFF}/requests/{row['id']}/receipt.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_amending_drops_answers_that_no_longer_apply(client, staff_client, store):
    response = post_form(client, with_file(aid_answers(headcount="3")))
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    status_path = re.search(r'href="http://localhost(/ecitiz/s/[^"]+)"', html)[1]
    [row] = stored_requests(store)
    assert json.loads(row["answers"])["short_time_employees"] == 2
    _send_back(staff_client, row["id"])
    page = client.get(status_path + "/amend").get_data(as_text=True)
    assert (
        'value="2"' in re.search(r'<input id="f-short_time_employees"[^>]*>', page)[0]
    )
    response = _amend(client, status_path, {**aid_answers(headcount="0"), "iban": IBAN})
    assert response.status_code == 303, response.get_data(as_text=True)[-800:]
    answers = store.submission(row["id"])["answers"]
    assert answers["headcount"] == 0 and "short_time_employees" not in answers


def test_files_of_a_question_that_no_longer_applies_are_not_kept():
    defn = parse_definition(
        membership(rib={"field": "newsletter", "ticked": True}), "m"
    )
    kept = {"rib": ["old.pdf"]}
    outcome = validate(defn, member_answers(newsletter="y"))
    assert keep_unreplaced_files(defn, outcome, MultiDict(), kept) == []
    assert outcome.answers["rib"] == ["old.pdf"]
    outcome = validate(defn, member_answers())
    assert keep_unreplaced_files(defn, outcome, MultiDict(), kept) == ["rib"]
    assert "rib" not in outcome.answers


def test_option_values_cannot_break_out_of_the_page(app, client, store):
    data = membership(notes={"field": "tier", "equals": "x' onmouseover='alert(1)"})
    data["sections"][0]["fields"][5]["options"].append(
        {"value": "x' onmouseover='alert(1)", "label": "<b>Autre</b>"}
    )
    defn = parse_definition(data, "m")
    store.enable_form(
        store.organisation("acme")["id"], "membership", defn.version,
        definition_to_json(defn), 730,
    )  # fmt: skip
    html = client.get(form_url("membership")).get_data(as_text=True)
    when = re.search(r"<div class=\"ecitiz-when\" data-ecitiz-when='([^']*)'>", html)
    assert json.loads(when[1]) == {
        "field": "tier", "op": "one_of", "value": ["x' onmouseover='alert(1)"],
    }  # fmt: skip
    assert "onmouseover='" not in html and "<b>Autre</b>" not in html
    assert "&lt;b&gt;Autre&lt;/b&gt;" in html
