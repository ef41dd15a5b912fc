"""The ``flask ecitiz`` commands for an organisation's settings: its tracking
page, its theme and its contact address.

They apply the same rules as the dashboard's settings page
(:mod:`..web.embedding`, :mod:`..web.contact`).
"""

from __future__ import annotations

import click

from ..domain.payments import BadAccount, check_account
from ..state import state
from ..web.contact import BadContact, check_contact_email
from ..web.embedding import (
    FONTS,
    MAX_RADIUS,
    BadTheme,
    BadTrackingPage,
    check_theme,
    check_tracking_page,
)
from .commands import group, organisation_named


@group.command("tracking-page")
@click.argument("org")
@click.argument("url", required=False)
@click.option(
    "--clear", is_flag=True, help="Send tracking links to the kit's own page again."
)
def tracking_page(org: str, url: str | None, clear: bool) -> None:
    """Make ORG's tracking links open URL, a page of its site showing the status
    mode (snippet ORG --status); links then end in #ecitiz=CODE."""
    organisation = organisation_named(org)
    store = state().store
    if clear == (url is not None):
        raise click.ClickException("give either the page's URL or --clear.")
    if clear:
        store.set_tracking_page(organisation["id"], None)
        click.echo(f"Tracking links of {org!r} open the kit's own page again.")
        return
    try:
        page = check_tracking_page(url, store.allowed_origins(organisation["id"]))
    except BadTrackingPage as exc:
        raise click.ClickException(str(exc)) from None
    store.set_tracking_page(organisation["id"], page)
    click.echo(f"Tracking links of {org!r} now open {page}#ecitiz=…")


@group.command("theme")
@click.argument("org")
@click.option("--primary", default=None, help="Main colour, #rgb or #rrggbb.")
@click.option(
    "--radius", default=None, help=f"Corner radius in pixels, 0 to {MAX_RADIUS}."
)
@click.option("--font", default=None, help=f"One of: {', '.join(FONTS)}.")
@click.option("--clear", is_flag=True, help="Use the kit's default look again.")
def theme(
    org: str, primary: str | None, radius: str | None, font: str | None, clear: bool
) -> None:
    """Set the look of ORG's forms and pages; values not given keep the kit's
    default. An embed's data-primary, data-radius or data-font wins over them."""
    organisation = organisation_named(org)
    given = (primary, radius, font)
    if clear == any(value is not None for value in given):
        raise click.ClickException("give --primary, --radius or --font, or --clear.")
    try:
        chosen = check_theme(*given)
    except BadTheme as exc:
        raise click.ClickException(f"--{exc.field} {exc}") from None
    state().store.set_theme(
        organisation["id"], chosen.primary, chosen.radius, chosen.font
    )
    if not chosen:
        click.echo(f"The pages of {org!r} have the kit's default look again.")
        return
    values = [
        f"{name} {value}"
        for name, value in (
            ("primary", chosen.primary),
            ("radius", chosen.radius),
            ("font", chosen.font),
        )
        if value is not None
    ]
    click.echo(f"The pages of {org!r} now have: {', '.join(values)}.")


@group.command("contact")
@click.argument("org")
@click.argument("email", required=False)
@click.option("--clear", is_flag=True, help="Remove the contact address.")
def contact(org: str, email: str | None, clear: bool) -> None:
    """Set the address that applicants' replies to ORG's e-mails go to."""
    organisation = organisation_named(org)
    if clear == (email is not None):
        raise click.ClickException("give either the e-mail address or --clear.")
    address = None
    if email is not None:
        try:
            address = check_contact_email(email)
        except BadContact as exc:
            raise click.ClickException(str(exc)) from None
    state().store.set_contact_email(organisation["id"], address)
    if address is None:
        click.echo(f"{org!r} has no contact address any more.")
    else:
        click.echo(f"Replies to the e-mails of {org!r} now go to {address}.")


@group.command("payment-account")
@click.argument("org")
@click.option("--name", required=True, help="The account holder's name.")
@click.option("--iban", required=True, help="The account's IBAN.")
@click.option("--bic", required=True, help="The bank's BIC.")
def payment_account(org: str, name: str, iban: str, bic: str) -> None:
    """Set the account ORG's payment files pay from (as the payments page does)."""
    organisation = organisation_named(org)
    try:
        account = check_account(name, iban, bic)
    except BadAccount as exc:
        raise click.ClickException(f"--{exc.field} is not valid.") from None
    state().store.set_debtor_account(
        organisation["id"], account.name, account.iban, account.bic
    )
    click.echo(f"Payment files of {org!r} now pay from {account.iban}.")
