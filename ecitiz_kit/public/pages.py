"""The public blueprint and its form pages (thin views); the receipt and tracking
pages are in :mod:`.request_pages`.

Nothing here sets or reads a cookie: these pages live in a cross-site iframe,
where browsers withhold or partition cookies. A signed, single-use form ticket
replaces the session-bound CSRF token.
"""

from __future__ import annotations

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

from .._version import __version__
from ..assets import asset_dir
from ..domain import drafts
from ..domain.drafts import draft_holder, ticket_holder
from ..domain.lookup import Tracked, read_ref, tracked
from ..domain.opening import OPEN, UPCOMING, Opening
from ..domain.submit import TicketCheck, check_ticket, new_reference, submit
from ..errors import ForeignOrigin, NonceUsed
from ..forms import steps
from ..forms.definitions import Field
from ..forms.fields import Outcome
from ..forms.registry import PublicForm, find_form
from ..i18n import gettext
from ..state import periods, state
from ..store import utcnow
from ..throttle import Key
from ..tokens import InvalidToken
from ..web import csp, form_steps
from ..web import ratelimits as limits
from ..web.embedding import Embed, parse_embed, saved_theme
from ..web.opening import moment
from ..web.origins import is_cross_site_post
from ..web.pages import (
    error_pages,
    forget_page_language,
    notices,
    set_page_language,
    template_helpers,
)
from ..web.request_size import allow_uploads

blueprint = Blueprint("ecitiz", __name__, template_folder="../templates")

HONEYPOT = "website"
STATIC_MAX_AGE = 365 * 24 * 3600


blueprint.before_request(set_page_language)
blueprint.teardown_request(forget_page_language)
blueprint.context_processor(template_helpers)
http_error, server_error = error_pages("ecitiz/error.html")
blueprint.register_error_handler(HTTPException, http_error)
blueprint.register_error_handler(InternalServerError, server_error)


@blueprint.after_request
def public_headers(response: Response) -> Response:
    if request.endpoint == "ecitiz.asset":
        return response
    organisation_id = g.get("ecitiz_organisation_id")
    # Only pages that render need the list; a redirect is not framed (though
    # Flask gives it a small HTML body).
    framable = (
        organisation_id is not None
        and response.mimetype == "text/html"
        and not 300 <= response.status_code < 400
    )
    # The kit's own origin may frame its forms too: the staff embed page
    # shows a preview of each.
    response.headers["Content-Security-Policy"] = csp.public(
        [*state().store.allowed_origins(organisation_id), "'self'"] if framable else [],
        g.get("ecitiz_style_nonce"),
        connect=g.get("ecitiz_connect", False),
    )
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    response.headers.pop("X-Frame-Options", None)
    response.vary.add("Accept-Language")
    return response


@blueprint.get("/assets/<version>/<path:filename>")
def asset(version: str, filename: str) -> Response:
    """The kit's CSS, fonts and images: cached for a year under this version's
    URL; under any other, checked with the server at each use (``no-cache``)."""
    current = version == __version__
    response = send_from_directory(
        asset_dir("static"), filename, max_age=STATIC_MAX_AGE if current else None
    )
    if current:
        response.cache_control.immutable = True
    return response


@blueprint.get("/f/<org>/<form_id>")
def form_page(org: str, form_id: str) -> str:
    form = public_form(org, form_id)
    opening = Opening.of(form.row)
    now_state = opening.state(utcnow())
    if now_state != OPEN:
        return render_closed(form, opening, now_state)
    return render_form(form, opening=opening)


@blueprint.post("/f/<org>/<form_id>")
def submit_form(org: str, form_id: str) -> Any:
    if is_cross_site_post():
        raise ForeignOrigin()
    form = public_form(org, form_id)
    allow_uploads(form.definition)
    kit = state()
    values = request.form
    if values.get(HONEYPOT):
        # Looks like success to a robot; stores nothing.
        return render_template(
            "ecitiz/received.html", form=form, reference=_decoy_reference(form)
        )
    ticket = posted_ticket(form)
    if ticket.spent_by is not None:
        return to_receipt(ticket.spent_by)
    # Outside its opening times a procedure refuses requests, except those typed
    # into a form shown while it was open, for as long as their ticket lasts.
    opening, now = Opening.of(form.row), utcnow()
    shown_at = ticket.issued_at if ticket.problem is None else None
    if not opening.admits(now, shown_at):
        return render_closed(form, opening, opening.state(now), refused=True), 403
    if ticket.problem is not None:
        return render_form(form, values, notice=ticket_notice(ticket.problem)), 400
    if posted_steps(form).bad:
        return render_form(form, values, notice=ticket_notice("forged")), 400

    draft = posted_draft(form)
    if draft is not None and draft.submission_id is not None:
        return to_receipt(draft.submission_id)  # sent from another page
    draft_key = draft.draft["draft_key"] if draft and draft.draft else None
    kept = kept_files(form, ticket, draft_key)
    outcome = check_answers(form, kept)
    if not outcome.ok:
        kept += drafts.keep_files(
            kit.store, kit.uploads, form, ticket_holder(ticket.nonce), outcome.uploads
        )
        page = render_again(form, values, kept, draft_key, errors=outcome.errors)
        return page, 422
    verdict = limits.hit(*submission_keys(form, outcome))
    if not verdict:
        notice = limits.form_refusal(verdict)
        return limits.too_many(render_form(form, values, notice=notice), verdict)
    try:
        submission = submit(
            kit.store,
            kit.uploads,
            form,
            drafts.with_kept(outcome, kept),
            nonce=ticket.nonce,
            lang=g.ecitiz_lang,
            keyring=kit.keyring,
            notices=notices(),
            periods=periods(current_app.config),
            fingerprints=kit.fingerprints(current_app.config),
            directory=kit.company_directory(current_app.config),
            kept=kept,
            draft_key=draft_key,
        )
    except NonceUsed as used:  # the same ticket won a race in another request
        return to_receipt(used.submission_id)
    return to_receipt(submission["id"], submission)


# -- helpers ---------------------------------------------------------------------


def posted_ticket(form: PublicForm) -> TicketCheck:
    """The form ticket posted with ``form``, checked."""
    kit = state()
    return check_ticket(
        kit.tokens(current_app.config),
        kit.store,
        form,
        request.form.get("ticket", ""),
        current_app.config["ECITIZ_FORM_TICKET_MAX_AGE"],
    )


def posted_draft(form: PublicForm) -> drafts.Found | None:
    """The draft of ``form`` the posted form goes on with, if any."""
    kit = state()
    config = current_app.config
    return drafts.posted_draft(
        kit.tokens(config),
        kit.store,
        form,
        request.form.get("draft", ""),
        config["ECITIZ_DRAFT_DAYS"] * 86400,
        utcnow(),
    )


def kept_files(
    form: PublicForm, ticket: TicketCheck, draft_key: str | None
) -> list[dict[str, Any]]:
    """The files kept for this form by the posted ticket and draft."""
    holders = [ticket_holder(ticket.nonce)]
    if draft_key is not None:
        holders.append(draft_holder(draft_key))
    return state().store.kept_uploads(
        form.organisation["id"], form.row["form_id"], holders
    )


def check_answers(form: PublicForm, kept: list[dict[str, Any]]) -> Outcome:
    """The posted answers and files checked, counting the files ``kept``."""
    return form.compiled.validate(
        request.form,
        request.files,
        max_file_size=current_app.config["ECITIZ_MAX_FILE_SIZE"],
        max_files=current_app.config["ECITIZ_MAX_FILES"],
        kept=drafts.kept_by_field(kept),
    )


def render_again(
    form: PublicForm,
    values: MultiDict,
    kept: list[dict[str, Any]],
    draft_key: str | None,
    **context: Any,
) -> str:
    """The form shown again with its answers, its kept files and its ticket
    (which holds the files), to go on with the same draft, if any."""
    return render_form(
        form,
        values,
        ticket=request.form.get("ticket", ""),
        kept=kept,
        draft_key=draft_key,
        **context,
    )


def submission_keys(form: PublicForm, outcome: Outcome) -> list[Key]:
    """What a new request counts against: its client address, its organisation
    and the address its receipt goes to."""
    keys = [
        limits.client_key("submit-client", "ECITIZ_SUBMIT_LIMIT"),
        limits.key(
            "submit-organisation",
            str(form.organisation["id"]),
            "ECITIZ_SUBMIT_LIMIT_PER_ORGANISATION",
        ),
    ]
    _name, email = form.definition.applicant_contact(outcome.answers)
    if email:
        keys.append(
            limits.key(
                "submit-recipient", mailbox(email), "ECITIZ_SUBMIT_LIMIT_PER_RECIPIENT"
            )
        )
    return keys


def mailbox(email: str) -> str:
    """The mailbox an address delivers to, as far as anyone can tell: case and
    a ``+tag`` do not make another one (``Camille+1@X.org`` is ``camille@x.org``)."""
    local, _at, domain = email.strip().casefold().rpartition("@")
    return f"{local.partition('+')[0]}@{domain}"


def ticket_notice(problem: str) -> str:
    """Why a form came back unsent, for a ticket ``problem`` (expired or not ours)."""
    if problem == "expired":
        return gettext(
            "The form stayed open a long time, so for your security it must be sent"
            " again. Your answers are kept below: check them and send the form."
        )
    return gettext(
        "We could not check that this form was sent from this page. Your answers"
        " are kept below: check them and send the form again."
    )


def public_form(org: str, form_id: str) -> PublicForm:
    """The enabled form ``form_id`` of ``org``, which its sites may frame."""
    kit = state()
    form = find_form(kit.store, kit.forms, org, form_id)
    _allow_framing(form)
    return form


def found_request(kind: str, token: str) -> Tracked:
    """The request a receipt (``r``) or tracking (``s``) token points to."""
    kit = state()
    tokens = kit.tokens(current_app.config)
    read, max_age = {
        "r": (tokens.read_receipt, "ECITIZ_RECEIPT_MAX_AGE"),
        "s": (tokens.read_status_link, "ECITIZ_STATUS_LINK_MAX_AGE"),
    }[kind]
    found = tracked(
        kit.store, kit.forms, read_ref(read, token, current_app.config[max_age])
    )
    _allow_framing(found.form)
    return found


def _allow_framing(form: PublicForm) -> None:
    """Let the organisation's sites frame this response (see public_headers)."""
    allow_framing(form.organisation)


def allow_framing(organisation: dict[str, Any]) -> None:
    """Let an organisation's sites frame this response, and read how it is
    embedded: messages go only to an origin the organisation allowed, and the
    page takes the organisation's theme unless the embed sets its own."""
    organisation_id = organisation["id"]
    g.ecitiz_organisation_id = organisation_id
    # Without an origin to check there is nothing to look up (a direct link, or
    # a frame whose origin was not allowed when the form was shown).
    allowed = (
        state().store.allowed_origins(organisation_id)
        if request.args.get("origin")
        else ()
    )
    embed = parse_embed(request.args, allowed, saved_theme(organisation))
    g.ecitiz_embed = embed
    if embed.theme:
        g.ecitiz_style_nonce = secrets.token_urlsafe(16)


def render_closed(
    form: PublicForm, opening: Opening, now_state: str, refused: bool = False
) -> str:
    """The page of a procedure outside its opening times (``now_state``): when it
    opens, or until when it was open; ``refused``: a request sent was not taken."""
    return render_template(
        "ecitiz/form_closed.html",
        form=form,
        upcoming=now_state == UPCOMING,
        opens_at=moment(opening.opens_at) if opening.opens_at else "",
        closes_at=moment(opening.closes_at) if opening.closes_at else "",
        refused=refused,
    )


def render_form(
    form: PublicForm,
    values: MultiDict | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    opening: Opening | None = None,
    company_notice: str | None = None,
    *,
    ticket: str | None = None,
    kept: list[dict[str, Any]] | None = None,
    draft_key: str | None = None,
    page: str | None = None,
    to_check: bool | None = None,
) -> str:
    """The form page; ``company_notice`` says what a company lookup found,
    ``ticket`` (new by default) holds the files ``kept``, and ``draft_key``
    names the draft it goes on with. A form in steps shows one ``page`` (by
    default the first with an error, else the one posted from), and
    ``to_check`` says whether its "Continue" leads back to the check page."""
    tokens = state().tokens(current_app.config)
    values = values if values is not None else MultiDict()
    errors = errors or {}
    ticket = ticket or tokens.form_ticket(form.organisation["id"], form.row["form_id"])
    step_context: dict[str, Any] = {}
    if form.definition.pages:
        before = posted_steps(form).steps
        shown = form_steps.shown_page(form, page, errors, before)
        if shown == steps.CHECK:  # only the check page view lists answers
            shown = steps.page_ids(form.definition)[-1]
        if to_check is None:
            to_check = before is not None and (
                before.to_check or before.page == steps.CHECK
            )
        here = steps.on_page(form.definition, shown)
        errors = {name: error for name, error in errors.items() if name in here}
        step_context = form_steps.context(
            tokens, form, ticket_nonce(ticket), values, shown, to_check
        )
        # A page reached from another brings its heading into view; the
        # first page, opened in the host's page, must not scroll it.
        step_context["step_moved"] = request.method == "POST"
    opening = opening or Opening.of(form.row)
    lookup = company_lookup_field(form)
    if lookup is not None and step_context and lookup not in step_context["fields"]:
        lookup = None  # the lookup and its script belong to the SIRET's page
    if lookup is not None or form.definition.has_files:
        # The lookup script and the one sending each chosen file ask the kit
        # (see public_headers).
        g.ecitiz_connect = True
    org, form_id = form.organisation["slug"], form.row["form_id"]
    page_args = {"lang": g.ecitiz_lang, **g.ecitiz_embed.args}
    kept_uploads: dict[str, list[dict[str, Any]]] = {}
    for row in kept or ():
        kept_uploads.setdefault(row["field"], []).append(row)
    return render_template(
        "ecitiz/form.html",
        kept_uploads=kept_uploads,
        draft_token=draft_key and tokens.draft_link(form.organisation["id"], draft_key),
        draft_days=current_app.config["ECITIZ_DRAFT_DAYS"],
        later_action=url_for(
            "ecitiz.save_draft", org=org, form_id=form_id, **page_args
        ),
        remove_action=url_for(
            "ecitiz.remove_kept_file", org=org, form_id=form_id, **page_args
        ),
        upload_action=url_for(
            "ecitiz.upload_file", org=org, form_id=form_id, **page_args
        ),
        form=form,
        closes_at=moment(opening.closes_at) if opening.closes_at else "",
        definition=form.definition,
        values=values,
        errors=errors,
        notice=notice,
        ticket=ticket,
        action=url_for(
            "ecitiz.form_step" if step_context else "ecitiz.submit_form",
            org=form.organisation["slug"],
            form_id=form.row["form_id"],
            lang=g.ecitiz_lang,
            **g.ecitiz_embed.args,
        ),
        honeypot=HONEYPOT,
        company_field=lookup.name if lookup else None,
        company_url=url_for(
            "ecitiz.company_lookup",
            org=form.organisation["slug"],
            form_id=form.row["form_id"],
            lang=g.ecitiz_lang,
            **g.ecitiz_embed.args,
        )
        if lookup
        else None,
        company_notice=company_notice,
        **step_context,
    )


def ticket_nonce(ticket: str) -> str:
    """The nonce of a form ticket this page issued or was posted with."""
    tokens = state().tokens(current_app.config)
    # An expired ticket still names its nonce; a bad one is never shown again.
    return tokens.read_form_ticket(ticket, _ticket_max_age()).nonce


def _ticket_max_age() -> int:
    return current_app.config["ECITIZ_FORM_TICKET_MAX_AGE"]


def posted_steps(form: PublicForm) -> form_steps.Posted:
    """The steps token posted with the form's ticket (nothing outside a post)."""
    if request.method != "POST" or not form.definition.pages:
        return form_steps.Posted()
    try:
        nonce = ticket_nonce(request.form.get("ticket", ""))
    except InvalidToken:
        return form_steps.Posted(bad=True)
    tokens = state().tokens(current_app.config)
    return form_steps.posted(tokens, form, nonce, request.form, _ticket_max_age())


def company_lookup_field(form: PublicForm) -> Field | None:
    """The SIRET field whose company details the register can fill (``None``
    when lookups are off or the form links no SIRET to other fields)."""
    siret_field = form.definition.company_field
    if siret_field is None or not siret_field.fills:
        return None
    if state().company_directory(current_app.config) is None:
        return None
    return siret_field


def to_receipt(
    submission_id: int, submission: dict[str, Any] | None = None
) -> Response:
    if submission is None:
        submission = state().store.submission(submission_id)
    if submission is None:  # removed since: the receipt says "not found"
        submission = {"public_id": "", "link_version": 0}
    token = (
        state()
        .tokens(current_app.config)
        .receipt(submission["public_id"], submission["link_version"])
    )
    embed = g.get("ecitiz_embed") or Embed()
    return redirect(
        url_for("ecitiz.receipt", token=token, lang=g.ecitiz_lang, **embed.args), 303
    )


def _decoy_reference(form: PublicForm) -> str:
    return new_reference(form.definition.reference_prefix)
