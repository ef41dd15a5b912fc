"""A stored file keeps the applicant's name but takes the extension of the type its
bytes are: a PDF that is also a web page is never saved to a staff disk as .html."""

import pytest

from ecitiz_kit.forms.files import MAX_FILENAME, name_for_type

from .helpers import STAFF, aid_answers, execute, post_form, with_file

#: Valid as a PDF (the magic bytes come first) and as a web page.
POLYGLOT = (
    b"%PDF-1.4\n%<html><body><script>fetch('/steal?c='+document.cookie)</script>"
    b"</body></html>\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
)


def _download(staff_client, store, submission_id):
    [attachment] = store.attachments(submission_id)
    response = staff_client.get(
        f"{STAFF}/requests/{submission_id}/files/{attachment['id']}"
    )
    assert response.status_code == 200
    return attachment, response


def test_pdf_named_html_is_stored_and_downloaded_as_pdf(staff_client, client, store):
    response = post_form(client, with_file(aid_answers(), POLYGLOT, "poly.html"))
    assert response.status_code == 303
    attachment, download = _download(staff_client, store, store.submission_count())
    assert attachment["content_type"] == "application/pdf"
    assert attachment["filename"] == "poly.pdf"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "poly.pdf" in disposition and ".html" not in disposition
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.data == POLYGLOT


def test_file_stored_under_its_old_name_downloads_with_its_type_extension(
    staff_client, client, store
):
    post_form(client, with_file(aid_answers(), POLYGLOT, "poly.pdf"))
    sid = store.submission_count()
    [attachment] = store.attachments(sid)
    # As an earlier version stored it: the name as the applicant sent it.
    execute(
        store,
        "UPDATE attachments SET filename = 'poly.html' WHERE id = ?",
        (attachment["id"],),
    )
    _, download = _download(staff_client, store, sid)
    assert "poly.pdf" in download.headers["Content-Disposition"]
    assert ".html" not in download.headers["Content-Disposition"]


@pytest.mark.parametrize(
    ("sent", "content_type", "stored"),
    [
        ("poly.html", "application/pdf", "poly.pdf"),
        ("photo.jpg", "image/png", "photo.png"),
        ("scan.JPEG", "image/jpeg", "scan.JPEG"),
        ("scan.jpg", "image/jpeg", "scan.jpg"),
        ("Relevé.PDF", "application/pdf", "Relevé.PDF"),
        ("archive.tar.gz", "application/pdf", "archive.tar.pdf"),
        ("M. Durand avis", "application/pdf", "M. Durand avis.pdf"),
        ("facture", "image/png", "facture.png"),
        ("document", "application/pdf", "document.pdf"),
    ],
)
def test_name_takes_the_extension_of_the_detected_type(sent, content_type, stored):
    assert name_for_type(sent, content_type) == stored


def test_long_name_stays_within_the_limit_with_its_new_extension():
    name = name_for_type("é" * (MAX_FILENAME - 5) + ".html", "application/pdf")
    assert len(name) <= MAX_FILENAME
    assert name.endswith("é.pdf")
