"""``ecitiz backup ARCHIVE``: a consistent copy of a live instance that restores
into an empty data folder with every request, file and signing key."""

import sqlite3
import stat
import tarfile
import threading

import pytest

from ecitiz_kit import create_app
from ecitiz_kit.state import state

from .helpers import (
    ORG,
    SECRET,
    attestation_answers,
    post_form,
    stored_requests,
    submit_request,
)


def _issue_an_attestation(client, store):
    org = store.organisation(ORG)
    store.enable_form(org["id"], "attestation", 1, None, 730, issue_on_submit=True)
    assert post_form(client, attestation_answers(), "attestation").status_code == 303


def _backup(runner, archive):
    return runner.invoke(args=["ecitiz", "backup", str(archive)])


@pytest.mark.sqlite_only  # copies the SQLite file (PostgreSQL: pg_dump)
def test_a_backup_restores_every_request_file_and_key(
    app, client, runner, store, tmp_path
):
    references = [submit_request(client) for _ in range(2)]
    _issue_an_attestation(client, store)
    kid = store.signing_key(store.organisation(ORG)["id"])["kid"]
    archive = tmp_path / "backup.tar.gz"

    result = _backup(runner, archive)

    assert result.exit_code == 0, result.output
    assert "3 request(s), 2 uploaded file(s), 1 signing key(s)" in result.output
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    restored = tmp_path / "restored"
    with tarfile.open(archive) as tar:
        tar.extractall(restored, filter="data")
    again = create_app(
        {"TESTING": True, "SECRET_KEY": SECRET, "ECITIZ_DATA_DIR": str(restored)}
    )
    with again.app_context():
        kit = state(again)
        assert {r["reference"] for r in stored_requests(kit.store)} >= set(references)
        for row in kit.store.stored_files():
            assert kit.uploads.path(row["stored_name"]).read_bytes() == (
                state(app).uploads.path(row["stored_name"]).read_bytes()
            )
        # The same key signs on: attestations issued before still verify.
        organisation_id = kit.store.organisation(ORG)["id"]
        assert kit.keyring.signing_key(organisation_id)[0] == kid


def test_a_backup_never_overwrites_and_needs_a_folder(runner, tmp_path):
    existing = tmp_path / "old.tar.gz"
    existing.write_bytes(b"keep me")
    result = _backup(runner, existing)
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert existing.read_bytes() == b"keep me"
    result = _backup(runner, tmp_path / "nowhere" / "b.tar.gz")
    assert result.exit_code == 1 and "is not a folder" in result.output


@pytest.mark.postgresql_only
def test_a_postgresql_store_is_sent_to_pg_dump_and_nothing_is_written(
    runner, store, tmp_path
):
    archive = tmp_path / "backup.tar.gz"
    result = _backup(runner, archive)
    assert result.exit_code == 1
    assert "back up PostgreSQL with pg_dump" in result.output
    assert "Traceback" not in result.output
    assert not archive.exists()
    assert not archive.with_name(archive.name + ".part").exists()


@pytest.mark.sqlite_only  # copies the SQLite file (PostgreSQL: pg_dump)
def test_a_missing_or_damaged_file_is_named_and_the_rest_kept(
    app, client, runner, store, tmp_path
):
    missing, damaged = submit_request(client), submit_request(client)
    files = {
        row["reference"]: state(app).uploads.path(row["stored_name"])
        for row in store.stored_files()
    }
    files[missing].unlink()
    files[damaged].write_bytes(b"not the PDF that was sent")
    archive = tmp_path / "backup.tar.gz"

    result = _backup(runner, archive)

    assert result.exit_code == 1
    assert f"missing: the file {files[missing].name} of {missing}" in result.output
    assert f"damaged: the file {files[damaged].name} of {damaged}" in result.output
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "ecitiz.sqlite3" in names
    assert f"uploads/{files[damaged].name[:2]}/{files[damaged].name}" in names


@pytest.mark.sqlite_only  # copies the SQLite file (PostgreSQL: pg_dump)
def test_a_file_still_waiting_for_its_move_is_taken(app, client, runner, tmp_path):
    submit_request(client)
    [row] = state(app).store.stored_files()
    final = state(app).uploads.path(row["stored_name"])
    # Committed, not moved yet: the state between a commit and its rename.
    final.rename(final.with_name(final.name + ".part"))
    result = _backup(runner, tmp_path / "backup.tar.gz")
    assert result.exit_code == 0, result.output
    assert "1 uploaded file(s)" in result.output


@pytest.mark.sqlite_only  # copies the SQLite file (PostgreSQL: pg_dump)
def test_a_backup_taken_while_requests_arrive_is_consistent(app, runner, tmp_path):
    app.config["ECITIZ_RATELIMIT_ENABLED"] = False  # one client sends them all
    stop = threading.Event()
    sent = []

    def keep_sending():
        client = app.test_client()
        while not stop.is_set() and len(sent) < 200:
            sent.append(submit_request(client))

    sender = threading.Thread(target=keep_sending)
    sender.start()
    try:
        while len(sent) < 3:
            threading.Event().wait(0.01)
        result = _backup(runner, tmp_path / "backup.tar.gz")
    finally:
        stop.set()
        sender.join()
    assert result.exit_code == 0, result.output
    restored = tmp_path / "restored"
    with tarfile.open(tmp_path / "backup.tar.gz") as tar:
        tar.extractall(restored, filter="data")
    conn = sqlite3.connect(restored / "ecitiz.sqlite3")
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    held = [name for (name,) in conn.execute("SELECT stored_name FROM attachments")]
    conn.close()
    assert len(held) >= 3
    for name in held:
        assert (restored / "uploads" / name[:2] / name).is_file()
