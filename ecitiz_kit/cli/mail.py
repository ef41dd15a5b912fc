"""The ``flask ecitiz`` commands about e-mail: delivery and who gets told."""

from __future__ import annotations

import signal
import threading
from typing import Any

import click
from flask import current_app

from ..mail.delivery import PassReport, deliver_from_config, mail_folder, run_loop
from ..state import state
from ..store.outbox import FAILED
from ..web.pages import compose_queued
from .commands import group
from .companies import check_companies_in_worker
from .deadlines import deadlines_in_worker
from .documents import render_documents_in_worker
from .exports import run_exports_in_worker
from .jobs import run_jobs_in_worker
from .retention import purge_in_worker
from .webhooks import deliver_webhooks_in_worker


@group.command("send-mail")
@click.option("--loop", is_flag=True, help="Keep running, sending as messages come.")
@click.option(
    "--interval",
    type=click.FloatRange(0.1, 3600),
    default=10.0,
    show_default=True,
    help="Seconds between two passes with --loop.",
)
@click.option(
    "--retry-failed",
    is_flag=True,
    help="First queue again the messages given up on (after fixing the cause).",
)
def send_mail(loop: bool, interval: float, retry_failed: bool) -> None:
    """Send the queued e-mails (SMTP, or .eml files without ECITIZ_SMTP_HOST).

    Failed attempts are retried later with growing delays; messages given up on
    are listed, and the command then exits with code 1.
    """
    kit = state()
    config = current_app.config
    if retry_failed:
        count = kit.store.retry_failed_messages()
        click.echo(f"{count} failed message(s) queued again.")
    where = (
        f"SMTP server {config['ECITIZ_SMTP_HOST']}:{config['ECITIZ_SMTP_PORT']}"
        if config["ECITIZ_SMTP_HOST"]
        else f".eml files in {mail_folder(kit.data_dir)}"
    )

    compose = compose_queued()

    def one_pass() -> PassReport:
        # The one job that keeps running: it also clears what a crashed worker
        # left in the upload folder.
        kit.tidy_uploads_now_and_then()
        run_jobs_in_worker()  # bulk actions too large to run from their page
        run_exports_in_worker()  # exports too large to build from their page
        deadlines_in_worker()  # decisions due by a rule, daily digests
        render_documents_in_worker()  # attestations issued since the last pass
        purge_in_worker()  # requests past their retention period, hourly
        check_companies_in_worker()  # SIRETs the register could not answer for
        report = deliver_from_config(kit.store, config, kit.data_dir, compose=compose)
        # After the e-mails, which an endpoint that is down must not hold up.
        deliver_webhooks_in_worker()
        return report

    if loop:
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_args: stop.set())
        click.echo(f"Sending e-mails to {where} every {interval:g} s; Ctrl-C stops.")
        run_loop(one_pass, interval, stop, report=_report)
        click.echo("Stopped.")
        return
    outcome = one_pass()
    click.echo(f"Sending e-mails to {where}.")
    _report(outcome)
    failed = kit.store.outbox_messages(FAILED)
    if failed:
        click.echo(
            f"{len(failed)} message(s) could not be delivered and are no longer"
            " retried (fix the cause, then run send-mail --retry-failed):",
            err=True,
        )
        for row in failed:
            click.echo(_describe(row), err=True)
        raise SystemExit(1)


@group.command("staff-notify")
@click.argument("org")
@click.argument("email")
@click.argument("setting", type=click.Choice(["on", "off"]))
def staff_notify(org: str, email: str, setting: str) -> None:
    """Turn on or off the e-mail a staff member of ORG gets for each new request."""
    store = state().store
    organisation = store.organisation(org)
    staff = store.staff_by_email(email)
    if organisation is None or staff is None:
        raise click.ClickException(f"no staff account {email} in organisation {org!r}.")
    if staff["organisation_id"] != organisation["id"]:
        raise click.ClickException(f"no staff account {email} in organisation {org!r}.")
    store.set_staff_notify(email, setting == "on")
    if setting == "on":
        click.echo(f"{email} will get an e-mail for each new request to {org!r}.")
    else:
        click.echo(f"{email} will no longer get e-mails about new requests.")


def _report(outcome: PassReport) -> None:
    click.echo(
        f"{outcome.sent} sent, {outcome.retrying} to retry later,"
        f" {outcome.failed} given up."
    )
    for error in outcome.errors:
        click.echo(f"  {error}", err=True)


def _describe(row: dict[str, Any]) -> str:
    return (
        f"  #{row['id']} {row['kind']} to {row['recipient']} ({row['attempts']}"
        f" attempts, queued {row['created_at']}): {row['last_error']}"
    )
