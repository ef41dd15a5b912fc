"""An organisation's webhook endpoints: registered with a new secret (shown
once, kept sealed), deleted, enabled again, each change in the audit log. The
rules are the same for the dashboard's page and the ``webhook`` command;
:mod:`.webhook_delivery` sends what is queued for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import EcitizError
from ..sealing import Sealer
from ..store import Store
from ..store.webhooks import EVENT_TYPES
from ..tokens import new_webhook_secret
from .webhook_targets import Resolve, check_endpoint, resolve_host

#: Endpoints one organisation may have.
MAX_ENDPOINTS = 10


class TooManyEndpoints(EcitizError, ValueError):
    """The organisation already has :data:`MAX_ENDPOINTS` endpoints."""


class NoEvent(EcitizError, ValueError):
    """No known event was chosen."""


@dataclass(frozen=True)
class NewEndpoint:
    """An endpoint just registered, and its secret, shown this once."""

    id: int
    url: str
    secret: str


def register(
    store: Store,
    sealer: Sealer,
    organisation_id: int,
    *,
    url: str,
    events: Sequence[str],
    include_answers: bool,
    allow_private: bool,
    actor: str,
    staff_id: int | None = None,
    address: str | None = None,
    resolve: Resolve = resolve_host,
) -> NewEndpoint:
    """Check and record an endpoint with a new secret, in the audit log too.
    Raises :class:`RefusedEndpoint` (the address), :class:`NoEvent` or
    :class:`TooManyEndpoints`, and then nothing is written."""
    chosen = [event for event in EVENT_TYPES if event in set(events)]
    if not chosen or len(set(events)) != len(chosen):
        raise NoEvent()
    target = check_endpoint(url, allow_private=allow_private, resolve=resolve)
    if len(store.webhooks(organisation_id)) >= MAX_ENDPOINTS:
        raise TooManyEndpoints()
    secret = new_webhook_secret()
    webhook_id = store.create_webhook(
        organisation_id,
        url=target.url,
        events=chosen,
        include_answers=include_answers,
        sealed_secret=sealer.seal(secret),
        created_by=actor,
    )
    store.record_audit(
        organisation_id,
        "webhook.create",
        actor=actor,
        staff_id=staff_id,
        subject=target.url,
        detail={"id": webhook_id, "events": chosen, "answers": include_answers},
        address=address,
    )
    return NewEndpoint(webhook_id, target.url, secret)


def delete(
    store: Store,
    organisation_id: int,
    webhook_id: int,
    *,
    actor: str,
    staff_id: int | None = None,
    address: str | None = None,
) -> bool:
    """Delete an endpoint and its deliveries, in the audit log; False if the
    organisation has no such endpoint."""
    endpoint = store.webhook(organisation_id, webhook_id)
    if endpoint is None or not store.delete_webhook(organisation_id, webhook_id):
        return False
    store.record_audit(
        organisation_id,
        "webhook.delete",
        actor=actor,
        staff_id=staff_id,
        subject=endpoint["url"],
        detail={"id": webhook_id},
        address=address,
    )
    return True


def enable(
    store: Store,
    organisation_id: int,
    webhook_id: int,
    *,
    actor: str,
    staff_id: int | None = None,
    address: str | None = None,
) -> bool:
    """Enable a disabled endpoint again, in the audit log; False if the
    organisation has no such disabled endpoint."""
    endpoint = store.webhook(organisation_id, webhook_id)
    if endpoint is None or not store.enable_webhook(organisation_id, webhook_id):
        return False
    store.record_audit(
        organisation_id,
        "webhook.enable",
        actor=actor,
        staff_id=staff_id,
        subject=endpoint["url"],
        detail={"id": webhook_id},
        address=address,
    )
    return True
