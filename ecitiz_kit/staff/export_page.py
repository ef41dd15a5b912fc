"""The XLSX and ZIP exports of the request list: sent at once for small
selections; for larger ones, a page that starts the worker's build, then the
page that follows it and offers the file.

Thin views over :mod:`~ecitiz_kit.domain.export_jobs` and
:mod:`~ecitiz_kit.web.exports`. Everything is scoped to the signed-in person's
organisation: another organisation's export is not found.
"""

from __future__ import annotations

import re
import tempfile
from typing import Any

from babel.numbers import format_decimal
from flask import (
    Response,
    g,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from ..domain import export_jobs
from ..domain import request_list as listing
from ..errors import UnknownObject
from ..i18n import gettext
from ..state import state
from ..web import exports
from ..web.pages import today, when
from ..web.ratelimits import client_address
from .audit import audit
from .auth import staff_required
from .blueprint import ROW_ID, blueprint
from .bulk_page import REFRESH_SECONDS

_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
_NAMES = {export_jobs.XLSX: "XLSX", export_jobs.ZIP: "ZIP"}


def _filename(kind: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_-]", "-", g.ecitiz_staff["slug"])
    return f"{slug}-requests-{today().isoformat()}.{export_jobs.EXTENSIONS[kind]}"


def _asked() -> dict[str, str]:
    """The filters as asked, for the audit log (empty ones left out)."""
    return {
        key: value
        for key in listing.FILTER_KEYS
        if (value := request.args.get(key, "").strip())
    }


@blueprint.get("/requests.xlsx")
@staff_required
def export_xlsx() -> Any:
    """The requests matching the list's filters as a spreadsheet."""
    return _export(export_jobs.XLSX)


@blueprint.get("/requests.zip")
@staff_required
def export_zip() -> Any:
    """The requests matching the list's filters, with their files, as a ZIP."""
    return _export(export_jobs.ZIP)


def _export(kind: str) -> Any:
    """Send the file if the selection is small; otherwise offer to build it in
    the background (a page with a button: a link alone starts nothing)."""
    kit = state()
    staff = g.ecitiz_staff
    organisation_id = staff["organisation_id"]
    filters = exports.parse(kit, organisation_id, request.args)
    count = exports.matching(kit, organisation_id, filters, staff["id"])
    export_jobs.check_size(kind, count)
    if export_jobs.needs_worker(kind, count):
        return render_template(
            "ecitiz/staff/export.html",
            stage="offer",
            kind_name=_NAMES[kind],
            kind=kind,
            count=count,
            key=export_jobs.new_key(),
            filters=filters.query(),
            keep_hours=export_jobs.KEEP_SECONDS // 3600,
            nav="requests",
        )
    # An unnamed temporary file: gone once sent, or if building it fails.
    target = tempfile.TemporaryFile(dir=export_jobs.folder(kit.data_dir))
    try:
        exports.write(
            kit, kind, organisation_id, filters, g.ecitiz_lang, target,
            me=staff["id"],
        )  # fmt: skip
        target.seek(0)
    except BaseException:
        target.close()
        raise
    audit(f"export.{export_jobs.EXTENSIONS[kind]}", **_asked())
    return send_file(
        target,
        mimetype=export_jobs.MIMETYPES[kind],
        as_attachment=True,
        download_name=_filename(kind),
        max_age=0,
        etag=False,
    )


@blueprint.post("/exports")
@staff_required
def export_start() -> Any:
    """Start building a large export in the background, then follow it. The
    same form posted twice starts one."""
    kit = state()
    staff = g.ecitiz_staff
    organisation_id = staff["organisation_id"]
    key, kind = request.form.get("key", ""), request.form.get("kind", "")
    if not _KEY.fullmatch(key) or kind not in export_jobs.KINDS:
        raise export_jobs.ExportError(
            gettext("This form is damaged. Reload the list of requests, then retry.")
        )
    filters = exports.parse(kit, organisation_id, request.form)
    count = exports.matching(kit, organisation_id, filters, staff["id"])
    base_url = f"{request.scheme}://{request.host}{request.script_root}/"
    params = export_jobs.ExportParams(filters.query(), g.ecitiz_lang, base_url)
    job, created = export_jobs.start(
        kit.store, organisation_id, key, kind, params, count,
        actor=staff["email"], staff_id=staff["id"], address=client_address(),
    )  # fmt: skip
    if created:
        detail = {k: v for k, v in filters.query().items() if v}
        audit(f"export.{export_jobs.EXTENSIONS[kind]}", f"job {job['id']}", **detail)
    return redirect(url_for("ecitiz_staff.export_result", job_id=job["id"]), 303)


def _job(job_id: int) -> dict[str, Any]:
    job = state().store.job(g.ecitiz_staff["organisation_id"], job_id)
    if job is None or job["kind"] not in export_jobs.KINDS:
        raise UnknownObject()
    return job


@blueprint.get(f"/exports/<{ROW_ID}:job_id>")
@staff_required
def export_result(job_id: int) -> Response:
    """How a background export goes (the page refreshes itself, unless asked
    not to), then the link to its file while it is kept."""
    kit = state()
    job = _job(job_id)
    finished = job["finished_at"] is not None
    still = request.args.get("still") == "1"
    if not finished:
        stage = "building"
    elif job["failed"]:
        stage = "failed"
    elif export_jobs.built_file(kit.store, kit.data_dir, job) is not None:
        stage = "ready"
    else:
        stage = "gone"
    response = make_response(
        render_template(
            "ecitiz/staff/export.html",
            stage=stage,
            job=job,
            kind_name=_NAMES[job["kind"]],
            done=min(job["progress"], job["total"]),
            waiting=job["lease_owner"] is None and not finished,
            kept_until=when(job["expires_at"]) if job["expires_at"] else None,
            size=_size(job["file_size"] or 0),
            still=still,
            refresh_seconds=REFRESH_SECONDS,
            nav="requests",
        )
    )
    if not finished and not still:
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


@blueprint.get(f"/exports/<{ROW_ID}:job_id>/file")
@staff_required
def export_file(job_id: int) -> Response:
    """A background export's file, while it is kept (404 before and after)."""
    kit = state()
    job = _job(job_id)
    built = export_jobs.built_file(kit.store, kit.data_dir, job)
    if built is None:
        raise UnknownObject()
    response = exports.download(built, job["kind"], _filename(job["kind"]))
    audit("export.download", f"job {job['id']}")
    return response


def _size(size: int) -> str:
    lang = g.ecitiz_lang
    if size >= 1024 * 1024:
        value = format_decimal(round(size / (1024 * 1024), 1), locale=lang)
        return gettext("%(value)s MB", value=value)
    return gettext(
        "%(value)s KB", value=format_decimal(max(1, size // 1024), locale=lang)
    )
