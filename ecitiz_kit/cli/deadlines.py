"""The ``flask ecitiz`` command and worker pass that act on due dates: deadline
rules, and the daily digest of staff who asked for one."""

from __future__ import annotations

import logging
from datetime import datetime

import click
from flask import current_app

from ..domain.deadlines import RuleReport, apply_deadline_rules, send_digests
from ..i18n import today
from ..state import state
from ..store import utcnow
from ..web.pages import links, notices
from ..web.urls import absolute
from .commands import group

log = logging.getLogger(__name__)


@group.command("apply-deadlines")
def apply_deadlines() -> None:
    """Decide the overdue requests of forms with a deadline rule, and queue the
    daily digests due (the worker does both at each pass)."""
    report, digests = deadlines_pass()
    click.echo(f"{report.decided} request(s) decided by a deadline rule.")
    if report.left:
        click.echo(
            f"Left alone (decided by someone meanwhile): {', '.join(report.left)}"
        )
    click.echo(f"{digests} daily digest(s) queued.")


def deadlines_pass(now: datetime | None = None) -> tuple[RuleReport, int]:
    """One pass: the deadline rules, then the digests (needs an app context)."""
    kit = state()
    config = current_app.config
    now = now or utcnow()
    told = notices()
    report = apply_deadline_rules(
        kit.store,
        kit.forms,
        kit.keyring,
        told,
        today(config["ECITIZ_TIMEZONE"]),
    )
    digests = send_digests(
        kit.store,
        told.composer,
        now,
        list_url=lambda query: absolute("ecitiz_staff.request_list", **query),
        account_url=links().staff_account(),
        hour=config["ECITIZ_DIGEST_HOUR"],
    )
    return report, digests


def deadlines_in_worker() -> None:
    """The background worker's hook: one pass whose failure is logged, never in
    the way of the worker's other work (the next pass tries again)."""
    try:
        deadlines_pass()
    except Exception:
        log.exception("applying deadlines failed; retrying at the next pass")
