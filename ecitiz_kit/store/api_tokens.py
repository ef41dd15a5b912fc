"""The read-only API's tokens, and the organisation-wide event feed it serves.

A token is looked up by its SHA-256 (see :mod:`ecitiz_kit.tokens`); the store never
sees a token itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .base import Base, stamp, utcnow

#: ``last_used_at`` is written at most this often per token: an API client
#: reading page after page does not take the write lock for each one.
LAST_USED_PRECISION = timedelta(minutes=1)


class ApiTokens(Base):
    def create_api_token(
        self, organisation_id: int, name: str, token_hash: str, created_by: str
    ) -> int:
        """Record a new token (by its hash) and return its id."""
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO api_tokens"
                " (organisation_id, name, token_hash, created_by, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (organisation_id, name, token_hash, created_by, stamp(utcnow())),
            )
        return int(cursor.lastrowid or 0)

    def api_tokens(self, organisation_id: int) -> list[dict[str, Any]]:
        """The organisation's tokens, revoked ones included, newest first (never
        their hashes)."""
        return self._all(
            "SELECT id, name, created_by, created_at, last_used_at, revoked_at"
            " FROM api_tokens WHERE organisation_id = ? ORDER BY id DESC",
            (organisation_id,),
        )

    def api_token(self, organisation_id: int, token_id: int) -> dict[str, Any] | None:
        """One token of the organisation (None for another organisation's)."""
        return self._one(
            "SELECT id, name, created_by, created_at, last_used_at, revoked_at"
            " FROM api_tokens WHERE id = ? AND organisation_id = ?",
            (token_id, organisation_id),
        )

    def active_api_token(self, token_hash: str) -> dict[str, Any] | None:
        """The token with this hash, with its organisation's slug, unless it was
        revoked."""
        return self._one(
            "SELECT t.id, t.organisation_id, t.name, t.last_used_at, o.slug"
            " FROM api_tokens t JOIN organisations o ON o.id = t.organisation_id"
            " WHERE t.token_hash = ? AND t.revoked_at IS NULL",
            (token_hash,),
        )

    def api_token_used(
        self, token: dict[str, Any], now: datetime | None = None
    ) -> None:
        """Note that ``token`` (a row of :meth:`active_api_token`) was just used,
        unless that was noted less than :data:`LAST_USED_PRECISION` ago."""
        now = now or utcnow()
        last = token["last_used_at"]
        if last is not None and last > stamp(now - LAST_USED_PRECISION):
            return
        with self._write() as conn:
            conn.execute(
                "UPDATE api_tokens SET last_used_at = ? WHERE id = ?",
                (stamp(now), token["id"]),
            )

    def revoke_api_token(self, organisation_id: int, token_id: int) -> bool:
        """Revoke one of the organisation's tokens; False if there is no such
        token in force."""
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE api_tokens SET revoked_at = ?"
                " WHERE id = ? AND organisation_id = ? AND revoked_at IS NULL",
                (stamp(utcnow()), token_id, organisation_id),
            )
        return cursor.rowcount == 1

    # -- what the API reads ---------------------------------------------------

    def organisation_events(
        self, organisation_id: int, *, after: int, limit: int
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` events of the organisation's requests whose id is
        greater than ``after``, oldest first (ids only ever grow)."""
        return self._all(
            "SELECT e.id, e.submission_id, s.reference, s.form_id, e.kind,"
            " e.from_status, e.to_status, e.actor, e.public_message, e.private_note,"
            " e.created_at"
            " FROM events e JOIN submissions s ON s.id = e.submission_id"
            " WHERE e.id > ? AND s.organisation_id = ? ORDER BY e.id LIMIT ?",
            (after, organisation_id, limit),
        )
