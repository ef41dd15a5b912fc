"""The lost-link page: reference + e-mail address → the tracking link, by e-mail.

The answer never tells whether the two matched: the page, its status code and
the work done (one lookup, one message composed, one write transaction) are the
same either way, so the page cannot be used to learn who asked for what. Uses
are rate limited per e-mail address, per reference and per client address.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, g, render_template, request, url_for
from werkzeug.exceptions import TooManyRequests

from ..domain.lookup import find_organisation
from ..domain.resend import resend_link
from ..errors import ForeignOrigin
from ..forms.validators import MAX_EMAIL, is_email_address
from ..i18n import gettext
from ..state import state
from ..tokens import InvalidToken
from ..web.origins import is_cross_site_post
from ..web.pages import notices
from .pages import blueprint, http_error

MAX_REFERENCE = 40
REFERENCE = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*\Z")


@blueprint.get("/lost/<org>")
def lost_link(org: str) -> str:
    return _render(_organisation(org))


@blueprint.post("/lost/<org>")
def lost_link_post(org: str) -> Any:
    if is_cross_site_post():
        raise ForeignOrigin()
    organisation = _organisation(org)
    kit = state()
    config = current_app.config
    try:
        ticket_org = kit.tokens(config).read_lost_link_ticket(
            request.form.get("ticket", ""), config["ECITIZ_FORM_TICKET_MAX_AGE"]
        )
    except InvalidToken:
        ticket_org = None
    reference = request.form.get("reference", "").strip().upper()
    email = request.form.get("email", "").strip()
    if ticket_org != organisation["id"]:
        notice = gettext(
            "We could not check that this form was sent from this page, or it stayed"
            " open too long. Check your answers and send it again."
        )
        return _render(organisation, reference, email, notice=notice), 400
    throttle = kit.throttle(config)
    if not throttle.hit("lost-link-client", request.remote_addr or ""):
        raise TooManyRequests()
    errors = _check(reference, email)
    if errors:
        return _render(organisation, reference, email, errors=errors), 422
    # Both keys are counted before either is checked: whether the reference is
    # used up must not depend on the address given, nor the other way round.
    by_reference = throttle.hit(
        "lost-link-reference", f"{organisation['id']}:{reference}"
    )
    by_email = throttle.hit("lost-link-email", email.casefold())
    if not (by_reference and by_email):
        raise TooManyRequests()
    resend_link(kit.store, kit.forms, organisation, reference, email, notices=notices())
    return render_template(
        "ecitiz/lost_link.html",
        organisation=organisation,
        sent=True,
        again_url=url_for("ecitiz.lost_link", org=org, lang=g.ecitiz_lang),
    )


@blueprint.errorhandler(TooManyRequests)
def too_many(error: TooManyRequests) -> Any:
    if request.endpoint != "ecitiz.lost_link_post":
        return http_error(error)
    organisation = state().store.organisation(request.view_args["org"])
    response = current_app.make_response(
        (
            render_template(
                "ecitiz/lost_link.html", organisation=organisation, limited=True
            ),
            429,
        )
    )
    response.headers["Retry-After"] = "3600"
    return response


# -- helpers ---------------------------------------------------------------------


def _organisation(slug: str) -> dict[str, Any]:
    organisation = find_organisation(state().store, slug)
    g.ecitiz_organisation_id = organisation["id"]  # its sites may frame the page
    return organisation


def _check(reference: str, email: str) -> dict[str, str]:
    errors = {}
    if not reference:
        errors["reference"] = gettext("Enter the reference of your request.")
    elif len(reference) > MAX_REFERENCE or not REFERENCE.match(reference):
        errors["reference"] = gettext(
            "Enter the reference as it appears on your receipt, such as AID-7K3F-9Q2M."
        )
    if not email:
        errors["email"] = gettext("Enter the e-mail address you gave in your request.")
    elif not is_email_address(email):
        errors["email"] = gettext(
            "Enter an e-mail address in the format name@example.org."
        )
    return errors


def _render(
    organisation: dict[str, Any],
    reference: str = "",
    email: str = "",
    *,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
) -> str:
    tokens = state().tokens(current_app.config)
    return render_template(
        "ecitiz/lost_link.html",
        organisation=organisation,
        reference=reference[:MAX_REFERENCE],
        email=email[:MAX_EMAIL],
        errors=errors or {},
        notice=notice,
        ticket=tokens.lost_link_ticket(organisation["id"]),
        action=url_for(
            "ecitiz.lost_link_post", org=organisation["slug"], lang=g.ecitiz_lang
        ),
    )
