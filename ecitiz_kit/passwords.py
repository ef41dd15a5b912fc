"""Staff password hashing: scrypt at N = 2**16, above Werkzeug's default."""

from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash

from .errors import EcitizError

METHOD = "scrypt:65536:8:1"
MIN_LENGTH = 12
MAX_LENGTH = 1024


class WeakPassword(EcitizError, ValueError):
    """A password the kit refuses; the message says what to change."""


def hash_password(password: str) -> str:
    """Hash a staff password after checking its length (no composition rules)."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"the password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"the password must have at most {MAX_LENGTH} characters")
    return generate_password_hash(password, METHOD)


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)
