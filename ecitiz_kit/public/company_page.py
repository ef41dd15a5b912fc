"""Company details from the SIRET, on a form page (when lookups are on).

With JavaScript, the form's script asks ``GET …/company?siret=`` and offers to
fill the fields; without it, the "look up" button posts the form to the same
address, which shows the form again with the fields filled and nothing else
changed. Only a SIRET that passed its check is ever sent to the directory.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request
from werkzeug.datastructures import MultiDict

from ..company_directory import checked_siret
from ..domain.companies import FOUND, UNAVAILABLE, Lookup, fill_values, look_up
from ..errors import ForeignOrigin, UnknownObject
from ..forms import steps
from ..forms.definitions import Field
from ..forms.registry import PublicForm
from ..i18n import gettext
from ..state import state
from ..web import ratelimits as limits
from ..web.origins import is_cross_site_post
from ..web.request_size import allow_uploads
from .pages import (
    blueprint,
    company_lookup_field,
    kept_files,
    posted_draft,
    posted_ticket,
    public_form,
    render_again,
    render_form,
)


def _lookup_form(org: str, form_id: str) -> tuple[PublicForm, Field]:
    form = public_form(org, form_id)
    siret_field = company_lookup_field(form)
    if siret_field is None:
        raise UnknownObject()
    return form, siret_field


def _lookup_key() -> limits.Key:
    return limits.client_key("company-lookup", "ECITIZ_COMPANY_LOOKUP_LIMIT")


@blueprint.get("/f/<org>/<form_id>/company")
def company_lookup(org: str, form_id: str) -> Any:
    """What the register says of ``?siret=``, as the values of the fields it
    fills (JSON, for the form page's own script)."""
    # Only the form page's script may ask: not other sites, nor their frames.
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in (
        "same-origin",
        "none",
    ):
        return jsonify(error="ask from the form page"), 403
    try:
        form, siret_field = _lookup_form(org, form_id)
    except UnknownObject:
        return jsonify(error="no company lookup on this form"), 404
    siret = checked_siret(request.args.get("siret", "")[:40])
    if siret is None:
        return jsonify(error="not a valid SIRET"), 400
    verdict = limits.hit(_lookup_key())
    if not verdict:
        return limits.too_many_json(verdict)
    directory = state().company_directory(current_app.config)
    assert directory is not None  # company_lookup_field said it is set
    found = look_up(directory, siret)
    answer: dict[str, Any] = {"state": found.state}
    if found.company is not None:
        answer["name"] = found.company.legal_name
        answer["active"] = found.company.active
        answer["fields"] = fill_values(form.definition, siret_field, found.company)
    return jsonify(answer)


@blueprint.post("/f/<org>/<form_id>/company")
def company_lookup_page(org: str, form_id: str) -> Any:
    """The "look up" button without JavaScript: the form again, its company
    fields filled from the register, every other answer kept."""
    if is_cross_site_post():
        raise ForeignOrigin()
    form, siret_field = _lookup_form(org, form_id)
    allow_uploads(form.definition)
    values = MultiDict(request.form)
    siret = checked_siret(str(values.get(siret_field.name, ""))[:40])
    if siret is None:
        problem = gettext(
            "Enter the 14 digits of your SIRET number, then look the company up."
        )
        return _again(form, values, errors={siret_field.name: problem}), 422
    verdict = limits.hit(_lookup_key())
    if not verdict:
        notice = gettext(
            "Too many lookups were asked from your connection: type the company’s"
            " details, or look it up again in %(wait)s.",
            wait=limits.wait(verdict),
        )
        return limits.too_many(_again(form, values, company_notice=notice), verdict)
    directory = state().company_directory(current_app.config)
    assert directory is not None  # company_lookup_field said it is set
    found = look_up(directory, siret)
    if found.state == FOUND and found.company is not None:
        for name, value in fill_values(
            form.definition, siret_field, found.company
        ).items():
            values.setlist(name, [value])
    return _again(form, values, company_notice=lookup_notice(found))


def _again(form: PublicForm, values: MultiDict, **context: Any) -> str:
    """The form shown again as it was posted: a lookup changes nothing of its
    ticket, the files that ticket (or its draft) holds, or the draft it goes on
    with. A ticket that no longer works gets a fresh form, as on submit."""
    company_field = form.definition.company_field
    if form.definition.pages and company_field is not None:
        # What the lookup found shows beside the SIRET, on its page.
        context["page"] = steps.first_page_with(form.definition, [company_field.name])
    ticket = posted_ticket(form)
    if ticket.problem is not None or ticket.spent_by is not None:
        return render_form(form, values, **context)
    draft = posted_draft(form)
    draft_key = draft.draft["draft_key"] if draft and draft.draft else None
    kept = kept_files(form, ticket, draft_key)
    return render_again(form, values, kept, draft_key, **context)


def lookup_notice(found: Lookup) -> str:
    """What the page says after a lookup, in a few neutral words."""
    if found.state == FOUND:
        said = gettext(
            "We filled in the company’s details from the register: check them"
            " before sending."
        )
        if found.company is not None and not found.company.active:
            said += " " + gettext("The register says this company has ceased.")
        return said
    if found.state == UNAVAILABLE:
        return gettext(
            "The company register cannot be reached just now: type the details."
        )
    return gettext("This SIRET is not in the company register: type the details.")
