"""Requests sent back for changes: amendments and the versions they replaced."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import EcitizError, NonceUsed
from .applicants import applicant_key
from .base import Base, stamp, utcnow
from .companies import insert_company_check
from .signals import refresh_signals
from .submissions import SPENT_NONCE, insert_attachments
from .webhooks import AMENDED as WEBHOOK_AMENDED
from .webhooks import queue_deliveries

AMENDED = "amended"  # the ``kind`` of the event an amendment writes


class NotAmendable(EcitizError):
    """The request is not (or no longer) waiting for the applicant's changes."""


def _amendable(conn: sqlite3.Connection, submission_id: int) -> bool:
    # Open while the last status change was a send-back (in_review -> submitted);
    # amendments themselves do not close it, re-examining does.
    row = conn.execute(
        "SELECT e.from_status, e.to_status, s.status FROM events e"
        " JOIN submissions s ON s.id = e.submission_id"
        " WHERE e.submission_id = ? AND (e.kind IS NULL OR e.kind != 'amended')"
        " ORDER BY e.id DESC LIMIT 1",
        (submission_id,),
    ).fetchone()
    return row is not None and row == ("in_review", "submitted", "submitted")


class Amendments(Base):
    def amendable(self, submission_id: int) -> bool:
        """Whether the applicant may change the request now (it was sent back)."""
        with self._read() as conn:
            return _amendable(conn, submission_id)

    def amend_submission(
        self,
        submission_id: int,
        *,
        answers: dict[str, Any],
        form_version: int,
        nonce: str,
        attachments: Sequence[dict[str, Any]],
        replaced_fields: Sequence[str],
        before_commit: Callable[[], None] = lambda: None,
        applicant: tuple[str, str] | None = None,
        identifiers: tuple[str | None, str | None] = (None, None),
        due_on: str | None = None,
        company: tuple[str, str, dict[str, Any] | None] | None = None,
    ) -> int:
        """Store new answers of a sent-back request, keeping the previous ones.

        The previous answers become a numbered version with the ids of their files;
        files of ``replaced_fields`` are marked replaced (kept, not deleted); the
        new files are added; an ``amended`` event is written. Returns the number of
        the version kept. ``applicant`` is the ``(name, email)`` the new answers
        give (left out, it is filled from them at the next start-up), and
        ``identifiers`` its ``(siret_key, iban_key)``: the signals of the requests
        that shared the old values or share the new ones are set again.
        ``due_on`` (an ISO day), when given, is the request's new due date: the
        decision period starts again from the changes asked for. ``company``,
        what a company register says of the new SIRET, replaces what it said
        before (see :mod:`.companies`). Raises
        :class:`NotAmendable` or :class:`NonceUsed`, and then nothing is written.
        """
        now = stamp(utcnow())
        with self._write() as conn:
            if not _amendable(conn, submission_id):
                raise NotAmendable(submission_id)
            used = conn.execute(SPENT_NONCE, (nonce, nonce)).fetchone()
            if used:
                raise NonceUsed(submission_id)
            old = conn.execute(
                "SELECT answers, form_version, created_at, organisation_id,"
                " siret_key, iban_key, applicant_key FROM submissions WHERE id = ?",
                (submission_id,),
            ).fetchone()
            previous = conn.execute(
                "SELECT max(number), max(replaced_at) FROM submission_versions"
                " WHERE submission_id = ?",
                (submission_id,),
            ).fetchone()
            number = (previous[0] or 0) + 1
            current = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM attachments WHERE submission_id = ?"
                    " AND replaced_in IS NULL ORDER BY id",
                    (submission_id,),
                )
            ]
            conn.execute(
                "INSERT INTO submission_versions (submission_id, number,"
                " form_version, answers, created_at, replaced_at, attachments, nonce)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    submission_id,
                    number,
                    old[1],
                    old[0],
                    previous[1] or old[2],
                    now,
                    json.dumps(current),
                    nonce,
                ),
            )
            for field in replaced_fields:
                conn.execute(
                    "UPDATE attachments SET replaced_in = ? WHERE submission_id = ?"
                    " AND field = ? AND replaced_in IS NULL",
                    (number, submission_id, field),
                )
            insert_attachments(conn, submission_id, attachments, now)
            email_key = applicant_key(applicant[1] if applicant else None)
            conn.execute(
                "UPDATE submissions SET answers = ?, form_version = ?, updated_at = ?,"
                " applicant_name = ?, applicant_email = ?, applicant_key = ?,"
                " siret_key = ?, iban_key = ?, due_on = coalesce(?, due_on)"
                " WHERE id = ?",
                (
                    json.dumps(answers, ensure_ascii=False, separators=(",", ":")),
                    form_version,
                    now,
                    *(applicant or (None, None)),
                    email_key,
                    *identifiers,
                    due_on,
                    submission_id,
                ),
            )
            # What this request shared before, and what it shares now.
            for siret, iban, email in (old[4:7], (*identifiers, email_key)):
                refresh_signals(conn, old[3], siret=siret, iban=iban, email=email)
            if company is not None:
                insert_company_check(conn, submission_id, *company, now)
            event = conn.execute(
                "INSERT INTO events (submission_id, created_at, actor, from_status,"
                " to_status, kind) VALUES (?, ?, 'applicant', 'submitted',"
                " 'submitted', ?)",
                (submission_id, now, AMENDED),
            )
            queue_deliveries(
                conn, submission_id, event.lastrowid or 0, [WEBHOOK_AMENDED], now
            )
            before_commit()
        return number

    def versions(self, submission_id: int) -> list[dict[str, Any]]:
        """The earlier answers of a request, oldest first (without the answers)."""
        return self._all(
            "SELECT number, form_version, created_at, replaced_at"
            " FROM submission_versions WHERE submission_id = ? ORDER BY number",
            (submission_id,),
        )

    def version(self, submission_id: int, number: int) -> dict[str, Any] | None:
        """One earlier version with its answers and its files."""
        row = self._one(
            "SELECT * FROM submission_versions WHERE submission_id = ? AND number = ?",
            (submission_id, number),
        )
        if row is None:
            return None
        row["answers"] = json.loads(row["answers"])
        # The ids are read here: JSON functions differ between backends.
        ids = [int(i) for i in json.loads(row.pop("attachments"))] or [0]
        marks = ", ".join("?" * len(ids))
        row["files"] = self._all(
            "SELECT * FROM attachments WHERE submission_id = ?"  # noqa: S608
            f" AND id IN ({marks}) ORDER BY id",
            (submission_id, *ids),
        )
        return row
