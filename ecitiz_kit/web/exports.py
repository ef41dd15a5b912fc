"""The export files of the request list (CSV columns, XLSX, ZIP), as the staff
pages and the background worker build them, from the list's filters.

The ZIP holds, per request, the staff's copy of its receipt (without the private
tracking link), its attestations in force and its uploaded files. Building one
needs an application context, and a request context on the kit's address for the
attestations' QR codes (the worker makes one, as for bulk actions).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from flask import Response, current_app, request, send_file

from ..documents.layout import receipt_pdf
from ..documents.signing import format_serial
from ..domain import export_jobs, xlsx_export, zip_export
from ..domain import request_list as listing
from ..domain.lookup import receipt_document, tracked_for_staff
from ..errors import UnknownObject
from ..forms.definitions import FormDefinition
from ..forms.files import name_for_type
from ..state import KitState
from .downloads import stored_attestation
from .pages import when


def forms_of(
    kit: KitState, organisation_id: int, form_id: str | None, lang: str
) -> dict[str, tuple[FormDefinition, str]]:
    """The forms an export covers (one, or all the organisation's): id ->
    (definition, title in ``lang``)."""
    enabled = {r["form_id"]: r for r in kit.store.enabled_forms(organisation_id)}
    wanted = [form_id] if form_id else list(enabled)
    return {
        key: (kit.forms.get(enabled[key])[0], kit.forms.title(enabled[key], key, lang))
        for key in wanted
    }


def parse(
    kit: KitState, organisation_id: int, args: Mapping[str, str]
) -> listing.Filters:
    """The list's filters in ``args``, checked against the organisation's forms
    and team (:class:`~ecitiz_kit.domain.request_list.FilterError` otherwise)."""
    forms = [row["form_id"] for row in kit.store.enabled_forms(organisation_id)]
    team = [member["id"] for member in kit.store.team(organisation_id)]
    return listing.parse_filters(args, forms, team)


def matching(
    kit: KitState, organisation_id: int, filters: listing.Filters, me: int | None
) -> int:
    """How many requests ``filters`` select."""
    timezone = current_app.config["ECITIZ_TIMEZONE"]
    counts = listing.status_counts(kit.store, organisation_id, filters, timezone, me=me)
    return counts[filters.status] if filters.status else sum(counts.values())


def write(
    kit: KitState,
    kind: str,
    organisation_id: int,
    filters: listing.Filters,
    lang: str,
    target: BinaryIO | Path,
    *,
    me: int | None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the export ``kind`` of the requests ``filters`` select to
    ``target``; return how many it holds."""
    timezone = current_app.config["ECITIZ_TIMEZONE"]
    forms = forms_of(kit, organisation_id, filters.form_id, lang)
    rows = kit.store.iter_requests(
        organisation_id, by_due=filters.by_due, **filters.for_store(timezone, me=me)
    )
    scratch = export_jobs.folder(kit.data_dir)
    if kind == export_jobs.XLSX:
        return xlsx_export.write_xlsx(
            str(target) if isinstance(target, Path) else target,
            rows,
            forms,
            lang,
            timezone,
            progress=progress,
            tmpdir=str(scratch),
        )

    def contents(row: Mapping[str, Any]) -> Iterator[tuple[str, zip_export.Content]]:
        return request_files(kit, organisation_id, row["id"], lang)

    return zip_export.write_bundle(
        target, rows, forms, lang, timezone,
        contents=contents, progress=progress, tmpdir=scratch,
        csv_name=f"requests-{lang}.csv",
    )  # fmt: skip


def request_files(
    kit: KitState, organisation_id: int, submission_id: int, lang: str
) -> Iterator[tuple[str, zip_export.Content]]:
    """A request's files for its folder: receipt, attestations, attachments."""
    try:
        found = tracked_for_staff(kit.store, kit.forms, organisation_id, submission_id)
    except UnknownObject:
        return  # deleted, or its form disabled, since it was listed
    submission = found.submission
    document = receipt_document(
        found,
        lang,
        received_at=when(submission["created_at"], lang),
        tracking_url=None,  # the staff's copy: no link to act as the applicant
    )
    yield "receipt.pdf", receipt_pdf(document)
    if found.attestation is not None:
        serial = format_serial(found.attestation["serial"])
        yield f"attestation-{serial}.pdf", stored_attestation(kit, found)
    for row in found.attachments:
        name = name_for_type(row["filename"], row["content_type"])
        yield name, kit.uploads.content(row["stored_name"])


def build_job(kit: KitState) -> export_jobs.Build:
    """How the worker builds an export job's file."""

    def build(
        job: dict[str, Any], target: Path, progress: Callable[[int], None]
    ) -> int:
        params = export_jobs.ExportParams(**job["params"])
        filters = parse(kit, job["organisation_id"], params.filters)
        return write(
            kit, job["kind"], job["organisation_id"], filters, params.lang, target,
            me=job["staff_id"], progress=progress,
        )  # fmt: skip

    return build


def download(built: export_jobs.BuiltFile, kind: str, name: str) -> Response:
    """A built export as an attachment named ``name``: the file itself when it
    is on this host's disk; otherwise streamed a piece at a time from the
    database, with the same headers."""
    mimetype = export_jobs.MIMETYPES[kind]
    if built.path is not None:
        return send_file(
            built.path,
            mimetype=mimetype,
            as_attachment=True,
            download_name=name,
            max_age=0,
            etag=False,
        )
    # What send_file does for a file, for pieces read as they are sent.
    response = Response(built.chunks(), mimetype=mimetype, direct_passthrough=True)
    response.headers.set("Content-Disposition", "attachment", filename=name)
    response.content_length = built.size
    response.last_modified = built.built_at
    response.cache_control.no_cache = True
    response.cache_control.max_age = 0
    response.expires = int(time.time())
    return response.make_conditional(
        request.environ, accept_ranges=True, complete_length=built.size
    )
