"""The amount granted a request whose form describes a payment."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from werkzeug.exceptions import BadRequest

from .. import lifecycle
from ..errors import EcitizError
from ..forms.definitions import FormDefinition, PaymentSpec


class GrantRefused(EcitizError, BadRequest):
    """A granted amount that is not a positive amount within the ceiling."""

    def __init__(self, ceiling: Decimal) -> None:
        super().__init__(ceiling)
        self.ceiling = ceiling


_AMOUNT = re.compile(r"[0-9]{1,9}(?:[.,][0-9]{1,2})?")
_SPACES = re.compile(r"[\s\u00a0\u202f]+|€|EUR")


def parse_amount(text: str) -> Decimal | None:
    """An amount in euros as people type it (``1 234,50 €``), or ``None``."""
    compact = _SPACES.sub("", text)
    if not _AMOUNT.fullmatch(compact):
        return None
    return Decimal(compact.replace(",", ".")).quantize(Decimal("0.01"))


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def euros(amount_cents: int) -> Decimal:
    return (Decimal(amount_cents) / 100).quantize(Decimal("0.01"))


def default_grant(spec: PaymentSpec, answers: dict[str, Any]) -> Decimal | None:
    """The amount requested, at most the ceiling (``None``: none requested)."""
    try:
        requested = Decimal(str(answers.get(spec.amount)))
    except InvalidOperation:
        return None
    if not requested.is_finite() or requested <= 0:
        return None
    return min(requested.quantize(Decimal("0.01")), spec.ceiling)


def granted_cents(
    definition: FormDefinition | None,
    submission: dict[str, Any],
    to_status: str,
    granted: Decimal | None = None,
) -> int | None:
    """The amount granted a request holds once moved to ``to_status``: set on
    acceptance (``granted``, else the default), kept when paid, dropped when it
    goes elsewhere. Raises :class:`GrantRefused` for an amount that is not
    positive or is above the ceiling."""
    spec = definition.payment if definition is not None else None
    if spec is None:
        return None
    if to_status == lifecycle.PAID:
        return submission.get("granted_cents")
    if to_status != lifecycle.ACCEPTED:
        return None
    amount = (
        granted if granted is not None else default_grant(spec, submission["answers"])
    )
    if amount is None:
        return None
    if not (Decimal("0.01") <= amount <= spec.ceiling):
        raise GrantRefused(spec.ceiling)
    return cents(amount)
