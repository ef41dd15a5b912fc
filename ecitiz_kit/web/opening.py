"""A procedure's opening times in words, for the counter and the form pages."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, g

from ..domain.opening import CLOSED, UPCOMING, Opening
from ..i18n import format_minute, gettext


def moment(value: datetime) -> str:
    """A date and time to the minute in the kit's time zone and the page language."""
    return format_minute(value, g.ecitiz_lang, current_app.config["ECITIZ_TIMEZONE"])


def opening_note(opening: Opening, state: str) -> str:
    """One sentence on when a procedure takes requests ("" when always open)."""
    start = moment(opening.opens_at) if opening.opens_at else ""
    end = moment(opening.closes_at) if opening.closes_at else ""
    if state == UPCOMING:
        if end:
            return gettext("Opens on %(start)s, until %(end)s.", start=start, end=end)
        return gettext("Opens on %(start)s.", start=start)
    if state == CLOSED:
        return gettext("Closed: it was open until %(end)s.", end=end)
    return gettext("Open until %(end)s.", end=end) if end else ""
