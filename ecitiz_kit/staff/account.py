"""Signing in and out, one's account page (e-mails about new requests) and
changing one's password.

The session, CSRF and throttling machinery lives in :mod:`.auth`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, g, redirect, render_template, request, url_for
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import InputRequired, Length

from ..domain.deadlines import SOON_DAYS
from ..i18n import format_duration, gettext
from ..passwords import MAX_LENGTH, MIN_LENGTH, hash_password
from ..state import state
from ..web.ratelimits import client_address
from .audit import audit_as
from .auth import (
    StaffForm,
    Throttled,
    check_credentials,
    safe_next,
    sign_in,
    sign_in_limits,
    sign_in_throttle,
    sign_out,
    staff_required,
)
from .blueprint import blueprint

# -- signing in and out ------------------------------------------------------------


class LoginForm(StaffForm):
    email = EmailField(validators=[InputRequired(), Length(max=254)])
    password = PasswordField(validators=[InputRequired(), Length(max=MAX_LENGTH)])

    def problems(self) -> dict[str, str]:
        return {
            "email": gettext("Enter your e-mail address."),
            "password": gettext("Enter your password."),
        }


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if g.ecitiz_staff is not None and request.method == "GET":
        return redirect(safe_next(request.args.get("next")), 303)
    form = LoginForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return _login_page(form), status
    try:
        staff = check_credentials(form.email.data or "", form.password.data or "")
    except Throttled as throttled:
        return _throttled(throttled, lambda refusal: _login_page(form, refusal))
    if staff is None:
        refused = Response(_login_page(form, _wrong_password()), 401)
        refused.call_on_close(_failure_recorder(form.email.data or ""))
        return refused
    sign_in(staff)
    audit_as(staff, "auth.sign_in")
    return redirect(safe_next(request.args.get("next")), 303)


def _failure_recorder(email: str) -> Callable[[], None]:
    """What records a failed sign-in to an existing account in its organisation's
    log (attempts at unknown addresses belong to no organisation's).

    It runs once the answer is sent: a write made only for existing accounts
    would otherwise make their answer slower, and tell them apart."""
    store, address = state().store, client_address()

    def record() -> None:
        account = store.staff_by_email(email.strip().lower())
        if account is not None:
            store.record_audit(
                account["organisation_id"],
                "auth.sign_in_failed",
                actor=account["email"],
                staff_id=account["id"],
                address=address,
            )

    return record


def _login_page(form: LoginForm, refusal: str | None = None) -> str:
    form.password.data = ""
    return render_template("ecitiz/staff/login.html", form=form, refusal=refusal)


@blueprint.post("/logout")
def logout() -> Response:
    sign_out()
    return redirect(url_for("ecitiz_staff.login"), 303)


# -- account -------------------------------------------------------------------


class NotifyForm(StaffForm):
    notify = BooleanField()
    digest = BooleanField()


@blueprint.route("/account", methods=["GET", "POST"])
@staff_required
def account() -> Any:
    """One's own account: whether to get an e-mail for each new request, and a
    daily digest."""
    if request.method == "GET":
        return render_template(
            "ecitiz/staff/account.html",
            notify=bool(g.ecitiz_staff["notify_new_requests"]),
            digest=bool(g.ecitiz_staff["digest"]),
            soon_days=SOON_DAYS,
            saved=request.args.get("saved"),
            nav="account",
        )
    form = NotifyForm()
    form.validate_on_submit()  # the CSRF token was checked before the view
    notify = bool(form.notify.data)
    store = state().store
    store.set_staff_notify(g.ecitiz_staff["email"], notify)
    store.set_staff_digest(g.ecitiz_staff["id"], bool(form.digest.data))
    return redirect(
        url_for("ecitiz_staff.account", saved="on" if notify else "off"), 303
    )


# -- password ------------------------------------------------------------------


class PasswordForm(StaffForm):
    current = PasswordField(validators=[InputRequired(), Length(max=MAX_LENGTH)])
    new = PasswordField(
        validators=[InputRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)]
    )
    confirm = PasswordField(validators=[InputRequired(), Length(max=MAX_LENGTH)])

    def problems(self) -> dict[str, str]:
        return {
            "current": gettext("Enter your current password."),
            "new": gettext(
                "Choose a password of %(min)s to %(max)s characters.",
                min=MIN_LENGTH,
                max=MAX_LENGTH,
            ),
            "confirm": gettext("Type the new password again, exactly the same."),
        }


@blueprint.route("/password", methods=["GET", "POST"])
@staff_required
def password() -> Any:
    """Change one's password: every other session of that person ends."""
    form = PasswordForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return _password_page(form), status
    if form.new.data != form.confirm.data:
        form.confirm.errors = [gettext("The two new passwords differ.")]
        return _password_page(form), 422
    try:
        staff = check_credentials(g.ecitiz_staff["email"], form.current.data or "")
    except Throttled as throttled:
        return _throttled(throttled, lambda refusal: _password_page(form, refusal))
    if staff is None:
        form.current.errors = [gettext("This is not your current password.")]
        return _password_page(form), 422
    state().store.set_password(staff["id"], hash_password(form.new.data or ""))
    sign_in(staff)  # this device stays signed in, with a new session
    return render_template("ecitiz/staff/password.html", form=None, changed=True)


def _password_page(form: PasswordForm, refusal: str | None = None) -> str:
    form.current.data = form.new.data = form.confirm.data = ""
    return render_template(
        "ecitiz/staff/password.html", form=form, changed=False, refusal=refusal
    )


def _wrong_password() -> str:
    limit = sign_in_limits().first()
    if limit is None or not sign_in_throttle().enabled:
        return gettext("Wrong e-mail address or password.")
    return gettext(
        "Wrong e-mail address or password. After %(count)s failed attempts,"
        " signing in to this account from your connection is blocked for"
        " %(wait)s.",
        count=limit.amount,
        wait=format_duration(limit.get_expiry()),
    )


def _throttled(throttled: Throttled, page: Callable[[str], str]) -> Response:
    """The page again, saying how long to wait before the next attempt."""
    if throttled.unavailable:
        refusal = gettext(
            "Signing in is unavailable for a moment: the service that counts"
            " attempts cannot be reached. Try again in %(wait)s.",
            wait=format_duration(throttled.retry_after),
        )
        status = 503
    else:
        refusal = gettext(
            "Too many failed attempts to sign in to this account: wait %(wait)s,"
            " then try again.",
            wait=format_duration(throttled.retry_after),
        )
        status = 429
    response = Response(page(refusal), status)
    response.headers["Retry-After"] = str(throttled.retry_after)
    return response
