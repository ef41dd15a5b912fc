"""A bulk acceptance of ready-made attestations, as the background worker runs it.

    python bench/bulk.py --requests 1000 --rounds 3

Each round fills a fresh data folder with ``--requests`` attestation requests
under review, starts one bulk "Accept" through the dashboard (the job waits for
the worker), then times the worker's run of that job: each request moved in its
own transaction, with its event, its e-mail queued and its attestation issued
(signed; the PDF is rendered later, by the worker's next step or the first
download). Prints the server time and the requests per second of each round and
their medians, and checks the rows written.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from datetime import date, timedelta

from ecitiz_kit import create_app
from ecitiz_kit.cli.jobs import run_jobs
from ecitiz_kit.domain import bulk
from ecitiz_kit.forms.loading import load_catalog
from ecitiz_kit.passwords import hash_password
from ecitiz_kit.state import state

PASSWORD = "correct horse battery staple"
STAFF = "/ecitiz/staff"


def _answers() -> dict[str, str]:
    today = date.today()
    return {
        "first_name": "Zoé",
        "last_name": "Nguyễn",
        "birth_date": "1990-04-12",
        "address": "12 rue de l'Œillet",
        "postal_code": "69003",
        "town": "Lyon",
        "email": "zoe@example.org",
        "siret": "73282932000074",
        "organisation_name": "Boulangerie Durand",
        "purpose": "work",
        "purpose_details": "",
        "valid_from": today.isoformat(),
        "valid_to": (today + timedelta(days=7)).isoformat(),
        "declaration": "y",
    }


def one_round(count: int) -> float:
    """Seconds the worker takes to accept ``count`` requests in one bulk job."""
    app = create_app(
        {
            "SECRET_KEY": "k" * 40,
            "ECITIZ_DATA_DIR": tempfile.mkdtemp(),
            "ECITIZ_RATELIMIT_ENABLED": False,
        }
    )
    definition = load_catalog("attestation")
    answers = _answers()
    with app.app_context():
        store = state(app).store
        org = store.create_organisation("acme", "ACME")
        store.enable_form(org["id"], "attestation", definition.version, None, 730)
        store.create_staff(org["id"], "a@acme.example", hash_password(PASSWORD))
        ids = [
            store.create_submission(
                organisation_id=org["id"], form_id="attestation",
                form_version=definition.version, answers=answers, lang="fr",
                nonce=f"n{n}", attachments=[], status="in_review",
                make_reference=lambda n=n: f"ATT-BENC-{n:04d}",
                applicant=definition.applicant_contact(answers),
            )["id"]
            for n in range(count)
        ]  # fmt: skip
    client = app.test_client()
    html = client.get(f"{STAFF}/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    client.post(
        f"{STAFF}/login",
        data={"csrf_token": token, "email": "a@acme.example", "password": PASSWORD},
    )
    html = client.get(f"{STAFF}/").get_data(as_text=True)
    hidden = r'<input type="hidden" name="([^"]+)" value="([^"]*)"'
    form = dict(re.findall(hidden, html))
    started = client.post(
        f"{STAFF}/bulk",
        data={
            **form,
            "action": "status:accepted",
            "public_message": "Votre attestation est prête.",
            "id": [str(i) for i in ids],
        },
    )
    assert started.status_code == 303, started.status_code
    with app.app_context():
        store = state(app).store
        start = time.perf_counter()
        assert run_jobs() == 1
        seconds = time.perf_counter() - start
        counts = store.table_counts()
        assert counts["documents"] == count, counts
        assert counts["outbox"] == count, counts
        assert counts["events"] == 2 * count, counts  # received, then accepted
    return seconds


def main() -> None:
    # However few the requests, the worker runs the job, as for a large one.
    bulk.BACKGROUND_THRESHOLD = 0
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    samples = []
    for n in range(args.rounds):
        seconds = one_round(args.requests)
        samples.append(seconds)
        rate = args.requests / seconds
        print(f"round {n + 1}: {seconds:6.2f} s  {rate:7.1f} requests/s")
    median = statistics.median(samples)
    print(
        f"median:  {median:6.2f} s  {args.requests / median:7.1f} requests/s"
        f"  ({median / args.requests * 1000:.2f} ms per request)"
    )


if __name__ == "__main__":
    main()
