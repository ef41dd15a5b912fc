"""Seal and open the secrets the kit must keep usable (webhook signing secrets).

A webhook secret signs every delivery, so it cannot be kept as a hash the way an
API token is. It is sealed instead: encrypted and authenticated with Fernet
(AES-128-CBC and HMAC-SHA256, from ``cryptography``) under a key derived with
HKDF from Flask's ``SECRET_KEY``. A copy of the database alone opens nothing.
Secrets sealed under a key now in ``SECRET_KEY_FALLBACKS`` still open; a secret
sealed under a key dropped from both cannot, and its endpoint must be made again.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import EcitizError

#: Ties the derived key to this one use of SECRET_KEY.
INFO = b"ecitiz.webhook-secret.v1"


class UnreadableSecret(EcitizError):
    """A sealed secret was sealed under a key the application no longer has."""


def _fernet(key: str | bytes) -> Fernet:
    material = key.encode() if isinstance(key, str) else key
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO)
    return Fernet(base64.urlsafe_b64encode(derived.derive(material)))


class Sealer:
    """Seal with the newest of ``keys`` (as Flask orders them: fallbacks first,
    ``SECRET_KEY`` last); open with any of them."""

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        if not keys or not keys[-1]:
            raise ValueError("a secret key is needed to seal secrets")
        self._box = MultiFernet([_fernet(key) for key in reversed(keys) if key])

    def seal(self, secret: str) -> str:
        return self._box.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._box.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise UnreadableSecret() from None
