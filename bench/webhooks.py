"""What webhooks cost: the submit path with endpoints to queue for, and the
delivery rate of one worker to a receiver on loopback.

    python bench/webhooks.py [--requests 300] [--endpoints 3] [--deliveries 500]

Part 1 stores ``--requests`` requests through the store, as the submit path does,
with no endpoint, then again with ``--endpoints`` endpoints that take every
event, and prints the mean CPU time per request of each (the difference is what
queueing the deliveries in the transaction costs; wall time is mostly the fsync
of each commit, and swings on a shared disk). Part 2 delivers
``--deliveries`` events, signed, to an HTTP server on 127.0.0.1 that answers
204, in one worker pass, and prints the rate and the CPU time per delivery.
Every delivery must arrive, exactly once; the script exits 1 otherwise.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from flask import current_app

from ecitiz_kit import create_app
from ecitiz_kit.cli.webhooks import delivery_settings
from ecitiz_kit.domain import webhook_delivery
from ecitiz_kit.domain.request_list import definition_lookup
from ecitiz_kit.forms.loading import load_catalog
from ecitiz_kit.state import state
from ecitiz_kit.store.webhooks import EVENT_TYPES
from ecitiz_kit.web.pages import notices

SECRET = "a-bench-secret-key-that-is-long-enough"


def _receiver() -> tuple[ThreadingHTTPServer, list[str]]:
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the name http.server calls
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(self.headers["webhook-id"])
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def _store_requests(store, organisation_id: int, count: int, tag: str) -> list[float]:
    definition = load_catalog("attestation")
    answers = {"first_name": "Zoé", "last_name": "Nguyễn", "email": "z@example.org"}
    times = []
    for number in range(count):
        started = time.process_time()
        store.create_submission(
            organisation_id=organisation_id,
            form_id="attestation",
            form_version=definition.version,
            answers=answers,
            lang="fr",
            nonce=f"{tag}-{number}",
            attachments=[],
            make_reference=lambda n=number: f"ATT-{tag}-{n:06d}",
            status="submitted",
        )
        times.append(time.process_time() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--endpoints", type=int, default=3)
    parser.add_argument("--deliveries", type=int, default=500)
    options = parser.parse_args()
    server, seen = _receiver()
    url = f"http://127.0.0.1:{server.server_port}/hooks"
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "SECRET_KEY": SECRET,
                "ECITIZ_DATA_DIR": str(Path(folder) / "data"),
                "ECITIZ_WEBHOOKS_ALLOW_PRIVATE": True,
            }
        )
        with app.app_context():
            kit = state(app)
            store = kit.store
            organisation = store.create_organisation("bench", "Bench")
            store.enable_form(organisation["id"], "attestation", 1, None, 730)
            without = _store_requests(store, organisation["id"], options.requests, "A")
            sealed = kit.sealer(app.config).seal("whsec_" + "A" * 32)
            for _ in range(options.endpoints):
                store.create_webhook(
                    organisation["id"],
                    url=url,
                    events=list(EVENT_TYPES),
                    include_answers=False,
                    sealed_secret=sealed,
                    created_by="bench",
                )
            with_hooks = _store_requests(
                store, organisation["id"], options.requests, "B"
            )
            print(
                f"submit: {statistics.mean(without) * 1000:.2f} ms CPU per request"
                f" without endpoints, {statistics.mean(with_hooks) * 1000:.2f} ms"
                f" with {options.endpoints} (mean of {options.requests})"
            )
            queued = store.delivery_counts().get("pending", 0)
            wanted = min(options.deliveries, queued)
            cpu, wall = time.process_time(), time.perf_counter()
            report = deliver_webhooks_pass_limited(wanted)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            print(
                f"deliver: {report.delivered} in {wall:.2f} s,"
                f" {report.delivered / wall:.0f} per second,"
                f" {cpu / max(report.delivered, 1) * 1000:.2f} ms CPU each"
                " (the receiver's threads included)"
            )
    server.shutdown()
    server.server_close()
    if report.delivered != wanted or len(seen) != len(set(seen)) or len(seen) != wanted:
        print(f"mismatch: {wanted} asked, {len(seen)} received", file=sys.stderr)
        return 1
    return 0


def deliver_webhooks_pass_limited(limit: int):
    """One worker pass (as ``deliver-webhooks`` runs it), stopped after
    ``limit`` deliveries."""
    kit = state()
    return webhook_delivery.deliver_due(
        kit.store,
        kit.sealer(current_app.config),
        delivery_settings(current_app.config),
        definition_for=definition_lookup(kit.store, kit.forms),
        composer=notices().composer,
        page_url=None,
        limit=limit,
    )


if __name__ == "__main__":
    sys.exit(main())
