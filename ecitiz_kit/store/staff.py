"""Staff accounts, their signed-in sessions, sign-in failures, and the requests
staff see — always through their organisation's id."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from .base import Base, stamp, utcnow


class LastAdmin(Exception):
    """The change would leave an organisation without an active admin."""


class Staff(Base):
    # -- accounts and sessions --------------------------------------------------

    def staff_in(self, organisation_slug: str, email: str) -> dict[str, Any] | None:
        """The staff account ``email`` of the organisation ``organisation_slug``."""
        return self._one(
            "SELECT s.* FROM staff s JOIN organisations o ON o.id = s.organisation_id"
            " WHERE o.slug = ? AND s.email = ?",
            (organisation_slug, email),
        )

    def set_password(self, staff_id: int, password_hash: str) -> int:
        """Replace a password and end every session of that person; return how many
        sessions ended."""
        with self._write() as conn:
            conn.execute(
                "UPDATE staff SET password_hash = ?,"
                " session_version = session_version + 1 WHERE id = ?",
                (password_hash, staff_id),
            )
            cursor = conn.execute(
                "DELETE FROM staff_sessions WHERE staff_id = ?", (staff_id,)
            )
        return cursor.rowcount

    def set_staff_role(
        self, staff_id: int, role: str, *, organisation_id: int | None = None
    ) -> bool:
        """Make a staff member ``admin`` or ``agent`` (only of ``organisation_id``
        when given); False when there is no such account. Raises
        :class:`LastAdmin`, changing nothing, if the organisation would be left
        without an active admin."""
        with self._write() as conn:
            found = _account(conn, staff_id, organisation_id)
            if found is None:
                return False
            conn.execute("UPDATE staff SET role = ? WHERE id = ?", (role, staff_id))
            _keep_an_admin(conn, found)
        return True

    def set_staff_active(
        self, staff_id: int, active: bool, *, organisation_id: int | None = None
    ) -> bool:
        """Let an account sign in again, or stop it: its sessions end at once.
        Like :meth:`set_staff_role`, within ``organisation_id`` when given, and
        never stopping an organisation's last active admin."""
        with self._write() as conn:
            found = _account(conn, staff_id, organisation_id)
            if found is None:
                return False
            conn.execute(
                "UPDATE staff SET active = ?, session_version = session_version + 1"
                " WHERE id = ?",
                (int(active), staff_id),
            )
            conn.execute("DELETE FROM staff_sessions WHERE staff_id = ?", (staff_id,))
            _keep_an_admin(conn, found)
        return True

    def staff_member(
        self, organisation_id: int, staff_id: int
    ) -> dict[str, Any] | None:
        """A staff account of the organisation (None for another organisation's)."""
        return self._one(
            "SELECT id, organisation_id, email, role, active, created_at FROM staff"
            " WHERE id = ? AND organisation_id = ?",
            (staff_id, organisation_id),
        )

    def start_session(self, key_hash: str, staff_id: int, expires_at: datetime) -> None:
        now = utcnow()
        with self._write() as conn:
            # Expired rows go as new ones come, so the table stays small.
            conn.execute(
                "DELETE FROM staff_sessions WHERE expires_at < ?", (stamp(now),)
            )
            conn.execute(
                "INSERT INTO staff_sessions (key_hash, staff_id, created_at,"
                " expires_at) VALUES (?, ?, ?, ?)",
                (key_hash, staff_id, stamp(now), stamp(expires_at)),
            )

    def end_session(self, key_hash: str) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM staff_sessions WHERE key_hash = ?", (key_hash,))

    def session_staff(self, key_hash: str) -> dict[str, Any] | None:
        """The staff member (with their organisation) a live session belongs to."""
        return self._one(
            "SELECT s.id, s.organisation_id, s.email, s.password_hash, s.role,"
            " s.notify_new_requests, s.digest,"
            " o.slug, o.name, x.expires_at"
            " FROM staff_sessions x JOIN staff s ON s.id = x.staff_id"
            " JOIN organisations o ON o.id = s.organisation_id"
            " WHERE x.key_hash = ? AND x.expires_at > ? AND s.active = 1",
            (key_hash, stamp(utcnow())),
        )

    def session_count(self, staff_id: int) -> int:
        row = self._one(
            "SELECT count(*) AS n FROM staff_sessions WHERE staff_id = ?", (staff_id,)
        )
        return row["n"] if row else 0

    # -- what staff see, always within their organisation ---------------------

    def organisation_submission(
        self, organisation_id: int, submission_id: int
    ) -> dict[str, Any] | None:
        """A request of this organisation (None for another organisation's)."""
        row = self._one(
            "SELECT * FROM submissions WHERE id = ? AND organisation_id = ?",
            (submission_id, organisation_id),
        )
        if row is not None:
            row["answers"] = json.loads(row["answers"])
        return row

    def organisation_attachment(
        self, organisation_id: int, submission_id: int, attachment_id: int
    ) -> dict[str, Any] | None:
        return self._one(
            "SELECT a.* FROM attachments a JOIN submissions s ON s.id = a.submission_id"
            " WHERE a.id = ? AND a.submission_id = ? AND s.organisation_id = ?",
            (attachment_id, submission_id, organisation_id),
        )

    def remove_allowed_origin(self, organisation_id: int, origin: str) -> bool:
        """Stop ``origin`` embedding the organisation's forms; False if it could not."""
        with self._write() as conn:
            cursor = conn.execute(
                "DELETE FROM allowed_origins WHERE organisation_id = ? AND origin = ?",
                (organisation_id, origin),
            )
        return cursor.rowcount == 1


def _account(
    conn: sqlite3.Connection, staff_id: int, organisation_id: int | None
) -> tuple[int, bool] | None:
    """The organisation of an account and whether it is an active admin."""
    row = conn.execute(
        "SELECT organisation_id, role = 'admin' AND active = 1 FROM staff"
        " WHERE id = ?"
        " AND (? IS NULL OR organisation_id = ?)",
        (staff_id, organisation_id, organisation_id),
    ).fetchone()
    return (row[0], bool(row[1])) if row else None


def _keep_an_admin(conn: sqlite3.Connection, before: tuple[int, bool]) -> None:
    """Refuse (rolling the transaction back) a change that took away an
    organisation's last active admin."""
    organisation_id, was_admin = before
    if (
        was_admin
        and not conn.execute(
            "SELECT 1 FROM staff"
            " WHERE organisation_id = ? AND role = 'admin' AND active = 1",
            (organisation_id,),
        ).fetchone()
    ):
        raise LastAdmin(organisation_id)
