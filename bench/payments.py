"""A payment file made from accepted aid requests, as the dashboard makes it.

    python bench/payments.py --requests 1000 --rounds 3

Each round fills a fresh data folder with ``--requests`` accepted aid requests
(each with its amount granted, IBAN and BIC), then times
:func:`ecitiz_kit.domain.payments.prepare` over all of them: each request read
and checked, the ``pain.001.001.03`` file built and validated against its schema
by sepaxml, the file and its transfers stored in one transaction. Then it times
marking the file paid (each request moved with its event and e-mail). Prints the
seconds of each round and their medians, and checks the rows written.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date

from ecitiz_kit import create_app
from ecitiz_kit.domain import payments
from ecitiz_kit.forms.loading import load_catalog
from ecitiz_kit.state import state
from ecitiz_kit.web.pages import notices

IBANS = ("FR1420041010050500013M02606", "FR7630001007941234567890185")


def one_round(count: int) -> tuple[float, float]:
    """Seconds to make a file of ``count`` transfers, then to mark it paid."""
    app = create_app(
        {
            "SECRET_KEY": "k" * 40,
            "ECITIZ_DATA_DIR": tempfile.mkdtemp(),
            "ECITIZ_RATELIMIT_ENABLED": False,
        }
    )
    definition = load_catalog("aid-request")
    with app.app_context():
        kit = state(app)
        store = kit.store
        org = store.create_organisation("bench", "Bench")
        store.enable_form(org["id"], "aid-request", definition.version, None, 730)
        store.set_debtor_account(
            org["id"], "Bench", "FR7630006000011234567890189", "AGRIFRPP"
        )
        ids = []
        for n in range(count):
            made = store.create_submission(
                organisation_id=org["id"], form_id="aid-request",
                form_version=definition.version,
                answers={"email": "a@example.org", "amount_requested": "1500.00",
                         "iban": IBANS[n % 2], "bic": "BNPAFRPP",
                         "account_holder": f"Entreprise {n}"},
                lang="fr", nonce=f"n{n}", attachments=[],
                make_reference=lambda n=n: f"AID-{n:04d}-BNCH",
                status="accepted",
            )  # fmt: skip
            ids.append(made["id"])
        with store._write() as conn:  # noqa: SLF001 - setting up the bench only
            conn.execute("UPDATE submissions SET granted_cents = 150000")
        organisation = store.organisation_by_id(org["id"])
        start = time.perf_counter()
        batch_id, _created = payments.prepare(
            store, kit.forms, organisation, ids, key="bench-key-0123456789",
            actor="bench", execution_date=date.today(),
        )  # fmt: skip
        made_in = time.perf_counter() - start
        batch = store.payment_batch(org["id"], batch_id)
        assert batch is not None and batch["transfers"] == count
        with app.test_request_context():
            start = time.perf_counter()
            payments.mark_paid(
                store, kit.forms, kit.keyring, batch, actor="bench",
                notices=notices(),
            )  # fmt: skip
            paid_in = time.perf_counter() - start
        assert {store.submission(i)["status"] for i in ids} == {"paid"}
    return made_in, paid_in


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    made, paid = [], []
    for number in range(1, args.rounds + 1):
        made_in, paid_in = one_round(args.requests)
        made.append(made_in)
        paid.append(paid_in)
        print(
            f"round {number}: file of {args.requests} transfers made in"
            f" {made_in:.2f} s, marked paid in {paid_in:.2f} s"
        )
    print(
        f"median: made in {statistics.median(made):.2f} s,"
        f" marked paid in {statistics.median(paid):.2f} s"
    )


if __name__ == "__main__":
    main()
