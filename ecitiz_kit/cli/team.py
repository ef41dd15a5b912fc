"""The ``flask ecitiz invite`` command: an invitation to an organisation's team,
as the dashboard's team page sends it, with the link printed too (for
organisations that send no e-mail)."""

from __future__ import annotations

import click
from flask import current_app

from ..domain import team
from ..i18n import LANGUAGES, format_duration
from ..state import state
from ..web.pages import notices
from ..web.urls import absolute
from .commands import group, organisation_named


@group.command("invite")
@click.argument("org")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(team.ROLES),
    default=team.AGENT,
    show_default=True,
    help="agent: handles requests; admin: also manages the team and settings.",
)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Language of the e-mail (default: ECITIZ_DEFAULT_LANGUAGE).",
)
def invite(org: str, email: str, role: str, lang: str | None) -> None:
    """Invite EMAIL to the team of ORG: the e-mail goes through the outbox, and
    the link (it works once, for 7 days) is printed."""
    organisation = organisation_named(org)
    if absolute("ecitiz_staff.login") is None:
        raise click.ClickException(
            "the kit's address is unknown outside a request: set ECITIZ_PUBLIC_URL"
            " (e.g. https://forms.example.org) so the invitation can hold a link."
        )
    lang = lang or current_app.config["ECITIZ_DEFAULT_LANGUAGE"]
    store = state().store
    try:
        link, _message = team.invite(
            store, organisation, email, role,
            invited_by="cli", lang=lang,
            valid_for=format_duration(team.INVITATION_LIFETIME, lang),
            notices=notices(),
        )  # fmt: skip
    except team.BadInvitation as exc:
        if exc.reason == "taken":
            raise click.ClickException(
                f"{email} already has a staff account."
            ) from None
        raise click.ClickException(f"{email!r} is not an e-mail address.") from None
    store.record_audit(
        organisation["id"], "team.invite", actor="cli", subject=email.strip(),
        detail={"role": role},
    )  # fmt: skip
    click.echo(f"Invited {email.strip()} to {org!r} as {role}; the e-mail is queued.")
    click.echo(link)
