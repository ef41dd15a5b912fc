import io
import tracemalloc
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from ecitiz_kit.domain import xlsx_export
from ecitiz_kit.domain.request_list import Filters
from ecitiz_kit.forms.loading import load_catalog

from .helpers import ORG, TZ, add_request, at

FORMS = {
    "aid-request": (load_catalog("aid-request"), "Aide"),
    "attestation": (load_catalog("attestation"), "Attestation"),
}
AMOUNT = load_catalog("aid-request").field("amount_requested").label["fr"]


@pytest.fixture
def org(store):
    return store.organisation(ORG)["id"]


def workbook(rows, forms=FORMS, lang="fr"):
    target = io.BytesIO()
    count = xlsx_export.write_xlsx(target, rows, forms, lang, TZ)
    return count, target.getvalue()


def sheet_rows(data):
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_cells_are_typed_dates_as_dates_and_amounts_as_numbers(store, org):
    add_request(
        store, org, at("2026-11-29 13:05"),
        amount_requested="1500.50", loss_percent="75.0",
    )  # fmt: skip
    rows = store.iter_requests(org, **Filters().for_store(TZ))
    count, data = workbook(rows, {"aid-request": FORMS["aid-request"]})
    assert count == 1
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    header = [cell.value for cell in sheet[1]]
    row = sheet[2]
    received = row[header.index("Reçue le")]
    assert received.value == datetime(2026, 11, 29, 14, 5)  # Paris time
    assert received.is_date and "yy" in received.number_format
    amount = row[header.index(AMOUNT)]
    assert amount.value == 1500.5 and amount.data_type == "n"
    assert amount.number_format == "#,##0.00"
    drop = row[header.index("Perte de chiffre d’affaires")]
    assert drop.value == 75.0 and drop.data_type == "n"
    first = row[header.index("Prénom")]
    assert first.value == "Camille" and first.data_type == "s"


def test_answers_to_a_date_question_are_dates(store, org):
    add_request(store, org, at("2026-11-29 13:05"), form_id="attestation",
                birth_date="1990-02-03")  # fmt: skip
    _count, data = workbook(store.iter_requests(org))
    header, row = sheet_rows(data)
    label = load_catalog("attestation").field("birth_date").label["fr"]
    assert row[header.index(label)] == datetime(1990, 2, 3)  # a date cell
    assert isinstance(row[header.index(label)], (date, datetime))


@pytest.mark.parametrize(
    "value", ["=1+1", "+33 6 12", "-2+3", "@SUM(A1)", '=HYPERLINK("http://x")']
)
def test_formula_like_answers_stay_text(store, org, value):
    add_request(store, org, at("2026-11-29 13:05"), last=value)
    _count, data = workbook(store.iter_requests(org))
    header, row = sheet_rows(data)
    assert row[header.index("Nom")] == value
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml


def test_an_answer_that_is_not_a_number_stays_text(store, org):
    add_request(store, org, at("2026-11-29 13:05"), amount_requested="beaucoup")
    _count, data = workbook(store.iter_requests(org))
    header, row = sheet_rows(data)
    assert row[header.index(AMOUNT)] == "beaucoup"


def test_a_failed_export_leaves_no_temporary_file(tmp_path):
    def rows():
        yield from ()
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        xlsx_export.write_xlsx(
            tmp_path / "x.xlsx", rows(), FORMS, "fr", TZ, tmpdir=str(tmp_path)
        )
    assert [p.name for p in tmp_path.iterdir() if p.name != "x.xlsx"] == []


def _rows(count):
    answers = {
        "first_name": "Camille", "last_name": "Durand", "email": "c@example.org",
        "amount_requested": "1500.50", "revenue_reference": "20000",
        "revenue_crisis": "12000", "iban": "FR1420041010050500013M02606",
    }  # fmt: skip
    for number in range(count):
        yield {
            "reference": f"AID-{number:09d}",
            "form_id": "aid-request",
            "status": "submitted",
            "created_at": "2026-11-29T13:05:00.000000Z",
            "updated_at": "2026-11-29T13:05:00.000000Z",
            "answers": answers,
        }


def _peak(count, folder):
    tracemalloc.start()
    try:
        xlsx_export.write_xlsx(
            folder / f"{count}.xlsx", _rows(count), FORMS, "fr", TZ,
            tmpdir=str(folder),
        )  # fmt: skip
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_rows(tmp_path):
    # Ten times the rows, (nearly) the same peak: rows are written to disk as
    # they come. (200,000 rows measured the same way: see CHANGES.md.)
    small, large = _peak(500, tmp_path), _peak(5_000, tmp_path)
    assert large < small * 1.5 + 256 * 1024, (small, large)
    assert (tmp_path / "5000.xlsx").stat().st_size > 10 * 5_000


def test_rows_beyond_what_a_spreadsheet_opens_are_left_out(monkeypatch):
    monkeypatch.setattr(xlsx_export, "MAX_ROWS", 2)
    count, data = workbook(_rows(3))
    assert count == 2
    assert len(sheet_rows(data)) == 3  # the header and two rows
