"""What an organisation's staff set for it: its contact address, its theme, and
(with :mod:`.embedding`) its tracking page — together or one at a time."""

from __future__ import annotations

from typing import Any

from .base import Base
from .embedding import write_tracking_page


class Settings(Base):
    def set_contact_email(self, organisation_id: int, email: str | None) -> None:
        """The address applicants' replies go to; ``None`` for none."""
        with self._write() as conn:
            conn.execute(
                "UPDATE organisations SET contact_email = ? WHERE id = ?",
                (email, organisation_id),
            )

    def set_theme(
        self,
        organisation_id: int,
        primary: str | None,
        radius: int | None,
        font: str | None,
    ) -> None:
        """The look of the organisation's pages; ``None`` keeps the kit's default."""
        with self._write() as conn:
            conn.execute(
                "UPDATE organisations SET theme_primary = ?, theme_radius = ?,"
                " theme_font = ? WHERE id = ?",
                (primary, radius, font, organisation_id),
            )

    def save_settings(
        self,
        organisation_id: int,
        *,
        contact_email: str | None,
        tracking_page: str | None,
        theme: dict[str, Any],
    ) -> None:
        """Every setting at once, in one transaction: all are saved or none.

        ``theme`` holds ``primary``, ``radius`` and ``font`` (``None`` for the
        kit's default)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE organisations SET contact_email = ?, theme_primary = ?,"
                " theme_radius = ?, theme_font = ? WHERE id = ?",
                (
                    contact_email,
                    theme["primary"],
                    theme["radius"],
                    theme["font"],
                    organisation_id,
                ),
            )
            write_tracking_page(conn, organisation_id, tracking_page)
