"""The worker's part in company lookups: asking the register again about the
requests it could not answer when they were sent."""

from __future__ import annotations

import logging

import click
from flask import current_app

from ..domain.companies import CheckReport, check_pending
from ..state import state
from .commands import group

log = logging.getLogger(__name__)


def check_companies() -> CheckReport | None:
    """One pass over the checks due; ``None`` when lookups are off."""
    kit = state()
    directory = kit.company_directory(current_app.config)
    if directory is None:
        return None
    return check_pending(kit.store, directory)


def check_companies_in_worker() -> None:
    """The worker's hook: one pass whose failure is logged, never in the way of
    the worker's other work (the checks stay due)."""
    try:
        check_companies()
    except Exception:
        log.exception("checking companies failed; retrying at the next pass")


@group.command("check-companies")
def check_companies_command() -> None:
    """Ask the company register about requests it could not answer before.

    The send-mail worker does it at each pass too; each failure waits longer
    before the next try (a minute, doubling, at most a day).
    """
    report = check_companies()
    if report is None:
        raise click.ClickException(
            "set ECITIZ_COMPANY_LOOKUP_URL: company lookups are off."
        )
    click.echo(
        f"{report.answered} request(s) checked, {report.postponed} to try again later."
    )
