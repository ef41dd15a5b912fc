"""The staff request list: filters read from a query string, pages, counts, days.

Functions here take plain values (a mapping of query parameters, the store, a time
zone name) and know nothing of the HTTP request. Bad input raises
:class:`FilterError` or :class:`BadCursor`, both ``400 Bad Request`` with a message
for people; nothing here can turn garbage into a server error or into a page that
is not the one asked for.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.exceptions import BadRequest

from .. import lifecycle
from ..errors import EcitizError
from ..forms.definitions import FormDefinition
from ..forms.loading import catalog_ids, load_catalog
from ..forms.registry import FormRegistry
from ..i18n import gettext
from ..i18n import today as today_in
from ..store import Store
from ..store.base import stamp
from .deadlines import SOON_DAYS

PAGE_SIZE = 50
#: The query parameters the list's filters are read from.
FILTER_KEYS = ("form", "status", "from", "to", "q", "assignee", "due", "shares")
#: The ``assignee`` filter's values besides a staff id: the person looking, nobody.
MINE, UNASSIGNED = "me", "none"
#: The due-date filters: every request awaiting a decision, those due within
#: :data:`~.deadlines.SOON_DAYS` days, those overdue; each sorted by due date.
DUE_CHOICES = ("all", "soon", "overdue")
#: The signal filters, the most telling first (see :mod:`ecitiz_kit.store.signals`).
SIGNAL_CHOICES = ("iban_sirets", "iban", "siret", "email")
#: Longer searches are refused: no name or address needs more.
SEARCH_MAX_LENGTH = 100
CHART_DAYS = 30

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_ID = re.compile(r"[1-9][0-9]{0,18}")
# Dates outside these years are typing mistakes (and keep date arithmetic safe).
_FIRST_YEAR, _LAST_YEAR = 1900, 2999


class FilterError(EcitizError, BadRequest):
    """Some filters are wrong; ``problems`` maps each parameter to what to fix."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(" ".join(problems.values()))
        self.problems = problems
        self.ecitiz_message = self.description  # what error pages show


class BadCursor(EcitizError, BadRequest):
    """A page link's position was altered or cut short."""

    def __init__(self) -> None:
        super().__init__(
            gettext("This page link is damaged. Go back to the first page of the list.")
        )
        self.ecitiz_message = self.description  # what error pages show


@dataclass(frozen=True)
class Filters:
    """What the staff member asked to see; ``None`` and ``""`` mean everything."""

    form_id: str | None = None
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None  # included
    search: str = ""
    #: :data:`MINE`, :data:`UNASSIGNED` or a staff id (as typed in the address).
    assignee: str | None = None
    due: str | None = None
    signal: str | None = None

    @property
    def by_due(self) -> bool:
        """Whether the list is sorted by due date (a due-date filter is on)."""
        return self.due is not None

    def query(self) -> dict[str, str]:
        """The filters as query parameters (to build links that keep them)."""
        values = {
            "form": self.form_id or "",
            "status": self.status or "",
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "q": self.search,
            "assignee": self.assignee or "",
            "due": self.due or "",
            "shares": self.signal or "",
        }
        return {key: value for key, value in values.items() if value}

    def for_store(
        self, timezone: str, *, me: int | None = None, today: date | None = None
    ) -> dict[str, Any]:
        """The filters as the store takes them; dates are whole days in
        ``timezone``, due dates counted from ``today`` there, and "mine" means
        staff id ``me``."""
        assigned_to = None
        if self.assignee == MINE:
            if me is None:
                raise ValueError("'mine' needs the id of the person looking")
            assigned_to = me
        elif self.assignee and self.assignee != UNASSIGNED:
            assigned_to = int(self.assignee)
        due: dict[str, Any] = {}
        if self.due is not None:
            today = today or today_in(timezone)
            due["awaiting"] = True
            if self.due == "soon":
                due["due_from"] = today.isoformat()
                due["due_until"] = (today + timedelta(days=SOON_DAYS)).isoformat()
            elif self.due == "overdue":
                due["due_until"] = (today - timedelta(days=1)).isoformat()
        return {
            **due,
            "signal": self.signal,
            "assigned_to": assigned_to,
            "unassigned": self.assignee == UNASSIGNED,
            "form_id": self.form_id,
            "status": self.status,
            "since": day_start(self.date_from, timezone) if self.date_from else None,
            "until": (
                day_start(self.date_to + timedelta(days=1), timezone)
                if self.date_to
                else None
            ),
            "search": self.search,
        }


def day_start(day: date, timezone: str) -> str:
    """The stored timestamp of midnight starting ``day`` in ``timezone``."""
    return stamp(datetime.combine(day, time(), tzinfo=ZoneInfo(timezone)))


def parse_filters(
    args: Mapping[str, str],
    form_ids: Sequence[str],
    staff_ids: Collection[int] = (),
) -> Filters:
    """Read and check the list filters in query parameters ``args``.

    ``form_ids`` are the organisation's forms, ``staff_ids`` its team. Unknown
    parameters are ignored; every wrong one is reported at once in a
    :class:`FilterError`.
    """
    problems: dict[str, str] = {}
    form_id = args.get("form", "").strip() or None
    if form_id is not None and form_id not in form_ids:
        problems["form"] = gettext("Choose a form from the list.")
    status = args.get("status", "").strip() or None
    if status is not None and status not in lifecycle.STATUSES:
        problems["status"] = gettext("Choose a status from the list.")
    dates: dict[str, date | None] = {}
    for key in ("from", "to"):
        dates[key] = None
        raw = args.get(key, "").strip()
        if raw:
            dates[key] = _parse_date(raw)
            if dates[key] is None:
                problems[key] = gettext(
                    "Enter a date as year-month-day, for example %(example)s.",
                    example=date.today().isoformat(),
                )
    if dates["from"] and dates["to"] and dates["from"] > dates["to"]:
        problems["to"] = gettext("The end date must not be before the start date.")
    search = " ".join(_printable(args.get("q", "")).split())
    if len(search) > SEARCH_MAX_LENGTH:
        problems["q"] = gettext(
            "The search is too long: %(max)s characters at most.",
            max=SEARCH_MAX_LENGTH,
        )
    assignee = args.get("assignee", "").strip() or None
    if assignee not in (None, MINE, UNASSIGNED) and not (
        _ID.fullmatch(assignee or "") and int(assignee or 0) in staff_ids
    ):
        problems["assignee"] = gettext("Choose a person from the list.")
    due = args.get("due", "").strip() or None
    if due is not None and due not in DUE_CHOICES:
        problems["due"] = gettext("Choose a due date from the list.")
    signal = args.get("shares", "").strip() or None
    if signal is not None and signal not in SIGNAL_CHOICES:
        problems["shares"] = gettext("Choose a signal from the list.")
    if problems:
        raise FilterError(problems)
    return Filters(
        form_id,
        status,
        dates["from"],
        dates["to"],
        search,
        assignee,
        due=due,
        signal=signal,
    )


def _parse_date(raw: str) -> date | None:
    if not _ISO_DATE.fullmatch(raw):
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return day if _FIRST_YEAR <= day.year <= _LAST_YEAR else None


def _printable(raw: str) -> str:
    # Control characters (NUL, escapes) are never part of a name: they become
    # spaces rather than reaching the search.
    return "".join(" " if unicodedata.category(c)[0] == "C" else c for c in raw)


# -- cursors -----------------------------------------------------------------------


def encode_cursor(row: Mapping[str, Any], by_due: bool = False) -> str:
    """The position just after ``row`` in the list, for a page link."""
    raw = f"{row['due_on' if by_due else 'created_at']}~{row['id']}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(text: str, by_due: bool = False) -> tuple[str, int]:
    """The ``(created_at, id)`` a page link carries (``(due_on, id)`` in a list
    sorted by due date); :class:`BadCursor` if it was altered in any way that
    does not name a position."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        raise BadCursor() from None
    created_at, _sep, number = raw.partition("~")
    if not _ID.fullmatch(number):
        raise BadCursor()
    if by_due:
        if _parse_date(created_at) is None:
            raise BadCursor()
    elif not _STAMP.fullmatch(created_at):
        raise BadCursor()
    try:
        if not by_due:
            datetime.strptime(created_at, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        raise BadCursor() from None
    if int(number) >= 2**63:
        raise BadCursor()
    return created_at, int(number)


# -- pages and counts ----------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of the list, newest first, with the links to its neighbours.

    ``older`` and ``newer`` are cursors (``None`` when there is nothing there).
    """

    rows: list[dict[str, Any]]
    older: str | None = None
    newer: str | None = None


def request_page(
    store: Store,
    organisation_id: int,
    filters: Filters,
    timezone: str,
    *,
    older: str | None = None,
    newer: str | None = None,
    size: int = PAGE_SIZE,
    me: int | None = None,
) -> Page:
    """The page after cursor ``older`` (older requests), before cursor ``newer``
    (newer ones), or the first page; ``me`` is the staff id "mine" stands for."""
    if older and newer:
        raise BadCursor()
    selection = filters.for_store(timezone, me=me)
    by_due = filters.by_due
    cursor = older or newer
    position = decode_cursor(cursor, by_due) if cursor else None
    backwards = bool(newer)
    rows = store.request_page(
        organisation_id,
        limit=size + 1,
        cursor=position,
        newer=backwards,
        by_due=by_due,
        **selection,
    )
    more = len(rows) > size
    if backwards:
        rows = rows[1:] if more else rows  # the extra row is the newest
    else:
        rows = rows[:size]
    if not rows:
        return Page([])

    def beyond(row: dict[str, Any], newer: bool) -> bool:
        found = store.request_page(
            organisation_id,
            limit=1,
            cursor=(row["due_on" if by_due else "created_at"], row["id"]),
            newer=newer,
            by_due=by_due,
            **selection,
        )
        return bool(found)

    has_older = more if not backwards else beyond(rows[-1], False)
    has_newer = more if backwards else position is not None and beyond(rows[0], True)
    return Page(
        rows,
        older=encode_cursor(rows[-1], by_due) if has_older else None,
        newer=encode_cursor(rows[0], by_due) if has_newer else None,
    )


def status_counts(
    store: Store,
    organisation_id: int,
    filters: Filters,
    timezone: str,
    *,
    me: int | None = None,
) -> dict[str, int]:
    """Requests matching ``filters`` but for the status one, per status."""
    selection = filters.for_store(timezone, me=me)
    selection["status"] = None
    found = store.status_counts(
        organisation_id, statuses=lifecycle.STATUSES, **selection
    )
    return {status: found.get(status, 0) for status in lifecycle.STATUSES}


def next_request(
    store: Store,
    organisation_id: int,
    filters: Filters,
    timezone: str,
    after: Mapping[str, Any],
    *,
    me: int | None = None,
) -> int | None:
    """The id of the request that follows ``after`` (a request's row) in the list
    with ``filters``, newest first; None at the end of the list.

    ``after`` need not match the filters any more: a request just decided has
    usually left a list filtered on its former status.
    """
    rows = store.request_page(
        organisation_id,
        limit=1,
        cursor=(after["created_at"], after["id"]),
        **filters.for_store(timezone, me=me),
    )
    return rows[0]["id"] if rows else None


@dataclass(frozen=True)
class Day:
    """Requests created on one day, per status."""

    day: date
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def daily_counts(
    store: Store,
    organisation_id: int,
    timezone: str,
    *,
    form_id: str | None = None,
    today: date | None = None,
    days: int = CHART_DAYS,
) -> list[Day]:
    """Requests per day and status over the last ``days`` days (today included),
    oldest first; days are those of ``timezone``."""
    today = today or today_in(timezone)
    first = today - timedelta(days=days - 1)
    result = [Day(first + timedelta(days=n)) for n in range(days)]
    # Each day is cut at midnight in the time zone, whatever its offset that day.
    bounds = [day_start(d.day, timezone) for d in result]
    bounds.append(day_start(today + timedelta(days=1), timezone))
    found = store.counts_between(
        organisation_id, bounds=bounds, statuses=lifecycle.STATUSES, form_id=form_id
    )
    for index, status, count in found:
        result[index].counts[status] = count
    return result


# -- applicant columns ---------------------------------------------------------------


def definition_lookup(
    store: Store, registry: FormRegistry
) -> Callable[[int, str], FormDefinition | None]:
    """``(organisation_id, form_id) -> definition`` for the forms in the store
    (ready-made ones even once disabled), ``None`` for a form that is gone."""

    def lookup(organisation_id: int, form_id: str) -> FormDefinition | None:
        row = store.enabled_form(organisation_id, form_id)
        if row is not None:
            return registry.get(row)[0]
        return load_catalog(form_id) if form_id in catalog_ids() else None

    return functools.cache(lookup)


def fill_applicants(
    store: Store,
    definition_for: Callable[[int, str], FormDefinition | None],
    batch_size: int = 500,
) -> int:
    """Fill the applicant name and e-mail of requests stored before the store kept
    them, from their answers and form definition; return how many were filled.

    ``definition_for(organisation_id, form_id)`` gives the definition (``None``
    when the form is gone: the request then gets empty values, found by
    reference only).
    """
    filled = 0
    while rows := store.submissions_without_applicant(batch_size):
        values = []
        for row in rows:
            definition = definition_for(row["organisation_id"], row["form_id"])
            contact = (
                definition.applicant_contact(json.loads(row["answers"]))
                if definition
                else ("", "")
            )
            values.append((row["id"], *contact))
        store.set_applicants(values)
        filled += len(values)
    return filled
