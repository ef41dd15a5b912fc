"""The organisation's settings: its contact address, its tracking page and the
look of its forms, saved together or not at all.

The rules are the ones the commands apply (:mod:`..web.contact`,
:mod:`..web.embedding`); this page only says in the staff member's language why
a value was refused.
"""

from __future__ import annotations

from typing import Any

from flask import g, redirect, render_template, request, url_for
from wtforms import StringField

from ..i18n import gettext
from ..state import state
from ..web.contact import BadContact, check_contact_email
from ..web.embedding import (
    FONTS,
    MAX_RADIUS,
    BadTheme,
    BadTrackingPage,
    check_font,
    check_primary,
    check_radius,
    check_tracking_page,
    saved_theme,
)
from .auth import StaffForm, admin_required
from .blueprint import blueprint
from .embed_page import origin_problem

EXAMPLE_PAGE = "https://www.example.org/suivi"


class SettingsForm(StaffForm):
    # Every value is checked by the shared rules below, which also refuse
    # over-long ones; the browser is not trusted with any of them.
    contact_email = StringField()
    tracking_page = StringField()
    primary = StringField()
    radius = StringField()
    font = StringField()


def font_names() -> dict[str, str]:
    """The fonts staff may choose, named in their language."""
    names = {
        "system": gettext("The device's own (system)"),
        "sans": gettext("Sans-serif, like Helvetica or Arial"),
        "serif": gettext("Serif, like Georgia or Times"),
        "rounded": gettext("Rounded"),
        "mono": gettext("Monospace, like a typewriter"),
    }
    return {name: names.get(name, name) for name in FONTS}


def tracking_page_problem(error: BadTrackingPage) -> str:
    """Why a tracking page address was refused, in the staff member's language."""
    if error.reason == "fragment":
        return gettext(
            "Leave out the part from # on: the kit adds the tracking code there."
        )
    if error.reason == "not-allowed":
        return gettext(
            "%(origin)s is not among the websites allowed to show your forms: allow"
            " it on the “Embed the forms” page first.",
            origin=error.origin,
        )
    if error.reason == "invalid":
        return gettext(
            "This is not a valid page address: check it for spaces, quotes and"
            " angle brackets."
        )
    if error.reason == "length":
        return gettext("This address is too long: it is not a page address.")
    if error.reason in ("wildcard", "credentials", "host"):
        return origin_problem(error.reason)
    return gettext(
        "Give the whole address of the page, starting with %(scheme)s, e.g."
        " %(example)s.",
        scheme="https://",
        example=EXAMPLE_PAGE,
    )


def theme_problem(error: BadTheme) -> str:
    """Why a theme value was refused, in the staff member's language."""
    return {
        "format": gettext(
            "Give a colour as # followed by 3 or 6 hexadecimal digits, e.g. #1d4ed8."
        ),
        "contrast": gettext(
            "White text on this colour would be hard to read (contrast below"
            " 4.5:1): choose a darker colour."
        ),
        "range": gettext(
            "Give a whole number of pixels from 0 to %(max)s, e.g. 8.", max=MAX_RADIUS
        ),
        "unknown": gettext("Choose one of the fonts in the list."),
    }[error.reason]


@blueprint.get("/settings")
@admin_required
def settings() -> str:
    kit = state()
    organisation_id = g.ecitiz_staff["organisation_id"]
    organisation = kit.store.organisation_by_id(organisation_id) or {}
    theme = saved_theme(organisation)
    form = SettingsForm(
        formdata=None,
        data={
            "contact_email": organisation.get("contact_email") or "",
            "tracking_page": kit.store.tracking_page(organisation_id) or "",
            "primary": theme.primary or "",
            "radius": "" if theme.radius is None else str(theme.radius),
            "font": theme.font or "",
        },
    )
    return _page(form)


@blueprint.post("/settings")
@admin_required
def save_settings() -> Any:
    form = SettingsForm()
    values = _checked(form) if form.validate_on_submit() else None
    if values is None:
        return _page(form), 422
    state().store.save_settings(g.ecitiz_staff["organisation_id"], **values)
    return redirect(url_for("ecitiz_staff.settings", saved=1), 303)


def _checked(form: SettingsForm) -> dict[str, Any] | None:
    """The settings to save, or ``None`` with each refused field's error set."""
    organisation_id = g.ecitiz_staff["organisation_id"]
    contact = (form.contact_email.data or "").strip()
    page = (form.tracking_page.data or "").strip()
    theme: dict[str, Any] = {}
    values: dict[str, Any] = {"contact_email": None, "tracking_page": None}
    try:
        values["contact_email"] = check_contact_email(contact) if contact else None
    except BadContact:
        form.contact_email.errors = [
            gettext(
                "Enter an e-mail address, e.g. %(example)s, or leave this empty.",
                example="contact@example.org",
            )
        ]
    try:
        allowed = state().store.allowed_origins(organisation_id)
        values["tracking_page"] = check_tracking_page(page, allowed) if page else None
    except BadTrackingPage as exc:
        form.tracking_page.errors = [tracking_page_problem(exc)]
    for field, check in (
        (form.primary, check_primary),
        (form.radius, check_radius),
        (form.font, check_font),
    ):
        value = (field.data or "").strip()
        try:
            theme[field.name] = check(value) if value else None
        except BadTheme as exc:
            field.errors = [theme_problem(exc)]
    if any(field.errors for field in form):
        return None
    return {**values, "theme": theme}


def _page(form: SettingsForm) -> str:
    return render_template(
        "ecitiz/staff/settings.html",
        form=form,
        fonts=font_names(),
        saved=bool(request.args.get("saved")),
        nav="settings",
    )
