import csv
import io

import pytest

from ecitiz_kit import lifecycle
from ecitiz_kit.domain import exports
from ecitiz_kit.domain.request_list import Filters
from ecitiz_kit.forms.loading import load_catalog, parse_definition

from .helpers import IBAN, ORG, TZ, add_request, at

FORMS = {
    "aid-request": (load_catalog("aid-request"), "Aide"),
    "attestation": (load_catalog("attestation"), "Attestation"),
}
AID_ONLY = {"aid-request": FORMS["aid-request"]}


@pytest.fixture
def org(store):
    return store.organisation(ORG)["id"]


def export_text(rows, forms=AID_ONLY, lang="fr"):
    return "".join(exports.csv_chunks(rows, forms, lang, TZ))


def parse(text, lang="fr"):
    assert text.startswith(exports.BOM)
    return list(csv.reader(io.StringIO(text[1:]), delimiter=exports.delimiter(lang)))


def test_export_starts_with_a_bom_and_has_one_column_per_question(store, org):
    add_request(store, org, at("2026-11-29 13:05"))
    text = export_text(store.iter_requests(org, **Filters().for_store(TZ)))
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    header, row = parse(text)
    definition = load_catalog("aid-request")
    labels = [f.label["fr"] for f in definition.fields]
    # The computed loss comes right after the crisis revenue it is worked out from.
    labels.insert(labels.index(definition.field("revenue_crisis").label["fr"]) + 1,
                  "Perte de chiffre d’affaires")  # fmt: skip
    assert header[:5] == [
        "Numéro de dossier", "Formulaire", "Statut", "Reçue le",
        "Dernière modification",
    ]  # fmt: skip
    assert header[5:] == labels
    assert row[1:5] == [
        "Aide",
        lifecycle.status_name("submitted", "fr"),
        "2026-11-29 14:05",  # Paris time
        "2026-11-29 14:05",
    ]
    assert row[header.index("Prénom")] == "Camille"


def test_forms_share_the_columns_of_the_same_question_and_leave_others_empty(
    store, org
):
    add_request(store, org, at("2026-11-02 10:00"), last="Roux")
    add_request(store, org, at("2026-11-03 10:00"), form_id="attestation",
                last="Blanc", purpose="work")  # fmt: skip
    text = export_text(store.iter_requests(org, **Filters().for_store(TZ)), FORMS)
    header, newest, oldest = parse(text)
    assert header.count("Nom") == 1 and header.count("Prénom") == 1
    # Both forms have a "declaration" consent, with different statements.
    consents = [h for h in header if h.startswith("Je certifie")]
    assert len(consents) == 2
    assert newest[header.index("Nom")] == "Blanc"
    assert oldest[header.index("Nom")] == "Roux"
    motive = header.index(load_catalog("attestation").field("purpose").label["fr"])
    assert newest[motive] != "" and newest[motive] != "work"  # the option's label
    assert oldest[motive] == ""


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_cells_starting_like_a_formula_are_neutralised(store, org, start):
    value = f'{start}HYPERLINK("http://evil.example","x")'
    add_request(store, org, at("2026-11-02 10:00"), first=value, activity=value)
    header, row = parse(
        export_text(store.iter_requests(org, **Filters().for_store(TZ)))
    )
    assert row[header.index("Prénom")] == "'" + value
    assert row[header.index("Activité principale")] == "'" + value
    assert not any(cell[:1] in exports.DANGEROUS_STARTS for cell in row)


def test_safe_cells_are_left_alone():
    for cell in ("Durand", " =1", "'=1", "1-2", "", "a@b"):
        assert exports.neutralise(cell) == cell


def test_labels_and_form_titles_are_neutralised_too():
    definition = parse_definition(
        {"format": 1, "id": "club", "version": 1, "reference_prefix": "CLB",
         "title": "Club", "sections": [{"id": "s", "title": "S", "fields": [
             {"name": "total", "type": "text", "label": "=SUM(A1:A9)"}]}]},
        "club.json",
    )  # fmt: skip
    row = {
        "reference": "CLB-AAAA-BBBB", "form_id": "club", "status": "closed",
        "created_at": "2026-11-02T10:00:00.000000Z",
        "updated_at": "2026-11-02T10:00:00.000000Z", "answers": '{"total": "@x"}',
    }  # fmt: skip
    text = "".join(
        exports.csv_chunks(
            [row], {"club": (definition, "+cmd|' /C calc'!A0")}, "fr", TZ
        )
    )
    header, cells = parse(text)
    assert header[-1] == "'=SUM(A1:A9)"
    assert cells[1] == "'+cmd|' /C calc'!A0" and cells[-1] == "'@x"


def test_names_survive_in_utf8_and_values_are_exported_in_full(store, org):
    add_request(
        store, org, at("2026-11-02 10:00"),
        first="Zoé", last="Nguyễn", iban=IBAN, declaration=True,
        documents=["rib.pdf", "bilan 2025.pdf"], revenue_crisis="15000.50",
        explanation="Ligne 1\nLigne 2; avec \"guillemets\"",
    )  # fmt: skip
    raw = export_text(store.iter_requests(org, **Filters().for_store(TZ))).encode()
    header, row = parse(raw.decode("utf-8"))
    cell = dict(zip(header, row, strict=True))
    assert (cell["Prénom"], cell["Nom"]) == ("Zoé", "Nguyễn")
    assert cell["IBAN"] == IBAN  # staff pay the aid with it: not masked
    assert cell["Vos justificatifs"] == "rib.pdf, bilan 2025.pdf"
    assert cell["Expliquez votre situation"] == 'Ligne 1\nLigne 2; avec "guillemets"'
    revenue = load_catalog("aid-request").field("revenue_crisis").label["fr"]
    assert cell[revenue] == "15000,50"  # a decimal comma in French
    consent = [h for h in header if h.startswith("Je certifie")][0]
    assert cell[consent] == "Oui"


def test_english_export_uses_commas_and_a_decimal_point(store, org):
    add_request(store, org, at("2026-11-02 10:00"), revenue_crisis="15000.50")
    text = export_text(store.iter_requests(org, **Filters().for_store(TZ)), lang="en")
    header, row = parse(text, "en")
    assert header[5] == "First name"
    assert row[header.index("Revenue over the crisis period (in euros)")] == "15000.50"


def test_rows_are_read_only_as_chunks_are_asked_for():
    pulled = []

    def rows():
        for n in range(1000):
            pulled.append(n)
            yield {
                "reference": f"AID-AAAA-{n:04d}", "form_id": "aid-request",
                "status": "submitted", "created_at": "2026-11-02T10:00:00.000000Z",
                "updated_at": "2026-11-02T10:00:00.000000Z",
                "answers": '{"first_name": "Léa"}',
            }  # fmt: skip

    chunks = exports.csv_chunks(rows(), AID_ONLY, "fr", TZ, rows_per_chunk=100)
    first = next(chunks)
    assert first.startswith(exports.BOM) and len(pulled) == 100
    next(chunks)
    assert len(pulled) == 200
    rest = list(chunks)
    assert len(pulled) == 1000 and len(rest) == 9
    assert sum(chunk.count("\r\n") for chunk in [first, *rest]) == 1001 - 100


def test_the_store_is_read_in_batches_newest_first(store, org, monkeypatch):
    made = [add_request(store, org, at(f"2026-11-{n % 9 + 1:02d} 10:00"))
            for n in range(35)]  # fmt: skip
    calls = []
    real = store.request_page

    def spy(*args, **kwargs):
        rows = real(*args, **kwargs)
        calls.append((kwargs["limit"], len(rows)))
        return rows

    monkeypatch.setattr(store, "request_page", spy)
    rows = store.iter_requests(org, batch_size=10, **Filters().for_store(TZ))
    assert calls == []  # nothing read before the first row is asked for
    first = next(rows)
    assert calls == [(10, 10)] and "answers" in first
    got = [first["id"], *(row["id"] for row in rows)]
    assert calls == [(10, 10), (10, 10), (10, 10), (10, 5)]
    expected = sorted(made, key=lambda r: (r["created_at"], r["id"]), reverse=True)
    assert got == [r["id"] for r in expected]
