"""Exports people open (XLSX, ZIP), built at once or by the background worker.

Up to :data:`DIRECT_LIMITS` requests, the page that asks builds the file into an
unnamed temporary file and sends it. Above, the export is a job
(:mod:`ecitiz_kit.store.exports`): the worker builds it under the data folder's
``exports/`` while its page shows progress; the file can then be downloaded by
the organisation's staff for :data:`KEEP_SECONDS`, after which the worker removes
it. A build that fails or is taken over leaves no file: its part is removed, and
any file no job names is removed at the worker's next pass.

On PostgreSQL, where several hosts share the database but not a disk, the built
file then moves into the database (in pieces of :data:`CHUNK_SIZE`), with the
transaction that marks the job finished: any host serves it. :func:`built_file`
finds it wherever it is.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from werkzeug.exceptions import BadRequest

from ..errors import EcitizError
from ..i18n import gettext
from ..store import Store, utcnow
from ..store.base import parse_stamp, stamp
from .xlsx_export import MAX_ROWS, SCRATCH_PREFIX

log = logging.getLogger(__name__)

XLSX = "export.xlsx"
ZIP = "export.zip"
KINDS = (XLSX, ZIP)
EXTENSIONS = {XLSX: "xlsx", ZIP: "zip"}
MIMETYPES = {
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ZIP: "application/zip",
}
#: The most requests an export built by the page that asks holds; larger ones
#: are built by the worker. A ZIP renders a receipt per request, hence fewer.
DIRECT_LIMITS = {XLSX: 5000, ZIP: 50}
#: The most requests one export takes: the rows of a spreadsheet, and for a ZIP
#: what keeps its table of contents (about 1 KB a request, held in memory until
#: the archive's end) and its build time (about 20 ms a request) reasonable.
CAPS = {XLSX: MAX_ROWS, ZIP: 20_000}
#: How long a file built by the worker stays downloadable (then it is removed).
KEEP_SECONDS = 24 * 3600
#: How long a worker holds an export without renewing its lease.
LEASE_SECONDS = 60.0
#: Workers that may take an export in turn: one whose building stopped every
#: worker before it (killed for memory, say) fails rather than stop every next.
MAX_ATTEMPTS = 3
#: Where built files live, under the data folder.
FOLDER = "exports"
PART = ".part"
#: The size of the pieces a built file is kept in, in the database.
CHUNK_SIZE = 1024 * 1024


class ExportError(EcitizError, BadRequest):
    """An export that cannot be started as asked; nothing was recorded."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.ecitiz_message = message  # what error pages show


class LeaseLost(Exception):
    """Another worker took the export over: this one stops writing."""


@dataclass(frozen=True)
class ExportParams:
    """What an export job builds: the list's filters (as query parameters), in
    which language, for whom ("mine" filters), and where the kit was reached
    (for the links in documents)."""

    filters: dict[str, str] = field(default_factory=dict)
    lang: str = "fr"
    base_url: str | None = None


def folder(data_dir: Path) -> Path:
    """The folder of built exports (made if missing)."""
    path = Path(data_dir) / FOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


def check_size(kind: str, count: int) -> None:
    """:class:`ExportError` if ``count`` requests are too many for ``kind``."""
    if count > CAPS[kind]:
        raise ExportError(
            gettext(
                "%(count)s requests are selected; this export takes at most"
                " %(cap)s. Narrow the filters (for example to fewer days), then"
                " try again.",
                count=_grouped(count),
                cap=_grouped(CAPS[kind]),
            )
        )


def _grouped(number: int) -> str:
    return f"{number:,}".replace(",", "\N{NARROW NO-BREAK SPACE}")


def needs_worker(kind: str, count: int) -> bool:
    """Whether an export of ``count`` requests is built by the worker."""
    return count > DIRECT_LIMITS[kind]


def start(
    store: Store,
    organisation_id: int,
    key: str,
    kind: str,
    params: ExportParams,
    total: int,
    *,
    actor: str,
    staff_id: int | None,
    address: str | None,
) -> tuple[dict[str, Any], bool]:
    """Record an export for the worker and return ``(job, created)``; the same
    ``key`` twice records one job. :class:`ExportError` if there is nothing to
    export or the kind is unknown."""
    if kind not in KINDS:
        raise ExportError(gettext("Choose an export from the list of requests."))
    if total < 1:
        raise ExportError(
            gettext("No request matches these filters: nothing to export.")
        )
    check_size(kind, total)
    job_id, created = store.create_export_job(
        organisation_id, kind, key,
        actor=actor, staff_id=staff_id, address=address,
        params=asdict(params), total=total,
    )  # fmt: skip
    job = store.job(organisation_id, job_id)
    assert job is not None  # written just now
    return job, created


def new_key() -> str:
    """The key the form that starts an export carries, so that posting it twice
    starts one."""
    return secrets.token_urlsafe(18)


def new_owner() -> str:
    """A name for whoever holds an export's lease: one per run."""
    return secrets.token_hex(8)


#: Builds an export job's file at a path, calling ``progress(count)`` now and
#: then; returns how many requests it holds.
Build = Callable[[dict[str, Any], Path, Callable[[int], None]], int]


def run(
    store: Store, data_dir: Path, job: dict[str, Any], owner: str, build: Build
) -> bool:
    """Build an export job held by ``owner``; True once it is built or has
    failed (failures are logged, and leave no file), False if the lease passed
    to another worker meanwhile (which builds it from the start)."""
    where = folder(data_dir)
    name = f"{job['id']}-{secrets.token_hex(8)}.{EXTENSIONS[job['kind']]}"
    held, previous = store.begin_export_file(job["id"], owner, name)
    if not held:
        return False
    if previous:
        _remove(where, previous)  # left by a worker that stopped
    if job["attempts"] > MAX_ATTEMPTS:
        log.error("export job %s stopped %s workers; given up", job["id"], MAX_ATTEMPTS)
        return store.fail_export(job["id"], owner)
    target = where / name
    part = target.with_name(name + PART)

    def progress(count: int) -> None:
        if not store.export_progress(job["id"], owner, count, LEASE_SECONDS):
            raise LeaseLost()

    try:
        count = build(job, part, progress)
        os.replace(part, target)
    except LeaseLost:
        part.unlink(missing_ok=True)
        return False
    except Exception:
        log.exception("export job %s could not be built", job["id"])
        part.unlink(missing_ok=True)
        return store.fail_export(job["id"], owner)
    keep_until = utcnow() + timedelta(seconds=KEEP_SECONDS)
    if store.dialect == "postgresql":
        return _finish_in_database(store, job["id"], owner, target, count, keep_until)
    size = target.stat().st_size
    if not store.finish_export(
        job["id"], owner, progress=count, size=size, keep_until=keep_until
    ):
        target.unlink(missing_ok=True)
        return False
    return True


def _finish_in_database(
    store: Store, job_id: int, owner: str, path: Path, count: int, keep_until: datetime
) -> bool:
    """Move a built file into the database, marking its job finished; the file
    on disk goes whatever happens (a job not finished is built again)."""
    try:
        # A fresh lease: no worker takes the job over while its file is written.
        if not store.export_progress(job_id, owner, count, LEASE_SECONDS):
            return False
        with path.open("rb") as file:
            pieces = iter(lambda: file.read(CHUNK_SIZE), b"")
            return store.finish_export_in_database(
                job_id, owner, pieces, progress=count, keep_until=keep_until
            )
    finally:
        path.unlink(missing_ok=True)


@dataclass(frozen=True)
class BuiltFile:
    """A built export's file: on this host's disk (``path``), or in the
    database, read a piece at a time by :meth:`chunks`."""

    size: int
    path: Path | None
    stored: Callable[[], Iterator[bytes]] | None = None
    #: When a file in the database was built (a file on disk has its own).
    built_at: datetime | None = None

    def chunks(self) -> Iterator[bytes]:
        """The file's bytes, a piece at a time (never the whole file at once)."""
        if self.stored is not None:
            yield from self.stored()
            return
        assert self.path is not None
        with self.path.open("rb") as file:
            while piece := file.read(CHUNK_SIZE):
                yield piece


def built_file(store: Store, data_dir: Path, job: dict[str, Any]) -> BuiltFile | None:
    """The file of a built export still kept, or None."""
    if job["kind"] not in KINDS or not job["finished_at"] or job["failed"]:
        return None
    name, expires = job["file_name"], job["expires_at"]
    if not name or not expires or expires <= stamp(utcnow()):
        return None
    if store.has_export_chunks(job["id"]):
        job_id = job["id"]
        return BuiltFile(
            job["file_size"],
            None,
            lambda: store.export_chunks(job_id),
            parse_stamp(job["finished_at"]),
        )
    # On SQLite; on PostgreSQL, a file built before files moved into the
    # database, served by the host that has it until its time is up.
    path = folder(data_dir) / name
    return BuiltFile(path.stat().st_size, path) if path.is_file() else None


def tidy(store: Store, data_dir: Path, now: datetime | None = None) -> int:
    """Remove the files of exports past their time (from the database too, on
    PostgreSQL), and any file of the folder no job names (left by a worker that
    died); return how many went."""
    where = folder(data_dir)
    removed = 0
    for row in store.expired_exports(now):
        stored = store.has_export_chunks(row["id"])
        removed += _remove(where, row["file_name"]) or int(stored)
        store.forget_export_file(row["id"])
    # Listed before the names are read: a file created meanwhile was named
    # first, so it is among the names read after.
    present = list(where.iterdir())
    named = store.export_file_names()
    cutoff = (now or utcnow()).timestamp() - KEEP_SECONDS
    for path in present:
        if path.is_dir():
            # XlsxWriter's scratch folder of a process that died mid-export
            # (a live one is younger than a day: no export takes that long).
            if path.name.startswith(SCRATCH_PREFIX) and path.stat().st_mtime < cutoff:
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
        elif path.name.removesuffix(PART) not in named:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _remove(where: Path, name: str) -> int:
    gone = 0
    for path in (where / name, where / (name + PART)):
        if path.exists():
            path.unlink(missing_ok=True)
            gone += 1
    return gone
