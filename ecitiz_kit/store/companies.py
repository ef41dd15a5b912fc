"""What a company register said of each request's SIRET, and the checks still due.

A request's row is written in the transaction that stores the request (see
:func:`insert_company_check`); one the directory could not answer stays
``pending`` and the worker asks again later, each failure pushing the next try
further away.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from .base import Base, stamp, utcnow

FOUND, UNKNOWN, PENDING = "found", "unknown", "pending"


def insert_company_check(
    conn: sqlite3.Connection,
    submission_id: int,
    siret: str,
    state: str,
    register: dict[str, Any] | None,
    now: str,
) -> None:
    """Record the register's answer for a request (inside the caller's
    transaction), replacing an earlier one: ``register`` when ``found``; a
    ``pending`` check is due at once."""
    conn.execute(
        "INSERT INTO company_checks (submission_id, siret, state, register,"
        " checked_at, next_try_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (submission_id) DO UPDATE SET siret = excluded.siret,"
        " state = excluded.state, register = excluded.register,"
        " checked_at = excluded.checked_at, next_try_at = excluded.next_try_at,"
        " attempts = 0, last_error = NULL",
        (
            submission_id,
            siret,
            state,
            json.dumps(register, ensure_ascii=False) if register else None,
            None if state == PENDING else now,
            now if state == PENDING else None,
        ),
    )


class Companies(Base):
    def company_check(self, submission_id: int) -> dict[str, Any] | None:
        """The register's answer for one request, ``register`` decoded."""
        row = self._one(
            "SELECT * FROM company_checks WHERE submission_id = ?", (submission_id,)
        )
        if row is not None and row["register"]:
            row["register"] = json.loads(row["register"])
        return row

    def company_checks_due(
        self, limit: int, now: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Pending checks whose next try has come, oldest first."""
        return self._all(
            "SELECT submission_id, siret, attempts FROM company_checks"
            " WHERE state = ? AND next_try_at <= ? ORDER BY next_try_at LIMIT ?",
            (PENDING, stamp(now or utcnow()), limit),
        )

    def record_company_check(
        self, submission_id: int, state: str, register: dict[str, Any] | None
    ) -> bool:
        """Store the register's answer to a pending check; False if the check is
        no longer pending (answered by another worker, or its request gone)."""
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE company_checks SET state = ?, register = ?, checked_at = ?,"
                " attempts = attempts + 1, next_try_at = NULL, last_error = NULL"
                " WHERE submission_id = ? AND state = ?",
                (
                    state,
                    json.dumps(register, ensure_ascii=False) if register else None,
                    stamp(utcnow()),
                    submission_id,
                    PENDING,
                ),
            )
        return cursor.rowcount == 1

    def postpone_company_check(
        self, submission_id: int, next_try: datetime, error: str
    ) -> None:
        """Count a failed try of a pending check and set when to try again."""
        with self._write() as conn:
            conn.execute(
                "UPDATE company_checks SET attempts = attempts + 1,"
                " next_try_at = ?, last_error = ?"
                " WHERE submission_id = ? AND state = ?",
                (stamp(next_try), error[:200], submission_id, PENDING),
            )
