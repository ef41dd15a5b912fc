import sqlite3

import pytest

from ecitiz_kit.errors import NonceUsed
from ecitiz_kit.store import MIGRATIONS, Store


@pytest.fixture
def db(tmp_path):
    store = Store(tmp_path / "kit.sqlite3")
    store.migrate()
    yield store
    store.close()


def _submission(store, org_id, nonce="n1", **kw):
    args = dict(
        organisation_id=org_id,
        form_id="aid-request",
        form_version=1,
        answers={"siret": "73282932000074"},
        lang="fr",
        nonce=nonce,
        attachments=[],
        make_reference=iter(["AID-AAAA-BBBB", "AID-CCCC-DDDD"]).__next__,
        status="submitted",
    )
    args.update(kw)
    return store.create_submission(**args)


def test_database_is_durable_wal(db):
    assert db.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_migrate_twice_keeps_data(db):
    org = db.create_organisation("acme", "ACME")
    assert db.migrate() == len(MIGRATIONS)
    assert db.schema_version() == len(MIGRATIONS)
    assert db.organisation("acme")["id"] == org["id"]


def test_submission_event_and_nonce_are_written_together(db):
    org = db.create_organisation("acme", "ACME")
    submission = _submission(db, org["id"])
    assert submission["reference"] == "AID-AAAA-BBBB"
    assert submission["answers"] == {"siret": "73282932000074"}
    assert [e["to_status"] for e in db.events(submission["id"])] == ["submitted"]
    assert db.submission_for_nonce("n1") == submission["id"]


def test_spent_nonce_writes_nothing(db):
    org = db.create_organisation("acme", "ACME")
    first = _submission(db, org["id"])
    before = db.table_counts()
    with pytest.raises(NonceUsed) as caught:
        _submission(db, org["id"])
    assert caught.value.submission_id == first["id"]
    assert db.table_counts() == before


def test_a_ticket_spent_on_an_amendment_makes_no_new_request(db):
    org = db.create_organisation("acme", "ACME")
    first = _submission(db, org["id"])
    # Sent back for changes: in review, then submitted again.
    for expected, to_status in (("submitted", "in_review"), ("in_review", "submitted")):
        db.change_status(first["id"], expected=expected, to_status=to_status,
                         actor="agent")  # fmt: skip
    db.amend_submission(first["id"], answers={"siret": "73282932000074"},
                        form_version=1, nonce="amend", attachments=[],
                        replaced_fields=[])  # fmt: skip
    before = db.table_counts()
    with pytest.raises(NonceUsed) as caught:
        _submission(db, org["id"], nonce="amend")
    assert caught.value.submission_id == first["id"]
    assert db.table_counts() == before


def test_reference_collision_draws_again(db):
    org = db.create_organisation("acme", "ACME")
    _submission(db, org["id"], nonce="a", make_reference=lambda: "AID-AAAA-BBBB")
    refs = iter(["AID-AAAA-BBBB", "AID-ZZZZ-ZZZZ"])
    second = _submission(db, org["id"], nonce="b", make_reference=refs.__next__)
    assert second["reference"] == "AID-ZZZZ-ZZZZ"


def test_failure_before_commit_rolls_everything_back(db):
    org = db.create_organisation("acme", "ACME")
    before = db.table_counts()

    def explode():
        raise OSError("disk full")

    with pytest.raises(OSError):
        _submission(
            db,
            org["id"],
            attachments=[
                {
                    "field": "documents",
                    "stored_name": "0" * 32,
                    "filename": "a.pdf",
                    "content_type": "application/pdf",
                    "size": 3,
                    "sha256": "x",
                }
            ],
            before_commit=explode,
        )
    assert db.table_counts() == before
    assert not db.db.conn.in_transaction


def test_enable_form_twice_updates_in_place(db):
    org = db.create_organisation("acme", "ACME")
    db.enable_form(org["id"], "aid-request", 1, None, 730)
    db.enable_form(org["id"], "aid-request", 2, None, 365, "Aide")
    [row] = db.enabled_forms(org["id"])
    assert (row["version"], row["retention_days"], row["title_override"]) == (
        2,
        365,
        "Aide",
    )


def test_organisation_slugs_are_unique(db):
    db.create_organisation("acme", "ACME")
    with pytest.raises(sqlite3.IntegrityError):
        db.create_organisation("acme", "Other")


def _unwritten_receipt(org_id, submission_id):
    return {
        "message_id": "<r1@acme.example>",
        "kind": "receipt",
        "organisation_id": org_id,
        "submission_id": submission_id,
        "recipient": "camille@example.org",
        "reply_to": None,
        "lang": "fr",
        "subject": "Demande AID-AAAA-BBBB bien reçue",
        "body_text": "",
        "body_html": "",
        "base_url": "https://forms.acme.example/",
    }


def test_receipt_is_queued_with_the_submission_and_kept_as_sent(db):
    org = db.create_organisation("acme", "ACME")
    created = _submission(
        db, org["id"], messages=lambda s: [_unwritten_receipt(org["id"], s["id"])]
    )
    [queued] = db.outbox_messages()
    assert queued["submission_id"] == created["id"]
    assert queued["base_url"] == "https://forms.acme.example/"
    assert (queued["body_text"], queued["body_html"]) == ("", "")

    claimed = db.claim_message("sender-a", 60)
    written = {"body_text": "Bonjour,", "body_html": "<p>Bonjour,</p>"}
    # Only the holder of the claim records it, bodies included.
    assert not db.message_sent(claimed["id"], "sender-b", written)
    assert db.outbox_message(claimed["id"])["body_text"] == ""
    assert db.message_sent(claimed["id"], "sender-a", written)
    sent = db.outbox_message(claimed["id"])
    assert (sent["status"], sent["body_text"], sent["body_html"]) == (
        "sent", "Bonjour,", "<p>Bonjour,</p>",
    )  # fmt: skip


def test_a_message_sent_as_queued_keeps_its_bodies(db):
    org = db.create_organisation("acme", "ACME")
    db.queue_messages(
        [{**_unwritten_receipt(org["id"], None), "body_text": "t", "body_html": "h"}]
    )
    claimed = db.claim_message("sender-a", 60)
    assert db.message_sent(claimed["id"], "sender-a")
    assert db.outbox_message(claimed["id"])["body_text"] == "t"
