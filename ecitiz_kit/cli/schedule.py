"""The ``flask ecitiz schedule`` command: when a procedure opens and closes."""

from __future__ import annotations

from datetime import datetime

import click

from ..domain.opening import Opening
from ..state import state
from .commands import command_name, group, organisation_named
from .opening_times import NO_LIMIT, describe, read_schedule


@group.command("schedule")
@click.argument("org")
@click.argument("form")
@click.option(
    "--opens",
    metavar="WHEN",
    default=None,
    help=f"Take requests from then on, e.g. 2026-03-01T09:00 ('{NO_LIMIT}': from now).",
)
@click.option(
    "--closes",
    metavar="WHEN",
    default=None,
    help=f"Take no new request from then on ('{NO_LIMIT}': no end).",
)
@click.option("--clear", is_flag=True, help="Remove both times: open with no end.")
def schedule(
    org: str, form: str, opens: str | None, closes: str | None, clear: bool
) -> None:
    """Set when ORG's procedure FORM opens and closes (times in ECITIZ_TIMEZONE
    unless they carry an offset); without options, show it. A form shown before
    the closing time can still be sent while its ticket lasts."""
    organisation = organisation_named(org)
    store = state().store
    row = store.enabled_form(organisation["id"], form)
    if row is None:
        raise click.ClickException(
            f"form {form!r} is not enabled for {org!r}; enable it with:"
            f" {command_name()} enable-form {org} {form}"
        )
    if clear and (opens is not None or closes is not None):
        raise click.ClickException("--clear takes no --opens or --closes.")
    if clear:
        wanted: tuple[datetime | None, datetime | None] = (None, None)
    elif opens is None and closes is None:
        click.echo(f"{form!r} of {org!r}: {describe(Opening.of(row))}.")
        return
    else:
        wanted = read_schedule(Opening.of(row), opens, closes)
    changed = store.set_form_schedule(organisation["id"], form, wanted)
    if changed is None:  # removed meanwhile
        raise click.ClickException(f"form {form!r} is no longer enabled for {org!r}.")
    click.echo(f"{form!r} of {org!r}: {describe(Opening.of(changed))}.")
