"""Every line of SQL: schema migrations, reads and the write transactions.

The storage interface is the :class:`Store` class. It takes and returns plain values
(dicts, ints, strings) and knows nothing of Flask; a PostgreSQL backend can later
implement the same methods. SQLite runs in WAL mode with ``synchronous=FULL`` so an
acknowledged write survives a power cut, and every write transaction starts with
``BEGIN IMMEDIATE`` so two writers never deadlock halfway.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from .errors import NonceUsed

#: Each entry upgrades the schema by one version (``PRAGMA user_version``).
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE organisations (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        contact_email TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE allowed_origins (
        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
        origin TEXT NOT NULL,
        PRIMARY KEY (organisation_id, origin)
    );
    CREATE TABLE forms (
        id INTEGER PRIMARY KEY,
        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
        form_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        definition TEXT,
        title_override TEXT,
        retention_days INTEGER NOT NULL,
        enabled_at TEXT NOT NULL,
        UNIQUE (organisation_id, form_id)
    );
    CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
        form_id TEXT NOT NULL,
        form_version INTEGER NOT NULL,
        reference TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL,
        answers TEXT NOT NULL,
        lang TEXT NOT NULL,
        link_version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX submissions_by_org_date
        ON submissions (organisation_id, created_at DESC, id DESC);
    CREATE TABLE attachments (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        field TEXT NOT NULL,
        stored_name TEXT NOT NULL UNIQUE,
        filename TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX attachments_by_submission ON attachments (submission_id);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        created_at TEXT NOT NULL,
        actor TEXT NOT NULL,
        from_status TEXT,
        to_status TEXT NOT NULL,
        public_message TEXT,
        private_note TEXT
    );
    CREATE INDEX events_by_submission ON events (submission_id, id);
    CREATE TABLE used_nonces (
        nonce TEXT PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        used_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX used_nonces_by_date ON used_nonces (used_at);
    CREATE TABLE staff (
        id INTEGER PRIMARY KEY,
        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        session_version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL
    );
    """,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    # Fixed-width ISO text sorts in time order, which the indexes rely on.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_stamp(text: str) -> datetime:
    """Read a timestamp written by the store back into an aware datetime."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class Store:
    """The kit's data in one SQLite file; one connection per thread."""

    def __init__(self, path: str | Path, busy_timeout_ms: int = 5000) -> None:
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()

    # -- connection and transactions -------------------------------------------

    @property
    def db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
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
    def _write(self) -> Iterator[sqlite_utils.Database]:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        return next(self.db.query(sql, params), None)

    def migrate(self) -> int:
        """Bring the schema up to date; return the schema version."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = self.db
        db.execute("PRAGMA journal_mode = WAL")
        with self._write() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in _statements(script):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")
        return len(MIGRATIONS)

    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    # -- organisations ----------------------------------------------------------

    def create_organisation(
        self, slug: str, name: str, contact_email: str | None = None
    ) -> dict[str, Any]:
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO organisations (slug, name, contact_email, created_at)"
                " VALUES (?, ?, ?, ?)",
                (slug, name, contact_email, _stamp(utcnow())),
            )
        return self.organisation_by_id(cursor.lastrowid)  # type: ignore[return-value]

    def organisation(self, slug: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM organisations WHERE slug = ?", (slug,))

    def organisation_by_id(self, organisation_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM organisations WHERE id = ?", (organisation_id,))

    def add_allowed_origin(self, organisation_id: int, origin: str) -> bool:
        """Let ``origin`` embed the organisation's forms; False if it already could."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO allowed_origins (organisation_id, origin)"
                " VALUES (?, ?)",
                (organisation_id, origin),
            )
        return cursor.rowcount == 1

    def allowed_origins(self, organisation_id: int) -> list[str]:
        rows = self.db.query(
            "SELECT origin FROM allowed_origins WHERE organisation_id = ?"
            " ORDER BY origin",
            (organisation_id,),
        )
        return [row["origin"] for row in rows]

    # -- forms ---------------------------------------------------------------

    def enable_form(
        self,
        organisation_id: int,
        form_id: str,
        version: int,
        definition: str | None,
        retention_days: int,
        title_override: str | None = None,
    ) -> dict[str, Any]:
        """Enable a form or update it; ``definition`` is given for custom forms."""
        with self._write() as db:
            db.execute(
                "INSERT INTO forms (organisation_id, form_id, version, definition,"
                " title_override, retention_days, enabled_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (organisation_id, form_id) DO UPDATE SET"
                " version = excluded.version, definition = excluded.definition,"
                " title_override = excluded.title_override,"
                " retention_days = excluded.retention_days",
                (
                    organisation_id,
                    form_id,
                    version,
                    definition,
                    title_override,
                    retention_days,
                    _stamp(utcnow()),
                ),
            )
        return self.enabled_form(organisation_id, form_id)  # type: ignore[return-value]

    def enabled_form(self, organisation_id: int, form_id: str) -> dict[str, Any] | None:
        return self._one(
            "SELECT * FROM forms WHERE organisation_id = ? AND form_id = ?",
            (organisation_id, form_id),
        )

    def enabled_forms(self, organisation_id: int) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "SELECT * FROM forms WHERE organisation_id = ? ORDER BY form_id",
                (organisation_id,),
            )
        )

    # -- submissions ------------------------------------------------------------

    def submission_for_nonce(self, nonce: str) -> int | None:
        row = self._one(
            "SELECT submission_id FROM used_nonces WHERE nonce = ?", (nonce,)
        )
        return row["submission_id"] if row else None

    def create_submission(
        self,
        *,
        organisation_id: int,
        form_id: str,
        form_version: int,
        answers: dict[str, Any],
        lang: str,
        nonce: str,
        attachments: Sequence[dict[str, Any]],
        make_reference: Callable[[], str],
        status: str,
        before_commit: Callable[[], None] = lambda: None,
    ) -> dict[str, Any]:
        """Store a submission, its attachments, its first event and its nonce at once.

        Raises :class:`NonceUsed` when the form ticket was already spent, and nothing
        is written. ``before_commit`` runs last inside the transaction: a failure
        there (say, a file that cannot be moved into place) rolls everything back.
        """
        stamp = _stamp(utcnow())
        with self._write() as db:
            used = db.execute(
                "SELECT submission_id FROM used_nonces WHERE nonce = ?", (nonce,)
            ).fetchone()
            if used:
                raise NonceUsed(used[0])
            payload = json.dumps(answers, ensure_ascii=False, separators=(",", ":"))
            for _attempt in range(10):
                try:
                    cursor = db.execute(
                        "INSERT INTO submissions (organisation_id, form_id,"
                        " form_version, reference, status, answers, lang,"
                        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            organisation_id,
                            form_id,
                            form_version,
                            make_reference(),
                            status,
                            payload,
                            lang,
                            stamp,
                            stamp,
                        ),
                    )
                    break
                except sqlite3.IntegrityError as exc:
                    if "submissions.reference" not in str(exc):
                        raise
            else:  # pragma: no cover - 2**40 references make this unreachable
                raise RuntimeError("could not draw an unused reference")
            submission_id = cursor.lastrowid
            for item in attachments:
                db.execute(
                    "INSERT INTO attachments (submission_id, field, stored_name,"
                    " filename, content_type, size, sha256, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        submission_id,
                        item["field"],
                        item["stored_name"],
                        item["filename"],
                        item["content_type"],
                        item["size"],
                        item["sha256"],
                        stamp,
                    ),
                )
            db.execute(
                "INSERT INTO events (submission_id, created_at, actor, from_status,"
                " to_status) VALUES (?, ?, 'applicant', NULL, ?)",
                (submission_id, stamp, status),
            )
            db.execute(
                "INSERT INTO used_nonces (nonce, submission_id, used_at)"
                " VALUES (?, ?, ?)",
                (nonce, submission_id, stamp),
            )
            before_commit()
        return self.submission(submission_id)  # type: ignore[arg-type, return-value]

    def submission(self, submission_id: int) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM submissions WHERE id = ?", (submission_id,))
        if row is not None:
            row["answers"] = json.loads(row["answers"])
        return row

    def submission_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM submissions").fetchone()[0]

    def attachments(self, submission_id: int) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "SELECT * FROM attachments WHERE submission_id = ? ORDER BY id",
                (submission_id,),
            )
        )

    def attachment_exists(self, stored_name: str) -> bool:
        return (
            self._one(
                "SELECT 1 AS x FROM attachments WHERE stored_name = ?", (stored_name,)
            )
            is not None
        )

    def events(self, submission_id: int) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "SELECT * FROM events WHERE submission_id = ? ORDER BY id",
                (submission_id,),
            )
        )

    # -- staff ------------------------------------------------------------------

    def create_staff(
        self, organisation_id: int, email: str, password_hash: str
    ) -> dict[str, Any]:
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO staff (organisation_id, email, password_hash, created_at)"
                " VALUES (?, ?, ?, ?)",
                (organisation_id, email, password_hash, _stamp(utcnow())),
            )
        return self._one(  # type: ignore[return-value]
            "SELECT * FROM staff WHERE id = ?", (cursor.lastrowid,)
        )

    def staff_by_email(self, email: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM staff WHERE email = ?", (email,))

    def table_counts(self) -> dict[str, int]:
        """Rows per table (for checks that a refused request wrote nothing)."""
        names = [t for t in self.db.table_names() if not t.startswith("sqlite_")]
        return {
            # Table names come from SQLite's own catalogue, not from input.
            name: self.db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608
            for name in names
        }


def _statements(script: str) -> Iterator[str]:
    for statement in script.split(";"):
        if statement.strip():
            yield statement
