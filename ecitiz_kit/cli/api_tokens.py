"""The ``flask ecitiz api-token`` command: tokens of an organisation's read-only
API, made, listed and revoked as the dashboard's admins do."""

from __future__ import annotations

import click

from ..domain import api
from ..state import state
from .commands import group, organisation_named


@group.command("api-token")
@click.argument("org")
@click.argument("name", required=False)
@click.option(
    "--revoke",
    "revoke_id",
    type=click.IntRange(1, api.MAX_ID),
    help="Revoke the token of this id.",
)
def api_token(org: str, name: str | None, revoke_id: int | None) -> None:
    """Make a token of ORG's read-only API named NAME (printed once), revoke one
    with --revoke ID, or list ORG's tokens without either."""
    organisation = organisation_named(org)
    store = state().store
    if name is not None and revoke_id is not None:
        raise click.ClickException("give either a name or --revoke ID, not both.")
    if revoke_id is not None:
        if not api.revoke_token(store, organisation["id"], revoke_id, actor="cli"):
            raise click.ClickException(
                f"{org!r} has no token {revoke_id} in force (see: api-token {org})."
            )
        click.echo(f"Revoked API token {revoke_id} of {org!r}: it opens nothing now.")
        return
    if name is None:
        for token in store.api_tokens(organisation["id"]):
            if token["revoked_at"]:
                status = f"revoked {token['revoked_at']}"
            else:
                status = f"last used {token['last_used_at'] or 'never'}"
            click.echo(f"{token['id']}\t{token['name']}\t{status}")
        return
    try:
        name = api.check_token_name(name)
        issued = api.issue_token(store, organisation["id"], name, actor="cli")
    except api.BadTokenName:
        raise click.ClickException(
            f"give the token a name of 1 to {api.TOKEN_NAME_MAX_LENGTH} printable"
            " characters, e.g. the system that will use it."
        ) from None
    click.echo(
        f"Made API token {issued.id} {name!r} for {org!r}. Keep it now, it will not"
        " be shown again:",
        err=True,
    )
    click.echo(issued.token)
