"""Who handles a request: assign it to a member of the team, to oneself, or to
nobody. A colleague's change made meanwhile is never overwritten."""

from __future__ import annotations

from typing import Any

from flask import g, redirect, url_for
from werkzeug.exceptions import BadRequest, Conflict
from werkzeug.wrappers import Response

from ..i18n import gettext
from ..state import state
from .audit import audit
from .auth import refusal, staff_required
from .blueprint import ROW_ID, blueprint
from .queue import queue_filters
from .request_forms import ME, NOBODY, AssignForm
from .request_page import found_request


def _staff_id(raw: str | None, members: dict[int, dict[str, Any]]) -> int | None:
    """The staff id a form value names among ``members``; ``""`` is nobody.
    Anything else is refused (400), before anything is written."""
    if raw in (None, NOBODY):
        return None
    if raw == ME:
        return int(g.ecitiz_staff["id"])
    if raw.isascii() and raw.isdigit() and len(raw) < 19 and int(raw) in members:
        return int(raw)
    raise refusal(
        BadRequest,
        gettext("Choose an active member of your team. Nothing was changed."),
    )


@blueprint.post(f"/requests/<{ROW_ID}:submission_id>/assign")
@staff_required
def assign_request(submission_id: int) -> Response:
    """Give a request to someone (or nobody), if nobody else changed who holds it
    since the page was shown."""
    found = found_request(submission_id)
    submission = found.submission
    form = AssignForm()  # the CSRF token was checked before the view
    store = state().store
    organisation_id = g.ecitiz_staff["organisation_id"]
    team = {member["id"]: member for member in store.team(organisation_id)}
    active = {key: member for key, member in team.items() if member["active"]}
    wanted = _staff_id(form.assignee.data, active)
    expected = _staff_id(form.expected.data, team)
    done = store.assign_submission(
        organisation_id,
        submission_id,
        wanted,
        actor=g.ecitiz_staff["email"],
        expected=expected,
    )
    if not done:
        now = store.submission(submission_id) or submission
        holder = team.get(now["assigned_to"])
        raise refusal(
            Conflict,
            gettext(
                "A colleague changed who handles this request meanwhile: it is"
                " now assigned to %(person)s. Nothing was changed; look at it"
                " again before choosing.",
                person=holder["email"],
            )
            if holder
            else gettext(
                "A colleague changed who handles this request meanwhile: it is"
                " now unassigned. Nothing was changed; look at it again before"
                " choosing."
            ),
        )
    if wanted != submission["assigned_to"]:
        audit(
            "request.assign",
            submission["reference"],
            to=team[wanted]["email"] if wanted else None,
            previous=(team[expected]["email"] if expected in team else None),
        )
    back: dict[str, Any] = {
        **queue_filters().query(),
        "done": "assigned" if wanted else "unassigned",
    }
    return redirect(
        url_for(
            "ecitiz_staff.request_detail",
            submission_id=submission_id,
            _anchor="assignment",
            **back,
        ),
        303,
    )
