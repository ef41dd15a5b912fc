"""Retention that acts: requests past their form's retention period are announced
to the admins, then deleted or anonymised with all that belongs to them, while
their attestations still verify."""

import os
import secrets
import sqlite3
import time
from datetime import date, timedelta
from unittest import mock

import pytest

from ecitiz_kit.domain import retention
from ecitiz_kit.domain.request_list import definition_lookup
from ecitiz_kit.state import state
from ecitiz_kit.store import MIGRATIONS, Store, utcnow
from ecitiz_kit.store import retention as store_retention
from ecitiz_kit.store.listing import match_expression
from ecitiz_kit.store.retention import referencing_tables
from ecitiz_kit.store.uploads import UploadArea
from ecitiz_kit.web.pages import notices

from .helpers import (
    ORG,
    REFERENCE,
    add_staff,
    aid_answers,
    execute,
    issue_attestation,
    post_form,
    sign_in,
    status_url_in,
    uploaded_files,
    with_file,
)

DAY = timedelta(days=1)
#: The notice admins get, and a little more: the first pass announces, a pass
#: this long after removes.
AFTER_NOTICE = retention.NOTICE + timedelta(hours=1)


def _enable(runner, form, *options):
    result = runner.invoke(
        args=["ecitiz", "enable-form", ORG, form, "--retention-days", "1", *options]
    )
    assert result.exit_code == 0, result.output
    return result.output


def _purge(app, now):
    """One retention pass at ``now``, as the worker runs it."""
    with app.test_request_context():
        kit = state(app)
        return retention.purge(
            kit.store,
            kit.uploads,
            notices().composer,
            definition_lookup(kit.store, kit.forms),
            now,
        )


def _search(store, word):
    store.index_for_search()
    organisation_id = store.organisation(ORG)["id"]
    if store.dialect == "postgresql":  # the words indexed on each request
        return store._all(
            "SELECT id FROM submissions WHERE search_terms @@ search_prefix(?, ?)",
            (organisation_id, word),
        )
    return store.db.execute(
        "SELECT rowid FROM submission_search WHERE submission_search MATCH ?",
        (match_expression(word, organisation_id),),
    ).fetchall()


def _notices(store):
    return [
        (row["recipient"], row["subject"], row["body_text"])
        for row in store._all(
            "SELECT recipient, subject, body_text FROM outbox"
            " WHERE kind = 'purge-notice' ORDER BY id"
        )
    ]


def _verify(client, payload):
    response = client.post("/ecitiz/api/verify", json={"payload": payload})
    assert response.status_code == 200
    return response.get_json()["verdict"]


@pytest.fixture
def admin(app):
    return add_staff(app, email="admin@acme.example")


def test_enable_form_records_what_happens_after_retention(runner, store):
    org = store.organisation(ORG)["id"]
    assert "then deleted" in _enable(runner, "aid-request")
    assert store.enabled_form(org, "aid-request")["after_retention"] == "delete"
    out = _enable(runner, "aid-request", "--after-retention", "anonymise")
    assert "then anonymised" in out
    # Enabled again without the option: the choice stays.
    _enable(runner, "aid-request")
    assert store.enabled_form(org, "aid-request")["after_retention"] == "anonymise"
    bad = runner.invoke(
        args=["ecitiz", "enable-form", ORG, "aid-request", "--after-retention", "x"]
    )
    assert bad.exit_code != 0 and "anonymise" in bad.output
    assert store.enabled_form(org, "aid-request")["after_retention"] == "anonymise"


def _submit(client, **overrides):
    """Send an aid request with a file; its reference and tracking path."""
    response = post_form(client, with_file(aid_answers(**overrides)))
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    return REFERENCE.search(html).group(0), status_url_in(html)


def test_purge_removes_request_files_and_search_rows_while_attestation_verifies(
    app, client, runner, store, admin, monkeypatch
):
    _enable(runner, "aid-request")
    _enable(runner, "attestation")
    document = issue_attestation(
        client,
        runner,
        store,
        valid_to=(date.today() + timedelta(days=31)).isoformat(),
    )
    attestation = store.submission(document["submission_id"])
    reference, tracking = _submit(client, first_name="Hortense")
    request = store.submission_by_reference(reference)
    assert client.get(tracking).status_code == 200
    assert uploaded_files(app) and _search(store, "Hortense")
    now = utcnow()

    first = _purge(app, now)  # announces both; removes nothing yet
    assert first.announced == 2 and not first.deleted
    assert store.submission_by_reference(reference) is not None

    later = now + AFTER_NOTICE
    report = _purge(app, later)
    assert sorted(report.deleted) == sorted([reference, attestation["reference"]])
    assert store.submission_by_reference(reference) is None
    assert store.attachments(request["id"]) == []
    assert store.events(request["id"]) == []
    assert uploaded_files(app) == []
    assert _search(store, "Hortense") == []
    if store.dialect == "sqlite":  # SQLite's full-text index is still whole
        execute(
            store,
            "INSERT INTO submission_search (submission_search)"
            " VALUES ('integrity-check')",
        )
    assert store._all(
        "SELECT count(*) AS n FROM outbox WHERE submission_id = ?", (request["id"],)
    ) == [{"n": 0}]
    # Its tracking link leads where every bad link does.
    gone = client.get(tracking)
    bogus = client.get(tracking[:-4] + "AAAA")
    assert gone.status_code == bogus.status_code == 404
    assert gone.get_data() == bogus.get_data()
    # The attestation's request is gone, not the document: it still verifies at
    # the moved clock, and its revocation still works.
    kept = store.document(document["serial"])
    assert kept["submission_id"] is None and kept["holder"] == ""
    assert store.document_pdf(kept["id"]) is None
    monkeypatch.setattr("ecitiz_kit.public.verify_page.today", lambda: later.date())
    assert _verify(client, document["payload"]) == "valid"
    page = client.post("/ecitiz/v", data={"code": document["payload"]})
    assert "ACME Entraide" in page.get_data(as_text=True)
    status = client.get(f"/ecitiz/api/documents/{document['serial']}/status")
    assert status.get_json() == {"serial": document["serial"], "revoked": False}
    revoked = runner.invoke(args=["ecitiz", "revoke", document["serial"]])
    assert revoked.exit_code == 0, revoked.output
    assert _verify(client, document["payload"]) == "revoked"
    # Once expired, the document goes too.
    _purge(app, later + timedelta(days=40))
    assert store.document(document["serial"]) is None


def test_anonymise_keeps_the_statistics_columns_only(app, client, runner, store):
    _enable(runner, "aid-request", "--after-retention", "anonymise")
    reference, tracking = _submit(client, first_name="Hortense")
    accept = runner.invoke(
        args=["ecitiz", "set-status", reference, "in_review", "--message", "Vu."]
    )
    assert accept.exit_code == 0, accept.output
    before = store.submission_by_reference(reference)
    now = utcnow()
    _purge(app, now)
    report = _purge(app, now + AFTER_NOTICE)

    assert report.anonymised == [reference] and report.deleted == []
    after = store.submission_by_reference(reference)
    for column in ("status", "created_at", "updated_at", "form_id", "organisation_id"):
        assert after[column] == before[column]
    money = {
        "revenue_reference",
        "revenue_crisis",
        "amount_requested",
        "monthly_payroll",
    }
    assert after["answers"] == {
        k: v for k, v in before["answers"].items() if k in money | {"postal_code"}
    }
    assert after["answers"]["postal_code"] == "75011"
    assert after["applicant_name"] == after["applicant_email"] == ""
    assert after["applicant_key"] is None and after["anonymised_at"]
    assert store.attachments(after["id"]) == [] and uploaded_files(app) == []
    events = store.events(after["id"])
    assert [e["to_status"] for e in events] == ["submitted", "in_review"]
    assert all(e["public_message"] is None for e in events)
    assert _search(store, "Hortense") == []
    assert client.get(tracking).status_code == 404
    # Anonymised once: later passes leave it alone.
    again = _purge(app, now + 3 * AFTER_NOTICE)
    assert again.anonymised == [] and again.announced == 0
    assert store.submission_by_reference(reference)["answers"] == after["answers"]


@pytest.mark.parametrize("after", ["delete", "anonymise"])
def test_a_purged_request_no_longer_flags_what_it_shared(
    app, client, runner, store, after
):
    _enable(runner, "aid-request", "--after-retention", after)
    old, _ = _submit(client)
    now = utcnow()
    _purge(app, now)  # announced
    # A request sent later with the same SIRET, IBAN and address: both flagged.
    with mock.patch("ecitiz_kit.store.base.utcnow", return_value=now + AFTER_NOTICE):
        new, _ = _submit(client)
    flags = ("shares_siret", "shares_iban", "shares_email")
    assert [store.submission_by_reference(new)[f] for f in flags] == [1, 1, 1]

    report = _purge(app, now + AFTER_NOTICE)

    assert old in report.deleted + report.anonymised
    assert [store.submission_by_reference(new)[f] for f in flags] == [0, 0, 0]
    if after == "anonymise":
        kept = store.submission_by_reference(old)
        assert kept["siret_key"] is None and kept["iban_key"] is None


def test_dry_run_lists_and_changes_nothing(app, client, runner, store, admin):
    _enable(runner, "aid-request")
    reference, _ = _submit(client)
    _purge(app, utcnow())  # announced
    # And one more, changed since: it is listed as to announce.
    fresh, _ = _submit(client, first_name="Hortense")
    counts = store.table_counts()
    rows = store._all("SELECT * FROM submissions ORDER BY id")
    files = uploaded_files(app)
    with mock.patch(
        "ecitiz_kit.cli.retention.utcnow", return_value=utcnow() + AFTER_NOTICE
    ):
        result = runner.invoke(args=["ecitiz", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"would delete: {reference} (acme, aid-request" in result.output
    assert "would announce to the admins" in result.output and fresh in result.output
    assert "nothing was changed" in result.output
    assert store.table_counts() == counts
    assert store._all("SELECT * FROM submissions ORDER BY id") == rows
    assert uploaded_files(app) == files

    with mock.patch(
        "ecitiz_kit.cli.retention.utcnow", return_value=utcnow() + AFTER_NOTICE
    ):
        done = runner.invoke(args=["ecitiz", "purge"])
    assert done.exit_code == 0, done.output
    assert f"deleted {reference}" in done.output
    assert "1 deleted, 0 anonymised, 1 announced" in done.output
    assert store.submission_by_reference(reference) is None
    assert store.submission_by_reference(fresh) is not None


def test_admins_are_emailed_once_per_batch(app, client, runner, store, admin):
    _enable(runner, "aid-request")
    _enable(runner, "attestation", "--after-retention", "anonymise")
    add_staff(app, email="agent@acme.example")
    store.set_staff_role(store.staff_by_email("agent@acme.example")["id"], "agent")
    gone = add_staff(app, email="former@acme.example")
    store.set_staff_active(gone["id"], False)
    reference, _ = _submit(client)
    _submit(client)
    now = utcnow()
    for hours in range(3):  # passes an hour apart: one e-mail
        _purge(app, now + timedelta(hours=hours))
    [(recipient, subject, body)] = _notices(store)
    assert recipient == "admin@acme.example"
    assert "2" in subject and "ACME Entraide" in subject
    assert "Camille" not in body and reference not in body
    # A request that changes is kept a new period, and announced again.
    result = runner.invoke(args=["ecitiz", "set-status", reference, "in_review"])
    assert result.exit_code == 0, result.output
    report = _purge(app, now + AFTER_NOTICE)
    assert len(report.deleted) == 1 and reference not in report.deleted
    assert len(_notices(store)) == 2
    assert store.submission_by_reference(reference) is not None


def test_interrupted_purge_is_finished_by_the_next_one(
    app, client, runner, store, admin, monkeypatch
):
    _enable(runner, "aid-request")
    first, _ = _submit(client)
    second, _ = _submit(client)
    now = utcnow()
    _purge(app, now)
    real = store_retention._forget_messages
    calls = []

    def crash_on_second(conn, submission_id):
        calls.append(submission_id)
        real(conn, submission_id)
        if len(calls) == 2:
            raise RuntimeError("power cut")

    monkeypatch.setattr(store_retention, "_forget_messages", crash_on_second)
    with pytest.raises(RuntimeError):
        _purge(app, now + AFTER_NOTICE)
    # The first went whole; the second is whole: rows, documents, files.
    assert store.submission_by_reference(first) is None
    kept = store.submission_by_reference(second)
    [attachment] = store.attachments(kept["id"])
    assert len(store.events(kept["id"])) == 1
    assert len(uploaded_files(app)) == 1
    assert state(app).uploads.read_committed(attachment["stored_name"]) is not None

    monkeypatch.setattr(store_retention, "_forget_messages", real)
    report = _purge(app, now + AFTER_NOTICE)
    assert report.deleted == [second]
    assert uploaded_files(app) == []


@pytest.mark.sqlite_only  # PostgreSQL removes files in the request's transaction
def test_files_left_by_a_crash_after_the_commit_are_swept(
    app, client, runner, store, admin, monkeypatch
):
    _enable(runner, "aid-request")
    reference, _ = _submit(client)
    now = utcnow()
    _purge(app, now)

    def crash(self, names):
        raise RuntimeError("crash after the commit")

    monkeypatch.setattr(UploadArea, "discard", crash)
    with pytest.raises(RuntimeError):
        _purge(app, now + AFTER_NOTICE)
    assert store.submission_by_reference(reference) is None
    [left] = uploaded_files(app)
    monkeypatch.undo()
    kit = state(app)
    kit.tidy_uploads()
    assert left.exists()  # too young: it could belong to a request in progress
    old = time.time() - kit.orphan_file_age - 60
    os.utime(left, (old, old))
    kit.tidy_uploads()
    assert uploaded_files(app) == []


def _fill_generically(conn, table, column, submission_id):
    """Insert one row into ``table`` pointing at the request, whatever its
    other columns (foreign keys are off meanwhile on this connection)."""
    info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
    names, values = [], []
    for _cid, name, kind, notnull, default, pk in info:
        if name == column:
            names.append(name)
            values.append(submission_id)
        elif notnull and default is None and not pk:
            names.append(name)
            # Random hex: unique, and a valid stored file name where one is.
            text = secrets.token_hex(16)
            values.append(1 if "INT" in (kind or "").upper() else text)
    marks = ", ".join("?" * len(values))
    quoted = ", ".join(f'"{n}"' for n in names)
    conn.execute(f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})', values)


def test_a_table_added_later_is_found_among_those_referencing_requests(store):
    execute(
        store,
        "CREATE TABLE request_notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL,"
        " submission_id INTEGER NOT NULL REFERENCES submissions(id))",
    )
    try:
        with store._read() as conn:
            tables = referencing_tables(conn)
    finally:
        execute(store, "DROP TABLE request_notes")
    assert ("request_notes", "submission_id") in tables
    assert {"attachments", "events", "documents", "company_checks"} <= {
        table for table, _column in tables
    }


@pytest.mark.sqlite_only  # fills every table through SQLite's schema pragmas
def test_every_table_referencing_requests_is_cleared(app, client, runner, store):
    """A table added later with a foreign key to submissions is found in the
    schema and cleared by the purge, however it is named."""
    _enable(runner, "aid-request")
    conn = store.db.conn
    conn.execute(
        "CREATE TABLE request_notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL,"
        " submission_id INTEGER NOT NULL REFERENCES submissions(id))"
    )
    reference, _ = _submit(client)
    request = store.submission_by_reference(reference)
    tables = referencing_tables(conn)
    assert ("request_notes", "submission_id") in tables
    assert {"attachments", "events", "documents"} <= {t for t, _ in tables}
    conn.execute("PRAGMA foreign_keys = OFF")
    for table, column in tables:
        _fill_generically(conn, table, column, request["id"])
    conn.execute("PRAGMA foreign_keys = ON")
    for table, column in tables:
        count = conn.execute(
            f'SELECT count(*) FROM "{table}" WHERE "{column}" = ?', (request["id"],)
        ).fetchone()[0]
        assert count >= 1, table

    now = utcnow()
    _purge(app, now)
    assert _purge(app, now + AFTER_NOTICE).deleted == [reference]
    for table, column in tables:
        count = conn.execute(
            f'SELECT count(*) FROM "{table}" WHERE "{column}" = ?', (request["id"],)
        ).fetchone()[0]
        assert count == 0, f"{table} still references a purged request"
    broken = conn.execute("PRAGMA foreign_key_check").fetchall()
    assert [row for row in broken if row[2] == "submissions"] == []


def test_purge_command_runs_in_the_worker_pass_at_most_hourly(
    app, client, runner, store, admin, monkeypatch
):
    _enable(runner, "aid-request")
    _submit(client)
    passes = []
    monkeypatch.setattr(
        "ecitiz_kit.cli.retention.run_pass", lambda kit: passes.append(kit)
    )
    for _ in range(2):
        result = runner.invoke(args=["ecitiz", "send-mail"])
        assert result.exit_code == 0, result.output
    assert len(passes) == 1


def test_staff_still_open_an_anonymised_request(app, client, runner, store):
    _enable(runner, "attestation", "--after-retention", "anonymise")
    document = issue_attestation(client, runner, store)
    request_id = document["submission_id"]
    add_staff(app)
    staff = app.test_client()
    assert sign_in(staff).status_code == 303
    now = utcnow()
    _purge(app, now)
    assert _purge(app, now + AFTER_NOTICE).anonymised
    page = staff.get(f"/ecitiz/staff/requests/{request_id}")
    assert page.status_code == 200
    assert "Zoé" not in page.get_data(as_text=True)
    pdf = staff.get(f"/ecitiz/staff/requests/{request_id}/attestation.pdf")
    assert pdf.status_code == 404
    # The receipt prints what is left, without a server error.
    receipt = staff.get(f"/ecitiz/staff/requests/{request_id}/receipt.pdf")
    assert receipt.status_code < 500


def test_upgrade_keeps_documents_and_their_rendered_pdfs(tmp_path):
    """The migration that lets documents outlive their request rebuilds the
    table: every document and stored PDF is still there, still linked."""
    number = next(
        i for i, script in enumerate(MIGRATIONS) if "documents_detachable" in script
    )
    conn = sqlite3.connect(tmp_path / "old.sqlite3", isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    for script in MIGRATIONS[:number]:
        conn.executescript(script)
    conn.execute(
        "INSERT INTO organisations (slug, name, created_at) VALUES ('o', 'O', 'x')"
    )
    conn.execute(
        "INSERT INTO submissions (organisation_id, form_id, form_version, reference,"
        " status, answers, lang, nonce, created_at, updated_at)"
        " VALUES (1, 'attestation', 1, 'ATT-1', 'accepted', '{}', 'fr', 'n', 'x', 'x')"
    )
    conn.execute(
        "INSERT INTO signing_keys (kid, organisation_id, public_key, created_at)"
        " VALUES ('K7Q2', 1, x'00', 'x')"
    )
    for serial in ("AAAAAAAAAA", "BBBBBBBBBB"):
        conn.execute(
            "INSERT INTO documents (submission_id, serial, type, kid, holder,"
            " valid_from, valid_to, issued_at, template_version, payload)"
            " VALUES (1, ?, 'ATT', 'K7Q2', 'N Z.', '2026-12-01', '2026-12-31',"
            " '2026-11-29', 1, 'p')",
            (serial,),
        )
    conn.execute(
        "INSERT INTO document_files (document_id, pdf) VALUES (1, x'25504446'),"
        " (2, NULL)"
    )
    conn.execute(f"PRAGMA user_version = {number}")
    conn.close()
    Store(tmp_path / "old.sqlite3").migrate()  # as at start-up: in a transaction
    conn = sqlite3.connect(tmp_path / "old.sqlite3", isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    rows = conn.execute(
        "SELECT d.id, d.submission_id, d.serial, f.pdf FROM documents d"
        " JOIN document_files f ON f.document_id = d.id ORDER BY d.id"
    ).fetchall()
    assert rows == [(1, 1, "AAAAAAAAAA", b"%PDF"), (2, 1, "BBBBBBBBBB", None)]
    conn.execute("UPDATE documents SET submission_id = NULL WHERE id = 1")
    conn.execute("DELETE FROM documents WHERE id = 2")  # its file row goes with it
    assert conn.execute("SELECT document_id FROM document_files").fetchall() == [(1,)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
