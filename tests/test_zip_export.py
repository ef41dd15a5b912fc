import io
import zipfile

import pytest

from ecitiz_kit.domain import zip_export
from ecitiz_kit.domain.zip_export import Folder, safe_part
from ecitiz_kit.forms.loading import load_catalog

from .helpers import TZ

FORMS = {"aid-request": (load_catalog("aid-request"), "Aide")}


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "_.._etc_passwd"),
        ("/etc/passwd", "_etc_passwd"),
        ("..", "document"),
        ("C:\\Windows\\system.ini", "C__Windows_system.ini"),
        ("a\x00b\u202e.pdf", "ab.pdf"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("what?.pdf", "what_.pdf"),
        ("  trailing dots...", "trailing dots"),
        ("", "document"),
        ("é" * 300 + ".pdf", "é" * 116 + ".pdf"),
    ],
)
def test_names_become_one_harmless_path_part(name, safe):
    assert safe_part(name) == safe


def test_names_in_one_folder_never_clash_even_by_case():
    folder = Folder("AID-0001")
    paths = [
        folder.path_for(n)
        for n in ("scan.pdf", "SCAN.pdf", "scan.pdf", "../scan.pdf", "receipt")
    ]
    assert paths == [
        "AID-0001/scan.pdf",
        "AID-0001/SCAN (2).pdf",
        "AID-0001/scan (3).pdf",
        "AID-0001/_scan.pdf",
        "AID-0001/receipt",
    ]


def _row(reference):
    return {
        "id": 1,
        "reference": reference,
        "form_id": "aid-request",
        "status": "submitted",
        "created_at": "2026-11-29T13:05:00.000000Z",
        "updated_at": "2026-11-29T13:05:00.000000Z",
        "answers": {"first_name": "Camille"},
    }


def test_the_bundle_holds_the_csv_and_one_safe_folder_per_request(tmp_path):
    stored = tmp_path / "stored"
    stored.write_bytes(b"%PDF-1.4 stored file")
    rows = [_row("AID-0001"), _row("../AID-0002"), _row("aid-0001")]

    def contents(row):
        return [
            ("receipt.pdf", b"%PDF receipt"),
            ("../../receipt.pdf", stored),
            ("/abs/photo.jpg", stored),
            ("gone.pdf", tmp_path / "missing"),
        ]

    target = io.BytesIO()
    count = zip_export.write_bundle(
        target, rows, FORMS, "fr", TZ, contents=contents, csv_name="../list.csv"
    )
    assert count == 3
    archive = zipfile.ZipFile(target)
    names = archive.namelist()
    assert names[-1] == "_list.csv"
    assert sorted(names[:-1]) == sorted(
        f"{folder}/{name}"
        for folder in ("AID-0001", "_AID-0002", "aid-0001 (2)")
        for name in ("receipt.pdf", "_.._receipt.pdf", "_abs_photo.jpg")
    )
    assert archive.read("AID-0001/_.._receipt.pdf") == b"%PDF-1.4 stored file"
    assert archive.read("AID-0001/receipt.pdf") == b"%PDF receipt"
    text = archive.read("_list.csv").decode("utf-8-sig")
    assert text.count("AID-0001") == 1 and "../AID-0002" in text


def test_a_failed_bundle_leaves_no_temporary_file(tmp_path):
    def rows():
        yield _row("AID-0001")
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        zip_export.write_bundle(
            tmp_path / "x.zip", rows(), FORMS, "fr", TZ,
            contents=lambda row: [], tmpdir=tmp_path,
        )  # fmt: skip
    assert [p.name for p in tmp_path.iterdir()] == ["x.zip"]
