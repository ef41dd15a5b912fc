"""Who in the team handles a request: the current assignee and every change."""

from __future__ import annotations

from typing import Any

from .base import Base, stamp, utcnow

#: ``expected`` when the caller does not care who held the request before.
ANYONE = object()


class Assignments(Base):
    def assign_submission(
        self,
        organisation_id: int,
        submission_id: int,
        staff_id: int | None,
        *,
        actor: str,
        expected: Any = ANYONE,
    ) -> bool:
        """Give a request of this organisation to ``staff_id`` (a member of the same
        organisation, still active) or to nobody (``None``), and record the change.

        With ``expected`` (a staff id or ``None``), only if the request is still
        assigned so: a colleague's change in between is not overwritten. Returns
        False, writing nothing, when the request or the person is not in this
        organisation, the person is stopped, or ``expected`` no longer holds; an
        assignment to whoever already holds it changes nothing and returns True.
        """
        with self._write() as conn:
            row = conn.execute(
                "SELECT assigned_to FROM submissions"
                " WHERE id = ? AND organisation_id = ?",
                (submission_id, organisation_id),
            ).fetchone()
            if row is None:
                return False
            current = row[0]
            if expected is not ANYONE and current != expected:
                return False
            if (
                staff_id is not None
                and not conn.execute(
                    "SELECT 1 FROM staff"
                    " WHERE id = ? AND organisation_id = ? AND active = 1",
                    (staff_id, organisation_id),
                ).fetchone()
            ):
                return False
            if current == staff_id:
                return True
            now = stamp(utcnow())
            conn.execute(
                "UPDATE submissions SET assigned_to = ? WHERE id = ?",
                (staff_id, submission_id),
            )
            conn.execute(
                "INSERT INTO assignments (submission_id, staff_id, actor, created_at)"
                " VALUES (?, ?, ?, ?)",
                (submission_id, staff_id, actor, now),
            )
        return True

    def assignment_history(self, submission_id: int) -> list[dict[str, Any]]:
        """Each change of assignee of a request, oldest first, with the assignee's
        e-mail address (``None`` for "unassigned")."""
        return self._all(
            "SELECT a.id, a.staff_id, s.email AS staff_email, a.actor, a.created_at"
            " FROM assignments a LEFT JOIN staff s ON s.id = a.staff_id"
            " WHERE a.submission_id = ? ORDER BY a.id",
            (submission_id,),
        )

    def team(self, organisation_id: int) -> list[dict[str, Any]]:
        """The organisation's staff accounts, active ones first, by address."""
        return self._all(
            "SELECT id, email, role, active, created_at FROM staff"
            " WHERE organisation_id = ? ORDER BY active DESC, email",
            (organisation_id,),
        )
