"""Decision periods that act: due dates, the deadline rules the worker applies,
and the staff digest.

A request's decision is due ``decision_days`` after the day it arrived (a day in
the kit's time zone). It is overdue from the day after. A form may carry a rule
for the requests still awaiting a decision when their due date has passed:
accept them ("silence vaut accord") or refuse them ("silence vaut rejet"). The
worker applies it as a person would, through :func:`~.status.change_status`:
the same events, e-mail and document, with ``rule`` as the actor. A request not
yet examined is first taken into review (silently: one e-mail tells the
decision), since the life cycle decides only requests under review; one sent
back for changes waits for the applicant, and the rule leaves it to staff. Each
move is a compare-and-set on the status: a request staff decided meanwhile is
left alone, and no request is decided twice, however many workers run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import EllipsisType
from typing import Any
from zoneinfo import ZoneInfo

from .. import lifecycle
from ..documents.attestations import Keyring
from ..errors import ForbiddenTransition
from ..forms.definitions import FormDefinition
from ..forms.registry import FormRegistry
from ..i18n import gettext, ngettext
from ..mail import messages
from ..mail.messages import Composer
from ..store import StaleStatus, Store
from ..store.base import stamp
from .notices import Notices
from .status import change_status

#: The actor events record for a decision taken by an organisation's rule.
RULE_ACTOR = "rule"
#: What each rule does to a request under review.
RULE_STATUS = {"accept": lifecycle.ACCEPTED, "reject": lifecycle.REJECTED}
#: "Due soon": due today or within this many days.
SOON_DAYS = 7
#: Requests one pass decides per form at most (the next pass goes on).
RULE_BATCH = 200


def due_date(received: datetime, days: int, timezone: str) -> date:
    """The day a decision is due on a request received at ``received``."""
    return received.astimezone(ZoneInfo(timezone)).date() + timedelta(days=days)


def decision_days(
    row: dict[str, Any] | None, definition: FormDefinition | None, default: int
) -> int:
    """A form's decision period: the one stored with it, else its definition's,
    else ``default``."""
    return (
        (row and row.get("decision_days"))
        or (definition and definition.decision_days)
        or default
    )


@dataclass(frozen=True)
class Periods:
    """How due dates are counted: in days of ``timezone``, ``default`` days for a
    form whose definition sets no ``decision_days`` (``ECITIZ_DECISION_DAYS``)."""

    timezone: str
    default: int

    def days(
        self, row: dict[str, Any] | None, definition: FormDefinition | None
    ) -> int:
        """An enabled form's decision period."""
        return decision_days(row, definition, self.default)

    def due_on(self, received: datetime, days: int) -> str:
        """The due date (ISO) of a request received at ``received``."""
        return due_date(received, days, self.timezone).isoformat()


def set_period(
    store: Store,
    registry: FormRegistry,
    periods: Periods,
    organisation_id: int,
    form_id: str,
    *,
    days: int | None,
    rule: str | None | EllipsisType = ...,
) -> dict[str, Any] | None:
    """Set an enabled form's decision period (``None``: keep it) and deadline rule
    (``...``: keep it, ``None``: no rule); the due dates of its requests move with
    the period. ``None`` when the form is not enabled."""
    row = store.enabled_form(organisation_id, form_id)
    if row is None:
        return None
    definition, _compiled = registry.get(row)
    unset = periods.days(None, definition)
    kept = row["deadline_rule"] if isinstance(rule, EllipsisType) else rule
    if not store.set_decision_periods(
        organisation_id,
        [(form_id, days or periods.days(row, definition), kept, unset)],
    ):
        return None
    return store.enabled_form(organisation_id, form_id)


def set_periods(
    store: Store,
    registry: FormRegistry,
    periods: Periods,
    organisation_id: int,
    wanted: dict[str, tuple[int, str | None]],
) -> bool:
    """Set several enabled forms' ``(days, rule)`` at once, or none of them
    (False when one is not enabled)."""
    rows = {row["form_id"]: row for row in store.enabled_forms(organisation_id)}
    changes = []
    for form_id, (days, rule) in wanted.items():
        row = rows.get(form_id)
        if row is None:
            return False
        definition, _compiled = registry.get(row)
        changes.append((form_id, days, rule, periods.days(None, definition)))
    return store.set_decision_periods(organisation_id, changes)


# -- the rule at the due date --------------------------------------------------------


@dataclass
class RuleReport:
    """What one pass of the deadline rules did: requests decided, left alone."""

    decided: int = 0
    left: list[str] = field(default_factory=list)


def rule_message(rule: str, days: int, lang: str) -> str:
    """What the applicant reads with a decision taken by a deadline rule."""
    if rule == "accept":
        return ngettext(
            "No decision was taken within %(num)d day of receiving your request:"
            " as this procedure provides, it is accepted.",
            "No decision was taken within %(num)d days of receiving your request:"
            " as this procedure provides, it is accepted.",
            days,
            lang,
        )
    return ngettext(
        "No decision was taken within %(num)d day of receiving your request:"
        " as this procedure provides, it is refused.",
        "No decision was taken within %(num)d days of receiving your request:"
        " as this procedure provides, it is refused.",
        days,
        lang,
    )


def apply_deadline_rules(
    store: Store,
    registry: FormRegistry,
    keyring: Keyring,
    notices: Notices,
    today: date,
) -> RuleReport:
    """Decide, by their form's rule, the requests still awaiting a decision whose
    due date is before ``today``."""
    report = RuleReport()
    for form in store.forms_with_rule():
        to_status = RULE_STATUS[form["deadline_rule"]]
        for submission_id in store.past_due(
            form["organisation_id"], form["form_id"], today.isoformat(), RULE_BATCH
        ):
            submission = store.submission(submission_id)
            if submission is None:
                continue
            message = rule_message(
                form["deadline_rule"], form["decision_days"], submission["lang"]
            )
            try:
                if submission["status"] == lifecycle.SUBMITTED:
                    submission = change_status(
                        store, registry, keyring, submission, lifecycle.IN_REVIEW,
                        actor=RULE_ACTOR, notices=notices, tell_applicant=False,
                    )  # fmt: skip
                change_status(
                    store, registry, keyring, submission, to_status,
                    actor=RULE_ACTOR, public_message=message, notices=notices,
                )  # fmt: skip
            except (StaleStatus, ForbiddenTransition):
                # Someone decided it meanwhile: their decision stands.
                report.left.append(submission["reference"])
                continue
            store.record_audit(
                form["organisation_id"],
                "request.status",
                actor=RULE_ACTOR,
                subject=submission["reference"],
                detail={"to": to_status, "rule": form["deadline_rule"]},
            )
            report.decided += 1
    return report


# -- the daily digest ------------------------------------------------------------------


def send_digests(
    store: Store,
    composer: Composer,
    now: datetime,
    *,
    list_url: Callable[[dict[str, str]], str | None],
    account_url: str | None,
    hour: int,
) -> int:
    """Queue the daily digest of each staff member who asked for one and has not
    had today's, once it is ``hour`` o'clock in the kit's time zone; return how
    many were queued.

    It counts the requests received since the previous digest (or in the last
    day), those due within :data:`SOON_DAYS` days and those overdue.
    ``list_url(query)`` links to the list with those filters.
    """
    local = now.astimezone(ZoneInfo(composer.timezone))
    if local.hour < hour:
        return 0
    today = local.date()
    soon = today + timedelta(days=SOON_DAYS)
    organisations: dict[int, dict[str, Any] | None] = {}
    queued = 0
    for person in store.staff_due_a_digest(today.isoformat()):
        organisation_id = person["organisation_id"]
        if organisation_id not in organisations:
            organisations[organisation_id] = store.organisation_by_id(organisation_id)
        organisation = organisations[organisation_id]
        if organisation is None:
            continue
        since = now - timedelta(days=1)
        if person["digest_sent_on"]:
            since = datetime.combine(
                date.fromisoformat(person["digest_sent_on"]),
                time(hour),
                tzinfo=ZoneInfo(composer.timezone),
            )
        counts = store.digest_counts(
            organisation_id,
            since=stamp(since),
            today=today.isoformat(),
            soon=soon.isoformat(),
        )
        message = messages.digest_message(
            composer,
            organisation,
            email=person["email"],
            day=today,
            counts=counts,
            links={
                "new": list_url({}),
                "due_soon": list_url({"due": "soon"}),
                "overdue": list_url({"due": "overdue"}),
            },
            soon_days=SOON_DAYS,
            account_url=account_url,
        )
        if store.send_digest(person["id"], today.isoformat(), [message]):
            queued += 1
    return queued


def rule_name(rule: str | None, lang: str | None = None) -> str:
    """A deadline rule in words."""
    if rule == "accept":
        return gettext("Accept (silence means consent)", lang)
    if rule == "reject":
        return gettext("Refuse (silence means refusal)", lang)
    return gettext("None: staff decide", lang)
