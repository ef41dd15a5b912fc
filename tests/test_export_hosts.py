"""Large exports on hosts that share one PostgreSQL database but not a disk: the
worker of one host moves the built file into the database, any host serves it,
and the pieces go when the file's time is up. With SQLite the file stays in the
data folder."""

import os
from datetime import timedelta
from unittest import mock

import pytest

from ecitiz_kit.cli.exports import run_exports
from ecitiz_kit.domain import export_jobs
from ecitiz_kit.state import state
from ecitiz_kit.store import utcnow

from .helpers import ORG, STAFF, add_request, add_staff, at, kit_app, sign_in

#: A file of several pieces, the last one partly filled.
BIG = 3 * export_jobs.CHUNK_SIZE + 12_345


@pytest.fixture
def second(app, tmp_path, database_url):
    """A second host: another data folder, the same database."""
    other = kit_app(tmp_path / "second-host", database_url)
    yield other
    state(other).store.close()


def _signed_in(app):
    client = app.test_client()
    assert sign_in(client).status_code == 303
    return client


def _start(app, kind=export_jobs.XLSX):
    """An export job of the organisation's one request, waiting for a worker."""
    add_staff(app)
    with app.app_context():
        store = state(app).store
        organisation_id = store.organisation(ORG)["id"]
        add_request(store, organisation_id, at("2026-11-02 10:00"))
        job, _ = export_jobs.start(
            store, organisation_id, export_jobs.new_key(), kind,
            export_jobs.ExportParams(), 1,
            actor="agent@acme.example", staff_id=None, address=None,
        )  # fmt: skip
    return job


def _writing(content):
    """A build that writes ``content``, as the worker's builder would."""

    def build_job(kit):
        def build(job, target, progress):
            progress(1)
            target.write_bytes(content)
            return 1

        return build

    return build_job


def _build_on(app, content):
    with mock.patch("ecitiz_kit.cli.exports.build_job", _writing(content)):
        with app.test_request_context():
            assert run_exports() == 1


def _chunks(app):
    with app.app_context():
        return state(app).store.table_counts().get("export_chunks", 0)


def _exports(app):
    folder = state(app).data_dir / export_jobs.FOLDER
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _job_row(app, job):
    with app.app_context():
        return state(app).store.job(job["organisation_id"], job["id"])


@pytest.mark.postgresql_only
def test_an_export_built_on_one_host_is_downloaded_whole_from_another(app, second):
    job = _start(app)
    content = os.urandom(BIG)
    _build_on(app, content)
    assert _exports(app) == []  # moved into the database
    assert _chunks(app) == 4
    link = f"{STAFF}/exports/{job['id']}/file"
    client = _signed_in(second)
    page = client.get(f"{STAFF}/exports/{job['id']}")
    assert f'href="{link}"' in page.get_data(as_text=True)
    response = client.get(link)
    assert response.status_code == 200
    assert response.data == content
    assert response.headers["Content-Length"] == str(BIG)
    assert _exports(second) == []  # nothing written on the second host's disk
    part = client.get(link, headers={"Range": "bytes=1048570-1048585"})
    assert part.status_code == 206
    assert part.data == content[1048570:1048586]


def test_a_built_export_downloads_with_the_same_headers_on_either_backend(app):
    job = _start(app)
    _build_on(app, b"a built file")
    response = _signed_in(app).get(f"{STAFF}/exports/{job['id']}/file")
    assert response.status_code == 200 and response.data == b"a built file"
    headers = dict(response.headers)
    assert {name: headers.pop(name) for name in ("Date", "Expires", "Last-Modified")}
    assert headers.pop("Content-Disposition").startswith(
        "attachment; filename=acme-requests-"
    )
    assert headers.pop("Content-Security-Policy")
    assert headers == {
        "Accept-Ranges": "bytes",
        "Cache-Control": "no-store",
        "Content-Length": "12",
        "Content-Type": export_jobs.MIMETYPES[export_jobs.XLSX],
        "Referrer-Policy": "same-origin",
        "Vary": "Cookie, Accept-Language",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
    }


@pytest.mark.postgresql_only
def test_a_download_reads_the_pieces_as_they_are_sent(app, second, monkeypatch):
    job = _start(app)
    _build_on(app, os.urandom(BIG))
    store = state(second).store
    real, read = store.export_chunks, []

    def counted(job_id):
        for piece in real(job_id):
            read.append(len(piece))
            yield piece

    monkeypatch.setattr(store, "export_chunks", counted)
    response = _signed_in(second).get(
        f"{STAFF}/exports/{job['id']}/file", buffered=False
    )
    assert response.status_code == 200
    pieces = iter(response.response)
    first = next(pieces)
    assert len(read) == 1 and len(first) <= export_jobs.CHUNK_SIZE
    rest = b"".join(pieces)
    response.close()
    assert len(read) == 4 and len(first) + len(rest) == BIG


@pytest.mark.postgresql_only
def test_the_real_worker_s_zip_downloads_from_another_host(app, second):
    job = _start(app, export_jobs.ZIP)
    with app.test_request_context():
        assert run_exports() == 1
    here = _signed_in(app).get(f"{STAFF}/exports/{job['id']}/file")
    there = _signed_in(second).get(f"{STAFF}/exports/{job['id']}/file")
    assert there.status_code == 200
    assert there.data == here.data and there.data.startswith(b"PK")
    assert len(there.data) == _job_row(app, job)["file_size"]


@pytest.mark.postgresql_only
def test_expired_pieces_are_removed_by_any_host_s_tidy(app, second):
    job = _start(app)
    _build_on(app, os.urandom(BIG))
    link = f"{STAFF}/exports/{job['id']}/file"
    client = _signed_in(second)
    with second.app_context():
        kit = state(second)
        soon = utcnow() + timedelta(seconds=export_jobs.KEEP_SECONDS - 60)
        assert export_jobs.tidy(kit.store, kit.data_dir, soon) == 0
        assert _chunks(second) == 4
        later = utcnow() + timedelta(seconds=export_jobs.KEEP_SECONDS + 1)
        assert export_jobs.tidy(kit.store, kit.data_dir, later) == 1
    assert _chunks(app) == 0
    assert _job_row(app, job)["file_name"] is None
    assert client.get(link).status_code == 404
    assert _signed_in(app).get(link).status_code == 404


def test_an_expired_export_is_refused_before_it_is_removed(app, backend):
    job = _start(app)
    _build_on(app, b"a built file")
    link = f"{STAFF}/exports/{job['id']}/file"
    client = _signed_in(app)
    assert client.get(link).data == b"a built file"
    later = utcnow() + timedelta(seconds=export_jobs.KEEP_SECONDS + 1)
    with mock.patch("ecitiz_kit.domain.export_jobs.utcnow", return_value=later):
        assert client.get(link).status_code == 404
        page = client.get(f"{STAFF}/exports/{job['id']}")
        assert f'href="{link}"' not in page.get_data(as_text=True)
    # Still kept until the worker's next pass: refused all the same.
    assert len(_exports(app)) == (1 if backend == "sqlite" else 0)
    assert _chunks(app) == (0 if backend == "sqlite" else 1)


@pytest.mark.postgresql_only
def test_another_organisation_s_export_is_not_found_on_any_host(app, second):
    job = _start(app)
    _build_on(app, os.urandom(1000))
    with second.app_context():
        state(second).store.create_organisation("other", "Other")
    add_staff(second, org_slug="other", email="someone@other.example")
    stranger = second.test_client()
    assert sign_in(stranger, email="someone@other.example").status_code == 303
    for path in ("", "/file"):
        assert stranger.get(f"{STAFF}/exports/{job['id']}{path}").status_code == 404
    assert stranger.get(f"{STAFF}/exports/{job['id'] + 1}/file").status_code == 404
    own = _signed_in(second).get(f"{STAFF}/exports/{job['id']}/file")
    assert own.status_code == 200


@pytest.mark.postgresql_only
def test_a_worker_whose_lease_passed_stores_nothing(app):
    job = _start(app)
    with app.app_context():
        store = state(app).store
        claimed = store.claim_job("first", 60, kinds=export_jobs.KINDS)
        assert claimed["id"] == job["id"]
        later = utcnow() + timedelta(seconds=120)
        with mock.patch("ecitiz_kit.store.jobs.utcnow", return_value=later):
            assert store.claim_job("second", 60, kinds=export_jobs.KINDS)
        keep_until = utcnow() + timedelta(hours=1)
        pieces = [b"x" * 10, b"y" * 10]
        assert not store.finish_export_in_database(
            job["id"], "first", pieces, progress=1, keep_until=keep_until
        )
    assert _chunks(app) == 0
    assert _job_row(app, job)["finished_at"] is None


@pytest.mark.postgresql_only
def test_a_file_that_cannot_be_read_whole_leaves_no_pieces_and_no_finished_job(app):
    job = _start(app)

    def broken():
        yield b"first piece"
        yield b"second piece"
        raise OSError("read error")

    with app.app_context():
        store = state(app).store
        store.claim_job("first", 60, kinds=export_jobs.KINDS)
        with pytest.raises(OSError):
            store.finish_export_in_database(
                job["id"], "first", broken(), progress=1,
                keep_until=utcnow() + timedelta(hours=1),
            )  # fmt: skip
    assert _chunks(app) == 0
    assert _job_row(app, job)["finished_at"] is None


def test_a_lease_lost_mid_build_leaves_no_file_pieces_or_finished_job(app):
    job = _start(app)
    with app.test_request_context():
        kit = state(app)
        claimed = kit.store.claim_job("first", 60, kinds=export_jobs.KINDS)

        def build(job, target, progress):
            target.write_bytes(os.urandom(BIG))
            later = utcnow() + timedelta(seconds=120)
            with mock.patch("ecitiz_kit.store.jobs.utcnow", return_value=later):
                assert kit.store.claim_job("second", 60, kinds=export_jobs.KINDS)
            progress(1)  # the lease is gone: stops here
            return 1

        assert not export_jobs.run(kit.store, kit.data_dir, claimed, "first", build)
    assert _exports(app) == []
    assert _chunks(app) == 0
    row = _job_row(app, job)
    assert row["finished_at"] is None and row["lease_owner"] == "second"


def test_a_lease_lost_once_built_stores_nothing(app, monkeypatch):
    job = _start(app)
    with app.test_request_context():
        kit = state(app)
        claimed = kit.store.claim_job("first", 60, kinds=export_jobs.KINDS)

        def build(job, target, progress):
            progress(1)
            target.write_bytes(os.urandom(BIG))
            # Taken over after the last progress, before the file is kept.
            later = utcnow() + timedelta(seconds=120)
            with mock.patch("ecitiz_kit.store.jobs.utcnow", return_value=later):
                assert kit.store.claim_job("second", 60, kinds=export_jobs.KINDS)
            return 1

        assert not export_jobs.run(kit.store, kit.data_dir, claimed, "first", build)
    assert _exports(app) == []
    assert _chunks(app) == 0
    assert _job_row(app, job)["finished_at"] is None
