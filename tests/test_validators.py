import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from werkzeug.datastructures import FileStorage
from wtforms.validators import StopValidation, ValidationError

from ecitiz_kit.forms.files import FileCheck, clean_filename
from ecitiz_kit.forms.validators import (
    BicCheck,
    DateCheck,
    EmailCheck,
    IbanCheck,
    MoneyCheck,
    NumberCheck,
    PostalCodeCheck,
    SirenCheck,
    SiretCheck,
    TelCheck,
    TextCheck,
)

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """Check messages against their English text (French is the default)."""
    import ecitiz_kit.i18n

    monkeypatch.setattr(ecitiz_kit.i18n, "FALLBACK_LANGUAGE", "en")


REFUSED = (StopValidation, ValidationError)


class FakeField:
    def __init__(self, data, name="x"):
        self.data = data
        self.name = name
        self.errors = []


def clean(check, raw):
    field = FakeField(raw)
    check(None, field)
    return field.data


def refused(check, raw) -> str:
    with pytest.raises(REFUSED) as error:
        clean(check, raw)
    return str(error.value)


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("73282932000074", "73282932000074"),
        ("732 829 320 00074", "73282932000074"),
        ("35600000000048", "35600000000048"),  # La Poste head office (Luhn valid)
        ("35600000000015", "35600000000015"),  # La Poste: digit sum 20, Luhn fails
    ],
)
def test_siret_accepted_and_stored_compact(raw, stored):
    assert clean(SiretCheck(), raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "73282932000075",  # check digit wrong
        "35600000000002",  # La Poste, digit sum 16: not a multiple of 5
        "7328293200007",  # 13 digits
        "7328293200007A",
        "732-829-320-00074",
    ],
)
def test_siret_refused(raw):
    assert "SIRET" in refused(SiretCheck(), raw)


def test_siret_wrong_checksum_message_differs_from_format_message():
    assert "is not valid" in refused(SiretCheck(), "73282932000075")
    assert "14-digit" in refused(SiretCheck(), "123")


def test_siren():
    assert clean(SirenCheck(), "732 829 320") == "732829320"
    assert "SIREN" in refused(SirenCheck(), "732829321")
    assert "SIREN" in refused(SirenCheck(), "73282932")


def test_iban():
    assert clean(IbanCheck(), "FR14 2004 1010 0505 0001 3M02 606") == (
        "FR1420041010050500013M02606"
    )
    assert clean(IbanCheck(), "fr1420041010050500013m02606") == (
        "FR1420041010050500013M02606"
    )
    assert clean(IbanCheck(), "DE89370400440532013000") == "DE89370400440532013000"
    assert "IBAN" in refused(IbanCheck(), "FR1420041010050500013M02607")
    assert "IBAN" in refused(IbanCheck(), "FR1420041010050500013M0260")


def test_bic():
    assert clean(BicCheck(), "bnpafrpp") == "BNPAFRPP"
    assert clean(BicCheck(), "BNPAFRPPXXX") == "BNPAFRPPXXX"
    assert "BIC" in refused(BicCheck(), "BNPA1RPP")  # country must be letters
    assert "BIC" in refused(BicCheck(), "BNPAFRPPX")


@pytest.mark.parametrize("raw", ["75001", "20000", "97400", "98000", " 69003 "])
def test_postal_code_accepted(raw):
    assert clean(PostalCodeCheck(), raw) == raw.strip()


@pytest.mark.parametrize("raw", ["00100", "99000", "96000", "7500", "750011", "2A004"])
def test_postal_code_refused(raw):
    assert "postal code" in refused(PostalCodeCheck(), raw)


def test_email():
    assert clean(EmailCheck(), "Zoe.Martin@Example.FR") == "Zoe.Martin@example.fr"
    for raw in ["zoe", "zoe@example", "zoe@@example.fr", "zo e@example.fr",
                "zoe@example..fr", "a@b.c" + "c" * 250]:  # fmt: skip
        refused(EmailCheck(), raw)


def test_tel():
    assert clean(TelCheck(), "06 12 34 56 78") == "0612345678"
    assert clean(TelCheck(), "+33 6.12.34.56.78") == "+33612345678"
    for raw in [
        "06 12 34 56",
        "+33 6 12 34 56 78 90 12 34",
        "06-12-34-56-7x",
        "++33612345678",
    ]:
        refused(TelCheck(), raw)


def test_money_parsing():
    check = MoneyCheck(Decimal("0.00"), Decimal("100000000.00"))
    assert clean(check, "1234.5") == Decimal("1234.50")
    assert clean(check, "1 234,50") == Decimal("1234.50")
    assert clean(check, "1\u00a0234,50\u00a0€") == Decimal("1234.50")
    assert clean(check, "1\u202f234,50 €") == Decimal("1234.50")
    assert clean(check, "12 345 678 EUR") == Decimal("12345678.00")
    assert "amount" in refused(check, "-5")
    assert "2 decimals" in refused(check, "12.3456789012")
    assert "amount" in refused(check, "1e5")
    assert "between" in refused(check, "999 999 999")
    assert "too long" in refused(check, "9" * 40)


def test_money_minimum():
    assert "between" in refused(MoneyCheck(Decimal("1.00"), Decimal("100.00")), "0,99")


def test_number_limits_and_sign():
    check = NumberCheck(0, 1000)
    assert clean(check, "1 000") == 1000
    refused(check, "1001")
    refused(check, "-1")
    refused(check, "2.5")
    assert clean(NumberCheck(-5, 5), "-5") == -5


def test_dates_iso_and_french_order():
    check = DateCheck("1900-01-01", "2100-12-31")
    assert clean(check, "2024-02-29") == date(2024, 2, 29)
    assert clean(check, "29/02/2024") == date(2024, 2, 29)
    assert clean(check, "1/3/2024") == date(2024, 3, 1)
    assert "on or before" in refused(check, "9999-01-01")
    assert "does not exist" in refused(check, "31/02/2024")
    assert "day/month/year" in refused(check, "2024/02/01")


def test_relative_date_limits_are_resolved_at_validation_time():
    check = DateCheck("today-120y", "today")
    today = date.today()
    assert clean(check, today.isoformat()) == today
    assert "on or before" in refused(check, (today + timedelta(days=1)).isoformat())
    assert "on or after" in refused(
        check, today.replace(year=today.year - 121).isoformat()
    )


def test_text_too_long_counts_like_the_browser():
    check = TextCheck(200, None, multiline=False)
    assert "too long" in refused(check, "a" * 1_000_000)
    assert clean(check, "é" * 200) == "é" * 200
    assert "too long" in refused(check, "😀" * 101)  # two UTF-16 units each
    area = TextCheck(10, None, multiline=True)
    assert clean(area, "abcd\r\nefgh") == "abcd\nefgh"  # CR LF counts as one


def test_text_refuses_control_characters_and_short_answers():
    assert "control" in refused(TextCheck(200, None, False), "abc\x00def")
    assert "too short" in refused(TextCheck(200, 5, False), "abc")


def test_text_keeps_tabs_and_line_breaks_where_they_belong():
    line, area = TextCheck(200, None, False), TextCheck(200, None, True)
    assert clean(line, "a\tb") == "a\tb"
    assert clean(area, "a\tb\nc") == "a\tb\nc"
    assert "control" in refused(line, "a\nb")
    for control in ("\x08", "\x0b", "\x1f", "\x7f", "\x85", "\x9f"):  # C0, DEL, C1
        assert "control" in refused(area, f"a{control}b"), repr(control)
    assert clean(area, "a\xa0b") == "a\xa0b"  # not a control: a no-break space


def part(data: bytes, name: str) -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name)


def run_files(check, parts, caps=(10_000_000, 10)):
    form = type("F", (), {"upload_caps": caps})()
    field = FakeField(parts, name="documents")
    check(form, field)
    return field.data


def test_real_pdf_accepted_with_detected_type():
    check = FileCheck(["application/pdf", "image/png"], 1000, 1, 2)
    [upload] = run_files(check, [part(PDF, "justificatif.PDF"), part(b"", "")])
    assert (upload.field, upload.filename) == ("documents", "justificatif.PDF")
    assert (upload.content_type, upload.size, upload.data) == (
        "application/pdf",
        len(PDF),
        PDF,
    )


def test_html_named_pdf_refused():
    check = FileCheck(["application/pdf"], 10_000, 1, 1)
    html = b"<!doctype html><script>alert(1)</script>"
    with pytest.raises(REFUSED, match=r"not really in an accepted format \(PDF\)"):
        run_files(check, [part(html, "facture.pdf")])


def test_png_refused_where_only_pdf_is_accepted():
    with pytest.raises(REFUSED, match="PDF"):
        run_files(FileCheck(["application/pdf"], 10_000, 1, 1), [part(PNG, "a.pdf")])


def test_too_many_and_too_big_files():
    check = FileCheck(["application/pdf"], 10_000, 1, 2)
    with pytest.raises(REFUSED, match="2 files at most"):
        run_files(check, [part(PDF, f"{n}.pdf") for n in range(3)])
    with pytest.raises(REFUSED, match="too big"):
        run_files(check, [part(PDF + b" " * 10_000, "big.pdf")])
    # The global cap wins when it is smaller than the definition's limit.
    with pytest.raises(REFUSED, match="too big"):
        run_files(check, [part(PDF, "a.pdf")], caps=(len(PDF) - 1, 5))
    with pytest.raises(REFUSED, match="only one file"):
        run_files(check, [part(PDF, "a.pdf"), part(PDF, "b.pdf")], caps=(10_000, 1))


def test_missing_file_and_empty_parts():
    check = FileCheck(["application/pdf"], 10_000, 1, 2)
    with pytest.raises(REFUSED, match="Add a file"):
        run_files(check, [part(b"", "")])
    assert (
        run_files(FileCheck(["application/pdf"], 10_000, 0, 2), [part(b"", "")]) == []
    )


@pytest.mark.parametrize(
    "raw, cleaned",
    [
        ("../../etc/passwd\x00.pdf", "passwd.pdf"),
        ("C:\\Users\\zoé\\RIB.pdf", "RIB.pdf"),
        ("invoice\u202egnp.pdf", "invoicegnp.pdf"),  # right-to-left override removed
        ("...", "document"),
        ("", "document"),
        (None, "document"),
    ],
)
def test_filenames_cleaned(raw, cleaned):
    assert clean_filename(raw) == cleaned


def test_long_filename_keeps_its_extension():
    name = clean_filename("a" * 300 + ".pdf")
    assert len(name) == 120 and name.endswith("a.pdf")


# -- invisible format characters (Unicode category Cf) -----------------------------

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "‮fdp.exe" reads "exe.pdf"
FORMAT_REFUSED = "Remove the invisible formatting characters"


@pytest.mark.parametrize(
    ("check", "raw"),
    [
        (TextCheck(100, None, False, name=True), f"Camille{RLO}ellimaC"),
        (TextCheck(100, None, False, name=True), "Dur\u200band"),  # zero-width space
        (TextCheck(100, None, False, name=True), "Zo\u200de"),  # even a joiner
        (EmailCheck(), f"camille{RLO}@example.org"),
        (EmailCheck(), "camille@example.org\u2066"),
        (SiretCheck(), "732 829 320\u200b 00074"),
        (SirenCheck(), "\ufeff732829320"),
        (IbanCheck(), "FR14 2004 1010 0505 0001 3M02 606\u2069"),
        (BicCheck(), "BNPA\u200dFRPP"),
        (TelCheck(), "06 12 34 56 78\u200e"),
        (PostalCodeCheck(), "\u200f75011"),
    ],
)
def test_names_and_identifiers_with_format_characters_are_refused(check, raw):
    assert FORMAT_REFUSED in refused(check, raw)


def test_format_characters_message_is_french_by_default(monkeypatch):
    import ecitiz_kit.i18n

    monkeypatch.setattr(ecitiz_kit.i18n, "FALLBACK_LANGUAGE", "fr")
    message = refused(TextCheck(100, None, False, name=True), f"Camille{RLO}")
    assert "caractères de mise en forme invisibles" in message


@pytest.mark.parametrize(
    "raw",
    [
        "Toute la famille 👨\u200d👩\u200d👧 remercie l’équipe.",
        "نام من\u200cمحمد است",  # Persian: the non-joiner is part of the spelling
        f"Texte avec {RLO}inversion",
    ],
)
def test_free_text_keeps_format_characters(raw):
    assert clean(TextCheck(500, None, True), raw) == raw


def test_name_fields_are_the_ones_with_a_name_autocomplete():
    from ecitiz_kit.forms.fields import value_check
    from ecitiz_kit.forms.loading import load_catalog

    fields = {f.name: f for f in load_catalog("aid-request").fields}
    for name in ("first_name", "last_name", "legal_name"):
        assert FORMAT_REFUSED in refused(value_check(fields[name]), f"A{RLO}B")
    for name in ("activity", "explanation"):
        assert clean(value_check(fields[name]), f"A{RLO}B") == f"A{RLO}B"


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        (f"{RLO}fdp.exe", "<U+202E>fdp.exe"),
        ("a\u200bb\u2066c\u2069\ufeff", "a<U+200B>b<U+2066>c<U+2069><U+FEFF>"),
        ("\U000e0001tag", "<U+E0001>tag"),
        ("👨\u200d👩\u200d👧 et نام\u200cمن", "👨\u200d👩\u200d👧 et نام\u200cمن"),
        ("Durand-Lefèvre", "Durand-Lefèvre"),
    ],
)
def test_format_characters_are_written_out_for_display(shown, expected):
    from ecitiz_kit.forms.validators import reveal_format_characters

    assert reveal_format_characters(shown) == expected


def test_a_name_token_after_a_section_is_still_a_name():
    import json
    from pathlib import Path

    from ecitiz_kit.forms.fields import value_check
    from ecitiz_kit.forms.loading import parse_definition

    path = Path(__file__).parent / "data" / "definitions" / "membership.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    field = data["sections"][0]["fields"][0]
    field.update(type="text", max_length=100, autocomplete="section-bank billing name")
    for key in ("options", "min", "max", "widget"):
        field.pop(key, None)
    definition = parse_definition(data, "membership.json")
    check = value_check(definition.field(field["name"]))
    assert FORMAT_REFUSED in refused(check, f"A{RLO}B")
