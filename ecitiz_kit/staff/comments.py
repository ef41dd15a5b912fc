"""The staff's comment thread on a request: for the team only, never shown to
the applicant nor put in anything sent to them."""

from __future__ import annotations

from typing import Any

from flask import g, redirect, url_for

from ..errors import UnknownObject
from ..i18n import gettext
from ..state import state
from .audit import audit
from .auth import staff_required
from .blueprint import ROW_ID, blueprint
from .queue import queue_filters
from .request_forms import CommentForm
from .request_page import found_request, render_detail


@blueprint.post(f"/requests/<{ROW_ID}:submission_id>/comments")
@staff_required
def add_comment(submission_id: int) -> Any:
    """Add a comment to the request's thread, or show the page again saying
    what to fix."""
    found = found_request(submission_id)
    form = CommentForm()
    body = (form.body.data or "").strip()
    valid = form.validate_on_submit()
    if valid and not body:
        form.body.errors = [gettext("Write a comment before sending it.")]
        valid = False
    if not valid:
        return render_detail(found, comment_form=form), 422
    staff = g.ecitiz_staff
    added = state().store.add_comment(
        staff["organisation_id"],
        submission_id,
        staff_id=staff["id"],
        author=staff["email"],
        body=body,
        key=form.once_key(),
    )
    if added is None:
        raise UnknownObject()
    comment_id, new = added
    if new:
        audit("request.comment", found.submission["reference"], comment=comment_id)
    back: dict[str, Any] = {**queue_filters().query(), "done": "commented"}
    return redirect(
        url_for(
            "ecitiz_staff.request_detail",
            submission_id=submission_id,
            _anchor="comments",
            **back,
        ),
        303,
    )
