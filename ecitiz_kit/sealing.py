"""Seal and open the secrets the kit must keep usable (webhook signing secrets,
and organisations' private signing keys when the database is PostgreSQL).

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
#: A key of its own for private signing keys, so neither use can open the other's.
SIGNING_KEY_INFO = b"ecitiz.signing-key.v1"


class UnreadableSecret(EcitizError):
    """A sealed secret was sealed under a key the application no longer has."""


def _fernet(key: str | bytes, info: bytes) -> Fernet:
    material = key.encode() if isinstance(key, str) else key
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info)
    return Fernet(base64.urlsafe_b64encode(derived.derive(material)))


class Sealer:
    """Seal with the newest of ``keys`` (as Flask orders them: fallbacks first,
    ``SECRET_KEY`` last); open with any of them. ``info`` names the use."""

    def __init__(self, keys: Sequence[str | bytes], info: bytes = INFO) -> None:
        if not keys or not keys[-1]:
            raise ValueError("a secret key is needed to seal secrets")
        self._box = MultiFernet([_fernet(key, info) for key in reversed(keys) if key])

    def seal(self, secret: str) -> str:
        return self.seal_bytes(secret.encode())

    def open(self, sealed: str) -> str:
        return self.open_bytes(sealed).decode()

    def seal_bytes(self, secret: bytes) -> str:
        return self._box.encrypt(secret).decode()

    def open_bytes(self, sealed: str) -> bytes:
        try:
            return self._box.decrypt(sealed.encode())
        except InvalidToken:
            raise UnreadableSecret() from None
