"""The connection, transactions and migrations every part of the store shares."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from .migrations import MIGRATIONS


def utcnow() -> datetime:
    return datetime.now(UTC)


def stamp(moment: datetime) -> str:
    """A timestamp as stored: fixed-width ISO text sorts in time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_stamp(text: str) -> datetime:
    """Read a timestamp written by the store back into an aware datetime."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def statements(script: str) -> Iterator[str]:
    """The statements of a migration script, one by one.

    A trigger's body holds semicolons of its own, so the script is cut only where
    SQLite agrees that a statement is complete.
    """
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                yield pending
            pending = ""


class Base:
    """One SQLite file, one connection per thread, explicit write transactions."""

    def __init__(self, path: str | Path, busy_timeout_ms: int = 5000) -> None:
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()

    @property
    def db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            # Autocommit mode: transactions are opened explicitly by _write().
            conn = sqlite3.connect(self.path, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            db = self._local.db = sqlite_utils.Database(conn)
        return db

    def close(self) -> None:
        """Close this thread's connection (a new one opens on next use)."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front, so two writers queue at BEGIN
        # (within the busy timeout) instead of failing halfway.
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        # Straight on the connection: sqlite-utils' query() wraps every read in a
        # savepoint, three statements where one will do on the hot path.
        cursor = self.db.conn.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def _one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = self._all(sql, params)
        return rows[0] if rows else None

    def migrate(self) -> int:
        """Bring the schema up to date; return the schema version."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db.execute("PRAGMA journal_mode = WAL")
        with self._write() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in statements(script):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
        return len(MIGRATIONS)

    def backup_to(self, path: str | Path) -> None:
        """Copy the whole database to a new file at ``path`` with SQLite's online
        backup: one consistent state, while others keep reading and writing."""
        target = sqlite3.connect(path)
        try:
            self.db.conn.backup(target)
        finally:
            target.close()

    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def answers(self) -> bool:
        """Whether the database reads a table (raises ``sqlite3.Error`` if not)."""
        self.db.execute("SELECT count(*) FROM organisations WHERE id = 0").fetchone()
        return True

    def table_counts(self) -> dict[str, int]:
        """Rows per table (to check that a refused request wrote nothing)."""
        return {name: self.db[name].count for name in self.db.table_names()}
