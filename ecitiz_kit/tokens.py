"""Every signed token the kit hands out: one serializer and one salt per purpose.

This is the only module that imports itsdangerous. Payloads carry ids, versions and
nonces only: a token is signed, not encrypted, and anyone can read its payload.
Every read passes a ``max_age``. Keys come from Flask's ``SECRET_KEY`` (which signs)
and ``SECRET_KEY_FALLBACKS`` (still accepted), so keys can be rotated.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

FORM_TICKET_SALT = "ecitiz.form-ticket.v1"
RECEIPT_SALT = "ecitiz.receipt.v1"
STATUS_LINK_SALT = "ecitiz.status-link.v1"
LOST_LINK_TICKET_SALT = "ecitiz.lost-link-ticket.v1"


class InvalidToken(Exception):
    """A token is tampered with, malformed, signed with an unknown key or expired."""


@dataclass(frozen=True)
class Ticket:
    """What a form ticket vouches for."""

    organisation_id: int
    form_id: str
    nonce: str
    expired: bool = False


@dataclass(frozen=True)
class SubmissionRef:
    """A submission id and the status-link version the token was issued for."""

    submission_id: int
    link_version: int


class Tokens:
    """Sign and read the kit's tokens with one list of keys (newest last)."""

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        if not keys or not keys[-1]:
            raise ValueError("a secret key is needed to sign tokens")
        self._keys = list(keys)
        self._tickets = URLSafeTimedSerializer(list(keys), salt=FORM_TICKET_SALT)
        self._receipts = URLSafeTimedSerializer(list(keys), salt=RECEIPT_SALT)
        self._status = URLSafeTimedSerializer(list(keys), salt=STATUS_LINK_SALT)

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
            payload = self._tickets.loads(token, max_age=max_age)
            expired = False
        except SignatureExpired as exc:
            payload, expired = exc.payload, True
        except BadSignature as exc:
            raise InvalidToken("bad form ticket") from exc
        return Ticket(*_shape(payload, (int, str, str)), expired=expired)

    def receipt(self, submission_id: int, link_version: int) -> str:
        """The hard-to-guess part of a receipt page URL."""
        return self._receipts.dumps([submission_id, link_version])

    def read_receipt(self, token: str, max_age: int) -> SubmissionRef:
        return _read_ref(self._receipts, token, max_age)

    def status_link(self, submission_id: int, link_version: int) -> str:
        """The private tracking token an applicant keeps."""
        return self._status.dumps([submission_id, link_version])

    def read_status_link(self, token: str, max_age: int) -> SubmissionRef:
        return _read_ref(self._status, token, max_age)

    def lost_link_ticket(self, organisation_id: int) -> str:
        """The ticket of a blank "lost link" form of one organisation."""
        serializer = URLSafeTimedSerializer(self._keys, salt=LOST_LINK_TICKET_SALT)
        return serializer.dumps([organisation_id])

    def read_lost_link_ticket(self, token: str, max_age: int) -> int:
        """The organisation a "lost link" ticket was issued for."""
        serializer = URLSafeTimedSerializer(self._keys, salt=LOST_LINK_TICKET_SALT)
        try:
            payload = serializer.loads(token, max_age=max_age)
        except BadSignature as exc:
            raise InvalidToken("bad or expired lost-link ticket") from exc
        return _shape(payload, (int,))[0]


def _read_ref(
    serializer: URLSafeTimedSerializer, token: str, max_age: int
) -> SubmissionRef:
    try:
        payload = serializer.loads(token, max_age=max_age)
    except BadSignature as exc:  # SignatureExpired is a BadSignature too
        raise InvalidToken("bad or expired token") from exc
    return SubmissionRef(*_shape(payload, (int, int)))


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
