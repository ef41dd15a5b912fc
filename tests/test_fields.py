import io
import json
import random
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage, MultiDict

from ecitiz_kit.forms.conditions import conditional
from ecitiz_kit.forms.fields import (
    Outcome,
    compile_form,
    display_value,
    html_attributes,
    value_check,
)
from ecitiz_kit.forms.loading import load_catalog, load_definition
from ecitiz_kit.forms.validators import utf16_length
from ecitiz_kit.i18n import gettext, use_language

DATA = Path(__file__).parent / "data" / "definitions"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
IBAN = "FR1420041010050500013M02606"
CAPS = {"max_file_size": 10 * 2**20, "max_files": 10}


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """Check messages against their English text (French is the default)."""
    import ecitiz_kit.i18n

    monkeypatch.setattr(ecitiz_kit.i18n, "FALLBACK_LANGUAGE", "en")


def aid_answers(**changes):
    answers = {
        "first_name": "Camille", "last_name": "Durand", "email": "camille@example.org",
        "phone": "06 12 34 56 78", "siret": "732 829 320 00074",
        "legal_name": "Boulangerie Durand", "activity": "Boulangerie",
        "headcount": "4", "short_time_employees": "2", "postal_code": "75011",
        "town": "Paris",
        "revenue_reference": "40 000", "revenue_crisis": "15 000",
        "amount_requested": "5000", "explanation": "Fermeture administrative.",
        "iban": "FR14 2004 1010 0505 0001 3M02 606", "bic": "BNPAFRPP",
        "account_holder": "Boulangerie Durand", "declaration": "y", "privacy": "y",
    }  # fmt: skip
    answers.update(changes)
    return MultiDict({k: v for k, v in answers.items() if v is not None})


def pdfs(*names, field="documents", content=PDF):
    return MultiDict(
        [(field, FileStorage(io.BytesIO(content), filename=n)) for n in names]
    )


def validate(form_id, answers, files=None, **caps):
    compiled = compile_form(load_catalog(form_id))
    return compiled.validate(answers, files or MultiDict(), **{**CAPS, **caps})


def test_valid_aid_request_gives_clean_answers_and_uploads():
    outcome = validate("aid-request", aid_answers(), pdfs("rib.pdf", "bilan.pdf"))
    assert isinstance(outcome, Outcome) and outcome.ok, outcome.errors
    answers = outcome.answers
    assert answers["siret"] == "73282932000074"
    assert answers["iban"] == IBAN
    assert answers["phone"] == "0612345678"
    assert answers["headcount"] == 4
    assert answers["revenue_reference"] == "40000.00"
    assert answers["declaration"] is True
    assert answers["documents"] == ["rib.pdf", "bilan.pdf"]
    assert answers["loss_percent"] == "62.5"
    assert json.loads(json.dumps(answers)) == answers
    assert [u.filename for u in outcome.uploads] == ["rib.pdf", "bilan.pdf"]
    assert {u.content_type for u in outcome.uploads} == {"application/pdf"}


def test_empty_submission_gives_one_message_per_field():
    outcome = validate("aid-request", MultiDict())
    assert not outcome.ok
    defn = load_catalog("aid-request")
    # Questions under a condition do not apply: no headcount, no box ticked.
    fields = [
        f.name
        for f in defn.fields
        if f.required and f.name not in conditional(defn.sections)
    ]
    assert "short_time_employees" not in fields and len(fields) > 15
    assert list(outcome.errors) == fields
    assert all(isinstance(m, str) and m for m in outcome.errors.values())
    assert outcome.answers == {"other_aid": False}  # an unticked box is an answer


@pytest.mark.parametrize(
    "crisis, expected",
    [("15 000", "62.5"), ("40 000", "0.0"), ("50 000", "0.0"), ("0", "100.0"),
     ("13 333,33", "66.7")],
)  # fmt: skip
def test_loss_percent(crisis, expected):
    outcome = validate("aid-request", aid_answers(revenue_crisis=crisis), pdfs("a.pdf"))
    assert outcome.answers["loss_percent"] == expected


def test_loss_percent_absent_when_reference_is_invalid():
    outcome = validate("aid-request", aid_answers(revenue_reference="0"), pdfs("a.pdf"))
    assert "revenue_reference" in outcome.errors
    assert "loss_percent" not in outcome.answers


def test_text_of_one_megabyte_is_refused_as_too_long():
    outcome = validate("aid-request", aid_answers(town="x" * 1_000_000), pdfs("a.pdf"))
    assert list(outcome.errors) == ["town"]
    assert "too long" in outcome.errors["town"]


def test_money_field_refuses_negative_and_absurd_amounts():
    for amount in ("-5", "100 001", "5000,123", "999999999999999999999"):
        outcome = validate(
            "aid-request", aid_answers(amount_requested=amount), pdfs("a.pdf")
        )
        assert list(outcome.errors) == ["amount_requested"], amount


def test_files_are_checked_by_content_count_and_size():
    html = b"<html><body>not a pdf</body></html>"
    outcome = validate("aid-request", aid_answers(), pdfs("facture.pdf", content=html))
    assert (
        "not really in an accepted format (PDF, JPEG, PNG)"
        in outcome.errors["documents"]
    )
    outcome = validate(
        "aid-request", aid_answers(), pdfs(*[f"{n}.pdf" for n in range(6)])
    )
    assert "5 files at most" in outcome.errors["documents"]
    big = PDF + b"0" * (5 * 2**20)
    outcome = validate("aid-request", aid_answers(), pdfs("big.pdf", content=big))
    assert "too big" in outcome.errors["documents"]
    outcome = validate("aid-request", aid_answers(), pdfs("a.pdf"), max_file_size=100)
    assert "too big" in outcome.errors["documents"]
    outcome = validate(
        "aid-request", aid_answers(), pdfs("a.pdf", "b.pdf"), max_files=1
    )
    assert "only one file" in outcome.errors["documents"].lower()


def test_uploaded_file_name_is_cleaned():
    outcome = validate("aid-request", aid_answers(), pdfs("../../etc/passwd\x00.pdf"))
    assert outcome.ok
    assert outcome.answers["documents"] == ["passwd.pdf"]
    assert outcome.uploads[0].filename == "passwd.pdf"


def test_empty_file_parts_count_as_no_file_and_text_cannot_replace_a_file():
    answers = aid_answers()
    answers.add("documents", "rib.pdf")  # a text value under a file field's name
    outcome = validate("aid-request", answers, pdfs(""))
    assert outcome.errors == {"documents": gettext("Add a file.")}


def test_total_number_of_files_across_fields_is_capped():
    compiled = compile_form(load_definition(DATA / "membership.json"))
    files = pdfs("a.pdf", "b.pdf", field="rib")
    outcome = compiled.validate(
        membership_answers(), files, max_file_size=4096, max_files=1
    )
    assert "rib" in outcome.errors


def attestation_answers(**changes):
    today = date.today()
    answers = {
        "first_name": "Zoé", "last_name": "Nguyễn", "birth_date": "12/04/1990",
        "address": "12 rue de l'Œillet", "postal_code": "69003", "town": "Lyon",
        "email": "zoe@example.org", "siret": "35600000000048",
        "organisation_name": "La Poste", "purpose": "work", "purpose_details": "",
        "valid_from": today.isoformat(),
        "valid_to": (today + timedelta(days=7)).isoformat(), "declaration": "y",
    }  # fmt: skip
    answers.update(changes)
    return MultiDict({k: v for k, v in answers.items() if v is not None})


def test_valid_attestation_accepts_french_dates():
    outcome = validate("attestation", attestation_answers())
    assert outcome.ok, outcome.errors
    assert outcome.answers["birth_date"] == "1990-04-12"
    assert "purpose_details" not in outcome.answers  # asked for "other" only
    assert outcome.uploads == []


def test_attestation_dates():
    today = date.today()
    outcome = validate("attestation", attestation_answers(birth_date="9999-01-01"))
    assert list(outcome.errors) == ["birth_date"]
    late = (today + timedelta(days=32)).isoformat()
    outcome = validate("attestation", attestation_answers(valid_to=late))
    assert list(outcome.errors) == ["valid_to"]
    assert "31 days" in outcome.errors["valid_to"]
    exactly = (today + timedelta(days=31)).isoformat()
    assert validate("attestation", attestation_answers(valid_to=exactly)).ok
    before = attestation_answers(
        valid_from=(today + timedelta(days=5)).isoformat(), valid_to=today.isoformat()
    )
    outcome = validate("attestation", before)
    assert "on or after the start date" in outcome.errors["valid_to"]


def test_choice_must_be_one_of_the_options():
    outcome = validate("attestation", attestation_answers(purpose="holidays"))
    assert outcome.errors == {"purpose": gettext("Choose one of the options.")}


def membership_answers(**changes):
    answers = {
        "full_name": "Léa Martin", "email": "lea@example.org",
        "joined_on": "2024-01-15",
        "tier": "basic", "employees": "-2", "fee": "50", "gift": "20",
        "postcode": "13001", "rules_ok": "on",
    }  # fmt: skip
    answers.update(changes)
    return MultiDict({k: v for k, v in answers.items() if v is not None})


def test_custom_form_with_optional_fields_and_not_more_than_rule():
    compiled = compile_form(load_definition(DATA / "membership.json"))
    outcome = compiled.validate(membership_answers(), MultiDict(), **CAPS)
    assert outcome.ok, outcome.errors
    assert outcome.answers["newsletter"] is False
    assert outcome.answers["employees"] == -2
    assert outcome.answers["rib"] == [] and outcome.answers["phone"] is None
    outcome = compiled.validate(membership_answers(gift="60"), MultiDict(), **CAPS)
    assert list(outcome.errors) == ["gift"] and "Cotisation" in outcome.errors["gift"]


def test_messages_follow_the_page_language():
    english = (
        "Enter the 14-digit SIRET number of your establishment, e.g. 732 829 320 00074."
    )
    try:
        use_language("en")
        outcome = validate("aid-request", aid_answers(siret="123"), pdfs("a.pdf"))
        assert outcome.errors == {"siret": english}
        use_language("fr")
        outcome = validate("aid-request", aid_answers(siret="123"), pdfs("a.pdf"))
        assert outcome.errors == {"siret": gettext(english, lang="fr")}
        assert "SIRET" in outcome.errors["siret"]
        assert outcome.errors["siret"] != english
    finally:
        use_language(None)


def test_compiled_form_is_built_once_per_definition():
    defn = load_catalog("aid-request")
    assert compile_form(defn) is compile_form(defn)
    assert compile_form(defn).form_class is compile_form(defn).form_class


def test_html_attributes():
    aid = load_catalog("aid-request")
    siret = html_attributes(aid.field("siret"))
    assert siret["type"] == "text" and siret["inputmode"] == "numeric"
    assert siret["required"] is True and "pattern" in siret
    documents = html_attributes(aid.field("documents"))
    assert (
        documents["accept"]
        == ".pdf,application/pdf,.jpg,.jpeg,image/jpeg,.png,image/png"
    )
    assert documents["multiple"] is True and documents["type"] == "file"
    assert html_attributes(aid.field("email"))["autocomplete"] == "email"
    assert "autocomplete" not in html_attributes(aid.field("iban"))
    assert html_attributes(aid.field("explanation"))["maxlength"] == 5000
    assert "type" not in html_attributes(aid.field("explanation"))
    assert html_attributes(aid.field("declaration"))["type"] == "checkbox"
    birth = html_attributes(load_catalog("attestation").field("birth_date"))
    today = date.today()
    assert birth["type"] == "date" and birth["max"] == today.isoformat()
    assert birth["min"] == today.replace(year=today.year - 120).isoformat()
    optional = html_attributes(load_catalog("adviser-appointment").field("siret"))
    assert "required" not in optional


# Values the server must accept, per type; random variants are added below.
SAMPLES = {
    "email": ["a@b.fr", "zoe.martin+aides@mairie-lyon.example.org", " x@y.co "],
    "tel": ["0612345678", "06 12 34 56 78", "+33 6.12.34.56.78", "06-12-34-56-78",
            "+441234567890123"],
    "postal_code": ["75001", "20000", "97400", "98000", " 01000"],
    "siret": ["73282932000074", "732 829 320 00074", "35600000000048",
              "35600000000015"],
    "siren": ["732829320", "732 829 320"],
    "iban": [IBAN, "FR14 2004 1010 0505 0001 3M02 606", "DE89370400440532013000",
             "fr1420041010050500013m02606"],
    "bic": ["BNPAFRPP", "bnpafrppxxx", "DEUTDEFF500"],
    "number": ["0", "12", "10 000", "-5", "007"],
    "money": ["0", "1234.5", "1 234,50", "1\u00a0234,50\u00a0€", "1\u202f234,50 €",
              "100000 EUR", "99999,99"],
    "date": ["2024-02-29", "29/02/2024", "1/3/2024"],
}  # fmt: skip
_ALPHABETS = {
    "email": "ab@.-+ ",
    "tel": "0123456789 .-+",
    "postal_code": "0123456789 ",
    "siret": "356012 ",
    "siren": "73289 ",
    "iban": "FR0123456789M ",
    "bic": "BNPAFRX0 ",
    "number": "0123456789 -\u00a0",
    "money": "0123456789 ,.€\u00a0",
    "date": "0123456789-/",
}


def _candidates(kind, rng):
    yield from SAMPLES[kind]
    for sample in SAMPLES[kind]:
        for _ in range(150):  # mutate accepted values: most mutations are refused
            chars = list(sample)
            position = rng.randrange(len(chars) + 1)
            chars.insert(position, rng.choice(_ALPHABETS[kind]))
            if rng.random() < 0.5 and len(chars) > 1:
                del chars[rng.randrange(len(chars))]
            yield "".join(chars)


def _all_fields():
    membership = load_definition(DATA / "membership.json")
    fields = [*load_catalog("aid-request").fields, *load_catalog("attestation").fields]
    return [f for f in [*fields, *membership.fields] if f.type in SAMPLES]


def _accepted(field, raw):
    check = value_check(field)
    holder = type("Holder", (), {"data": raw, "errors": [], "name": field.name})()
    try:
        check(None, holder)
    except Exception:  # StopValidation or ValidationError
        return False
    return True


def test_every_accepted_value_matches_pattern_and_maxlength():
    rng = random.Random(1789)
    fields = _all_fields()
    assert {f.type for f in fields} == set(SAMPLES)
    accepted_somewhere: dict[str, set[str]] = {kind: set() for kind in SAMPLES}
    for field in fields:
        check = value_check(field)
        accepted = [
            raw for raw in _candidates(field.type, rng) if _accepted(field, raw)
        ]
        accepted_somewhere[field.type].update(accepted)
        for raw in accepted:
            assert re.fullmatch(check.pattern, raw), (field.name, raw)
            assert utf16_length(raw) <= check.maxlength, (field.name, raw)
    for kind, samples in SAMPLES.items():
        assert set(samples) <= accepted_somewhere[kind], kind


def test_pattern_and_maxlength_go_on_the_controls_that_take_them():
    # HTML allows them on text-like inputs (and maxlength on a textarea); a date
    # input's picker only gives valid dates, which the server checks anyway.
    for field in _all_fields():
        attributes = html_attributes(field)
        check = value_check(field)
        if field.type == "date":
            assert attributes["type"] == "date"
            assert "pattern" not in attributes and "maxlength" not in attributes
        else:
            assert attributes["type"] in ("text", "email", "tel"), field.name
            assert attributes["pattern"] == check.pattern, field.name
            assert attributes["maxlength"] == check.maxlength, field.name


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_patterns_compile_and_match_in_the_browser_regex_engine():
    # Browsers compile `pattern` as ^(?:p)$ with the `v` flag: check with node.
    cases = []
    for field in _all_fields():
        pattern = value_check(field).pattern
        values = [v for v in SAMPLES[field.type] if _accepted(field, v)]
        cases.append({"pattern": pattern, "values": values})
    script = (
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "const bad = [];"
        "for (const c of cases) {"
        "  const re = new RegExp('^(?:' + c.pattern + ')$', 'v');"
        "  for (const v of c.values) if (!re.test(v)) bad.push([c.pattern, v]); }"
        "console.log(JSON.stringify(bad));"
    )
    result = subprocess.run(
        ["node", "-e", script], input=json.dumps(cases), capture_output=True,
        text=True, check=True, timeout=60,
    )  # fmt: skip
    assert json.loads(result.stdout) == []


def test_display_values():
    aid = load_catalog("aid-request")
    iban = display_value(aid.field("iban"), IBAN, "fr")
    assert iban.endswith("2606") and IBAN[:-4] not in iban.replace(" ", "")
    assert set(iban[:-4].replace(" ", "")) == {"\u2022"}
    money = aid.field("amount_requested")
    assert (
        display_value(money, "1234.50", "fr")
        .replace("\u202f", " ")
        .replace("\u00a0", " ")
        == "1 234,50 €"
    )
    assert display_value(money, "1234.50", "en") == "€1,234.50"
    assert display_value(aid.field("declaration"), True, "en") == "Yes"
    assert display_value(aid.field("declaration"), False, "en") == "No"
    assert display_value(aid.field("documents"), ["a.pdf", "b.png"]) == "a.pdf, b.png"
    assert display_value(aid.field("siret"), "73282932000074") == "732 829 320 00074"
    attestation = load_catalog("attestation")
    purpose = attestation.field("purpose")
    assert display_value(purpose, "care", "en") == "Care of a vulnerable relative"
    assert display_value(purpose, "care", "fr") == "Assistance à un proche vulnérable"
    birth = attestation.field("birth_date")
    assert display_value(birth, "1990-04-12", "en") == "Apr 12, 1990"
    assert display_value(birth, "1990-04-12", "fr") == "12 avr. 1990"
    assert display_value(aid.computed[0], "62.5", "en") == "62.5%"
    assert display_value(aid.field("town"), None) == ""
    unmasked = load_definition(DATA / "membership.json").field("bank_account")
    assert display_value(unmasked, IBAN) == "FR14 2004 1010 0505 0001 3M02 606"


def test_one_submission_never_leaks_into_the_next():
    # The bound form is reused per thread; each submission starts from scratch.
    first = validate("aid-request", aid_answers(), pdfs("rib.pdf"))
    assert first.ok and first.uploads
    second = validate("aid-request", aid_answers(town=None, siret=None))
    assert set(second.errors) == {"town", "siret", "documents"}
    assert "town" not in second.answers and second.uploads == []
    third = validate("aid-request", aid_answers(), pdfs("bilan.pdf"))
    assert third.ok and [u.filename for u in third.uploads] == ["bilan.pdf"]
