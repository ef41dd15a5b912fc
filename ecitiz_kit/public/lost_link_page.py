"""The lost-link page: reference + e-mail address → the tracking link, by e-mail.

The answer never tells whether the two matched: the page, its status code and
the work done (one lookup, one message composed, one write transaction) are the
same either way, so the page cannot be used to learn who asked for what. Uses
are rate limited per e-mail address, per reference and per client address; a
refused use shows the form again, answers kept, with when to try again.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, g, render_template, request, url_for

from ..domain.lookup import find_organisation
from ..domain.resend import resend_link
from ..errors import ForeignOrigin
from ..forms.validators import MAX_EMAIL, is_email_address
from ..i18n import gettext
from ..state import state
from ..tokens import InvalidToken
from ..web import ratelimits as limits
from ..web.origins import is_cross_site_post
from ..web.pages import notices
from .pages import allow_framing, blueprint

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
    errors = _check(reference, email)
    if errors:
        return _render(organisation, reference, email, errors=errors), 422
    # All three are checked before any is counted: a client refused for its own
    # attempts does not use up the reference's or the address's.
    verdict = limits.hit(
        limits.client_key("lost-link-client", "ECITIZ_LOST_LINK_LIMIT"),
        limits.key(
            "lost-link-reference",
            f"{organisation['id']}:{reference}",
            "ECITIZ_LOST_LINK_LIMIT",
        ),
        limits.key("lost-link-email", email.casefold(), "ECITIZ_LOST_LINK_LIMIT"),
    )
    if not verdict:
        notice = gettext(
            "Too many attempts were made with these details or from your"
            " connection. To protect applicants, this page refuses new attempts for"
            " a while: try again in %(wait)s. Your answers are kept below.",
            wait=limits.wait(verdict),
        )
        page = _render(organisation, reference, email, notice=notice, refused=True)
        return limits.too_many(page, verdict)
    resend_link(kit.store, kit.forms, organisation, reference, email, notices=notices())
    return render_template(
        "ecitiz/lost_link.html",
        organisation=organisation,
        sent=True,
        again_url=url_for("ecitiz.lost_link", org=org, lang=g.ecitiz_lang),
    )


# -- helpers ---------------------------------------------------------------------


def _organisation(slug: str) -> dict[str, Any]:
    organisation = find_organisation(state().store, slug)
    allow_framing(organisation)  # its sites may frame the page, in its theme
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
    refused: bool = False,
) -> str:
    tokens = state().tokens(current_app.config)
    return render_template(
        "ecitiz/lost_link.html",
        organisation=organisation,
        reference=reference[:MAX_REFERENCE],
        email=email[:MAX_EMAIL],
        errors=errors or {},
        notice=notice,
        refused=refused,
        ticket=tokens.lost_link_ticket(organisation["id"]),
        action=url_for(
            "ecitiz.lost_link_post", org=organisation["slug"], lang=g.ecitiz_lang
        ),
    )
