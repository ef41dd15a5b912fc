"""Signing keys and the documents they signed."""

from __future__ import annotations

import sqlite3
from typing import Any

from .base import Base, stamp, utcnow


class Documents(Base):
    # -- signing keys and documents --------------------------------------------

    def signing_key(self, organisation_id: int) -> dict[str, Any] | None:
        """The key that signs the organisation's new documents, if it has one."""
        return self._one(
            "SELECT * FROM signing_keys WHERE organisation_id = ?"
            " AND retired_at IS NULL",
            (organisation_id,),
        )

    def add_signing_key(
        self,
        kid: str,
        organisation_id: int,
        public_key: bytes,
        replace: bool = True,
    ) -> dict[str, Any]:
        """Make a new key the organisation's signing key (the previous one retires)
        and return the signing key now in force. With ``replace=False`` an
        existing signing key stays, as when another host made the organisation's
        first key a moment earlier: the caller then uses that one."""
        now = stamp(utcnow())
        with self._write() as conn:
            current = None
            if not replace:
                current = conn.execute(
                    "SELECT kid FROM signing_keys WHERE organisation_id = ?"
                    " AND retired_at IS NULL",
                    (organisation_id,),
                ).fetchone()
            if replace or current is None:
                conn.execute(
                    "UPDATE signing_keys SET retired_at = ?"
                    " WHERE organisation_id = ? AND retired_at IS NULL",
                    (now, organisation_id),
                )
                conn.execute(
                    "INSERT INTO signing_keys (kid, organisation_id, public_key,"
                    " created_at) VALUES (?, ?, ?, ?)",
                    (kid, organisation_id, public_key, now),
                )
        return self.signing_key(organisation_id)  # type: ignore[return-value]

    # -- sealed private keys (PostgreSQL only: SQLite keeps them in files) ------

    def sealed_signing_key(self, kid: str) -> str | None:
        """The sealed private key ``kid``, None if the database has none."""
        row = self._one(
            "SELECT sealed_key FROM signing_key_secrets WHERE kid = ?", (kid,)
        )
        return row["sealed_key"] if row else None

    def add_sealed_signing_key(self, kid: str, sealed_key: str) -> bool:
        """Keep a sealed private key; False (and nothing written) if ``kid``
        already names one: a kid names one key for ever."""
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO signing_key_secrets (kid, created_at, sealed_key)"
                " VALUES (?, ?, ?) ON CONFLICT (kid) DO NOTHING",
                (kid, stamp(utcnow()), sealed_key),
            )
            return cursor.rowcount == 1

    def discard_sealed_signing_key(self, kid: str) -> None:
        """Forget a sealed key that never became a signing key."""
        with self._write() as conn:
            conn.execute(
                "DELETE FROM signing_key_secrets WHERE kid = ? AND NOT EXISTS"
                " (SELECT 1 FROM signing_keys k WHERE k.kid = ?)",
                (kid, kid),
            )

    def sealed_signing_keys(self) -> list[dict[str, Any]]:
        """Every sealed key row, as stored (to check that nothing is in clear)."""
        return self._all("SELECT * FROM signing_key_secrets ORDER BY kid")

    def signing_key_ids(self) -> list[str]:
        """The id of every signing key, in use or retired."""
        return [row["kid"] for row in self._all("SELECT kid FROM signing_keys")]

    def published_keys(self, today: str) -> list[dict[str, Any]]:
        """Keys still worth publishing on ``today`` (ISO date), with their issuer.

        A retired key stays until the last document it signed has expired;
        ``published_until`` is that document's last day (None for signing keys).
        """
        return self._all(
            "SELECT k.kid, k.public_key, k.created_at, k.retired_at,"
            " o.name AS issuer, o.slug AS organisation,"
            " CASE WHEN k.retired_at IS NULL THEN NULL ELSE"
            "  (SELECT max(d.valid_to) FROM documents d WHERE d.kid = k.kid)"
            " END AS published_until"
            " FROM signing_keys k JOIN organisations o ON o.id = k.organisation_id"
            " WHERE k.retired_at IS NULL OR EXISTS (SELECT 1 FROM documents d"
            "  WHERE d.kid = k.kid AND d.valid_to >= ?)"
            " ORDER BY k.created_at, k.kid",
            (today,),
        )

    def document(self, serial: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM documents WHERE serial = ?", (serial,))

    def documents(self, submission_id: int) -> list[dict[str, Any]]:
        return self._all(
            "SELECT * FROM documents WHERE submission_id = ? ORDER BY id",
            (submission_id,),
        )

    # -- rendered files -----------------------------------------------------------

    def document_pdf(self, document_id: int) -> bytes | None:
        """The document's stored PDF, None until it is rendered."""
        row = self._one(
            "SELECT pdf FROM document_files WHERE document_id = ?", (document_id,)
        )
        return row["pdf"] if row else None

    def save_document_pdf(self, document_id: int, pdf: bytes) -> bytes:
        """Store the document's PDF unless one is stored already; return the one
        stored, so every caller serves the same bytes whoever rendered first."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO document_files (document_id, pdf, rendered_at)"
                " VALUES (?, ?, ?) ON CONFLICT (document_id) DO UPDATE"
                " SET pdf = excluded.pdf, rendered_at = excluded.rendered_at"
                " WHERE document_files.pdf IS NULL",
                (document_id, pdf, stamp(utcnow())),
            )
            (stored,) = conn.execute(
                "SELECT pdf FROM document_files WHERE document_id = ?",
                (document_id,),
            ).fetchone()
        return stored

    def documents_to_render(
        self, after: int = 0, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Documents in force whose PDF is not rendered yet, by id from ``after``
        on, with their request's organisation."""
        return self._all(
            "SELECT d.*, s.organisation_id FROM document_files f"
            " JOIN documents d ON d.id = f.document_id"
            " JOIN submissions s ON s.id = d.submission_id"
            " WHERE f.pdf IS NULL AND d.revoked_at IS NULL AND f.document_id > ?"
            " ORDER BY f.document_id LIMIT ?",
            (after, limit),
        )

    def forget_revoked_renders(self) -> int:
        """Stop waiting to render documents revoked before they were; how many."""
        with self._write() as conn:
            cursor = conn.execute(
                "DELETE FROM document_files WHERE pdf IS NULL AND EXISTS"
                " (SELECT 1 FROM documents d WHERE d.id = document_id"
                "  AND d.revoked_at IS NOT NULL)"
            )
        return cursor.rowcount

    def revoke_document(self, serial: str, reason: str | None) -> bool:
        """Revoke a document; False if there is no such serial or it was already."""
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE documents SET revoked_at = ?, revoke_reason = ?"
                " WHERE serial = ? AND revoked_at IS NULL",
                (stamp(utcnow()), reason, serial),
            )
        return cursor.rowcount == 1


def insert_document(
    conn: sqlite3.Connection, submission_id: int, document: dict[str, Any], now: str
) -> None:
    """Store a signed document inside the caller's transaction, queued for
    rendering (see :meth:`Documents.documents_to_render`)."""
    cursor = conn.execute(
        "INSERT INTO documents (submission_id, serial, type, kid, holder, valid_from,"
        " valid_to, issued_at, template_version, payload)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            submission_id,
            document["serial"],
            document["type"],
            document["kid"],
            document["holder"],
            document["valid_from"],
            document["valid_to"],
            now,
            document["template_version"],
            document["payload"],
        ),
    )
    conn.execute(
        "INSERT INTO document_files (document_id) VALUES (?)", (cursor.lastrowid,)
    )
