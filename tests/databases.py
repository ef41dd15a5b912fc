"""The databases the tests run on: SQLite files in temporary folders, and a
PostgreSQL database made for the test session.

``--backend`` (or ``ECITIZ_TEST_BACKENDS``) lists the backends, ``sqlite`` and
``postgresql`` by default; every test that uses the ``app`` or ``store``
fixture runs once per backend. The PostgreSQL server is found at
``ECITIZ_TEST_POSTGRESQL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``);
the session creates a database of a random name there, migrates it once and
drops it at the end, and each test starts from empty tables. A server that
cannot be reached skips the PostgreSQL tests saying why, except in CI
(``CI=true``), where it fails them.
"""

from __future__ import annotations

import os
import secrets

import pytest

BACKENDS = ("sqlite", "postgresql")
SERVER = os.environ.get(
    "ECITIZ_TEST_POSTGRESQL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def unavailable(reason: str) -> None:
    # In CI every backend must run: a missing server is a failure, not a skip.
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL tests must run in CI, but {reason}")
    pytest.skip(reason)


def _url(params: dict) -> str:
    from urllib.parse import quote

    user = quote(str(params.get("user") or ""))
    password = params.get("password")
    auth = f"{user}:{quote(str(password))}@" if password else f"{user}@" if user else ""
    host = params.get("host") or "127.0.0.1"
    port = params.get("port") or "5432"
    return f"postgresql://{auth}{host}:{port}/{params['dbname']}"


class Session:
    """A database made for this test session on the PostgreSQL server."""

    def __init__(self, server: str) -> None:
        import psycopg
        from psycopg import conninfo

        self.psycopg = psycopg
        self.server = server
        self.name = f"ecitiz_test_{secrets.token_hex(6)}"
        self.url = _url({**conninfo.conninfo_to_dict(server), "dbname": self.name})
        with psycopg.connect(server, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self._conn = None

    def migrated(self) -> Session:
        from ecitiz_kit.store import Store

        store = Store(self.url)
        store.migrate()
        store.close()
        self._conn = self.psycopg.connect(self.url, autocommit=True)
        self.tables = [
            row[0]
            for row in self._conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                " AND tablename <> 'schema_version'"
            )
        ]
        return self

    def empty(self) -> None:
        """Every table empty, every id counting from 1 again."""
        names = ", ".join(f'"{name}"' for name in self.tables)
        self._conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")

    def drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        with self.psycopg.connect(self.server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def open_session(server: str = SERVER) -> Session:
    """The session's database, or a skip (a failure in CI) saying why not."""
    try:
        import psycopg
    except ImportError:
        unavailable("psycopg is not installed (pip install -e '.[test]')")
    try:
        return Session(server).migrated()
    except psycopg.OperationalError as exc:
        lines = str(exc).strip().splitlines()
        reason = " ".join(lines[0].split()) if lines else type(exc).__name__
        unavailable(f"PostgreSQL cannot be reached at {server}: {reason}")
        raise  # unreachable: unavailable() always raises
