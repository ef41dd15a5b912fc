"""Duplicate and fraud signals: the identifiers a request is compared by, and
filling them in for requests stored before they were kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..fingerprints import Fingerprints, siret_key
from ..forms.definitions import FormDefinition
from ..store import Store, parse_stamp
from .deadlines import due_date


def identifiers(
    definition: FormDefinition, answers: dict[str, Any], fingerprints: Fingerprints
) -> tuple[str | None, str | None]:
    """A request's ``(siret_key, iban_key)``: its SIRET's digits and its IBAN's
    keyed fingerprint (``None`` for what the form does not ask)."""
    siret, iban = definition.identifiers(answers)
    return siret_key(siret), fingerprints.iban(iban)


def fill_requests(
    store: Store,
    definition_for: Callable[[int, str], FormDefinition | None],
    fingerprints: Fingerprints,
    *,
    decision_days: Callable[[int, str], int],
    timezone: str,
    batch_size: int = 500,
) -> int:
    """Give requests stored before due dates and signals existed their due date
    and identifiers, and set their signals; return how many were filled.

    ``decision_days(organisation_id, form_id)`` is the form's period (the
    default one for a form that is gone).
    """
    filled = 0
    while rows := store.requests_to_fill(batch_size):
        values = []
        for row in rows:
            definition = definition_for(row["organisation_id"], row["form_id"])
            found = (
                identifiers(definition, json.loads(row["answers"]), fingerprints)
                if definition
                else (None, None)
            )
            due = due_date(
                parse_stamp(row["created_at"]),
                decision_days(row["organisation_id"], row["form_id"]),
                timezone,
            )
            values.append((row["id"], due.isoformat(), *found))
        store.fill_requests(values)
        filled += len(values)
    return filled
