"""Uploaded files kept in the database (PostgreSQL), so that every host serves
them.

A file is written in the transaction that records its attachment or kept-upload
row, so a request is never committed without its files, nor a file without a row
that holds it; a deferred trigger removes it, at commit, with the last row that
does. SQLite keeps its files in the data folder instead
(:class:`~ecitiz_kit.store.uploads.UploadArea`) and never calls these.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from .base import Base


def insert_files(conn: sqlite3.Connection, items: Sequence[Mapping[str, Any]]) -> None:
    """Store the bytes of the files among ``items`` that carry them (``data``),
    inside the caller's transaction; files already stored carry none."""
    rows = [(item["stored_name"], item["data"]) for item in items if "data" in item]
    if rows:
        conn.executemany(
            "INSERT INTO stored_files (stored_name, data) VALUES (?, ?)", rows
        )


class Files(Base):
    def stored_file(self, stored_name: str) -> bytes | None:
        """The bytes of a stored file, None if the database has none."""
        row = self._one(
            "SELECT data FROM stored_files WHERE stored_name = ?", (stored_name,)
        )
        return bytes(row["data"]) if row else None

    def store_held_file(self, stored_name: str, data: bytes) -> bool:
        """Store a file a row already holds (one written to a data folder before
        files moved into the database); False if no row holds it. A file the
        database has already is left as it is."""
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO stored_files (stored_name, data)"
                " SELECT ?, ? WHERE (EXISTS (SELECT 1 FROM attachments"
                " WHERE stored_name = ?) OR EXISTS (SELECT 1 FROM kept_uploads"
                " WHERE stored_name = ?)) ON CONFLICT (stored_name) DO NOTHING",
                (stored_name, data, stored_name, stored_name),
            )
            if cursor.rowcount == 1:
                return True
            return (
                conn.execute(
                    "SELECT 1 FROM stored_files WHERE stored_name = ?",
                    (stored_name,),
                ).fetchone()
                is not None
            )
