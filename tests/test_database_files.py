"""Uploaded files with PostgreSQL: kept in the database, in the transaction of
the row that holds them, so every host serves them and no orphan can exist."""

import pytest

from ecitiz_kit.state import state
from ecitiz_kit.store import submissions
from ecitiz_kit.store.uploads import UploadArea

from .helpers import (
    PDF,
    STAFF,
    add_staff,
    aid_answers,
    kit_app,
    post_form,
    sign_in,
    stored_requests,
    ticket_for,
    uploaded_files,
    with_file,
)

pytestmark = pytest.mark.postgresql_only

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _stored(store):
    return {
        row["stored_name"]: bytes(row["data"])
        for row in store._all("SELECT stored_name, data FROM stored_files")
    }


def _sent_with_a_png(client, store):
    """Send an aid request with a PNG; the request and its attachment."""
    sent = post_form(client, with_file(aid_answers(), PNG, "facture.png"))
    assert sent.status_code == 303
    [request] = stored_requests(store)
    [attachment] = store.attachments(request["id"])
    return request, attachment


def _folder(app):
    root = state(app).data_dir / "uploads"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_request_and_its_file_are_stored_together_and_nothing_on_disk(
    app, client, store
):
    assert post_form(client, with_file(aid_answers())).status_code == 303
    [request] = stored_requests(store)
    [attachment] = store.attachments(request["id"])
    assert _stored(store) == {attachment["stored_name"]: PDF}
    assert _folder(app) == []


def test_a_failed_transaction_stores_neither_the_request_nor_its_file(
    app, client, store, monkeypatch
):
    def fail(*args, **kwargs):
        raise RuntimeError("the database went away mid-transaction")

    # After the files are written, before the commit.
    monkeypatch.setattr(submissions, "insert_messages", fail)
    with pytest.raises(RuntimeError):
        post_form(client, with_file(aid_answers()))
    assert store.submission_count() == 0
    assert _stored(store) == {} and _folder(app) == []


def test_another_host_without_the_first_ones_disk_serves_the_file(
    app, client, store, tmp_path
):
    request, attachment = _sent_with_a_png(client, store)
    second = kit_app(tmp_path / "second-host", app.config["ECITIZ_DATABASE_URL"])
    add_staff(second)
    staff = second.test_client()
    assert sign_in(staff).status_code == 303
    download = staff.get(f"{STAFF}/requests/{request['id']}/files/{attachment['id']}")
    assert download.status_code == 200
    assert download.data == PNG
    assert download.headers["Content-Disposition"].startswith("attachment;")


def test_a_kept_file_stays_stored_as_it_becomes_an_attachment(app, client, store):
    ticket = ticket_for(client)
    refused = post_form(
        client, with_file(aid_answers(siret="123"), PNG, "facture.png"), ticket=ticket
    )
    assert refused.status_code == 422  # the file is kept for the next try
    [kept] = store._all("SELECT stored_name FROM kept_uploads")
    assert _stored(store) == {kept["stored_name"]: PNG}

    assert post_form(client, aid_answers(), ticket=ticket).status_code == 303
    [request] = stored_requests(store)
    [attachment] = store.attachments(request["id"])
    assert attachment["stored_name"] == kept["stored_name"]
    assert store.table_counts()["kept_uploads"] == 0
    assert _stored(store) == {kept["stored_name"]: PNG}


def test_a_file_goes_with_the_last_row_that_holds_it(app, client, store):
    assert post_form(client, with_file(aid_answers())).status_code == 303
    [request] = stored_requests(store)
    [attachment] = store.attachments(request["id"])
    with store._write() as conn:
        conn.execute("DELETE FROM attachments WHERE id = ?", (attachment["id"],))
    assert _stored(store) == {}


def test_files_an_older_version_left_in_the_folder_are_served_then_moved_in(
    app, client, store, staff_client
):
    request, attachment = _sent_with_a_png(client, store)
    name = attachment["stored_name"]
    # As an older version stored it: a file in the data folder, no bytes in a row.
    with store._write() as conn:
        conn.execute("DELETE FROM stored_files WHERE stored_name = ?", (name,))
    path = UploadArea(state(app).data_dir / "uploads").path(name)
    path.parent.mkdir(parents=True)
    path.write_bytes(PNG)
    url = f"{STAFF}/requests/{request['id']}/files/{attachment['id']}"
    assert staff_client.get(url).data == PNG

    moved, _, _ = state(app).tidy_uploads()
    assert moved == 1
    assert _stored(store) == {name: PNG} and _folder(app) == []
    assert staff_client.get(url).data == PNG
    assert [f.name for f in uploaded_files(app)] == [name]


def test_a_file_no_row_holds_is_not_moved_in(app, store):
    area = UploadArea(state(app).data_dir / "uploads")
    name, _ = area.stage(b"left by a crash")
    area.promote([name])
    moved, _, _ = state(app).tidy_uploads()
    assert moved == 0 and _stored(store) == {}
    assert area.path(name).exists()  # young: the sweep leaves it for now
