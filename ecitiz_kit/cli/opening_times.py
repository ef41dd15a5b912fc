"""Opening and closing times typed on the command line: read, checked, described."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click
from flask import current_app

from ..domain.opening import (
    CLOSED,
    UPCOMING,
    BadSchedule,
    Opening,
    parse_moment,
)
from ..store import utcnow

#: Typed for --opens or --closes: no limit on that side.
NO_LIMIT = "none"


def read_schedule(
    current: Opening, opens: str | None, closes: str | None
) -> tuple[datetime | None, datetime | None]:
    """The schedule the options ask for (an option left out keeps ``current``),
    or a :class:`click.ClickException` saying what is wrong."""
    timezone = current_app.config["ECITIZ_TIMEZONE"]

    def read(value: str | None, option: str, kept: datetime | None) -> datetime | None:
        if value is None:
            return kept
        if value.strip().lower() == NO_LIMIT:
            return None
        return parse_moment(value, timezone, option)

    try:
        opens_at = read(opens, "--opens", current.opens_at)
        closes_at = read(closes, "--closes", current.closes_at)
    except BadSchedule as exc:
        raise click.ClickException(str(exc)) from None
    # One of them may be the current one: the message says both.
    if opens_at is not None and closes_at is not None and closes_at <= opens_at:
        raise click.ClickException(
            f"the closing time ({_local(closes_at)}) must come after the opening"
            f" time ({_local(opens_at)}), {timezone} time."
        )
    return opens_at, closes_at


def describe(opening: Opening) -> str:
    """A schedule in the kit's time zone, for the command's output."""
    parts = []
    if opening.opens_at is not None:
        parts.append(f"opens {_local(opening.opens_at)}")
    if opening.closes_at is not None:
        parts.append(f"closes {_local(opening.closes_at)}")
    if not parts:
        return "open, with no opening or closing time"
    state = {UPCOMING: "not open yet", CLOSED: "closed now"}.get(
        opening.state(utcnow()), "open now"
    )
    timezone = current_app.config["ECITIZ_TIMEZONE"]
    return f"{' and '.join(parts)} ({timezone} time); {state}"


def _local(moment: datetime) -> str:
    timezone = current_app.config["ECITIZ_TIMEZONE"]
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")
