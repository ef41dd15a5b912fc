"""Requests whose retention period is over: finding them, telling admins, and
removing them with everything that belongs to them, one request per transaction.

Every table with a foreign key to ``submissions`` is found in the schema itself
(SQLite's ``PRAGMA foreign_key_list``, PostgreSQL's ``pg_constraint``), so a table
added later cannot be forgotten: its rows go with the request unless
:data:`KEPT_WHEN_ANONYMISED` or :data:`DETACHED` says otherwise.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from .base import Base, dialect_of, stamp
from .outbox import insert_messages
from .signals import refresh_signals
from .submissions import new_public_id

DELETE, ANONYMISE = "delete", "anonymise"
AFTER_RETENTION = (DELETE, ANONYMISE)

#: Rows an anonymised request keeps, for its history without personal data:
#: its status changes (their messages are emptied) and who it was assigned to.
KEPT_WHEN_ANONYMISED = frozenset({"events", "assignments"})

#: Rows that outlive their request, no longer attached to it: documents stay
#: until they expire so that they still verify and can be revoked.
DETACHED = frozenset({"documents"})

#: Outbox rows not sent yet; sent ones keep their record, without their content.
QUEUED = ("pending", "sending")


def referencing_tables(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Every ``(table, column)`` with a foreign key to ``submissions``."""
    if dialect_of(conn) == "postgresql":
        return [
            (table, column)
            for table, column in conn.execute(
                "SELECT t.relname, a.attname FROM pg_constraint c"
                " JOIN pg_class t ON t.oid = c.conrelid"
                " JOIN pg_attribute a ON a.attrelid = c.conrelid"
                " AND a.attnum = ANY (c.conkey)"
                " WHERE c.contype = 'f' AND c.confrelid = 'submissions'::regclass"
                " ORDER BY t.relname, a.attname"
            ).fetchall()
        ]
    found = []
    tables = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'"
        " AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ).fetchall()
    for (table,) in tables:
        for key in conn.execute(f'PRAGMA foreign_key_list("{table}")').fetchall():
            # (id, seq, table, from, to, on_update, on_delete, match)
            if key[2] == "submissions":
                found.append((table, key[3]))
    return found


class Retention(Base):
    def retention_forms(self) -> list[dict[str, Any]]:
        """Every enabled form with its retention period and what happens after."""
        return self._all(
            "SELECT f.organisation_id, f.form_id, f.retention_days,"
            " f.after_retention, o.slug AS organisation, o.name AS organisation_name"
            " FROM forms f JOIN organisations o ON o.id = f.organisation_id"
            " ORDER BY f.organisation_id, f.form_id"
        )

    def requests_unchanged_since(
        self, organisation_id: int, form_id: str, before: datetime
    ) -> list[dict[str, Any]]:
        """A form's requests not anonymised whose last change is before ``before``."""
        return self._all(
            "SELECT id, organisation_id, form_id, reference, status, updated_at,"
            " purge_announced_at FROM submissions WHERE organisation_id = ?"
            " AND form_id = ? AND updated_at < ? AND anonymised_at IS NULL"
            " ORDER BY updated_at, id",
            (organisation_id, form_id, stamp(before)),
        )

    def active_admin_emails(self, organisation_id: int) -> list[str]:
        return [
            row["email"]
            for row in self._all(
                "SELECT email FROM staff WHERE organisation_id = ? AND role = 'admin'"
                " AND active = 1 ORDER BY id",
                (organisation_id,),
            )
        ]

    def announce_purge(
        self,
        requests: Sequence[dict[str, Any]],
        messages: Sequence[dict[str, Any]],
        now: datetime,
    ) -> int:
        """Record that ``requests`` (as last read: id and ``updated_at``) were
        announced, and queue ``messages``, in one transaction; return how many
        were recorded (a request changed meanwhile is not)."""
        when = stamp(now)
        with self._write() as conn:
            recorded = 0
            for row in requests:
                recorded += conn.execute(
                    "UPDATE submissions SET purge_announced_at = ?"
                    " WHERE id = ? AND updated_at = ?",
                    (when, row["id"], row["updated_at"]),
                ).rowcount
            if recorded:
                insert_messages(conn, messages, when)
        return recorded

    def purge_request(
        self,
        submission_id: int,
        updated_at: str,
        after: str,
        *,
        kept_answers: Callable[[dict[str, Any]], dict[str, Any]],
        now: datetime,
        before_commit: Callable[[], None] = lambda: None,
    ) -> list[str] | None:
        """Delete or anonymise one request (``after``) with all that belongs to
        it, in one transaction; return the stored names of its files, to remove
        once committed. ``None`` when the request changed since ``updated_at``
        was read, or is gone: then nothing is written.

        ``kept_answers`` picks, from the answers, those kept for statistics when
        anonymising. ``before_commit`` runs last inside the transaction.
        """
        if after not in AFTER_RETENTION:
            raise ValueError(f"not a retention action: {after!r}")
        with self._write() as conn:
            row = conn.execute(
                "SELECT answers, organisation_id, siret_key, iban_key, applicant_key"
                " FROM submissions WHERE id = ? AND updated_at = ?"
                " AND anonymised_at IS NULL",
                (submission_id, updated_at),
            ).fetchone()
            if row is None:
                return None
            files = [
                name
                for (name,) in conn.execute(
                    "SELECT stored_name FROM attachments WHERE submission_id = ?",
                    (submission_id,),
                )
            ]
            _forget_documents(conn, submission_id, detach=after == DELETE)
            _forget_messages(conn, submission_id)
            keep = KEPT_WHEN_ANONYMISED if after == ANONYMISE else frozenset()
            for table, column in referencing_tables(conn):
                if table in DETACHED or table in keep:
                    continue
                # Names read from the schema above, never from input.
                conn.execute(
                    f'DELETE FROM "{table}" WHERE "{column}" = ?',  # noqa: S608
                    (submission_id,),
                )
            if after == DELETE:
                conn.execute("DELETE FROM submissions WHERE id = ?", (submission_id,))
            else:
                _anonymise(conn, submission_id, kept_answers(json.loads(row[0])), now)
            # What it shared with other requests is no longer shared by it.
            refresh_signals(conn, row[1], siret=row[2], iban=row[3], email=row[4])
            before_commit()
        return files

    def forget_expired_documents(self, today: str) -> int:
        """Remove documents whose request is gone once they have expired (before
        ``today``, an ISO date); return how many."""
        with self._write() as conn:
            cursor = conn.execute(
                "DELETE FROM documents WHERE submission_id IS NULL AND valid_to < ?",
                (today,),
            )
        return cursor.rowcount


def _forget_documents(
    conn: sqlite3.Connection, submission_id: int, *, detach: bool
) -> None:
    """Keep what verifying and revoking a document needs (serial, key, dates,
    revocation), nothing personal: its rendered PDF and the signed payload (which
    names the holder) go; deleting, the document is detached from the request."""
    conn.execute(
        "DELETE FROM document_files WHERE document_id IN"
        " (SELECT id FROM documents WHERE submission_id = ?)",
        (submission_id,),
    )
    conn.execute(
        "UPDATE documents SET holder = '', payload = '' WHERE submission_id = ?",
        (submission_id,),
    )
    if detach:
        conn.execute(
            "UPDATE documents SET submission_id = NULL WHERE submission_id = ?",
            (submission_id,),
        )


def _forget_messages(conn: sqlite3.Connection, submission_id: int) -> None:
    # The outbox has no foreign key (its record outlives the request): e-mails
    # not sent yet are dropped, the others keep their date and kind only.
    conn.execute(
        "DELETE FROM outbox WHERE submission_id = ? AND status IN (?, ?)",
        (submission_id, *QUEUED),
    )
    conn.execute(
        "UPDATE outbox SET recipient = '', reply_to = NULL, subject = '',"
        " body_text = '', body_html = '', last_error = NULL, submission_id = NULL"
        " WHERE submission_id = ?",
        (submission_id,),
    )


def _anonymise(
    conn: sqlite3.Connection,
    submission_id: int,
    answers: dict[str, Any],
    now: datetime,
) -> None:
    conn.execute(
        "UPDATE events SET public_message = NULL, private_note = NULL"
        " WHERE submission_id = ?",
        (submission_id,),
    )
    # A new public id: the receipt and tracking links name the old one, and now
    # lead where every unknown link does. Empty applicant columns (not NULL, which
    # start-up would fill again from the answers) leave the search index too.
    conn.execute(
        "UPDATE submissions SET answers = ?, applicant_name = '',"
        " applicant_email = '', applicant_key = NULL, siret_key = NULL,"
        " iban_key = NULL, shares_siret = 0, shares_iban = 0, shares_email = 0,"
        " iban_sirets = 0,"
        " public_id = ?, anonymised_at = ?"
        " WHERE id = ?",
        (
            json.dumps(answers, ensure_ascii=False, separators=(",", ":")),
            new_public_id(),
            stamp(now),
            submission_id,
        ),
    )
