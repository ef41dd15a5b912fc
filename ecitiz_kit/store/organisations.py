"""Organisations, the sites allowed to embed them, their forms and their staff."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from .base import Base, stamp, utcnow

#: When a procedure opens and closes (aware datetimes; ``None``: no limit).
Schedule = tuple[datetime | None, datetime | None]


class Organisations(Base):
    # -- organisations ----------------------------------------------------------

    def create_organisation(
        self, slug: str, name: str, contact_email: str | None = None
    ) -> dict[str, Any]:
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO organisations (slug, name, contact_email, created_at)"
                " VALUES (?, ?, ?, ?)",
                (slug, name, contact_email, stamp(utcnow())),
            )
        return self.organisation_by_id(cursor.lastrowid)  # type: ignore[return-value]

    def organisation(self, slug: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM organisations WHERE slug = ?", (slug,))

    def organisation_by_id(self, organisation_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM organisations WHERE id = ?", (organisation_id,))

    def organisations_with_forms(self) -> list[dict[str, Any]]:
        """Organisations that have at least one form enabled, by slug."""
        return self._all(
            "SELECT * FROM organisations o WHERE EXISTS"
            " (SELECT 1 FROM forms f WHERE f.organisation_id = o.id) ORDER BY o.slug",
            (),
        )

    def add_allowed_origin(self, organisation_id: int, origin: str) -> bool:
        """Let ``origin`` embed the organisation's forms; False if it already could."""
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO allowed_origins (organisation_id, origin)"
                " VALUES (?, ?) ON CONFLICT DO NOTHING",
                (organisation_id, origin),
            )
        return cursor.rowcount == 1

    def allowed_origins(self, organisation_id: int) -> list[str]:
        rows = self._all(
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
        issue_on_submit: bool = False,
        schedule: Schedule | None = None,
        after_retention: str | None = None,
    ) -> dict[str, Any]:
        """Enable a form or update it; ``definition`` is given for custom forms.

        ``after_retention`` (``delete`` or ``anonymise``) is what happens to its
        requests once kept ``retention_days``; without it, a new form deletes them
        and a form enabled again keeps its choice.

        ``schedule`` sets when it opens and closes in the same transaction (so a
        procedure enabled to open later is never open meanwhile); without it, a
        form enabled again keeps its schedule."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO forms (organisation_id, form_id, version, definition,"
                " title_override, retention_days, issue_on_submit, enabled_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (organisation_id, form_id) DO UPDATE SET"
                " version = excluded.version, definition = excluded.definition,"
                " title_override = excluded.title_override,"
                " retention_days = excluded.retention_days,"
                " issue_on_submit = excluded.issue_on_submit",
                (
                    organisation_id,
                    form_id,
                    version,
                    definition,
                    title_override,
                    retention_days,
                    int(issue_on_submit),
                    stamp(utcnow()),
                ),
            )
            if schedule is not None:
                _set_schedule(conn, organisation_id, form_id, schedule)
            if after_retention is not None:
                conn.execute(
                    "UPDATE forms SET after_retention = ?"
                    " WHERE organisation_id = ? AND form_id = ?",
                    (after_retention, organisation_id, form_id),
                )
        return self.enabled_form(organisation_id, form_id)  # type: ignore[return-value]

    def set_form_schedule(
        self, organisation_id: int, form_id: str, schedule: Schedule
    ) -> dict[str, Any] | None:
        """Set when an enabled form opens and closes; ``None`` if it is not enabled."""
        with self._write() as conn:
            if not _set_schedule(conn, organisation_id, form_id, schedule):
                return None
        return self.enabled_form(organisation_id, form_id)

    def enabled_form(self, organisation_id: int, form_id: str) -> dict[str, Any] | None:
        return self._one(
            "SELECT * FROM forms WHERE organisation_id = ? AND form_id = ?",
            (organisation_id, form_id),
        )

    def organisation_form(
        self, slug: str, form_id: str
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """An organisation and one of its enabled forms, in one query (hot path)."""
        row = self._one(
            "SELECT o.id AS o_id, o.slug AS o_slug, o.name AS o_name,"
            " o.contact_email AS o_contact_email, o.created_at AS o_created_at,"
            " o.theme_primary AS o_theme_primary, o.theme_radius AS o_theme_radius,"
            " o.theme_font AS o_theme_font, f.*"
            " FROM organisations o JOIN forms f ON f.organisation_id = o.id"
            " WHERE o.slug = ? AND f.form_id = ?",
            (slug, form_id),
        )
        if row is None:
            return None
        organisation = {
            key[2:]: row.pop(key) for key in list(row) if key.startswith("o_")
        }
        return organisation, row

    def enabled_forms(self, organisation_id: int) -> list[dict[str, Any]]:
        return self._all(
            "SELECT * FROM forms WHERE organisation_id = ? ORDER BY form_id",
            (organisation_id,),
        )

    # -- staff ------------------------------------------------------------------

    def create_staff(
        self, organisation_id: int, email: str, password_hash: str
    ) -> dict[str, Any]:
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO staff (organisation_id, email, password_hash, created_at)"
                " VALUES (?, ?, ?, ?)",
                (organisation_id, email, password_hash, stamp(utcnow())),
            )
        return self._one(  # type: ignore[return-value]
            "SELECT * FROM staff WHERE id = ?", (cursor.lastrowid,)
        )

    def staff_by_email(self, email: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM staff WHERE email = ?", (email,))


def _set_schedule(
    conn: sqlite3.Connection, organisation_id: int, form_id: str, schedule: Schedule
) -> bool:
    opens_at, closes_at = schedule
    cursor = conn.execute(
        "UPDATE forms SET opens_at = ?, closes_at = ?"
        " WHERE organisation_id = ? AND form_id = ?",
        (
            stamp(opens_at) if opens_at else None,
            stamp(closes_at) if closes_at else None,
            organisation_id,
            form_id,
        ),
    )
    return cursor.rowcount == 1
