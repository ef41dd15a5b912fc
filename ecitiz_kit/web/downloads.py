"""The PDFs of a request, as downloads: its receipt and its attestation.

The applicant's pages and the staff pages give the same documents.
"""

from __future__ import annotations

from flask import Response, g

from ..documents.attestations import attestation_document
from ..documents.layout import attestation_pdf, receipt_pdf
from ..documents.signing import format_serial
from ..domain.lookup import Tracked, receipt_document
from ..errors import UnknownObject
from .pages import links, when
from .urls import attestation_check_url


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
    document = attestation_document(
        found,
        found.attestation,
        g.ecitiz_lang,
        issued_at=when(found.attestation["issued_at"]),
        verify_url=attestation_check_url(found.attestation["payload"]),
    )
    serial = format_serial(found.attestation["serial"])
    return _pdf(attestation_pdf(document), f"attestation-{serial}")


def _pdf(data: bytes, name: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response
