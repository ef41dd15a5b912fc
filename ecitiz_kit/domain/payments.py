"""From decision to money: the amount granted, SEPA credit-transfer files and
the ``paid`` status.

A form whose definition has a ``payment`` describes one: accepting a request
records its granted amount (the amount requested by default, never above the
form's ceiling). Staff put accepted requests in a payment file (ISO 20022
``pain.001.001.03``, made and checked against its schema by ``sepaxml``) paid
from the organisation's debtor account; marking the file paid moves its
requests to ``paid``, each through :func:`~.status.change_status` with its
event and e-mail. A request the file cannot pay (an IBAN or BIC that no longer
checks out, an amount above the ceiling) is left out, with the reason: the
file made is never malformed.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sepaxml import SepaTransfer
from stdnum import bic as bic_code
from stdnum import iban as iban_code
from stdnum.exceptions import ValidationError as BadNumber

from .. import lifecycle
from ..documents.attestations import Keyring
from ..errors import EcitizError
from ..forms.registry import FormRegistry
from ..store import StaleStatus, Store
from ..store.payments import CANCELLED, PAID
from .grants import cents
from .notices import Notices
from .status import change_status

SCHEMA = "pain.001.001.03"
#: The most requests one payment file takes: marking it paid moves each one
#: while the page waits (about 5 s for 1,000, see bench/payments.py).
PAYMENT_CAP = 1000
#: The longest name a SEPA file carries (longer ones are cut).
NAME_LENGTH = 70

# Why a selected request was left out of a payment file.
NOT_ACCEPTED = "not_accepted"
NO_PAYMENT = "no_payment"
IN_BATCH = "in_batch"
NO_AMOUNT = "no_amount"
OVER_CEILING = "over_ceiling"
BAD_IBAN = "bad_iban"
BAD_BIC = "bad_bic"
NO_HOLDER = "no_holder"


class BadAccount(EcitizError):
    """A debtor account refused; ``field`` is ``name``, ``iban`` or ``bic``."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class NothingToPay(EcitizError):
    """No selected request can be paid: no file was made."""

    def __init__(self, left_out: list[tuple[str, str]]) -> None:
        super().__init__(left_out)
        self.left_out = left_out


class TooManyTransfers(EcitizError):
    """More requests selected than one payment file takes; nothing was made."""

    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count


class NoDebtorAccount(EcitizError):
    """The organisation has no debtor account yet."""


@dataclass(frozen=True)
class Account:
    """A bank account a file pays from or into."""

    name: str
    iban: str
    bic: str


# -- the debtor account ------------------------------------------------------------


def check_account(name: str, iban: str, bic: str) -> Account:
    """A debtor account as stored (IBAN and BIC compact, in capitals), or
    :class:`BadAccount` naming the first field refused."""
    name = " ".join(name.split())
    if not name or len(name) > NAME_LENGTH:
        raise BadAccount("name")
    try:
        iban = iban_code.validate(iban)
    except BadNumber:
        raise BadAccount("iban") from None
    try:
        bic = bic_code.validate(bic)
    except BadNumber:
        raise BadAccount("bic") from None
    return Account(name, iban, bic)


def debtor_account(organisation: dict[str, Any]) -> Account | None:
    if not organisation.get("debtor_iban"):
        return None
    return Account(
        organisation["debtor_name"],
        organisation["debtor_iban"],
        organisation["debtor_bic"],
    )


# -- payment files -----------------------------------------------------------------


def payee(
    store: Store, registry: FormRegistry, submission: dict[str, Any]
) -> tuple[Account, int] | str:
    """The account and amount (in cents) a request is paid, or why it cannot be."""
    if submission["status"] != lifecycle.ACCEPTED:
        return NOT_ACCEPTED
    row = store.enabled_form(submission["organisation_id"], submission["form_id"])
    spec = registry.get(row)[0].payment if row is not None else None
    if spec is None:
        return NO_PAYMENT
    amount = submission.get("granted_cents")
    if not amount:
        return NO_AMOUNT
    if amount > cents(spec.ceiling):
        return OVER_CEILING
    answers = submission["answers"]
    try:
        iban = iban_code.validate(str(answers.get(spec.iban) or ""))
    except BadNumber:
        return BAD_IBAN
    try:
        bic = bic_code.validate(str(answers.get(spec.bic) or ""))
    except BadNumber:
        return BAD_BIC
    holder = " ".join(str(answers.get(spec.holder) or "").split())
    if not holder:
        return NO_HOLDER
    return Account(holder, iban, bic), amount


def transfer_file(
    debtor: Account,
    transfers: Sequence[tuple[str, Account, int]],
    execution_date: date,
) -> tuple[str, bytes]:
    """The ``pain.001.001.03`` file paying each ``(reference, account, cents)``
    from ``debtor``, checked against the schema; and its message id."""
    sepa = SepaTransfer(
        {"name": debtor.name, "IBAN": debtor.iban, "BIC": debtor.bic,
         "batch": True, "currency": "EUR"},
        schema=SCHEMA,
    )  # fmt: skip
    for reference, account, amount in transfers:
        sepa.add_payment(
            {
                "name": account.name,
                "IBAN": account.iban,
                "BIC": account.bic,
                "amount": amount,
                "execution_date": execution_date,
                "description": reference,
                "endtoend_id": reference,
            }
        )
    return sepa.msg_id, sepa.export(validate=True)


def new_key() -> str:
    """The key a payment form carries, so that posting it twice makes one file."""
    return secrets.token_urlsafe(18)


def prepare(
    store: Store,
    registry: FormRegistry,
    organisation: dict[str, Any],
    submission_ids: Sequence[int],
    *,
    key: str,
    actor: str,
    execution_date: date,
) -> tuple[int, bool]:
    """Make a payment file of the selected requests that can be paid and return
    ``(batch id, created)``; those that cannot are recorded with it, with why.

    Raises :class:`NoDebtorAccount`, :class:`TooManyTransfers`,
    :class:`NothingToPay` (nothing recorded),
    and the store's :class:`~ecitiz_kit.store.AlreadyInBatch` when another file
    took a request meanwhile."""
    made = store.payment_batch_for_key(organisation["id"], key)
    if made is not None:
        return made, False
    submission_ids = list(dict.fromkeys(submission_ids))
    if len(submission_ids) > PAYMENT_CAP:
        raise TooManyTransfers(len(submission_ids))
    debtor = debtor_account(organisation)
    if debtor is None:
        raise NoDebtorAccount()
    transfers: list[tuple[str, Account, int]] = []
    items: list[tuple[int, int]] = []
    left_out: list[tuple[str, str]] = []
    for submission_id in submission_ids:
        submission = store.submission(submission_id)
        if submission is None or submission["organisation_id"] != organisation["id"]:
            continue
        found = payee(store, registry, submission)
        if isinstance(found, str):
            left_out.append((submission["reference"], found))
        elif store.open_payment_batch(submission_id) is not None:
            left_out.append((submission["reference"], IN_BATCH))
        else:
            account, amount = found
            transfers.append((submission["reference"], account, amount))
            items.append((submission_id, amount))
    if not transfers:
        raise NothingToPay(left_out)
    message_id, xml = transfer_file(debtor, transfers, execution_date)
    return store.create_batch(
        organisation["id"], key=key, message_id=message_id, items=items, xml=xml,
        left_out=left_out, actor=actor,
    )  # fmt: skip


def mark_paid(
    store: Store,
    registry: FormRegistry,
    keyring: Keyring,
    batch: dict[str, Any],
    *,
    actor: str,
    notices: Notices,
) -> int:
    """Move every request of an open file to ``paid`` (each with its event and
    e-mail), then close the file; return how many moved. Run again after a
    failure, it moves those left and closes the file."""
    moved = 0
    for item in store.payment_items(batch["id"]):
        submission = store.submission(item["submission_id"])
        if submission is None or submission["status"] != lifecycle.ACCEPTED:
            continue
        try:
            change_status(
                store, registry, keyring, submission, lifecycle.PAID,
                actor=actor, notices=notices, paying_batch=batch["id"],
            )  # fmt: skip
        except StaleStatus:
            continue
        moved += 1
    store.close_batch(batch["organisation_id"], batch["id"], PAID, actor=actor)
    return moved


def cancel(store: Store, batch: dict[str, Any], *, actor: str) -> None:
    """Cancel an open file: its requests stay accepted and may be paid again."""
    store.close_batch(batch["organisation_id"], batch["id"], CANCELLED, actor=actor)
