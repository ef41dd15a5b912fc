"""The lost-link page: reference + e-mail address → the tracking link, by e-mail.

The answer never tells whether the two matched: the page, its status code and
the work done (one lookup, one message composed, one write transaction) are the
same either way, so the page cannot be used to learn who asked for what. Uses
are rate limited per e-mail address, per reference and per client address.
"""

from __future__ import annotations

import hmac
import json
import re
from typing import Any

from flask import current_app, g, render_template, request, url_for
from werkzeug.exceptions import TooManyRequests

from . import mail
from .errors import ForeignOrigin, UnknownObject
from .extension import state
from .i18n import gettext
from .public import blueprint
from .store import Store
from .submissions import FormRegistry, tracking_url
from .throttle import throttle_for
from .tokens import InvalidToken
from .web import is_cross_site_post

MAX_REFERENCE = 40
MAX_EMAIL = 254
REFERENCE = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*\Z")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z")


def resend_link(
    store: Store,
    registry: FormRegistry,
    organisation: dict[str, Any],
    reference: str,
    email: str,
) -> bool:
    """Queue the tracking link of ``reference`` to ``email`` if the request of
    ``organisation`` with that reference was sent with that address.

    Returns whether it matched (for tests and logs; never shown to the asker).
    """
    found = store.lost_link_lookup(organisation["id"], reference)
    row = found and store.enabled_form(organisation["id"], found["form_id"])
    submission = {
        "id": 0,
        "organisation_id": organisation["id"],
        "reference": reference,
        "link_version": 0,
        "lang": "fr",
    }
    name, given = "", ""
    title = ""
    if found and row:
        submission = {**found, "organisation_id": organisation["id"]}
        submission["reference"] = reference
        definition, _compiled = registry.get(row)
        name, given = definition.applicant_contact(json.loads(found["answers"]))
        title = mail.form_title(row, definition, found["lang"])
    # Compare in constant time and compose the message either way: a match
    # must not take visibly longer than a miss.
    matched = bool(given) & hmac.compare_digest(
        given.casefold().encode(), email.casefold().encode()
    )
    message = mail.lost_link_message(
        organisation,
        title,
        submission,
        name=name,
        email=given or email,  # the address as the applicant wrote it
        tracking_url=tracking_url(submission, submission["lang"]),
    )
    store.record_lost_link_request(organisation["id"], [message] if matched else [])
    return matched


# -- views -----------------------------------------------------------------------


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
    throttle = throttle_for(current_app)
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
    resend_link(kit.store, kit.forms, organisation, reference, email)
    return render_template(
        "ecitiz/lost_link.html",
        organisation=organisation,
        sent=True,
        again_url=url_for("ecitiz.lost_link", org=org, lang=g.ecitiz_lang),
    )


@blueprint.errorhandler(TooManyRequests)
def too_many(error: TooManyRequests) -> Any:
    if request.endpoint != "ecitiz.lost_link_post":
        from .public import http_error

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
    organisation = state().store.organisation(slug[:100])
    if organisation is None:
        raise UnknownObject()
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
    elif len(email) > MAX_EMAIL or not EMAIL.match(email):
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
