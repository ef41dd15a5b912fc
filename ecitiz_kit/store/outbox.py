"""The outbox: e-mails written with the event that causes them, then delivered.

A message is queued inside the caller's transaction (:func:`insert_messages`), so
it exists if and only if its event does. Delivery claims one message at a time
with a lease (``claimed_by`` and ``claimed_until``) taken in a write transaction,
so two senders never hold the same message; the lease is long enough to outlast
any SMTP exchange, and only a lease that expired (its sender died) can be taken
over. On PostgreSQL senders claim side by side: each skips the messages
another is claiming (``FOR UPDATE SKIP LOCKED``) instead of waiting for it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from .base import Base, stamp, utcnow

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"

#: The next message due: pending and due, or held under a lease that ran out.
NEXT_DUE = (
    "SELECT id FROM outbox WHERE (status = ? AND next_attempt_at <= ?)"
    " OR (status = ? AND claimed_until <= ?)"
    " ORDER BY next_attempt_at, id LIMIT 1"
)
#: The same on PostgreSQL, skipping a message another sender is claiming.
NEXT_DUE_UNCLAIMED = NEXT_DUE + " FOR UPDATE SKIP LOCKED"

#: What a composed message must give to be queued.
MESSAGE_KEYS = (
    "message_id",
    "kind",
    "organisation_id",
    "submission_id",
    "recipient",
    "reply_to",
    "lang",
    "subject",
    "body_text",
    "body_html",
    "base_url",
)


def insert_messages(
    conn: sqlite3.Connection, messages: Sequence[dict[str, Any]], now: str
) -> None:
    """Queue ``messages`` inside the caller's transaction, due at once."""
    for message in messages:
        conn.execute(
            "INSERT INTO outbox (message_id, kind, organisation_id, submission_id,"
            " recipient, reply_to, lang, subject, body_text, body_html, base_url,"
            " next_attempt_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*(message.get(key) for key in MESSAGE_KEYS), now, now),
        )


class Outbox(Base):
    def queue_messages(self, messages: Sequence[dict[str, Any]]) -> None:
        """Queue messages on their own (no event goes with them)."""
        with self._write() as conn:
            insert_messages(conn, messages, stamp(utcnow()))

    def claim_message(
        self,
        sender: str,
        lease_seconds: int,
        now: datetime | None = None,
        due_by: datetime | None = None,
    ) -> dict[str, Any] | None:
        """Take the next due message for ``sender``; ``None`` when none is due.

        Due means pending with its ``next_attempt_at`` reached by ``due_by``
        (default ``now``), or claimed by a sender whose lease ran out (it crashed:
        the message may have gone out already, which is why its Message-ID never
        changes). The lease lasts ``lease_seconds`` from ``now``. Each claim
        counts an attempt.
        """
        now = now or utcnow()
        now_text, due_text = stamp(now), stamp(due_by or now)
        until = stamp(now + timedelta(seconds=lease_seconds))
        with self._write(serialised=False) as conn:
            row = conn.execute(
                NEXT_DUE if self.dialect == "sqlite" else NEXT_DUE_UNCLAIMED,
                (PENDING, due_text, SENDING, now_text),
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE outbox SET status = ?, claimed_by = ?, claimed_until = ?,"
                " attempts = attempts + 1 WHERE id = ?",
                (SENDING, sender, until, row[0]),
            )
        return self.outbox_message(row[0])

    def message_sent(
        self, message_id: int, sender: str, written: dict[str, Any] | None = None
    ) -> bool:
        """Record a delivery, with the bodies ``written`` at delivery for a
        message queued without them; False if ``sender`` no longer held it."""
        written = written or {}
        with self._write(serialised=False) as conn:
            cursor = conn.execute(
                "UPDATE outbox SET status = ?, sent_at = ?, claimed_by = NULL,"
                " claimed_until = NULL, last_error = NULL,"
                " body_text = coalesce(?, body_text),"
                " body_html = coalesce(?, body_html)"
                " WHERE id = ? AND status = ? AND claimed_by = ?",
                (
                    SENT,
                    stamp(utcnow()),
                    written.get("body_text"),
                    written.get("body_html"),
                    message_id,
                    SENDING,
                    sender,
                ),
            )
        return cursor.rowcount == 1

    def message_not_sent(
        self,
        message_id: int,
        sender: str,
        error: str,
        retry_at: datetime | None,
    ) -> bool:
        """Record a failed attempt: retry at ``retry_at``, or give up if ``None``."""
        with self._write(serialised=False) as conn:
            cursor = conn.execute(
                "UPDATE outbox SET status = ?, next_attempt_at = ?, last_error = ?,"
                " claimed_by = NULL, claimed_until = NULL"
                " WHERE id = ? AND status = ? AND claimed_by = ?",
                (
                    PENDING if retry_at else FAILED,
                    stamp(retry_at or utcnow()),
                    error[:1000],
                    message_id,
                    SENDING,
                    sender,
                ),
            )
        return cursor.rowcount == 1

    def retry_failed_messages(self) -> int:
        """Queue every message given up on again, with a fresh count of attempts."""
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE outbox SET status = ?, attempts = 0, next_attempt_at = ?"
                " WHERE status = ?",
                (PENDING, stamp(utcnow()), FAILED),
            )
        return cursor.rowcount

    def purge_sent_messages(self, sent_before: datetime) -> int:
        """Delete the messages sent before ``sent_before`` (they hold personal
        data and a tracking link); return how many went."""
        with self._write() as conn:
            cursor = conn.execute(
                "DELETE FROM outbox WHERE status = ? AND sent_at < ?",
                (SENT, stamp(sent_before)),
            )
        return cursor.rowcount

    def outbox_message(self, message_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM outbox WHERE id = ?", (message_id,))

    def outbox_messages(self, status: str | None = None) -> list[dict[str, Any]]:
        """Queued messages, oldest first, optionally only those in ``status``."""
        if status is None:
            return self._all("SELECT * FROM outbox ORDER BY id")
        return self._all("SELECT * FROM outbox WHERE status = ? ORDER BY id", (status,))

    def outbox_counts(self) -> dict[str, int]:
        rows = self._all("SELECT status, count(*) AS n FROM outbox GROUP BY status")
        return {row["status"]: row["n"] for row in rows}

    # -- who gets told ---------------------------------------------------------

    def staff_to_notify(self, organisation_id: int) -> list[str]:
        """E-mail addresses of the organisation's staff who asked to hear of new
        requests."""
        rows = self._all(
            "SELECT email FROM staff WHERE organisation_id = ?"
            " AND notify_new_requests = 1 ORDER BY id",
            (organisation_id,),
        )
        return [row["email"] for row in rows]

    def set_staff_notify(self, email: str, notify: bool) -> bool:
        """Turn new-request e-mails on or off for a staff member; False if unknown."""
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE staff SET notify_new_requests = ? WHERE email = ?",
                (int(notify), email),
            )
        return cursor.rowcount == 1
