"""Submissions with their attachments, events and spent form tickets."""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import EcitizError, NonceUsed
from .applicants import applicant_key
from .base import Base, stamp, undoable, utcnow
from .companies import insert_company_check
from .documents import insert_document
from .drafts import claim_kept, spend_draft
from .files import insert_files
from .jobs import mark_moved
from .outbox import insert_messages
from .payments import InPaymentBatch, open_batch_of
from .signals import refresh_signals
from .webhooks import SUBMITTED, event_types, queue_deliveries

#: The submission a nonce was spent on: a ticket is used once, for a new request or
#: for an amendment.
SPENT_NONCE = (
    "SELECT id FROM submissions WHERE nonce = ?"
    " UNION ALL SELECT submission_id FROM submission_versions WHERE nonce = ?"
)


def insert_attachments(
    conn: sqlite3.Connection,
    submission_id: int,
    attachments: Sequence[dict[str, Any]],
    now: str,
) -> None:
    """Record a submission's stored files (inside the caller's transaction), with
    their bytes where the database keeps them."""
    conn.executemany(
        "INSERT INTO attachments (submission_id, field, stored_name, filename,"
        " content_type, size, sha256, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                submission_id,
                item["field"],
                item["stored_name"],
                item["filename"],
                item["content_type"],
                item["size"],
                item["sha256"],
                now,
            )
            for item in attachments
        ],
    )
    insert_files(conn, attachments)


def new_public_id() -> str:
    """The random id a request is known by outside the staff pages (in tokens):
    unlike the row id, it tells nobody how many requests there are."""
    return secrets.token_urlsafe(16)


class StaleStatus(EcitizError):
    """A request changed status since it was read; nothing was written."""


class Submissions(Base):
    def submission_for_nonce(self, nonce: str) -> int | None:
        """The submission a form ticket's nonce was spent on (by submitting it or
        by amending it), if it was."""
        row = self._one(SPENT_NONCE, (nonce, nonce))
        return row["id"] if row else None

    def create_submission(
        self,
        *,
        organisation_id: int,
        form_id: str,
        form_version: int,
        answers: dict[str, Any],
        lang: str,
        nonce: str,
        attachments: Sequence[dict[str, Any]],
        make_reference: Callable[[], str],
        status: str,
        document: dict[str, Any] | None = None,
        before_commit: Callable[[], None] = lambda: None,
        applicant: tuple[str, str] | None = None,
        messages: Callable[[dict[str, Any]], Sequence[dict[str, Any]]] = lambda s: (),
        due_on: str | None = None,
        identifiers: tuple[str | None, str | None] = (None, None),
        company: tuple[str, str, dict[str, Any] | None] | None = None,
        kept: Sequence[str] = (),
        draft_key: str | None = None,
    ) -> dict[str, Any]:
        """Store a submission, its attachments, its first event and its nonce at once.

        ``document`` (an attestation issued on submission) is stored with them, and
        the e-mails ``messages`` composes from the new submission are queued in the
        outbox in the same transaction. ``applicant`` is the applicant's
        ``(name, email)`` the staff search on; left out, it is filled from the
        answers at the next start-up. ``due_on`` is the day a decision is due,
        ``identifiers`` the request's ``(siret_key, iban_key)``; the signals of
        the requests sharing them are set in the same transaction (left out,
        both are filled at the next start-up). ``company`` is what a company
        register said of the request's SIRET: ``(siret, state, record)`` (see
        :mod:`.companies`).

        Raises :class:`NonceUsed` when the form ticket was already spent, and nothing
        is written. ``kept`` names the files among ``attachments`` that were
        kept before (their kept rows go); ``draft_key``, the draft this request
        spends. ``before_commit`` runs last inside the transaction: a failure
        there (say, a file that cannot be moved into place) rolls everything back.
        """
        now = stamp(utcnow())
        public_id = new_public_id()
        with self._write() as conn:
            # A ticket spent on a new request is refused by the insert itself
            # (the nonce is unique); one spent on an amendment is looked up.
            used = conn.execute(
                "SELECT submission_id FROM submission_versions WHERE nonce = ?",
                (nonce,),
            ).fetchone()
            if used:
                raise NonceUsed(used[0])
            payload = json.dumps(answers, ensure_ascii=False, separators=(",", ":"))
            for _attempt in range(10):
                try:
                    with undoable(conn):
                        cursor = conn.execute(
                            "INSERT INTO submissions (public_id, organisation_id,"
                            " form_id, form_version, reference, status, answers, lang,"
                            " nonce, created_at, updated_at, applicant_name,"
                            " applicant_email, applicant_key, due_on, siret_key,"
                            " iban_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                            " ?, ?, ?, ?)",
                            (
                                public_id,
                                organisation_id,
                                form_id,
                                form_version,
                                reference := make_reference(),
                                status,
                                payload,
                                lang,
                                nonce,
                                now,
                                now,
                                *(applicant or (None, None)),
                                email_key := applicant_key(
                                    applicant[1] if applicant else None
                                ),
                                due_on,
                                *identifiers,
                            ),
                        )
                    break
                except sqlite3.IntegrityError as exc:
                    if "submissions.nonce" in str(exc):
                        (spent,) = conn.execute(
                            "SELECT id FROM submissions WHERE nonce = ?", (nonce,)
                        ).fetchone()
                        raise NonceUsed(spent) from None
                    if "submissions.reference" not in str(exc):
                        raise
            else:  # pragma: no cover - 2**40 references make this unreachable
                raise RuntimeError("could not draw an unused reference")
            submission_id = cursor.lastrowid
            insert_attachments(conn, submission_id, attachments, now)
            claim_kept(conn, kept)
            if draft_key is not None:
                spend_draft(conn, draft_key, submission_id, now)
            if due_on is not None:
                siret, iban = identifiers
                refresh_signals(
                    conn, organisation_id, siret=siret, iban=iban, email=email_key
                )
            event = conn.execute(
                "INSERT INTO events (submission_id, created_at, actor, from_status,"
                " to_status) VALUES (?, ?, 'applicant', NULL, ?)",
                (submission_id, now, status),
            )
            queue_deliveries(
                conn, submission_id, event.lastrowid or 0, [SUBMITTED], now
            )
            if document is not None:
                insert_document(conn, submission_id, document, now)
            if company is not None:
                insert_company_check(conn, submission_id, *company, now)
            # What was just written, without reading it back.
            created = {
                "id": submission_id,
                "public_id": public_id,
                "organisation_id": organisation_id,
                "form_id": form_id,
                "form_version": form_version,
                "reference": reference,
                "status": status,
                "answers": answers,
                "lang": lang,
                "link_version": 1,
                "created_at": now,
                "updated_at": now,
            }
            insert_messages(conn, messages(created), now)
            before_commit()
        return created

    def change_status(
        self,
        submission_id: int,
        *,
        expected: str,
        to_status: str,
        actor: str,
        public_message: str | None = None,
        private_note: str | None = None,
        document: dict[str, Any] | None = None,
        revoke_documents: bool = False,
        messages: Sequence[dict[str, Any]] = (),
        job_item: tuple[int, int] | None = None,
        granted_cents: int | None = None,
        paying_batch: int | None = None,
    ) -> dict[str, Any]:
        """Move a request to ``to_status`` and record the event (and any document).

        ``granted_cents`` is the amount granted the request holds from now on
        (``None``: none). A request in an open payment file moves only as that
        file (``paying_batch``) says: otherwise :class:`InPaymentBatch`; a
        ``paying_batch`` no longer open holding it raises :class:`StaleStatus`.

        ``revoke_documents`` revokes what the request was issued before (it is
        being reopened). ``messages`` (telling the applicant) are queued in the
        outbox in the same transaction. ``job_item`` (a job id and this request's
        id) marks the request done in that job, in the same transaction.

        Raises :class:`StaleStatus` when the request is no longer in ``expected``
        (someone else moved it first), or is already done in ``job_item``; then
        nothing is written.
        """
        now = stamp(utcnow())
        with self._write() as conn:
            held = open_batch_of(conn, submission_id)
            if held is not None and held != paying_batch:
                raise InPaymentBatch(held)
            if paying_batch is not None and held is None:
                # The file was cancelled (or paid) meanwhile: it pays nothing.
                raise StaleStatus(submission_id)
            cursor = conn.execute(
                "UPDATE submissions SET status = ?, updated_at = ?, granted_cents = ?"
                " WHERE id = ? AND status = ?",
                (to_status, now, granted_cents, submission_id, expected),
            )
            if cursor.rowcount != 1:
                raise StaleStatus(submission_id)
            if job_item is not None and not mark_moved(conn, *job_item):
                raise StaleStatus(submission_id)
            event = conn.execute(
                "INSERT INTO events (submission_id, created_at, actor, from_status,"
                " to_status, public_message, private_note)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    submission_id,
                    now,
                    actor,
                    expected,
                    to_status,
                    public_message,
                    private_note,
                ),
            )
            queue_deliveries(
                conn,
                submission_id,
                event.lastrowid or 0,
                event_types(expected, to_status, None),
                now,
            )
            if revoke_documents:
                conn.execute(
                    "UPDATE documents SET revoked_at = ?, revoke_reason = 'reopened'"
                    " WHERE submission_id = ? AND revoked_at IS NULL",
                    (now, submission_id),
                )
            if document is not None:
                insert_document(conn, submission_id, document, now)
            insert_messages(conn, messages, now)
        return self.submission(submission_id)  # type: ignore[return-value]

    def submission_by_reference(self, reference: str) -> dict[str, Any] | None:
        row = self._one("SELECT id FROM submissions WHERE reference = ?", (reference,))
        return self.submission(row["id"]) if row else None

    def submission_by_public_id(self, public_id: str) -> dict[str, Any] | None:
        """The submission a receipt or tracking token names."""
        row = self._one("SELECT * FROM submissions WHERE public_id = ?", (public_id,))
        if row is not None:
            row["answers"] = json.loads(row["answers"])
        return row

    def submission(self, submission_id: int) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM submissions WHERE id = ?", (submission_id,))
        if row is not None:
            row["answers"] = json.loads(row["answers"])
        return row

    def submission_count(self) -> int:
        return self._all("SELECT count(*) AS n FROM submissions")[0]["n"]

    def attachments(self, submission_id: int) -> list[dict[str, Any]]:
        return self._all(
            "SELECT * FROM attachments WHERE submission_id = ? ORDER BY id",
            (submission_id,),
        )

    def stored_files(self) -> list[dict[str, Any]]:
        """Every uploaded file the requests hold: stored name, sha256, reference."""
        return self._all(
            "SELECT a.stored_name, a.sha256, s.reference FROM attachments a"
            " JOIN submissions s ON s.id = a.submission_id ORDER BY a.id"
        )

    def attachment_exists(self, stored_name: str) -> bool:
        return (
            self._one(
                "SELECT 1 AS x FROM attachments WHERE stored_name = ?", (stored_name,)
            )
            is not None
        )

    def events(self, submission_id: int) -> list[dict[str, Any]]:
        return self._all(
            "SELECT * FROM events WHERE submission_id = ? ORDER BY id",
            (submission_id,),
        )
