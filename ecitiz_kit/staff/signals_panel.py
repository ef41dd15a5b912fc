"""What a request's page shows of its due date and of the other requests sharing
its SIRET, IBAN or e-mail address (the duplicate and fraud signals)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import g

from .. import lifecycle
from ..domain.deadlines import rule_name
from ..domain.lookup import Tracked
from ..i18n import format_date
from ..state import state
from ..web.pages import today, when


def deadline_and_signals(found: Tracked) -> dict[str, Any]:
    """The template values: ``due`` (``None`` once decided), ``overdue``,
    ``deadline_rule`` (in words, ``None`` without one) and ``signals``."""
    submission = found.submission
    lang = g.ecitiz_lang
    due = None
    overdue = False
    if submission.get("due_on") and submission["status"] in lifecycle.AWAITING:
        day = date.fromisoformat(submission["due_on"])
        due, overdue = format_date(day, lang), day < today()
    rule = found.form.row.get("deadline_rule")
    shared = state().store.shared_with(submission["organisation_id"], submission["id"])
    for signal in ("iban", "siret", "email"):
        for row in shared[signal]["rows"]:
            row["received"] = when(row["created_at"])
            row["status_name"] = lifecycle.status_name(row["status"], lang)
    return {
        "due": due,
        "overdue": overdue,
        "deadline_rule": rule_name(rule, lang) if rule else None,
        "signals": shared,
    }
