"""What happens to a request from the public side: find the form, store, look up.

Functions here take plain values and the kit's state; they know nothing of the
HTTP request, so they can be tested and reused without one.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app

from . import lifecycle, mail, signing
from .attestations import Keyring, new_attestation
from .definitions import FormDefinition, load_catalog, parse_definition
from .documents import ReceiptDocument
from .errors import ForbiddenTransition, UnknownObject
from .fields import CompiledForm, Outcome, compile_form, display_value
from .i18n import text
from .store import Store
from .tokens import InvalidToken, SubmissionRef, Tokens
from .uploads import UploadArea

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
class PublicForm:
    """An enabled form of an organisation, ready to render and validate."""

    organisation: dict[str, Any]
    row: dict[str, Any]
    definition: FormDefinition
    compiled: CompiledForm

    def title(self, lang: str | None = None) -> str:
        return self.row["title_override"] or text(self.definition.title, lang)


class FormRegistry:
    """Compiled forms, built once per definition and shared by every request."""

    def __init__(self) -> None:
        self._compiled: dict[tuple[str, str], tuple[FormDefinition, CompiledForm]] = {}
        self._lock = threading.Lock()

    def get(self, row: dict[str, Any]) -> tuple[FormDefinition, CompiledForm]:
        source = row["definition"]
        key = (
            row["form_id"],
            hashlib.sha256(source.encode()).hexdigest() if source else "catalog",
        )
        found = self._compiled.get(key)
        if found is None:
            if source:
                definition = parse_definition(
                    json.loads(source), f"stored definition of {row['form_id']!r}"
                )
            else:
                definition = load_catalog(row["form_id"])
            found = (definition, compile_form(definition))
            with self._lock:
                self._compiled[key] = found
        return found


def find_form(
    store: Store, registry: FormRegistry, org_slug: str, form_id: str
) -> PublicForm:
    """The enabled form ``form_id`` of ``org_slug``, or :class:`UnknownObject`."""
    found = store.organisation_form(org_slug, form_id)
    if found is None:
        raise UnknownObject()
    organisation, row = found
    definition, compiled = registry.get(row)
    return PublicForm(organisation, row, definition, compiled)


@dataclass(frozen=True)
class TicketCheck:
    """What a posted form ticket allows.

    ``problem`` is ``None``, ``"invalid"`` (missing, forged, or for another form)
    or ``"expired"``; ``spent_by`` is the submission a spent ticket produced.
    """

    nonce: str
    problem: str | None = None
    spent_by: int | None = None


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
    return TicketCheck(ticket.nonce, "expired" if ticket.expired else None)


def submit(
    store: Store,
    uploads: UploadArea,
    form: PublicForm,
    outcome: Outcome,
    *,
    nonce: str,
    lang: str,
    keyring: Keyring,
) -> dict[str, Any]:
    """Store a valid submission with its files, first event and spent nonce.

    All or nothing: the files are written first as parts, moved into place inside
    the database transaction, and removed if anything fails; the receipt e-mail
    (and the new-request e-mails of staff who asked for them) are queued in the
    same transaction. Raises
    :class:`~ecitiz_kit.errors.NonceUsed` if the ticket was already spent. A form
    set to issue its document on submission is accepted at once, its attestation
    signed and stored in the same transaction.
    """
    applicant = form.definition.applicant_contact(outcome.answers)
    document = None
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
            attachments=staged.attachments,
            make_reference=lambda: new_reference(form.definition.reference_prefix),
            status=lifecycle.ACCEPTED if document else lifecycle.SUBMITTED,
            document=document,
            before_commit=staged.promote,
            applicant=applicant,
            messages=submission_messages(store, form, applicant, lang),
        )


@dataclass(frozen=True)
class Tracked:
    """A submission as its applicant may see it."""

    submission: dict[str, Any]
    form: PublicForm
    events: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    attestation: dict[str, Any] | None  # the document in force, if any


def tracked(store: Store, registry: FormRegistry, ref: SubmissionRef | None) -> Tracked:
    """The submission a valid token points to, or :class:`UnknownObject`.

    A token for a submission that no longer exists, or whose link was revoked by
    bumping its version, is refused exactly like a forged one.
    """
    submission = store.submission(ref.submission_id) if ref else None
    if submission is None or submission["link_version"] != ref.link_version:
        raise UnknownObject()
    return _with_details(store, registry, submission)


def tracked_for_staff(
    store: Store, registry: FormRegistry, organisation_id: int, submission_id: int
) -> Tracked:
    """A request as its organisation's staff see it, or :class:`UnknownObject`
    (also for another organisation's request: staff cannot tell them apart)."""
    submission = store.organisation_submission(organisation_id, submission_id)
    if submission is None:
        raise UnknownObject()
    return _with_details(store, registry, submission)


def _with_details(
    store: Store, registry: FormRegistry, submission: dict[str, Any]
) -> Tracked:
    """A stored submission with its form, events, files and attestation in force."""
    organisation = store.organisation_by_id(submission["organisation_id"])
    row = store.enabled_form(submission["organisation_id"], submission["form_id"])
    if organisation is None or row is None:
        raise UnknownObject()
    definition, compiled = registry.get(row)
    in_force = [d for d in store.documents(submission["id"]) if not d["revoked_at"]]
    return Tracked(
        submission,
        PublicForm(organisation, row, definition, compiled),
        store.events(submission["id"]),
        store.attachments(submission["id"]),
        in_force[-1] if in_force else None,
    )


def read_ref(read: Any, token: str, max_age: int) -> SubmissionRef | None:
    """Read a receipt or status token, ``None`` for any kind of bad token."""
    try:
        return read(token, max_age)
    except InvalidToken:
        return None


def summary(
    definition: FormDefinition,
    answers: dict[str, Any],
    lang: str,
    *,
    unmasked: bool = False,
) -> list[dict[str, Any]]:
    """What the applicant sent, section by section, as labels and display values.

    Sensitive values (an IBAN) come out masked unless ``unmasked`` (the staff's
    pages); server-computed values follow the field they are computed from.
    """
    computed_after = {c.to_field: c for c in definition.computed}
    sections = []
    for section in definition.sections:
        items = []
        for field in section.fields:
            value = answers.get(field.name)
            if value not in (None, "", []):
                items.append(
                    {
                        "label": text(field.label, lang),
                        "value": display_value(field, value, lang, unmasked=unmasked),
                    }
                )
            extra = computed_after.get(field.name)
            if extra is not None and answers.get(extra.name) is not None:
                items.append(
                    {
                        "label": text(extra.label, lang),
                        "value": display_value(extra, answers[extra.name], lang),
                    }
                )
        if items:
            sections.append({"title": text(section.title, lang), "items": items})
    return sections


def change_status(
    store: Store,
    registry: FormRegistry,
    keyring: Keyring,
    submission: dict[str, Any],
    to_status: str,
    *,
    actor: str,
    public_message: str | None = None,
    private_note: str | None = None,
) -> dict[str, Any]:
    """Move a request along its life cycle, recording who, when and why.

    Accepting a request whose form describes a document issues that document in
    the same transaction; reopening an accepted one revokes it. Every change is
    e-mailed to the applicant (with the public message, never the private note)
    when the request has an e-mail address, queued in the same transaction.
    """
    from_status = submission["status"]
    if not lifecycle.can_move(from_status, to_status):
        raise ForbiddenTransition(from_status, to_status)
    document = None
    messages = []
    row = store.enabled_form(submission["organisation_id"], submission["form_id"])
    if row is not None:
        definition, _compiled = registry.get(row)
        if to_status == lifecycle.ACCEPTED:
            document = new_attestation(
                keyring, submission["organisation_id"], definition,
                submission["answers"],
            )  # fmt: skip
        name, email = definition.applicant_contact(submission["answers"])
        organisation = store.organisation_by_id(submission["organisation_id"])
        if email and organisation is not None:
            messages.append(
                mail.status_message(
                    organisation,
                    mail.form_title(row, definition, submission["lang"]),
                    submission,
                    to_status=to_status,
                    public_message=public_message or None,
                    name=name,
                    email=email,
                    tracking_url=tracking_url(submission, submission["lang"]),
                )
            )
    return store.change_status(
        submission["id"],
        expected=from_status,
        to_status=to_status,
        actor=actor,
        public_message=public_message or None,
        private_note=private_note or None,
        document=document,
        revoke_documents=from_status == lifecycle.ACCEPTED,
        messages=messages,
    )


def receipt_document(
    found: Tracked, lang: str, *, received_at: str, tracking_url: str | None
) -> ReceiptDocument:
    """What the PDF acknowledgement of receipt shows (values masked as on screen)."""
    submission = found.submission
    return ReceiptDocument(
        organisation=found.form.organisation["name"],
        form_title=found.form.title(lang),
        reference=submission["reference"],
        received_at=received_at,
        sections=summary(found.form.definition, submission["answers"], lang),
        tracking_url=tracking_url,
        lang=lang,
    )


def tracking_url(submission: dict[str, Any], lang: str | None = None) -> str | None:
    """The absolute tracking link of a submission (see :func:`mail.status_url`)."""
    from .extension import state

    kit = state()
    page = kit.store.tracking_page(submission["organisation_id"])
    return mail.status_url(kit.tokens(current_app.config), submission, lang, page)


def submission_messages(
    store: Store, form: PublicForm, applicant: tuple[str, str], lang: str
) -> Callable[[dict[str, Any]], list[dict[str, Any]]]:
    """What to e-mail about a new submission, once it has its id and reference.

    ``applicant`` is the applicant's ``(name, email)`` from their answers.
    """
    name, email = applicant
    staff = store.staff_to_notify(form.organisation["id"])
    staff_lang = current_app.config["ECITIZ_DEFAULT_LANGUAGE"]

    def compose(created: dict[str, Any]) -> list[dict[str, Any]]:
        rows = []
        if email:
            rows.append(
                mail.receipt_message(
                    form.organisation,
                    form.title(lang),
                    created,
                    name=name,
                    email=email,
                    tracking_url=tracking_url(created, lang),
                )
            )
        for address in staff:
            rows.append(
                mail.new_request_message(
                    form.organisation, form.title(staff_lang), created, email=address
                )
            )
        return rows

    return compose
