"""A new request: its form ticket checked, then stored with everything it brings.

Functions here take plain values and the kit's state; they know nothing of the
HTTP request, so they can be tested and reused without one.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import lifecycle
from ..company_directory import CompanyDirectory
from ..documents import signing
from ..documents.attestations import Keyring, new_attestation
from ..fingerprints import Fingerprints
from ..forms.fields import Outcome
from ..forms.registry import PublicForm
from ..store import Store, utcnow
from ..store.uploads import UploadStorage
from ..tokens import InvalidToken, Tokens
from .companies import company_for_submission
from .deadlines import Periods
from .notices import Notices
from .signals import identifiers

#: No 0/O, no 1/I: a reference read over the phone cannot be misheard (the same
#: letters as document serials).
REFERENCE_ALPHABET = signing.ALPHABET


def new_reference(prefix: str) -> str:
    """A short random reference such as ``AID-7K3F-9Q2M`` (40 random bits)."""
    # 32 letters: each 5 bits of one random draw pick one, without bias.
    bits = int.from_bytes(secrets.token_bytes(5), "big")
    chars = "".join(REFERENCE_ALPHABET[(bits >> (5 * i)) & 31] for i in range(8))
    return f"{prefix}-{chars[:4]}-{chars[4:]}"


@dataclass(frozen=True)
class TicketCheck:
    """What a posted form ticket allows.

    ``problem`` is ``None``, ``"invalid"`` (missing, forged, or for another form)
    or ``"expired"``; ``spent_by`` is the submission a spent ticket produced;
    ``issued_at``, when the form was shown (for a genuine ticket).
    """

    nonce: str
    problem: str | None = None
    spent_by: int | None = None
    issued_at: datetime | None = None


def check_ticket(
    tokens: Tokens, store: Store, form: PublicForm, token: str, max_age: int
) -> TicketCheck:
    """Check a posted form ticket: genuine, for this form, unspent and fresh."""
    try:
        ticket = tokens.read_form_ticket(token, max_age)
    except InvalidToken:
        return TicketCheck("", "invalid")
    if (ticket.organisation_id, ticket.form_id) != (
        form.organisation["id"],
        form.row["form_id"],
    ):
        return TicketCheck("", "invalid")
    # A spent ticket leads to its receipt even once expired: a late double
    # submit still shows the applicant what they sent.
    spent_by = store.submission_for_nonce(ticket.nonce)
    if spent_by is not None:
        return TicketCheck(ticket.nonce, spent_by=spent_by)
    return TicketCheck(
        ticket.nonce,
        "expired" if ticket.expired else None,
        issued_at=ticket.issued_at,
    )


def submit(
    store: Store,
    uploads: UploadStorage,
    form: PublicForm,
    outcome: Outcome,
    *,
    nonce: str,
    lang: str,
    keyring: Keyring,
    notices: Notices,
    periods: Periods,
    fingerprints: Fingerprints,
    directory: CompanyDirectory | None = None,
    kept: Sequence[dict[str, Any]] = (),
    draft_key: str | None = None,
) -> dict[str, Any]:
    """Store a valid submission with its files, first event and spent nonce.

    ``kept`` are the files kept from an earlier try or a draft (already in
    place), which become attachments too; ``draft_key`` names the draft the
    request spends.

    All or nothing: the files are written first as parts, removed if anything
    fails, and moved into place once the request is committed; the receipt e-mail
    (and the new-request e-mails of staff who asked for them) are queued in the
    same transaction. Raises
    :class:`~ecitiz_kit.errors.NonceUsed` if the ticket was already spent. A form
    set to issue its document on submission is accepted at once, its attestation
    signed and stored in the same transaction. The request's due date (its form's
    decision period from today) and the identifiers its signals compare are
    stored with it, and, with a company ``directory``, what the register says of
    its SIRET (asked before the transaction; a check for later when it cannot
    say).
    """
    applicant = form.definition.applicant_contact(outcome.answers)
    staff = store.staff_to_notify(form.organisation["id"])
    document = None
    company = company_for_submission(directory, form.definition, outcome.answers)
    if form.row["issue_on_submit"]:
        document = new_attestation(
            keyring, form.organisation["id"], form.definition, outcome.answers
        )
    with uploads.staging(outcome.uploads) as staged:
        return store.create_submission(
            organisation_id=form.organisation["id"],
            form_id=form.row["form_id"],
            form_version=form.definition.version,
            answers=outcome.answers,
            lang=lang,
            nonce=nonce,
            attachments=[*(_attachment(row) for row in kept), *staged.attachments],
            kept=[row["stored_name"] for row in kept],
            draft_key=draft_key,
            make_reference=lambda: new_reference(form.definition.reference_prefix),
            status=lifecycle.ACCEPTED if document else lifecycle.SUBMITTED,
            document=document,
            applicant=applicant,
            messages=lambda created: notices.new_submission(
                form, created, applicant, staff
            ),
            due_on=periods.due_on(utcnow(), periods.days(form.row, form.definition)),
            identifiers=identifiers(form.definition, outcome.answers, fingerprints),
            company=company,
        )


def _attachment(kept: dict[str, Any]) -> dict[str, Any]:
    """A kept file as an attachment row."""
    keys = ("field", "stored_name", "filename", "content_type", "size", "sha256")
    return {key: kept[key] for key in keys}
