"""The backend, transactions and helpers every part of the store shares.

A store opens SQLite (a file path) or PostgreSQL (a ``postgresql://`` URL); its
modules write their SQL once, with ``?`` placeholders, and branch on
:attr:`Base.dialect` only where the two databases differ.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from .sqlite import SQLite, statements

__all__ = ["Base", "is_database_url", "parse_stamp", "stamp", "statements", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def stamp(moment: datetime) -> str:
    """A timestamp as stored: fixed-width ISO text sorts in time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_stamp(text: str) -> datetime:
    """Read a timestamp written by the store back into an aware datetime."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def is_database_url(target: str | Path) -> bool:
    """Whether ``target`` names a PostgreSQL database rather than a SQLite file."""
    return isinstance(target, str) and target.startswith(
        ("postgresql://", "postgres://")
    )


def dialect_of(conn: Any) -> str:
    """``sqlite`` or ``postgresql``: the database a transaction's connection
    talks to (for the helpers that receive one)."""
    return getattr(conn, "dialect", "sqlite")


def undoable(conn: Any) -> AbstractContextManager[None]:
    """Run a statement whose failure the caller catches and goes on from.

    SQLite undoes only the failed statement; PostgreSQL refuses the rest of the
    transaction unless the statement ran in a savepoint."""
    savepoint = getattr(conn, "savepoint", None)
    return savepoint() if savepoint is not None else nullcontext()


class Base:
    """The store's database: SQLite by default, PostgreSQL for a URL."""

    def __init__(
        self, target: str | Path, busy_timeout_ms: int = 5000, pool_size: int = 10
    ) -> None:
        if is_database_url(target):
            from .postgresql import PostgreSQL

            self.backend: Any = PostgreSQL(str(target), pool_size=pool_size)
            self.path: Path | None = None
        else:
            self.backend = SQLite(target, busy_timeout_ms)
            self.path = self.backend.path
        self.dialect: str = self.backend.name

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's sqlite-utils database (SQLite only)."""
        if self.dialect != "sqlite":
            raise AttributeError("the PostgreSQL store has no sqlite-utils database")
        return self.backend.db

    def close(self) -> None:
        """Close this thread's connection, or this process's PostgreSQL pool (a
        new one opens on next use): only when no other thread uses the store.
        A thread that is done with it calls :meth:`release` instead."""
        self.backend.close()

    def release(self) -> None:
        """Give back what this thread holds, while other threads go on: its
        SQLite connection is closed; PostgreSQL connections go back to the pool
        after each use, so there is nothing to give back."""
        self.backend.release()

    def _write(self, serialised: bool = True) -> AbstractContextManager[Any]:
        """A write transaction. On PostgreSQL, ``serialised=False`` lets it run
        beside others: only for writes whose guarantees rest on row locks and
        unique keys (SQLite always has one writer at a time)."""
        return self.backend.write(serialised)

    @contextmanager
    def _read(self) -> Iterator[Any]:
        """A connection for reads: the thread's open transaction, if any."""
        with self.backend.reading() as conn:
            yield conn

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return self.backend.all(sql, params)

    def _one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = self._all(sql, params)
        return rows[0] if rows else None

    def migrate(self) -> int:
        """Bring the schema up to date; return the schema version."""
        return self.backend.migrate()

    def backup_to(self, path: str | Path) -> None:
        """Copy the whole database to a new file at ``path`` with SQLite's online
        backup: one consistent state, while others keep reading and writing."""
        if self.dialect != "sqlite":
            raise NotImplementedError("back up a PostgreSQL database with pg_dump")
        self.backend.backup_to(path)

    def schema_version(self) -> int:
        return self.backend.schema_version()

    def schema_target(self) -> int:
        """The schema version this kit brings the database to."""
        return self.backend.schema_target()

    def answers(self) -> bool:
        """Whether the database reads a table (raises ``sqlite3.Error`` if not)."""
        self._all("SELECT count(*) AS n FROM organisations WHERE id = 0")
        return True

    def table_counts(self) -> dict[str, int]:
        """Rows per table (to check that a refused request wrote nothing)."""
        return {
            name: self._all(f'SELECT count(*) AS n FROM "{name}"')[0]["n"]  # noqa: S608
            for name in self.backend.table_names()
        }

    def where(self) -> str:
        """Where the data lives: the SQLite file, or PostgreSQL's database and
        host (never a password)."""
        return self.backend.where()
