"""Every token the kit hands out: one serializer and one salt per purpose for the
signed ones, and the random tokens of the read-only API.

This is the only module that imports itsdangerous. Payloads carry ids, versions and
nonces only: a token is signed, not encrypted, and anyone can read its payload.
Every read passes a ``max_age``. Keys come from Flask's ``SECRET_KEY`` (which signs)
and ``SECRET_KEY_FALLBACKS`` (still accepted), so keys can be rotated.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .errors import EcitizError

FORM_TICKET_SALT = "ecitiz.form-ticket.v1"
RECEIPT_SALT = "ecitiz.receipt.v1"
STATUS_LINK_SALT = "ecitiz.status-link.v1"
MY_REQUESTS_TICKET_SALT = "ecitiz.my-requests-ticket.v1"
MY_REQUESTS_LINK_SALT = "ecitiz.my-requests-link.v1"
STAFF_COOKIE_SALT = "ecitiz.staff-cookie.v1"
STAFF_CSRF_SALT = "ecitiz.staff-csrf.v1"
INVITATION_SALT = "ecitiz.staff-invitation.v1"
DRAFT_LINK_SALT = "ecitiz.draft-link.v1"
FORM_STEPS_SALT = "ecitiz.form-steps.v1"

#: What any token of this module looks like (so logs can leave them out): payload
#: (``.``-prefixed when compressed), timestamp and signature, base64url each.
TOKEN_SHAPE = re.compile(
    r"(?<![\w.-])\.?[\w-]+\.[\w-]{5,8}\.[\w-]{27,}(?![\w-])", flags=re.ASCII
)

#: Secret keys that must never reach production: empty, or copied from an example.
WEAK_SECRET_KEYS = frozenset(
    {
        "",
        "dev",
        "development",
        "changeme",
        "change-me",
        "secret",
        "secret-key",
        "secret_key",
        "your-secret-key",
        "test",
        "…",
        "...",
    }
)
MIN_SECRET_KEY_LENGTH = 16


def weak_secret_key(key: object) -> bool:
    """Whether ``key`` could be guessed: missing, too short or a known example."""
    if not key:
        return True
    text = key.decode(errors="replace") if isinstance(key, bytes) else str(key)
    return text.strip().lower() in WEAK_SECRET_KEYS or len(text) < MIN_SECRET_KEY_LENGTH


#: What starts every API token, so that secret scanners and people can tell one.
API_TOKEN_PREFIX = "ecz_"  # noqa: S105 - a prefix, not a secret
#: An API token as the kit makes it: the prefix and 43 base64url characters.
API_TOKEN_SHAPE = re.compile(r"ecz_[A-Za-z0-9_-]{43}")


def new_api_token() -> str:
    """A new token for the read-only API: 256 random bits, shown once.

    API tokens are random, not signed: each must be revocable and remember when
    it was last used, so every use reads its row anyway, and a signature would
    add nothing but a dependency on ``SECRET_KEY`` (rotating the key would cut
    off every integration). They live here with the signed ones so that every
    token the kit hands out is made in one module.
    """
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def api_token_hash(token: str) -> str:
    """What the store keeps of an API token: its SHA-256, in hex.

    A fast hash is enough here, unlike for passwords: with 256 random bits no
    one can try enough tokens for a slow hash to matter, and each API request
    pays for the hash.
    """
    return hashlib.sha256(token.encode()).hexdigest()


#: What starts every webhook secret, as the Standard Webhooks specification says.
WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


def new_webhook_secret() -> str:
    """A new secret to sign one endpoint's webhooks: 192 random bits, base64,
    behind ``whsec_`` (the form ``standardwebhooks`` reads), shown once."""
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


class InvalidToken(EcitizError):
    """A token is tampered with, malformed, signed with an unknown key or expired."""


@dataclass(frozen=True)
class Ticket:
    """What a form ticket vouches for."""

    organisation_id: int
    form_id: str
    nonce: str
    expired: bool = False
    #: When the form was shown (whole seconds, UTC): a procedure that closed
    #: since still takes the request (see domain.opening).
    issued_at: datetime | None = None


@dataclass(frozen=True)
class Steps:
    """Where an applicant stands in a form shown page by page: the ticket it
    goes with, the page shown, the digest of the answers carried from the other
    pages, and whether "Next" leads back to the page of answers to check."""

    organisation_id: int
    form_id: str
    nonce: str
    page: str
    carried: str
    to_check: bool


@dataclass(frozen=True)
class SubmissionRef:
    """The submission a receipt or tracking token names, and the status-link
    version it was issued for.

    Tokens carry the submission's random ``public_id``. Those issued before it
    existed carry the row id instead (``submission_id``) and are honoured until
    they expire like any other; exactly one of the two is set.
    """

    public_id: str | None
    submission_id: int | None
    link_version: int


class Tokens:
    """Sign and read the kit's tokens with one list of keys (newest last)."""

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        if not keys or not keys[-1]:
            raise ValueError("a secret key is needed to sign tokens")
        self._tickets = URLSafeTimedSerializer(list(keys), salt=FORM_TICKET_SALT)
        self._receipts = URLSafeTimedSerializer(list(keys), salt=RECEIPT_SALT)
        self._status = URLSafeTimedSerializer(list(keys), salt=STATUS_LINK_SALT)
        self._staff_cookie = URLSafeTimedSerializer(list(keys), salt=STAFF_COOKIE_SALT)
        self._staff_csrf = URLSafeTimedSerializer(list(keys), salt=STAFF_CSRF_SALT)
        self._my_requests_ticket = URLSafeTimedSerializer(
            list(keys), salt=MY_REQUESTS_TICKET_SALT
        )
        self._my_requests = URLSafeTimedSerializer(
            list(keys), salt=MY_REQUESTS_LINK_SALT
        )
        self._invitations = URLSafeTimedSerializer(list(keys), salt=INVITATION_SALT)
        self._drafts = URLSafeTimedSerializer(list(keys), salt=DRAFT_LINK_SALT)
        self._steps = URLSafeTimedSerializer(list(keys), salt=FORM_STEPS_SALT)

    def form_ticket(self, organisation_id: int, form_id: str) -> str:
        """A single-use ticket for one blank form of one organisation."""
        nonce = secrets.token_urlsafe(16)
        return self._tickets.dumps([organisation_id, form_id, nonce])

    def read_form_ticket(self, token: str, max_age: int) -> Ticket:
        """Read a form ticket; an expired but genuine one comes back marked expired.

        The caller still refuses an expired ticket, but can tell the applicant why
        and keep what they typed.
        """
        try:
            payload, issued_at = self._tickets.loads(
                token, max_age=max_age, return_timestamp=True
            )
            expired = False
        except SignatureExpired as exc:
            # The exception carries the payload still encoded.
            try:
                payload = self._tickets.load_payload(exc.payload)
            except BadSignature as bad:
                raise InvalidToken("bad form ticket") from bad
            issued_at, expired = exc.date_signed, True
        except BadSignature as exc:
            raise InvalidToken("bad form ticket") from exc
        organisation_id, form_id, nonce = _shape(payload, (int, str, str))
        return Ticket(organisation_id, form_id, nonce, expired, issued_at)

    def receipt(self, public_id: str, link_version: int) -> str:
        """The hard-to-guess part of a receipt page URL."""
        return self._receipts.dumps([public_id, link_version])

    def read_receipt(self, token: str, max_age: int) -> SubmissionRef:
        return _read_ref(self._receipts, token, max_age)

    def status_link(self, public_id: str, link_version: int) -> str:
        """The private tracking token an applicant keeps."""
        return self._status.dumps([public_id, link_version])

    def read_status_link(self, token: str, max_age: int) -> SubmissionRef:
        return _read_ref(self._status, token, max_age)

    def my_requests_ticket(self, organisation_id: int) -> str:
        """The ticket of a blank "my requests" form of one organisation."""
        return self._my_requests_ticket.dumps([organisation_id])

    def read_my_requests_ticket(self, token: str, max_age: int) -> int:
        """The organisation a "my requests" ticket was issued for."""
        payload = _load(
            self._my_requests_ticket, token, max_age, (int,), "my-requests ticket"
        )
        return payload[0]

    def my_requests_link(self, organisation_id: int, link_key: str) -> str:
        """The token of an e-mailed link to an applicant's requests: the
        organisation and the random key of the stored link (no address)."""
        return self._my_requests.dumps([organisation_id, link_key])

    def read_my_requests_link(self, token: str, max_age: int) -> tuple[int, str]:
        """The organisation and link key a "my requests" token names."""
        organisation_id, link_key = _load(
            self._my_requests, token, max_age, (int, str), "my-requests link"
        )
        return organisation_id, link_key

    def invitation(self, organisation_id: int, key: str) -> str:
        """The token of an e-mailed invitation to join a team: the organisation
        and the random key of the stored invitation (no address, no role)."""
        return self._invitations.dumps([organisation_id, key])

    def read_invitation(self, token: str, max_age: int) -> tuple[int, str]:
        """The organisation and invitation key an invitation token names."""
        organisation_id, key = _load(
            self._invitations, token, max_age, (int, str), "invitation"
        )
        return organisation_id, key

    def draft_link(self, organisation_id: int, draft_key: str) -> str:
        """The token of the link to a saved draft: the organisation and the
        draft's random key (no answer, no address)."""
        return self._drafts.dumps([organisation_id, draft_key])

    def read_draft_link(self, token: str, max_age: int) -> tuple[int, str]:
        """The organisation and draft key a draft link names."""
        organisation_id, draft_key = _load(
            self._drafts, token, max_age, (int, str), "draft link"
        )
        return organisation_id, draft_key

    def form_steps(self, steps: Steps) -> str:
        """The token a page of a form in steps carries: ids, the page and a
        digest of the carried answers (never the answers themselves)."""
        return self._steps.dumps(
            [steps.organisation_id, steps.form_id, steps.nonce, steps.page,
             steps.carried, int(steps.to_check)]
        )  # fmt: skip

    def read_form_steps(self, token: str, max_age: int) -> Steps:
        """Where a posted page of a form in steps stands."""
        organisation_id, form_id, nonce, page, carried, to_check = _load(
            self._steps, token, max_age, (int, str, str, str, str, int), "form steps"
        )
        return Steps(organisation_id, form_id, nonce, page, carried, bool(to_check))

    def staff_cookie(self, session_key: str, csrf_seed: str) -> str:
        """The staff cookie: a session key (empty before sign-in) and the random
        seed the page's CSRF tokens are bound to."""
        return self._staff_cookie.dumps([session_key, csrf_seed])

    def read_staff_cookie(self, token: str, max_age: int) -> tuple[str, str]:
        session_key, csrf_seed = _load(
            self._staff_cookie, token, max_age, (str, str), "staff cookie"
        )
        return session_key, csrf_seed

    def staff_csrf(self, csrf_seed: str) -> str:
        """A CSRF token for a staff form, bound to the seed in that browser's cookie."""
        return self._staff_csrf.dumps(csrf_seed)

    def read_staff_csrf(self, token: str, max_age: int) -> str:
        """The seed a staff CSRF token was made for."""
        try:
            payload = self._staff_csrf.loads(token, max_age=max_age)
        except BadSignature as exc:
            raise InvalidToken("bad or expired CSRF token") from exc
        if not isinstance(payload, str):
            raise InvalidToken("unexpected token payload")
        return payload


def _read_ref(
    serializer: URLSafeTimedSerializer, token: str, max_age: int
) -> SubmissionRef:
    try:
        payload = serializer.loads(token, max_age=max_age)
    except BadSignature as exc:  # SignatureExpired is a BadSignature too
        raise InvalidToken("bad or expired token") from exc
    if isinstance(payload, list) and payload and isinstance(payload[0], str):
        public_id, link_version = _shape(payload, (str, int))
        return SubmissionRef(public_id, None, link_version)
    # Issued before tokens carried the public id: [row id, link version].
    submission_id, link_version = _shape(payload, (int, int))
    return SubmissionRef(None, submission_id, link_version)


def _load(
    serializer: URLSafeTimedSerializer,
    token: str,
    max_age: int,
    types: tuple[type, ...],
    what: str,
) -> list:
    """The payload of a signed ``what`` token, checked against ``types``;
    :class:`InvalidToken` if it is forged, expired or of another shape."""
    try:
        payload = serializer.loads(token, max_age=max_age)
    except BadSignature as exc:  # SignatureExpired is a BadSignature too
        raise InvalidToken(f"bad or expired {what}") from exc
    return _shape(payload, types)


def _shape(payload: object, types: tuple[type, ...]) -> list:
    """Check a signed payload has the expected shape (defends against old formats)."""
    if (
        not isinstance(payload, list)
        or len(payload) != len(types)
        or not all(
            isinstance(v, t) and not isinstance(v, bool)
            for v, t in zip(payload, types, strict=True)
        )
    ):
        raise InvalidToken("unexpected token payload")
    return payload
