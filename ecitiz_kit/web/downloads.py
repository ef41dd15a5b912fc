"""The files of a request, as downloads: its attachments, its receipt and its
attestation.

The applicant's pages, the staff pages and the API give the same documents. An
attestation is rendered once, in the language of its request, and stored: by
the worker soon after it is issued (:func:`render_issued`), or else by its first
download; every download then serves the stored bytes.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Response, g, send_file

from ..documents.attestations import attestation_document
from ..documents.layout import attestation_pdf, receipt_pdf
from ..documents.signing import format_serial
from ..domain.lookup import Tracked, receipt_document, tracked_for_staff
from ..errors import UnknownObject
from ..forms.files import name_for_type
from ..state import KitState, state
from .pages import links, when
from .urls import attestation_check_url

log = logging.getLogger(__name__)

#: Downloads of uploaded files are never rendered by the browser, even if a file
#: slipped past the content checks.
ATTACHMENT_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'"


def attachment(content: Path | bytes | None, row: dict[str, Any]) -> Response:
    """An uploaded file (its path or its bytes, described by its attachment row),
    always as a download, never rendered; 404 if the file is gone."""
    if content is None or (isinstance(content, Path) and not content.is_file()):
        raise UnknownObject()
    response = send_file(
        io.BytesIO(content) if isinstance(content, bytes) else content,
        mimetype=row["content_type"],
        as_attachment=True,
        # Files stored before names took their detected type's extension.
        download_name=name_for_type(row["filename"], row["content_type"]),
        max_age=0,
        etag=False,
    )
    response.headers["Content-Security-Policy"] = ATTACHMENT_CSP
    return response


def receipt(found: Tracked, *, for_applicant: bool = True) -> Response:
    """The acknowledgement of receipt; the applicant's copy carries their private
    tracking link, the staff's copy does not (it would let staff act as the
    applicant)."""
    submission = found.submission
    document = receipt_document(
        found,
        g.ecitiz_lang,
        received_at=when(submission["created_at"]),
        tracking_url=links().status(submission) if for_applicant else None,
    )
    return _pdf(receipt_pdf(document), submission["reference"])


def attestation(found: Tracked) -> Response:
    """The signed attestation of an accepted request (404 until there is one)."""
    if found.attestation is None:
        raise UnknownObject()
    serial = format_serial(found.attestation["serial"])
    return _pdf(stored_attestation(state(), found), f"attestation-{serial}")


def stored_attestation(kit: KitState, found: Tracked) -> bytes:
    """The attestation's stored PDF, rendered and stored first if it has none."""
    document = found.attestation
    if document is None:
        raise UnknownObject()
    pdf = kit.store.document_pdf(document["id"])
    if pdf is None:
        # Rendered outside the write transaction (it takes milliseconds); if the
        # worker or another download stores theirs first, theirs is served.
        pdf = kit.store.save_document_pdf(document["id"], render_attestation(found))
    return pdf


def render_attestation(found: Tracked) -> bytes:
    """The attestation's PDF, in the language of its request."""
    document = found.attestation
    if document is None:
        raise UnknownObject()
    lang = found.submission["lang"]
    return attestation_pdf(
        attestation_document(
            found,
            document,
            lang,
            issued_at=when(document["issued_at"], lang),
            verify_url=attestation_check_url(document["payload"]),
        )
    )


@dataclass
class RenderReport:
    """What one rendering pass did."""

    rendered: int = 0
    failed: list[str] = field(default_factory=list)  # serial: error


def render_issued(kit: KitState, batch: int = 100) -> RenderReport:
    """Render and store the PDF of every document in force that has none yet.

    Needs the kit's address (a request context on it) for the QR codes. A
    document that cannot be rendered is logged and left for its download.
    """
    report = RenderReport()
    kit.store.forget_revoked_renders()
    after = 0
    while rows := kit.store.documents_to_render(after, batch):
        for row in rows:
            after = row["id"]
            try:
                report.rendered += _render_one(kit, row)
            except Exception as error:  # one bad document must not stop the rest
                log.exception("could not render document %s", row["serial"])
                report.failed.append(f"{format_serial(row['serial'])}: {error!r}")
    return report


def _render_one(kit: KitState, row: dict[str, Any]) -> bool:
    found = tracked_for_staff(
        kit.store, kit.forms, row["organisation_id"], row["submission_id"]
    )
    if found.attestation is None or found.attestation["id"] != row["id"]:
        return False  # revoked meanwhile: forgotten at the next pass
    kit.store.save_document_pdf(row["id"], render_attestation(found))
    return True


def payment_file(xml: bytes, batch_id: int) -> Response:
    """A SEPA credit-transfer file, always as a download, never rendered."""
    response = Response(xml, mimetype="application/xml")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="virements-{batch_id}.xml"'
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = ATTACHMENT_CSP
    return response


def _pdf(data: bytes, name: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response
