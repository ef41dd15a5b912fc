"""Ed25519 signing keys, signed document payloads and their verdicts.

This is the only module that imports ``cryptography``. It is pure: no Flask, no SQL,
no HTTP. A payload (format version 1, see the documents contract) is::

    1.<kid>.<serial>.<type>.<name64>.<valid_from>.<valid_to>.<signature>

where the signature is Ed25519 over the ASCII text before the last dot. Anyone holding
the published public keys can check a payload offline with :func:`check`.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ..errors import EcitizError

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
PAYLOAD_VERSION = "1"
DOCUMENT_TYPES = ("ATT",)
VERDICTS = ("valid", "forged", "expired", "revoked", "unknown-key", "not-yet-valid")

KID_LENGTH = 4
SERIAL_LENGTH = 10
# 32 bytes keep the longest QR URL within version 10 at level M behind a
# base URL of about 35 characters (https://forms.example.org/ecitiz).
MAX_NAME_BYTES = 32
SIGNATURE_CHARS = 86  # 64 bytes in base64url without padding
# The longest genuine payload is 181 characters; anything far longer is refused before
# any work is done on it.
MAX_PAYLOAD_CHARS = 512

_B64URL = re.compile(r"[A-Za-z0-9_-]*", re.ASCII)
_YYYYMMDD = re.compile(r"[0-9]{8}", re.ASCII)
# Hand-typed serials arrive with spaces, dashes, or the dashes phones substitute.
_SERIAL_SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u2012\u2013\u2014\u2212]+")
# Characters that belong to the character before them: a cut must not separate them.
_JOINERS = frozenset("\u200d\u200c") | frozenset(chr(c) for c in range(0xFE00, 0xFE10))
# Zero-width joiners are format characters that scripts and emoji need; every other
# one (bidi overrides, zero-width spaces, soft hyphens) only changes how a name looks.
_KEPT_FORMAT = frozenset("\u200d\u200c")
_EMOJI_MODIFIERS = frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))


class KeyFileError(EcitizError):
    """A signing key (file or sealed row) is missing, unreadable or would be
    overwritten."""


@dataclass(frozen=True)
class Claims:
    """What a signed document states: who signed, which document, who, when."""

    kid: str
    serial: str
    type: str
    holder: str
    valid_from: date
    valid_to: date


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check; ``claims`` only when the signature verified."""

    verdict: str
    claims: Claims | None

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}")

    @property
    def ok(self) -> bool:
        """True only for a genuine document that is valid today."""
        return self.verdict == "valid"


def _random_code(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def new_kid() -> str:
    """A fresh random key id: 4 characters of :data:`ALPHABET`."""
    return _random_code(KID_LENGTH)


def new_serial() -> str:
    """A fresh random document serial: 10 characters of :data:`ALPHABET` (50 bits)."""
    return _random_code(SERIAL_LENGTH)


def _is_code(text: str, length: int) -> bool:
    return len(text) == length and all(c in ALPHABET for c in text)


def is_kid(text: object) -> bool:
    """Whether ``text`` has the shape of a key id."""
    return isinstance(text, str) and _is_code(text, KID_LENGTH)


def format_serial(serial: str) -> str:
    """The serial as printed on a document: ``7K3F9-Q2MXD``."""
    normal = normalise_serial(serial)
    if normal is None:
        raise ValueError(f"not a document serial: {serial!r}")
    return normal[:5] + "-" + normal[5:]


def normalise_serial(text: str) -> str | None:
    """A hand-typed serial as stored (``7K3F9Q2MXD``), or None if it is not one.

    Spaces, dashes and case are forgiven; characters outside :data:`ALPHABET` are not
    guessed at (0, O, 1 and I never occur in a serial).
    """
    if not isinstance(text, str) or len(text) > 100:
        return None
    compact = _SERIAL_SEPARATORS.sub("", text)
    # Upper-casing some non-ASCII letters yields ASCII ones ("ſ" -> "S"); refuse them.
    if not compact.isascii():
        return None
    compact = compact.upper()
    return compact if _is_code(compact, SERIAL_LENGTH) else None


# --- holder display name -------------------------------------------------------------


def _clean(text: str) -> str:
    """NFC text without control characters, whitespace runs collapsed to one space."""
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if char.isspace():
            kept.append(" ")
        elif category not in ("Cc", "Cs", "Cf") or char in _KEPT_FORMAT:
            kept.append(char)
    return unicodedata.normalize("NFC", " ".join("".join(kept).split()))


def _continues(char: str) -> bool:
    """Whether ``char`` attaches to the character before it."""
    return (
        unicodedata.combining(char) != 0
        or unicodedata.category(char) in ("Mn", "Mc", "Me")
        or char in _JOINERS
        or char in _EMOJI_MODIFIERS
    )


def _cut_utf8(text: str, limit: int) -> str:
    """The longest prefix of ``text`` within ``limit`` UTF-8 bytes, whole characters."""
    used = 0
    end = 0
    for char in text:
        size = len(char.encode("utf-8"))
        if used + size > limit:
            break
        used += size
        end += 1
    # Do not strand a base letter without its accents or an emoji without its joiner.
    while 0 < end < len(text) and _continues(text[end]):
        end -= 1
    while end > 0 and text[end - 1] in _JOINERS:
        end -= 1
    return text[:end].rstrip()


def _initial(first_name: str) -> str:
    """The first letter of a first name with its accents, upper-cased."""
    for index, char in enumerate(first_name):
        if unicodedata.category(char)[0] in "LNS":
            end = index + 1
            while end < len(first_name) and _continues(first_name[end]):
                end += 1
            letter = first_name[index:end]
            # A letter buried under dozens of marks keeps only its base character.
            if len(letter.encode("utf-8")) > 8:
                letter = first_name[index]
            return letter.upper()
    return ""


def display_name(first_name: str, last_name: str) -> str:
    """The holder's name as signed: ``NGUYỄN Z.`` (at most 32 UTF-8 bytes, never empty).

    The last name is cut rather than the initial, so a very long last name still
    leaves the initial that tells two holders apart.
    """
    # Upper-casing can leave text that is no longer in NFC ("ǰ" -> "J" + caron).
    last = unicodedata.normalize("NFC", _clean(last_name).upper())
    initial = unicodedata.normalize("NFC", _initial(_clean(first_name)))
    suffix = f"{initial}." if initial else ""
    if not last:
        name = suffix
    elif suffix:
        room = MAX_NAME_BYTES - len(suffix.encode("utf-8")) - 1
        last = _cut_utf8(last, room)
        name = f"{last} {suffix}" if last else suffix
    else:
        name = last
    name = _cut_utf8(name, MAX_NAME_BYTES)
    return name or "?"


def _holder_ok(holder: str) -> bool:
    """Whether a display name is one a genuine issuer signs."""
    try:
        size = len(holder.encode("utf-8"))
    except UnicodeEncodeError:
        return False
    return 0 < size <= MAX_NAME_BYTES and holder == _clean(holder)


# --- keys -----------------------------------------------------------------------------


def generate_private_key() -> Ed25519PrivateKey:
    """A new Ed25519 signing key."""
    return Ed25519PrivateKey.generate()


def public_key_bytes(key: Ed25519PrivateKey) -> bytes:
    """The 32 raw bytes of the public half of ``key`` (what the kit publishes)."""
    return key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def private_key_der(key: Ed25519PrivateKey) -> bytes:
    """The private key as unencrypted PKCS#8 DER (to be sealed before it is kept)."""
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def private_key_from_der(data: bytes) -> Ed25519PrivateKey | None:
    """The Ed25519 key in PKCS#8 DER ``data``; None if it holds anything else."""
    try:
        key = serialization.load_der_private_key(data, password=None)
    except (ValueError, TypeError):
        return None
    return key if isinstance(key, Ed25519PrivateKey) else None


def encode_b64url(data: bytes) -> str:
    """``data`` in base64url without padding (public keys, names, signatures)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_b64url(text: str) -> bytes | None:
    """The bytes of canonical unpadded base64url ``text``, or None.

    Non-canonical spellings (stray padding bits, ``+``, ``/``, ``=``) are refused so
    that one set of bytes has exactly one spelling.
    """
    if not isinstance(text, str) or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        return None
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return data if encode_b64url(data) == text else None


class KeyFiles:
    """Private signing keys stored one per file, ``<folder>/<kid>.key`` (PKCS#8 PEM).

    Files are created with mode 0600 and never overwritten: a kid names one key for
    ever, since documents signed with it are checked against its public half.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path(self, kid: str) -> Path:
        """Where the key ``kid`` lives; refuses anything that is not a kid."""
        if not is_kid(kid):
            raise ValueError(f"not a key id: {kid!r}")
        return self.folder / f"{kid}.key"

    def exists(self, kid: str) -> bool:
        """Whether a key file for ``kid`` exists."""
        return self.path(kid).is_file()

    def save(self, kid: str, key: Ed25519PrivateKey) -> Path:
        """Write ``key`` as ``kid``; refuses to replace an existing file."""
        path = self.path(kid)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # O_EXCL: never overwrite, never follow a planted symlink; 0600 from the
        # first instant, so no other user can open it between create and chmod.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags, 0o600)
        except FileExistsError:
            raise KeyFileError(f"signing key file {path} already exists") from None
        try:
            os.fchmod(fd, 0o600)  # the umask may have removed more than we asked
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        os.close(fd)
        _fsync_folder(self.folder)
        return path

    def discard(self, kid: str) -> None:
        """Remove a key that never signed anything (another host's key won)."""
        self.path(kid).unlink(missing_ok=True)

    def load(self, kid: str) -> Ed25519PrivateKey:
        """Read the key ``kid``; the error names the file when it is missing or bad."""
        path = self.path(kid)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise KeyFileError(f"signing key file {path} does not exist") from None
        except OSError as error:
            raise KeyFileError(
                f"cannot read signing key file {path}: {error}"
            ) from None
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError):
            key = None
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFileError(
                f"signing key file {path} does not hold an unencrypted Ed25519 key"
            )
        return key


def _fsync_folder(folder: Path) -> None:
    """Make the new file's directory entry durable too (best effort)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- payloads -------------------------------------------------------------------------


def _yyyymmdd(day: date) -> str:
    # strftime("%Y") does not pad years below 1000 on every platform.
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _parse_date(text: str) -> date | None:
    if not _YYYYMMDD.fullmatch(text):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _claims_problem(claims: Claims) -> str | None:
    if not isinstance(claims.kid, str) or not _is_code(claims.kid, KID_LENGTH):
        return f"kid must be {KID_LENGTH} characters of ALPHABET"
    if not isinstance(claims.serial, str) or not _is_code(claims.serial, SERIAL_LENGTH):
        return f"serial must be {SERIAL_LENGTH} characters of ALPHABET"
    if claims.type not in DOCUMENT_TYPES:
        return f"type must be one of {', '.join(DOCUMENT_TYPES)}"
    if not isinstance(claims.holder, str) or not _holder_ok(claims.holder):
        return "holder must come from display_name() (1 to 32 UTF-8 bytes)"
    if not isinstance(claims.valid_from, date) or not isinstance(claims.valid_to, date):
        return "valid_from and valid_to must be dates"
    if _day(claims.valid_to) < _day(claims.valid_from):
        return "valid_to is before valid_from"
    return None


def _day(value: date) -> date:
    # A datetime is a date, but cannot be compared with one.
    return value.date() if isinstance(value, datetime) else value


def sign(claims: Claims, key: Ed25519PrivateKey) -> str:
    """The full signed payload for ``claims`` (the part after ``#`` in the QR URL)."""
    problem = _claims_problem(claims)
    if problem:
        raise ValueError(f"cannot sign these claims: {problem}")
    unsigned = ".".join(
        (
            PAYLOAD_VERSION,
            claims.kid,
            claims.serial,
            claims.type,
            encode_b64url(claims.holder.encode("utf-8")),
            _yyyymmdd(_day(claims.valid_from)),
            _yyyymmdd(_day(claims.valid_to)),
        )
    )
    signature = key.sign(unsigned.encode("ascii"))
    return unsigned + "." + encode_b64url(signature)


def payload_from(text: str) -> str:
    """The payload in ``text``: a bare payload, or what follows ``#`` in a URL.

    Whitespace is dropped anywhere (a payload has none): a code copied from a PDF
    often comes wrapped over several lines.
    """
    _, hash_sign, fragment = text.partition("#")
    return "".join((fragment if hash_sign else text).split())


def _parse(payload: str) -> tuple[Claims, bytes, bytes] | None:
    """Claims, signed bytes and signature of a well-formed payload, else None."""
    if len(payload) > MAX_PAYLOAD_CHARS or not payload.isascii():
        return None
    parts = payload.split(".")
    if len(parts) != 8:
        return None
    version, kid, serial, doc_type, name64, start, end, sig64 = parts
    if version != PAYLOAD_VERSION or doc_type not in DOCUMENT_TYPES:
        return None
    if not _is_code(kid, KID_LENGTH) or not _is_code(serial, SERIAL_LENGTH):
        return None
    valid_from, valid_to = _parse_date(start), _parse_date(end)
    if valid_from is None or valid_to is None or valid_to < valid_from:
        return None
    name = decode_b64url(name64)
    if name is None:
        return None
    try:
        holder = name.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not _holder_ok(holder):
        return None
    if len(sig64) != SIGNATURE_CHARS:
        return None
    signature = decode_b64url(sig64)
    if signature is None or len(signature) != 64:
        return None
    claims = Claims(kid, serial, doc_type, holder, valid_from, valid_to)
    signed = payload[: -(SIGNATURE_CHARS + 1)].encode("ascii")
    return claims, signed, signature


def check(
    payload_or_url: str,
    public_keys: Mapping[str, bytes],
    today: date,
    is_revoked: Callable[[str], bool] | None = None,
) -> Verdict:
    """The verdict on a payload (or a whole verify URL) against published keys.

    ``public_keys`` maps kid to the 32 raw public key bytes; a key that cannot be
    loaded counts as not published. ``is_revoked(serial)`` is asked only once the
    signature has verified; its own exceptions are the caller's to handle. Malformed
    input of any kind gives ``forged``, never an exception.
    """
    if not isinstance(payload_or_url, str):
        return Verdict("forged", None)
    parsed = _parse(payload_from(payload_or_url))
    if parsed is None:
        return Verdict("forged", None)
    claims, signed, signature = parsed

    raw_key = public_keys.get(claims.kid)
    try:
        public_key = Ed25519PublicKey.from_public_bytes(raw_key)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return Verdict("unknown-key", None)
    try:
        public_key.verify(signature, signed)
    except InvalidSignature:
        return Verdict("forged", None)

    if is_revoked is not None and is_revoked(claims.serial):
        return Verdict("revoked", claims)
    today = _day(today)
    if today < claims.valid_from:
        return Verdict("not-yet-valid", claims)
    if today > claims.valid_to:
        return Verdict("expired", claims)
    return Verdict("valid", claims)


def verify_url(base_url: str, payload: str) -> str:
    """The URL a QR code carries: ``<kit base>/v#<payload>``."""
    return base_url.rstrip("/") + "/v#" + payload
