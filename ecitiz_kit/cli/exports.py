"""The background worker's part in exports: building the large ones, and
removing the files whose time is up (or that a stopped worker left)."""

from __future__ import annotations

import contextlib
import logging

from flask import current_app

from ..domain import export_jobs
from ..state import state
from ..web.exports import build_job

log = logging.getLogger(__name__)


def run_exports() -> int:
    """Remove the export files past their time, then build the exports waiting
    (or left by a worker that stopped) one by one; return how many this pass
    finished."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    kit = state()
    export_jobs.tidy(kit.store, kit.data_dir)
    owner = export_jobs.new_owner()
    build = build_job(kit)
    finished = 0
    while job := kit.store.claim_job(
        owner, export_jobs.LEASE_SECONDS, kinds=export_jobs.KINDS
    ):
        base_url = job["params"].get("base_url")
        # The attestations' QR codes point where the staff member reached the
        # kit, as if the file had been built from that page.
        context = (
            app.test_request_context(base_url=base_url)
            if base_url
            else contextlib.nullcontext()
        )
        with context:
            if export_jobs.run(kit.store, kit.data_dir, job, owner, build):
                finished += 1
    return finished


def run_exports_in_worker() -> None:
    """The worker's hook: one pass whose failure is logged, never in the way of
    the worker's other work (a job is taken over after its lease)."""
    try:
        run_exports()
    except Exception:
        log.exception("building exports failed; retrying at the next pass")
