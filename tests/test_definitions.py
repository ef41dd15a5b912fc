import copy
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from ecitiz_kit.errors import DefinitionError
from ecitiz_kit.forms.definitions import FIELD_TYPES, FormDefinition
from ecitiz_kit.forms.loading import (
    catalog_ids,
    definition_to_json,
    load_catalog,
    load_definition,
    parse_definition,
)
from ecitiz_kit.i18n import text

DATA = Path(__file__).parent / "data" / "definitions"
MEMBERSHIP = json.loads((DATA / "membership.json").read_text(encoding="utf-8"))


def membership(**changes):
    data = copy.deepcopy(MEMBERSHIP)
    data.update(changes)
    return data


def with_field(target, /, **changes):
    data = copy.deepcopy(MEMBERSHIP)
    for field in data["sections"][0]["fields"]:
        if field["name"] == target:
            field.update(changes)
            for key in [k for k, v in changes.items() if v is None]:
                del field[key]
    return data


def test_catalog_lists_and_loads_the_ready_made_forms():
    assert catalog_ids() == (
        "activity-declaration", "adviser-appointment", "aid-request", "attestation",
        "payment-deferral",
    )  # fmt: skip
    aid = load_catalog("aid-request")
    assert (aid.id, aid.reference_prefix, aid.has_files) == ("aid-request", "AID", True)
    assert aid.field("revenue_reference").min == Decimal("1.00")
    assert aid.field("amount_requested").max == Decimal("100000.00")
    documents = aid.field("documents")
    assert (documents.min_files, documents.max_files, documents.max_size) == (
        1,
        5,
        5 * 2**20,
    )
    assert {f.name for f in aid.fields if f.prefill} == {
        "siret", "legal_name", "postal_code", "town", "email",
    }  # fmt: skip
    assert [c.name for c in aid.computed] == ["loss_percent"]
    assert aid.field("iban").mask is True
    attestation = load_catalog("attestation")
    assert attestation.has_files is False
    assert attestation.rules[0].max_days == 31
    assert load_catalog("attestation") is attestation  # cached
    deferral = load_catalog("payment-deferral")
    assert (deferral.reference_prefix, deferral.has_files) == ("DEF", True)
    assert deferral.field("documents").min_files == 0  # the bill helps, if at hand
    assert load_catalog("adviser-appointment").field("siret").required is False
    declaration = load_catalog("activity-declaration")
    assert (declaration.rules[0].start, declaration.rules[0].end) == (
        "from_date",
        "until_date",
    )


def test_ready_made_forms_have_their_own_prefix_and_defaults():
    forms = [load_catalog(form_id) for form_id in catalog_ids()]
    prefixes = [defn.reference_prefix for defn in forms]
    assert len(set(prefixes)) == len(prefixes)
    for defn in forms:
        assert defn.retention_days and defn.decision_days, defn.id
        assert defn.decision_days < defn.retention_days, defn.id


def test_ready_made_forms_name_their_applicant_and_ask_consent():
    for form_id in catalog_ids():
        defn = load_catalog(form_id)
        answers = {f.name: f"{f.name} value" for f in defn.fields}
        name, email = defn.applicant_contact(answers)
        assert (name, email) == ("first_name value last_name value", "email value")
        assert any(f.type == "consent" for f in defn.fields), form_id


def test_catalog_texts_exist_in_both_languages():
    for form_id in catalog_ids():
        defn = load_catalog(form_id)
        texts = [defn.title, defn.intro, *(s.title for s in defn.sections)]
        texts += [defn.summary, *defn.prepare]
        texts += [f.label for f in defn.fields] + [
            f.help for f in defn.fields if f.help
        ]
        texts += [s.help for s in defn.sections if s.help]
        texts += [o.label for f in defn.fields for o in f.options or ()]
        for item in texts:
            assert text(item, "fr").strip() and text(item, "en").strip()
            assert set(item) == {"fr", "en"}, item


def test_ready_made_labels_leave_saying_optional_to_the_page():
    # The form page adds "(optional)" after the label of every optional field.
    for form_id in catalog_ids():
        for field in load_catalog(form_id).fields:
            for lang, said in (("fr", "facultatif"), ("en", "optional")):
                assert said not in text(field.label, lang).lower(), field.name


def test_ready_made_forms_say_what_they_are_for_and_what_to_prepare():
    for form_id in catalog_ids():
        defn = load_catalog(form_id)
        assert defn.summary and defn.prepare, form_id
        assert 1 <= (defn.minutes or 0) <= 60, form_id


def test_procedure_description_reads_back_and_is_optional():
    described = membership(
        summary={"fr": "Pour adhérer.", "en": "To join."},
        minutes=5,
        prepare=["Une pièce d’identité", {"fr": "Un RIB", "en": "Bank details"}],
    )
    defn = parse_definition(described, "membership.json")
    assert (text(defn.summary, "en"), defn.minutes) == ("To join.", 5)
    assert [text(item, "en") for item in defn.prepare] == [
        "Une pièce d’identité",
        "Bank details",
    ]
    again = parse_definition(json.loads(definition_to_json(defn)), "again")
    assert again == defn
    plain = parse_definition(membership(), "membership.json")
    assert (plain.summary, plain.minutes, plain.prepare) == (None, None, ())
    assert "prepare" not in json.loads(definition_to_json(plain))


def test_retention_and_decision_days_read_back_and_are_optional():
    defn = parse_definition(
        membership(retention_days=365, decision_days=15), "membership.json"
    )
    assert (defn.retention_days, defn.decision_days) == (365, 15)
    stored = json.loads(definition_to_json(defn))
    assert (stored["retention_days"], stored["decision_days"]) == (365, 15)
    assert parse_definition(stored, "again") == defn
    plain = parse_definition(membership(), "membership.json")
    assert (plain.retention_days, plain.decision_days) == (None, None)
    assert "decision_days" not in json.loads(definition_to_json(plain))


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("retention_days", 0, "'retention_days' must be between 1 and 36500"),
        ("retention_days", 36501, "'retention_days' must be between 1 and 36500"),
        ("retention_days", "730", "'retention_days' must be a whole number"),
        ("retention_days", 730.5, "'retention_days' must be a whole number"),
        ("decision_days", True, "'decision_days' must be a whole number"),
        ("decision_days", 0, "'decision_days' must be between 1 and 730"),
        ("decision_days", 731, "'decision_days' must be between 1 and 730"),
    ],
)
def test_bad_retention_or_decision_days_are_refused(key, value, problem):
    with pytest.raises(DefinitionError, match=re.escape(f"membership.json: {problem}")):
        parse_definition(membership(**{key: value}), "membership.json")


def test_unknown_ready_made_form():
    with pytest.raises(DefinitionError, match=r"unknown ready-made form 'nope' "
                       r"\(available: activity-declaration, adviser-appointment, "
                       r"aid-request, attestation, payment-deferral\)"):  # fmt: skip
        load_catalog("nope")


def test_field_lookup_and_order():
    defn = load_definition(DATA / "membership.json")
    assert isinstance(defn, FormDefinition)
    assert defn.fields[0].name == "full_name" and defn.field("fee").type == "money"
    with pytest.raises(KeyError):
        defn.field("missing")
    assert isinstance(defn.fields, tuple) and isinstance(defn.sections, tuple)


def test_defaults_are_filled_in():
    defn = load_definition(DATA / "membership.json")
    assert defn.field("full_name").max_length == 200
    assert defn.field("newsletter").required is False  # checkbox default
    assert defn.field("rules_ok").required is True
    assert defn.field("email").prefill is True and defn.field("fee").prefill is False
    joined = defn.field("joined_on")
    assert (joined.min, joined.max) == ("2000-01-01", "today+30d")
    gift = defn.field("gift")
    assert (gift.min, gift.max) == (Decimal("0.00"), Decimal("100000000.00"))
    rib = defn.field("rib")
    assert (rib.min_files, rib.max_files, rib.accept) == (0, 2, ("application/pdf",))
    assert defn.field("bank_account").mask is False
    assert defn.field("full_name").options is None


def test_canonical_json_reads_back_identically():
    for defn in (
        load_definition(DATA / "membership.json"),
        *(load_catalog(form_id) for form_id in catalog_ids()),
    ):
        stored = definition_to_json(defn)
        again = parse_definition(json.loads(stored), "stored")
        assert again == defn and again.digest == defn.digest
        assert definition_to_json(again) == stored


def test_digest_changes_with_content_not_with_layout():
    first = parse_definition(membership(), "a.json")
    reordered = json.loads(
        json.dumps(membership()), object_pairs_hook=lambda p: dict(reversed(p))
    )
    assert parse_definition(reordered, "b.json").digest == first.digest
    assert parse_definition(membership(version=4), "a.json").digest != first.digest


def test_unreadable_files_name_the_file_and_line():
    with pytest.raises(
        DefinitionError, match=r"not-json\.json: not valid JSON, line 5"
    ):
        load_definition(DATA / "not-json.json")
    with pytest.raises(DefinitionError, match=r"not-an-object\.json: .*JSON object"):
        load_definition(DATA / "not-an-object.json")
    with pytest.raises(
        DefinitionError,
        match=r"unknown-type\.json: field 'siren': unknown type 'sirett' "
        r"\(known: text, textarea",
    ):
        load_definition(DATA / "unknown-type.json")


def test_duplicate_json_keys_are_refused(tmp_path):
    path = tmp_path / "dup.json"
    path.write_text('{"format": 1, "id": "a", "id": "b"}')
    with pytest.raises(DefinitionError, match="dup.json: duplicate key 'id'"):
        load_definition(path)


BROKEN = [
    (membership(format=2), "'format' must be 1"),
    (membership(id="Bad Id"), "'id' must match"),
    (membership(version=0), "'version' must be between"),
    (membership(reference_prefix="memb"), "'reference_prefix' must match"),
    (membership(titel="typo"), "unknown key 'titel'"),
    (membership(title={"en": "English only"}), "'title' needs a French text"),
    (membership(sections=[]), "'sections' must be a non-empty list"),
    (with_field("fee", name="full_name"), "duplicate field 'full_name'"),
    (
        with_field("fee", name="website"),
        "field 'website': the name 'website' is reserved",
    ),
    (with_field("fee", lable="Cotisation"), "field 'fee': unknown key 'lable'"),
    (with_field("fee", label=None), "field 'fee': missing key 'label'"),
    (with_field("fee", label={"fr": ""}), "field 'fee': 'label' needs a French text"),
    (with_field("fee", min=-1), "field 'fee': 'min' must be between"),
    (with_field("fee", max="1.234"), "field 'fee': 'max' must be an amount"),
    (with_field("fee", min=3000), "field 'fee': 'min' 3000.00 is more than 'max'"),
    (
        with_field("full_name", max_length=5000),
        "field 'full_name': 'max_length' must be",
    ),
    (
        with_field("full_name", max_length="50"),
        "field 'full_name': 'max_length' must be",
    ),
    (with_field("full_name", rows=3), "field 'full_name': unknown key 'rows'"),
    (
        with_field("employees", min=1.5),
        "field 'employees': 'min' must be a whole number",
    ),
    (
        with_field("joined_on", max="tomorrow"),
        "field 'joined_on': 'max' must be a date",
    ),
    (
        with_field("joined_on", min="2024-02-30"),
        "field 'joined_on': 'min' must be a date",
    ),
    (
        with_field("joined_on", min="2999-01-01", max="2100-12-31"),
        "field 'joined_on': 'min' 2999-01-01 is after",
    ),
    (
        with_field("tier", options=[]),
        "field 'tier': 'options' must be a non-empty list",
    ),
    (
        with_field(
            "tier", options=[{"value": "a", "label": "A"}, {"value": "a", "label": "B"}]
        ),
        "field 'tier': option value 'a'",
    ),
    (
        with_field("tier", options=[{"value": "", "label": "A"}]),
        "field 'tier', option 1",
    ),
    (
        with_field("tier", options=[{"value": "a"}]),
        "field 'tier', option 1: missing key",
    ),
    (with_field("tier", widget="checkboxes"), "field 'tier': 'widget' must be"),
    (with_field("rib", accept=["text/html"]), "field 'rib': 'accept' must list"),
    (with_field("rib", max_files=0), "field 'rib': 'max_files' must be between"),
    (
        with_field("rib", min_files=1),
        "field 'rib': 'min_files' must be at least 1 exactly",
    ),
    (with_field("rib", max_size=10**12), "field 'rib': 'max_size' must be between"),
    (with_field("rib", prefill=True), "field 'rib': a file field cannot be prefilled"),
    (
        with_field("rules_ok", required=False),
        "field 'rules_ok': a consent is always required",
    ),
    (
        with_field("fee", required="yes"),
        "field 'fee': 'required' must be true or false",
    ),
    (
        with_field("email", autocomplete="e-mail"),
        "field 'email': 'autocomplete' 'e-mail'",
    ),
    (
        with_field("bank_account", autocomplete="iban"),
        "field 'bank_account': 'autocomplete'",
    ),
    (
        with_field("newsletter", autocomplete="on"),
        "field 'newsletter': 'autocomplete' does",
    ),
    (
        # One line of HTML cannot take a multi-line autofill token.
        with_field("full_name", autocomplete="street-address"),
        "field 'full_name': 'street-address' is for several lines",
    ),
    (with_field("fee", name="Fee"), "'name' must match"),
    (membership(rules=[{"type": "after"}]), "rule 1: unknown rule type 'after'"),
    (
        membership(rules=[{"type": "date_order", "start": "joined_on", "end": "nope"}]),
        "rule 1 (date_order): 'end' names no field of this form: 'nope'",
    ),
    (
        membership(rules=[{"type": "date_order", "start": "joined_on", "end": "fee"}]),
        "rule 1 (date_order): 'end' field 'fee' must be of type date",
    ),
    (
        membership(
            rules=[{"type": "not_more_than", "field": "gift", "than": "employees"}]
        ),
        "rule 1 (not_more_than): 'field' and 'than' must have the same type",
    ),
    (
        membership(
            rules=[{"type": "not_more_than", "field": "gift", "than": "fee", "x": 1}]
        ),
        "rule 1 (not_more_than): unknown key 'x'",
    ),
    (
        membership(
            computed=[
                {
                    "name": "fee",
                    "type": "percentage_drop",
                    "from": "fee",
                    "to": "gift",
                    "label": "x",
                }
            ]
        ),  # fmt: skip
        "duplicate name 'fee'",
    ),
    (
        membership(
            computed=[
                {
                    "name": "drop",
                    "type": "percentage_drop",
                    "from": "fee",
                    "to": "full_name",
                    "label": "x",
                }
            ]
        ),  # fmt: skip
        "computed 'drop': 'to' field 'full_name' must be of type number or money",
    ),
]


BROKEN += [
    (membership(minutes=0), "'minutes' must be between 1 and 600"),
    (membership(minutes="10"), "'minutes' must be a whole number"),
    (membership(prepare="un RIB"), "'prepare' must be a list"),
    (membership(prepare=[""]), "'prepare' must be a text"),
    (membership(summary={"en": "x"}), "'summary' needs a French text"),
]


@pytest.mark.parametrize("data, problem", BROKEN, ids=[p for _, p in BROKEN])
def test_malformed_definitions_are_refused_with_file_and_place(data, problem):
    with pytest.raises(DefinitionError) as error:
        parse_definition(data, "membership.json")
    message = str(error.value)
    assert message.startswith("membership.json: ")
    assert problem in message


def test_definition_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_definition({"format": 1}, "x.json")


def test_the_documented_example_loads_and_every_type_is_documented():
    docs = (Path(__file__).parents[1] / "docs" / "form-definitions.md").read_text()
    example = docs.split("```json\n", 1)[1].split("```", 1)[0]
    assert parse_definition(json.loads(example), "docs").id == "membership"
    for field_type in FIELD_TYPES:
        assert f"| `{field_type}` |" in docs, field_type


ATTESTATION = json.loads(
    (
        Path(__file__).parent.parent / "ecitiz_kit/forms/catalog/attestation.json"
    ).read_text(encoding="utf-8")
)


def attestation_with_document(**changes):
    data = copy.deepcopy(ATTESTATION)
    data["document"].update(changes)
    return data


def test_attestation_describes_its_document():
    spec = load_catalog("attestation").document
    assert (spec.type, spec.first_name, spec.valid_to) == (
        "attestation",
        "first_name",
        "valid_to",
    )
    assert "birth_date" in spec.details and spec.template_version == 1
    assert load_catalog("aid-request").document is None


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({"type": "certificate"}, "unknown type 'certificate'"),
        ({"first_name": "nickname"}, "'first_name' names no field"),
        ({"last_name": "purpose"}, "required text field"),
        ({"valid_from": "birth_date", "valid_to": "birth_date"}, "different fields"),
        ({"details": ["town", "nowhere"]}, "'details' must list fields"),
        ({"template_version": 0}, "'template_version' must be between"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_malformed_documents_are_refused(changes, problem):
    with pytest.raises(DefinitionError) as caught:
        parse_definition(attestation_with_document(**changes), "mine.json")
    message = str(caught.value)
    assert message.startswith("mine.json: document") and problem in message
