"""Moving a request along its life cycle, as staff (or a command) decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .. import lifecycle
from ..documents.attestations import Keyring, new_attestation
from ..errors import ForbiddenTransition, MessageRequired
from ..forms.registry import FormRegistry, form_title
from ..store import Store
from .grants import granted_cents
from .notices import Notices


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
    notices: Notices,
    job_item: tuple[int, int] | None = None,
    tell_applicant: bool = True,
    granted: Decimal | None = None,
    paying_batch: int | None = None,
) -> dict[str, Any]:
    """Move a request along its life cycle, recording who, when and why.

    Accepting a request whose form describes a document issues that document in
    the same transaction, its PDF queued to be rendered after the commit (by the
    worker, or by its first download); reopening an accepted one revokes it.
    Every change is e-mailed to the applicant (with the public message, never
    the private note) when the request has an e-mail address, queued in the same
    transaction (unless ``tell_applicant`` is false: a step on the way to a
    decision that is e-mailed at once). ``job_item`` (a job id and the
    request's id) marks it done in that bulk job in the same transaction.
    Accepting a request whose form describes a payment records the amount
    granted (``granted``, else the amount requested up to the form's ceiling);
    only such a request may become ``paid``, and one held by an open payment
    file moves only as that file (``paying_batch``) says.
    Raises :class:`ForbiddenTransition`, :class:`MessageRequired` when a
    request is sent back without saying what to change,
    :class:`~.grants.GrantRefused` for an amount above the ceiling and the
    store's :class:`~ecitiz_kit.store.InPaymentBatch`.
    """
    from_status = submission["status"]
    if not lifecycle.can_move(from_status, to_status):
        raise ForbiddenTransition(from_status, to_status)
    if to_status == lifecycle.SUBMITTED and not (public_message or "").strip():
        raise MessageRequired("say what the applicant should change")
    document = None
    messages: list[dict[str, Any]] = []
    row = store.enabled_form(submission["organisation_id"], submission["form_id"])
    definition = registry.get(row)[0] if row is not None else None
    if to_status == lifecycle.PAID and (
        definition is None or definition.payment is None
    ):
        raise ForbiddenTransition(from_status, to_status)
    amount = granted_cents(definition, submission, to_status, granted)
    if row is not None and definition is not None:
        if to_status == lifecycle.ACCEPTED:
            document = new_attestation(
                keyring, submission["organisation_id"], definition,
                submission["answers"],
            )  # fmt: skip
        organisation = store.organisation_by_id(submission["organisation_id"])
        if organisation is not None and tell_applicant:
            messages = notices.status_change(
                organisation,
                form_title(row, definition, submission["lang"]),
                submission,
                definition.applicant_contact(submission["answers"]),
                to_status=to_status,
                public_message=public_message or None,
                granted_cents=amount,
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
        job_item=job_item,
        granted_cents=amount,
        paying_batch=paying_batch,
    )
