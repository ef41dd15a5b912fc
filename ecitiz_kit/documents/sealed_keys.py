"""Private signing keys sealed in the database, for PostgreSQL deployments.

With PostgreSQL every host must sign with the same keys, so a key cannot live in
one host's data folder. Each key is kept as PKCS#8 DER sealed with Fernet under
a key derived (HKDF, its own ``info``) from ``SECRET_KEY``: a copy of the
database alone opens nothing. After ``SECRET_KEY`` changes, keys sealed under the
previous one open while it is in ``SECRET_KEY_FALLBACKS``.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..sealing import Sealer, UnreadableSecret
from ..store import Store
from . import signing
from .signing import KeyFileError


class SealedKeys:
    """The interface of :class:`signing.KeyFiles`, kept in the database.

    ``sealer`` is asked for at each use, so a changed ``SECRET_KEY`` applies at
    once. ``legacy`` is the folder of key files written before keys were
    sealed: a key found only there is sealed into the database on first use.
    """

    def __init__(
        self,
        store: Store,
        sealer: Callable[[], Sealer],
        legacy: signing.KeyFiles | None = None,
    ) -> None:
        self.store = store
        self.sealer = sealer
        self.legacy = legacy

    def exists(self, kid: str) -> bool:
        """Whether a key ``kid`` is kept (sealed, or in a legacy file)."""
        if self.store.sealed_signing_key(kid) is not None:
            return True
        return self.legacy is not None and self.legacy.exists(kid)

    def save(self, kid: str, key: Ed25519PrivateKey) -> None:
        """Seal and keep ``key`` as ``kid``; refuses to replace an existing key."""
        if not signing.is_kid(kid):
            raise ValueError(f"not a key id: {kid!r}")
        sealed = self.sealer().seal_bytes(signing.private_key_der(key))
        if not self.store.add_sealed_signing_key(kid, sealed):
            raise KeyFileError(f"signing key {kid} already exists in the database")

    def load(self, kid: str) -> Ed25519PrivateKey:
        """Open the key ``kid``; the error says what to do when it cannot."""
        sealed = self.store.sealed_signing_key(kid)
        if sealed is None:
            if self.legacy is not None and self.legacy.exists(kid):
                key = self.legacy.load(kid)
                self.store.add_sealed_signing_key(
                    kid, self.sealer().seal_bytes(signing.private_key_der(key))
                )
                return key
            raise KeyFileError(f"signing key {kid} is not in the database")
        try:
            data = self.sealer().open_bytes(sealed)
        except UnreadableSecret:
            raise KeyFileError(
                f"signing key {kid} was sealed under a SECRET_KEY this application "
                "no longer has: add that key to SECRET_KEY_FALLBACKS"
            ) from None
        key = signing.private_key_from_der(data)
        if key is None:
            raise KeyFileError(f"signing key {kid} is not an Ed25519 key")
        return key

    def discard(self, kid: str) -> None:
        """Forget a key that never became a signing key (another host's won)."""
        self.store.discard_sealed_signing_key(kid)
