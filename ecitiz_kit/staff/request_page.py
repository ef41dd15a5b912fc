"""One request as staff see it: answers, files, documents, timeline, status changes.

Every view finds the request through the signed-in person's organisation: another
organisation's id answers 404, exactly like an id that does not exist.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import format_currency
from flask import (
    Response,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import Conflict, ServiceUnavailable
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from .. import lifecycle
from ..documents.signing import KeyFileError
from ..domain.companies import register_view
from ..domain.deadlines import RULE_ACTOR
from ..domain.grants import GrantRefused, cents, default_grant, euros, parse_amount
from ..domain.lookup import Tracked, revealed_fields, summary, tracked_for_staff
from ..domain.status import change_status
from ..errors import ForbiddenTransition, MessageRequired, UnknownObject
from ..i18n import gettext
from ..state import state
from ..store import InPaymentBatch, StaleStatus
from ..web import downloads
from ..web.pages import notices, when
from .audit import audit
from .auth import StaffForm, refusal, staff_required
from .blueprint import ROW_ID, blueprint
from .queue import queue_filters
from .request_forms import CommentForm
from .signals_panel import deadline_and_signals

MESSAGE_MAX_LENGTH = 2000


def money(amount_cents: int | None) -> str | None:
    """An amount in cents as the staff member reads it."""
    if amount_cents is None:
        return None
    return format_currency(euros(amount_cents), "EUR", locale=g.ecitiz_lang)


class TransitionForm(StaffForm):
    to_status = HiddenField(validators=[InputRequired()])
    expected = HiddenField(validators=[InputRequired()])
    public_message = TextAreaField(validators=[Length(max=MESSAGE_MAX_LENGTH)])
    private_note = TextAreaField(validators=[Length(max=MESSAGE_MAX_LENGTH)])
    #: On acceptance of a request whose form describes a payment.
    granted_amount = StringField(validators=[Length(max=40)])

    def problems(self) -> dict[str, str]:
        too_long = gettext("Write at most %(max)s characters.", max=MESSAGE_MAX_LENGTH)
        return {
            "public_message": too_long,
            "private_note": too_long,
            "granted_amount": amount_problem(),
        }


def amount_problem() -> str:
    return gettext("Enter an amount in euros with at most 2 decimals, e.g. 1 234,50.")


def action_name(from_status: str, to_status: str) -> str:
    """What the button moving a request from one status to another says."""
    if to_status == lifecycle.IN_REVIEW:
        if from_status == lifecycle.SUBMITTED:
            return gettext("Start the review")
        return gettext("Reopen the request")
    return {
        lifecycle.ACCEPTED: gettext("Accept"),
        lifecycle.REJECTED: gettext("Refuse"),
        lifecycle.CLOSED: gettext("Close without a decision"),
        lifecycle.SUBMITTED: gettext("Send back for changes"),
        lifecycle.PAID: gettext("Mark as paid"),
    }[to_status]


def found_request(submission_id: int) -> Tracked:
    kit = state()
    return tracked_for_staff(
        kit.store, kit.forms, g.ecitiz_staff["organisation_id"], submission_id
    )


@blueprint.get(f"/requests/<{ROW_ID}:submission_id>")
@staff_required
def request_detail(submission_id: int) -> str:
    found = found_request(submission_id)
    _record_reveal(found, found.submission["answers"])
    return render_detail(found)


def _record_reveal(found: Tracked, answers: dict[str, Any], **detail: Any) -> None:
    """Record that the page shows masked answers (an IBAN) whole."""
    fields = revealed_fields(found.form.definition, answers)
    if fields:
        audit("iban.view", found.submission["reference"], fields=fields, **detail)


def render_detail(
    found: Tracked,
    failed: TransitionForm | None = None,
    comment_form: CommentForm | None = None,
) -> str:
    """The request page; a form refused comes back with what was typed and why."""
    submission = found.submission
    lang = g.ecitiz_lang
    status = submission["status"]
    payment = found.form.definition.payment
    forms = []
    for to_status in lifecycle.TRANSITIONS.get(status, ()):
        if to_status == lifecycle.PAID and payment is None:
            continue
        if failed is not None and failed.to_status.data == to_status:
            form = failed
        else:
            form = TransitionForm(formdata=None, to_status=to_status, expected=status)
            if to_status == lifecycle.ACCEPTED and payment is not None:
                amount = default_grant(payment, submission["answers"])
                form.granted_amount.data = "" if amount is None else str(amount)
        forms.append(
            {
                "to_status": to_status,
                "action": action_name(status, to_status),
                "form": form,
                "message_required": to_status == lifecycle.SUBMITTED,
                "amount": to_status == lifecycle.ACCEPTED and payment is not None,
            }
        )
    timeline = [
        {
            "when": when(event["created_at"]),
            "actor": event["actor"],
            "amended": event.get("kind") == "amended",
            "from": lifecycle.status_name(event["from_status"], lang)
            if event["from_status"]
            else None,
            "to": lifecycle.status_name(event["to_status"], lang),
            "by_rule": event["actor"] == RULE_ACTOR,
            "public_message": event["public_message"],
            "private_note": event["private_note"],
            "at": event["created_at"],
        }
        for event in found.events
    ]
    store = state().store
    staff = g.ecitiz_staff
    team = store.team(staff["organisation_id"])
    for change in store.assignment_history(submission["id"]):
        timeline.append(
            {
                "when": when(change["created_at"]),
                "actor": change["actor"],
                "assignment": True,
                "assigned": change["staff_email"] or "",
                "at": change["created_at"],
            }
        )
    # Newest first; an assignment and an event of the same instant keep their order.
    timeline.sort(key=lambda entry: entry["at"], reverse=True)
    filters = queue_filters()
    return render_template(
        "ecitiz/staff/detail.html",
        **deadline_and_signals(found),
        found=found,
        submission=submission,
        form_title=found.form.title(lang),
        status_name=lifecycle.status_name(status, lang),
        received=when(submission["created_at"]),
        granted=money(submission.get("granted_cents")),
        ceiling=money(payment and cents(payment.ceiling)),
        payment_file=store.open_payment_batch(submission["id"]),
        sections=summary(
            found.form.definition, submission["answers"], lang, unmasked=True
        ),
        files=[a for a in found.attachments if a.get("replaced_in") is None],
        transitions=forms,
        timeline=timeline,
        versions=[
            {**version, "replaced": when(version["replaced_at"])}
            for version in store.versions(submission["id"])
        ],
        amendable=store.amendable(submission["id"]),
        changed=request.args.get("changed"),
        notice=request.args.get("done"),
        queue=filters.query(),
        team=[member for member in team if member["active"]],
        assignee=next((m for m in team if m["id"] == submission["assigned_to"]), None),
        comments=[
            {**comment, "when": when(comment["created_at"])}
            for comment in store.comments(submission["id"])
        ],
        comment_form=comment_form or CommentForm(formdata=None),
        register=register_view(
            found.form.definition,
            submission["answers"],
            store.company_check(submission["id"]),
        ),
        register_items=register_items(),
        nav="requests",
    )


def register_items() -> dict[str, str]:
    """The names of what the company register says, in the page language."""
    return {
        "legal_name": gettext("Legal name"),
        "address": gettext("Address"),
        "postal_code": gettext("Postal code"),
        "town": gettext("Town"),
        "activity_code": gettext("Activity code (NAF)"),
    }


@blueprint.post(f"/requests/<{ROW_ID}:submission_id>/status")
@staff_required
def change_request_status(submission_id: int) -> Any:
    """Move a request along its life cycle, with a public message and a note."""
    found = found_request(submission_id)
    submission = found.submission
    form = TransitionForm()
    to_status = form.to_status.data or ""
    if to_status not in lifecycle.STATUSES:
        raise refusal(UnknownObject, gettext("There is no such status for a request."))
    if not form.validate_on_submit():
        return render_detail(found, form), 422
    if form.expected.data != submission["status"]:
        raise _stale(submission["status"])
    granted = None
    payment = found.form.definition.payment
    typed = (form.granted_amount.data or "").strip()
    if to_status == lifecycle.ACCEPTED and payment is not None and typed:
        # Left empty: the amount requested (what the field is filled with).
        granted = parse_amount(typed)
        if granted is None:
            form.granted_amount.errors = [amount_problem()]
            return render_detail(found, form), 422
    kit = state()
    try:
        change_status(
            kit.store, kit.forms, kit.keyring, submission, to_status,
            actor=g.ecitiz_staff["email"],
            public_message=(form.public_message.data or "").strip(),
            private_note=(form.private_note.data or "").strip(),
            notices=notices(),
            granted=granted,
        )  # fmt: skip
    except ForbiddenTransition:
        raise _forbidden(submission["status"], to_status) from None
    except GrantRefused as exc:
        form.granted_amount.errors = [
            gettext(
                "Enter an amount between %(min)s and %(max)s.",
                min=format_currency(Decimal("0.01"), "EUR", locale=g.ecitiz_lang),
                max=format_currency(exc.ceiling, "EUR", locale=g.ecitiz_lang),
            )
        ]
        return render_detail(found, form), 422
    except InPaymentBatch as exc:
        raise refusal(
            Conflict,
            gettext(
                "This request is in payment file %(number)s: mark that file paid"
                " or cancel it first. Nothing was changed.",
                number=exc.batch_id,
            ),
        ) from None
    except KeyFileError:
        raise refusal(
            ServiceUnavailable,
            gettext(
                "The organisation's signing key cannot be opened with this server's"
                " secret key: nothing was changed. The server's administrator must"
                " add the former key to SECRET_KEY_FALLBACKS."
            ),
        ) from None
    except MessageRequired:
        form.public_message.errors = [
            gettext("Tell the applicant what to change: they will read this message.")
        ]
        return render_detail(found, form), 422
    except StaleStatus:
        current = kit.store.submission(submission_id)
        raise _stale(current["status"] if current else submission["status"]) from None
    detail: dict[str, Any] = {"from": submission["status"], "to": to_status}
    if granted is not None:
        detail["granted"] = str(granted)
    audit("request.status", submission["reference"], **detail)
    return redirect(
        url_for(
            "ecitiz_staff.request_detail",
            submission_id=submission_id,
            changed=to_status,
            **queue_filters().query(),
        ),
        303,
    )


def _stale(now: str) -> Exception:
    return refusal(
        Conflict,
        gettext(
            "Someone changed this request while you were reading it: it is now"
            " “%(status)s”. Nothing was changed; look at it again before deciding.",
            status=lifecycle.status_name(now, g.ecitiz_lang),
        ),
    )


def _forbidden(from_status: str, to_status: str) -> Exception:
    return refusal(
        Conflict,
        gettext(
            "A request that is “%(current)s” cannot become “%(wanted)s”. Nothing"
            " was changed.",
            current=lifecycle.status_name(from_status, g.ecitiz_lang),
            wanted=lifecycle.status_name(to_status, g.ecitiz_lang),
        ),
    )


# -- files and documents -----------------------------------------------------------


@blueprint.get(f"/requests/<{ROW_ID}:submission_id>/files/<{ROW_ID}:attachment_id>")
@staff_required
def attachment(submission_id: int, attachment_id: int) -> Response:
    """An uploaded file, always as a download, never rendered."""
    kit = state()
    row = kit.store.organisation_attachment(
        g.ecitiz_staff["organisation_id"], submission_id, attachment_id
    )
    if row is None:
        raise UnknownObject()
    response = downloads.attachment(kit.uploads.content(row["stored_name"]), row)
    submission = kit.store.submission(submission_id) or {}
    audit("file.download", submission.get("reference"), file=row["filename"])
    return response


@blueprint.get(f"/requests/<{ROW_ID}:submission_id>/receipt.pdf")
@staff_required
def receipt_pdf(submission_id: int) -> Response:
    found = found_request(submission_id)
    response = downloads.receipt(found, for_applicant=False)
    audit("pdf.download", found.submission["reference"], document="receipt")
    return response


@blueprint.get(f"/requests/<{ROW_ID}:submission_id>/attestation.pdf")
@staff_required
def attestation_pdf(submission_id: int) -> Response:
    found = found_request(submission_id)
    response = downloads.attestation(found)
    audit("pdf.download", found.submission["reference"], document="attestation")
    return response


# -- earlier versions --------------------------------------------------------------


@blueprint.get(f"/requests/<{ROW_ID}:submission_id>/versions/<{ROW_ID}:number>")
@staff_required
def request_version(submission_id: int, number: int) -> str:
    """The answers a request had before the applicant changed them."""
    found = found_request(submission_id)
    version = state().store.version(found.submission["id"], number)
    if version is None:
        raise UnknownObject()
    _record_reveal(found, version["answers"], version=number)
    return render_template(
        "ecitiz/staff/version.html",
        submission=found.submission,
        version=version,
        sent=when(version["created_at"]),
        replaced=when(version["replaced_at"]),
        sections=summary(
            found.form.definition, version["answers"], g.ecitiz_lang, unmasked=True
        ),
        nav="requests",
    )
