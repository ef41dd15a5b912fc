"""The ``flask ecitiz purge`` command and the worker's retention pass."""

from __future__ import annotations

import logging
import time

import click
from flask import current_app

from ..domain import drafts, retention
from ..domain.request_list import definition_lookup
from ..state import KitState, state
from ..store import utcnow
from ..web.pages import notices
from .commands import group

log = logging.getLogger(__name__)

#: The worker runs a retention pass at most this often.
PURGE_INTERVAL_SECONDS = 3600

#: When each data folder's last pass ran in this process (monotonic seconds).
_last_pass: dict[str, float] = {}


@group.command("purge")
@click.option(
    "--dry-run",
    is_flag=True,
    help="List what would be announced and removed; change nothing.",
)
def purge(dry_run: bool) -> None:
    """Delete or anonymise the requests whose retention period is over.

    Each organisation's admins are e-mailed first; a request goes 30 days after
    that at the earliest. The worker does this about once an hour."""
    kit = state()
    now = utcnow()
    if dry_run:
        found = retention.review(kit.store, now)
        for due in found.remove:
            click.echo(f"{_would(due.after)}: {_describe(due)}")
        for due in found.announce:
            click.echo(
                f"would announce to the admins (goes on {due.goes_on}): "
                + _describe(due)
            )
        for due in found.waiting:
            click.echo(f"announced, goes on {due.goes_on}: {_describe(due)}")
        click.echo(
            f"{len(found.remove)} request(s) would be removed,"
            f" {len(found.announce)} announced; nothing was changed."
        )
        return
    report = run_pass(kit)
    for reference in report.deleted:
        click.echo(f"deleted {reference}")
    for reference in report.anonymised:
        click.echo(f"anonymised {reference}")
    click.echo(
        f"{len(report.deleted)} deleted, {len(report.anonymised)} anonymised,"
        f" {report.announced} announced to the admins;"
        f" {report.drafts} expired draft(s) and {report.kept_files} kept file(s)"
        " removed."
    )


def run_pass(kit: KitState) -> retention.PurgeReport:
    """One retention pass (needs an application context, for the e-mails):
    requests past their retention period, then expired drafts and the kept
    files of expired form tickets."""
    now = utcnow()
    report = retention.purge(
        kit.store,
        kit.uploads,
        notices().composer,
        definition_lookup(kit.store, kit.forms),
        now,
    )
    report.drafts, report.kept_files = drafts.purge(
        kit.store,
        kit.uploads,
        now,
        ticket_max_age=current_app.config["ECITIZ_FORM_TICKET_MAX_AGE"],
    )
    return report


def purge_in_worker() -> None:
    """The background worker's hook: a retention pass if the last one in this
    process ran more than an hour ago; a failure is logged, never in the way of
    the worker's other work (the next pass finishes what this one left)."""
    kit = state()
    key = str(kit.data_dir)
    last = _last_pass.get(key)
    if last is not None and time.monotonic() - last < PURGE_INTERVAL_SECONDS:
        return
    _last_pass[key] = time.monotonic()
    try:
        run_pass(kit)
    except Exception:
        log.exception("the retention pass failed; retrying at the next one")


def _would(after: str) -> str:
    return "would anonymise" if after == retention.ANONYMISE else "would delete"


def _describe(due: retention.Due) -> str:
    return (
        f"{due.reference} ({due.organisation}, {due.form_id},"
        f" last changed {due.updated_at[:10]})"
    )
