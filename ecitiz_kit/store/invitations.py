"""Invitations to join an organisation's team, spent once, when the colleague
sets a password: the account and the spent invitation are written together."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .base import Base, stamp, utcnow
from .outbox import insert_messages


class AlreadyStaff(Exception):
    """The address already has a staff account (of this or another organisation)."""


class Invitations(Base):
    def create_invitation(
        self,
        organisation_id: int,
        email: str,
        role: str,
        key: str,
        *,
        invited_by: str,
        messages: Sequence[dict[str, Any]] = (),
    ) -> int:
        """Invite ``email`` to the organisation's team as ``role``, under the random
        ``key`` its link names, and queue ``messages`` with it; earlier unspent
        invitations to that address go. Raises :class:`AlreadyStaff`, writing
        nothing, when the address already has an account."""
        now = stamp(utcnow())
        with self._write() as conn:
            if _has_account(conn, email):
                raise AlreadyStaff(email)
            conn.execute(
                "UPDATE invitations SET used_at = ?"
                " WHERE organisation_id = ? AND email = ? AND used_at IS NULL",
                (now, organisation_id, email),
            )
            cursor = conn.execute(
                "INSERT INTO invitations (organisation_id, key, email, role,"
                " invited_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (organisation_id, key, email, role, invited_by, now),
            )
            insert_messages(conn, messages, now)
        return int(cursor.lastrowid or 0)

    def invitation(
        self, organisation_id: int, key: str, *, created_after: datetime
    ) -> dict[str, Any] | None:
        """The unspent invitation ``key`` of the organisation, made after
        ``created_after`` (else None: unknown, spent, replaced or expired)."""
        return self._one(
            "SELECT * FROM invitations WHERE organisation_id = ? AND key = ?"
            " AND used_at IS NULL AND created_at > ?",
            (organisation_id, key, stamp(created_after)),
        )

    def accept_invitation(
        self,
        organisation_id: int,
        key: str,
        password_hash: str,
        *,
        created_after: datetime,
    ) -> dict[str, Any] | None:
        """Create the invited colleague's account with ``password_hash`` and spend
        the invitation, together; None, writing nothing, when the invitation is
        not (or no longer) valid or its address got an account meanwhile."""
        now = stamp(utcnow())
        with self._write() as conn:
            row = conn.execute(
                "SELECT id, email, role FROM invitations"
                " WHERE organisation_id = ? AND key = ? AND used_at IS NULL"
                " AND created_at > ?",
                (organisation_id, key, stamp(created_after)),
            ).fetchone()
            if row is None:
                return None
            invitation_id, email, role = row
            # The write lock is held: nothing can spend it or take the address
            # between these reads and the writes below.
            if _has_account(conn, email):
                return None
            conn.execute(
                "UPDATE invitations SET used_at = ? WHERE id = ?", (now, invitation_id)
            )
            cursor = conn.execute(
                "INSERT INTO staff (organisation_id, email, password_hash, role,"
                " created_at) VALUES (?, ?, ?, ?, ?)",
                (organisation_id, email, password_hash, role, now),
            )
        return self._one("SELECT * FROM staff WHERE id = ?", (cursor.lastrowid,))

    def pending_invitations(
        self, organisation_id: int, *, created_after: datetime
    ) -> list[dict[str, Any]]:
        """The organisation's invitations still waiting for an answer, newest first."""
        return self._all(
            "SELECT id, email, role, invited_by, created_at FROM invitations"
            " WHERE organisation_id = ? AND used_at IS NULL AND created_at > ?"
            " ORDER BY id DESC",
            (organisation_id, stamp(created_after)),
        )


def _has_account(conn: sqlite3.Connection, email: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM staff WHERE email = ?", (email,)).fetchone()
        is not None
    )
