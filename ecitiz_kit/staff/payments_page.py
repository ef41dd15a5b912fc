"""Payment files: made from the request list's selection, listed, downloaded,
marked paid or cancelled; and the organisation's debtor account.

Every member of the team prepares, downloads, marks paid and cancels payment
files (the bank's own approval of the transfer is the second pair of eyes);
only an admin sets the account they are paid from. Thin views over
:mod:`~ecitiz_kit.domain.payments`, scoped to the signed-in person's
organisation: another organisation's file is not found.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, redirect, render_template, request, url_for
from werkzeug.exceptions import BadRequest, Conflict
from wtforms import StringField

from ..domain import payments
from ..errors import UnknownObject
from ..i18n import gettext
from ..lifecycle import STATUSES, status_name
from ..state import state
from ..store import AlreadyInBatch, BatchClosed
from ..web import downloads
from ..web.pages import notices, today, when
from .audit import audit
from .auth import StaffForm, admin_required, refusal, staff_required
from .blueprint import ROW_ID, blueprint
from .bulk_page import KEY, selection
from .request_page import money


class AccountForm(StaffForm):
    # Checked by the domain's rules, which refuse over-long values too.
    name = StringField()
    iban = StringField()
    bic = StringField()


def reason(code: str) -> str:
    """Why a request was left out of a payment file, for staff."""
    return {
        payments.NOT_ACCEPTED: gettext("It is not accepted (or is already paid)."),
        payments.NO_PAYMENT: gettext("Its form describes no payment."),
        payments.IN_BATCH: gettext("It is already in another payment file."),
        payments.NO_AMOUNT: gettext("No amount was granted."),
        payments.OVER_CEILING: gettext(
            "Its granted amount is above the form's ceiling: reopen it and grant less."
        ),
        payments.BAD_IBAN: gettext(
            "Its IBAN is not valid: ask the applicant for their bank details again."
        ),
        payments.BAD_BIC: gettext(
            "Its BIC is not valid: ask the applicant for their bank details again."
        ),
        payments.NO_HOLDER: gettext("The account holder's name is missing."),
    }.get(code, code)


def _organisation() -> dict[str, Any]:
    return state().store.organisation_by_id(g.ecitiz_staff["organisation_id"]) or {}


@blueprint.get("/payments")
@staff_required
def payments_page() -> str:
    return _list_page()


def _list_page(left_out: list[tuple[str, str]] | None = None) -> str:
    store = state().store
    batches = [
        {
            **batch,
            "made": when(batch["created_at"]),
            "total": money(batch["total_cents"]),
        }
        for batch in store.payment_batches(g.ecitiz_staff["organisation_id"])
    ]
    return render_template(
        "ecitiz/staff/payments.html",
        batches=batches,
        account=payments.debtor_account(_organisation()),
        left_out=[(ref, reason(code)) for ref, code in left_out or ()],
        refused=left_out is not None,
        nav="payments",
    )


@blueprint.post("/payments")
@staff_required
def create_payment_file() -> Any:
    """Make a payment file of the requests ticked in the list (or all those
    matching its filters). The same form posted twice makes one file."""
    kit = state()
    staff = g.ecitiz_staff
    key = request.form.get("key", "")
    if not KEY.fullmatch(key):
        raise payments_error(
            gettext("This form is damaged. Reload the list of requests, then retry.")
        )
    ids = selection(staff["organisation_id"])
    try:
        batch_id, created = payments.prepare(
            kit.store, kit.forms, _organisation(), ids,
            key=key, actor=staff["email"], execution_date=today(),
        )  # fmt: skip
    except payments.NoDebtorAccount:
        raise refusal(
            Conflict,
            gettext(
                "Your organisation has no bank account to pay from yet: an"
                " administrator sets it on the payments page."
            ),
        ) from None
    except payments.TooManyTransfers as exc:
        raise payments_error(
            gettext(
                "%(count)s requests are selected; a payment file takes at most"
                " %(cap)s. Narrow the filters, then try again.",
                count=exc.count,
                cap=payments.PAYMENT_CAP,
            )
        ) from None
    except payments.NothingToPay as exc:
        return _list_page(exc.left_out), 422
    except AlreadyInBatch:
        raise refusal(
            Conflict,
            gettext(
                "Someone put one of these requests in another payment file"
                " meanwhile. Nothing was made; go back to the list and retry."
            ),
        ) from None
    if created:
        batch = kit.store.payment_batch(staff["organisation_id"], batch_id) or {}
        audit(
            "payment.prepare",
            f"payment file {batch_id}",
            count=batch.get("transfers"),
            total_cents=batch.get("total_cents"),
        )
    return redirect(url_for("ecitiz_staff.payment_batch", batch_id=batch_id), 303)


def payments_error(message: str) -> Exception:
    return refusal(BadRequest, message)


def _batch(batch_id: int) -> dict[str, Any]:
    batch = state().store.payment_batch(g.ecitiz_staff["organisation_id"], batch_id)
    if batch is None:
        raise UnknownObject()
    return batch


@blueprint.get(f"/payments/<{ROW_ID}:batch_id>")
@staff_required
def payment_batch(batch_id: int) -> str:
    batch = _batch(batch_id)
    items = [
        {**item, "amount": money(item["amount_cents"])}
        for item in state().store.payment_items(batch_id)
    ]
    return render_template(
        "ecitiz/staff/payment_batch.html",
        batch={
            **batch,
            "made": when(batch["created_at"]),
            "closed": batch["closed_at"] and when(batch["closed_at"]),
            "total": money(batch["total_cents"]),
        },
        items=items,
        left_out=[(ref, reason(code)) for ref, code in batch["left_out"]],
        done=request.args.get("done"),
        status_names={s: status_name(s, g.ecitiz_lang) for s in STATUSES},
        nav="payments",
    )


@blueprint.get(f"/payments/<{ROW_ID}:batch_id>/transfers.xml")
@staff_required
def payment_file(batch_id: int) -> Response:
    """The SEPA credit-transfer file, as made, to import into the bank."""
    batch = _batch(batch_id)
    xml = state().store.payment_batch_xml(batch["organisation_id"], batch_id) or b""
    audit("payment.download", f"payment file {batch_id}")
    return downloads.payment_file(xml, batch_id)


@blueprint.post(f"/payments/<{ROW_ID}:batch_id>/paid")
@staff_required
def mark_payment_paid(batch_id: int) -> Any:
    """Record that the bank made the transfers: each request becomes paid."""
    kit = state()
    batch = _batch(batch_id)
    if batch["state"] != "open":
        raise _closed()
    try:
        moved = payments.mark_paid(
            kit.store, kit.forms, kit.keyring, batch,
            actor=g.ecitiz_staff["email"], notices=notices(),
        )  # fmt: skip
    except BatchClosed:
        raise _closed() from None
    audit("payment.paid", f"payment file {batch_id}", count=moved)
    return redirect(
        url_for("ecitiz_staff.payment_batch", batch_id=batch_id, done="paid"), 303
    )


@blueprint.post(f"/payments/<{ROW_ID}:batch_id>/cancel")
@staff_required
def cancel_payment(batch_id: int) -> Any:
    """Give up a file not sent to the bank: its requests may go in another."""
    batch = _batch(batch_id)
    try:
        payments.cancel(state().store, batch, actor=g.ecitiz_staff["email"])
    except BatchClosed:
        raise _closed() from None
    audit("payment.cancel", f"payment file {batch_id}")
    return redirect(
        url_for("ecitiz_staff.payment_batch", batch_id=batch_id, done="cancelled"),
        303,
    )


def _closed() -> Exception:
    return refusal(
        Conflict,
        gettext(
            "This payment file was already marked paid or cancelled. Nothing was"
            " changed."
        ),
    )


# -- the debtor account --------------------------------------------------------


@blueprint.get("/payments/account")
@admin_required
def payment_account() -> str:
    account = payments.debtor_account(_organisation())
    form = AccountForm(
        formdata=None,
        data={
            "name": account.name if account else "",
            "iban": account.iban if account else "",
            "bic": account.bic if account else "",
        },
    )
    return _account_page(form)


@blueprint.post("/payments/account")
@admin_required
def save_payment_account() -> Any:
    form = AccountForm()
    if not form.validate_on_submit():
        return _account_page(form), 422
    try:
        account = payments.check_account(
            form.name.data or "", form.iban.data or "", form.bic.data or ""
        )
    except payments.BadAccount as exc:
        field = getattr(form, exc.field)
        field.errors = [account_problem(exc.field)]
        return _account_page(form), 422
    state().store.set_debtor_account(
        g.ecitiz_staff["organisation_id"], account.name, account.iban, account.bic
    )
    audit("payment.account", None, iban_end=account.iban[-4:])
    return redirect(url_for("ecitiz_staff.payment_account", saved=1), 303)


def account_problem(field: str) -> str:
    return {
        "name": gettext(
            "Enter the account holder's name, %(max)s characters at most.",
            max=payments.NAME_LENGTH,
        ),
        "iban": gettext(
            "This IBAN is not valid: copy it from the organisation's bank details."
        ),
        "bic": gettext(
            "This BIC is not valid: 8 or 11 letters and digits, e.g. BNPAFRPP."
        ),
    }[field]


def _account_page(form: AccountForm) -> str:
    return render_template(
        "ecitiz/staff/payment_account.html",
        form=form,
        saved=bool(request.args.get("saved")),
        nav="payments",
    )
