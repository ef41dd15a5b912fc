"""Staff comments on a request: a thread for the team, never for the applicant."""

from __future__ import annotations

from typing import Any

from .base import Base, stamp, utcnow


class Comments(Base):
    def add_comment(
        self,
        organisation_id: int,
        submission_id: int,
        *,
        staff_id: int,
        author: str,
        body: str,
    ) -> int | None:
        """Add ``body`` to the thread of a request of this organisation, written by
        ``author`` (staff id ``staff_id``); the new comment's id, or None, writing
        nothing, when the request is not this organisation's."""
        with self._write() as conn:
            if not conn.execute(
                "SELECT 1 FROM submissions WHERE id = ? AND organisation_id = ?",
                (submission_id, organisation_id),
            ).fetchone():
                return None
            cursor = conn.execute(
                "INSERT INTO comments (submission_id, staff_id, author, body,"
                " created_at) VALUES (?, ?, ?, ?, ?)",
                (submission_id, staff_id, author, body, stamp(utcnow())),
            )
        return int(cursor.lastrowid or 0)

    def comments(self, submission_id: int) -> list[dict[str, Any]]:
        """A request's comments, oldest first."""
        return self._all(
            "SELECT id, staff_id, author, body, created_at FROM comments"
            " WHERE submission_id = ? ORDER BY id",
            (submission_id,),
        )
