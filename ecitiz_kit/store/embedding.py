"""Embedding settings of an organisation: the page of its own site where
applicants follow their requests (the status mode)."""

from __future__ import annotations

import sqlite3

from .base import Base


def write_tracking_page(
    conn: sqlite3.Connection, organisation_id: int, url: str | None
) -> None:
    """Set or remove the tracking page, inside a write transaction."""
    if url is None:
        conn.execute(
            "DELETE FROM tracking_pages WHERE organisation_id = ?", (organisation_id,)
        )
    else:
        conn.execute(
            "INSERT INTO tracking_pages (organisation_id, url) VALUES (?, ?)"
            " ON CONFLICT (organisation_id) DO UPDATE SET url = excluded.url",
            (organisation_id, url),
        )


class Embedding(Base):
    def set_tracking_page(self, organisation_id: int, url: str | None) -> None:
        """Point tracking links at ``url`` (a page embedding the status mode), or
        back at the kit's own tracking page with ``None``."""
        with self._write() as conn:
            write_tracking_page(conn, organisation_id, url)

    def tracking_page(self, organisation_id: int) -> str | None:
        """The organisation's own tracking page, while its site may embed the kit.

        A page whose site was removed from the allowed origins is ignored (tracking
        links go back to the kit's page): that site may no longer show the status,
        and its new owner must never receive tracking codes.
        """
        row = self._one(
            "SELECT t.url FROM tracking_pages t JOIN allowed_origins a"
            " ON a.organisation_id = t.organisation_id"
            " AND substr(t.url, 1, length(a.origin) + 1) = a.origin || '/'"
            " WHERE t.organisation_id = ?",
            (organisation_id,),
        )
        return row["url"] if row else None
