"""Paying accepted requests: the organisation's debtor account and the SEPA
credit-transfer files (batches) made from its requests.

A request is in at most one open batch: the unique index
``payment_items_open_once`` refuses a second one, whatever the caller checked.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from ..errors import EcitizError
from .base import Base, stamp, utcnow

OPEN, PAID, CANCELLED = "open", "paid", "cancelled"


class AlreadyInBatch(EcitizError):
    """A request is already in an open payment file; nothing was written."""

    def __init__(self, submission_id: int) -> None:
        super().__init__(submission_id)
        self.submission_id = submission_id


class InPaymentBatch(EcitizError):
    """A request held by an open payment file cannot change status but through
    that file (marked paid); nothing was written."""

    def __init__(self, batch_id: int) -> None:
        super().__init__(batch_id)
        self.batch_id = batch_id


class BatchClosed(EcitizError):
    """The payment file was already marked paid or cancelled."""


def open_batch_of(conn: sqlite3.Connection, submission_id: int) -> int | None:
    """The open batch holding a request, if one does (inside a transaction)."""
    row = conn.execute(
        "SELECT batch_id FROM payment_items WHERE submission_id = ? AND open = 1",
        (submission_id,),
    ).fetchone()
    return row[0] if row else None


class Payments(Base):
    def set_debtor_account(
        self, organisation_id: int, name: str | None, iban: str | None, bic: str | None
    ) -> None:
        """The account the organisation pays from; ``None`` everywhere for none."""
        with self._write() as conn:
            conn.execute(
                "UPDATE organisations SET debtor_name = ?, debtor_iban = ?,"
                " debtor_bic = ? WHERE id = ?",
                (name, iban, bic, organisation_id),
            )

    def create_batch(
        self,
        organisation_id: int,
        *,
        key: str,
        message_id: str,
        items: Sequence[tuple[int, int]],
        xml: bytes,
        left_out: Sequence[tuple[str, str]] = (),
        actor: str,
    ) -> tuple[int, bool]:
        """Record a payment file of ``items`` (request id, amount in cents) and
        return ``(batch id, created)``. Not ``created``: this ``key`` was used
        already, and the first batch is returned, changed in nothing.

        Raises :class:`AlreadyInBatch` when a request is in another open batch,
        and ``ValueError`` when one is no longer accepted or not of the
        organisation; then nothing is written."""
        now = stamp(utcnow())
        with self._write() as conn:
            found = conn.execute(
                "SELECT id FROM payment_batches WHERE organisation_id = ? AND key = ?",
                (organisation_id, key),
            ).fetchone()
            if found:
                return found[0], False
            for submission_id, _amount in items:
                row = conn.execute(
                    "SELECT status FROM submissions WHERE id = ?"
                    " AND organisation_id = ?",
                    (submission_id, organisation_id),
                ).fetchone()
                if row is None or row[0] != "accepted":
                    raise ValueError(f"request {submission_id} cannot be paid")
            cursor = conn.execute(
                "INSERT INTO payment_batches (organisation_id, key, message_id,"
                " transfers, total_cents, xml, left_out, created_by, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    organisation_id,
                    key,
                    message_id,
                    len(items),
                    sum(amount for _sid, amount in items),
                    xml,
                    json.dumps([list(pair) for pair in left_out]),
                    actor,
                    now,
                ),
            )
            batch_id = cursor.lastrowid
            assert batch_id is not None
            for submission_id, amount in items:
                try:
                    conn.execute(
                        "INSERT INTO payment_items (batch_id, submission_id,"
                        " amount_cents) VALUES (?, ?, ?)",
                        (batch_id, submission_id, amount),
                    )
                except sqlite3.IntegrityError:
                    raise AlreadyInBatch(submission_id) from None
        return batch_id, True

    def close_batch(
        self, organisation_id: int, batch_id: int, state: str, *, actor: str
    ) -> None:
        """Mark an open batch paid or cancelled; its requests may then go in
        another one. Raises :class:`BatchClosed` if it is not open."""
        if state not in (PAID, CANCELLED):
            raise ValueError(f"not a closed state: {state!r}")
        now = stamp(utcnow())
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE payment_batches SET state = ?, closed_by = ?, closed_at = ?"
                " WHERE id = ? AND organisation_id = ? AND state = 'open'",
                (state, actor, now, batch_id, organisation_id),
            )
            if cursor.rowcount != 1:
                raise BatchClosed(batch_id)
            conn.execute(
                "UPDATE payment_items SET open = 0 WHERE batch_id = ?", (batch_id,)
            )

    def payment_batch(
        self, organisation_id: int, batch_id: int
    ) -> dict[str, Any] | None:
        """One of the organisation's batches (without its XML)."""
        row = self._one(
            "SELECT id, organisation_id, key, message_id, state, transfers,"
            " total_cents, left_out, created_by, created_at, closed_by, closed_at"
            " FROM payment_batches WHERE id = ? AND organisation_id = ?",
            (batch_id, organisation_id),
        )
        if row is not None:
            row["left_out"] = [tuple(pair) for pair in json.loads(row["left_out"])]
        return row

    def payment_batch_for_key(self, organisation_id: int, key: str) -> int | None:
        """The batch a payment form's ``key`` already made, if one."""
        row = self._one(
            "SELECT id FROM payment_batches WHERE organisation_id = ? AND key = ?",
            (organisation_id, key),
        )
        return row["id"] if row else None

    def payment_batch_xml(self, organisation_id: int, batch_id: int) -> bytes | None:
        row = self._one(
            "SELECT xml FROM payment_batches WHERE id = ? AND organisation_id = ?",
            (batch_id, organisation_id),
        )
        return bytes(row["xml"]) if row else None

    def payment_batches(
        self, organisation_id: int, limit: int = 200
    ) -> list[dict[str, Any]]:
        """The organisation's batches, newest first."""
        return self._all(
            "SELECT id, message_id, state, transfers, total_cents, created_by,"
            " created_at, closed_by, closed_at FROM payment_batches"
            " WHERE organisation_id = ? ORDER BY id DESC LIMIT ?",
            (organisation_id, limit),
        )

    def payment_items(self, batch_id: int) -> list[dict[str, Any]]:
        """A batch's transfers with their requests' reference and status."""
        return self._all(
            "SELECT i.submission_id, i.amount_cents, s.reference, s.status"
            " FROM payment_items i JOIN submissions s ON s.id = i.submission_id"
            " WHERE i.batch_id = ? ORDER BY s.reference",
            (batch_id,),
        )

    def open_payment_batch(self, submission_id: int) -> int | None:
        """The open batch holding a request, if one does."""
        with self._read() as conn:
            return open_batch_of(conn, submission_id)
