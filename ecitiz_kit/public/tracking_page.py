"""An organisation's "follow my request" page, made to be embedded (status mode).

The applicant pastes their tracking link or code, or the embedding page passes
the token in the frame's fragment; either way it is sent in a POST body, so it
stays out of query strings, server logs and ``Referer`` headers.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request, url_for
from werkzeug.exceptions import HTTPException, InternalServerError

from ..domain.lookup import find_organisation, read_ref, tracked
from ..errors import ForeignOrigin, UnknownObject
from ..i18n import gettext
from ..state import state
from ..web.embedding import status_token
from ..web.origins import is_cross_site_post
from ..web.pages import forget_page_language, set_page_language, template_helpers
from .my_requests_page import my_requests_form
from .pages import (
    allow_framing,
    http_error,
    public_headers,
    server_error,
)
from .request_pages import render_status

blueprint = Blueprint("ecitiz_track", __name__, template_folder="../templates")
blueprint.before_request(set_page_language)
blueprint.teardown_request(forget_page_language)
blueprint.context_processor(template_helpers)
blueprint.after_request(public_headers)
blueprint.register_error_handler(HTTPException, http_error)
blueprint.register_error_handler(InternalServerError, server_error)

MAX_PASTED = 2048


@blueprint.get("/t/<org>")
def lookup(org: str) -> str:
    organisation = _organisation(org)
    return _render_lookup(organisation)


@blueprint.post("/t/<org>")
def show(org: str) -> tuple[str, int] | str:
    if is_cross_site_post():
        raise ForeignOrigin()
    organisation = _organisation(org)
    pasted = request.form.get("link", "")[:MAX_PASTED]
    token = status_token(pasted)
    found = None
    if token is not None:
        kit = state()
        ref = read_ref(
            kit.tokens(current_app.config).read_status_link,
            token,
            current_app.config["ECITIZ_STATUS_LINK_MAX_AGE"],
        )
        try:
            found = tracked(kit.store, kit.forms, ref)
        except UnknownObject:
            found = None
    # Forged, expired, revoked, unknown or another organisation's: one answer.
    if found is None or found.form.organisation["id"] != organisation["id"]:
        error = gettext(
            "This is not a tracking link of %(organisation)s. Copy the whole link"
            " from your receipt or from the e-mail you received.",
            organisation=organisation["name"],
        )
        return _render_lookup(organisation, pasted, error), 400
    return render_status(found, token, scroll_to_top=True)


def _organisation(slug: str) -> dict:
    organisation = find_organisation(state().store, slug)
    allow_framing(organisation)
    return organisation


def _render_lookup(organisation: dict, pasted: str = "", error: str = "") -> str:
    return render_template(
        "ecitiz/track.html",
        organisation=organisation,
        pasted=pasted,
        error=error,
        my_requests=my_requests_form(organisation),
        action=url_for(
            "ecitiz_track.show",
            org=organisation["slug"],
            lang=g.ecitiz_lang,
            **g.ecitiz_embed.args,
        ),
    )
