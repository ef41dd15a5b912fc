"""The staff request list: filtered pages, counts, requests per day, export rows.

Every query is scoped to one organisation and served by an index (the tests check
each plan with ``EXPLAIN QUERY PLAN``):

- a page is read newest first by keyset, ``(created_at, id)`` below (or above) the
  cursor, never by ``OFFSET``: page 2,000 costs what page 1 costs. The indexes
  ``(organisation_id[, form_id][, status], created_at, id)`` give each
  combination of the form and status filters its rows already in order (read
  backwards, newest first), the date range being a range of the same index;
- counts per status without dates or search come from ``submission_tallies``, a
  row per organisation, form and status that triggers keep in the transaction of
  every change; with dates they are counted from the same indexes, which cover
  them (no table row is visited), as are the requests per day of the chart, one
  index range per day and status;
- search matches a reference by prefix (its unique index) and the applicant's name
  and e-mail address by words through an index of words each prefixed with the
  organisation ("o42xdurand"): FTS5's ``submission_search`` on SQLite, a GIN
  index on PostgreSQL. A search reads its organisation's words only, so a name
  common in another organisation is not even in the index range read.

Why a word index for names: the name and e-mail address live inside the
``answers`` JSON, under field names each definition chooses, so they are copied at
submit time into the columns ``applicant_name`` and ``applicant_email`` (filled by
the definition's ``applicant_contact``; rows older than the columns are filled at
start-up). A plain index on those columns would only find a name by its first
letters ("Camille" but not "Durand" in "Camille Durand-Lefèvre") and only in the
case and accents typed. The index holds every word of both columns, folded to
lower case without accents (:func:`search_words`; on PostgreSQL the SQL function
of the same name, which folds the same way). On SQLite, submitting does not write
it: each search first indexes the requests that came in since the last one and
those whose applicant changed (:meth:`Listing.index_for_search`, from the id in
``search_indexed`` and the ids in ``search_stale``), and triggers take a request's
words out of the index whoever changes or deletes it. Each word the staff member
types must start a word of the name or address, so ``durand camille``,
``lefevre`` and ``camille@example.org`` all find that applicant. A search result
is sorted after matching; it is small unless the search is one very common word
of the organisation.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .applicants import applicant_key
from .base import Base
from .deadlines import AWAITING_SQL
from .signals import SIGNAL_INDEXES, SIGNALS, flag_column

#: A search made only of the characters of a reference, with a hyphen or a
#: digit in it (``AID-7K3F``, ``7K3F``), may be one; a plain word is a name.
_REFERENCE = re.compile(r"(?=.*[-0-9])[A-Z0-9-]{2,40}")
#: A search chunk with no letter or digit matches no word: it is dropped.
_WORD = re.compile(r"[^\W_]")

#: A word of the search index: a run of letters and digits.
_WORDS = re.compile(r"[^\W_]+")
#: The accents NFD splits off Latin letters (as PostgreSQL's search_words drops).
_ACCENTS = re.compile("[\u0300-\u036f]")
#: The schema version from which the SQLite index holds organisation words.
_ORGANISATION_WORDS = 30
#: Requests indexed per transaction when the index catches up.
_INDEX_BATCH = 5000

#: Rows an export reads at a time.
EXPORT_BATCH = 500

_PAGE_COLUMNS = (
    "s.id, s.reference, s.form_id, s.status, s.applicant_name, s.applicant_email,"
    " s.created_at, s.updated_at, s.assigned_to, s.due_on, s.shares_siret,"
    " s.shares_iban, s.shares_email, s.iban_sirets"
)


def search_words(organisation_id: int, text: str | None) -> str:
    """The words of ``text`` as the search index holds them: in lower case,
    without accents, each prefixed with the organisation (``o42xdurand``).

    The prefix keeps one organisation's words apart from every other's in the
    index, so a search reads its own organisation's words only.
    """
    folded = _ACCENTS.sub("", unicodedata.normalize("NFD", (text or "").lower()))
    prefix = f"o{int(organisation_id)}x"
    return " ".join(prefix + word for word in _WORDS.findall(folded))


def match_expression(search: str, organisation_id: int) -> str | None:
    """The FTS5 query for a staff search in one organisation: every chunk must
    start a run of that organisation's words.

    Each whitespace-separated chunk becomes a quoted phrase of its folded words,
    the last one begun, so FTS5 operators typed by the user (``OR``, ``NEAR``,
    ``*``, ``:``, parentheses) are searched as words, never run.
    """
    phrases = [
        f'"{words}"*'
        for chunk in search.split()
        if (words := search_words(organisation_id, chunk))
    ]
    return " AND ".join(phrases) or None


class Listing(Base):
    def _select(
        self,
        organisation_id: int,
        *,
        form_id: str | None = None,
        status: str | None = None,
        since: str | None = None,
        until: str | None = None,
        search: str = "",
        statuses: Sequence[str] = (),
        assigned_to: int | None = None,
        unassigned: bool = False,
        awaiting: bool = False,
        due_from: str | None = None,
        due_until: str | None = None,
        signal: str | None = None,
        counting: bool = False,
    ) -> tuple[str, list[Any]]:
        """``FROM … WHERE …`` shared by pages, counts and export, with parameters.

        ``since`` (included) and ``until`` (excluded) are stored timestamps;
        ``assigned_to`` keeps one person's requests, ``unassigned`` nobody's;
        ``statuses`` limits the rows to those (so that counts read one index range
        per status instead of every row of the organisation). ``awaiting`` keeps
        the requests awaiting a decision, due from ``due_from`` to ``due_until``
        (ISO days, both included); ``signal`` (a key of :data:`SIGNALS`) those
        flagged so. ``counting``: for counts per status, not for a page.
        """
        source = "submissions s"
        # SQLite is told which index to read; PostgreSQL's planner chooses
        # among the same indexes on its own.
        pinned = self.dialect == "sqlite"
        if pinned and signal is not None and signal in SIGNALS:
            # Its own small partial index, whatever the statistics say of the
            # others: a flag set on few requests is never found by reading all.
            source += f" INDEXED BY {SIGNAL_INDEXES[signal]}"
        elif pinned and awaiting and form_id is None:
            # The due dates' partial indexes, whatever the statistics say of the
            # others: pages read them in due-date order, counts one range of due
            # dates per status, never visiting a row they do not show.
            index = "status_due" if counting else "due"
            source += f" INDEXED BY submissions_by_org_{index}"
        params: list[Any] = []
        if search.strip():
            self.index_for_search()
            # The few requests the search finds drive the query (CROSS JOIN fixes
            # the order): checking every row of the organisation against them
            # would cost as much as the whole list.
            found, params = _search_ids(search, organisation_id, self.dialect)
            join = "CROSS JOIN" if pinned else "JOIN"
            source = f"({found}) AS found {join} submissions s ON s.id = found.id"
        clauses = ["s.organisation_id = ?"]
        params.append(organisation_id)
        if form_id is not None:
            clauses.append("s.form_id = ?")
            params.append(form_id)
        if status is not None:
            clauses.append("s.status = ?")
            params.append(status)
        if assigned_to is not None:
            clauses.append("s.assigned_to = ?")
            params.append(assigned_to)
        elif unassigned:
            clauses.append("s.assigned_to IS NULL")
        if statuses:
            clauses.append(f"s.status IN ({', '.join('?' * len(statuses))})")
            params.extend(statuses)
        if since is not None:
            clauses.append("s.created_at >= ?")
            params.append(since)
        if until is not None:
            clauses.append("s.created_at < ?")
            params.append(until)
        if awaiting:
            clauses.append(AWAITING_SQL)
        if due_from is not None:
            clauses.append("s.due_on >= ?")
            params.append(due_from)
        if due_until is not None:
            clauses.append("s.due_on <= ?")
            params.append(due_until)
        if signal is not None:
            if signal not in SIGNALS:
                raise ValueError(f"unknown signal {signal!r}")
            clauses.append(f"s.{flag_column(signal)} = 1")
        return f"FROM {source} WHERE {' AND '.join(clauses)}", params

    def request_page(
        self,
        organisation_id: int,
        *,
        limit: int,
        cursor: tuple[str, int] | None = None,
        newer: bool = False,
        answers: bool = False,
        by_due: bool = False,
        **filters: Any,
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` requests matching ``filters``, newest first.

        With a ``cursor`` ``(created_at, id)``, the requests just older than it, or
        with ``newer`` the ones just newer (still returned newest first).
        ``answers`` adds the ``answers`` JSON text and the language to each row.
        ``by_due`` lists the requests awaiting a decision instead, the soonest
        due first, by cursor ``(due_on, id)`` ("older": due later).
        """
        if by_due:
            filters["awaiting"] = True
        selection, params = self._select(organisation_id, **filters)
        key = "s.due_on" if by_due else "s.created_at"
        # Read forwards: older requests, or requests due later.
        greater = by_due != newer
        if cursor is not None:
            selection += f" AND ({key}, s.id) {'>' if greater else '<'} (?, ?)"
            params.extend(cursor)
        order = "ASC" if greater else "DESC"
        columns = _PAGE_COLUMNS + (", s.answers, s.lang" if answers else "")
        rows = self._all(
            f"SELECT {columns} {selection} ORDER BY {key} {order}, s.id {order}"
            " LIMIT ?",
            [*params, limit],
        )
        if newer:
            rows.reverse()
        return rows

    def iter_requests(
        self,
        organisation_id: int,
        *,
        batch_size: int | None = None,
        by_due: bool = False,
        **filters: Any,
    ) -> Iterator[dict[str, Any]]:
        """Every request matching ``filters``, newest first, with its answers.

        Read in keyset batches of ``batch_size`` rows (:data:`EXPORT_BATCH`), each
        a short query of its
        own: memory stays flat however many rows there are, and no read stays
        open on this thread's connection between two batches (the consumer may
        use the store in between).
        """
        batch_size = batch_size or EXPORT_BATCH
        cursor = None
        while True:
            rows = self.request_page(
                organisation_id,
                limit=batch_size,
                cursor=cursor,
                answers=True,
                by_due=by_due,
                **filters,
            )
            yield from rows
            if len(rows) < batch_size:
                return
            cursor = (rows[-1]["due_on" if by_due else "created_at"], rows[-1]["id"])

    def status_counts(self, organisation_id: int, **filters: Any) -> dict[str, int]:
        """How many requests match ``filters``, per status (absent: none).

        Without dates or search the answer is read from the tallies the triggers
        keep (a few rows); otherwise the matching index range is counted.
        """
        if (
            not any(
                filters.get(key)
                for key in (
                    "since",
                    "until",
                    "search",
                    "unassigned",
                    "awaiting",
                    "signal",
                )
            )
            and filters.get("assigned_to") is None
        ):
            return self._tallies(
                organisation_id, filters.get("form_id"), filters.get("status")
            )
        selection, params = self._select(organisation_id, counting=True, **filters)
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT s.status, count(*) {selection} GROUP BY s.status", params
            ).fetchall()
        return dict(rows)

    def _tallies(
        self, organisation_id: int, form_id: str | None, status: str | None
    ) -> dict[str, int]:
        sql = "SELECT status, sum(n) FROM submission_tallies WHERE organisation_id = ?"
        params: list[Any] = [organisation_id]
        if form_id is not None:
            sql += " AND form_id = ?"
            params.append(form_id)
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        with self._read() as conn:
            rows = conn.execute(sql + " GROUP BY status", params).fetchall()
        # int(): PostgreSQL's sum() of integers is a numeric.
        return {status: int(n) for status, n in rows if n}

    def counts_between(
        self,
        organisation_id: int,
        *,
        bounds: Sequence[str],
        statuses: Sequence[str],
        form_id: str | None = None,
    ) -> list[tuple[int, str, int]]:
        """Requests per period and status: ``(i, status, count)`` for the requests
        created from ``bounds[i]`` (included) to ``bounds[i + 1]`` (excluded).

        The caller cuts the periods (days of any time zone); each is one range
        of a covering index per status.
        """
        periods = ", ".join("(?, ?, ?)" for _ in bounds[1:])
        selection, params = self._select(
            organisation_id, form_id=form_id, statuses=statuses
        )
        # Only placeholders and the shared clause are formatted into the SQL.
        with self._read() as conn:
            return conn.execute(
                f"WITH periods (i, low, high) AS (VALUES {periods})"  # noqa: S608
                f" SELECT p.i, s.status, count(*) FROM periods p CROSS JOIN"
                f" {selection.removeprefix('FROM ')}"
                " AND s.created_at >= p.low AND s.created_at < p.high"
                " GROUP BY p.i, s.status",
                [
                    *(
                        v
                        for i in range(len(bounds) - 1)
                        for v in (i, *bounds[i : i + 2])
                    ),
                    *params,
                ],
            ).fetchall()

    # -- search index ----------------------------------------------------------

    def migrate(self) -> int:
        """Bring the schema up to date and, on SQLite, the search index with it
        (an upgrade that changes what the index holds empties it)."""
        version = super().migrate()
        if self.dialect == "sqlite" and version >= _ORGANISATION_WORDS:
            self.index_for_search()
        return version

    def index_for_search(self) -> None:
        """Index the requests submitted since the last search (submitting one
        does not touch the search index) and those whose applicant changed
        since they were indexed: every search starts here, so none misses a
        request, however new. (PostgreSQL indexes each request as it is
        written.)"""
        if self.dialect != "sqlite":
            return
        # In batches, each its own short write: an upgrade that indexes every
        # request again never holds other writers for longer than one batch.
        while self._unindexed(self.db.conn):
            with self._write() as conn:
                self._index_batch(conn)

    @staticmethod
    def _index_batch(conn: sqlite3.Connection) -> None:
        """Index up to :data:`_INDEX_BATCH` changed and as many new requests,
        the oldest first, and move the mark past the new ones."""
        stale = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM search_stale ORDER BY id LIMIT ?", (_INDEX_BATCH,)
            )
        ]
        conn.executemany("DELETE FROM search_stale WHERE id = ?", [(i,) for i in stale])
        rows = [
            *(
                conn.execute(
                    "SELECT id, organisation_id, applicant_name, applicant_email"
                    " FROM submissions WHERE id = ?",
                    (submission_id,),
                ).fetchone()
                for submission_id in stale
            ),
            *conn.execute(
                "SELECT id, organisation_id, applicant_name, applicant_email"
                " FROM submissions"
                " WHERE id > (SELECT last_id FROM search_indexed WHERE id = 1)"
                " ORDER BY id LIMIT ?",
                (_INDEX_BATCH,),
            ),
        ]
        conn.executemany(
            "INSERT INTO search_words (id, words) VALUES (?, ?)",
            [
                (submission_id, words)
                for submission_id, organisation_id, name, email in filter(None, rows)
                if (
                    words := search_words(
                        organisation_id, f"{name or ''} {email or ''}"
                    )
                )
            ],
        )
        newest = max((row[0] for row in rows[len(stale) :]), default=None)
        if newest is not None:
            conn.execute("UPDATE search_indexed SET last_id = ?", (newest,))

    @staticmethod
    def _unindexed(conn: sqlite3.Connection) -> bool:
        """Whether a request is left to index (new, or its applicant changed)."""
        # Request ids are positive: the condition reads the primary key.
        if conn.execute("SELECT id FROM search_stale WHERE id > 0 LIMIT 1").fetchone():
            return True
        return bool(
            conn.execute(
                "SELECT id FROM submissions"
                " WHERE id > (SELECT last_id FROM search_indexed WHERE id = 1)"
                " ORDER BY id DESC LIMIT 1"
            ).fetchone()
        )

    # -- applicant columns ---------------------------------------------------

    def submissions_without_applicant(self, limit: int) -> list[dict[str, Any]]:
        """Requests whose applicant columns are not filled yet (written before
        they existed), oldest first."""
        return self._all(
            "SELECT id, organisation_id, form_id, answers FROM submissions"
            " WHERE applicant_name IS NULL ORDER BY id LIMIT ?",
            (limit,),
        )

    def set_applicants(self, values: Iterable[tuple[int, str, str]]) -> None:
        """Record ``(submission id, name, email)`` for each request, at once."""
        with self._write() as conn:
            conn.executemany(
                "UPDATE submissions SET applicant_name = ?, applicant_email = ?,"
                " applicant_key = ? WHERE id = ?",
                [
                    (name, email, applicant_key(email), submission_id)
                    for submission_id, name, email in values
                ],
            )


def _search_ids(
    search: str, organisation_id: int, dialect: str = "sqlite"
) -> tuple[str, list[Any]]:
    """A query for the ids of the requests a staff search finds, and its
    parameters: the organisation's references starting with it, applicants whose
    name or e-mail address have its words."""
    parts, params = [], []
    reference = search.strip().upper()
    if _REFERENCE.fullmatch(reference):
        # '~' sorts after every character a reference may hold.
        parts.append(
            "SELECT id FROM submissions WHERE organisation_id = ?"
            " AND reference >= ? AND reference < ?"
        )
        params += [organisation_id, reference, reference + "~"]
    chunks = [chunk for chunk in search.split() if _WORD.search(chunk)]
    if chunks and dialect == "postgresql":
        # Each chunk's words in a row, the last begun, all within the
        # organisation (the function prefixes them as the index does).
        wanted = " && ".join("search_prefix(?, ?)" for _ in chunks)
        # Only placeholders are formatted into the SQL.
        parts.append(
            "SELECT id FROM submissions WHERE organisation_id = ?"  # noqa: S608
            f" AND search_terms @@ ({wanted})"
        )
        params += [organisation_id]
        params += [value for chunk in chunks for value in (organisation_id, chunk)]
        chunks = []
    expression = match_expression(" ".join(chunks), organisation_id)
    if expression is not None:
        parts.append(
            "SELECT rowid AS id FROM submission_search WHERE submission_search MATCH ?"
        )
        params.append(expression)
    if not parts:
        return "SELECT 0 AS id WHERE 1 = 0", []
    return " UNION ".join(parts), params
