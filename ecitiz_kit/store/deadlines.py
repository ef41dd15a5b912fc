"""Decision periods, due dates, the rules applied when they pass, and the staff
digest.

A request's due date (``due_on``, a day in the kit's time zone) is written when
it is submitted: the day it arrived plus its form's decision period. When an
admin changes the period, the due dates of every request of that form move by
the difference in one statement, so the list keeps filtering and sorting on one
indexed column (the index holds only requests awaiting a decision, the only
ones whose due date matters).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from .base import Base, dialect_of, stamp, utcnow
from .outbox import insert_messages

#: The statuses of requests awaiting a decision, as written in the partial index
#: ``submissions_by_org_due`` (a query uses it only when it says the same).
AWAITING_SQL = "s.status IN ('submitted', 'in_review')"
RULES = ("accept", "reject")

#: A due date (an ISO day) moved by a number of days, in each dialect.
_MOVED_DAY = {
    "sqlite": "date(due_on, ? || ' days')",
    "postgresql": "to_char(due_on::date + ?::integer, 'YYYY-MM-DD')",
}


class _NotEnabled(Exception):
    """A form given is not enabled: the transaction is rolled back."""


def _set_period(
    conn: sqlite3.Connection,
    organisation_id: int,
    form_id: str,
    days: int,
    rule: str | None,
    unset: int,
) -> None:
    # The period the due dates were counted with is read in the transaction
    # that moves them: two admins saving at once move them once each, from
    # where the other left them, never twice from the same start.
    row = conn.execute(
        "SELECT decision_days FROM forms WHERE organisation_id = ? AND form_id = ?",
        (organisation_id, form_id),
    ).fetchone()
    if row is None:
        raise _NotEnabled(form_id)
    previous = row[0] if row[0] is not None else unset
    conn.execute(
        "UPDATE forms SET decision_days = ?, deadline_rule = ?"
        " WHERE organisation_id = ? AND form_id = ?",
        (days, rule, organisation_id, form_id),
    )
    if previous != days:
        conn.execute(
            # Only the dialect's expression is formatted into the SQL.
            f"UPDATE submissions SET due_on = {_MOVED_DAY[dialect_of(conn)]}"  # noqa: S608
            " WHERE organisation_id = ? AND form_id = ? AND due_on IS NOT NULL",
            (days - previous, organisation_id, form_id),
        )


class Deadlines(Base):
    def set_decision_periods(
        self,
        organisation_id: int,
        periods: Sequence[tuple[str, int, str | None, int]],
    ) -> bool:
        """Set enabled forms' decision periods and deadline rules at once:
        ``(form_id, days, rule, unset)`` each, ``rule`` ``None`` for none, and
        ``unset`` the period of a form that has none stored (its definition's,
        or the setting's).

        The due dates of each form's requests move by the difference from the
        period they were computed with. All or nothing: False, writing nothing,
        when a form is not enabled.
        """
        for _form_id, _days, rule, _unset in periods:
            if rule is not None and rule not in RULES:
                raise ValueError(f"unknown deadline rule {rule!r}")
        try:
            with self._write() as conn:
                for form_id, days, rule, unset in periods:
                    _set_period(conn, organisation_id, form_id, days, rule, unset)
        except _NotEnabled:
            return False
        return True

    def forms_with_rule(self) -> list[dict[str, Any]]:
        """Enabled forms with a deadline rule, organisation by organisation."""
        return self._all(
            "SELECT * FROM forms WHERE deadline_rule IS NOT NULL"
            " ORDER BY organisation_id, form_id"
        )

    def past_due(
        self, organisation_id: int, form_id: str, today: str, limit: int
    ) -> list[int]:
        """Requests of a form still awaiting a decision whose due date is before
        ``today``, the longest overdue first; those sent back for changes (waiting
        for the applicant, not for the organisation) are left out."""
        rows = self._all(
            "SELECT s.id FROM submissions s WHERE s.organisation_id = ?"  # noqa: S608
            f" AND {AWAITING_SQL} AND s.due_on < ? AND s.form_id = ?"
            " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.id = ("
            "  SELECT max(id) FROM events WHERE submission_id = s.id"
            "  AND (kind IS NULL OR kind != 'amended'))"
            " AND e.from_status = 'in_review' AND e.to_status = 'submitted')"
            " ORDER BY s.due_on, s.id LIMIT ?",
            (organisation_id, today, form_id, limit),
        )
        return [row["id"] for row in rows]

    # -- the daily digest ----------------------------------------------------------

    def set_staff_digest(self, staff_id: int, digest: bool) -> None:
        """Turn one's daily digest e-mail on or off."""
        with self._write() as conn:
            conn.execute(
                "UPDATE staff SET digest = ? WHERE id = ?", (int(digest), staff_id)
            )

    def staff_due_a_digest(self, today: str) -> list[dict[str, Any]]:
        """Active staff who asked for a digest and got none ``today`` yet."""
        return self._all(
            "SELECT id, organisation_id, email, digest_sent_on FROM staff"
            " WHERE digest = 1 AND active = 1"
            " AND (digest_sent_on IS NULL OR digest_sent_on < ?) ORDER BY id",
            (today,),
        )

    def digest_counts(
        self, organisation_id: int, *, since: str, today: str, soon: str
    ) -> dict[str, int]:
        """For a digest: requests received since ``since`` (a stamp), requests
        awaiting a decision due from ``today`` to ``soon``, and overdue ones."""
        with self._read() as conn:
            return _digest_counts(conn, organisation_id, since, today, soon)

    def send_digest(
        self, staff_id: int, today: str, messages: Sequence[dict[str, Any]]
    ) -> bool:
        """Queue a staff member's digest of ``today`` unless one was (by another
        worker); True when this call queued it."""
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE staff SET digest_sent_on = ? WHERE id = ?"
                " AND (digest_sent_on IS NULL OR digest_sent_on < ?)",
                (today, staff_id, today),
            )
            if cursor.rowcount != 1:
                return False
            insert_messages(conn, messages, stamp(utcnow()))
        return True


def _digest_counts(
    conn: Any, organisation_id: int, since: str, today: str, soon: str
) -> dict[str, int]:
    new = conn.execute(
        "SELECT count(*) FROM submissions WHERE organisation_id = ?"
        " AND created_at >= ?",
        (organisation_id, since),
    ).fetchone()[0]
    # Only the constant status clause is formatted into the SQL.
    due = (
        "SELECT count(*) FROM submissions s WHERE s.organisation_id = ?"  # noqa: S608
        f" AND {AWAITING_SQL}"
    )
    due_soon = conn.execute(
        due + " AND s.due_on >= ? AND s.due_on <= ?",
        (organisation_id, today, soon),
    ).fetchone()[0]
    overdue = conn.execute(
        due + " AND s.due_on < ?", (organisation_id, today)
    ).fetchone()[0]
    return {"new": new, "due_soon": due_soon, "overdue": overdue}
