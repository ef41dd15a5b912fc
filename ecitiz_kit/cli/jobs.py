"""The background worker's part in bulk actions: taking and running their jobs."""

from __future__ import annotations

import contextlib
import logging

from flask import current_app

from ..domain import bulk
from ..state import state
from ..web.pages import notices

log = logging.getLogger(__name__)


def run_jobs() -> int:
    """Take the bulk jobs waiting (or left by a worker that stopped) one by one
    and carry them out; return how many this pass finished."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    kit = state()
    owner = bulk.new_owner()
    finished = 0
    while job := kit.store.claim_job(owner, bulk.LEASE_SECONDS, kinds=(bulk.KIND,)):
        base_url = job["params"].get("base_url")
        # The e-mails' links point where the staff member reached the kit, as
        # if the change had been made from that page.
        context = (
            app.test_request_context(base_url=base_url)
            if base_url
            else contextlib.nullcontext()
        )
        with context:
            if bulk.run(kit.store, kit.forms, kit.keyring, job, owner, notices()):
                finished += 1
    return finished


def run_jobs_in_worker() -> None:
    """The worker's hook: one pass over the jobs, whose failure is logged, never
    in the way of the worker's other work (the job is taken over after its
    lease)."""
    try:
        run_jobs()
    except Exception:
        log.exception("running jobs failed; retrying at the next pass")
