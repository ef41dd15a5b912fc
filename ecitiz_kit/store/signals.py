"""Duplicate and fraud signals: requests of one organisation sharing a SIRET, an
IBAN (compared by its keyed fingerprint) or an e-mail address.

Each request keeps its identifiers in indexed columns (``siret_key``,
``iban_key``, and ``applicant_key`` for the address) and a flag per signal
(``shares_siret``, ``shares_iban``, ``shares_email``, and ``iban_sirets`` when
its IBAN is also given with another SIRET). The flags are set again, for every
request holding a value, in the transaction that adds or changes a request
holding it: the list filters on them read a small partial index, whatever the
number of requests, and a request's page looks its partners up by index.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from .base import Base

#: The flags a list may filter on, each set by a shared column.
SIGNALS: dict[str, str] = {
    "iban_sirets": "iban_key",
    "iban": "iban_key",
    "siret": "siret_key",
    "email": "applicant_key",
}
_FLAGS = {"iban": "shares_iban", "siret": "shares_siret", "email": "shares_email"}
#: The partial index holding the requests flagged with each signal.
SIGNAL_INDEXES = {
    "iban_sirets": "submissions_iban_sirets",
    "iban": "submissions_sharing_iban",
    "siret": "submissions_sharing_siret",
    "email": "submissions_sharing_email",
}
#: Partners a request's page lists per signal (the count says how many more).
PARTNERS_SHOWN = 20


def flag_column(signal: str) -> str:
    """The column a list filters on for ``signal`` (a key of :data:`SIGNALS`)."""
    return "iban_sirets" if signal == "iban_sirets" else _FLAGS[signal]


def refresh_signals(
    conn: sqlite3.Connection,
    organisation_id: int,
    *,
    siret: str | None = None,
    iban: str | None = None,
    email: str | None = None,
) -> None:
    """Set the flags of every request of the organisation holding these values
    (inside the caller's transaction)."""
    for signal, value in (("siret", siret), ("iban", iban), ("email", email)):
        if not value:
            continue
        column, flag = SIGNALS[signal], _FLAGS[signal]
        # Only constant column names are formatted into the SQL.
        (count,) = conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM submissions"  # noqa: S608
            f" WHERE organisation_id = ? AND {column} = ? LIMIT 2) AS shared",
            (organisation_id, value),
        ).fetchone()
        conn.execute(
            f"UPDATE submissions SET {flag} = ?"  # noqa: S608
            f" WHERE organisation_id = ? AND {column} = ? AND {flag} != ?",
            (int(count > 1), organisation_id, value, int(count > 1)),
        )
    if iban:
        (sirets,) = conn.execute(
            "SELECT count(DISTINCT siret_key) FROM submissions"
            " WHERE organisation_id = ? AND iban_key = ? AND siret_key IS NOT NULL",
            (organisation_id, iban),
        ).fetchone()
        conn.execute(
            "UPDATE submissions SET iban_sirets = ?"
            " WHERE organisation_id = ? AND iban_key = ? AND iban_sirets != ?",
            (int(sirets > 1), organisation_id, iban, int(sirets > 1)),
        )


class Signals(Base):
    def shared_with(self, organisation_id: int, submission_id: int) -> dict[str, Any]:
        """The other requests of the organisation sharing this one's SIRET, IBAN
        and e-mail address: per signal, ``{"count": n, "rows": [...]}`` (newest
        first, at most :data:`PARTNERS_SHOWN`), and ``iban_sirets``, how many
        different SIRETs come with its IBAN."""
        own = self._one(
            "SELECT siret_key, iban_key, applicant_key FROM submissions"
            " WHERE id = ? AND organisation_id = ?",
            (submission_id, organisation_id),
        )
        found: dict[str, Any] = {"iban_sirets": 0}
        for signal in ("iban", "siret", "email"):
            column = SIGNALS[signal]
            value = own and own[column]
            if not value:
                found[signal] = {"count": 0, "rows": []}
                continue
            rows = self._all(
                "SELECT id, reference, status, created_at, siret_key"  # noqa: S608
                f" FROM submissions WHERE organisation_id = ? AND {column} = ?"
                " AND id != ? ORDER BY id DESC LIMIT ?",
                (organisation_id, value, submission_id, PARTNERS_SHOWN + 1),
            )
            count = len(rows)
            if count > PARTNERS_SHOWN:
                count = self._one(
                    f"SELECT count(*) AS n FROM submissions"  # noqa: S608
                    f" WHERE organisation_id = ? AND {column} = ? AND id != ?",
                    (organisation_id, value, submission_id),
                )["n"]
            found[signal] = {"count": count, "rows": rows[:PARTNERS_SHOWN]}
        if own and own["iban_key"]:
            found["iban_sirets"] = self._one(
                "SELECT count(DISTINCT siret_key) AS n FROM submissions"
                " WHERE organisation_id = ? AND iban_key = ?"
                " AND siret_key IS NOT NULL",
                (organisation_id, own["iban_key"]),
            )["n"]
        return found

    # -- requests older than the columns -------------------------------------------

    def requests_to_fill(self, limit: int) -> list[dict[str, Any]]:
        """Requests stored before due dates and signals were (no due date yet),
        oldest first."""
        return self._all(
            "SELECT id, organisation_id, form_id, answers, created_at FROM submissions"
            " WHERE due_on IS NULL ORDER BY id LIMIT ?",
            (limit,),
        )

    def fill_requests(
        self, values: Iterable[tuple[int, str, str | None, str | None]]
    ) -> None:
        """Record ``(submission id, due_on, siret_key, iban_key)`` for each
        request and set the signals of everything they share, at once."""
        with self._write() as conn:
            for submission_id, due_on, siret, iban in values:
                row = conn.execute(
                    "UPDATE submissions SET due_on = ?, siret_key = ?, iban_key = ?"
                    " WHERE id = ? RETURNING organisation_id, applicant_key",
                    (due_on, siret, iban, submission_id),
                ).fetchone()
                if row is not None:
                    refresh_signals(conn, row[0], siret=siret, iban=iban, email=row[1])
