"""Bulk actions from the request list: what the form offers, starting one, and the
page that follows it until it is done.

Thin views over :mod:`~ecitiz_kit.domain.bulk`. Everything is scoped to the
signed-in person's organisation: another organisation's request or job is not
found, and nothing is moved.
"""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Response,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from .. import lifecycle
from ..domain import bulk
from ..domain import request_list as listing
from ..domain.request_list import Filters
from ..errors import UnknownObject
from ..forms.validators import controls_message, has_controls
from ..i18n import gettext
from ..state import state
from ..store import utcnow
from ..store.base import parse_stamp, stamp
from ..web.pages import notices
from ..web.ratelimits import client_address
from .audit import audit
from .auth import staff_required
from .blueprint import blueprint
from .request_page import MESSAGE_MAX_LENGTH, ROW_ID, action_name

#: Seconds between two refreshes of the page of a job under way.
REFRESH_SECONDS = 3

KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
_ID = re.compile(r"[1-9][0-9]{0,18}")
_MAX_ID = 2**63 - 1


def _target_names() -> list[tuple[str, str]]:
    """The statuses a bulk action may move requests to, as its menu says them."""
    names = {
        lifecycle.IN_REVIEW: gettext("Start the review (or reopen)"),
        lifecycle.ACCEPTED: action_name(lifecycle.IN_REVIEW, lifecycle.ACCEPTED),
        lifecycle.REJECTED: action_name(lifecycle.IN_REVIEW, lifecycle.REJECTED),
        lifecycle.CLOSED: action_name(lifecycle.IN_REVIEW, lifecycle.CLOSED),
        lifecycle.SUBMITTED: action_name(lifecycle.IN_REVIEW, lifecycle.SUBMITTED),
    }
    return [(f"status:{status}", name) for status, name in names.items()]


def bulk_form(filters: Filters, total: int) -> dict[str, Any]:
    """What the list's bulk form needs: its key, the actions, the filters to
    carry for "all matching", and when the list was shown."""
    staff = g.ecitiz_staff
    team = [
        member
        for member in state().store.team(staff["organisation_id"])
        if member["active"] and member["id"] != staff["id"]
    ]
    return {
        "key": bulk.new_key(),
        "seen": stamp(utcnow()),
        "filters": filters.query(),
        "total": total,
        "cap": bulk.BULK_CAP,
        "statuses": _target_names(),
        "assign": [
            ("assign:me", gettext("Assign to me")),
            *((f"assign:{m['id']}", m["email"]) for m in team),
            ("assign:none", gettext("Leave unassigned")),
        ],
        "message_max": MESSAGE_MAX_LENGTH,
    }


@blueprint.post("/bulk")
@staff_required
def bulk_start() -> Any:
    """Start a bulk action over the ticked requests, or all those matching the
    filters, then show how it goes. The same form posted twice runs once."""
    kit = state()
    staff = g.ecitiz_staff
    organisation_id = staff["organisation_id"]
    key = request.form.get("key", "")
    if not KEY.fullmatch(key):
        raise bulk.BulkError(
            gettext("This form is damaged. Reload the list of requests, then retry.")
        )
    action = _action(request.form.get("action", ""))
    ids = selection(organisation_id)
    job, created = bulk.start(
        kit.store, organisation_id, key, action, ids,
        actor=staff["email"], staff_id=staff["id"], address=client_address(),
    )  # fmt: skip
    if created:
        audit("bulk.run", f"job {job['id']}", **_audit_detail(action, job["total"]))
    if created and job["lease_owner"] is not None:
        # A small selection: moved now, the page that follows shows the result.
        bulk.run(kit.store, kit.forms, kit.keyring, job, job["lease_owner"], notices())
    return redirect(url_for("ecitiz_staff.bulk_result", job_id=job["id"]), 303)


def _audit_detail(action: bulk.BulkAction, count: int) -> dict[str, Any]:
    to = action.assignee_email if action.kind == bulk.ASSIGN else action.to_status
    return {"count": count, "kind": action.kind, "to": to}


def _action(choice: str) -> bulk.BulkAction:
    """The action chosen in the form, checked; :class:`BulkError` otherwise."""
    staff = g.ecitiz_staff
    form = request.form
    public = (form.get("public_message") or "").strip()
    note = (form.get("private_note") or "").strip()
    kind, _sep, value = choice.partition(":")
    if len(public) > MESSAGE_MAX_LENGTH or len(note) > MESSAGE_MAX_LENGTH:
        raise bulk.BulkError(
            gettext("Write at most %(max)s characters.", max=MESSAGE_MAX_LENGTH)
        )
    if has_controls(public) or has_controls(note):
        raise bulk.BulkError(controls_message())
    # Paid only through a payment file, or one request at a time.
    if kind == bulk.STATUS and f"status:{value}" in dict(_target_names()):
        if value == lifecycle.SUBMITTED and not public:
            raise bulk.BulkError(
                gettext(
                    "Tell the applicants what to change: they will read this"
                    " message. Nothing was changed."
                )
            )
        base_url = f"{request.scheme}://{request.host}{request.script_root}/"
        return bulk.BulkAction(
            bulk.STATUS,
            to_status=value,
            public_message=public,
            private_note=note,
            base_url=base_url,
        )
    if kind == bulk.ASSIGN:
        if public or note:
            raise bulk.BulkError(
                gettext(
                    "Messages go with a change of status; an assignment sends"
                    " none. Empty them, or choose a change of status."
                )
            )
        if value == "none":
            return bulk.BulkAction(bulk.ASSIGN, assignee=None)
        wanted = str(staff["id"]) if value == "me" else value
        for member in state().store.team(staff["organisation_id"]):
            if member["active"] and str(member["id"]) == wanted:
                return bulk.BulkAction(
                    bulk.ASSIGN, assignee=member["id"], assignee_email=member["email"]
                )
    raise bulk.BulkError(gettext("Choose an action from the list."))


def selection(organisation_id: int) -> list[int]:
    """The ids of the ticked requests, or of all those matching the filters that
    had arrived when the list was shown. Ids that are not numbers name no
    request: not found, like another organisation's."""
    form = request.form
    if form.get("all") == "1":
        store = state().store
        forms = [row["form_id"] for row in store.enabled_forms(organisation_id)]
        team = [member["id"] for member in store.team(organisation_id)]
        filters = listing.parse_filters(form, forms, team)
        seen = form.get("seen", "")
        try:
            parse_stamp(seen)
        except ValueError:
            raise bulk.BulkError(
                gettext(
                    "This form is damaged. Reload the list of requests, then retry."
                )
            ) from None
        timezone = current_app.config["ECITIZ_TIMEZONE"]
        rows = store.request_page(
            organisation_id,
            limit=bulk.BULK_CAP + 1,
            cursor=(seen, _MAX_ID),
            **filters.for_store(timezone, me=g.ecitiz_staff["id"]),
        )
        if len(rows) > bulk.BULK_CAP:
            counts = listing.status_counts(
                store, organisation_id, filters, timezone, me=g.ecitiz_staff["id"]
            )
            matching = (
                counts[filters.status] if filters.status else sum(counts.values())
            )
            raise bulk.BulkError(bulk.too_many(max(matching, len(rows))))
        return [row["id"] for row in rows]
    ids = form.getlist("id")
    if len(ids) > bulk.BULK_CAP:
        raise bulk.BulkError(bulk.too_many(len(ids)))
    if not all(_ID.fullmatch(raw) and int(raw) <= _MAX_ID for raw in ids):
        raise UnknownObject()
    return [int(raw) for raw in ids]


@blueprint.get(f"/bulk/<{ROW_ID}:job_id>")
@staff_required
def bulk_result(job_id: int) -> Response:
    """How a bulk action went: its progress while under way (the page refreshes
    itself, unless asked not to), then what moved and what was left alone, why."""
    store = state().store
    job = store.job(g.ecitiz_staff["organisation_id"], job_id)
    if job is None or job["kind"] != bulk.KIND:
        raise UnknownObject()
    action = bulk.BulkAction(**job["params"])
    finished = job["finished_at"] is not None
    still = request.args.get("still") == "1"
    left_alone = []
    if finished:
        left_alone = [
            {**row, "reason": _reason(row, action)}
            for row in store.job_outcomes(job["id"])
        ]
    response = make_response(
        render_template(
            "ecitiz/staff/bulk.html",
            job=job,
            finished=finished,
            waiting=job["lease_owner"] is None and not finished,
            action_name=_describe(action),
            action=action,
            left_alone=left_alone,
            still=still,
            refresh_seconds=REFRESH_SECONDS,
            nav="requests",
        )
    )
    if not finished and not still:
        # The header, not a <meta> element: the page can say how to stop it.
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


def _describe(action: bulk.BulkAction) -> str:
    if action.kind == bulk.STATUS:
        return dict(_target_names())[f"status:{action.to_status}"]
    if action.assignee is None:
        return gettext("Leave unassigned")
    return gettext("Assign to %(person)s", person=action.assignee_email)


def _reason(row: dict[str, Any], action: bulk.BulkAction) -> str:
    outcome, lang = row["outcome"], g.ecitiz_lang
    if outcome == bulk.CHANGED:
        if action.kind == bulk.ASSIGN:
            return gettext(
                "Someone assigned it to another person after it was selected."
            )
        return gettext("Its status changed after it was selected.")
    if outcome == bulk.NOT_ALLOWED:
        return gettext(
            "A request that is “%(current)s” cannot become “%(wanted)s”.",
            current=lifecycle.status_name(row["expected_status"], lang),
            wanted=lifecycle.status_name(action.to_status or "", lang),
        )
    if outcome == bulk.ALREADY:
        if action.kind == bulk.ASSIGN:
            return gettext("It was already assigned so.")
        return gettext(
            "It was already “%(status)s”.",
            status=lifecycle.status_name(action.to_status or "", lang),
        )
    if outcome == bulk.UNAVAILABLE:
        return gettext("That person can no longer be given requests.")
    if outcome == bulk.GONE:
        return gettext("It no longer exists.")
    if outcome == bulk.HELD:
        return gettext(
            "It is in a payment file: mark that file paid or cancel it first."
        )
    return gettext("An error stopped it (it is in the server's log). Try it alone.")
