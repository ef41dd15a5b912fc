"""Forms in steps: "Continue" checks the answers of the page shown and moves
on, "Back" and "Change" move without checking, and the last step lists every
answer before the form is sent (to the form's usual address, which checks
everything again). Nothing is stored between pages: see web.form_steps."""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.exceptions import NotFound

from ..domain import drafts
from ..domain.drafts import ticket_holder
from ..forms import steps
from ..state import state
from .check_page import render_check
from .draft_page import posted_form, unspent
from .pages import (
    blueprint,
    check_answers,
    kept_files,
    posted_draft,
    posted_steps,
    posted_ticket,
    render_again,
    render_form,
    ticket_notice,
)

#: The button pressed: "next" (also what Enter does), "back", or "page:<id>"
#: for a "Change" button of the check page. No field name starts with "_".
GO = "_go"


@blueprint.post("/f/<org>/<form_id>/step")
def form_step(org: str, form_id: str) -> Any:
    """Move from the page posted to the next, the previous or a chosen one."""
    form, refused = posted_form(org, form_id)
    if refused is not None:
        return refused
    definition = form.definition
    if not definition.pages:
        raise NotFound()
    values = request.form
    posted = posted_steps(form)
    if posted.steps is None:
        return render_form(form, values, notice=ticket_notice("forged")), 400
    here, to_check = posted.steps.page, posted.steps.to_check
    kit = state()
    ticket = posted_ticket(form)
    draft_key = unspent(posted_draft(form))
    kept = kept_files(form, ticket, draft_key)
    outcome = check_answers(form, kept)
    # Files chosen on this page are kept whichever way the applicant goes.
    kept_now = kept + drafts.keep_files(
        kit.store, kit.uploads, form, ticket_holder(ticket.nonce), outcome.uploads
    )
    go = values.get(GO, "next")
    if go == "back":
        back = steps.previous_page(definition, here)
        return render_again(
            form, values, kept_now, draft_key, page=back, to_check=False
        )
    if go.startswith("page:") and steps.page(definition, go[5:]) is not None:
        return render_again(
            form, values, kept_now, draft_key, page=go[5:], to_check=True
        )
    errors = {
        name: error
        for name, error in outcome.errors.items()
        if name in steps.on_page(definition, here)
    }
    if errors:
        page = render_again(form, values, kept_now, draft_key, errors=errors, page=here)
        return page, 422
    following = steps.CHECK if to_check else steps.next_page(definition, here)
    if following != steps.CHECK:
        return render_again(
            form, values, kept_now, draft_key, page=following, to_check=False
        )
    if not outcome.ok:  # a page was left with a problem: the first such is shown
        page = render_again(
            form, values, kept_now, draft_key, errors=outcome.errors, to_check=True
        )
        return page, 422
    return render_check(
        form, values, outcome, kept, draft_key, ticket=request.form.get("ticket", "")
    )
