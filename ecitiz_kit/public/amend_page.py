"""Amending a request sent back for changes, from its tracking page (thin views).

Like the first submission, the form is protected by a signed single-use form
ticket, never by a cookie.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.datastructures import MultiDict

from ..domain.amend import amend, keep_unreplaced_files, kept_files, prefill
from ..domain.lookup import Tracked
from ..errors import ForeignOrigin, NonceUsed
from ..forms.fields import html_attributes
from ..i18n import gettext
from ..state import periods, state
from ..store import NotAmendable
from ..web import ratelimits as limits
from ..web.origins import is_cross_site_post
from ..web.request_size import allow_uploads
from .pages import (
    HONEYPOT,
    blueprint,
    found_request,
    posted_ticket,
    ticket_notice,
)
from .request_pages import status_page


@blueprint.get("/s/<token>/amend")
def amend_form(token: str) -> Any:
    found = found_request("s", token)
    if not state().store.amendable(found.submission["id"]):
        return _to_status(token)
    return _render(
        found, token, prefill(found.form.definition, found.submission["answers"])
    )


@blueprint.post("/s/<token>/amend")
def amend_submit(token: str) -> Any:
    if is_cross_site_post():
        raise ForeignOrigin()
    found = found_request("s", token)
    allow_uploads(found.form.definition)
    kit = state()
    submission_id = found.submission["id"]
    if not kit.store.amendable(submission_id):
        return _closed(token)
    values = request.form
    ticket = posted_ticket(found.form)
    if ticket.spent_by is not None:  # a replayed ticket changes nothing
        return _to_status(token)
    if ticket.problem is not None:
        notice = ticket_notice(ticket.problem)
        return _render(found, token, values, notice=notice), 400
    outcome = found.form.compiled.validate(
        values,
        request.files,
        max_file_size=current_app.config["ECITIZ_MAX_FILE_SIZE"],
        max_files=current_app.config["ECITIZ_MAX_FILES"],
    )
    kept = kept_files(kit.store, submission_id)
    replaced = keep_unreplaced_files(
        found.form.definition, outcome, request.files, kept
    )
    if not outcome.ok:
        return _render(found, token, values, errors=outcome.errors), 422
    verdict = limits.hit(
        limits.client_key("submit-client", "ECITIZ_SUBMIT_LIMIT"),
        limits.key("amend-request", str(submission_id), "ECITIZ_AMEND_LIMIT"),
    )
    if not verdict:
        notice = limits.form_refusal(verdict)
        return limits.too_many(_render(found, token, values, notice=notice), verdict)
    try:
        amend(
            kit.store, kit.uploads, found.form, submission_id, outcome,
            replaced_fields=replaced, nonce=ticket.nonce,
            fingerprints=kit.fingerprints(current_app.config),
            periods=periods(current_app.config),
            directory=kit.company_directory(current_app.config),
        )  # fmt: skip
    except NonceUsed:
        return _to_status(token)
    except NotAmendable:  # re-examined meanwhile
        return _closed(token)
    return redirect(
        url_for(
            "ecitiz.status",
            token=token,
            lang=g.ecitiz_lang,
            amended=1,
            **g.ecitiz_embed.args,
        ),
        303,
    )


def _to_status(token: str) -> Response:
    return redirect(
        url_for(
            "ecitiz.status", token=token, lang=g.ecitiz_lang, **g.ecitiz_embed.args
        ),
        303,
    )


def _closed(token: str) -> tuple[str, int]:
    notice = gettext(
        "This request can no longer be changed: it is being examined again. Nothing"
        " was changed."
    )
    return status_page(token, notice=notice), 409


def _render(
    found: Tracked,
    token: str,
    values: MultiDict,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
) -> str:
    kit = state()
    form = found.form
    kept = kept_files(kit.store, found.submission["id"])

    def attributes(field: Any) -> dict[str, Any]:
        # Files already sent answer a required file question.
        found_attributes = html_attributes(field)
        if field.type == "file" and kept.get(field.name):
            found_attributes.pop("required", None)
        return found_attributes

    intro = gettext(
        "Change what was asked, then send the form again. Files already sent are"
        " kept unless you attach new ones. For your security, bank details must"
        " be typed again."
    )
    return render_template(
        "ecitiz/form.html",
        form=form,
        definition=form.definition,
        values=values,
        errors=errors or {},
        notice=notice or intro,
        ticket=kit.tokens(current_app.config).form_ticket(
            form.organisation["id"], form.row["form_id"]
        ),
        action=url_for(
            "ecitiz.amend_submit",
            token=token,
            lang=g.ecitiz_lang,
            **g.ecitiz_embed.args,
        ),
        honeypot=HONEYPOT,
        kept_files=kept,
        html_attributes=attributes,
    )
