"""The SQLite backend: one file, one connection per thread, explicit writes."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from .migrations import MIGRATIONS


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


class SQLite:
    """One SQLite file in WAL mode with ``synchronous=FULL``; each write
    transaction starts with ``BEGIN IMMEDIATE``."""

    name = "sqlite"

    def __init__(self, path: str | Path, busy_timeout_ms: int = 5000) -> None:
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()

    @property
    def db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            # Autocommit mode: transactions are opened explicitly by write().
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

    release = close  # one connection per thread: closing it is giving it back

    @contextmanager
    def write(self, serialised: bool = True) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front, so two writers queue at BEGIN
        # (within the busy timeout) instead of failing halfway. SQLite has one
        # writer at a time: every write is serialised.
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        yield self.db.conn

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        # Straight on the connection: sqlite-utils' query() wraps every read in a
        # savepoint, three statements where one will do on the hot path.
        cursor = self.db.conn.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def migrate(self) -> int:
        """Bring the schema up to date; return the schema version."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db.execute("PRAGMA journal_mode = WAL")
        with self.write() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in statements(script):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
        return len(MIGRATIONS)

    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def schema_target(self) -> int:
        return len(MIGRATIONS)

    def table_names(self) -> list[str]:
        return self.db.table_names()

    def backup_to(self, path: str | Path) -> None:
        target = sqlite3.connect(path)
        try:
            self.db.conn.backup(target)
        finally:
            target.close()

    def where(self) -> str:
        return str(self.path)
