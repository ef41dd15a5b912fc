"""The identifiers duplicate and fraud signals compare, in a comparable form.

A SIRET is compared as its 14 digits. An IBAN is never stored a second time: it
is compared through a keyed hash (HMAC-SHA256 with a key derived from the
application's ``SECRET_KEY``), so two requests with the same IBAN are found
without the IBAN being shown, and a copy of the database alone cannot test
guessed IBANs against it.
"""

from __future__ import annotations

import hashlib
import hmac
import re

#: What the key for IBAN fingerprints is derived for: no other use of
#: ``SECRET_KEY`` yields the same bytes.
_PURPOSE = b"ecitiz-kit: IBAN fingerprints"
_NOT_CODE = re.compile(r"[^0-9A-Za-z]")
_NOT_DIGIT = re.compile(r"[^0-9]")


def siret_key(value: object) -> str | None:
    """The SIRET as compared: its digits (``None`` when there are none)."""
    digits = _NOT_DIGIT.sub("", str(value or ""))
    return digits or None


class Fingerprints:
    """Keyed fingerprints of IBANs, for one ``SECRET_KEY``."""

    def __init__(self, secret_key: str | bytes) -> None:
        secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
        self._key = hmac.new(secret, _PURPOSE, hashlib.sha256).digest()

    def iban(self, value: object) -> str | None:
        """The IBAN's fingerprint, spaces and case aside (``None`` when empty)."""
        code = _NOT_CODE.sub("", str(value or "")).upper()
        if not code:
            return None
        # 128 bits: no two IBANs of one organisation share a fingerprint.
        return hmac.new(self._key, code.encode(), hashlib.sha256).hexdigest()[:32]
