"""The XLSX and ZIP exports from the request list: sent at once when small,
built by the worker with progress when large, kept for a while, then removed."""

import io
import re
import zipfile
from datetime import timedelta
from unittest import mock

import openpyxl
import pytest

from ecitiz_kit.cli.exports import run_exports
from ecitiz_kit.documents.signing import format_serial
from ecitiz_kit.domain import export_jobs
from ecitiz_kit.state import state
from ecitiz_kit.store import utcnow

from .helpers import (
    ORG,
    PDF,
    STAFF,
    add_staff,
    aid_answers,
    csrf_for,
    hidden_inputs,
    issue_attestation,
    pdf_text,
    post_form,
    sign_in,
    with_file,
)


def _submit(client, name="justificatif.pdf", **answers):
    response = post_form(client, with_file(aid_answers(**answers), PDF, name))
    assert response.status_code == 303
    return response


def _exports_folder(app):
    return state(app).data_dir / export_jobs.FOLDER


def _files(app):
    folder = _exports_folder(app)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _chunks(app):
    """How many pieces of built files the database holds (PostgreSQL)."""
    with app.app_context():
        return state(app).store.table_counts().get("export_chunks", 0)


def _kept(app, backend):
    """How many built files are kept: in the data folder with SQLite, in the
    database (and none in the folder) with PostgreSQL."""
    if backend == "sqlite":
        return len(_files(app))
    assert _files(app) == []
    with app.app_context():
        store = state(app).store
        built = store.expired_exports(utcnow() + timedelta(days=365))
        return sum(store.has_export_chunks(row["id"]) for row in built)


def test_a_small_xlsx_export_is_sent_at_once_and_audited(app, client, staff_client):
    _submit(client, last_name='=HYPERLINK("http://evil.example")')
    response = staff_client.get(f"{STAFF}/requests.xlsx?status=submitted")
    assert response.status_code == 200
    assert response.mimetype == export_jobs.MIMETYPES[export_jobs.XLSX]
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert '=HYPERLINK("http://evil.example")' in rows[1]
    assert _files(app) == []  # the temporary file is gone
    with app.app_context():
        [entry] = state(app).store.audit_entries(
            state(app).store.organisation(ORG)["id"], action="export.xlsx"
        )
    assert entry["detail"] == {"status": "submitted"}


def _names(data):
    return zipfile.ZipFile(io.BytesIO(data)).namelist()


def test_a_small_zip_holds_the_csv_and_a_folder_per_request(app, client, staff_client):
    _submit(client, name="../../etc/passwd.pdf")
    _submit(client, name="relevé.pdf")
    response = staff_client.get(f"{STAFF}/requests.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.testzip() is None
    with app.app_context():
        references = [
            r["reference"]
            for r in state(app).store.iter_requests(
                state(app).store.organisation(ORG)["id"]
            )
        ]
    names = archive.namelist()
    assert "requests-fr.csv" in names
    for reference in references:
        assert archive.read(f"{reference}/receipt.pdf").startswith(b"%PDF")
    files = sorted(n.split("/", 1)[1] for n in names if n.count("/") == 1)
    assert files == sorted(["receipt.pdf"] * 2 + ["passwd.pdf", "relevé.pdf"])
    for name in names:
        assert ".." not in name.split("/") and not name.startswith("/")
        assert "\\" not in name and ":" not in name
    csv_text = archive.read("requests-fr.csv").decode("utf-8-sig")
    assert all(reference in csv_text for reference in references)
    assert _files(app) == []


@pytest.fixture
def large(monkeypatch):
    """Every export goes to the worker."""
    monkeypatch.setattr(export_jobs, "DIRECT_LIMITS", {k: 0 for k in export_jobs.KINDS})


def _offer(staff_client, kind="zip", query="status=submitted"):
    response = staff_client.get(f"{STAFF}/requests.{kind}?{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    return hidden_inputs(html[html.index('action="/ecitiz/staff/exports"') :])


def _job_count(app):
    with app.app_context():
        return state(app).store.table_counts()["jobs"]


def test_a_large_export_is_built_by_the_worker_then_downloaded(
    app, client, staff_client, large, backend
):
    _submit(client)
    form = _offer(staff_client)
    assert _job_count(app) == 0  # the link alone starts nothing
    started = staff_client.post(f"{STAFF}/exports", data=form)
    assert started.status_code == 303
    page = staff_client.get(started.headers["Location"])
    assert page.headers["Refresh"] == "3"
    assert 'id="export-progress"' in page.get_data(as_text=True)
    again = staff_client.post(f"{STAFF}/exports", data=form)
    assert again.headers["Location"] == started.headers["Location"]
    assert _job_count(app) == 1
    with app.test_request_context():
        assert run_exports() == 1
    page = staff_client.get(started.headers["Location"])
    assert "Refresh" not in page.headers
    link = started.headers["Location"] + "/file"
    assert f'href="{link}"' in page.get_data(as_text=True)
    download = staff_client.get(link)
    assert download.status_code == 200
    assert any(n.endswith("/receipt.pdf") for n in _names(download.data))
    assert _kept(app, backend) == 1
    if backend == "sqlite":
        [built] = _files(app)
        assert built.endswith(".zip")
    with app.app_context():
        store = state(app).store
        organisation_id = store.organisation(ORG)["id"]
        assert store.audit_entries(organisation_id, action="export.zip")
        assert store.audit_entries(organisation_id, action="export.download")


def test_another_organisation_cannot_see_or_download_an_export(
    app, client, staff_client, large
):
    _submit(client)
    started = staff_client.post(f"{STAFF}/exports", data=_offer(staff_client, "xlsx"))
    with app.test_request_context():
        run_exports()
    with app.app_context():
        state(app).store.create_organisation("other", "Other")
    add_staff(app, org_slug="other", email="someone@other.example")
    stranger = app.test_client()
    assert sign_in(stranger, email="someone@other.example").status_code == 303
    location = started.headers["Location"]
    assert stranger.get(location).status_code == 404
    assert stranger.get(location + "/file").status_code == 404
    assert staff_client.get(location + "/file").status_code == 200


def test_a_failed_build_leaves_no_file_and_says_so(
    app, client, staff_client, large, caplog
):
    _submit(client)
    started = staff_client.post(f"{STAFF}/exports", data=_offer(staff_client))

    def broken(kit, kind, organisation_id, filters, lang, target, **kw):
        target.write_bytes(b"half a file")
        raise OSError("disk full")

    with mock.patch("ecitiz_kit.web.exports.write", broken):
        with app.test_request_context():
            run_exports()
    assert _files(app) == []
    page = staff_client.get(started.headers["Location"])
    assert "Refresh" not in page.headers
    assert 'role="alert"' in page.get_data(as_text=True)
    assert staff_client.get(started.headers["Location"] + "/file").status_code == 404


def test_a_built_file_is_removed_after_its_time(
    app, client, staff_client, large, backend
):
    _submit(client)
    started = staff_client.post(f"{STAFF}/exports", data=_offer(staff_client))
    with app.test_request_context():
        run_exports()
    assert _kept(app, backend) == 1
    with app.app_context():
        kit = state(app)
        soon = utcnow() + timedelta(seconds=export_jobs.KEEP_SECONDS - 60)
        assert export_jobs.tidy(kit.store, kit.data_dir, soon) == 0
        later = utcnow() + timedelta(seconds=export_jobs.KEEP_SECONDS + 1)
        assert export_jobs.tidy(kit.store, kit.data_dir, later) == 1
    assert _files(app) == []
    assert _kept(app, backend) == 0 and _chunks(app) == 0
    assert staff_client.get(started.headers["Location"] + "/file").status_code == 404
    page = staff_client.get(started.headers["Location"])
    assert page.status_code == 200 and "Refresh" not in page.headers


def test_files_no_export_names_are_removed(app, client, staff_client, large):
    _submit(client)
    staff_client.post(f"{STAFF}/exports", data=_offer(staff_client))
    with app.test_request_context():
        run_exports()
    kept = _files(app)  # none with PostgreSQL: the file is in the database
    stored = _chunks(app)
    folder = _exports_folder(app)
    (folder / "99-0123456789abcdef.zip.part").write_bytes(b"left by a dead worker")
    (folder / "98-0123456789abcdef.xlsx").write_bytes(b"unknown")
    with app.app_context():
        assert export_jobs.tidy(state(app).store, state(app).data_dir) == 2
    assert _files(app) == kept
    assert _chunks(app) == stored


def test_a_worker_that_loses_its_lease_stops_and_removes_its_part(
    app, client, staff_client, large, backend
):
    _submit(client)
    staff_client.post(f"{STAFF}/exports", data=_offer(staff_client, "xlsx"))
    with app.test_request_context():
        kit = state(app)
        job = kit.store.claim_job("first", 60, kinds=export_jobs.KINDS)

        def build(job, target, progress):
            target.write_bytes(b"some rows")
            kit.store.claim_job("second", 60)  # nobody else may take it yet
            with mock.patch.object(kit.store, "export_progress", return_value=False):
                progress(1)
            return 1

        assert export_jobs.run(kit.store, kit.data_dir, job, "first", build) is False
        assert _files(app) == []
        assert _chunks(app) == 0
        assert kit.store.job(job["organisation_id"], job["id"])["finished_at"] is None
        # The lease runs out: another worker builds it from the start.
        later = utcnow() + timedelta(seconds=120)
        with mock.patch("ecitiz_kit.store.jobs.utcnow", return_value=later):
            job = kit.store.claim_job("second", 60, kinds=export_jobs.KINDS)
        assert job is not None
        from ecitiz_kit.web.exports import build_job

        assert export_jobs.run(kit.store, kit.data_dir, job, "second", build_job(kit))
    assert _kept(app, backend) == 1


@pytest.mark.parametrize(
    "form",
    [
        {"key": "short", "kind": "export.zip"},
        {"key": "k" * 20, "kind": "export.pdf"},
        {"key": "k" * 20, "kind": "export.zip", "status": "nonsense"},
        {"key": "k" * 20, "kind": "export.zip", "from": "2026-13-45"},
    ],
)
def test_a_damaged_start_form_is_refused_and_records_nothing(
    app, client, staff_client, form
):
    _submit(client)
    response = staff_client.post(
        f"{STAFF}/exports", data={"csrf_token": csrf_for(staff_client), **form}
    )
    assert response.status_code == 400
    assert _job_count(app) == 0
    assert _files(app) == []


@pytest.mark.parametrize("kind", ["xlsx", "zip"])
def test_bad_filters_are_refused_before_anything_is_built(app, staff_client, kind):
    response = staff_client.get(f"{STAFF}/requests.{kind}?from=yesterday")
    assert response.status_code == 400
    assert _files(app) == []


def test_nothing_to_export_in_the_background_is_refused(
    app, client, staff_client, large
):
    _submit(client)
    form = _offer(staff_client)
    response = staff_client.post(
        f"{STAFF}/exports", data={**form, "status": "accepted"}
    )
    assert response.status_code == 400
    assert _job_count(app) == 0


def test_a_scratch_folder_left_by_a_dead_process_is_removed_a_day_later(app):
    folder = _exports_folder(app)
    folder.mkdir(parents=True)
    (folder / "xlsx-abc123").mkdir()
    (folder / "xlsx-abc123" / "rows").write_bytes(b"rows")
    with app.app_context():
        kit = state(app)
        assert export_jobs.tidy(kit.store, kit.data_dir) == 0
        later = utcnow() + timedelta(seconds=export_jobs.KEEP_SECONDS + 1)
        assert export_jobs.tidy(kit.store, kit.data_dir, later) == 1
    assert _files(app) == []


def test_the_zip_holds_a_request_s_attestation(app, client, runner, staff_client):
    with app.app_context():
        store = state(app).store
        document = issue_attestation(client, runner, store)
        reference = store.submission(document["submission_id"])["reference"]
    response = staff_client.get(f"{STAFF}/requests.zip?form=attestation")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    serial = format_serial(document["serial"])
    pdf = archive.read(f"{reference}/attestation-{serial}.pdf")
    assert pdf.startswith(b"%PDF")
    assert serial in pdf_text(pdf)


def test_an_export_that_stopped_every_worker_fails_without_a_file(
    app, client, staff_client, large
):
    _submit(client)
    started = staff_client.post(f"{STAFF}/exports", data=_offer(staff_client))

    def killed(job, target, progress):
        target.write_bytes(b"half a file")
        raise KeyboardInterrupt  # as a worker killed mid-build: nothing tidied

    with app.test_request_context():
        kit = state(app)
        later = utcnow()
        for attempt in range(export_jobs.MAX_ATTEMPTS):
            with mock.patch("ecitiz_kit.store.jobs.utcnow", return_value=later):
                job = kit.store.claim_job(f"w{attempt}", 60, kinds=export_jobs.KINDS)
            with pytest.raises(KeyboardInterrupt):
                export_jobs.run(kit.store, kit.data_dir, job, f"w{attempt}", killed)
            assert len(_files(app)) == 1  # the last one's part, until taken over
            later += timedelta(seconds=120)  # its lease runs out
        with mock.patch("ecitiz_kit.store.jobs.utcnow", return_value=later):
            job = kit.store.claim_job("last", 60, kinds=export_jobs.KINDS)
        assert job["attempts"] == export_jobs.MAX_ATTEMPTS + 1
        built = mock.Mock()
        assert export_jobs.run(kit.store, kit.data_dir, job, "last", built)
        built.assert_not_called()
    assert _files(app) == []
    page = staff_client.get(started.headers["Location"])
    assert 'role="alert"' in page.get_data(as_text=True)


@pytest.mark.parametrize("kind", ["xlsx", "zip"])
def test_too_many_requests_are_refused_with_what_to_do(
    app, client, staff_client, monkeypatch, kind
):
    _submit(client)
    _submit(client)
    monkeypatch.setattr(export_jobs, "CAPS", {k: 1 for k in export_jobs.KINDS})
    response = staff_client.get(f"{STAFF}/requests.{kind}")
    assert response.status_code == 400
    assert "cet export en prend 1 au plus" in response.get_data(as_text=True)
    monkeypatch.setattr(export_jobs, "DIRECT_LIMITS", {k: 0 for k in export_jobs.KINDS})
    form = {
        "csrf_token": csrf_for(staff_client),
        "key": "k" * 20,
        "kind": f"export.{kind}",
    }
    assert staff_client.post(f"{STAFF}/exports", data=form).status_code == 400
    assert _job_count(app) == 0
    assert _files(app) == []


def test_the_list_offers_the_exports_with_its_filters(client, staff_client):
    _submit(client)
    html = staff_client.get(f"{STAFF}/?status=submitted&q=camille").get_data(
        as_text=True
    )
    for kind in ("csv", "xlsx", "zip"):
        link = re.search(rf'href="({STAFF}/requests\.{kind}\?[^"]*)"', html).group(1)
        assert "status=submitted" in link and "q=camille" in link
