"""Server time of the staff request list and export at 200,000 requests.

Run by hand, not in CI::

    python bench/staff_list.py [--rows 200000] [--baseline 1000] [--rounds 7]
                               [--database URL]

It fills a temporary database through the kit's own schema (migrations, indexes,
search triggers) with ``--rows`` requests spread over the last 365 days, two
organisations with two forms each and every status, then times in this process,
as medians of ``--rounds`` runs, what one list page costs the server: the page of
rows, the counts per status, the chart's data, a filtered page (status and date
range), a search by name, a page far down (through its cursor), and a whole
export of one organisation (rows per second, with the peak memory tracemalloc
sees). Each organisation has a team of three, each holding a quarter of its
requests (the last quarter is unassigned), for the list filtered by assignee.
The first page is timed the same way on a ``--baseline`` database; the
ratio says how the list grows with the data (keyset pagination and indexes keep
it flat). The bulk fill writes rows with plain SQL, which only this script does.
With ``--database``, a PostgreSQL server's URL, the two databases are made fresh
on that server for the run, of random names, and dropped after it.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ecitiz_kit import create_app  # noqa: E402
from ecitiz_kit.domain import exports  # noqa: E402
from ecitiz_kit.domain import request_list as listing
from ecitiz_kit.forms.loading import load_catalog  # noqa: E402
from ecitiz_kit.passwords import hash_password  # noqa: E402
from ecitiz_kit.state import state  # noqa: E402
from ecitiz_kit.store import Store  # noqa: E402
from ecitiz_kit.store.base import stamp  # noqa: E402

TIMEZONE = "Europe/Paris"
PASSWORD = "bench password long enough"
FORMS = ("aid-request", "attestation")
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
FIRST = """Camille Zoé Maël Anaïs Jérôme Hélène Louis Inès Hugo Léa Nathan Chloé Lucas
Manon Adam Jade Gabriel Emma Arthur Louise Raphaël Alice Noé Lina""".split()
LAST = """Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon
Michel Lefèvre Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert
Fontaine Rousseau Vincent Müller Nguyễn Trần O’Connor Mercier Blanc Guérin""".split()
#: A name only the last organisation's applicants bear, and often (5 %): searched
#: in the first, it is common elsewhere and found nowhere at home.
ELSEWHERE = "Kowalczyk"
# Older requests have mostly been decided.
STATUS_WEIGHTS = {
    "submitted": 15,
    "in_review": 10,
    "accepted": 50,
    "rejected": 15,
    "closed": 10,
}


def _answers(form_id: str, first: str, last: str, email: str, rng: random.Random):
    if form_id == "aid-request":
        return {
            "first_name": first,
            "last_name": last,
            "email": email,
            "phone": "+33612345678",
            "siret": "73282932000074",
            "legal_name": f"Boulangerie {last}",
            "activity": "Boulangerie",
            "headcount": str(rng.randrange(20)),
            "postal_code": "75011",
            "town": "Paris",
            "revenue_reference": "40000.00",
            "revenue_crisis": f"{rng.randrange(40000)}.50",
            "loss_percent": "62.5",
            "amount_requested": "5000.00",
            "explanation": "Fermeture administrative pendant six semaines; "
            "=reprise lente.",
            "iban": "FR1420041010050500013M02606",
            "bic": "BNPAFRPP",
            "account_holder": f"{first} {last}",
            "documents": ["rib.pdf"],
            "declaration": True,
            "privacy": True,
        }
    return {
        "first_name": first,
        "last_name": last,
        "birth_date": "1990-04-12",
        "address": "12 rue de l’Œillet",
        "postal_code": "69003",
        "town": "Lyon",
        "email": email,
        "siret": "73282932000074",
        "organisation_name": "Boulangerie Durand",
        "purpose": "work",
        "valid_from": "2026-12-01",
        "valid_to": "2026-12-08",
        "declaration": True,
    }


TEAM = 3


@contextmanager
def fresh_databases(server: str, *roles: str) -> Iterator[dict[str, str]]:
    """One new database per role on the PostgreSQL server at ``server``, of a
    random name; their URLs by role. Dropped when the block ends."""
    import psycopg

    names = {role: f"ecitiz_bench_{secrets.token_hex(5)}_{role}" for role in roles}
    urls = {role: database_url(server, name) for role, name in names.items()}
    with psycopg.connect(server, autocommit=True, connect_timeout=5) as conn:
        for name in names.values():
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urls
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            for name in names.values():
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_url(server: str, dbname: str) -> str:
    """``server``'s URL naming the database ``dbname`` instead."""
    parts = urlsplit(server)
    if parts.scheme not in ("postgresql", "postgres"):
        sys.exit("--database takes a postgresql:// URL")
    return urlunsplit(parts._replace(path=f"/{dbname}"))


def populate(
    folder: Path, rows: int, seed: int = 1, url: str | None = None
) -> tuple[Store, list[int]]:
    """A data folder whose database (or the PostgreSQL database at ``url``)
    holds ``rows`` requests over the last 365 days, three quarters of them
    assigned to a team of three per organisation, each due 30 days after it
    came; the store and the organisations' ids."""
    folder.mkdir(parents=True, exist_ok=True)
    store = Store(url or folder / "ecitiz.sqlite3")
    store.migrate()
    orgs = []
    for slug in ("acme", "globex"):
        org = store.create_organisation(slug, slug.title())
        for form_id in FORMS:
            store.enable_form(org["id"], form_id, 1, None, 730)
        orgs.append(org["id"])
        for n in range(TEAM):
            store.create_staff(org["id"], f"team{n}@{slug}.example", "x")
    fill_requests(store, orgs, rows, seed)
    with store._write() as conn:
        # Staff ids are 1-3 (acme) and 4-6 (globex); id % 4 == 3: nobody.
        conn.execute(
            "UPDATE submissions SET assigned_to = CASE WHEN id % 4 = 3 THEN NULL"
            " ELSE (organisation_id - 1) * 3 + id % 4 + 1 END"
        )
    set_due_dates(store)
    analyse(store)
    return store, orgs


def set_due_dates(store: Store) -> None:
    """Make every request due 30 days after it came (in UTC: close enough for a
    bench), so the kit's start-up finds none to fill."""
    if store.dialect == "sqlite":
        due = "date(substr(created_at, 1, 10), '+30 days')"
    else:
        due = "to_char(substr(created_at, 1, 10)::date + 30, 'YYYY-MM-DD')"
    with store._write() as conn:
        conn.execute(f"UPDATE submissions SET due_on = {due}")  # noqa: S608


def fill_requests(
    store: Store, orgs: list[int], rows: int, seed: int = 1, forms=FORMS
) -> None:
    """Write ``rows`` requests of ``forms`` over the last 365 days, shared among
    the organisations ``orgs`` (whose forms are enabled), through the schema's
    indexes and triggers, in transactions of 10,000, then indexed for search."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    span = 365 * 24 * 3600
    # Oldest first, as they would have arrived; some share a timestamp.
    offsets = sorted((rng.uniform(0, span) for _ in range(rows)), reverse=True)
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    seen: set[str] = set()
    batch = []
    for n, offset in enumerate(offsets):
        if n and rng.random() < 0.02:
            created = batch[-1][8] if batch else stamp(now - timedelta(seconds=offset))
        else:
            created = stamp(now - timedelta(seconds=offset))
        organisation = rng.choice(orgs)
        form_id = rng.choice(forms)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if len(orgs) > 1 and organisation == orgs[-1] and rng.random() < 0.05:
            last = ELSEWHERE
        email = f"{first}.{last}{n}@example.org".lower()
        while (code := "".join(rng.choices(ALPHABET, k=8))) in seen:
            pass
        seen.add(code)
        prefix = "AID" if form_id == "aid-request" else "ATT"
        # Recent requests are still waiting more often than old ones.
        status = rng.choices(statuses, weights)[0]
        if offset < 3 * 86400:
            status = "submitted"
        answers = json.dumps(
            _answers(form_id, first, last, email, rng),
            ensure_ascii=False,
            separators=(",", ":"),
        )
        batch.append(
            (
                organisation,
                form_id,
                1,
                f"{prefix}-{code[:4]}-{code[4:]}",
                status,
                answers,
                "fr",
                f"nonce-{n}",
                created,
                created,
                f"{first} {last}",
                email,
            )
        )
        if len(batch) == 10_000 or n == rows - 1:
            with store._write() as conn:
                conn.executemany(
                    "INSERT INTO submissions (organisation_id, form_id, form_version,"
                    " reference, status, answers, lang, nonce, created_at, updated_at,"
                    " applicant_name, applicant_email)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    batch,
                )
            batch = []
    # As on a server whose staff have searched since: the requests indexed
    # (PostgreSQL indexes each as it is written).
    store.index_for_search()
    analyse(store)


def analyse(store: Store) -> None:
    """Refresh the planner's statistics, as the database would by itself."""
    if store.dialect == "sqlite":
        store.db.execute("PRAGMA optimize")
    else:
        with store._read() as conn:
            conn.execute("VACUUM ANALYZE")


def settle(store: Store) -> None:
    """As on a server that has been running: the write-ahead log folded into
    the database (and, on PostgreSQL, the tables vacuumed and analysed)."""
    if store.dialect == "sqlite":
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        analyse(store)
        with store._read() as conn:
            conn.execute("CHECKPOINT")


def median_ms(fn: Callable[[], Any], rounds: int) -> float:
    fn()  # warm the page cache and the statement cache
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def list_page(store: Store, org: int, filters: listing.Filters, **cursor: str):
    """What the list view asks of the store for one page (as staff id 1)."""
    listing.request_page(store, org, filters, TIMEZONE, me=1, **cursor)
    listing.status_counts(store, org, filters, TIMEZONE, me=1)
    listing.daily_counts(store, org, TIMEZONE, form_id=filters.form_id)


def export(store: Store, org: int) -> tuple[int, int]:
    """Write one organisation's whole export to nowhere; rows and bytes."""
    definitions = {form_id: (load_catalog(form_id), form_id) for form_id in FORMS}
    rows = store.iter_requests(org, **listing.Filters().for_store(TIMEZONE))
    written = 0
    counted = []

    def counting(rows):
        for row in rows:
            counted.append(1)
            yield row

    for chunk in exports.csv_chunks(counting(rows), definitions, "fr", TIMEZONE):
        written += len(chunk.encode("utf-8"))
    return len(counted), written


def measure(store: Store, org: int, rounds: int) -> dict[str, float]:
    today = date.today()
    week = listing.Filters(
        status="submitted", date_from=today - timedelta(days=60), date_to=today
    )
    name = listing.Filters(search="durand")
    elsewhere = listing.Filters(search=ELSEWHERE.lower())
    nowhere = listing.Filters(search="zyzzyva")
    deep_cursor = listing.encode_cursor(
        store.request_page(
            org,
            limit=1,
            **listing.Filters(date_to=today - timedelta(days=330)).for_store(TIMEZONE),
        )[0]
    )
    first = listing.Filters()
    return {
        "first page: rows only": median_ms(
            lambda: listing.request_page(store, org, first, TIMEZONE), rounds
        ),
        "first page: counts per status": median_ms(
            lambda: listing.status_counts(store, org, first, TIMEZONE), rounds
        ),
        "first page: chart data (30 days)": median_ms(
            lambda: listing.daily_counts(store, org, TIMEZONE), rounds
        ),
        "first page: all three": median_ms(
            lambda: list_page(store, org, first), rounds
        ),
        "filtered page (status + 60 days), all three": median_ms(
            lambda: list_page(store, org, week), rounds
        ),
        "form + status filter, all three": median_ms(
            lambda: list_page(
                store, org, listing.Filters(form_id="attestation", status="closed")
            ),
            rounds,
        ),
        "search by name ('durand'), all three": median_ms(
            lambda: list_page(store, org, name), rounds
        ),
        "search, rows only: a name common elsewhere": median_ms(
            lambda: listing.request_page(store, org, elsewhere, TIMEZONE), rounds
        ),
        "search, rows only: a name found nowhere": median_ms(
            lambda: listing.request_page(store, org, nowhere, TIMEZONE), rounds
        ),
        "search by a name common elsewhere, all three": median_ms(
            lambda: list_page(store, org, elsewhere), rounds
        ),
        "search by e-mail, all three": median_ms(
            lambda: list_page(
                store, org, listing.Filters(search="camille.durand1@example.org")
            ),
            rounds,
        ),
        "deep page (330 days back), all three": median_ms(
            lambda: list_page(store, org, first, older=deep_cursor), rounds
        ),
        "assigned to me, all three": median_ms(
            lambda: list_page(store, org, listing.Filters(assignee="me")), rounds
        ),
        "assigned to one person, all three": median_ms(
            lambda: list_page(store, org, listing.Filters(assignee="2")), rounds
        ),
        "unassigned, all three": median_ms(
            lambda: list_page(store, org, listing.Filters(assignee="none")), rounds
        ),
        "one person + status, all three": median_ms(
            lambda: list_page(
                store, org, listing.Filters(assignee="2", status="submitted")
            ),
            rounds,
        ),
        "due within 7 days, all three": median_ms(
            lambda: list_page(store, org, listing.Filters(due="soon")), rounds
        ),
        "overdue, all three": median_ms(
            lambda: list_page(store, org, listing.Filters(due="overdue")), rounds
        ),
    }


def http_pages(folder: Path, rounds: int, url: str | None = None) -> dict[str, float]:
    """Server time of whole list pages (sign-in checked, template rendered)
    through the Flask test client, as an agent of the first organisation."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "bench-" * 8,
        "ECITIZ_DATA_DIR": str(folder),
    }
    if url:
        config["ECITIZ_DATABASE_URL"] = url
    app = create_app(config)
    with app.app_context():
        store = state(app).store
        store.create_staff(1, "agent@acme.example", hash_password(PASSWORD))
    client = app.test_client()
    page = client.get("/ecitiz/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    signed = client.post(
        "/ecitiz/staff/login",
        data={"csrf_token": token, "email": "agent@acme.example", "password": PASSWORD},
    )
    assert signed.status_code == 303, signed.status_code
    since = (date.today() - timedelta(days=60)).isoformat()

    def get(path: str) -> Callable[[], None]:
        def run() -> None:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        return run

    return {
        "GET first page": median_ms(get("/ecitiz/staff/"), rounds),
        "GET filtered page (status + 60 days)": median_ms(
            get(f"/ecitiz/staff/?status=submitted&from={since}"), rounds
        ),
        "GET search by name": median_ms(get("/ecitiz/staff/?q=durand"), rounds),
        "GET one person's requests": median_ms(
            get("/ecitiz/staff/?assignee=2"), rounds
        ),
        "GET one person + status": median_ms(
            get("/ecitiz/staff/?assignee=2&status=submitted"), rounds
        ),
        "GET due within 7 days": median_ms(get("/ecitiz/staff/?due=soon"), rounds),
        "GET overdue": median_ms(get("/ecitiz/staff/?due=overdue"), rounds),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--baseline", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--database",
        metavar="URL",
        help="a PostgreSQL server (postgresql://user@host:port/dbname, a database"
        " to connect to): measure on two fresh databases made there for the run",
    )
    args = parser.parse_args()

    with ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        urls: dict[str, str | None] = {"small": None, "big": None}
        if args.database:
            urls.update(
                stack.enter_context(fresh_databases(args.database, "small", "big"))
            )
            print(
                f"on PostgreSQL: {database_url(args.database, '…').rsplit('/', 1)[0]}"
            )
        start = time.perf_counter()
        small, small_orgs = populate(
            Path(folder) / "small", args.baseline, url=urls["small"]
        )
        big, orgs = populate(Path(folder) / "big", args.rows, url=urls["big"])
        print(
            f"filled {args.rows:,} + {args.baseline:,} rows in "
            f"{time.perf_counter() - start:.0f} s"
        )
        org = orgs[0]
        print(f"organisation measured: {big.status_counts(org)} rows per status\n")

        figures = measure(big, org, args.rounds)
        base = median_ms(
            lambda: list_page(small, small_orgs[0], listing.Filters()), args.rounds
        )
        width = max(map(len, figures))
        print(
            f"{'median of ' + str(args.rounds) + ' runs, ms':<{width}}  {args.rows:>9,}"
        )
        for label, value in figures.items():
            print(f"{label:<{width}}  {value:9.2f}")
        first = figures["first page: all three"]
        print(
            f"\nfirst page, all three, at {args.baseline:,} rows: {base:.2f} ms; "
            f"at {args.rows:,}: {first:.2f} ms (ratio {first / base:.2f}x)"
        )
        person = figures["assigned to one person, all three"]
        print(f"assigned to one person / unfiltered first page: {person / first:.2f}x")

        pages = http_pages(Path(folder) / "big", args.rounds, urls["big"])
        base_http = http_pages(Path(folder) / "small", args.rounds, urls["small"])[
            "GET first page"
        ]
        for label, value in pages.items():
            print(f"{label:<{width}}  {value:9.2f}")
        print(
            f"GET first page at {args.baseline:,} rows: {base_http:.2f} ms "
            f"(ratio {pages['GET first page'] / base_http:.2f}x)\n"
        )

        for name, store, which in (("small", small, small_orgs[0]), ("big", big, org)):
            tracemalloc.start()
            start = time.perf_counter()
            count, size = export(store, which)
            seconds = time.perf_counter() - start
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(
                f"export ({name}): {count:,} rows, {size / 1e6:.1f} MB in "
                f"{seconds:.2f} s under tracemalloc, peak {peak / 1e6:.2f} MB"
            )
        start = time.perf_counter()
        count, size = export(big, org)
        seconds = time.perf_counter() - start
        print(
            f"export without tracemalloc: {count:,} rows in {seconds:.2f} s = "
            f"{count / seconds:,.0f} rows/s"
        )
        small.close()
        big.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
