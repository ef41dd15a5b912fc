"""Signed attestations: each organisation's keys, issuing, verifying, revoking.

An accepted request whose form describes a document gets one, signed with its
organisation's Ed25519 key (created on first use). Anyone can check it offline
against the published public keys; only the server knows about revocations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import EcitizError
from ..forms.definitions import FormDefinition
from ..forms.fields import display_value
from ..i18n import text
from ..sealing import Sealer
from ..store import Store, parse_stamp
from . import signing
from .layout import AttestationDocument
from .sealed_keys import SealedKeys


class NoSuchDocument(EcitizError, LookupError):
    """No document has this serial."""


@dataclass(frozen=True)
class Keyring:
    """Where private keys live (files in the data folder with SQLite, sealed in
    the database with PostgreSQL) and what the database says of them."""

    store: Store
    files: signing.KeyFiles | SealedKeys

    @classmethod
    def in_folder(cls, store: Store, folder: Path) -> Keyring:
        return cls(store, signing.KeyFiles(folder))

    @classmethod
    def sealed(
        cls, store: Store, sealer: Callable[[], Sealer], legacy: Path
    ) -> Keyring:
        """Keys sealed in the database; key files in ``legacy`` are moved there
        as they are first used."""
        return cls(store, SealedKeys(store, sealer, signing.KeyFiles(legacy)))

    def signing_key(self, organisation_id: int) -> tuple[str, Any]:
        """The organisation's current key id and private key, made on first use."""
        row = self.store.signing_key(organisation_id)
        if row is None:
            return self._new_key(organisation_id, replace=False)
        return row["kid"], self.files.load(row["kid"])

    def rotate(self, organisation_id: int) -> tuple[str, Any]:
        """Start signing with a new key; the previous one stays published until
        the documents it signed have expired."""
        return self._new_key(organisation_id, replace=True)

    def _new_key(self, organisation_id: int, replace: bool) -> tuple[str, Any]:
        key = signing.generate_private_key()
        kid = signing.new_kid()
        while self.files.exists(kid):  # pragma: no cover - 2**20 ids
            kid = signing.new_kid()
        self.files.save(kid, key)
        row = self.store.add_signing_key(
            kid, organisation_id, signing.public_key_bytes(key), replace=replace
        )
        if row["kid"] != kid:
            # Another host made the organisation's first key a moment earlier:
            # both sign with that one.
            self.files.discard(kid)
            return row["kid"], self.files.load(row["kid"])
        return kid, key

    def published(self, today: date) -> list[dict[str, Any]]:
        """The public keys a verifier needs today, as published in JSON."""
        return [
            {
                "kid": row["kid"],
                "alg": "Ed25519",
                "public_key": signing.encode_b64url(row["public_key"]),
                "issuer": row["issuer"],
                "created": row["created_at"][:10],
                "retired": row["retired_at"] and row["retired_at"][:10],
                "published_until": row["published_until"],
            }
            for row in self.store.published_keys(today.isoformat())
        ]

    def public_keys(self, today: date) -> dict[str, bytes]:
        return {
            row["kid"]: row["public_key"]
            for row in self.store.published_keys(today.isoformat())
        }


def new_attestation(
    keyring: Keyring,
    organisation_id: int,
    definition: FormDefinition,
    answers: dict[str, Any],
) -> dict[str, Any] | None:
    """The signed document row for an accepted request (None if the form has none)."""
    spec = definition.document
    if spec is None:
        return None
    kid, key = keyring.signing_key(organisation_id)
    claims = signing.Claims(
        kid=kid,
        serial=signing.new_serial(),
        type="ATT",
        holder=signing.display_name(answers[spec.first_name], answers[spec.last_name]),
        valid_from=date.fromisoformat(answers[spec.valid_from]),
        valid_to=date.fromisoformat(answers[spec.valid_to]),
    )
    return {
        "serial": claims.serial,
        "type": claims.type,
        "kid": kid,
        "holder": claims.holder,
        "valid_from": claims.valid_from.isoformat(),
        "valid_to": claims.valid_to.isoformat(),
        "template_version": spec.template_version,
        "payload": signing.sign(claims, key),
    }


@dataclass(frozen=True)
class Check:
    """A verdict and what a checker may be shown alongside it."""

    verdict: str
    claims: signing.Claims | None
    issuer: str | None

    def as_json(self) -> dict[str, Any]:
        claims = self.claims
        return {
            "verdict": self.verdict,
            "serial": claims and claims.serial,
            "holder": claims and claims.holder,
            "issuer": self.issuer,
            "valid_from": claims and claims.valid_from.isoformat(),
            "valid_to": claims and claims.valid_to.isoformat(),
        }


def verify(keyring: Keyring, payload_or_url: str, today: date) -> Check:
    """Check a payload as the kit's server sees it: signature, dates, revocation."""
    keys = keyring.store.published_keys(today.isoformat())
    issuers = {row["kid"]: row["issuer"] for row in keys}
    verdict = signing.check(
        payload_or_url,
        {row["kid"]: row["public_key"] for row in keys},
        today,
        is_revoked=lambda serial: is_revoked(keyring.store, serial),
    )
    claims = verdict.claims
    return Check(verdict.verdict, claims, issuers.get(claims.kid) if claims else None)


def is_revoked(store: Store, serial: str) -> bool:
    row = store.document(serial)
    return bool(row and row["revoked_at"])


def revoke(store: Store, serial: str, reason: str | None = None) -> bool:
    """Revoke the document ``serial`` (as typed); False if it already was."""
    normal = signing.normalise_serial(serial)
    if normal is None or store.document(normal) is None:
        raise NoSuchDocument(serial)
    return store.revoke_document(normal, reason)


def attestation_document(
    found: Any, document: dict[str, Any], lang: str, *, issued_at: str, verify_url: str
) -> AttestationDocument:
    """What the attestation PDF shows, from the request and its signed document."""
    definition = found.form.definition
    spec = definition.document
    answers = found.submission["answers"]
    details = [
        (text(definition.field(name).label, lang),
         display_value(definition.field(name), answers[name], lang))
        for name in spec.details
        if answers.get(name) not in (None, "", [])
    ]  # fmt: skip
    return AttestationDocument(
        title=text(spec.title, lang),
        organisation=found.form.organisation["name"],
        holder=f"{answers[spec.first_name]} {answers[spec.last_name]}",
        details=details,
        valid_from=date.fromisoformat(document["valid_from"]),
        valid_to=date.fromisoformat(document["valid_to"]),
        issued_at=issued_at,
        serial=signing.format_serial(document["serial"]),
        template_version=document["template_version"],
        verify_url=verify_url,
        lang=lang,
        created=parse_stamp(document["issued_at"]),
    )
