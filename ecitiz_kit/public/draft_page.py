"""Save and come back: "Continue later", the draft link, and kept files.

"Continue later" saves the answers as typed (a draft need not be valid, but
its files are checked) with the files kept so far, and shows a signed link to
the draft, e-mailed too when the form has an address in it. The link opens the
form again, in any browser, with every answer and file; once the form is sent
it leads to the receipt. A tampered, expired or unknown link gets the
not-found page of every bad link. Files are kept as soon as they pass their
checks; each has a button that removes it, for the ticket or draft that holds
it and nobody else.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, jsonify, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from ..domain import drafts
from ..domain.drafts import draft_holder, ticket_holder
from ..domain.opening import OPEN, Opening
from ..errors import ForeignOrigin, UnknownObject
from ..forms import steps
from ..forms.registry import PublicForm, find_form
from ..i18n import gettext
from ..state import state
from ..store import utcnow
from ..tokens import InvalidToken
from ..web import ratelimits as limits
from ..web.origins import is_cross_site_post
from ..web.pages import notices, when
from ..web.request_size import allow_uploads
from .check_page import resume_check
from .pages import (
    HONEYPOT,
    allow_framing,
    blueprint,
    check_answers,
    kept_files,
    mailbox,
    posted_draft,
    posted_steps,
    posted_ticket,
    public_form,
    render_again,
    render_closed,
    render_form,
    ticket_notice,
    to_receipt,
)


@blueprint.post("/f/<org>/<form_id>/later")
def save_draft(org: str, form_id: str) -> Any:
    """Save the form as it stands and show (and e-mail) the link to it."""
    form, refused = posted_form(org, form_id)
    if refused is not None:
        return refused
    kit = state()
    values = request.form
    ticket = posted_ticket(form)
    draft_key = unspent(posted_draft(form))
    kept = kept_files(form, ticket, draft_key)
    outcome = check_answers(form, kept)
    holder = ticket_holder(ticket.nonce)
    # A draft may lack files, not hold a bad one.
    file_errors = {
        name: error
        for name, error in outcome.errors.items()
        if name in drafts.file_fields(form.definition)
        and any(part.filename for part in request.files.getlist(name))
    }
    if file_errors:
        kept += drafts.keep_files(kit.store, kit.uploads, form, holder, outcome.uploads)
        return render_again(form, values, kept, draft_key, errors=file_errors), 422
    answers = drafts.typed_answers(form.definition, values)
    step = posted_steps(form).steps
    if step is not None:  # the draft opens again on the page it was saved from
        answers[drafts.PAGE_KEY] = [step.page]
    email = drafts.typed_email(form.definition, answers)
    keys = [limits.client_key("draft-client", "ECITIZ_DRAFT_LIMIT")]
    if email:
        keys.append(limits.key("draft-recipient", mailbox(email), "ECITIZ_DRAFT_LIMIT"))
    verdict = limits.hit(*keys)
    kept += drafts.keep_files(kit.store, kit.uploads, form, holder, outcome.uploads)
    if not verdict:
        notice = gettext(
            "Too many drafts were saved from your connection or for this e-mail"
            " address. To protect applicants, new ones are refused for a while: try"
            " again in %(wait)s. Nothing was saved; your answers are kept below.",
            wait=limits.wait(verdict),
        )
        return limits.too_many(
            render_again(form, values, kept, draft_key, notice=notice), verdict
        )
    lang = g.ecitiz_lang
    saved = drafts.save(
        kit.store,
        form,
        draft_key=draft_key,
        answers=answers,
        lang=lang,
        ticket_nonce=ticket.nonce,
        days=current_app.config["ECITIZ_DRAFT_DAYS"],
        email=email,
        notices=notices(),
    )
    token = kit.tokens(current_app.config).draft_link(
        form.organisation["id"], saved.draft_key
    )
    return render_template(
        "ecitiz/draft_saved.html",
        form=form,
        draft_url=saved.url,
        continue_url=url_for(
            "ecitiz.draft", token=token, lang=lang, **g.ecitiz_embed.args
        ),
        expires_at=when(saved.expires_at),
        sent_to=email,
    )


@blueprint.post("/f/<org>/<form_id>/remove")
def remove_kept_file(org: str, form_id: str) -> Any:
    """Remove one kept file, for the ticket or draft that holds it."""
    form, refused = posted_form(org, form_id)
    if refused is not None:
        return refused
    kit = state()
    values = request.form
    ticket = posted_ticket(form)
    draft_key = unspent(posted_draft(form))
    holders = [ticket_holder(ticket.nonce)]
    if draft_key is not None:
        holders.append(draft_holder(draft_key))
    # The control pressed is named for its file: "remove:<key>".
    upload_key = next(
        (name.partition(":")[2] for name in values if name.startswith("remove:")), ""
    )
    removed = drafts.remove_file(kit.store, kit.uploads, upload_key, holders)
    kept = kept_files(form, ticket, draft_key)
    # Files chosen meanwhile are kept too, if they pass their checks.
    outcome = check_answers(form, kept)
    kept += drafts.keep_files(
        kit.store, kit.uploads, form, ticket_holder(ticket.nonce), outcome.uploads
    )
    if removed is None:
        notice = gettext("This file could not be removed: it is not attached here.")
        return render_again(form, values, kept, draft_key, notice=notice), 404
    notice = gettext("The file “%(name)s” was removed.", name=removed["filename"])
    return render_again(form, values, kept, draft_key, notice=notice)


@blueprint.post("/f/<org>/<form_id>/upload")
def upload_file(org: str, form_id: str) -> Any:
    """Keep one file as soon as it is chosen (the form's script sends each
    alone, showing its progress): JSON, the kept file or the reason it is not."""
    if is_cross_site_post():
        raise ForeignOrigin()
    form = public_form(org, form_id)
    allow_uploads(form.definition)
    kit = state()
    ticket = posted_ticket(form)
    if ticket.problem is not None or ticket.spent_by is not None:
        error = gettext("This page is out of date: send the form to keep this file.")
        return jsonify(error=error), 400
    field = request.form.get("field", "")
    parts = [part for part in request.files.getlist(field) if part.filename]
    if field not in drafts.file_fields(form.definition) or len(parts) != 1:
        return jsonify(error=gettext("Send one file at a time.")), 400
    draft_key = unspent(posted_draft(form))
    outcome = check_answers(form, kept_files(form, ticket, draft_key))
    if field in outcome.errors:
        return jsonify(error=outcome.errors[field]), 422
    [row] = drafts.keep_files(
        kit.store, kit.uploads, form, ticket_holder(ticket.nonce), outcome.uploads
    )
    return jsonify(key=row["upload_key"], filename=row["filename"], field=field), 201


@blueprint.get("/d/<token>")
def draft(token: str) -> Any:
    """The form of a saved draft, with every answer and file; the receipt
    once the draft was sent."""
    kit = state()
    config = current_app.config
    try:
        organisation_id, draft_key = kit.tokens(config).read_draft_link(
            token, config["ECITIZ_DRAFT_DAYS"] * 86400
        )
    except InvalidToken:
        raise UnknownObject() from None
    found = drafts.find_draft(kit.store, organisation_id, draft_key, utcnow())
    if found is None:
        raise UnknownObject()
    organisation = kit.store.organisation_by_id(organisation_id)
    if organisation is None:
        raise UnknownObject()
    if found.draft is None:
        allow_framing(organisation)
        return to_receipt(found.submission_id or 0)
    form = find_form(kit.store, kit.forms, organisation["slug"], found.draft["form_id"])
    allow_framing(organisation)
    opening = Opening.of(form.row)
    now_state = opening.state(utcnow())
    if now_state != OPEN:
        return render_closed(form, opening, now_state)
    kept = kit.store.kept_uploads(
        organisation_id, form.row["form_id"], [draft_holder(draft_key)]
    )
    notice = gettext(
        "Welcome back: your saved answers and files are below. Check them, then"
        " send the form."
    )
    answers = dict(found.draft["answers"])
    page = (answers.pop(drafts.PAGE_KEY, None) or [None])[0]
    values = MultiDict(
        [(name, value) for name, typed in answers.items() for value in typed]
    )
    if page == steps.CHECK and form.definition.pages:
        return resume_check(form, values, kept, draft_key, notice)
    return render_form(
        form,
        values,
        notice=notice,
        opening=opening,
        kept=kept,
        draft_key=draft_key,
        page=page,
    )


def unspent(found: drafts.Found | None) -> str | None:
    """The key of a posted draft still to be sent."""
    return found.draft["draft_key"] if found and found.draft else None


def posted_form(org: str, form_id: str) -> tuple[PublicForm, Any]:
    """The form posted to, and the answer already due (a robot, a spent or
    bad ticket, a closed procedure), if any."""
    if is_cross_site_post():
        raise ForeignOrigin()
    form = public_form(org, form_id)
    allow_uploads(form.definition)
    values = request.form
    if values.get(HONEYPOT):  # stores nothing; a robot learns nothing
        return form, render_form(form)
    ticket = posted_ticket(form)
    if ticket.spent_by is not None:
        return form, to_receipt(ticket.spent_by)
    opening, now = Opening.of(form.row), utcnow()
    shown_at = ticket.issued_at if ticket.problem is None else None
    if not opening.admits(now, shown_at):
        return form, (render_closed(form, opening, opening.state(now), True), 403)
    if ticket.problem is not None:
        notice = ticket_notice(ticket.problem)
        return form, (render_form(form, values, notice=notice), 400)
    return form, None
