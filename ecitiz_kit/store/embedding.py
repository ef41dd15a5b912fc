"""Embedding settings of an organisation: the page of its own site where
applicants follow their requests (the status mode)."""

from __future__ import annotations

from .base import Base


class Embedding(Base):
    def set_tracking_page(self, organisation_id: int, url: str | None) -> None:
        """Point tracking links at ``url`` (a page embedding the status mode), or
        back at the kit's own tracking page with ``None``."""
        with self._write() as conn:
            if url is None:
                conn.execute(
                    "DELETE FROM tracking_pages WHERE organisation_id = ?",
                    (organisation_id,),
                )
            else:
                conn.execute(
                    "INSERT INTO tracking_pages (organisation_id, url) VALUES (?, ?)"
                    " ON CONFLICT (organisation_id) DO UPDATE SET url = excluded.url",
                    (organisation_id, url),
                )

    def tracking_page(self, organisation_id: int) -> str | None:
        row = self._one(
            "SELECT url FROM tracking_pages WHERE organisation_id = ?",
            (organisation_id,),
        )
        return row["url"] if row else None
