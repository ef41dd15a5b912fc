"""The embed page: the snippet to paste for each enabled form, a preview of each,
the counter's and the tracking page's, and the websites allowed to show them."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, redirect, render_template, request, url_for
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from ..errors import UnknownObject
from ..i18n import gettext
from ..state import state
from ..web import snippets
from ..web.frame_heights import fitting_height
from ..web.origins import BadOrigin, normalise_origin
from ..web.urls import kit_base_url
from .auth import StaffForm, admin_required
from .blueprint import blueprint

MAX_ORIGIN_LENGTH = 300
EXAMPLE = "https://www.example.org"


class OriginForm(StaffForm):
    origin = StringField(validators=[InputRequired(), Length(max=MAX_ORIGIN_LENGTH)])

    def problems(self) -> dict[str, str]:
        return {
            "origin": gettext(
                "Enter the address of a website, e.g. %(example)s.", example=EXAMPLE
            )
        }


def origin_problem(reason: str) -> str:
    """Why an address cannot be allowed, in the staff member's language."""
    return {
        "wildcard": gettext(
            "Addresses with * are not accepted: add each website on its own."
        ),
        "scheme": gettext(
            "Start the address with %(scheme)s, e.g. %(example)s.",
            scheme="https://",
            example=EXAMPLE,
        ),
        "credentials": gettext("Remove the user name and password from the address."),
        "path": gettext(
            "Give only the website, without a page: e.g. %(example)s, not %(page)s.",
            example=EXAMPLE,
            page=EXAMPLE + "/contact",
        ),
        "host": gettext("The website name is not valid: check its spelling."),
    }.get(reason, gettext("This is not a valid website address."))


@blueprint.get("/embed")
@admin_required
def embed() -> str:
    return _page(OriginForm(formdata=None))


@blueprint.post("/embed/origins")
@admin_required
def add_origin() -> Any:
    form = OriginForm()
    if not form.validate_on_submit():
        return _page(form), 422
    try:
        origin = normalise_origin(form.origin.data or "")
    except BadOrigin as exc:
        form.origin.errors = [origin_problem(exc.reason)]
        return _page(form), 422
    added = state().store.add_allowed_origin(g.ecitiz_staff["organisation_id"], origin)
    return redirect(url_for("ecitiz_staff.embed", added=origin if added else None), 303)


class RemoveOriginForm(StaffForm):
    origin = StringField(validators=[InputRequired(), Length(max=MAX_ORIGIN_LENGTH)])


@blueprint.post("/embed/origins/remove")
@admin_required
def remove_origin() -> Any:
    """Stop a website showing the forms; an origin not in the list is 404."""
    form = RemoveOriginForm()
    removed = form.validate_on_submit() and state().store.remove_allowed_origin(
        g.ecitiz_staff["organisation_id"], form.origin.data or ""
    )
    if not removed:
        raise UnknownObject()
    return redirect(url_for("ecitiz_staff.embed", removed=form.origin.data), 303)


def snippet_options() -> dict[str, bool]:
    """The snippet options chosen on the page (``?heading=hidden`` and
    ``?languages=hidden``), as the snippet functions take them."""
    return {
        "heading": request.args.get("heading") != "hidden",
        "language_switch": request.args.get("languages") != "hidden",
    }


def _page(form: OriginForm) -> str:
    store = state().store
    organisation_id = g.ecitiz_staff["organisation_id"]
    site_lang = current_app.config["ECITIZ_DEFAULT_LANGUAGE"]
    base_url = kit_base_url()
    slug = g.ecitiz_staff["slug"]
    options = snippet_options()
    forms = []
    for row in store.enabled_forms(organisation_id):
        title = state().forms.title(row, row["form_id"], site_lang)
        definition, _compiled = state().forms.get(row)
        forms.append(
            {
                "form_id": row["form_id"],
                "title": state().forms.title(row, row["form_id"], g.ecitiz_lang),
                "snippet": snippets.script_snippet(
                    slug, row["form_id"], title, base_url, site_lang, **options
                ),
                "iframe_snippet": snippets.iframe_snippet(
                    slug,
                    row["form_id"],
                    title,
                    base_url,
                    site_lang,
                    height=fitting_height(definition, heading=options["heading"]),
                    **options,
                ),
                "preview_url": url_for(
                    "ecitiz.form_page",
                    org=slug,
                    form_id=row["form_id"],
                    lang=g.ecitiz_lang,
                ),
            }
        )
    return render_template(
        "ecitiz/staff/embed.html",
        forms=forms,
        status_snippet=snippets.status_snippet(
            slug, base_url, lang=site_lang, **options
        ),
        counter_snippet=snippets.counter_snippet(
            slug, base_url, lang=site_lang, **options
        ),
        counter_url=url_for("ecitiz_counter.counter", org=slug, lang=g.ecitiz_lang),
        options=options,
        tracking_page=store.tracking_page(organisation_id),
        origins=store.allowed_origins(organisation_id),
        form=form,
        added=request.args.get("added"),
        removed=request.args.get("removed"),
        nav="embed",
    )
