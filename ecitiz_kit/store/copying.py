"""Copying a SQLite instance into an empty PostgreSQL database, in one transaction.

The table list is read from the SQLite schema, so tables added by later
migrations are copied too; a table or column PostgreSQL lacks stops the copy
rather than being left behind. Rows keep their ids (references, public ids,
serials and tokens stay valid), in an order the foreign keys allow, then every
identity counts on from the highest id. Uploaded files, which SQLite keeps in
the data folder, go into ``stored_files``, and the private signing keys, kept
there as files too, sealed into ``signing_key_secrets``. Before the
commit, every table's rows are counted and every file's SHA-256 read back: any
difference, like any failure, rolls the whole copy back.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from .postgresql import CONNECT_TIMEOUT, WRITER_LOCK

#: SQLite tables with no PostgreSQL counterpart, left behind on purpose.
SQLITE_ONLY = {
    # The SQLite search index: each request's folded words, the requests whose
    # words changed, and how far indexing has gone. PostgreSQL derives its
    # index from the request row itself (the generated column search_terms).
    "search_words",
    "search_stale",
    "search_indexed",
}

#: Tables PostgreSQL keeps by trigger as the rows they count are inserted:
#: copying them too would count every request twice. The trigger is off while
#: the rows go in (within one transaction, each request would add a version of
#: the same few tally rows, and each update walk them all: quadratic), and the
#: table is counted afresh once, before the check compares it with SQLite's.
DERIVED = {
    "submission_tallies": (
        "submissions",
        "submission_tallies_insert",
        "INSERT INTO submission_tallies (organisation_id, form_id, status, n)"
        " SELECT organisation_id, form_id, status, count(*) FROM submissions"
        " GROUP BY organisation_id, form_id, status",
    )
}


class CopyRefused(Exception):
    """The copy cannot be made or did not check out; nothing was written."""


@dataclass
class Copied:
    """What a copy wrote: rows per table, files and keys."""

    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    keys: int = 0


#: Reads a committed upload by stored name; None when it is missing.
ReadFile = Callable[[str], "bytes | None"]
#: Seals the private key of a kid (given its public key), or raises CopyRefused.
SealKey = Callable[[str, bytes], str]


def copied_tables(snapshot: sqlite3.Connection) -> list[str]:
    """The SQLite tables whose rows go to PostgreSQL as they are."""
    rows = snapshot.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"
    ).fetchall()
    virtual = [
        name
        for name, text in rows
        if (text or "").upper().startswith("CREATE VIRTUAL TABLE")
    ]
    tables = []
    for name, _text in rows:
        if name.startswith("sqlite_"):
            # SQLite's own bookkeeping (sqlite_sequence, sqlite_stat1). The
            # schema's version is no table (PRAGMA user_version); PostgreSQL's
            # schema_version is written by its own migrations.
            continue
        if name in virtual or any(name.startswith(f"{v}_") for v in virtual):
            continue  # an FTS5 index and its shadow tables: SQLite's search index
        if name in SQLITE_ONLY or name in DERIVED:
            continue
        tables.append(name)
    return tables


def _sqlite_columns(snapshot: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in snapshot.execute(f'PRAGMA table_info("{table}")')]


def _postgresql_columns(pg: psycopg.Connection[Any]) -> dict[str, dict[str, bool]]:
    """Each table's columns, and whether each is written (not generated)."""
    columns: dict[str, dict[str, bool]] = {}
    for table, column, generated in pg.execute(
        "SELECT table_name, column_name, is_generated FROM information_schema.columns"
        " WHERE table_schema = current_schema() ORDER BY ordinal_position"
    ):
        columns.setdefault(table, {})[column] = generated == "NEVER"
    return columns


def _foreign_keys(pg: psycopg.Connection[Any]) -> list[tuple[str, str]]:
    """(table, table it references) for every foreign key."""
    return [
        (child, parent)
        for child, parent in pg.execute(
            "SELECT c.relname, p.relname FROM pg_constraint k"
            " JOIN pg_class c ON c.oid = k.conrelid"
            " JOIN pg_class p ON p.oid = k.confrelid"
            " WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace"
        )
        if child != parent
    ]


def insert_order(tables: list[str], references: list[tuple[str, str]]) -> list[str]:
    """``tables`` with every table after those it references."""
    ordered: list[str] = []
    waiting = list(tables)
    while waiting:
        ready = [
            t
            for t in waiting
            if not any(c == t and p in waiting for c, p in references)
        ]
        if not ready:
            raise CopyRefused(f"the foreign keys of {', '.join(waiting)} form a cycle")
        ordered += ready
        waiting = [t for t in waiting if t not in ready]
    return ordered


def plan(
    snapshot: sqlite3.Connection, pg: psycopg.Connection[Any]
) -> list[tuple[str, list[str]]]:
    """Each table to copy, in insert order, with the columns to copy; a table or
    column that PostgreSQL lacks stops the copy (its data would be lost)."""
    target = _postgresql_columns(pg)
    tables = []
    for table in copied_tables(snapshot):
        if table not in target:
            raise CopyRefused(
                f"the SQLite table {table} has no PostgreSQL counterpart; this"
                " version cannot copy it"
            )
        columns = _sqlite_columns(snapshot, table)
        missing = [c for c in columns if not target[table].get(c)]
        if missing:
            raise CopyRefused(
                f"the PostgreSQL table {table} has no column {', '.join(missing)};"
                " this version cannot copy it"
            )
        tables.append(table)
    order = insert_order(tables, _foreign_keys(pg))
    return [(table, _sqlite_columns(snapshot, table)) for table in order]


def rows_held(pg: psycopg.Connection[Any]) -> dict[str, int]:
    """Tables of the PostgreSQL database that hold rows, and how many (the
    schema's version excepted)."""
    tables = [
        name
        for (name,) in pg.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            " AND tablename <> 'schema_version' ORDER BY tablename"
        )
    ]
    held = {}
    for table in tables:
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        row = pg.execute(query).fetchone()
        if row and row[0]:
            held[table] = row[0]
    return held


def _copy_rows(
    snapshot: sqlite3.Connection,
    pg: psycopg.Connection[Any],
    table: str,
    columns: list[str],
) -> int:
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    quoted = ", ".join(f'"{column}"' for column in columns)
    read = f'SELECT {quoted} FROM "{table}"'  # noqa: S608 - names from the schema
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table), names)
    count = 0
    with pg.cursor().copy(statement) as copy:
        for row in snapshot.execute(read):
            copy.write_row(row)
            count += 1
    return count


def _derived_triggers(pg: psycopg.Connection[Any], switch: str) -> None:
    # ALTER TABLE is transactional: a copy rolled back leaves them enabled.
    for source, trigger, _rebuild in DERIVED.values():
        pg.execute(
            sql.SQL("ALTER TABLE {} {} TRIGGER {}").format(
                sql.Identifier(source), sql.SQL(switch), sql.Identifier(trigger)
            )
        )


def _reset_identities(pg: psycopg.Connection[Any]) -> None:
    """Every identity column draws its next value above the highest copied."""
    identities = pg.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'"
    ).fetchall()
    for table, column in identities:
        pg.execute(
            sql.SQL(
                "SELECT setval(pg_get_serial_sequence({t}, {c}),"
                " coalesce(max({col}), 1), max({col}) IS NOT NULL) FROM {table}"
            ).format(
                t=sql.Literal(sql.Identifier(table).as_string(pg)),
                c=sql.Literal(column),
                col=sql.Identifier(column),
                table=sql.Identifier(table),
            )
        )


def held_files(snapshot: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """Every uploaded file the database holds: stored name, SHA-256 and whose
    it is (a request's reference, or a file kept before its request is sent)."""
    return snapshot.execute(
        "SELECT a.stored_name, a.sha256, s.reference FROM attachments a"
        " JOIN submissions s ON s.id = a.submission_id"
        " UNION ALL SELECT stored_name, sha256, 'a form not sent yet'"
        " FROM kept_uploads ORDER BY 1"
    ).fetchall()


def _checked_files(
    files: list[tuple[str, str, str]], read: ReadFile
) -> Iterator[tuple[str, bytes]]:
    for name, sha256, whose in files:
        data = read(name)
        if data is None:
            raise CopyRefused(f"missing: the file {name} of {whose}")
        if hashlib.sha256(data).hexdigest() != sha256:
            raise CopyRefused(f"damaged: the file {name} of {whose} (SHA-256 differs)")
        yield name, data


def _copy_files(pg: psycopg.Connection[Any], files: Iterable[tuple[str, bytes]]) -> int:
    count = 0
    with pg.cursor().copy("COPY stored_files (stored_name, data) FROM STDIN") as copy:
        for name, data in files:
            copy.write_row((name, data))
            count += 1
    return count


def _copy_keys(
    snapshot: sqlite3.Connection, pg: psycopg.Connection[Any], seal: SealKey
) -> int:
    keys = snapshot.execute(
        "SELECT kid, public_key, created_at FROM signing_keys ORDER BY kid"
    ).fetchall()
    with pg.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO signing_key_secrets (kid, created_at, sealed_key)"
            " VALUES (%s, %s, %s)",
            [(kid, created, seal(kid, public)) for kid, public, created in keys],
        )
    return len(keys)


def check(
    snapshot: sqlite3.Connection,
    pg: psycopg.Connection[Any],
    copied: Copied,
    files: list[tuple[str, str, str]],
) -> None:
    """Raise :class:`CopyRefused` unless PostgreSQL holds what the snapshot does:
    as many rows per table, every file with its SHA-256, every key, and counts
    of requests by form and status kept right."""
    for table in copied.rows:
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        (there,) = pg.execute(query).fetchone() or (0,)
        (here,) = snapshot.execute(f'SELECT count(*) FROM "{table}"').fetchone()  # noqa: S608
        if there != here:
            raise CopyRefused(
                f"check failed: {table} has {there} row(s) in PostgreSQL,"
                f" {here} in SQLite"
            )
    wanted = {name: sha256 for name, sha256, _whose in files}
    stored = dict(
        pg.execute(
            "SELECT stored_name, encode(sha256(data), 'hex') FROM stored_files"
        ).fetchall()
    )
    for name in wanted.keys() | stored.keys():
        if stored.get(name) != wanted.get(name):
            raise CopyRefused(f"check failed: the stored file {name} differs")
    (keys,) = pg.execute("SELECT count(*) FROM signing_key_secrets").fetchone() or (0,)
    (named,) = snapshot.execute("SELECT count(*) FROM signing_keys").fetchone()
    if keys != named:
        raise CopyRefused(f"check failed: {keys} sealed key(s) for {named} key(s)")
    tallies = set(
        pg.execute(
            "SELECT organisation_id, form_id, status, n FROM submission_tallies"
            " WHERE n <> 0"
        ).fetchall()
    )
    counted = set(
        snapshot.execute(
            "SELECT organisation_id, form_id, status, count(*) FROM submissions"
            " GROUP BY organisation_id, form_id, status"
        ).fetchall()
    )
    if tallies != counted:
        raise CopyRefused("check failed: the request counts by status differ")


def copy_database(
    snapshot_path: Path, url: str, read: ReadFile, seal: SealKey
) -> Copied:
    """Copy the SQLite database at ``snapshot_path`` (a copy nobody writes to)
    into the migrated, empty PostgreSQL database at ``url``, with the files
    ``read`` gives and the keys ``seal`` seals, and check it, in one
    transaction: on any refusal or failure nothing is written."""
    snapshot = sqlite3.connect(snapshot_path)
    try:
        with psycopg.connect(
            url, autocommit=True, connect_timeout=CONNECT_TIMEOUT
        ) as pg:
            with pg.transaction():
                # Hosts' writes wait; a second copy finds this one's rows.
                pg.execute("SELECT pg_advisory_xact_lock(%s)", [WRITER_LOCK])
                held = rows_held(pg)
                if held:
                    tables = ", ".join(f"{t} ({n})" for t, n in held.items())
                    raise CopyRefused(
                        f"the target database is not empty: rows in {tables};"
                        " copy into a new, empty database"
                    )
                copied = Copied()
                _derived_triggers(pg, "DISABLE")
                for table, columns in plan(snapshot, pg):
                    copied.rows[table] = _copy_rows(snapshot, pg, table, columns)
                for _source, _trigger, rebuild in DERIVED.values():
                    pg.execute(rebuild)
                _derived_triggers(pg, "ENABLE")
                _reset_identities(pg)
                files = held_files(snapshot)
                copied.files = _copy_files(pg, _checked_files(files, read))
                copied.keys = _copy_keys(snapshot, pg, seal)
                check(snapshot, pg, copied, files)
            return copied
    except psycopg.Error as exc:
        lines = str(exc).strip().splitlines()
        reason = " ".join(lines[0].split()) if lines else type(exc).__name__
        raise CopyRefused(f"the copy failed: {reason}") from None
    except sqlite3.Error as exc:
        raise CopyRefused(f"the SQLite database could not be read: {exc}") from None
    finally:
        snapshot.close()
