""" "My requests": an applicant's requests to one organisation, without an account.

The applicant gives an e-mail address (the form is the macro
``ecitiz/_my_requests.html``, on the tracking page and wherever a page calls
:func:`my_requests_form`); the address gets a short-lived link to the list of
the requests it sent, each linking to its tracking page. The answer on screen,
its status code and the work done are the same whether or not the address sent
any, so the form cannot be used to learn who asked for what. Uses are rate
limited per e-mail address and per client address; a refused use shows the
form again, address kept, with when to try again. A tampered, expired or
another organisation's link gets the not-found page of every bad link.

The lost-link page (reference + address) is absorbed here: its old addresses
lead to this form, which gives lost tracking links again among the others.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..domain.lookup import find_organisation
from ..domain.my_requests import my_requests as listed_requests
from ..domain.my_requests import send_my_requests_link
from ..errors import ForeignOrigin, UnknownObject
from ..forms.validators import MAX_EMAIL, is_email_address
from ..i18n import format_duration, gettext
from ..lifecycle import status_name
from ..state import state
from ..tokens import InvalidToken
from ..web import ratelimits as limits
from ..web.origins import is_cross_site_post
from ..web.pages import notices, when
from .pages import allow_framing, blueprint


@blueprint.get("/my/<org>")
def my_requests_ask(org: str) -> str:
    return _render(_organisation(org))


@blueprint.post("/my/<org>")
def my_requests_post(org: str) -> Any:
    if is_cross_site_post():
        raise ForeignOrigin()
    organisation = _organisation(org)
    kit = state()
    config = current_app.config
    try:
        ticket_org = kit.tokens(config).read_my_requests_ticket(
            request.form.get("ticket", ""), config["ECITIZ_FORM_TICKET_MAX_AGE"]
        )
    except InvalidToken:
        ticket_org = None
    email = request.form.get("email", "").strip()
    if ticket_org != organisation["id"]:
        notice = gettext(
            "We could not check that this form was sent from this page, or it stayed"
            " open too long. Check your answers and send it again."
        )
        return _render(organisation, email, notice=notice), 400
    error = _check(email)
    if error:
        return _render(organisation, email, error=error), 422
    # Both are checked before either is counted: a client refused for its own
    # attempts does not use up the address's.
    verdict = limits.hit(
        limits.client_key("my-requests-client", "ECITIZ_LOST_LINK_LIMIT"),
        limits.key("my-requests-email", email.casefold(), "ECITIZ_LOST_LINK_LIMIT"),
    )
    if not verdict:
        notice = gettext(
            "Too many attempts were made with these details or from your"
            " connection. To protect applicants, this page refuses new attempts for"
            " a while: try again in %(wait)s. Your answers are kept below.",
            wait=limits.wait(verdict),
        )
        page = _render(organisation, email, notice=notice, refused=True)
        return limits.too_many(page, verdict)
    max_age = config["ECITIZ_MY_REQUESTS_LINK_MAX_AGE"]
    send_my_requests_link(
        kit.store,
        organisation,
        email,
        lang=g.ecitiz_lang,
        max_age=max_age,
        valid_for=format_duration(max_age, g.ecitiz_lang),
        notices=notices(),
    )
    return render_template(
        "ecitiz/my_requests_ask.html",
        organisation=organisation,
        sent=True,
        valid_for=format_duration(max_age),
        again_url=url_for(
            "ecitiz.my_requests_ask", org=org, lang=g.ecitiz_lang, **g.ecitiz_embed.args
        ),
    )


@blueprint.get("/my/<org>/<token>")
def my_requests(org: str, token: str) -> str:
    organisation = _organisation(org)
    kit = state()
    config = current_app.config
    max_age = config["ECITIZ_MY_REQUESTS_LINK_MAX_AGE"]
    try:
        organisation_id, link_key = kit.tokens(config).read_my_requests_link(
            token, max_age
        )
    except InvalidToken:
        raise UnknownObject() from None
    if organisation_id != organisation["id"]:
        raise UnknownObject()
    found = listed_requests(
        kit.store,
        kit.forms,
        organisation_id,
        link_key,
        max_age=max_age,
        lang=g.ecitiz_lang,
    )
    tokens = kit.tokens(config)
    rows = [
        {
            "reference": row["reference"],
            "title": row["title"],
            "status": row["status"],
            "status_name": status_name(row["status"], g.ecitiz_lang),
            "sent_on": when(row["created_at"]),
            "url": url_for(
                "ecitiz.status",
                token=tokens.status_link(row["public_id"], row["link_version"]),
                lang=g.ecitiz_lang,
                **g.ecitiz_embed.args,
            ),
        }
        for row in found
    ]
    return render_template(
        "ecitiz/my_requests.html",
        organisation=organisation,
        requests=rows,
        ask_url=url_for(
            "ecitiz.my_requests_ask", org=org, lang=g.ecitiz_lang, **g.ecitiz_embed.args
        ),
    )


@blueprint.route("/lost/<org>", methods=["GET", "POST"])
def lost_link(org: str) -> Response:
    """The former lost-link page: its addresses lead to the "my requests" form."""
    organisation = find_organisation(state().store, org)
    kept: dict[str, Any] = request.args.to_dict()  # language and embedding
    target = url_for("ecitiz.my_requests_ask", org=organisation["slug"], **kept)
    return redirect(target, 301 if request.method == "GET" else 303)


def my_requests_form(
    organisation: dict[str, Any],
    email: str = "",
    *,
    error: str | None = None,
    heading: bool = True,
) -> dict[str, Any]:
    """What the ``my_requests`` macro of ``ecitiz/_my_requests.html`` needs to
    show the form for ``organisation`` (in a view of the kit's blueprints)."""
    tokens = state().tokens(current_app.config)
    embed = g.get("ecitiz_embed")
    return {
        "organisation": organisation,
        "email": email[:MAX_EMAIL],
        "error": error,
        "heading": heading,
        "valid_for": format_duration(
            current_app.config["ECITIZ_MY_REQUESTS_LINK_MAX_AGE"]
        ),
        "ticket": tokens.my_requests_ticket(organisation["id"]),
        "action": url_for(
            "ecitiz.my_requests_post",
            org=organisation["slug"],
            lang=g.ecitiz_lang,
            **(embed.args if embed else {}),
        ),
    }


# -- helpers ---------------------------------------------------------------------


def _organisation(slug: str) -> dict[str, Any]:
    organisation = find_organisation(state().store, slug)
    allow_framing(organisation)  # its sites may frame the page
    return organisation


def _check(email: str) -> str | None:
    if not email:
        return gettext("Enter the e-mail address you gave in your requests.")
    if not is_email_address(email):
        return gettext("Enter an e-mail address in the format name@example.org.")
    return None


def _render(
    organisation: dict[str, Any],
    email: str = "",
    *,
    error: str | None = None,
    notice: str | None = None,
    refused: bool = False,
) -> str:
    return render_template(
        "ecitiz/my_requests_ask.html",
        organisation=organisation,
        form=my_requests_form(organisation, email, error=error, heading=False),
        error=error,
        notice=notice,
        refused=refused,
    )
