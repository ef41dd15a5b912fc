from __future__ import annotations

import base64
import io
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from fontTools import subset
from pypdf import PdfReader
from segno import encoder as qr_encoder

from ecitiz_kit.cli import documents as cli_documents
from ecitiz_kit.documents import fonts as pdf_fonts
from ecitiz_kit.documents import layout as documents
from ecitiz_kit.documents import signing
from ecitiz_kit.documents.layout import (
    AttestationDocument,
    ReceiptDocument,
    attestation_pdf,
    clean,
    qr_version,
    receipt_pdf,
)
from ecitiz_kit.domain.lookup import tracked_for_staff
from ecitiz_kit.state import state
from ecitiz_kit.store import MIGRATIONS
from ecitiz_kit.web import downloads

from .helpers import (
    ORG,
    STAFF,
    accept_request,
    documents_of,
    pdf_text,
    set_status,
    submit_attestation,
)

BASE = "https://forms.example.org/ecitiz"


def signed_payload(serial="7K3F9Q2MXD", name="NGUYỄN Z."):
    """A payload shaped exactly like a version-1 one (the signature is random)."""
    name64 = base64.urlsafe_b64encode(name.encode()).rstrip(b"=").decode()
    signature = base64.urlsafe_b64encode(os.urandom(64)).rstrip(b"=").decode()
    return ".".join(
        ["1", "K7Q2", serial, "ATT", name64, "20261201", "20261231", signature]
    )


def make_attestation(**changes):
    doc = AttestationDocument(
        title="Attestation de déplacement professionnel",
        organisation="Val-Fleuri Entreprendre",
        holder="Zoé Nguyễn",
        details=[
            ("Date de naissance", "3 mars 1990"),
            ("Adresse", "12 rue de l’Œuvre, 75011 Paris"),
            ("Motif", "Salon — 5 € de frais, cœur de métier"),
        ],
        valid_from=date(2026, 12, 1),
        valid_to=date(2026, 12, 31),
        issued_at="29 novembre 2026, 19:28",
        serial="7K3F9-Q2MXD",
        template_version=3,
        verify_url=f"{BASE}/v#{signed_payload()}",
        lang="fr",
    )
    return replace(doc, **changes)


def make_receipt(**changes):
    doc = ReceiptDocument(
        organisation="Val-Fleuri Entreprendre",
        form_title="Demande d’aide à la création",
        reference="AID-7K3F-9Q2M",
        received_at="29 nov. 2026, 19:28",
        sections=[
            {
                "title": "Entreprise",
                "items": [
                    {"label": "Raison sociale", "value": "Les Œufs d’Or"},
                    {"label": "IBAN", "value": "FR76 •••• •••• 1234"},
                ],
            },
            {"title": "Demande", "items": [{"label": "Montant", "value": "5 000 €"}]},
        ],
        tracking_url=f"{BASE}/t/eyJyIjo0Mn0.Z1x2y3.Qk9Iak1zYWJjZGVm",
        lang="fr",
    )
    return replace(doc, **changes)


def squeezed(text: str) -> str:
    """The text without whitespace, to find strings the layout wrapped."""
    return re.sub(r"\s+", "", text)


def decode_qr(pdf: bytes, tmp_path) -> str:
    """Render page 1 at 150 dpi with poppler and read its QR code with zbar."""
    missing = [tool for tool in ("pdftoppm", "zbarimg") if not shutil.which(tool)]
    if missing:
        if os.environ.get("CI"):
            raise RuntimeError(f"QR tests must run in CI, but {missing} are missing")
        pytest.skip(f"{missing} not installed (apt: poppler-utils zbar-tools)")
    (tmp_path / "doc.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "150",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(tmp_path / "doc.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    # Only QR codes: lines of text can pass for a one-dimensional barcode.
    result = subprocess.run(
        [
            "zbarimg",
            "--raw",
            "-q",
            "-Sdisable",
            "-Sqrcode.enable",
            str(tmp_path / "page.png"),
        ],
        capture_output=True,
        text=True,
    )
    return result.stdout.rstrip("\n")


def test_attestation_prints_holder_serial_organisation_and_title():
    doc = make_attestation()
    pdf = attestation_pdf(doc)
    reader = PdfReader(io.BytesIO(pdf))
    text = pdf_text(pdf)
    assert pdf.startswith(b"%PDF-")
    assert "Zoé Nguyễn" in text
    assert "7K3F9-Q2MXD" in text
    assert "Val-Fleuri Entreprendre" in text
    assert reader.metadata.title == "Attestation de déplacement professionnel"


def test_attestation_prints_validity_in_words_and_verification_instructions():
    doc = make_attestation()
    text = pdf_text(attestation_pdf(doc))
    assert "1 décembre 2026" in text and "31 décembre 2026" in text
    assert "29 novembre 2026, 19:28" in text
    # The full URL is printed (wrapped), and the sentence sends the checker to
    # compare the name with an identity document.
    assert doc.verify_url in squeezed(text)
    english = " ".join(pdf_text(attestation_pdf(make_attestation(lang="en"))).split())
    assert "December 1, 2026" in english
    assert "compare the name with an identity document" in english
    assert f"open {BASE}/v and compare" in english
    assert "Template version 3" in english


def test_receipt_prints_reference_organisation_and_tracking_url():
    doc = make_receipt()
    pdf = receipt_pdf(doc)
    text = pdf_text(pdf)
    assert "AID-7K3F-9Q2M" in text
    assert "Val-Fleuri Entreprendre" in text
    assert "Les Œufs d’Or" in text and "FR76 •••• •••• 1234" in text
    assert doc.tracking_url in squeezed(text)


def test_attestation_qr_decodes_to_the_verify_url(tmp_path):
    doc = make_attestation()
    assert decode_qr(attestation_pdf(doc), tmp_path) == doc.verify_url


def test_receipt_qr_decodes_to_the_tracking_url(tmp_path):
    doc = make_receipt()
    assert decode_qr(receipt_pdf(doc), tmp_path) == doc.tracking_url


def test_typography_and_vietnamese_survive_text_extraction():
    doc = make_attestation(
        holder="Trần Thị Nguyễn-Lefèvre",
        details=[("Note", "l’œuvre coûte 12 € — voir № 3 → suite")],
    )
    text = pdf_text(attestation_pdf(doc))
    for fragment in ["’", "œ", "€", "—", "Nguyễn", "Trần Thị", "№", "→"]:
        assert fragment in text


HOSTILE = {
    "long name": "Jean-Christophe de la Fontaine-Œuvray " * 14,
    "right to left": "محمد بن سلمان יוסף כהן",
    "emoji": "Zoé 👩🏽‍💻 🇫🇷 Nguyễn",
    "control characters": "Zo\x00é\x07 Ngu\x1byễn\r\n\tLine\x7f",
    "zero width and bidi overrides": "Zo\u200bé\u200d \u202eNguyễn\u202c\ufeff",
    "lone surrogate": "Zoé \ud800 Nguyễn",
}


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_strings_render_without_error_or_warning(value, caplog):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with caplog.at_level(logging.WARNING):
            attestation = attestation_pdf(
                make_attestation(
                    holder=value, title=value, details=[(value, value)], serial=value
                )
            )
            receipt = receipt_pdf(
                make_receipt(
                    organisation=value,
                    reference=value,
                    sections=[
                        {"title": value, "items": [{"label": value, "value": value}]}
                    ],
                )
            )
    assert caplog.records == []
    for pdf in (attestation, receipt):
        assert len(PdfReader(io.BytesIO(pdf)).pages) >= 1


def test_long_name_wraps_instead_of_overflowing():
    name = HOSTILE["long name"].strip()
    text = pdf_text(attestation_pdf(make_attestation(holder=name)))
    assert name[:30] in text  # its first line
    # 500 characters on one line would run far off the page; wrapped, no line of
    # the page is longer than the width of the page allows.
    assert max(len(line) for line in text.splitlines()) < 110
    assert squeezed(name) in squeezed(text)


def test_clean_drops_invisible_characters_and_replaces_missing_glyphs():
    assert clean("Zo\u200bé\x00\u202e Ngu\u0303yen") == "Zoé Ngũyen"
    assert clean("a\tb\nc") == "a b c"
    assert clean("Zoé 👩") == "Zoé \ufffd"
    assert clean("\ud800x") == "x"


def test_realistic_verify_url_fits_qr_version_10():
    payload = signed_payload(name="NGUYỄN-LEFÈVRE Z.")
    assert 150 <= len(payload) <= 165
    assert qr_version(f"{BASE}/v#{payload}") <= 10
    assert qr_version(f"{BASE}/v#{payload}") > qr_version("x")


def test_fonts_are_bundled_small_with_their_licence():
    folder = pdf_fonts.font_dir()
    for name in pdf_fonts.FONT_FILES.values():
        assert (folder / name).stat().st_size < 200_000
    licence = (folder / "LICENSE-DejaVu.txt").read_text()
    assert "Bitstream Vera" in licence and "DejaVu changes are in public domain" in (
        licence
    )


def test_every_bundled_character_belongs_to_an_embedding_block():
    # Otherwise documents using it fall back to subsetting the whole font (slow).
    printable = {ord(char) for char in pdf_fonts.fonts().printable}
    assert pdf_fonts._blocks_for(printable) is not None
    assert pdf_fonts._blocks_for({0x0041, 0x1EC5}) == {"common", "vietnamese"}


def test_font_files_are_parsed_once_per_process(monkeypatch):
    attestation_pdf(make_attestation())

    def parse_again(*args, **kwargs):
        raise AssertionError("the TTF was parsed again")

    monkeypatch.setattr(documents.FPDF, "add_font", parse_again)
    pdf = attestation_pdf(make_attestation(holder="Ségolène Trần"))
    assert "Ségolène Trần" in pdf_text(pdf)


def test_documents_rendered_in_parallel_keep_their_own_text():
    names = [f"Zoé Nguyễn n°{i} œ’—€" for i in range(12)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        pdfs = list(
            pool.map(lambda n: attestation_pdf(make_attestation(holder=n)), names)
        )
    for name, pdf in zip(names, pdfs, strict=True):
        assert name in pdf_text(pdf)


def test_common_text_is_embedded_without_subsetting_each_document(monkeypatch):
    # Made once per set of blocks: French text, then with Vietnamese, then with
    # Latin Extended-A.
    for holder in ("Zoé Noël", "Zoé Nguyễn", "Zoé Łukasz"):
        attestation_pdf(make_attestation(holder=holder))
    calls = []
    real_subset = subset.Subsetter.subset

    def counting(self, font):
        calls.append(font)
        return real_subset(self, font)

    monkeypatch.setattr(subset.Subsetter, "subset", counting)
    # Other glyphs, the same blocks: no subsetting at all.
    for holder in ("Anaïs Œuvray", "Trần Müller", "Jérôme Ōtaki"):
        pdf = attestation_pdf(make_attestation(holder=holder))
        assert holder in pdf_text(pdf)
    receipt_pdf(make_receipt())
    assert calls == []


def test_rare_characters_get_a_subset_of_their_own():
    holder = "Zoé → Ǆemal"  # arrows and Latin Extended-B: outside the common blocks
    pdf = attestation_pdf(make_attestation(holder=holder))
    assert holder in pdf_text(pdf)


def embedded_fonts(pdf: bytes, tmp_path) -> list[list[str]]:
    """pdffonts' table: name, type, encoding, emb, sub, uni, object, generation."""
    if not shutil.which("pdffonts"):
        if os.environ.get("CI"):
            raise RuntimeError("pdffonts must run in CI (apt: poppler-utils)")
        pytest.skip("pdffonts not installed (apt: poppler-utils)")
    (tmp_path / "doc.pdf").write_bytes(pdf)
    listing = subprocess.run(
        ["pdffonts", str(tmp_path / "doc.pdf")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.split() for line in listing.splitlines()[2:]]


@pytest.mark.parametrize("holder", ["Zoé Nguyễn", "Zoé → Ǆemal"])
def test_unicode_fonts_are_embedded_as_subsets_with_a_unicode_map(holder, tmp_path):
    pdf = attestation_pdf(make_attestation(holder=holder))
    rows = {row[0].split("+")[-1]: row for row in embedded_fonts(pdf, tmp_path)}
    for name in ("DejaVuSansBook", "DejaVuSansBold"):
        assert rows[name][1:7] == ["CID", "TrueType", "Identity-H", "yes", "yes", "yes"]
    assert len(pdf) < 45_000  # two block subsets, a QR code and one page of text
    assert holder in pdf_text(pdf)


def finished_symbol(data: str) -> list[bytearray]:
    width, modules = documents.qr_modules(data)
    return [
        bytearray(1 if modules[row * width + col] == 0 else 0 for col in range(width))
        for row in range(width)
    ]


def test_qr_code_keeps_level_m_and_the_mask_of_lowest_penalty():
    # The penalty is segno's implementation of ISO/IEC 18004 7.8.3, scored on the
    # finished symbol (format information in place) for each of the eight masks.
    # Implementations count the 1:1:3:1:1 patterns slightly differently, so the
    # mask chosen may score up to a few points above segno's best.
    masks_used = set()
    for number in range(24):
        symbol = finished_symbol(f"{BASE}/v#{signed_payload(name=f'N{number}')}")
        size = len(symbol)
        version = (size - 17) // 4
        bits = [symbol[8][col] for col in (0, 1, 2, 3, 4, 5, 7, 8)]
        bits += [symbol[row][8] for row in (7, 5, 4, 3, 2, 1, 0)]
        format_info = int("".join(map(str, bits)), 2) ^ 0x5412
        level, mask = format_info >> 13, (format_info >> 10) & 0b111
        assert level == 0b00  # M
        masks_used.add(mask)

        function = qr_encoder.make_matrix(size, size)
        qr_encoder.add_finder_patterns(function, size, size)
        qr_encoder.add_alignment_patterns(function, size, size)
        function[-8][8] = 1

        def is_data(row, col, function=function):
            return function[row][col] > 1

        patterns = qr_encoder.get_data_mask_functions(False)
        unmasked = [row[:] for row in symbol]
        qr_encoder.apply_mask(unmasked, patterns[mask], size, size, is_data)
        penalties = []
        for candidate in range(8):
            masked = [row[:] for row in unmasked]
            qr_encoder.apply_mask(masked, patterns[candidate], size, size, is_data)
            qr_encoder.add_format_info(
                masked, version, qr_encoder.consts.ERROR_LEVEL_M, candidate
            )
            penalties.append(qr_encoder.evaluate_mask(masked, size, size))
        assert penalties[mask] <= 1.03 * min(penalties), (number, mask, penalties)
    assert len(masks_used) > 1  # chosen per symbol, not fixed


def test_attestation_pdf_is_dated_by_its_issue_not_by_its_rendering():
    issued = datetime(2026, 11, 29, 18, 28, 5, tzinfo=UTC)
    doc = make_attestation(created=issued)
    pdf = attestation_pdf(doc)
    assert PdfReader(io.BytesIO(pdf)).metadata.creation_date == issued
    assert attestation_pdf(doc) == pdf  # rendered again: the same bytes


# -- issued documents, rendered once and stored ------------------------------------

PUBLIC_URL = "https://forms.example.org"


def render_documents(runner):
    return runner.invoke(args=["ecitiz", "render-documents"])


def applicant_download(client, reference_and_tracking, **query):
    _reference, tracking = reference_and_tracking
    return client.get(f"{tracking}/attestation.pdf", query_string=query)


def test_issuing_queues_the_pdf_and_the_worker_renders_it_once(
    app, client, runner, store, tmp_path
):
    request = submit_attestation(client)
    app.config["ECITIZ_PUBLIC_URL"] = PUBLIC_URL  # (after: links on localhost)
    accept_request(runner, request[0])
    [document] = documents_of(store, request[0])
    assert store.document_pdf(document["id"]) is None  # accepting renders nothing
    assert [row["id"] for row in store.documents_to_render()] == [document["id"]]

    result = render_documents(runner)
    assert result.exit_code == 0, result.output
    assert result.output == "1 document(s) rendered.\n"
    stored = store.document_pdf(document["id"])
    assert stored.startswith(b"%PDF-")
    assert store.documents_to_render() == []
    assert render_documents(runner).output == "0 document(s) rendered.\n"
    assert store.document_pdf(document["id"]) == stored

    download = applicant_download(client, request)
    assert download.status_code == 200 and download.data == stored
    assert "NGUYỄN" in pdf_text(stored).upper()
    qr = decode_qr(stored, tmp_path)
    assert qr == f"{PUBLIC_URL}/ecitiz/v#{document['payload']}"


def test_every_download_serves_the_same_bytes_in_the_requests_language(
    app, client, runner, store, staff_client
):
    request = submit_attestation(client)  # in French
    accept_request(runner, request[0])
    [document] = documents_of(store, request[0])
    first = applicant_download(client, request, lang="en")
    assert first.status_code == 200
    assert "Valable du" in pdf_text(first.data)
    submission = store.submission_by_reference(request[0])
    staff = staff_client.get(f"{STAFF}/requests/{submission['id']}/attestation.pdf")
    again = applicant_download(client, request)
    assert first.data == staff.data == again.data == store.document_pdf(document["id"])
    app.config["ECITIZ_PUBLIC_URL"] = PUBLIC_URL
    assert render_documents(runner).output == "0 document(s) rendered.\n"


def test_form_issuing_on_submit_offers_its_stored_pdf_at_once(client, store):
    org = store.organisation(ORG)
    store.enable_form(org["id"], "attestation", 1, None, 730, issue_on_submit=True)
    request = submit_attestation(client)
    [document] = documents_of(store, request[0])
    download = applicant_download(client, request)
    assert download.status_code == 200
    assert download.data == store.document_pdf(document["id"])


def test_document_revoked_before_rendering_is_never_rendered(
    app, client, runner, store
):
    request = submit_attestation(client)
    app.config["ECITIZ_PUBLIC_URL"] = PUBLIC_URL  # (after: links on localhost)
    accept_request(runner, request[0])
    assert set_status(runner, request[0], "in_review").exit_code == 0  # revokes it
    [document] = documents_of(store, request[0])
    assert document["revoked_at"] is not None
    assert render_documents(runner).output == "0 document(s) rendered.\n"
    assert store.document_pdf(document["id"]) is None
    assert store.table_counts()["document_files"] == 0  # no longer waited for
    assert applicant_download(client, request).status_code == 404


def test_render_documents_needs_the_kits_address(app, client, runner, store):
    request = submit_attestation(client)
    accept_request(runner, request[0])
    result = render_documents(runner)
    assert result.exit_code == 1
    assert "ECITIZ_PUBLIC_URL" in result.output
    [document] = documents_of(store, request[0])
    assert store.document_pdf(document["id"]) is None
    assert applicant_download(client, request).status_code == 200  # rendered now


def test_mail_worker_renders_issued_documents_at_each_pass(app, client, runner, store):
    request = submit_attestation(client)
    app.config["ECITIZ_PUBLIC_URL"] = PUBLIC_URL  # (after: links on localhost)
    accept_request(runner, request[0])
    [document] = documents_of(store, request[0])
    assert runner.invoke(args=["ecitiz", "send-mail"]).exit_code == 0
    assert store.document_pdf(document["id"]).startswith(b"%PDF-")


def test_mail_is_sent_even_when_rendering_documents_fails(
    app, client, runner, store, monkeypatch
):
    request = submit_attestation(client)
    accept_request(runner, request[0])
    app.config["ECITIZ_PUBLIC_URL"] = PUBLIC_URL

    def locked(kit, batch=100):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(cli_documents, "render_issued", locked)
    result = runner.invoke(args=["ecitiz", "send-mail"])
    assert result.exit_code == 0, result.output
    assert store.outbox_messages("pending") == []
    assert len(store.outbox_messages("sent")) == 3  # receipt, in review, accepted


def test_a_document_that_fails_to_render_is_reported_and_left_for_its_download(
    app, client, runner, store, monkeypatch
):
    broken, fine = submit_attestation(client), submit_attestation(client)
    app.config["ECITIZ_PUBLIC_URL"] = PUBLIC_URL  # (after: links on localhost)
    for request in (broken, fine):
        accept_request(runner, request[0])
    [bad] = documents_of(store, broken[0])
    [good] = documents_of(store, fine[0])
    real_render = downloads.render_attestation

    def render(found):
        if found.attestation["id"] == bad["id"]:
            raise OSError("disk on fire")
        return real_render(found)

    monkeypatch.setattr(downloads, "render_attestation", render)
    result = render_documents(runner)
    assert result.exit_code == 1
    assert "1 document(s) rendered." in result.output
    assert signing.format_serial(bad["serial"]) in result.output
    assert store.document_pdf(bad["id"]) is None
    assert store.document_pdf(good["id"]).startswith(b"%PDF-")
    monkeypatch.setattr(downloads, "render_attestation", real_render)
    assert applicant_download(client, broken).data == store.document_pdf(bad["id"])


CRASH_WHILE_STORING = """
import os, sys
from ecitiz_kit.store import Store

store = Store(sys.argv[1])

def crash(statement):
    # The PDF is written, the transaction not yet committed.
    if statement.startswith("SELECT pdf FROM document_files"):
        os._exit(3)

store.db.conn.set_trace_callback(crash)
store.save_document_pdf(int(sys.argv[2]), b"%PDF-1.4 half written")
"""


@pytest.mark.sqlite_only  # stops the process on a statement SQLite traces
def test_a_crash_while_storing_leaves_no_half_stored_pdf(app, client, runner, store):
    request = submit_attestation(client)
    accept_request(runner, request[0])
    [document] = documents_of(store, request[0])
    crashed = subprocess.run(
        [
            sys.executable,
            "-c",
            CRASH_WHILE_STORING,
            str(store.path),
            str(document["id"]),
        ],
        capture_output=True,
        text=True,
    )
    assert crashed.returncode == 3, crashed.stderr
    assert store.document_pdf(document["id"]) is None
    assert [row["id"] for row in store.documents_to_render()] == [document["id"]]
    download = applicant_download(client, request)
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    assert b"half written" not in download.data


def test_concurrent_downloads_and_worker_store_one_pdf_and_all_serve_it(
    app, client, runner, store, monkeypatch
):
    request = submit_attestation(client)
    accept_request(runner, request[0])
    [document] = documents_of(store, request[0])
    submission = store.submission_by_reference(request[0])
    kit = state(app)
    everyone = 6
    all_rendered = threading.Barrier(everyone)

    def render(found):
        # Each renders different bytes, and none stores before all have rendered.
        pdf = b"%PDF-" + threading.current_thread().name.encode()
        all_rendered.wait(timeout=10)
        return pdf

    monkeypatch.setattr(downloads, "render_attestation", render)

    def download(_):
        with app.app_context():
            found = tracked_for_staff(
                kit.store, kit.forms, submission["organisation_id"], submission["id"]
            )
            try:
                return downloads.stored_attestation(kit, found)
            finally:
                kit.store.release()

    with ThreadPoolExecutor(max_workers=everyone) as pool:
        served = list(pool.map(download, range(everyone)))
    assert len(set(served)) == 1
    assert served[0] == store.document_pdf(document["id"])
    assert applicant_download(client, request).data == served[0]


def test_documents_issued_before_the_upgrade_are_queued_for_rendering(tmp_path):
    # The migration that introduced the table (a later one rebuilds it).
    number = next(
        i
        for i, script in enumerate(MIGRATIONS)
        if "CREATE TABLE document_files" in script
    )
    conn = sqlite3.connect(tmp_path / "old.sqlite3", isolation_level=None)
    for script in MIGRATIONS[:number]:
        conn.executescript(script)
    columns = "submission_id, serial, type, kid, holder, valid_from, valid_to"
    columns += ", issued_at, template_version, payload, revoked_at"
    for serial, revoked_at in (("AAAAAAAAAA", None), ("BBBBBBBBBB", "2026-12-01")):
        conn.execute(
            f"INSERT INTO documents ({columns}) VALUES (1, ?, 'ATT', 'K7Q2', 'N Z.',"
            " '2026-12-01', '2026-12-31', '2026-11-29', 1, 'p', ?)",
            (serial, revoked_at),
        )
    conn.executescript(MIGRATIONS[number])
    queued = conn.execute(
        "SELECT serial FROM document_files f JOIN documents d ON d.id = f.document_id"
        " WHERE f.pdf IS NULL"
    ).fetchall()
    assert queued == [("AAAAAAAAAA",)]
