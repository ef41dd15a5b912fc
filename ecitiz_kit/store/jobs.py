"""Background jobs and their leases, and the requests a bulk action goes through.

A job is taken by one worker at a time: claiming it writes the worker's name and
the end of its lease in one write transaction, so two workers never both hold it.
A worker that dies simply stops renewing its lease; once the lease has run out,
any other worker takes the job over. Each item's outcome is written in the same
transaction as what it did (see ``job_item`` in
:meth:`~ecitiz_kit.store.submissions.Submissions.change_status`), so a job taken
over starts again where the first worker stopped and does nothing twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from .base import Base, dialect_of, stamp, utcnow

#: An item's outcome once done as asked; any other outcome says why it was not.
MOVED = "moved"

#: An audit detail (JSON text) with ``previous`` set to the former assignee's
#: address, ``p.email``, per backend.
_WITH_PREVIOUS = {
    "sqlite": "json_set(?, '$.previous', p.email)",
    "postgresql": "jsonb_set(CAST(? AS jsonb), '{previous}',"
    " coalesce(to_jsonb(p.email), 'null'::jsonb))::text",
}


def mark_moved(conn: Any, job_id: int, submission_id: int) -> bool:
    """Mark a job's item done as asked (inside the caller's transaction); False
    when it already has an outcome, written by another worker."""
    cursor = conn.execute(
        "UPDATE job_items SET outcome = ?"
        " WHERE job_id = ? AND submission_id = ? AND outcome IS NULL",
        (MOVED, job_id, submission_id),
    )
    return bool(cursor.rowcount == 1)


class Jobs(Base):
    def create_job(
        self,
        organisation_id: int,
        kind: str,
        key: str,
        *,
        actor: str,
        staff_id: int | None,
        address: str | None,
        params: dict[str, Any],
        items: Sequence[tuple[int, str, int | None]],
        owner: str | None = None,
        lease_seconds: float = 60,
    ) -> tuple[int, bool]:
        """Record a job of ``kind`` over ``items`` (``(submission id, status,
        assignee)`` as they were when asked), unless this organisation already
        has a job with this ``key``. Returns ``(job id, created)``.

        With ``owner``, the new job starts leased to it (the caller runs it at
        once); otherwise it waits for a worker.
        """
        now = utcnow()
        with self._write() as conn:
            found = conn.execute(
                "SELECT id FROM jobs WHERE organisation_id = ? AND key = ?",
                (organisation_id, key),
            ).fetchone()
            if found is not None:
                return int(found[0]), False
            cursor = conn.execute(
                "INSERT INTO jobs (organisation_id, kind, key, staff_id, actor,"
                " address, params, total, lease_owner, lease_until, attempts,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    organisation_id,
                    kind,
                    key,
                    staff_id,
                    actor,
                    address,
                    json.dumps(params, ensure_ascii=False, sort_keys=True),
                    len(items),
                    owner,
                    stamp(now + timedelta(seconds=lease_seconds)) if owner else None,
                    1 if owner else 0,
                    stamp(now),
                ),
            )
            job_id = int(cursor.lastrowid or 0)
            conn.executemany(
                "INSERT INTO job_items (job_id, submission_id, position,"
                " expected_status, expected_assignee) VALUES (?, ?, ?, ?, ?)",
                [
                    (job_id, submission_id, position, status, assignee)
                    for position, (submission_id, status, assignee) in enumerate(items)
                ],
            )
        return job_id, True

    def job(self, organisation_id: int, job_id: int) -> dict[str, Any] | None:
        """One of this organisation's jobs, with its parameters and progress
        (``done``: items with an outcome, ``moved``: items done as asked)."""
        row = self._one(
            "SELECT j.*,"
            " (SELECT count(*) FROM job_items i WHERE i.job_id = j.id"
            "  AND i.outcome IS NOT NULL) AS done,"
            " (SELECT count(*) FROM job_items i WHERE i.job_id = j.id"
            "  AND i.outcome = ?) AS moved"
            " FROM jobs j WHERE j.id = ? AND j.organisation_id = ?",
            (MOVED, job_id, organisation_id),
        )
        if row is not None:
            row["params"] = json.loads(row["params"])
        return row

    def claim_job(
        self, owner: str, lease_seconds: float = 60, kinds: Sequence[str] = ()
    ) -> dict[str, Any] | None:
        """Lease the oldest unfinished job that nobody holds (or whose holder's
        lease has run out) to ``owner``, and return it; ``None`` when there is
        none. ``kinds`` limits the choice to those kinds."""
        now = utcnow()
        sql = (
            "SELECT id, organisation_id FROM jobs WHERE finished_at IS NULL"
            " AND (lease_until IS NULL OR lease_until < ?)"
        )
        params: list[Any] = [stamp(now)]
        if kinds:
            sql += f" AND kind IN ({', '.join('?' * len(kinds))})"
            params.extend(kinds)
        with self._write() as conn:
            found = conn.execute(sql + " ORDER BY id LIMIT 1", params).fetchone()
            if found is None:
                return None
            conn.execute(
                "UPDATE jobs SET lease_owner = ?, lease_until = ?,"
                " attempts = attempts + 1 WHERE id = ?",
                (owner, stamp(now + timedelta(seconds=lease_seconds)), found[0]),
            )
        return self.job(found[1], found[0])

    def pending_items(
        self, job_id: int, limit: int, after: int = -1
    ) -> list[dict[str, Any]]:
        """The next items of a job without an outcome, in the order asked."""
        return self._all(
            "SELECT submission_id, position, expected_status, expected_assignee"
            " FROM job_items WHERE job_id = ? AND position > ? AND outcome IS NULL"
            " ORDER BY position LIMIT ?",
            (job_id, after, limit),
        )

    def job_progress(
        self,
        job_id: int,
        owner: str,
        audit: tuple[str, dict[str, Any]],
        outcomes: Sequence[tuple[int, str]] = (),
        lease_seconds: float = 60,
    ) -> bool:
        """Renew ``owner``'s lease on a job, write the ``(submission id,
        outcome)`` of items left alone, and add to the audit log an entry (action
        and detail: ``audit``) for each request moved since the last call. False,
        writing nothing, when the lease has passed to another worker."""
        now = utcnow()
        with self._write() as conn:
            held = conn.execute(
                "UPDATE jobs SET lease_until = ? WHERE id = ? AND lease_owner = ?"
                " AND finished_at IS NULL",
                (stamp(now + timedelta(seconds=lease_seconds)), job_id, owner),
            )
            if held.rowcount != 1:
                return False
            conn.executemany(
                "UPDATE job_items SET outcome = ?"
                " WHERE job_id = ? AND submission_id = ? AND outcome IS NULL",
                [(outcome, job_id, sid) for sid, outcome in outcomes],
            )
            self._audit_moved(conn, job_id, audit, stamp(now))
        return True

    def finish_job(
        self, job_id: int, owner: str, audit: tuple[str, dict[str, Any]]
    ) -> bool:
        """Mark a job finished (it has no item left), auditing what remained to
        be; False when the lease has passed to another worker."""
        now = stamp(utcnow())
        with self._write() as conn:
            done = conn.execute(
                "UPDATE jobs SET finished_at = ?, lease_owner = NULL,"
                " lease_until = NULL WHERE id = ? AND lease_owner = ?"
                " AND finished_at IS NULL",
                (now, job_id, owner),
            )
            if done.rowcount != 1:
                return False
            self._audit_moved(conn, job_id, audit, now)
        return True

    @staticmethod
    def _audit_moved(
        conn: Any, job_id: int, audit: tuple[str, dict[str, Any]], now: str
    ) -> None:
        # One entry per request moved, as a change made alone would have, written
        # from the items so that an entry lost with a dead worker is written by
        # the one taking over. A ``previous`` key in the detail is filled with the
        # address of whoever held the request when it was selected.
        action, detail = audit
        # Only the constant JSON expression is formatted into the SQL.
        conn.execute(
            "INSERT INTO audit_log (organisation_id, staff_id, actor, action,"  # noqa: S608
            " subject, detail, address, created_at)"
            " SELECT j.organisation_id, j.staff_id, j.actor, ?, s.reference,"
            f" CASE WHEN ? THEN {_WITH_PREVIOUS[dialect_of(conn)]} ELSE ? END,"
            " j.address, ?"
            " FROM job_items i JOIN jobs j ON j.id = i.job_id"
            " JOIN submissions s ON s.id = i.submission_id"
            " LEFT JOIN staff p ON p.id = i.expected_assignee"
            " WHERE i.job_id = ? AND i.outcome = ? AND i.audited = 0"
            " ORDER BY i.position",
            (
                action,
                "previous" in detail,
                *[json.dumps({**detail, "job": job_id}, ensure_ascii=False)] * 2,
                now,
                job_id,
                MOVED,
            ),
        )
        conn.execute(
            "UPDATE job_items SET audited = 1"
            " WHERE job_id = ? AND outcome = ? AND audited = 0",
            (job_id, MOVED),
        )

    def job_outcomes(
        self, job_id: int, *, left_alone_only: bool = True
    ) -> list[dict[str, Any]]:
        """The items of a job with their request's reference and outcome, in the
        order asked (only those left alone, by default)."""
        sql = (
            "SELECT i.submission_id, s.reference, i.expected_status, i.outcome"
            " FROM job_items i"
            " LEFT JOIN submissions s ON s.id = i.submission_id WHERE i.job_id = ?"
        )
        params: list[Any] = [job_id]
        if left_alone_only:
            sql += " AND i.outcome IS NOT NULL AND i.outcome != ?"
            params.append(MOVED)
        return self._all(sql + " ORDER BY i.position", params)

    def selection_states(
        self, organisation_id: int, submission_ids: Sequence[int]
    ) -> dict[int, tuple[str, int | None]]:
        """``id -> (status, assignee)`` of the given requests that belong to this
        organisation (the others are absent)."""
        found: dict[int, tuple[str, int | None]] = {}
        ids = list(dict.fromkeys(submission_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            # Only placeholders are formatted in; the ids are parameters.
            sql = (
                "SELECT id, status, assigned_to FROM submissions"  # noqa: S608
                f" WHERE organisation_id = ? AND id IN ({marks})"
            )
            for row in self._all(sql, (organisation_id, *chunk)):
                found[row["id"]] = (row["status"], row["assigned_to"])
        return found
