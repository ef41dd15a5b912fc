"""Webhook endpoints and their deliveries.

A delivery is queued inside the transaction that writes its event
(:func:`queue_deliveries`), so it exists if and only if the event does. The
worker claims one due delivery at a time under a lease (``claimed_by``,
``claimed_until``) taken in a write transaction, as the outbox does, so two
workers never hold the same delivery; only a lease that ran out (its worker
died) is taken over, and the delivery then goes out again with the same
``webhook-id``, which the receiver can recognise.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from .base import Base, stamp, utcnow
from .outbox import insert_messages

PENDING, SENDING, DELIVERED, FAILED = "pending", "sending", "delivered", "failed"

SUBMITTED = "request.submitted"
STATUS_CHANGED = "request.status_changed"
AMENDED = "request.amended"
PAID = "request.paid"
#: Every event an endpoint may ask for, in the order the page lists them.
EVENT_TYPES = (SUBMITTED, STATUS_CHANGED, AMENDED, PAID)
#: The status whose arrival is also told as :data:`PAID`.
PAID_STATUS = "paid"

#: Recent deliveries the page shows per endpoint.
RECENT_DELIVERIES = 20

_ENDPOINT_COLUMNS = (
    "id, organisation_id, url, events, include_answers, created_by, created_at,"
    " failures, last_attempt_at, last_outcome, disabled_at"
)


def event_types(from_status: str | None, to_status: str, kind: str | None) -> list[str]:
    """The webhook events an event row stands for."""
    if kind == "amended":
        return [AMENDED]
    if from_status is None:
        return [SUBMITTED]
    found = [STATUS_CHANGED]
    if to_status == PAID_STATUS:
        found.append(PAID)
    return found


def new_message_id() -> str:
    """A delivery's ``webhook-id``: random, so it tells nothing of the volume."""
    return "msg_" + secrets.token_urlsafe(18)


def queue_deliveries(
    conn: sqlite3.Connection,
    submission_id: int,
    event_id: int,
    types: Sequence[str],
    now: str,
) -> int:
    """Queue, inside the caller's transaction, one delivery per type in
    ``types`` to each enabled endpoint of the request's organisation that asked
    for it; return how many. The payload carries ids, the reference, the form,
    the status and dates only: answers are added when sent, for the endpoints
    that include them."""
    endpoints = conn.execute(
        "SELECT w.id, w.events, s.organisation_id, o.slug, s.reference, s.form_id,"
        " s.status, s.created_at, e.from_status, e.to_status, e.created_at"
        " FROM submissions s JOIN organisations o ON o.id = s.organisation_id"
        " JOIN webhooks w ON w.organisation_id = s.organisation_id"
        " JOIN events e ON e.id = ?"
        " WHERE s.id = ? AND w.disabled_at IS NULL ORDER BY w.id",
        (event_id, submission_id),
    ).fetchall()
    # Each endpoint's events in the order it lists them, those of ``types`` only.
    rows = [
        (webhook_id, event_type, *rest)
        for webhook_id, events, *rest in endpoints
        for event_type in json.loads(events)
        if event_type in types
    ]
    for webhook_id, event_type, *rest in rows:
        org_id, slug, reference, form_id, status, created, before, after, at = rest
        payload = {
            "type": event_type,
            "timestamp": at,
            "data": {
                "event_id": event_id,
                "request_id": submission_id,
                "organisation": slug,
                "reference": reference,
                "form": form_id,
                "status": after,
                "previous_status": before,
                "submitted_at": created,
                "changed_at": at,
            },
        }
        conn.execute(
            "INSERT INTO webhook_deliveries (webhook_id, message_id, event_type,"
            " submission_id, payload, next_attempt_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                webhook_id,
                new_message_id(),
                event_type,
                submission_id,
                json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
                now,
                now,
            ),
        )
    return len(rows)


class Webhooks(Base):
    def create_webhook(
        self,
        organisation_id: int,
        *,
        url: str,
        events: Sequence[str],
        include_answers: bool,
        sealed_secret: str,
        created_by: str,
    ) -> int:
        """Record a new endpoint and return its id."""
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO webhooks (organisation_id, url, events, include_answers,"
                " sealed_secret, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    organisation_id,
                    url,
                    json.dumps(list(events)),
                    int(include_answers),
                    sealed_secret,
                    created_by,
                    stamp(utcnow()),
                ),
            )
        return int(cursor.lastrowid or 0)

    def webhooks(self, organisation_id: int) -> list[dict[str, Any]]:
        """The organisation's endpoints, oldest first (never their secrets)."""
        rows = self._all(
            f"SELECT {_ENDPOINT_COLUMNS} FROM webhooks"  # noqa: S608 - constant
            " WHERE organisation_id = ? ORDER BY id",
            (organisation_id,),
        )
        return [_endpoint(row) for row in rows]

    def webhook(self, organisation_id: int, webhook_id: int) -> dict[str, Any] | None:
        """One endpoint of the organisation (None for another organisation's)."""
        row = self._one(
            f"SELECT {_ENDPOINT_COLUMNS} FROM webhooks"  # noqa: S608 - constant
            " WHERE id = ? AND organisation_id = ?",
            (webhook_id, organisation_id),
        )
        return _endpoint(row) if row else None

    def delete_webhook(self, organisation_id: int, webhook_id: int) -> bool:
        """Delete an endpoint and its deliveries; False if there is no such one."""
        with self._write() as conn:
            conn.execute(
                "DELETE FROM webhook_deliveries WHERE webhook_id IN"
                " (SELECT id FROM webhooks WHERE id = ? AND organisation_id = ?)",
                (webhook_id, organisation_id),
            )
            cursor = conn.execute(
                "DELETE FROM webhooks WHERE id = ? AND organisation_id = ?",
                (webhook_id, organisation_id),
            )
        return cursor.rowcount == 1

    def enable_webhook(self, organisation_id: int, webhook_id: int) -> bool:
        """Enable a disabled endpoint again, with a fresh count of failures; its
        deliveries still pending are due at once. False if it was not disabled."""
        now = stamp(utcnow())
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE webhooks SET disabled_at = NULL, failures = 0,"
                " last_outcome = NULL"
                " WHERE id = ? AND organisation_id = ? AND disabled_at IS NOT NULL",
                (webhook_id, organisation_id),
            )
            if cursor.rowcount != 1:
                return False
            conn.execute(
                "UPDATE webhook_deliveries SET next_attempt_at = ?"
                " WHERE webhook_id = ? AND status = ?",
                (now, webhook_id, PENDING),
            )
        return True

    def webhook_deliveries(
        self, webhook_id: int, limit: int = RECENT_DELIVERIES
    ) -> list[dict[str, Any]]:
        """An endpoint's latest deliveries, newest first (without payloads)."""
        return self._all(
            "SELECT id, message_id, event_type, status, attempts, next_attempt_at,"
            " response_status, last_error, created_at, delivered_at"
            " FROM webhook_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT ?",
            (webhook_id, limit),
        )

    # -- the worker ---------------------------------------------------------------

    def claim_webhook_delivery(
        self,
        owner: str,
        lease_seconds: float,
        now: datetime | None = None,
        due_by: datetime | None = None,
        skip: Sequence[int] = (),
    ) -> dict[str, Any] | None:
        """Take the next due delivery of an enabled endpoint for ``owner``, with
        its endpoint's URL, sealed secret and settings; ``None`` when none is due.

        Due means pending with its ``next_attempt_at`` reached by ``due_by``
        (default ``now``), or held by a worker whose lease ran out. Endpoints
        whose ids are in ``skip`` are left alone. Each claim counts an attempt.
        """
        now = now or utcnow()
        now_text, due_text = stamp(now), stamp(due_by or now)
        # Only placeholders go into the text: the ids themselves are bound.
        skipped = f" AND d.webhook_id NOT IN ({', '.join('?' * len(skip))})"
        with self._write() as conn:
            # The statuses are written out, not bound, so that SQLite uses the
            # partial index of the deliveries still to send.
            row = conn.execute(
                "SELECT d.id FROM webhook_deliveries d"  # noqa: S608
                " JOIN webhooks w ON w.id = d.webhook_id"
                " WHERE d.status IN ('pending', 'sending')"
                " AND w.disabled_at IS NULL AND ("
                " (d.status = 'pending' AND d.next_attempt_at <= ?)"
                " OR (d.status = 'sending' AND d.claimed_until <= ?))"
                f"{skipped if skip else ''}"
                " ORDER BY d.next_attempt_at, d.id LIMIT 1",
                (due_text, now_text, *skip),
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE webhook_deliveries SET status = ?, claimed_by = ?,"
                " claimed_until = ?, attempts = attempts + 1 WHERE id = ?",
                (SENDING, owner, stamp(now + timedelta(seconds=lease_seconds)), row[0]),
            )
        return self._one(
            "SELECT d.*, w.organisation_id, w.url, w.sealed_secret,"
            " w.include_answers, w.failures"
            " FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id"
            " WHERE d.id = ?",
            (row[0],),
        )

    def webhook_delivered(
        self, delivery_id: int, owner: str, response_status: int
    ) -> bool:
        """Record a delivery the endpoint accepted, and clear the endpoint's
        failures; False if ``owner`` no longer held it."""
        now = stamp(utcnow())
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE webhook_deliveries SET status = ?, delivered_at = ?,"
                " response_status = ?, last_error = NULL, claimed_by = NULL,"
                " claimed_until = NULL WHERE id = ? AND status = ? AND claimed_by = ?",
                (DELIVERED, now, response_status, delivery_id, SENDING, owner),
            )
            if cursor.rowcount != 1:
                return False
            conn.execute(
                "UPDATE webhooks SET failures = 0, last_attempt_at = ?,"
                " last_outcome = ? WHERE id ="
                " (SELECT webhook_id FROM webhook_deliveries WHERE id = ?)",
                (now, DELIVERED, delivery_id),
            )
        return True

    def webhook_not_delivered(
        self,
        delivery_id: int,
        owner: str,
        *,
        error: str,
        response_status: int | None,
        retry_at: datetime | None,
        max_failures: int,
        messages: Callable[[dict[str, Any]], Sequence[dict[str, Any]]],
    ) -> dict[str, Any] | None:
        """Record a failed attempt: retry at ``retry_at``, or give the delivery
        up if ``None``. The endpoint's failures go up by one; at
        ``max_failures`` the endpoint is disabled, and the e-mails
        ``messages(endpoint)`` composes are queued in the same transaction.

        Returns the endpoint as it now is; ``None`` when ``owner`` no longer
        held the delivery (and nothing was written)."""
        now = stamp(utcnow())
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?,"
                " last_error = ?, response_status = ?, claimed_by = NULL,"
                " claimed_until = NULL WHERE id = ? AND status = ? AND claimed_by = ?",
                (
                    PENDING if retry_at else FAILED,
                    stamp(retry_at) if retry_at else now,
                    error[:1000],
                    response_status,
                    delivery_id,
                    SENDING,
                    owner,
                ),
            )
            if cursor.rowcount != 1:
                return None
            (webhook_id,) = conn.execute(
                "SELECT webhook_id FROM webhook_deliveries WHERE id = ?",
                (delivery_id,),
            ).fetchone()
            conn.execute(
                "UPDATE webhooks SET failures = failures + 1, last_attempt_at = ?,"
                " last_outcome = ? WHERE id = ?",
                (now, FAILED, webhook_id),
            )
            disabled = conn.execute(
                "UPDATE webhooks SET disabled_at = ? WHERE id = ?"
                " AND disabled_at IS NULL AND failures >= ?",
                (now, webhook_id, max_failures),
            )
            cursor = conn.execute(
                f"SELECT {_ENDPOINT_COLUMNS} FROM webhooks"  # noqa: S608 - constant
                " WHERE id = ?",
                (webhook_id,),
            )
            names = [column[0] for column in cursor.description]
            endpoint = _endpoint(dict(zip(names, cursor.fetchone(), strict=True)))
            if disabled.rowcount == 1:
                insert_messages(conn, messages(endpoint), now)
        return endpoint

    def purge_webhook_deliveries(self, before: datetime) -> int:
        """Delete the deliveries delivered or given up on before ``before``;
        return how many went."""
        with self._write() as conn:
            cursor = conn.execute(
                "DELETE FROM webhook_deliveries WHERE status IN (?, ?)"
                " AND coalesce(delivered_at, next_attempt_at) < ?",
                (DELIVERED, FAILED, stamp(before)),
            )
        return cursor.rowcount

    def disabled_webhooks(self) -> list[dict[str, Any]]:
        """Every disabled endpoint, with its organisation's slug (for doctor)."""
        return self._all(
            "SELECT w.id, w.url, w.disabled_at, o.slug FROM webhooks w"
            " JOIN organisations o ON o.id = w.organisation_id"
            " WHERE w.disabled_at IS NOT NULL ORDER BY w.id"
        )

    def delivery_counts(self) -> dict[str, int]:
        """Deliveries per status, for ``doctor`` and the tests."""
        rows = self._all(
            "SELECT status, count(*) AS n FROM webhook_deliveries GROUP BY status"
        )
        return {row["status"]: row["n"] for row in rows}


def _endpoint(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "events": json.loads(row["events"]),
        "include_answers": bool(row["include_answers"]),
    }
