"""Request statuses, the transitions between them and their names in plain words."""

from __future__ import annotations

from .i18n import gettext

SUBMITTED = "submitted"
IN_REVIEW = "in_review"
ACCEPTED = "accepted"
REJECTED = "rejected"
CLOSED = "closed"
#: An accepted request whose granted amount was paid (a payment file marked
#: paid, or the request marked paid alone). Final: money sent is not unsent.
PAID = "paid"

STATUSES: tuple[str, ...] = (SUBMITTED, IN_REVIEW, ACCEPTED, REJECTED, CLOSED, PAID)
#: Requests awaiting a decision: their due date matters, a deadline rule acts on
#: them (the store's index ``submissions_by_org_due`` names the same).
AWAITING: tuple[str, ...] = (SUBMITTED, IN_REVIEW)

#: From each status, where staff may take a request next.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    SUBMITTED: (IN_REVIEW, CLOSED),
    IN_REVIEW: (ACCEPTED, REJECTED, CLOSED, SUBMITTED),
    # To ``paid`` only for forms that describe a payment (checked where the
    # change is made), and never while a payment file holds the request.
    ACCEPTED: (IN_REVIEW, PAID),
    REJECTED: (IN_REVIEW,),
    CLOSED: (IN_REVIEW,),
    PAID: (),
}


def can_move(from_status: str, to_status: str) -> bool:
    """Whether the life cycle allows a request to go from one status to another."""
    return to_status in TRANSITIONS.get(from_status, ())


def status_name(status: str, lang: str | None = None) -> str:
    """The status as an applicant reads it."""
    names = {
        SUBMITTED: gettext("Received, waiting to be examined", lang),
        IN_REVIEW: gettext("Being examined", lang),
        ACCEPTED: gettext("Accepted", lang),
        REJECTED: gettext("Refused", lang),
        CLOSED: gettext("Closed without a decision", lang),
        PAID: gettext("Paid", lang),
    }
    return names[status]


def status_explanation(status: str, lang: str | None = None) -> str:
    """One sentence telling the applicant what the status means for them."""
    texts = {
        SUBMITTED: gettext(
            "Your request has been received. Nobody has started examining it yet.",
            lang,
        ),
        IN_REVIEW: gettext(
            "Someone is examining your request. We will let you know the decision.",
            lang,
        ),
        ACCEPTED: gettext("Your request has been accepted.", lang),
        REJECTED: gettext("Your request has been refused.", lang),
        CLOSED: gettext("Your request was closed without a decision.", lang),
        PAID: gettext(
            "The amount granted has been paid into the bank account you gave.", lang
        ),
    }
    return texts[status]
