"""Staff sign-in: the session cookie, CSRF tokens bound to it, throttling.

Failed sign-ins are counted per account *and client address* first
(``ECITIZ_LOGIN_LIMIT``, 10 per 15 minutes): whoever guesses at an account is
stopped where they are, without locking the account's owner out at theirs, and
without one person's typos blocking everyone behind the same office address.
A higher, shorter ceiling per account (``ECITIZ_LOGIN_LIMIT_PER_ACCOUNT``, 50
per 5 minutes) stops a guesser who spreads over many addresses; only that one
can refuse the owner, and only for a few minutes.

The dashboard does not use Flask's ``session``: a host application may have its own,
with its own cookie settings, and the kit's public pages must never set a cookie.
Staff get one cookie of the kit's own, signed, holding a random session key (the
database keeps only its hash, one row per signed-in device, so signing out ends
that device's session on the server) and a random seed that the page's CSRF tokens
are bound to. It is ``HttpOnly`` and ``SameSite=Lax``; whenever the kit is served over
HTTPS (``ECITIZ_PUBLIC_URL``'s scheme, or the request's) it is also ``Secure`` and
named with the ``__Host-`` prefix, so no other site or sub-domain can set it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from flask import Response, current_app, g, redirect, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from limits import RateLimitItem
from werkzeug.exceptions import Forbidden, HTTPException, TooManyRequests
from wtforms.csrf.core import CSRF
from wtforms.validators import ValidationError

from ..errors import EcitizError
from ..forms.validators import controls_message, has_controls
from ..i18n import gettext
from ..passwords import hash_password, verify_password
from ..state import state
from ..store import Store, utcnow
from ..throttle import Key, Throttle, parsed
from ..tokens import InvalidToken
from ..web.ratelimits import client_address

COOKIE = "ecitiz_staff"
SECURE_COOKIE = "__Host-ecitiz_staff"
CSRF_FIELD = "csrf_token"
_ENVIRON_KEY = "ecitiz.staff_cookie"

F = TypeVar("F", bound=Callable[..., Any])


class Throttled(EcitizError, TooManyRequests):
    """Too many failed sign-ins for this account, or the attempts cannot be
    counted now (``unavailable``); try again later."""

    def __init__(self, retry_after: int, unavailable: bool = False) -> None:
        super().__init__()
        #: Seconds until an attempt would be counted again.
        self.retry_after = retry_after
        #: The counters could not be reached: nobody may sign in until they can.
        self.unavailable = unavailable


@dataclass(frozen=True)
class SignInLimits:
    """How many failed sign-ins are accepted: per account from one address, and
    per account from everywhere (the notation of ``limits``; None: no limit)."""

    per_address: str | None
    per_account: str | None

    def keys(self, account: str, address: str) -> tuple[Key, Key]:
        # Only the count stops password guessing: while the counters cannot be
        # reached, signing in is refused rather than left unlimited.
        return (
            Key(
                "login-account-address",
                f"{account} {address}",
                self.per_address,
                fail_closed=True,
            ),
            Key("login-account", account, self.per_account, fail_closed=True),
        )

    def first(self) -> RateLimitItem | None:
        """The first limit per address (what the sign-in page tells), or None."""
        found = parsed(self.per_address)
        return found[0] if found else None


# -- signing in (plain values, no request) ----------------------------------------


@functools.cache
def _decoy_hash() -> str:
    # Checked against when the e-mail is unknown, so that an unknown account
    # costs the same scrypt work as a known one and cannot be told apart.
    return hash_password(secrets.token_urlsafe(24))


def authenticate(
    store: Store,
    email: str,
    password: str,
    address: str,
    *,
    throttle: Throttle,
    limits: SignInLimits,
) -> dict[str, Any] | None:
    """The staff account these credentials open, or None; raises :class:`Throttled`.

    Unknown accounts are throttled and answered exactly like known ones.
    """
    account = email.strip().lower()
    per_address, per_account = limits.keys(account, address)
    # The attempt is counted as a failure from its address before the password
    # is checked, so that attempts made in parallel are all counted.
    verdict = throttle.check(per_address, per_account)
    if verdict:
        verdict = throttle.hit(per_address)
    if not verdict:
        raise Throttled(verdict.retry_after, verdict.unavailable)
    staff = store.staff_by_email(account)
    ok = verify_password(staff["password_hash"] if staff else _decoy_hash(), password)
    if staff is not None and ok and staff["active"]:
        # Their own mistakes from here are forgotten; the account's ceiling
        # is not, so a success does not reset it for a guesser elsewhere.
        throttle.clear(per_address)
        return staff
    throttle.hit(per_account)  # only failures count against the ceiling
    return None


def check_credentials(email: str, password: str) -> dict[str, Any] | None:
    """:func:`authenticate` for the current request: from its client address,
    against the kit's throttle and the sign-in limits of the settings."""
    return authenticate(
        state().store,
        email,
        password,
        client_address(),
        throttle=sign_in_throttle(),
        limits=sign_in_limits(),
    )


def sign_in_limits() -> SignInLimits:
    """The limits on failed sign-ins, from the settings."""
    config = current_app.config
    return SignInLimits(
        config["ECITIZ_LOGIN_LIMIT"], config["ECITIZ_LOGIN_LIMIT_PER_ACCOUNT"]
    )


def sign_in_throttle() -> Throttle:
    return state().throttle(current_app.config)


def key_hash(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()


# -- the cookie ----------------------------------------------------------------


def served_over_https() -> bool:
    """Whether staff reach the kit over HTTPS (then the cookie is ``Secure``)."""
    public_url = current_app.config["ECITIZ_PUBLIC_URL"]
    if public_url and str(public_url).startswith("https://"):
        return True
    return request.scheme == "https"


def cookie_name() -> str:
    return SECURE_COOKIE if served_over_https() else COOKIE


def _lifetime() -> int:
    return current_app.config["ECITIZ_STAFF_SESSION_LIFETIME"]


def _tokens() -> Any:
    return state().tokens(current_app.config)


@dataclass
class _Cookie:
    """What this request's staff cookie says, and whether to send a new one."""

    staff: dict[str, Any] | None = None
    session_key: str = ""
    seed: str = ""
    changed: bool = False


def _cookie() -> _Cookie:
    # Kept with the request (not only in ``g``, which outlives the request when
    # an application context was already pushed, as in tests and CLI calls).
    cookie = request.environ.get(_ENVIRON_KEY)
    if cookie is None:
        cookie = request.environ[_ENVIRON_KEY] = _read_cookie()
    g.ecitiz_staff = cookie.staff
    return cookie


def _read_cookie() -> _Cookie:
    raw = request.cookies.get(cookie_name())
    if not raw:
        return _Cookie()
    try:
        session_key, seed = _tokens().read_staff_cookie(raw, _lifetime())
    except InvalidToken:
        return _Cookie()
    if not session_key:
        return _Cookie(seed=seed)
    found = state().store.session_staff(key_hash(session_key))
    if found is None:  # signed out, or the password changed: keep only the seed
        return _Cookie(seed=seed, changed=True)
    found.pop("password_hash")
    return _Cookie(staff=found, session_key=session_key, seed=seed)


def load_session() -> None:
    """Read the staff cookie; set ``g.ecitiz_staff`` (None when not signed in)."""
    _cookie()


def sign_in(staff: dict[str, Any]) -> None:
    """Start a new session for ``staff`` on this device (new key, new seed)."""
    cookie = _cookie()
    if cookie.session_key:  # the session this device had ends: no fixation
        state().store.end_session(key_hash(cookie.session_key))
    session_key = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(seconds=_lifetime())
    state().store.start_session(key_hash(session_key), staff["id"], expires)
    cookie.session_key, cookie.seed = session_key, secrets.token_urlsafe(16)
    cookie.changed = True


def sign_out() -> None:
    """End this device's session on the server and forget it in the browser."""
    cookie = _cookie()
    if cookie.session_key:
        state().store.end_session(key_hash(cookie.session_key))
    cookie.staff = g.ecitiz_staff = None
    cookie.session_key, cookie.seed = "", secrets.token_urlsafe(16)
    cookie.changed = True


def save_cookie(response: Response) -> Response:
    """Send the staff cookie when it changed (after_request of the staff pages)."""
    cookie = request.environ.get(_ENVIRON_KEY)
    if cookie is None or not cookie.changed:
        return response
    secure = served_over_https()
    response.set_cookie(
        cookie_name(),
        _tokens().staff_cookie(cookie.session_key, cookie.seed),
        path="/" if secure else _cookie_path(),
        secure=secure,
        httponly=True,
        samesite="Lax",
    )
    return response


def _cookie_path() -> str:
    return _path("ecitiz_staff.request_list").rstrip("/") or "/"


def _path(endpoint: str) -> str:
    """The path of a staff page, without the ``?lang=`` pages may carry."""
    return url_for(endpoint, lang=None).split("?")[0]


# -- CSRF ----------------------------------------------------------------------


def csrf_token() -> str:
    """A CSRF token for this browser's staff cookie (a seed is made if needed)."""
    cookie = _cookie()
    if not cookie.seed:
        cookie.seed, cookie.changed = secrets.token_urlsafe(16), True
    return _tokens().staff_csrf(cookie.seed)


def csrf_ok(token: str | None) -> bool:
    """Whether ``token`` was made for this browser's cookie, and not too long ago."""
    seed = _cookie().seed
    if not token or not seed:
        return False
    try:
        made_for = _tokens().read_staff_csrf(token, _lifetime())
    except InvalidToken:
        return False
    return hmac.compare_digest(made_for, seed)


def check_csrf() -> None:
    """Refuse any staff POST without a valid CSRF token (before_request)."""
    if request.method != "POST":
        return
    if not csrf_ok(request.form.get(CSRF_FIELD)):
        raise refusal(
            CSRFError,
            gettext(
                "This form had expired or did not come from this dashboard, so "
                "nothing was changed. Go back, reload the page and try again."
            ),
        )


def refusal(kind: type[HTTPException], message: str) -> HTTPException:
    """An HTTP error whose page tells staff ``message`` (already translated)."""
    error = kind(message)
    error.ecitiz_message = message  # type: ignore[attr-defined]
    return error


class _StaffCSRF(CSRF):
    """Flask-WTF's CSRF field, bound to the staff cookie instead of the session."""

    def generate_csrf_token(self, csrf_token_field: Any) -> str:
        return csrf_token()

    def validate_csrf_token(self, form: Any, field: Any) -> None:
        if not csrf_ok(field.data):
            raise ValidationError(gettext("The form has expired; send it again."))


class StaffForm(FlaskForm):
    """Base of every staff form: CSRF-protected through the staff cookie."""

    class Meta:
        csrf_class = _StaffCSRF
        csrf_field_name = CSRF_FIELD

    def problems(self) -> dict[str, str]:
        """Per field, what to tell a person whose answer was refused (in their
        language; WTForms' own messages are English only)."""
        return {}

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        problems = self.problems()
        for field in self:
            if field.errors and field.name in problems:
                field.errors = [problems[field.name]]
            # No staff text may carry a control character (PostgreSQL could
            # not even keep a NUL): refused with a message, nothing written.
            if isinstance(field.data, str) and has_controls(field.data):
                field.errors = [*field.errors, controls_message()]
                ok = False
        return ok


# -- views ---------------------------------------------------------------------


def staff_required(view: F) -> F:
    """Let signed-in staff through (``g.ecitiz_staff``); others go to sign in."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _cookie().staff is None:
            wanted = request.full_path if request.method == "GET" else None
            return redirect(url_for("ecitiz_staff.login", next=wanted), 303)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def is_admin(staff: dict[str, Any]) -> bool:
    """Whether a staff member is an admin of their organisation: admins manage
    the team, the forms, the allowed origins and the organisation's settings."""
    return staff["role"] == "admin"


def admin_required(view: F) -> F:
    """Let an admin of the organisation through; an agent gets 403, and anyone
    not signed in goes to sign in."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not is_admin(g.ecitiz_staff):
            raise refusal(
                Forbidden,
                gettext("Only your organisation's administrators may do this."),
            )
        return view(*args, **kwargs)

    return staff_required(wrapper)  # type: ignore[return-value]


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a dashboard page, never another site."""
    home = url_for("ecitiz_staff.request_list")
    prefix = _path("ecitiz_staff.request_list").rstrip("/")
    if (
        target
        and target.isprintable()  # no line break to split the Location header
        and target.startswith(prefix + "/")
        and not target.startswith("//")
        and "\\" not in target
        and not target.startswith(_path("ecitiz_staff.login"))
    ):
        return target
    return home
