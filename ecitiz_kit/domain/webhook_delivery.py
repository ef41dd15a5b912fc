"""The delivery of the webhook events queued for an organisation's endpoints,
signed as the Standard Webhooks specification says.

Each delivery is a POST of a JSON body ``{"type", "timestamp", "data"}`` with the
headers ``webhook-id`` (the same at every attempt), ``webhook-timestamp``
(seconds since 1970) and ``webhook-signature`` (``v1,`` and the base64
HMAC-SHA256 of ``id.timestamp.body`` under the endpoint's secret), made by the
``standardwebhooks`` package. An answer 2xx delivers it; anything else, a
redirect included, fails the attempt, which is retried later with growing
delays until ``max_attempts``. ``max_failures`` failed attempts in a row disable
the endpoint, and its admins are e-mailed.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from standardwebhooks import Webhook

from ..forms.definitions import FormDefinition
from ..mail.delivery import retry_delay
from ..mail.messages import Composer
from ..mail.webhook_notice import webhook_disabled_message
from ..sealing import Sealer, UnreadableSecret
from ..store import Store, utcnow
from .webhook_targets import (
    RefusedEndpoint,
    Resolve,
    check_endpoint,
    post,
    resolve_host,
)

log = logging.getLogger(__name__)

#: What shows of a masked answer (an IBAN, a field marked ``mask``).
VISIBLE_TAIL = 4

DefinitionFor = Callable[[int, str], FormDefinition | None]


class _Refused(Exception):
    """The endpoint answered, but not with a success."""


#: What an endpoint (or its address) may cause: logged as the attempt's error only.
EXPECTED_FAILURES = (
    RefusedEndpoint,
    UnreadableSecret,
    _Refused,
    OSError,
    http.client.HTTPException,
)
#: Deliveries delivered or given up on are deleted this long after.
KEEP_DELIVERIES = timedelta(days=30)


@dataclass(frozen=True)
class DeliverySettings:
    """How deliveries go (``ECITIZ_WEBHOOK_*`` and
    ``ECITIZ_WEBHOOKS_ALLOW_PRIVATE``)."""

    timeout: float = 10
    max_attempts: int = 10
    retry_delay: int = 30
    max_failures: int = 20
    allow_private: bool = False

    @property
    def lease_seconds(self) -> float:
        # Connecting, sending and reading may each take the timeout.
        return max(60.0, 4 * self.timeout)


@dataclass
class WebhookReport:
    """What one delivery pass did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    disabled: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def new_owner() -> str:
    """Who holds a claim: host, process, thread and a random part."""
    return (
        f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:"
        f"{uuid.uuid4().hex[:8]}"
    )


def masked_answers(
    answers: dict[str, Any], definition: FormDefinition
) -> dict[str, Any]:
    """The answers an endpoint that includes them gets: an IBAN, and any field
    the definition masks, show their last :data:`VISIBLE_TAIL` characters only."""
    hidden = {f.name for f in definition.fields if f.type == "iban" or f.mask}
    return {
        name: (
            "*" * max(len(str(value)) - VISIBLE_TAIL, 0) + str(value)[-VISIBLE_TAIL:]
            if name in hidden and value
            else value
        )
        for name, value in answers.items()
    }


def body_of(
    store: Store, delivery: dict[str, Any], definition_for: DefinitionFor
) -> bytes:
    """The body a delivery sends: its payload, with the request's answers as
    they are now for an endpoint that includes them (``null`` once the request
    or its form is gone)."""
    payload = json.loads(delivery["payload"])
    if delivery["include_answers"]:
        answers = None
        submission = (
            store.submission(delivery["submission_id"])
            if delivery["submission_id"]
            else None
        )
        if submission is not None:
            definition = definition_for(
                submission["organisation_id"], submission["form_id"]
            )
            if definition is not None:
                answers = masked_answers(submission["answers"], definition)
        payload["data"]["answers"] = answers
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def signed_headers(
    secret: str, message_id: str, moment: datetime, body: bytes
) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt."""
    moment = moment.replace(microsecond=0)
    return {
        "Content-Type": "application/json",
        "User-Agent": "ecitiz-kit webhooks",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, moment, body),
    }


def deliver_due(
    store: Store,
    sealer: Sealer,
    settings: DeliverySettings,
    *,
    definition_for: DefinitionFor,
    composer: Composer,
    page_url: str | None,
    owner: str | None = None,
    clock: Callable[[], datetime] | None = None,
    resolve: Resolve = resolve_host,
    limit: int | None = None,
) -> WebhookReport:
    """Deliver every delivery due when the pass starts (at most ``limit``), one
    claim at a time. An endpoint that fails is not tried again in the same pass,
    so that one that is down costs a pass one timeout, not one per event.
    ``page_url`` (the webhooks page) goes in the e-mail that tells the admins an
    endpoint was disabled."""
    owner = owner or new_owner()
    clock = clock or utcnow
    report = WebhookReport()
    started = clock()
    store.purge_webhook_deliveries(started - KEEP_DELIVERIES)
    done = 0
    failing: list[int] = []
    while limit is None or done < limit:
        delivery = store.claim_webhook_delivery(
            owner, settings.lease_seconds, clock(), due_by=started, skip=failing
        )
        if delivery is None:
            break
        done += 1
        delivered = _deliver_one(
            store,
            sealer,
            settings,
            delivery,
            owner,
            report,
            definition_for=definition_for,
            composer=composer,
            page_url=page_url,
            clock=clock,
            resolve=resolve,
        )
        if not delivered:
            failing.append(delivery["webhook_id"])
    return report


def _deliver_one(
    store: Store,
    sealer: Sealer,
    settings: DeliverySettings,
    delivery: dict[str, Any],
    owner: str,
    report: WebhookReport,
    *,
    definition_for: DefinitionFor,
    composer: Composer,
    page_url: str | None,
    clock: Callable[[], datetime],
    resolve: Resolve,
) -> bool:
    """Make one attempt; whether the endpoint took the delivery."""
    status: int | None = None
    try:
        target = check_endpoint(
            delivery["url"], allow_private=settings.allow_private, resolve=resolve
        )
        body = body_of(store, delivery, definition_for)
        headers = signed_headers(
            sealer.open(delivery["sealed_secret"]),
            delivery["message_id"],
            clock(),
            body,
        )
        status = post(target, body, headers, settings.timeout)
        if not 200 <= status < 300:
            raise _Refused(f"the endpoint answered HTTP {status}")
    except Exception as exc:
        if not isinstance(exc, EXPECTED_FAILURES):
            # Not the endpoint's fault: keep the traceback, but still count the
            # attempt, so that a delivery that cannot be made ends up given up.
            log.exception("unexpected error delivering webhook %s", delivery["id"])
        error = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, (RefusedEndpoint, _Refused)):
            error = str(exc)
        elif isinstance(exc, UnreadableSecret):
            error = "the secret was sealed under a SECRET_KEY no longer configured"
    else:
        if not store.webhook_delivered(delivery["id"], owner, status):
            log.warning("webhook %s delivered after its claim expired", delivery["id"])
        report.delivered += 1
        return True
    retry_at = None
    if delivery["attempts"] < settings.max_attempts:
        delay = retry_delay(delivery["attempts"], settings.retry_delay)
        retry_at = clock() + timedelta(seconds=delay)
    endpoint = store.webhook_not_delivered(
        delivery["id"],
        owner,
        error=error,
        response_status=status,
        retry_at=retry_at,
        max_failures=settings.max_failures,
        messages=lambda endpoint: _tell_admins(store, composer, endpoint, page_url),
    )
    report.errors.append(f"webhook delivery {delivery['id']}: {error}")
    if retry_at is None:
        report.failed += 1
    else:
        report.retrying += 1
    if endpoint is not None and endpoint["disabled_at"] is not None:
        if endpoint["url"] not in report.disabled:
            report.disabled.append(endpoint["url"])
    return False


def _tell_admins(
    store: Store, composer: Composer, endpoint: dict[str, Any], page_url: str | None
) -> list[dict[str, Any]]:
    organisation = store.organisation_by_id(endpoint["organisation_id"])
    if organisation is None:  # pragma: no cover - organisations are never removed
        return []
    return [
        webhook_disabled_message(
            composer,
            organisation,
            email=email,
            url=endpoint["url"],
            failures=endpoint["failures"],
            page_url=page_url,
        )
        for email in store.active_admin_emails(endpoint["organisation_id"])
    ]
