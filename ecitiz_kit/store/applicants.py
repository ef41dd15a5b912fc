"""An organisation's requests by the address their applicant gave ("my requests").

An address is matched as the lost-link page always matched it: trimmed and
case-folded (:func:`applicant_key`), so ``Camille@Example.org`` finds the requests
sent as ``camille@example.org``. The key is written with the address by every
writer of ``applicant_email`` and read through the index
``(organisation_id, applicant_key, created_at, id)``: one organisation's rows only.

The link an applicant receives names a row of ``applicant_links`` (a random key,
the organisation and the address's key), so the signed token carries no address.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .base import Base, stamp, utcnow
from .outbox import insert_messages

#: The most requests a "my requests" page lists, newest first.
MAX_LISTED = 200


def applicant_key(email: str | None) -> str | None:
    """How an address is matched: trimmed and case-folded (``None`` for none)."""
    return email.strip().casefold() if email else None


class Applicants(Base):
    def latest_applicant(
        self, organisation_id: int, email: str
    ) -> dict[str, Any] | None:
        """The name and address, as written, of the applicant of the
        organisation's newest request sent with ``email`` (matched by
        :func:`applicant_key`)."""
        return self._one(
            "SELECT applicant_name, applicant_email FROM submissions"
            " WHERE organisation_id = ? AND applicant_key = ?"
            " ORDER BY created_at DESC, id DESC LIMIT 1",
            (organisation_id, applicant_key(email)),
        )

    def record_applicant_link(
        self,
        organisation_id: int,
        email: str,
        link_key: str,
        messages: Sequence[dict[str, Any]],
        *,
        expired_before: datetime,
    ) -> None:
        """Log an ask for "my requests"; with ``messages`` (the address has
        requests), keep the link ``link_key`` and queue the e-mail carrying it.

        Found or not, the ask costs one write transaction, so its timing tells
        nothing; links created before ``expired_before`` are removed with it.
        """
        now = stamp(utcnow())
        with self._write() as conn:
            conn.execute(
                "INSERT INTO lost_link_requests (organisation_id, matched, created_at)"
                " VALUES (?, ?, ?)",
                (organisation_id, int(bool(messages)), now),
            )
            conn.execute(
                "DELETE FROM applicant_links WHERE created_at < ?",
                (stamp(expired_before),),
            )
            if messages:
                conn.execute(
                    "INSERT INTO applicant_links"
                    " (key, organisation_id, applicant_key, created_at)"
                    " VALUES (?, ?, ?, ?)",
                    (link_key, organisation_id, applicant_key(email), now),
                )
                insert_messages(conn, messages, now)

    def applicant_link(
        self, organisation_id: int, link_key: str, *, created_after: datetime
    ) -> dict[str, Any] | None:
        """The "my requests" link ``link_key`` of the organisation, unless it
        was created before ``created_after`` (expired)."""
        return self._one(
            "SELECT * FROM applicant_links"
            " WHERE key = ? AND organisation_id = ? AND created_at >= ?",
            (link_key, organisation_id, stamp(created_after)),
        )

    def applicant_requests(
        self, organisation_id: int, key: str, limit: int = MAX_LISTED
    ) -> list[dict[str, Any]]:
        """The organisation's requests sent with the address whose key is
        ``key``, newest first, with what their applicant may see of each."""
        return self._all(
            "SELECT id, public_id, link_version, reference, form_id, status,"
            " lang, created_at, updated_at FROM submissions"
            " WHERE organisation_id = ? AND applicant_key = ?"
            " ORDER BY created_at DESC, id DESC LIMIT ?",
            (organisation_id, key, limit),
        )
