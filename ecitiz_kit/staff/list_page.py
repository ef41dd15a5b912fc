"""The request list of the signed-in person's organisation, and its CSV export.

Thin views: the filters, pages, counts and days come from
:mod:`~ecitiz_kit.domain.request_list`, the chart from :mod:`~ecitiz_kit.domain.charts`
and the file from :mod:`~ecitiz_kit.domain.exports`. Everything is scoped to
``g.ecitiz_staff["organisation_id"]``: no query of this module can reach another
organisation's requests.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from typing import Any

from flask import (
    Response,
    current_app,
    g,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from .. import lifecycle
from ..domain import charts, exports
from ..domain import request_list as listing
from ..domain.deadlines import SOON_DAYS
from ..domain.request_list import FilterError, Filters
from ..i18n import format_date, gettext
from ..state import state
from ..web.pages import today, when
from .audit import audit
from .auth import staff_required
from .blueprint import blueprint
from .bulk_page import bulk_form


def _title(row: dict[str, Any] | None, form_id: str) -> str:
    return state().forms.title(row, form_id, g.ecitiz_lang)


def _forms(organisation_id: int) -> dict[str, dict[str, Any]]:
    """The organisation's forms: id -> stored row."""
    return {row["form_id"]: row for row in state().store.enabled_forms(organisation_id)}


def _list_url(filters: Filters, **extra: str | None) -> str:
    """The list (or export) with ``filters`` (the blueprint keeps the language)."""
    endpoint = extra.pop("endpoint", None) or "ecitiz_staff.request_list"
    return url_for(endpoint, **filters.query(), **extra)


@blueprint.get("/")
@staff_required
def request_list() -> Any:
    """The organisation's requests, newest first, filtered, by pages of 50."""
    store = state().store
    organisation_id = g.ecitiz_staff["organisation_id"]
    me = g.ecitiz_staff["id"]
    forms = _forms(organisation_id)
    team = {member["id"]: member["email"] for member in store.team(organisation_id)}
    timezone = current_app.config["ECITIZ_TIMEZONE"]
    choices = {
        "forms": [(f, _title(row, f)) for f, row in forms.items()],
        "statuses": [
            (s, lifecycle.status_name(s, g.ecitiz_lang)) for s in lifecycle.STATUSES
        ],
        "team": [(str(key), email) for key, email in team.items() if key != me],
        "due_choices": due_choices(),
        "signal_choices": signal_choices(),
    }
    try:
        filters = listing.parse_filters(request.args, list(forms), team)
    except FilterError as error:
        # The form comes back with what was typed and what to fix; no rows are
        # shown for filters that mean nothing.
        values = {key: request.args.get(key, "").strip() for key in listing.FILTER_KEYS}
        return (
            render_template(
                "ecitiz/staff/list.html",
                values=values,
                problems=error.problems,
                **choices,
            ),
            400,
        )
    older, newer = request.args.get("older"), request.args.get("newer")
    cursor = older or newer
    page = listing.request_page(
        store, organisation_id, filters, timezone, older=older, newer=newer, me=me
    )
    counts = listing.status_counts(store, organisation_id, filters, timezone, me=me)
    days = listing.daily_counts(
        store, organisation_id, timezone, form_id=filters.form_id
    )
    now = today()
    rows = [
        {
            **row,
            "received": when(row["created_at"]),
            "status_name": lifecycle.status_name(row["status"], g.ecitiz_lang),
            "form_title": _title(forms.get(row["form_id"]), row["form_id"]),
            "assignee": team.get(row["assigned_to"]),
            **due_facts(row, now),
            "signals": row_signals(row),
        }
        for row in page.rows
    ]
    status_links = [
        (status, name, counts[status], _list_url(_with_status(filters, status)))
        for status, name in choices["statuses"]
    ]
    total = counts[filters.status] if filters.status else sum(counts.values())
    return render_template(
        "ecitiz/staff/list.html",
        values=filters.query(),
        problems={},
        filters=filters,
        queue=filters.query(),
        end_of_queue=bool(request.args.get("end")),
        rows=rows,
        total=total,
        bulk=bulk_form(filters, total),
        all_link=(sum(counts.values()), _list_url(_with_status(filters, None))),
        status_links=status_links,
        chart=charts.daily_chart(days, g.ecitiz_lang),
        chart_caption=_chart_caption(len(days), filters.form_id, forms),
        chart_rows=[
            {
                "label": format_date(day.day, g.ecitiz_lang),
                "counts": [day.counts.get(s, 0) for s in lifecycle.STATUSES],
                "total": day.total,
            }
            for day in reversed(days)
        ],
        colours=charts.COLOURS,
        page_size=listing.PAGE_SIZE,
        # Any page reached by a link, even an empty one, leads back to the top.
        first_page=_list_url(filters) if page.newer or cursor else None,
        newer_page=_list_url(filters, newer=page.newer) if page.newer else None,
        older_page=_list_url(filters, older=page.older) if page.older else None,
        export_url=_list_url(filters, endpoint="ecitiz_staff.export_csv"),
        xlsx_url=_list_url(filters, endpoint="ecitiz_staff.export_xlsx"),
        zip_url=_list_url(filters, endpoint="ecitiz_staff.export_zip"),
        **choices,
    )


def _chart_caption(days: int, form_id: str | None, forms: dict[str, Any]) -> str:
    if form_id:
        return gettext(
            "Requests received per day over the last %(days)s days, by status:"
            " “%(form)s” only.",
            days=days,
            form=_title(forms[form_id], form_id),
        )
    return gettext(
        "Requests received per day over the last %(days)s days, by status.", days=days
    )


def _with_status(filters: Filters, status: str | None) -> Filters:
    return dataclasses.replace(filters, status=status)


def due_choices() -> list[tuple[str, str]]:
    """The due-date filters, as the list offers them."""
    return [
        ("all", gettext("Awaiting a decision, soonest due first")),
        ("soon", gettext("Due within %(days)s days", days=SOON_DAYS)),
        ("overdue", gettext("Overdue")),
    ]


def signal_choices() -> list[tuple[str, str]]:
    """The signal filters, the most telling first."""
    return [
        ("iban_sirets", gettext("One IBAN given with several SIRETs")),
        ("iban", gettext("Same IBAN as another request")),
        ("siret", gettext("Same SIRET as another request")),
        ("email", gettext("Same e-mail address as another request")),
    ]


def due_facts(row: dict[str, Any], now: date) -> dict[str, Any]:
    """A request's due date in words and whether it is overdue (only requests
    awaiting a decision have one that matters)."""
    if not row.get("due_on") or row["status"] not in lifecycle.AWAITING:
        return {"due": None, "overdue": False}
    due = date.fromisoformat(row["due_on"])
    return {"due": format_date(due, g.ecitiz_lang), "overdue": due < now}


def row_signals(row: dict[str, Any]) -> list[str]:
    """What a request shares with others of the organisation, in words."""
    found = []
    if row.get("iban_sirets"):
        found.append(gettext("IBAN with several SIRETs"))
    elif row.get("shares_iban"):
        found.append(gettext("Shared IBAN"))
    if row.get("shares_siret"):
        found.append(gettext("Shared SIRET"))
    if row.get("shares_email"):
        found.append(gettext("Shared e-mail address"))
    return found


@blueprint.get("/requests.csv")
@staff_required
def export_csv() -> Response:
    """Every request matching the list's filters, as a CSV file, streamed.

    Bad filters are refused (400) before anything is sent. The rows are read in
    batches while the file is being sent, so memory does not grow with them.
    """
    store = state().store
    organisation_id = g.ecitiz_staff["organisation_id"]
    forms = _forms(organisation_id)
    team = [member["id"] for member in store.team(organisation_id)]
    filters = listing.parse_filters(request.args, list(forms), team)
    timezone = current_app.config["ECITIZ_TIMEZONE"]
    lang = g.ecitiz_lang
    wanted = [filters.form_id] if filters.form_id else list(forms)
    layout = {}
    for form_id in wanted:
        definition, _compiled = state().forms.get(forms[form_id])
        layout[form_id] = (definition, _title(forms[form_id], form_id))
    rows = store.iter_requests(
        organisation_id,
        by_due=filters.by_due,
        **filters.for_store(timezone, me=g.ecitiz_staff["id"]),
    )
    slug = re.sub(r"[^A-Za-z0-9_-]", "-", g.ecitiz_staff["slug"])
    filename = f"{slug}-requests-{today().isoformat()}.csv"
    response = Response(
        stream_with_context(exports.csv_chunks(rows, layout, lang, timezone)),
        mimetype="text/csv",
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    asked = {key: request.args.get(key, "") for key in listing.FILTER_KEYS}
    audit("export.csv", **{key: value for key, value in asked.items() if value})
    return response
