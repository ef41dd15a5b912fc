"""The public blueprint: form, receipt and tracking pages (thin views).

Nothing here sets or reads a cookie: these pages live in a cross-site iframe,
where browsers withhold or partition cookies. A signed, single-use form ticket
replaces the session-bound CSRF token.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, InternalServerError

from . import __version__, lifecycle
from .assets import asset_dir
from .errors import ForeignOrigin, NonceUsed
from .extension import state
from .fields import html_attributes
from .i18n import choose_language, format_datetime, gettext, ngettext, text
from .store import parse_stamp
from .submissions import (
    PublicForm,
    check_ticket,
    find_form,
    new_reference,
    read_ref,
    submit,
    summary,
    tracked,
)
from .web import content_security_policy, external_url, is_cross_site_post

log = logging.getLogger(__name__)

blueprint = Blueprint("ecitiz", __name__, template_folder="templates")

HONEYPOT = "website"
STATIC_MAX_AGE = 365 * 24 * 3600


@blueprint.before_request
def choose_page_language() -> None:
    g.ecitiz_lang = choose_language(
        request.args.get("lang"),
        request.accept_languages,
        current_app.config["ECITIZ_DEFAULT_LANGUAGE"],
    )
    g.ecitiz_frame_ancestors = []


@blueprint.context_processor
def template_helpers() -> dict[str, Any]:
    return {
        "_": gettext,
        "gettext": gettext,
        "ngettext": ngettext,
        "text": text,
        "lang": g.get("ecitiz_lang", "fr"),
        "html_attributes": html_attributes,
        "asset_url": lambda filename: url_for(
            "ecitiz.asset", version=__version__, filename=filename
        ),
    }


@blueprint.after_request
def public_headers(response: Response) -> Response:
    if request.endpoint == "ecitiz.asset":
        return response
    response.headers["Content-Security-Policy"] = content_security_policy(
        g.get("ecitiz_frame_ancestors", [])
    )
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    response.headers.pop("X-Frame-Options", None)
    response.vary.add("Accept-Language")
    return response


@blueprint.get("/assets/<version>/<path:filename>")
def asset(version: str, filename: str) -> Response:
    """The kit's CSS, fonts and images; versioned URLs, so cached for a year."""
    response = send_from_directory(asset_dir("static"), filename)
    if version == __version__:
        response.cache_control.public = True
        response.cache_control.max_age = STATIC_MAX_AGE
        response.cache_control.immutable = True
    return response


@blueprint.get("/f/<org>/<form_id>")
def form_page(org: str, form_id: str) -> str:
    form = _public_form(org, form_id)
    return _render_form(form)


@blueprint.post("/f/<org>/<form_id>")
def submit_form(org: str, form_id: str) -> Any:
    if is_cross_site_post():
        raise ForeignOrigin()
    form = _public_form(org, form_id)
    kit = state()
    values = request.form
    if values.get(HONEYPOT):
        # Looks like success to a robot; stores nothing.
        return render_template(
            "ecitiz/received.html", form=form, reference=_decoy_reference(form)
        )
    ticket = check_ticket(
        kit.tokens(current_app.config),
        kit.store,
        form,
        values.get("ticket", ""),
        current_app.config["ECITIZ_FORM_TICKET_MAX_AGE"],
    )
    if ticket.spent_by is not None:
        return _to_receipt(ticket.spent_by)
    if ticket.problem == "invalid":
        notice = gettext(
            "We could not check that this form was sent from this page. Your answers"
            " are kept below: check them and send the form again."
        )
        return _render_form(form, values, notice=notice), 400
    if ticket.problem == "expired":
        notice = gettext(
            "The form stayed open a long time, so for your security it must be sent"
            " again. Your answers are kept below: check them and send the form."
        )
        return _render_form(form, values, notice=notice), 400

    outcome = form.compiled.validate(
        values,
        request.files,
        max_file_size=current_app.config["ECITIZ_MAX_FILE_SIZE"],
        max_files=current_app.config["ECITIZ_MAX_FILES"],
    )
    if not outcome.ok:
        return _render_form(form, values, errors=outcome.errors), 422
    try:
        submission = submit(
            kit.store,
            kit.uploads,
            form,
            outcome,
            nonce=ticket.nonce,
            lang=g.ecitiz_lang,
        )
    except NonceUsed as used:  # the same ticket won a race in another request
        return _to_receipt(used.submission_id)
    return _to_receipt(submission["id"], submission["link_version"])


@blueprint.get("/r/<token>")
def receipt(token: str) -> str:
    kit = state()
    ref = read_ref(
        kit.tokens(current_app.config).read_receipt,
        token,
        current_app.config["ECITIZ_RECEIPT_MAX_AGE"],
    )
    found = tracked(kit.store, kit.forms, ref)
    submission = found.submission
    _allow_framing(found.form)
    return render_template(
        "ecitiz/receipt.html",
        form=found.form,
        submission=submission,
        received_at=_when(submission["created_at"]),
        sections=summary(found.form.definition, submission["answers"], g.ecitiz_lang),
        status_url=_status_url(submission),
    )


@blueprint.get("/s/<token>")
def status(token: str) -> str:
    kit = state()
    ref = read_ref(
        kit.tokens(current_app.config).read_status_link,
        token,
        current_app.config["ECITIZ_STATUS_LINK_MAX_AGE"],
    )
    found = tracked(kit.store, kit.forms, ref)
    _allow_framing(found.form)
    timeline = [
        {
            "when": _when(event["created_at"]),
            "status": lifecycle.status_name(event["to_status"], g.ecitiz_lang),
            "message": event["public_message"],
        }
        for event in reversed(found.events)
    ]
    submission = found.submission
    return render_template(
        "ecitiz/status.html",
        form=found.form,
        submission=submission,
        status_name=lifecycle.status_name(submission["status"], g.ecitiz_lang),
        status_explanation=lifecycle.status_explanation(
            submission["status"], g.ecitiz_lang
        ),
        timeline=timeline,
    )


@blueprint.errorhandler(HTTPException)
def http_error(error: HTTPException) -> tuple[str, int]:
    return render_template("ecitiz/error.html", error=error), error.code or 500


@blueprint.errorhandler(InternalServerError)
def server_error(error: InternalServerError) -> tuple[str, int]:
    incident = secrets.token_hex(4).upper()
    log.error(
        "incident %s on %s", incident, request.path, exc_info=error.original_exception
    )
    return render_template("ecitiz/error.html", error=error, incident=incident), 500


# -- helpers ---------------------------------------------------------------------


def _public_form(org: str, form_id: str) -> PublicForm:
    kit = state()
    form = find_form(kit.store, kit.forms, org, form_id)
    _allow_framing(form)
    return form


def _allow_framing(form: PublicForm) -> None:
    g.ecitiz_frame_ancestors = state().store.allowed_origins(form.organisation["id"])


def _render_form(
    form: PublicForm,
    values: MultiDict | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
) -> str:
    tokens = state().tokens(current_app.config)
    return render_template(
        "ecitiz/form.html",
        form=form,
        definition=form.definition,
        values=values if values is not None else MultiDict(),
        errors=errors or {},
        notice=notice,
        ticket=tokens.form_ticket(form.organisation["id"], form.row["form_id"]),
        action=url_for(
            "ecitiz.submit_form",
            org=form.organisation["slug"],
            form_id=form.row["form_id"],
            lang=g.ecitiz_lang,
        ),
        honeypot=HONEYPOT,
    )


def _to_receipt(submission_id: int, link_version: int | None = None) -> Response:
    if link_version is None:
        submission = state().store.submission(submission_id)
        link_version = submission["link_version"] if submission else 0
    token = state().tokens(current_app.config).receipt(submission_id, link_version)
    return redirect(url_for("ecitiz.receipt", token=token, lang=g.ecitiz_lang), 303)


def _status_url(submission: dict[str, Any]) -> str:
    token = (
        state()
        .tokens(current_app.config)
        .status_link(submission["id"], submission["link_version"])
    )
    return external_url("ecitiz.status", token=token)


def _when(stamp: str) -> str:
    return format_datetime(
        parse_stamp(stamp), g.ecitiz_lang, current_app.config["ECITIZ_TIMEZONE"]
    )


def _decoy_reference(form: PublicForm) -> str:
    return new_reference(form.definition.reference_prefix)
