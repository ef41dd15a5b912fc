"""Staff accounts, their signed-in sessions, sign-in failures, and the requests
staff see — always through their organisation's id."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from .base import Base, stamp, utcnow


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

    def set_staff_role(self, staff_id: int, role: str) -> None:
        """Make a staff member ``admin`` or ``agent``."""
        with self._write() as conn:
            conn.execute("UPDATE staff SET role = ? WHERE id = ?", (role, staff_id))

    def set_staff_active(self, staff_id: int, active: bool) -> None:
        """Let an account sign in again, or stop it: its sessions end at once."""
        with self._write() as conn:
            conn.execute(
                "UPDATE staff SET active = ?, session_version = session_version + 1"
                " WHERE id = ?",
                (int(active), staff_id),
            )
            conn.execute("DELETE FROM staff_sessions WHERE staff_id = ?", (staff_id,))

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
            " WHERE x.key_hash = ? AND x.expires_at > ? AND s.active",
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
