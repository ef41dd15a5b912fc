"""The staff blueprint: signing in and out, changing one's password, the headers
and error pages every staff page shares.

The request pages live in :mod:`ecitiz_kit.staff_list`,
:mod:`ecitiz_kit.staff_requests` and :mod:`ecitiz_kit.staff_embed`, on this same
blueprint; the session, CSRF and throttling machinery in :mod:`ecitiz_kit.staff_auth`.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import (
    Blueprint,
    Response,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException, InternalServerError
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired, Length

from .extension import state
from .i18n import LANGUAGES, gettext, text
from .passwords import MAX_LENGTH, MIN_LENGTH, hash_password
from .staff_auth import (
    FAILURE_WINDOW,
    MAX_FAILURES,
    StaffForm,
    Throttled,
    authenticate,
    check_csrf,
    csrf_token,
    load_session,
    safe_next,
    save_cookie,
    sign_in,
    sign_out,
    staff_required,
)
from .web import set_page_language, template_helpers

log = logging.getLogger(__name__)

blueprint = Blueprint("ecitiz_staff", __name__, template_folder="templates")

#: Staff pages run no script and are never framed; the embed page frames the
#: kit's own form pages as a preview.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-src 'self'; frame-ancestors 'none'"
)

blueprint.before_request(set_page_language)
blueprint.before_request(load_session)
blueprint.before_request(check_csrf)
blueprint.context_processor(template_helpers)


@blueprint.url_defaults
def keep_language(endpoint: str, values: dict[str, Any]) -> None:
    """A language chosen with ``?lang=`` stays while staff move between pages."""
    if "lang" in values or not has_request_context():
        return
    if request.args.get("lang") in LANGUAGES:
        values["lang"] = request.args["lang"]


@blueprint.context_processor
def staff_helpers() -> dict[str, Any]:
    return {"staff": g.get("ecitiz_staff"), "csrf_token": csrf_token}


@blueprint.after_request
def staff_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cache-Control"] = "no-store"
    headers["Referrer-Policy"] = "same-origin"
    response.vary.add("Cookie")
    response.vary.add("Accept-Language")
    return save_cookie(response)


@blueprint.errorhandler(HTTPException)
def http_error(error: HTTPException) -> tuple[str, int]:
    return render_template("ecitiz/staff/error.html", error=error), error.code or 500


@blueprint.errorhandler(InternalServerError)
def server_error(error: InternalServerError) -> tuple[str, int]:
    incident = secrets.token_hex(4).upper()
    log.error(
        "incident %s on %s", incident, request.path, exc_info=error.original_exception
    )
    return (
        render_template("ecitiz/staff/error.html", error=error, incident=incident),
        500,
    )


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
        staff = authenticate(
            state().store,
            form.email.data or "",
            form.password.data or "",
            request.remote_addr or "unknown",
        )
    except Throttled:
        minutes = FAILURE_WINDOW // 60
        refusal = gettext(
            "Too many failed attempts to sign in: wait %(minutes)s minutes, then try"
            " again.",
            minutes=minutes,
        )
        response = Response(_login_page(form, refusal), 429)
        response.headers["Retry-After"] = str(FAILURE_WINDOW)
        return response
    if staff is None:
        refusal = gettext(
            "Wrong e-mail address or password. After %(count)s failed attempts,"
            " signing in is blocked for %(minutes)s minutes.",
            count=MAX_FAILURES,
            minutes=FAILURE_WINDOW // 60,
        )
        return _login_page(form, refusal), 401
    sign_in(staff)
    return redirect(safe_next(request.args.get("next")), 303)


def _login_page(form: LoginForm, refusal: str | None = None) -> str:
    form.password.data = ""
    return render_template("ecitiz/staff/login.html", form=form, refusal=refusal)


@blueprint.post("/logout")
def logout() -> Response:
    sign_out()
    return redirect(url_for("ecitiz_staff.login"), 303)


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
    store = state().store
    try:
        staff = authenticate(
            store,
            g.ecitiz_staff["email"],
            form.current.data or "",
            request.remote_addr or "unknown",
        )
    except Throttled:
        refusal = gettext(
            "Too many failed attempts to sign in: wait %(minutes)s minutes, then try"
            " again.",
            minutes=FAILURE_WINDOW // 60,
        )
        response = Response(_password_page(form, refusal), 429)
        response.headers["Retry-After"] = str(FAILURE_WINDOW)
        return response
    if staff is None:
        form.current.errors = [gettext("This is not your current password.")]
        return _password_page(form), 422
    store.set_password(staff["id"], hash_password(form.new.data or ""))
    sign_in(staff)  # this device stays signed in, with a new session
    return render_template("ecitiz/staff/password.html", form=None, changed=True)


def _password_page(form: PasswordForm, refusal: str | None = None) -> str:
    form.current.data = form.new.data = form.confirm.data = ""
    return render_template(
        "ecitiz/staff/password.html", form=form, changed=False, refusal=refusal
    )


# -- helpers the staff pages share ----------------------------------------------


def form_title(
    row: dict[str, Any] | None, form_id: str, lang: str | None = None
) -> str:
    """The title of an organisation's form (its id if it is no longer enabled)."""
    if row is None:
        return form_id
    if row["title_override"]:
        return row["title_override"]
    definition, _compiled = state().forms.get(row)
    return text(definition.title, lang or g.ecitiz_lang)


# The request pages register their views on this blueprint.
from . import staff_embed, staff_list, staff_requests  # noqa: E402, F401
