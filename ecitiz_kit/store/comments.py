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
        key: str | None = None,
    ) -> tuple[int, bool] | None:
        """Add ``body`` to the thread of a request of this organisation, written by
        ``author`` (staff id ``staff_id``): the comment's id and True. ``key`` is
        the comment form's: sent again, it adds nothing and gives the first
        comment's id and False. None, writing nothing, when the request is not
        this organisation's."""
        with self._write() as conn:
            if not conn.execute(
                "SELECT 1 FROM submissions WHERE id = ? AND organisation_id = ?",
                (submission_id, organisation_id),
            ).fetchone():
                return None
            if key is not None:
                row = conn.execute(
                    "SELECT id FROM comments WHERE submission_id = ? AND form_key = ?",
                    (submission_id, key),
                ).fetchone()
                if row is not None:
                    return int(row[0]), False
            cursor = conn.execute(
                "INSERT INTO comments (submission_id, staff_id, author, body,"
                " created_at, form_key) VALUES (?, ?, ?, ?, ?, ?)",
                (submission_id, staff_id, author, body, stamp(utcnow()), key),
            )
        return int(cursor.lastrowid or 0), True

    def comments(self, submission_id: int) -> list[dict[str, Any]]:
        """A request's comments, oldest first."""
        return self._all(
            "SELECT id, staff_id, author, body, created_at FROM comments"
            " WHERE submission_id = ? ORDER BY id",
            (submission_id,),
        )
