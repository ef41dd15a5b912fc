"""Drafts saved to finish later, and files kept before their request exists.

A kept file belongs to a *holder*: the form ticket it came with
(``ticket:<nonce>``) or the draft it was saved in (``draft:<key>``). Nobody else
can list or remove it. Submitting moves a request's kept files to its
attachments and spends its draft, in the request's own transaction.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ..errors import NonceUsed
from .base import Base, stamp, utcnow
from .files import insert_files
from .outbox import insert_messages


def ticket_holder(nonce: str) -> str:
    """The holder of the files kept with the form ticket of ``nonce``."""
    return f"ticket:{nonce}"


def draft_holder(draft_key: str) -> str:
    """The holder of the files saved in the draft ``draft_key``."""
    return f"draft:{draft_key}"


def _two(holders: Sequence[str]) -> tuple[str, str]:
    """The holders of a form: its ticket and, maybe, its draft (one query
    shape for both cases: a missing second is the first again)."""
    if len(holders) > 2:
        raise ValueError("a form has a ticket and at most one draft")
    return holders[0], holders[-1]


def claim_kept(conn: sqlite3.Connection, stored_names: Sequence[str]) -> None:
    """Forget the kept rows of files that just became a request's attachments
    (inside the caller's transaction); raise if one was removed meanwhile."""
    for name in stored_names:
        cursor = conn.execute("DELETE FROM kept_uploads WHERE stored_name = ?", (name,))
        if cursor.rowcount != 1:
            raise LookupError("a kept file was removed meanwhile")


def spend_draft(
    conn: sqlite3.Connection, draft_key: str, submission_id: int, now: str
) -> None:
    """Mark a draft spent by ``submission_id`` and forget its answers (inside the
    caller's transaction): from now on its link leads to the receipt.

    Raises :class:`NonceUsed` with the first request if the draft was spent
    already (the same draft sent from two pages), so nothing is written twice.
    """
    cursor = conn.execute(
        "UPDATE drafts SET answers = '{}', submission_id = ?, spent_at = ?,"
        " updated_at = ? WHERE draft_key = ? AND spent_at IS NULL",
        (submission_id, now, now, draft_key),
    )
    if cursor.rowcount == 0:
        row = conn.execute(
            "SELECT submission_id FROM drafts WHERE draft_key = ?", (draft_key,)
        ).fetchone()
        if row is not None and row[0] is not None:
            raise NonceUsed(row[0])


class Drafts(Base):
    def keep_upload(
        self,
        holder: str,
        organisation_id: int,
        form_id: str,
        attachment: dict[str, Any],
    ) -> dict[str, Any]:
        """Record a checked file (already staged) for ``holder``; return its row."""
        row = {
            "upload_key": secrets.token_urlsafe(12),
            "holder": holder,
            "organisation_id": organisation_id,
            "form_id": form_id,
            **{
                key: attachment[key]
                for key in (
                    "field",
                    "stored_name",
                    "filename",
                    "content_type",
                    "size",
                    "sha256",
                )
            },
            "created_at": stamp(utcnow()),
        }
        with self._write() as conn:
            conn.execute(
                "INSERT INTO kept_uploads (upload_key, holder, organisation_id,"
                " form_id, field, stored_name, filename, content_type, size, sha256,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                tuple(row.values()),
            )
            insert_files(conn, [attachment])
        return row

    def kept_uploads(
        self, organisation_id: int, form_id: str, holders: Sequence[str]
    ) -> list[dict[str, Any]]:
        """The files ``holders`` keep for one form, oldest first."""
        if not holders:
            return []
        return self._all(
            "SELECT * FROM kept_uploads WHERE organisation_id = ? AND form_id = ?"
            " AND holder IN (?, ?) ORDER BY id",
            (organisation_id, form_id, *_two(holders)),
        )

    def forget_upload(self, upload_key: str, holders: Sequence[str]) -> dict | None:
        """Remove the kept file ``upload_key`` if one of ``holders`` holds it;
        return its row (the caller removes the file), else ``None``."""
        if not holders:
            return None
        with self._write() as conn:
            cursor = conn.execute(
                "DELETE FROM kept_uploads WHERE upload_key = ?"
                " AND holder IN (?, ?) RETURNING *",
                (upload_key, *_two(holders)),
            )
            names = [column[0] for column in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor]
        return rows[0] if rows else None

    def kept_upload_exists(self, stored_name: str) -> bool:
        return (
            self._one(
                "SELECT 1 AS x FROM kept_uploads WHERE stored_name = ?", (stored_name,)
            )
            is not None
        )

    def save_draft(
        self,
        *,
        draft_key: str,
        create: bool,
        organisation_id: int,
        form_id: str,
        answers: dict[str, list[str]],
        lang: str,
        expires_at: datetime,
        ticket_nonce: str,
        messages: Sequence[dict[str, Any]] = (),
    ) -> None:
        """Save ``answers`` as the new draft ``draft_key`` (``create``) or over
        that unspent draft, with the files the ticket kept, and queue
        ``messages``; :class:`LookupError` if the draft is spent or gone."""
        now = stamp(utcnow())
        payload = json.dumps(answers, ensure_ascii=False, separators=(",", ":"))
        with self._write() as conn:
            if create:
                conn.execute(
                    "INSERT INTO drafts (draft_key, organisation_id, form_id,"
                    " answers, lang, created_at, updated_at, expires_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        draft_key,
                        organisation_id,
                        form_id,
                        payload,
                        lang,
                        now,
                        now,
                        stamp(expires_at),
                    ),
                )
            else:
                cursor = conn.execute(
                    "UPDATE drafts SET answers = ?, lang = ?, updated_at = ?,"
                    " expires_at = ? WHERE draft_key = ? AND organisation_id = ?"
                    " AND form_id = ? AND spent_at IS NULL",
                    (
                        payload,
                        lang,
                        now,
                        stamp(expires_at),
                        draft_key,
                        organisation_id,
                        form_id,
                    ),
                )
                if cursor.rowcount != 1:
                    raise LookupError("the draft was sent or removed meanwhile")
            conn.execute(
                "UPDATE kept_uploads SET holder = ? WHERE holder = ?"
                " AND organisation_id = ? AND form_id = ?",
                (
                    draft_holder(draft_key),
                    ticket_holder(ticket_nonce),
                    organisation_id,
                    form_id,
                ),
            )
            insert_messages(conn, messages, now)

    def draft(self, draft_key: str) -> dict[str, Any] | None:
        """The draft ``draft_key``, its answers read back (spent ones too)."""
        row = self._one("SELECT * FROM drafts WHERE draft_key = ?", (draft_key,))
        if row is not None:
            row["answers"] = json.loads(row["answers"])
        return row

    def purge_drafts(self, now: datetime) -> tuple[int, list[str]]:
        """Remove the drafts expired at ``now`` with their kept files' rows;
        return how many drafts went and the files to remove."""
        cutoff = stamp(now)
        with self._write() as conn:
            keys = [
                row[0]
                for row in conn.execute(
                    "SELECT draft_key FROM drafts WHERE expires_at <= ?", (cutoff,)
                )
            ]
            files = self._drop_kept(conn, [draft_holder(key) for key in keys])
            conn.executemany(
                "DELETE FROM drafts WHERE draft_key = ?", [(key,) for key in keys]
            )
        return len(keys), files

    def purge_ticket_uploads(self, before: datetime) -> list[str]:
        """Forget the files of form tickets kept before ``before`` (their
        tickets have expired unused); return the files to remove."""
        with self._write() as conn:
            cursor = conn.execute(
                "DELETE FROM kept_uploads WHERE holder LIKE 'ticket:%'"
                " AND created_at < ? RETURNING stored_name",
                (stamp(before),),
            )
            return [row[0] for row in cursor]

    @staticmethod
    def _drop_kept(conn: sqlite3.Connection, holders: list[str]) -> list[str]:
        files: list[str] = []
        for holder in holders:
            cursor = conn.execute(
                "DELETE FROM kept_uploads WHERE holder = ? RETURNING stored_name",
                (holder,),
            )
            files.extend(row[0] for row in cursor)
        return files
