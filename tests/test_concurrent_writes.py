"""The store's guarantees under concurrent writers, on each backend: several
processes (as several hosts would) and threads write at once."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import timedelta

import pytest

from ecitiz_kit.errors import NonceUsed
from ecitiz_kit.store import StaleStatus, Store, utcnow

from .helpers import in_processes

WORKERS = 4


@pytest.fixture
def target(backend, database_url, tmp_path):
    """What a store opens on this backend, migrated and holding one
    organisation."""
    target = database_url or str(tmp_path / "kit.sqlite3")
    store = Store(target)
    store.migrate()
    store.create_organisation("acme", "ACME")
    store.close()
    return target


def _submit(barrier, target, nonce):
    store = Store(target)
    barrier.wait()
    try:
        created = store.create_submission(
            organisation_id=1,
            form_id="aid-request",
            form_version=1,
            answers={},
            lang="fr",
            nonce=nonce,
            attachments=[],
            make_reference=lambda: (
                f"AID-{nonce}-{multiprocessing.current_process().pid}"
            ),
            status="submitted",
        )
        return ("created", created["id"])
    except NonceUsed as exc:
        return ("spent", exc.submission_id)
    finally:
        store.close()


def test_a_form_ticket_is_spent_once_across_processes(target):
    outcomes = in_processes(_submit, target, "ticket-1")
    created = [sid for what, sid in outcomes if what == "created"]
    assert len(created) == 1
    assert sorted(outcomes) == [("created", created[0])] + [("spent", created[0])] * (
        WORKERS - 1
    )
    store = Store(target)
    assert store.submission_count() == 1
    assert len(store.events(created[0])) == 1
    store.close()


def test_two_staff_moving_one_request_never_lose_an_update(target):
    store = Store(target)
    submission = store.create_submission(
        organisation_id=1,
        form_id="aid-request",
        form_version=1,
        answers={},
        lang="fr",
        nonce="n",
        attachments=[],
        make_reference=lambda: "AID-0001",
        status="submitted",
    )
    barrier = threading.Barrier(WORKERS)
    outcomes = []

    def move(to_status):
        barrier.wait()
        try:
            store.change_status(
                submission["id"],
                expected="submitted",
                to_status=to_status,
                actor=to_status,
            )
            outcomes.append(to_status)
        except StaleStatus:
            outcomes.append("stale")

    moves = ["in_review", "closed", "in_review", "closed"]
    threads = [threading.Thread(target=move, args=(m,)) for m in moves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    [winner] = [o for o in outcomes if o != "stale"]
    assert outcomes.count("stale") == WORKERS - 1
    events = store.events(submission["id"])
    assert [(e["from_status"], e["to_status"]) for e in events] == [
        (None, "submitted"),
        ("submitted", winner),
    ]
    assert store.submission(submission["id"])["status"] == winner
    store.close()


def _claim_all(barrier, target):
    store = Store(target)
    barrier.wait()
    claimed = []
    try:
        while (message := store.claim_message(f"sender-{id(store)}", 300)) is not None:
            claimed.append(message["message_id"])
    finally:
        store.close()
    return claimed


def test_senders_in_several_processes_never_claim_one_message_twice(target):
    store = Store(target)
    store.queue_messages(
        [
            {
                "message_id": f"<m{i}@acme.example>",
                "kind": "receipt",
                "organisation_id": 1,
                "recipient": f"person{i}@example.org",
                "lang": "fr",
                "subject": f"Message {i}",
                "body_text": "texte",
                "body_html": "<p>texte</p>",
            }
            for i in range(60)
        ]
    )
    claims = in_processes(_claim_all, target)
    every = [message_id for claimed in claims for message_id in claimed]
    assert sorted(every) == sorted(f"<m{i}@acme.example>" for i in range(60))
    assert {m["attempts"] for m in store.outbox_messages()} == {1}
    # Their leases hold: nobody takes them again before they run out.
    assert store.claim_message("late", 300) is None
    later = utcnow() + timedelta(seconds=301)
    assert store.claim_message("late", 300, now=later) is not None
    store.close()
