"""Server time of the request list filtered by due date and by duplicate signals
at 200,000 requests.

Run by hand, not in CI::

    python bench/deadlines.py [--rows 200000] [--rounds 9] [--shared 0.01]

It fills a temporary database as ``bench/staff_list.py`` does (two organisations,
two forms, every status, the last 365 days), except that each request gets its
own SIRET and IBAN but for a share ``--shared`` of them, which reuse one from a
small pool (some IBANs of which come with several SIRETs). The due dates,
identifiers and signals are then filled by the kit's own start-up code (timed:
it is what an upgrade costs). It then times, as medians of ``--rounds`` runs, what
one list page costs the server (the page of rows, the counts per status and the
chart's data) unfiltered and with each due-date and signal filter, and gives each
filtered figure's ratio to the unfiltered one; then whole pages through the Flask
test client.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import staff_list  # noqa: E402

from ecitiz_kit import create_app  # noqa: E402
from ecitiz_kit.domain import request_list as listing  # noqa: E402
from ecitiz_kit.domain.request_list import definition_lookup  # noqa: E402
from ecitiz_kit.domain.signals import fill_requests  # noqa: E402
from ecitiz_kit.fingerprints import Fingerprints  # noqa: E402
from ecitiz_kit.forms.registry import FormRegistry  # noqa: E402
from ecitiz_kit.passwords import hash_password  # noqa: E402
from ecitiz_kit.state import state  # noqa: E402

SECRET = "bench-" * 8
DAYS = {"aid-request": 30, "attestation": 2}


def vary_identifiers(shared: float, seed: int = 2) -> None:
    """Make ``staff_list`` give each request its own SIRET and IBAN, but for a
    share ``shared`` drawn from a pool of 100 (IBANs partly with two SIRETs)."""
    rng = random.Random(seed)
    original = staff_list._answers
    counter = iter(range(10**9))

    def answers(form_id, first, last, email, rng_):
        values = original(form_id, first, last, email, rng_)
        n = next(counter)
        if rng.random() < shared:
            pick = rng.randrange(100)
            values["siret"] = f"{pick % 80 + rng.randrange(2):014d}"
            values["iban"] = f"FR76{pick:023d}"
        else:
            values["siret"] = f"9{n:013d}"
            values["iban"] = f"FR76{n + 10**12:023d}"
        return values

    staff_list._answers = answers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--shared", type=float, default=0.01)
    args = parser.parse_args()
    vary_identifiers(args.shared)

    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "big"
        start = time.perf_counter()
        store, orgs = staff_list.populate(data, args.rows)
        print(f"filled {args.rows:,} rows in {time.perf_counter() - start:.0f} s")
        start = time.perf_counter()
        filled = fill_requests(
            store,
            definition_lookup(store, FormRegistry()),
            Fingerprints(SECRET),
            decision_days=lambda _org, form_id: DAYS[form_id],
            timezone=staff_list.TIMEZONE,
        )
        store.db.execute("PRAGMA optimize")
        print(
            f"due dates, identifiers and signals of {filled:,} requests filled"
            f" (start-up after an upgrade) in {time.perf_counter() - start:.0f} s"
        )
        org = orgs[0]
        flagged = store.status_counts(org, signal="iban")
        print(f"organisation measured: {sum(flagged.values()):,} share an IBAN\n")

        rounds = args.rounds
        median = staff_list.median_ms
        page = staff_list.list_page
        cases = {
            "unfiltered": listing.Filters(),
            "due: every undecided, by due date": listing.Filters(due="all"),
            "due within 7 days": listing.Filters(due="soon"),
            "overdue": listing.Filters(due="overdue"),
            "shares an IBAN": listing.Filters(signal="iban"),
            "IBAN with several SIRETs": listing.Filters(signal="iban_sirets"),
            "shares a SIRET": listing.Filters(signal="siret"),
            "overdue + shares an IBAN": listing.Filters(due="overdue", signal="iban"),
        }
        figures = {
            name: median(lambda f=filters: page(store, org, f), rounds)
            for name, filters in cases.items()
        }
        rows_only = median(
            lambda: listing.request_page(
                store, org, listing.Filters(due="overdue"), staff_list.TIMEZONE
            ),
            rounds,
        )
        base = figures["unfiltered"]
        print(f"{'list page, all three queries':44} {'median ms':>10} {'ratio':>7}")
        for name, ms in figures.items():
            print(f"{name:44} {ms:10.2f} {ms / base:7.2f}")
        print(f"{'overdue: rows only':44} {rows_only:10.2f} {rows_only / base:7.2f}")
        print()
        for name, ms in http_pages(data, rounds).items():
            print(f"{name:44} {ms:10.2f}")
    return 0


def http_pages(folder: Path, rounds: int) -> dict[str, float]:
    """Whole pages through the Flask test client, as staff of the first
    organisation (sign-in checked, template rendered)."""
    app = create_app(
        {"TESTING": True, "SECRET_KEY": SECRET, "ECITIZ_DATA_DIR": str(folder)}
    )
    with app.app_context():
        state(app).store.create_staff(
            1, "agent@acme.example", hash_password(staff_list.PASSWORD)
        )
    client = app.test_client()
    login = client.get("/ecitiz/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    signed = client.post(
        "/ecitiz/staff/login",
        data={
            "csrf_token": token,
            "email": "agent@acme.example",
            "password": staff_list.PASSWORD,
        },
    )
    assert signed.status_code == 303, signed.status_code

    def get(path: str) -> Callable[[], None]:
        def run() -> None:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        return run

    since = (date.today() - timedelta(days=60)).isoformat()
    return {
        "GET first page": staff_list.median_ms(get("/ecitiz/staff/"), rounds),
        "GET overdue": staff_list.median_ms(get("/ecitiz/staff/?due=overdue"), rounds),
        "GET due within 7 days": staff_list.median_ms(
            get("/ecitiz/staff/?due=soon"), rounds
        ),
        "GET shares an IBAN": staff_list.median_ms(
            get("/ecitiz/staff/?shares=iban"), rounds
        ),
        "GET status + 60 days (for comparison)": staff_list.median_ms(
            get(f"/ecitiz/staff/?status=submitted&from={since}"), rounds
        ),
    }


if __name__ == "__main__":
    sys.exit(main())
