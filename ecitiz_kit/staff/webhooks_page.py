"""The organisation's webhook endpoints, for its admins: registered (the secret
shown once), listed with how their deliveries go, enabled again, deleted, and
each one's recent deliveries.

The rules are :mod:`..domain.webhooks`'s, the same as the ``webhook``
command's; each change is in the audit log.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, redirect, render_template, request, url_for
from wtforms import BooleanField, SelectMultipleField, StringField

from ..domain import webhooks
from ..domain.webhook_targets import MAX_URL_LENGTH, RefusedEndpoint
from ..errors import UnknownObject
from ..i18n import gettext
from ..state import state
from ..store.webhooks import EVENT_TYPES
from ..web.pages import when
from ..web.ratelimits import client_address
from .auth import StaffForm, admin_required
from .blueprint import blueprint
from .request_page import ROW_ID


def event_names() -> dict[str, str]:
    """The events an endpoint may ask for, in the staff member's language."""
    return {
        "request.submitted": gettext("A request is submitted"),
        "request.status_changed": gettext("A request changes status"),
        "request.amended": gettext("An applicant amends a request sent back"),
        "request.paid": gettext("A request is marked paid"),
    }


def outcome_names() -> dict[str, str]:
    return {
        "pending": gettext("Waiting to be sent"),
        "sending": gettext("Being sent now"),
        "delivered": gettext("Received by the endpoint"),
        "failed": gettext("Given up after every attempt"),
    }


class WebhookForm(StaffForm):
    # Checked by the domain (check_endpoint), which names the reason.
    url = StringField()
    events = SelectMultipleField(choices=list(EVENT_TYPES), validate_choice=False)
    answers = BooleanField()


def _who() -> dict[str, Any]:
    staff = g.ecitiz_staff
    return {
        "actor": staff["email"],
        "staff_id": staff["id"],
        "address": client_address(),
    }


@blueprint.get("/webhooks")
@admin_required
def webhooks_page() -> str:
    return _page(WebhookForm(formdata=None, events=list(EVENT_TYPES)))


@blueprint.post("/webhooks")
@admin_required
def create_webhook() -> Any:
    """Register an endpoint and show its secret, this once, on the page the
    POST answers (never in an address, which browsers and servers keep)."""
    form = WebhookForm()
    if not form.validate_on_submit():
        return _page(form), 422
    kit = state()
    config = current_app.config
    try:
        made = webhooks.register(
            kit.store,
            kit.sealer(config),
            g.ecitiz_staff["organisation_id"],
            url=form.url.data or "",
            events=form.events.data or [],
            include_answers=bool(form.answers.data),
            allow_private=config["ECITIZ_WEBHOOKS_ALLOW_PRIVATE"],
            **_who(),
        )
    except RefusedEndpoint as exc:
        form.url.errors = [exc.describe()]
        return _page(form), 422
    except webhooks.NoEvent:
        form.events.errors = [gettext("Choose at least one event to send.")]
        return _page(form), 422
    except webhooks.TooManyEndpoints:
        form.url.errors = [
            gettext(
                "Your organisation has %(max)s endpoints already: delete one first.",
                max=webhooks.MAX_ENDPOINTS,
            )
        ]
        return _page(form), 422
    return _page(WebhookForm(formdata=None, events=list(EVENT_TYPES)), made=made)


@blueprint.post(f"/webhooks/<{ROW_ID}:webhook_id>/delete")
@admin_required
def delete_webhook(webhook_id: int) -> Any:
    """Delete an endpoint at once, with the deliveries still waiting for it."""
    organisation_id = g.ecitiz_staff["organisation_id"]
    if not webhooks.delete(state().store, organisation_id, webhook_id, **_who()):
        raise UnknownObject()
    return redirect(url_for("ecitiz_staff.webhooks_page", deleted=1), 303)


@blueprint.post(f"/webhooks/<{ROW_ID}:webhook_id>/enable")
@admin_required
def enable_webhook(webhook_id: int) -> Any:
    """Enable a disabled endpoint again: what waited for it goes out at once."""
    organisation_id = g.ecitiz_staff["organisation_id"]
    if not webhooks.enable(state().store, organisation_id, webhook_id, **_who()):
        raise UnknownObject()
    return redirect(url_for("ecitiz_staff.webhooks_page", enabled=webhook_id), 303)


@blueprint.get(f"/webhooks/<{ROW_ID}:webhook_id>")
@admin_required
def webhook_deliveries(webhook_id: int) -> str:
    """One endpoint's latest deliveries, newest first."""
    store = state().store
    endpoint = store.webhook(g.ecitiz_staff["organisation_id"], webhook_id)
    if endpoint is None:
        raise UnknownObject()
    names, outcomes = event_names(), outcome_names()
    deliveries = [
        {
            **row,
            "made": when(row["created_at"]),
            "event": names.get(row["event_type"], row["event_type"]),
            "outcome": outcomes.get(row["status"], row["status"]),
            "next": (
                when(row["next_attempt_at"]) if row["status"] == "pending" else None
            ),
            "delivered": when(row["delivered_at"]) if row["delivered_at"] else None,
        }
        for row in store.webhook_deliveries(webhook_id)
    ]
    return render_template(
        "ecitiz/staff/webhook_deliveries.html",
        endpoint=_shown(endpoint),
        deliveries=deliveries,
        nav="settings",
    )


def _shown(endpoint: dict[str, Any]) -> dict[str, Any]:
    names = event_names()
    return {
        **endpoint,
        "event_names": [names.get(e, e) for e in endpoint["events"]],
        "made": when(endpoint["created_at"]),
        "last": when(endpoint["last_attempt_at"])
        if endpoint["last_attempt_at"]
        else None,
        "disabled": when(endpoint["disabled_at"]) if endpoint["disabled_at"] else None,
    }


def _page(form: WebhookForm, made: webhooks.NewEndpoint | None = None) -> str:
    store = state().store
    endpoints = [
        _shown(endpoint)
        for endpoint in store.webhooks(g.ecitiz_staff["organisation_id"])
    ]
    enabled = request.args.get("enabled", "")
    return render_template(
        "ecitiz/staff/webhooks.html",
        form=form,
        endpoints=endpoints,
        made=made,
        deleted=request.args.get("deleted") == "1",
        enabled_url=next(
            (e["url"] for e in endpoints if str(e["id"]) == enabled), None
        ),
        event_names=event_names(),
        max_url_length=MAX_URL_LENGTH,
        allow_private=current_app.config["ECITIZ_WEBHOOKS_ALLOW_PRIVATE"],
        nav="settings",
    )
