"""Uploaded files and crashes: a file under its final name always has a row, and
what a crash leaves behind is cleared at start-up and by the background job."""

import os
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from ecitiz_kit import create_app
from ecitiz_kit.state import state
from ecitiz_kit.store.base import Base
from ecitiz_kit.store.uploads import PART, UploadArea

from .helpers import (
    PDF,
    SECRET,
    aid_answers,
    post_form,
    status_url_in,
    uploaded_files,
    with_file,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class Killed(BaseException):
    """The worker dies here: no clean-up code runs after it."""


class RolledBack(Exception):
    """The transaction of a dead writer, undone by the database."""


@pytest.fixture
def killed_at_commit(monkeypatch):
    """Kill the worker right where the transaction would commit."""

    real_write = Base._write

    @contextmanager
    def write(self, serialised=True):
        try:
            with real_write(self, serialised) as conn:
                yield conn
                raise RolledBack()  # what the database does for a dead writer
        except RolledBack:
            pass
        raise Killed()

    def arm():
        # A killed process removes nothing either.
        monkeypatch.setattr(UploadArea, "discard", lambda self, names: None)
        monkeypatch.setattr(Base, "_write", write)

    return arm


def _finals(app):
    return [p for p in uploaded_files(app) if not p.name.endswith(PART)]


def _age(path, seconds):
    old = time.time() - seconds
    os.utime(path, (old, old))


def _age_if_a_file(stored, seconds):
    """Age a file of the data folder (PostgreSQL keeps it in the database,
    where the sweep never looks)."""
    if isinstance(stored, Path):
        _age(stored, seconds)


def test_worker_killed_before_commit_leaves_no_final_file(
    app, client, store, killed_at_commit
):
    killed_at_commit()
    with pytest.raises(Killed):
        post_form(client, with_file(aid_answers()))
    assert store.submission_count() == 0
    assert _finals(app) == []
    # The part left behind is cleared by recovery once nobody can be writing it.
    kit = state(app)
    for part in uploaded_files(app):
        _age(part, 2 * 3600)
    kit.tidy_uploads()
    assert uploaded_files(app) == []


def _sent_back(client, store):
    response = post_form(client, with_file(aid_answers()))
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    sid = store.submission_count()
    store.change_status(sid, expected="submitted", to_status="in_review", actor="t")
    store.change_status(sid, expected="in_review", to_status="submitted", actor="t")
    return status_url_in(html)


def test_worker_killed_before_an_amendment_commits_leaves_no_final_file(
    app, client, store, killed_at_commit
):
    status_path = _sent_back(client, store)
    before = _finals(app)
    page = client.get(status_path + "/amend").get_data(as_text=True)
    ticket = page.split('name="ticket" value="', 1)[1].split('"', 1)[0]
    killed_at_commit()
    with pytest.raises(Killed):
        client.post(
            status_path + "/amend",
            data={"ticket": ticket, **with_file(aid_answers(), PNG, "new.png")},
            content_type="multipart/form-data",
        )
    assert _finals(app) == before


@pytest.mark.sqlite_only  # PostgreSQL moves no file: it has the bytes in the row
def test_request_stays_stored_when_moving_its_file_fails_after_commit(
    app, client, store, monkeypatch
):
    def disk_trouble(self, names):
        raise OSError("rename failed")

    monkeypatch.setattr(UploadArea, "promote", disk_trouble)
    response = post_form(client, with_file(aid_answers()))
    assert response.status_code == 303  # the applicant gets the receipt
    assert store.submission_count() == 1
    (part,) = uploaded_files(app)
    assert part.name.endswith(PART)
    monkeypatch.undo()
    # Committed, so recovery moves it into place however young it is.
    state(app).tidy_uploads()
    (attachment,) = store.attachments(1)
    assert [p.name for p in uploaded_files(app)] == [attachment["stored_name"]]


def test_sweep_removes_only_old_unreferenced_final_files(tmp_path):
    area = UploadArea(tmp_path)
    names = {}
    for label in ("referenced", "orphan", "young orphan", "old part"):
        names[label], _ = area.stage(label.encode())
    area.promote([names["referenced"], names["orphan"], names["young orphan"]])
    for label in ("referenced", "orphan"):
        _age(area.path(names[label]), 5 * 3600)
    old_part = area.path(names["old part"]).with_name(names["old part"] + PART)
    _age(old_part, 5 * 3600)
    (tmp_path / "ab").mkdir(exist_ok=True)
    stray = tmp_path / "ab" / "notes.txt"
    stray.write_text("not ours to judge")
    _age(stray, 5 * 3600)

    removed = area.sweep(lambda name: name == names["referenced"], min_age=4 * 3600)

    assert removed == 1
    assert not area.path(names["orphan"]).exists()
    assert area.path(names["referenced"]).read_bytes() == b"referenced"
    assert area.path(names["young orphan"]).exists()
    assert old_part.exists()  # parts are recovery's business
    assert stray.exists()


def _plant_orphan(app, seconds_old):
    # Left in the data folder: by a crash, or (PostgreSQL) by an older version.
    area = UploadArea(state(app).data_dir / "uploads")
    name, _ = area.stage(b"left by a crash")
    area.promote([name])
    _age(area.path(name), seconds_old)
    return area.path(name)


def test_start_up_removes_old_unreferenced_files_and_keeps_the_rest(app, client):
    post_form(client, with_file(aid_answers()))
    (referenced,) = uploaded_files(app)
    _age_if_a_file(referenced, 30 * 24 * 3600)
    orphan = _plant_orphan(app, 5 * 3600)
    young = _plant_orphan(app, 60)

    create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET,
            "ECITIZ_DATA_DIR": app.config["ECITIZ_DATA_DIR"],
            "ECITIZ_DATABASE_URL": app.config["ECITIZ_DATABASE_URL"],
        }
    )

    assert not orphan.exists()
    assert state(app).uploads.read_committed(referenced.name) == PDF
    assert young.exists()


def test_unreferenced_files_live_as_long_as_a_form_ticket(app):
    orphan = _plant_orphan(app, 5 * 3600)
    create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET,
            "ECITIZ_DATA_DIR": app.config["ECITIZ_DATA_DIR"],
            "ECITIZ_DATABASE_URL": app.config["ECITIZ_DATABASE_URL"],
            "ECITIZ_FORM_TICKET_MAX_AGE": 6 * 3600,
        }
    )
    assert orphan.exists()


def test_mail_job_removes_old_unreferenced_files(app, client, runner):
    post_form(client, with_file(aid_answers()))
    (referenced,) = uploaded_files(app)
    _age_if_a_file(referenced, 30 * 24 * 3600)
    orphan = _plant_orphan(app, 5 * 3600)

    result = runner.invoke(args=["ecitiz", "send-mail"])

    assert result.exit_code == 0, result.output
    assert not orphan.exists()
    assert state(app).uploads.read_committed(referenced.name) == PDF
