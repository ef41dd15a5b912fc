"""The pages of a sent request: its receipt, its tracking page (the applicant's
private link) and the PDFs both offer."""

from __future__ import annotations

from typing import Any

from babel.numbers import format_currency
from flask import Response, g, render_template, request

from .. import lifecycle
from ..domain.grants import euros
from ..domain.lookup import Tracked, summary
from ..i18n import gettext
from ..state import state
from ..web import downloads
from ..web.pages import links, when
from .pages import blueprint, found_request


@blueprint.get("/r/<token>")
def receipt(token: str) -> str:
    found = found_request("r", token)
    submission = found.submission
    return render_template(
        "ecitiz/receipt.html",
        form=found.form,
        submission=submission,
        received_at=when(submission["created_at"]),
        sections=summary(found.form.definition, submission["answers"], g.ecitiz_lang),
        status_url=_status_url(submission),
        attestation=found.attestation,
        token=token,
    )


@blueprint.get("/s/<token>")
def status(token: str) -> str:
    return status_page(token)


def status_page(token: str, notice: str | None = None) -> str:
    """The tracking page; ``notice`` tells the applicant why they are back here."""
    return render_status(found_request("s", token), token, notice=notice)


def render_status(
    found: Tracked, token: str, notice: str | None = None, **context: Any
) -> str:
    """The tracking page of a request its applicant proved they may see."""
    timeline = [
        {
            "when": when(event["created_at"]),
            "status": gettext("You changed your request")
            if event.get("kind") == "amended"
            else lifecycle.status_name(event["to_status"], g.ecitiz_lang),
            "message": event["public_message"],
        }
        for event in reversed(found.events)
    ]
    submission = found.submission
    if notice is None and request.args.get("amended"):
        notice = gettext("Your changes have been sent. Thank you.")
    return render_template(
        "ecitiz/status.html",
        form=found.form,
        submission=submission,
        status_name=lifecycle.status_name(submission["status"], g.ecitiz_lang),
        status_explanation=lifecycle.status_explanation(
            submission["status"], g.ecitiz_lang
        ),
        timeline=timeline,
        attestation=found.attestation,
        token=token,
        can_amend=state().store.amendable(submission["id"]),
        notice=notice,
        granted=granted_amount(submission),
        **context,
    )


def granted_amount(submission: dict[str, Any]) -> str | None:
    """The amount granted, as the applicant reads it (``None``: none)."""
    amount = submission.get("granted_cents")
    if amount is None:
        return None
    return format_currency(euros(amount), "EUR", locale=g.ecitiz_lang)


@blueprint.get("/<any(r, s):kind>/<token>/receipt.pdf")
def receipt_pdf(kind: str, token: str) -> Response:
    """The acknowledgement of receipt, from the receipt or the tracking page."""
    return downloads.receipt(found_request(kind, token))


@blueprint.get("/<any(r, s):kind>/<token>/attestation.pdf")
def attestation_pdf(kind: str, token: str) -> Response:
    """The signed attestation of an accepted request (404 until there is one)."""
    return downloads.attestation(found_request(kind, token))


def _status_url(submission: dict[str, Any]) -> str:
    return links().status(submission) or ""
