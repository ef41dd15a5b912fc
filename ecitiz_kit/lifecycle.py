"""Request statuses, the transitions between them and their names in plain words."""

from __future__ import annotations

from .i18n import gettext

SUBMITTED = "submitted"
IN_REVIEW = "in_review"
ACCEPTED = "accepted"
REJECTED = "rejected"
CLOSED = "closed"

STATUSES: tuple[str, ...] = (SUBMITTED, IN_REVIEW, ACCEPTED, REJECTED, CLOSED)
#: Requests awaiting a decision: their due date matters, a deadline rule acts on
#: them (the store's index ``submissions_by_org_due`` names the same).
AWAITING: tuple[str, ...] = (SUBMITTED, IN_REVIEW)

#: From each status, where staff may take a request next.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    SUBMITTED: (IN_REVIEW, CLOSED),
    IN_REVIEW: (ACCEPTED, REJECTED, CLOSED, SUBMITTED),
    ACCEPTED: (IN_REVIEW,),
    REJECTED: (IN_REVIEW,),
    CLOSED: (IN_REVIEW,),
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
    }
    return texts[status]
