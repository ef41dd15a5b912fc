"""The ``flask ecitiz webhook`` and ``deliver-webhooks`` commands, and the
worker's webhook pass."""

from __future__ import annotations

import logging
from typing import Any

import click
from flask import current_app

from ..domain import webhook_delivery, webhooks
from ..domain.request_list import definition_lookup
from ..domain.webhook_targets import RefusedEndpoint
from ..state import state
from ..store.webhooks import EVENT_TYPES
from ..web.pages import notices
from ..web.urls import absolute
from .commands import group, organisation_named

log = logging.getLogger(__name__)


def delivery_settings(config: Any) -> webhook_delivery.DeliverySettings:
    """The delivery settings of this application."""
    return webhook_delivery.DeliverySettings(
        timeout=config["ECITIZ_WEBHOOK_TIMEOUT"],
        max_attempts=config["ECITIZ_WEBHOOK_MAX_ATTEMPTS"],
        retry_delay=config["ECITIZ_WEBHOOK_RETRY_DELAY"],
        max_failures=config["ECITIZ_WEBHOOK_MAX_FAILURES"],
        allow_private=config["ECITIZ_WEBHOOKS_ALLOW_PRIVATE"],
    )


def deliver_webhooks_pass() -> webhook_delivery.WebhookReport:
    """One pass over the due webhook deliveries (needs an application context)."""
    kit = state()
    config = current_app.config
    return webhook_delivery.deliver_due(
        kit.store,
        kit.sealer(config),
        delivery_settings(config),
        definition_for=definition_lookup(kit.store, kit.forms),
        composer=notices().composer,
        page_url=absolute("ecitiz_staff.webhooks_page"),
    )


def deliver_webhooks_in_worker() -> None:
    """The worker's hook: one delivery pass whose failure is logged, never in
    the way of the worker's other work (a delivery claimed is taken over after
    its lease)."""
    try:
        deliver_webhooks_pass()
    except Exception:
        log.exception("delivering webhooks failed; retrying at the next pass")


@group.command("deliver-webhooks")
def deliver_webhooks() -> None:
    """Deliver the webhook events due now (the worker does it at each pass).

    Exits 1 when an attempt failed (it is retried later, with growing delays)."""
    report = deliver_webhooks_pass()
    click.echo(
        f"{report.delivered} delivered, {report.retrying} to retry later,"
        f" {report.failed} given up."
    )
    for url in report.disabled:
        click.echo(f"  disabled after repeated failures: {url}", err=True)
    for error in report.errors:
        click.echo(f"  {error}", err=True)
    if report.errors:
        raise SystemExit(1)


@group.command("webhook")
@click.argument("org")
@click.argument("url", required=False)
@click.option(
    "--event",
    "events",
    multiple=True,
    type=click.Choice(EVENT_TYPES),
    help="An event to send (repeat it); all of them by default.",
)
@click.option(
    "--include-answers",
    is_flag=True,
    help="Send the request's answers too (IBANs and masked fields masked).",
)
@click.option("--delete", "delete_id", type=click.IntRange(1), help="Delete one.")
@click.option("--enable", "enable_id", type=click.IntRange(1), help="Enable one.")
def webhook(
    org: str,
    url: str | None,
    events: tuple[str, ...],
    include_answers: bool,
    delete_id: int | None,
    enable_id: int | None,
) -> None:
    """Register a webhook endpoint of ORG at URL (its secret is printed once),
    delete or enable one by id, or list ORG's endpoints without any of these."""
    organisation = organisation_named(org)
    kit = state()
    store = kit.store
    if sum(x is not None for x in (url, delete_id, enable_id)) > 1:
        raise click.ClickException("give one of URL, --delete ID or --enable ID.")
    if delete_id is not None:
        if not webhooks.delete(store, organisation["id"], delete_id, actor="cli"):
            raise click.ClickException(f"{org!r} has no webhook endpoint {delete_id}.")
        click.echo(f"Deleted webhook endpoint {delete_id} of {org!r}.")
        return
    if enable_id is not None:
        if not webhooks.enable(store, organisation["id"], enable_id, actor="cli"):
            raise click.ClickException(
                f"{org!r} has no disabled webhook endpoint {enable_id}."
            )
        click.echo(f"Enabled webhook endpoint {enable_id} of {org!r} again.")
        return
    if url is None:
        for endpoint in store.webhooks(organisation["id"]):
            state_text = (
                f"disabled {endpoint['disabled_at']}"
                if endpoint["disabled_at"]
                else f"{endpoint['failures']} failure(s) in a row"
            )
            click.echo(
                f"{endpoint['id']}\t{endpoint['url']}\t"
                f"{','.join(endpoint['events'])}\t{state_text}"
            )
        return
    config = current_app.config
    try:
        made = webhooks.register(
            store,
            kit.sealer(config),
            organisation["id"],
            url=url,
            events=events or EVENT_TYPES,
            include_answers=include_answers,
            allow_private=config["ECITIZ_WEBHOOKS_ALLOW_PRIVATE"],
            actor="cli",
        )
    except RefusedEndpoint as exc:
        raise click.ClickException(exc.describe("en")) from None
    except webhooks.TooManyEndpoints:
        raise click.ClickException(
            f"{org!r} has {webhooks.MAX_ENDPOINTS} endpoints already: delete one."
        ) from None
    click.echo(
        f"Registered webhook endpoint {made.id} {made.url} for {org!r}. Keep its"
        " signing secret now, it will not be shown again:",
        err=True,
    )
    click.echo(made.secret)
