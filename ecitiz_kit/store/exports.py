"""Exports built by the background worker: jobs without items, each writing one
file under the data folder, and the bookkeeping that never leaves one behind.

An export job is a row of ``jobs`` (leased as :mod:`~ecitiz_kit.store.jobs`
describes) whose ``file_name`` is recorded before the file is created: the folder
then never holds a file the database does not name, so a file no job names is
left over and can go. ``expires_at`` says when a built file is removed.

On PostgreSQL the built file then moves into ``export_chunks``, so that every
host serves it: all its pieces are written in the transaction that marks the job
finished, so a finished job has its whole file and any other has none.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from .base import Base, stamp, utcnow


class Exports(Base):
    def create_export_job(
        self,
        organisation_id: int,
        kind: str,
        key: str,
        *,
        actor: str,
        staff_id: int | None,
        address: str | None,
        params: dict[str, Any],
        total: int,
    ) -> tuple[int, bool]:
        """Record an export of ``total`` requests for a worker to build, unless
        this organisation already has a job with this ``key``. Returns ``(job
        id, created)``."""
        with self._write() as conn:
            found = conn.execute(
                "SELECT id FROM jobs WHERE organisation_id = ? AND key = ?",
                (organisation_id, key),
            ).fetchone()
            if found is not None:
                return int(found[0]), False
            cursor = conn.execute(
                "INSERT INTO jobs (organisation_id, kind, key, staff_id, actor,"
                " address, params, total, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    organisation_id,
                    kind,
                    key,
                    staff_id,
                    actor,
                    address,
                    json.dumps(params, ensure_ascii=False, sort_keys=True),
                    total,
                    stamp(utcnow()),
                ),
            )
        return int(cursor.lastrowid or 0), True

    def begin_export_file(
        self, job_id: int, owner: str, file_name: str
    ) -> tuple[bool, str | None]:
        """Name the file ``owner`` is about to write for a job it holds, and
        start its progress again. Returns ``(held, previous name)``: the name a
        worker that stopped had recorded (its file is to be removed), and False,
        changing nothing, when the lease has passed to another worker."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT file_name FROM jobs WHERE id = ? AND lease_owner = ?"
                " AND finished_at IS NULL",
                (job_id, owner),
            ).fetchone()
            if row is None:
                return False, None
            conn.execute(
                "UPDATE jobs SET file_name = ?, progress = 0 WHERE id = ?",
                (file_name, job_id),
            )
        return True, row[0]

    def export_progress(
        self, job_id: int, owner: str, progress: int, lease_seconds: float = 60
    ) -> bool:
        """Record how many requests are written and renew ``owner``'s lease;
        False when the lease has passed to another worker."""
        until = stamp(utcnow() + timedelta(seconds=lease_seconds))
        with self._write() as conn:
            held = conn.execute(
                "UPDATE jobs SET progress = ?, lease_until = ? WHERE id = ?"
                " AND lease_owner = ? AND finished_at IS NULL",
                (progress, until, job_id, owner),
            )
        return bool(held.rowcount == 1)

    def finish_export(
        self, job_id: int, owner: str, *, progress: int, size: int, keep_until: datetime
    ) -> bool:
        """Mark an export built (its file in place, ``size`` bytes), to be removed
        at ``keep_until``; False when the lease has passed to another worker."""
        with self._write() as conn:
            done = conn.execute(
                "UPDATE jobs SET finished_at = ?, lease_owner = NULL,"
                " lease_until = NULL, progress = ?, file_size = ?, expires_at = ?"
                " WHERE id = ? AND lease_owner = ? AND finished_at IS NULL",
                (stamp(utcnow()), progress, size, stamp(keep_until), job_id, owner),
            )
        return bool(done.rowcount == 1)

    def finish_export_in_database(
        self,
        job_id: int,
        owner: str,
        chunks: Iterable[bytes],
        *,
        progress: int,
        keep_until: datetime,
    ) -> bool:
        """Store an export's file as ``chunks`` and mark it built, in one
        transaction (PostgreSQL only); False, storing nothing, when the lease
        has passed to another worker."""
        # Not serialised: the job's row, locked first, keeps another worker
        # out, and the other writers need not wait for the whole file.
        with self._write(serialised=False) as conn:
            held = conn.execute(
                "SELECT id FROM jobs WHERE id = ? AND lease_owner = ?"
                " AND finished_at IS NULL FOR UPDATE",
                (job_id, owner),
            ).fetchone()
            if held is None:
                return False
            size = 0
            for seq, data in enumerate(chunks):
                conn.execute(
                    "INSERT INTO export_chunks (job_id, seq, data) VALUES (?, ?, ?)",
                    (job_id, seq, data),
                )
                size += len(data)
            conn.execute(
                "UPDATE jobs SET finished_at = ?, lease_owner = NULL,"
                " lease_until = NULL, progress = ?, file_size = ?, expires_at = ?"
                " WHERE id = ?",
                (stamp(utcnow()), progress, size, stamp(keep_until), job_id),
            )
        return True

    def has_export_chunks(self, job_id: int) -> bool:
        """Whether an export's file is in the database (PostgreSQL)."""
        if self.dialect != "postgresql":
            return False
        return (
            self._one(
                "SELECT 1 AS x FROM export_chunks WHERE job_id = ? AND seq = 0",
                (job_id,),
            )
            is not None
        )

    def export_chunks(self, job_id: int) -> Iterator[bytes]:
        """An export's file as stored, one piece at a time: each is read when
        asked for, holding no connection between pieces. Stops early if the
        file is removed meanwhile."""
        seq = 0
        while True:
            row = self._one(
                "SELECT data FROM export_chunks WHERE job_id = ? AND seq = ?",
                (job_id, seq),
            )
            if row is None:
                return
            yield bytes(row["data"])
            seq += 1

    def fail_export(self, job_id: int, owner: str) -> bool:
        """Mark an export failed (its file already removed); False when the lease
        has passed to another worker."""
        with self._write() as conn:
            done = conn.execute(
                "UPDATE jobs SET finished_at = ?, lease_owner = NULL,"
                " lease_until = NULL, failed = 1, file_name = NULL"
                " WHERE id = ? AND lease_owner = ? AND finished_at IS NULL",
                (stamp(utcnow()), job_id, owner),
            )
        return bool(done.rowcount == 1)

    def expired_exports(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Built exports whose time is up: ``id`` and ``file_name``."""
        return self._all(
            "SELECT id, file_name FROM jobs WHERE file_name IS NOT NULL"
            " AND expires_at IS NOT NULL AND expires_at <= ? ORDER BY id",
            (stamp(now or utcnow()),),
        )

    def forget_export_file(self, job_id: int) -> None:
        """Note that an export's file is removed; on PostgreSQL, remove the file
        the database holds."""
        with self._write() as conn:
            if self.dialect == "postgresql":
                conn.execute("DELETE FROM export_chunks WHERE job_id = ?", (job_id,))
            conn.execute("UPDATE jobs SET file_name = NULL WHERE id = ?", (job_id,))

    def export_file_names(self) -> set[str]:
        """Every file name an export job names (written, being written, or to
        be written)."""
        return {
            row["file_name"]
            for row in self._all(
                "SELECT file_name FROM jobs WHERE file_name IS NOT NULL", ()
            )
        }
