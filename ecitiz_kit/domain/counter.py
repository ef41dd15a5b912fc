"""An organisation's counter: every procedure it offers, as an applicant reads them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..forms.registry import FormRegistry, form_title
from ..i18n import text
from ..store import Store
from .opening import CLOSED, OPEN, UPCOMING, Opening


@dataclass(frozen=True)
class Procedure:
    """One enabled form, in one language, and whether it takes requests now."""

    form_id: str
    title: str
    summary: str
    minutes: int | None
    prepare: tuple[str, ...]
    state: str
    opening: Opening


def procedures(
    store: Store,
    registry: FormRegistry,
    organisation_id: int,
    lang: str,
    now: datetime,
) -> list[Procedure]:
    """The organisation's procedures: open ones first (by title), then those
    opening soonest, then those closed most recently."""
    found = []
    for row in store.enabled_forms(organisation_id):
        definition, _compiled = registry.get(row)
        opening = Opening.of(row)
        found.append(
            Procedure(
                form_id=row["form_id"],
                title=form_title(row, definition, lang),
                summary=text(definition.summary, lang),
                minutes=definition.minutes,
                prepare=tuple(text(item, lang) for item in definition.prepare),
                state=opening.state(now),
                opening=opening,
            )
        )
    return sorted(found, key=_order)


def _order(procedure: Procedure) -> tuple[int, float, str]:
    opening = procedure.opening
    if procedure.state == UPCOMING and opening.opens_at is not None:
        return 1, opening.opens_at.timestamp(), procedure.title.casefold()
    if procedure.state == CLOSED and opening.closes_at is not None:
        return 2, -opening.closes_at.timestamp(), procedure.title.casefold()
    return 0 if procedure.state == OPEN else 3, 0.0, procedure.title.casefold()
