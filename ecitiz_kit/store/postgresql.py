"""The PostgreSQL backend: psycopg 3 with a connection pool per process.

The store's SQL is written once, with SQLite's ``?`` placeholders: they are
turned into psycopg's ``%s`` here (outside quoted text), and statements run
through client-side binding, so a parameter is typed by where it stands, as in
SQLite. Cursors answer as :mod:`sqlite3` cursors do (``fetchone``, ``rowcount``,
``lastrowid``), and errors are raised as the :mod:`sqlite3` exceptions the store
already catches: a module of the store reads the same on both backends.

Every write transaction of the store takes one advisory lock first (one writer
at a time, as SQLite has), unless the method has been written for concurrent
writers and asks for ``serialised=False``: then row locks (``FOR UPDATE SKIP
LOCKED``, conditional updates, unique keys) keep its guarantees. Commits are
synchronous (``synchronous_commit = on``): an acknowledged write is on disk.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import conninfo, pq
from psycopg_pool import ConnectionPool

from ..errors import TextWithNul
from .migrations_postgresql import POSTGRESQL_MIGRATIONS

#: Advisory lock keys (any 64-bit numbers, the same in every process).
WRITER_LOCK = 0x0EC1_712_0001
MIGRATION_LOCK = 0x0EC1_712_0002

#: Seconds to wait for the server at start-up before saying it cannot be reached.
CONNECT_TIMEOUT = 5


class Unreachable(Exception):
    """The database named by the URL cannot be reached or opened."""


class IntegrityError(sqlite3.IntegrityError):
    """A constraint PostgreSQL refused, as the exception the store catches.

    For a unique key the message reads as SQLite's, ``UNIQUE constraint
    failed: table.column``; ``constraint`` is PostgreSQL's name for it."""

    constraint: str | None = None


class OperationalError(sqlite3.OperationalError):
    """The server failed to run a statement (lost connection, timeout...)."""


class DatabaseError(sqlite3.DatabaseError):
    """Any other error PostgreSQL reported."""


def translated(exc: psycopg.Error) -> sqlite3.Error:
    """``exc`` as the :mod:`sqlite3` exception the store catches."""
    if isinstance(exc, psycopg.IntegrityError):
        diag = exc.diag
        message = str(exc)
        table, constraint = diag.table_name, diag.constraint_name
        if isinstance(exc, psycopg.errors.UniqueViolation) and table and constraint:
            column = constraint.removeprefix(f"{table}_").removesuffix("_key")
            message = f"UNIQUE constraint failed: {table}.{column} ({constraint})"
        error = IntegrityError(message)
        error.constraint = constraint
        return error
    if isinstance(exc, psycopg.OperationalError):
        return OperationalError(str(exc))
    return DatabaseError(str(exc))


@functools.lru_cache(maxsize=2048)
def placeholders(sql: str) -> str:
    """``sql`` with psycopg's placeholders: ``?`` outside quotes becomes ``%s``,
    and a literal ``%`` is doubled."""
    out, quote = [], ""
    for char in sql:
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "?":
            out.append("%s")
            continue
        out.append("%%" if char == "%" else char)
    return "".join(out)


def refuse_nul(params: Sequence[Any]) -> None:
    """Raise :class:`TextWithNul` if a text parameter holds a NUL character,
    which PostgreSQL cannot keep (SQLite can): a bad request, not a failure."""
    for value in params:
        if isinstance(value, str) and "\x00" in value:
            raise TextWithNul()


def column_names(raw: psycopg.Cursor[Any]) -> list[str] | None:
    """The names of the columns the last statement returned, or None if it
    returned no rows (an UPDATE without RETURNING): psycopg's ``description``
    builds an object per column, typed, at each reading, where only the names
    are needed."""
    result = raw.pgresult
    if result is None or result.status != pq.ExecStatus.TUPLES_OK:
        return None
    # Column names are the store's own, in ASCII, read alike in any encoding.
    return [(result.fname(index) or b"").decode() for index in range(result.nfields)]


class Cursor:
    """The result of one statement, read as a :mod:`sqlite3` cursor."""

    def __init__(self, raw: psycopg.Cursor[Any], inserted: bool) -> None:
        self._raw = raw
        self._inserted = inserted

    def _has_rows(self) -> bool:
        result = self._raw.pgresult
        return result is not None and result.status == pq.ExecStatus.TUPLES_OK

    @property
    def rowcount(self) -> int:
        return self._raw.rowcount

    @property
    def description(self) -> Any:
        return self._raw.description

    @property
    def lastrowid(self) -> int | None:
        """The id the last INSERT drew (PostgreSQL's ``lastval()``)."""
        if not self._inserted:
            return None
        row = self._raw.connection.execute("SELECT lastval()").fetchone()
        return row[0] if row else None

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._raw.fetchone() if self._has_rows() else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._raw.fetchall() if self._has_rows() else []

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.fetchall())


class Connection:
    """A pooled connection, with the ``execute`` of a :mod:`sqlite3` one."""

    dialect = "postgresql"

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        refuse_nul(params)
        cursor = self.raw.cursor()
        try:
            cursor.execute(placeholders(sql), list(params))
        except psycopg.Error as exc:
            raise translated(exc) from exc
        return Cursor(cursor, sql.lstrip().upper().startswith("INSERT"))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor:
        values = [list(row) for row in rows]
        for row in values:
            refuse_nul(row)
        cursor = self.raw.cursor()
        try:
            cursor.executemany(placeholders(sql), values)
        except psycopg.Error as exc:
            raise translated(exc) from exc
        return Cursor(cursor, False)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A statement whose failure the caller catches and goes on from: without
        a savepoint, PostgreSQL would refuse the rest of the transaction."""
        with self.raw.transaction():
            yield


def _configure(raw: psycopg.Connection[Any]) -> None:
    # An acknowledged commit is on disk, whatever the server's default says.
    raw.execute("SET synchronous_commit = on")


def describe(url: str) -> str:
    """Where ``url`` points, without its password (for error messages)."""
    try:
        params = conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return "an unreadable URL"
    host = params.get("host") or "localhost"
    port = params.get("port") or "5432"
    return f"database {params.get('dbname') or '(default)'} on {host}:{port}"


class PostgreSQL:
    """PostgreSQL through a pool of connections in autocommit mode; a write
    borrows one for its transaction, a read one for its statement (or reads
    inside the thread's open transaction)."""

    name = "postgresql"

    def __init__(self, url: str, pool_size: int = 10) -> None:
        self.url = url
        self.pool_size = pool_size
        self._pool: ConnectionPool[Any] | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self._local = threading.local()

    @property
    def pool(self) -> ConnectionPool[Any]:
        # A forked worker makes its own pool: connections are not shared
        # across processes.
        if self._pool is None or self._pid != os.getpid():
            with self._lock:
                if self._pool is None or self._pid != os.getpid():
                    self._pool = ConnectionPool(
                        self.url,
                        min_size=1,
                        max_size=self.pool_size,
                        kwargs={
                            "autocommit": True,
                            "cursor_factory": psycopg.ClientCursor,
                            # Client-side binding never prepares a statement,
                            # but psycopg would still count each query text,
                            # values included: a file's bytes kept per query.
                            "prepare_threshold": None,
                        },
                        configure=_configure,
                        name="ecitiz",
                        open=True,
                    )
                    self._pid = os.getpid()
        return self._pool

    def release(self) -> None:
        """Nothing to do: each use takes a connection from the pool and gives
        it back."""

    def close(self) -> None:
        """Close this process's pool (a new one opens on next use)."""
        with self._lock:
            if self._pool is not None and self._pid == os.getpid():
                self._pool.close()
            self._pool = None

    @contextmanager
    def write(self, serialised: bool = True) -> Iterator[Connection]:
        if getattr(self._local, "conn", None) is not None:
            # As SQLite refuses a BEGIN inside a transaction: a second
            # connection would wait for the lock the first one holds.
            raise DatabaseError("a write transaction is already open in this thread")
        with self.pool.connection() as raw:
            conn = Connection(raw)
            self._local.conn = conn
            try:
                with raw.transaction():
                    if serialised:
                        raw.execute("SELECT pg_advisory_xact_lock(%s)", [WRITER_LOCK])
                    yield conn
            except psycopg.Error as exc:
                raise translated(exc) from exc
            finally:
                self._local.conn = None

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        current = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        try:
            with self.pool.connection() as raw:
                yield Connection(raw)
        except psycopg.Error as exc:  # no connection to be had (PoolTimeout)
            raise translated(exc) from exc

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.reading() as conn:
            raw = conn.execute(sql, params)._raw
            names = column_names(raw)
            if names is None:
                return []
            return [dict(zip(names, row, strict=True)) for row in raw.fetchall()]

    def check(self) -> None:
        """Raise :class:`Unreachable`, saying why, if the database cannot be
        opened (a wrong URL, a server down, a refused password)."""
        try:
            with psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT):
                pass
        except (psycopg.Error, ValueError) as exc:
            lines = str(exc).strip().splitlines()
            reason = " ".join(lines[0].split()) if lines else ""
            raise Unreachable(
                f"cannot open {describe(self.url)}: {reason or type(exc).__name__}"
            ) from None

    def migrate(self) -> int:
        """Bring the schema up to date; return the schema version. Hosts starting
        at once queue on an advisory lock: the first migrates, the others find
        the work done."""
        self.check()
        with psycopg.connect(self.url, autocommit=True) as raw, raw.transaction():
            raw.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK])
            raw.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                " version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL"
                " DEFAULT now(), applied_by TEXT NOT NULL)"
            )
            row = raw.execute("SELECT max(version) FROM schema_version").fetchone()
            version = (row[0] if row else None) or 0
            for number, script in enumerate(
                POSTGRESQL_MIGRATIONS[version:], start=version + 1
            ):
                raw.execute(script)
                raw.execute(
                    "INSERT INTO schema_version (version, applied_by) VALUES (%s, %s)",
                    [number, f"{os.uname().nodename}:{os.getpid()}"],
                )
        return len(POSTGRESQL_MIGRATIONS)

    def schema_version(self) -> int:
        rows = self.all("SELECT max(version) AS v FROM schema_version")
        return rows[0]["v"] or 0

    def schema_target(self) -> int:
        return len(POSTGRESQL_MIGRATIONS)

    def table_names(self) -> list[str]:
        rows = self.all(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            " AND tablename <> 'schema_version' ORDER BY tablename"
        )
        return [row["tablename"] for row in rows]

    def where(self) -> str:
        return describe(self.url)
