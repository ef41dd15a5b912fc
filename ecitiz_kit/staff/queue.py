"""Working through a queue: the request list's filters carried from one request
to the next, and "next request", which opens the one after it in that list.

The filters travel in the address of each request page (the same query
parameters as the list's), so a person can decide one request after another
without going back to the list; at the end of the list they return to it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, redirect, request, url_for
from werkzeug.wrappers import Response

from ..domain import request_list as listing
from ..domain.request_list import FilterError, Filters
from ..errors import UnknownObject
from ..state import state
from .auth import staff_required
from .blueprint import ROW_ID, blueprint


def queue_filters(args: Any = None) -> Filters:
    """The list filters a request page was opened with (``request.args`` by
    default); none when they are missing or no longer make sense (a form
    disabled, a colleague gone): the queue is then the whole list."""
    store = state().store
    organisation_id = g.ecitiz_staff["organisation_id"]
    forms = [row["form_id"] for row in store.enabled_forms(organisation_id)]
    team = [member["id"] for member in store.team(organisation_id)]
    try:
        return listing.parse_filters(
            request.args if args is None else args, forms, team
        )
    except FilterError:
        return Filters()


@blueprint.get(f"/requests/<{ROW_ID}:submission_id>/next")
@staff_required
def next_request(submission_id: int) -> Response:
    """The request after this one in the list with the filters in the address,
    or the list itself, saying so, at the end."""
    store = state().store
    organisation_id = g.ecitiz_staff["organisation_id"]
    current = store.submission(submission_id)
    if current is None or current["organisation_id"] != organisation_id:
        raise UnknownObject()
    filters = queue_filters()
    following = listing.next_request(
        store,
        organisation_id,
        filters,
        current_app.config["ECITIZ_TIMEZONE"],
        current,
        me=g.ecitiz_staff["id"],
    )
    if following is None:
        target = url_for(
            "ecitiz_staff.request_list",
            **filters.query(),
            end="1",
            _anchor="end-of-list",
        )
    else:
        target = url_for(
            "ecitiz_staff.request_detail", submission_id=following, **filters.query()
        )
    return redirect(target, 303)
