"""``ecitiz copy-db URL``: a SQLite instance moved up to an empty PostgreSQL
database, whose hosts then serve the old links, files and attestations; any
refusal or failed check leaves the target as empty as it was."""

import os

import psycopg
import pytest

from ecitiz_kit.state import state
from ecitiz_kit.store import Store, copying

from .helpers import (
    ORG,
    STAFF,
    accept_request,
    add_staff,
    aid_answers,
    documents_of,
    kit_app,
    open_test_organisation,
    pdf_text,
    post_form,
    sign_in,
    status_url_in,
    stored_requests,
    submit_attestation,
    with_file,
)


@pytest.fixture
def source(tmp_path, monkeypatch):
    """An application on SQLite, as the ``app`` fixture makes it."""
    for name in [n for n in os.environ if n.startswith("ECITIZ_")]:
        monkeypatch.delenv(name)
    app = kit_app(tmp_path / "sqlite-host")
    open_test_organisation(app)
    yield app
    state(app).store.close()


@pytest.fixture
def target(fresh_database):
    """The copy's target: a new PostgreSQL database, no table at all yet."""
    return fresh_database


def _copy(app, url):
    with app.app_context():
        return app.test_cli_runner().invoke(args=["ecitiz", "copy-db", url])


def _refused(result, *words):
    """The command stopped with one line saying so, no traceback."""
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def _rows(url):
    """Rows per table of the target (every table empty: all zeros)."""
    store = Store(url)
    try:
        return store.table_counts()
    finally:
        store.close()


def _submit(client):
    """Send an aid request with a file; its tracking page path."""
    response = post_form(client, with_file(aid_answers()))
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    return status_url_in(receipt)


def _instance(app):
    """A demo-like instance: requests with files, a file kept for a form not
    sent yet, an attestation issued."""
    client = app.test_client()
    add_staff(app)
    tracked = [_submit(client) for _ in range(3)]
    with app.app_context():
        runner = app.test_cli_runner()
        kit = state(app)
        reference, attested = submit_attestation(client)
        accept_request(runner, reference)
        [document] = documents_of(kit.store, reference)
        tracked.append(attested)
        name, sha256 = kit.uploads.stage(b"%PDF-1.4 kept for later")
        kit.uploads.promote([name])
        kit.store.keep_upload(
            "draft:later",
            kit.store.organisation(ORG)["id"],
            "aid-request",
            {
                "field": "statement",
                "stored_name": name,
                "filename": "later.pdf",
                "content_type": "application/pdf",
                "size": 23,
                "sha256": sha256,
            },
        )
    return client, tracked, document | {"tracked": attested}


def _receipt(client, path):
    """The receipt PDF's text up to its tracking link (signed anew each time)."""
    text = pdf_text(_seen(client, f"{path}/receipt.pdf").data)
    assert "http" in text
    return text.split("http")[0]


def _tallies(pg):
    """Requests by form and status, as PostgreSQL's trigger counts them."""
    return {
        (form_id, status): n
        for form_id, status, n in pg.execute(
            "SELECT form_id, status, n FROM submission_tallies WHERE n > 0"
        )
    }


def _seen(client, path):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response


def test_a_copied_instance_serves_its_old_links_and_signs_on(source, target, tmp_path):
    client, tracked, document = _instance(source)
    before = {
        path: (
            _seen(client, path).get_data(as_text=True).count("AID-"),
            _receipt(client, path),
        )
        for path in tracked
    }
    attestation = _seen(client, f"{document['tracked']}/attestation.pdf").data
    with source.app_context():
        old = state(source).store
        files = {row["stored_name"]: row["sha256"] for row in old.stored_files()}
        [kept] = old._all("SELECT stored_name, sha256 FROM kept_uploads")
        files[kept["stored_name"]] = kept["sha256"]
        counts = old.table_counts()
        last_id = max(r["id"] for r in old._all("SELECT id FROM submissions"))
        aid = [
            r["reference"]
            for r in stored_requests(old)
            if r["form_id"] == "aid-request"
        ]
        by_status = {
            (r["form_id"], r["status"]): r["n"]
            for r in old._all(
                "SELECT form_id, status, count(*) AS n FROM submissions"
                " GROUP BY form_id, status"
            )
        }

    result = _copy(source, target)

    assert result.exit_code == 0, result.output
    assert f"  submissions: {counts['submissions']}" in result.output.splitlines()
    assert f"{len(files)} uploaded file(s), 1 signing key(s)" in result.output
    assert "checked" in result.output
    copied = _rows(target)
    for table in (
        "submissions",
        "attachments",
        "kept_uploads",
        "events",
        "documents",
        "document_files",
        "staff",
        "outbox",
    ):
        assert copied[table] == counts[table] > 0
    with psycopg.connect(target) as pg:
        stored = dict(
            pg.execute(
                "SELECT stored_name, encode(sha256(data), 'hex') FROM stored_files"
            ).fetchall()
        )
        tallies = _tallies(pg)
    assert stored == files
    assert tallies == by_status  # kept by PostgreSQL's trigger, not copied twice

    # A host on PostgreSQL with nothing carried over but SECRET_KEY.
    moved = kit_app(tmp_path / "postgresql-host", target)
    try:
        after = moved.test_client()
        for path, (mentions, receipt) in before.items():
            assert _seen(after, path).get_data(as_text=True).count("AID-") == mentions
            assert _receipt(after, path) == receipt
        # The search index PostgreSQL derives covers the copied requests.
        staff = moved.test_client()
        assert sign_in(staff).status_code == 303
        found = _seen(staff, f"{STAFF}/?q=durand").get_data(as_text=True)
        assert aid and all(reference in found for reference in aid)
        found = _seen(staff, f"{STAFF}/?q=nobody").get_data(as_text=True)
        assert not any(reference in found for reference in aid)

        # The attestation: its PDF as stored, its code checked by its QR link.
        assert _seen(after, f"{document['tracked']}/attestation.pdf").data == (
            attestation
        )
        link = "https://forms.example.org/ecitiz/v#" + document["payload"]
        page = after.post("/ecitiz/v?lang=en", data={"code": link})
        assert 'data-verdict="valid"' in page.get_data(as_text=True)

        # New requests count on from the copied ids, and sign with the copied key.
        runner = moved.test_cli_runner()
        with moved.app_context():
            store = state(moved).store
            reference, _ = submit_attestation(after, last_name="Martin")
            assert store.submission_by_reference(reference)["id"] == last_id + 1
            accept_request(runner, reference)
            [signed] = documents_of(store, reference)
        assert signed["kid"] == document["kid"]
        page = after.post("/ecitiz/v?lang=en", data={"code": "#" + signed["payload"]})
        assert 'data-verdict="valid"' in page.get_data(as_text=True)
        # The counts by status follow the new request (their trigger is on).
        by_status[("attestation", "accepted")] += 1
        with psycopg.connect(target) as pg:
            assert _tallies(pg) == by_status
    finally:
        state(moved).store.close()


def test_a_copied_upload_downloads_from_a_new_postgresql_host(source, target, tmp_path):
    client = source.test_client()
    add_staff(source)
    _submit(client)
    with source.app_context():
        [row] = state(source).store._all("SELECT id, submission_id FROM attachments")
    path = f"{STAFF}/requests/{row['submission_id']}/files/{row['id']}"
    staff = source.test_client()
    assert sign_in(staff).status_code == 303
    sent = _seen(staff, path).data
    assert _copy(source, target).exit_code == 0

    moved = kit_app(tmp_path / "postgresql-host", target)
    try:
        staff = moved.test_client()
        assert sign_in(staff).status_code == 303  # the copied account
        assert staff.get(path).data == sent
    finally:
        state(moved).store.close()


def test_a_target_holding_any_row_is_refused_and_left_alone(source, target):
    _instance(source)
    store = Store(target)
    store.migrate()
    store.create_organisation("other", "Another organisation")
    store.close()
    before = _rows(target)

    line = _refused(_copy(source, target), "not empty", "organisations (1)")

    assert "nothing was written" in line
    assert _rows(target) == before


def test_a_second_copy_into_the_same_database_is_refused(source, target):
    _instance(source)
    assert _copy(source, target).exit_code == 0
    before = _rows(target)
    _refused(_copy(source, target), "not empty")
    assert _rows(target) == before


def test_a_url_that_is_not_postgresql_is_refused(source, tmp_path):
    _refused(_copy(source, f"sqlite:///{tmp_path}/x.db"), "postgresql://")
    _refused(_copy(source, "mysql://root:pw@127.0.0.1/ecitiz"), "postgresql://")


def test_an_unreachable_server_is_named_without_its_password(source):
    line = _refused(
        _copy(source, "postgresql://ecitiz:s3cret-pass@127.0.0.1:1/ecitiz"),
        "cannot open database ecitiz on 127.0.0.1:1",
    )
    assert "s3cret-pass" not in line


def test_an_application_already_on_postgresql_is_refused(
    source, target, tmp_path, postgresql_session
):
    on_postgresql = kit_app(tmp_path / "postgresql-host", postgresql_session.url)
    try:
        _refused(_copy(on_postgresql, target), "already runs on PostgreSQL")
    finally:
        state(on_postgresql).store.close()


def _files(app):
    """Each uploaded file's path, by its request's reference."""
    with app.app_context():
        kit = state(app)
        return {
            row["reference"]: kit.uploads.path(row["stored_name"])
            for row in kit.store.stored_files()
        }


def _empty(url):
    return not any(_rows(url).values())


def test_a_missing_upload_stops_the_copy(source, target):
    _instance(source)
    reference, path = next(iter(_files(source).items()))
    path.unlink()
    _refused(_copy(source, target), f"missing: the file {path.name} of {reference}")
    assert _empty(target)


def test_a_damaged_upload_stops_the_copy(source, target):
    _instance(source)
    reference, path = next(iter(_files(source).items()))
    path.write_bytes(b"not the PDF that was sent")
    _refused(_copy(source, target), f"damaged: the file {path.name} of {reference}")
    assert _empty(target)


def test_a_missing_signing_key_stops_the_copy(source, target):
    _instance(source)
    [key] = (state(source).data_dir / "keys").glob("*.key")
    key.unlink()
    _refused(_copy(source, target), key.stem, "does not exist")
    assert _empty(target)


def test_a_row_lost_on_the_way_fails_the_check(source, target, monkeypatch):
    _instance(source)
    copy_rows = copying._copy_rows

    def losing_one(snapshot, pg, table, columns):
        count = copy_rows(snapshot, pg, table, columns)
        if table == "events":
            pg.execute("DELETE FROM events WHERE id = (SELECT max(id) FROM events)")
        return count

    monkeypatch.setattr(copying, "_copy_rows", losing_one)
    _refused(_copy(source, target), "check failed: events has")
    assert _empty(target)


def test_a_file_changed_on_the_way_fails_the_check(source, target, monkeypatch):
    _instance(source)
    copy_files = copying._copy_files

    def flipping(pg, files):
        return copy_files(pg, ((name, data[:-1] + b"!") for name, data in files))

    monkeypatch.setattr(copying, "_copy_files", flipping)
    _refused(_copy(source, target), "check failed: the stored file")
    assert _empty(target)


def _in_sqlite(app, statement):
    with app.app_context():
        state(app).store.db.execute(statement)


def test_a_sqlite_table_postgresql_lacks_stops_the_copy(source, target):
    _instance(source)
    _in_sqlite(source, "CREATE TABLE reminders (id INTEGER PRIMARY KEY, note TEXT)")
    _refused(_copy(source, target), "reminders has no PostgreSQL counterpart")
    assert _empty(target)


def test_a_sqlite_column_postgresql_lacks_stops_the_copy(source, target):
    _instance(source)
    _in_sqlite(source, "ALTER TABLE submissions ADD COLUMN priority INTEGER")
    _refused(_copy(source, target), "submissions has no column priority")
    assert _empty(target)


def test_a_missing_kept_upload_stops_the_copy(source, target):
    _instance(source)
    with source.app_context():
        kit = state(source)
        [kept] = kit.store._all("SELECT stored_name FROM kept_uploads")
        kit.uploads.path(kept["stored_name"]).unlink()
    _refused(_copy(source, target), f"missing: the file {kept['stored_name']}")
    assert _empty(target)
