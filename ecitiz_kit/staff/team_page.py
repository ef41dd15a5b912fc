"""The organisation's team, under its settings (admins only): inviting a
colleague, changing roles, stopping and restoring access; and the page where an
invited colleague chooses a password.

The rules are the store's and :mod:`..domain.team`'s: an organisation always
keeps an active admin (checked in the store's transaction), an invitation works
once and for a limited time. A role that is not one of the two is refused (403):
only a forged form sends one.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, redirect, render_template, request, url_for
from werkzeug.exceptions import Forbidden
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from ..domain import team
from ..errors import UnknownObject
from ..i18n import format_duration, gettext
from ..passwords import MAX_LENGTH, MIN_LENGTH, hash_password
from ..state import state
from ..store import LastAdmin
from ..tokens import InvalidToken
from ..web.pages import notices, when
from .audit import audit, audit_as
from .auth import StaffForm, admin_required, refusal, sign_in
from .blueprint import blueprint
from .request_page import ROW_ID


class InviteForm(StaffForm):
    email = StringField(validators=[InputRequired(), Length(max=254)])
    role = StringField()

    def problems(self) -> dict[str, str]:
        return {"email": _email_problem()}


class RoleForm(StaffForm):
    role = StringField()


class JoinForm(StaffForm):
    new = PasswordField(
        validators=[InputRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)]
    )
    confirm = PasswordField(validators=[InputRequired(), Length(max=MAX_LENGTH)])

    def problems(self) -> dict[str, str]:
        return {
            "new": gettext(
                "Choose a password of %(min)s to %(max)s characters.",
                min=MIN_LENGTH,
                max=MAX_LENGTH,
            ),
            "confirm": gettext("Type the password again, exactly the same."),
        }


def role_names() -> dict[str, str]:
    """The roles, named in the staff member's language."""
    return {
        team.AGENT: gettext("Agent: handles requests"),
        team.ADMIN: gettext("Administrator: also manages the team and settings"),
    }


def _email_problem() -> str:
    return gettext(
        "Enter your colleague's e-mail address, e.g. %(example)s.",
        example="prenom.nom@example.org",
    )


def _checked_role(value: str | None) -> str:
    if value not in team.ROLES:
        raise refusal(Forbidden, gettext("There is no such role."))
    return value  # type: ignore[return-value]


def _member(staff_id: int) -> dict[str, Any]:
    found = state().store.staff_member(g.ecitiz_staff["organisation_id"], staff_id)
    if found is None:
        raise UnknownObject()
    return found


# -- the team page -------------------------------------------------------------------


@blueprint.get("/settings/team")
@admin_required
def team_page() -> str:
    return _page(InviteForm(formdata=None, role=team.AGENT))


@blueprint.post("/settings/team/invitations")
@admin_required
def invite() -> Any:
    form = InviteForm()
    role = _checked_role(form.role.data)
    if not form.validate_on_submit():
        return _page(form), 422
    kit = state()
    organisation = kit.store.organisation_by_id(g.ecitiz_staff["organisation_id"])
    try:
        team.invite(
            kit.store, organisation or {}, form.email.data or "", role,
            invited_by=g.ecitiz_staff["email"], lang=g.ecitiz_lang,
            valid_for=format_duration(team.INVITATION_LIFETIME),
            notices=notices(),
        )  # fmt: skip
    except team.BadInvitation as exc:
        form.email.errors = [
            gettext(
                "This address already has an account on this service. If it is a"
                " member of your team whose access was stopped, restore it below;"
                " otherwise, use another address."
            )
            if exc.reason == "taken"
            else _email_problem()
        ]
        return _page(form), 422
    audit("team.invite", (form.email.data or "").strip(), role=role)
    return redirect(url_for("ecitiz_staff.team_page", done="invited"), 303)


@blueprint.post(f"/settings/team/<{ROW_ID}:staff_id>/role")
@admin_required
def change_role(staff_id: int) -> Any:
    member = _member(staff_id)
    role = _checked_role(RoleForm().role.data)
    organisation_id = g.ecitiz_staff["organisation_id"]
    if role == member["role"]:
        return redirect(url_for("ecitiz_staff.team_page"), 303)
    try:
        state().store.set_staff_role(staff_id, role, organisation_id=organisation_id)
    except LastAdmin:
        return _last_admin()
    audit("team.role", member["email"], **{"from": member["role"], "to": role})
    return _done(staff_id, "role")


@blueprint.post(f"/settings/team/<{ROW_ID}:staff_id>/stop")
@admin_required
def stop_access(staff_id: int) -> Any:
    return _set_access(_member(staff_id), False)


@blueprint.post(f"/settings/team/<{ROW_ID}:staff_id>/restore")
@admin_required
def restore_access(staff_id: int) -> Any:
    return _set_access(_member(staff_id), True)


def _set_access(member: dict[str, Any], active: bool) -> Any:
    if bool(member["active"]) == active:
        return redirect(url_for("ecitiz_staff.team_page"), 303)
    # Recorded before: a person stopping their own access has no session after.
    actor = dict(g.ecitiz_staff)
    try:
        state().store.set_staff_active(
            member["id"], active, organisation_id=member["organisation_id"]
        )
    except LastAdmin:
        return _last_admin()
    audit_as(actor, "team.reactivate" if active else "team.deactivate", member["email"])
    return _done(member["id"], "restored" if active else "stopped")


def _done(staff_id: int, what: str) -> Any:
    if staff_id == g.ecitiz_staff["id"]:
        # One's own role or access changed: the team page may be closed now.
        return redirect(url_for("ecitiz_staff.request_list"), 303)
    return redirect(url_for("ecitiz_staff.team_page", done=what, who=staff_id), 303)


def _last_admin() -> tuple[str, int]:
    return _page(
        InviteForm(formdata=None, role=team.AGENT),
        problem=gettext(
            "Nothing was changed: the organisation must keep at least one active"
            " administrator. Make a colleague an administrator first."
        ),
    ), 409


def _page(form: InviteForm, problem: str | None = None) -> str:
    store = state().store
    organisation_id = g.ecitiz_staff["organisation_id"]
    members = [
        {**member, "joined": when(member["created_at"])}
        for member in store.team(organisation_id)
    ]
    pending = [
        {**row, "sent": when(row["created_at"])}
        for row in store.pending_invitations(
            organisation_id, created_after=team.oldest_valid()
        )
    ]
    who = request.args.get("who", type=int)
    return render_template(
        "ecitiz/staff/team.html",
        form=form,
        members=members,
        pending=pending,
        roles=role_names(),
        done=request.args.get("done"),
        who=next((m["email"] for m in members if m["id"] == who), None),
        problem=problem,
        valid_for=format_duration(team.INVITATION_LIFETIME),
        nav="settings",
    )


# -- joining through an invitation -------------------------------------------------


@blueprint.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str) -> Any:
    """Where an invited colleague chooses a password; any link that does not
    (or no longer) work gets the same page."""
    kit = state()
    try:
        organisation_id, key = kit.tokens(current_app.config).read_invitation(
            token, team.INVITATION_LIFETIME
        )
    except InvalidToken:
        return _invalid()
    found = kit.store.invitation(
        organisation_id, key, created_after=team.oldest_valid()
    )
    if found is None:
        return _invalid()
    organisation = kit.store.organisation_by_id(organisation_id) or {}
    form = JoinForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return _join_page(form, found, organisation), status
    if form.new.data != form.confirm.data:
        form.confirm.errors = [gettext("The two passwords differ.")]
        return _join_page(form, found, organisation), 422
    staff = kit.store.accept_invitation(
        organisation_id,
        key,
        hash_password(form.new.data or ""),
        created_after=team.oldest_valid(),
    )
    if staff is None:  # spent or replaced meanwhile
        return _invalid()
    sign_in(staff)
    audit_as(staff, "team.join", staff["email"], role=staff["role"])
    return redirect(url_for("ecitiz_staff.request_list"), 303)


def _join_page(form: JoinForm, found: dict[str, Any], organisation: dict) -> str:
    form.new.data = form.confirm.data = ""
    return render_template(
        "ecitiz/staff/join.html",
        form=form,
        invitation=found,
        organisation=organisation.get("name", ""),
        admin=found["role"] == team.ADMIN,
    )


def _invalid() -> tuple[str, int]:
    return render_template("ecitiz/staff/join_invalid.html"), 404
