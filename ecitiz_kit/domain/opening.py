"""When a procedure takes requests: its opening and closing times.

Times are stored in UTC and read and shown in the kit's time zone
(``ECITIZ_TIMEZONE``). A request typed before the closing time still counts:
its form ticket says when the form was shown, and a form shown while the
procedure was open is taken for the ticket's lifetime.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import EcitizError
from ..store import parse_stamp

OPEN, UPCOMING, CLOSED = "open", "upcoming", "closed"

#: A date and a time to the minute (seconds allowed), an optional UTC offset.
_MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?\Z"
)
EXAMPLE = "2026-03-01T09:00"


class BadSchedule(EcitizError, ValueError):
    """An opening or closing time the kit cannot use; the message says why."""


@dataclass(frozen=True)
class Opening:
    """When one procedure opens and closes (aware datetimes; ``None``: no limit)."""

    opens_at: datetime | None = None
    closes_at: datetime | None = None

    @classmethod
    def of(cls, row: dict[str, Any]) -> Opening:
        """The opening times of an enabled form's stored row."""
        opens, closes = row.get("opens_at"), row.get("closes_at")
        return cls(
            parse_stamp(opens) if opens else None,
            parse_stamp(closes) if closes else None,
        )

    def state(self, now: datetime) -> str:
        """``open``, ``upcoming`` (not open yet) or ``closed`` at ``now``."""
        if self.opens_at is not None and now < self.opens_at:
            return UPCOMING
        if self.closes_at is not None and now >= self.closes_at:
            return CLOSED
        return OPEN

    def admits(self, now: datetime, shown_at: datetime | None) -> bool:
        """Whether a request sent at ``now`` from a form shown at ``shown_at``
        (its ticket's issue time) is taken: while open, and after closing if the
        form was shown while it was open. The ticket's age is checked apart."""
        state = self.state(now)
        if state == OPEN:
            return True
        if state == UPCOMING or shown_at is None or self.closes_at is None:
            return False
        return shown_at < self.closes_at and (
            self.opens_at is None or shown_at >= self.opens_at
        )


def parse_moment(value: str, timezone: str, option: str) -> datetime:
    """A date and time typed by an administrator (``2026-03-01T09:00``), read in
    ``timezone`` unless it carries its own offset; :class:`BadSchedule` says why
    it cannot be used, naming ``option``."""
    raw = value.strip()
    shown = value if len(value) <= 40 else value[:40] + "…"
    shape_error = BadSchedule(
        f"{option} {shown!r}: write a date and a time such as {EXAMPLE}"
        f" ({timezone} time)."
    )
    if not _MOMENT.match(raw):
        raise shape_error
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise shape_error from None
    if moment.tzinfo is None:
        zone = ZoneInfo(timezone)
        local = moment.replace(tzinfo=zone)
        # A time skipped when the clocks go forward does not come back the same.
        if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment:
            raise BadSchedule(
                f"{option} {shown!r}: this time does not exist in {timezone}"
                " (the clocks go forward then); choose another."
            )
        moment = local
    return moment.astimezone(UTC)
