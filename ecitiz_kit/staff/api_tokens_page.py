"""The tokens of the organisation's read-only API, for its admins: made (and
shown once), listed with their last use, revoked.

The rules are :mod:`..domain.api`'s, the same as the ``api-token`` command's;
each token made or revoked is in the audit log.
"""

from __future__ import annotations

from typing import Any

from flask import g, redirect, render_template, request, url_for
from wtforms import StringField

from ..domain import api
from ..errors import UnknownObject
from ..i18n import gettext
from ..state import state
from ..web.pages import when
from ..web.ratelimits import client_address
from ..web.urls import absolute
from .auth import StaffForm, admin_required
from .blueprint import blueprint
from .request_page import ROW_ID


class TokenForm(StaffForm):
    # Checked by check_token_name, which also refuses over-long names.
    name = StringField()


def _who() -> dict[str, Any]:
    staff = g.ecitiz_staff
    return {
        "actor": staff["email"],
        "staff_id": staff["id"],
        "address": client_address(),
    }


@blueprint.get("/settings/api-tokens")
@admin_required
def api_tokens() -> str:
    return _page(TokenForm(formdata=None))


@blueprint.post("/settings/api-tokens")
@admin_required
def create_api_token() -> Any:
    """Make a token and show it, this once, on the page the POST answers (never
    in an address, which browsers and servers keep)."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form), 422
    try:
        issued = api.issue_token(
            state().store,
            g.ecitiz_staff["organisation_id"],
            form.name.data or "",
            **_who(),
        )
    except api.BadTokenName:
        form.name.errors = [
            gettext(
                "Give the token a name of 1 to %(max)s characters, e.g. the system"
                " that will use it.",
                max=api.TOKEN_NAME_MAX_LENGTH,
            )
        ]
        return _page(form), 422
    return _page(TokenForm(formdata=None), issued=issued)


@blueprint.post(f"/settings/api-tokens/<{ROW_ID}:token_id>/revoke")
@admin_required
def revoke_api_token(token_id: int) -> Any:
    """Revoke a token at once: its next call gets 401."""
    organisation_id = g.ecitiz_staff["organisation_id"]
    if not api.revoke_token(state().store, organisation_id, token_id, **_who()):
        raise UnknownObject()
    return redirect(url_for("ecitiz_staff.api_tokens", revoked=token_id), 303)


def _page(form: TokenForm, issued: api.IssuedToken | None = None) -> str:
    store = state().store
    organisation_id = g.ecitiz_staff["organisation_id"]
    tokens = [
        {
            **token,
            "made": when(token["created_at"]),
            "used": when(token["last_used_at"]) if token["last_used_at"] else None,
            "revoked": when(token["revoked_at"]) if token["revoked_at"] else None,
        }
        for token in store.api_tokens(organisation_id)
    ]
    revoked = request.args.get("revoked", "")
    revoked_name = next(
        (t["name"] for t in tokens if str(t["id"]) == revoked and t["revoked"]), None
    )
    return render_template(
        "ecitiz/staff/api_tokens.html",
        form=form,
        tokens=tokens,
        issued=issued,
        revoked_name=revoked_name,
        api_url=(absolute("ecitiz_api.request_list") or "").removesuffix("/requests"),
        openapi_url=absolute("ecitiz_api.openapi"),
        nav="settings",
    )
