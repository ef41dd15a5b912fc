"""Decision periods and deadline rules of the organisation's forms (admins only).

Every form's period and rule are saved together or not at all; a value that is
not a whole number of days in range, or a rule not offered, is refused with the
reason and nothing changes.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, redirect, render_template, request, url_for

from ..domain.deadlines import RULE_STATUS, rule_name, set_periods
from ..forms.checks import MAX_DECISION_DAYS
from ..i18n import gettext
from ..state import periods, state
from .audit import audit
from .auth import StaffForm, admin_required
from .blueprint import blueprint


class DeadlinesForm(StaffForm):
    """The CSRF token; the per-form values are read by name."""


def _forms() -> list[dict[str, Any]]:
    """The organisation's enabled forms with their title, period and rule."""
    kit = state()
    counted = periods(current_app.config)
    rows = []
    for row in kit.store.enabled_forms(g.ecitiz_staff["organisation_id"]):
        definition, _compiled = kit.forms.get(row)
        rows.append(
            {
                "form_id": row["form_id"],
                "title": kit.forms.title(row, row["form_id"], g.ecitiz_lang),
                "days": str(counted.days(row, definition)),
                "rule": row["deadline_rule"] or "",
            }
        )
    return rows


def _rules() -> list[tuple[str, str]]:
    return [("", rule_name(None))] + [(rule, rule_name(rule)) for rule in RULE_STATUS]


@blueprint.get("/settings/deadlines")
@admin_required
def deadlines() -> str:
    return _page(_forms(), {})


@blueprint.post("/settings/deadlines")
@admin_required
def save_deadlines() -> Any:
    form = DeadlinesForm()
    form.validate_on_submit()  # the CSRF token was checked before the view
    rows = _forms()
    problems: dict[str, str] = {}
    wanted: dict[str, tuple[int, str | None]] = {}
    for row in rows:
        form_id = row["form_id"]
        row["days"] = request.form.get(f"days-{form_id}", "").strip()
        row["rule"] = request.form.get(f"rule-{form_id}", "").strip()
        if not (row["days"].isascii() and row["days"].isdigit()) or not (
            1 <= int(row["days"]) <= MAX_DECISION_DAYS
        ):
            problems[f"days-{form_id}"] = gettext(
                "Give a whole number of days from 1 to %(max)s, e.g. 60.",
                max=MAX_DECISION_DAYS,
            )
        if row["rule"] not in ("", *RULE_STATUS):
            problems[f"rule-{form_id}"] = gettext("Choose a rule from the list.")
        if not problems:
            wanted[form_id] = (int(row["days"]), row["rule"] or None)
    if problems:
        return _page(rows, problems), 422
    kit = state()
    organisation_id = g.ecitiz_staff["organisation_id"]
    if not set_periods(
        kit.store, kit.forms, periods(current_app.config), organisation_id, wanted
    ):
        # A form was disabled while the page was open: show it as it is now.
        return _page(_forms(), {}, changed=True), 409
    audit(
        "form.deadlines",
        periods={f: {"days": d, "rule": r} for f, (d, r) in wanted.items()},
    )
    return redirect(url_for("ecitiz_staff.deadlines", saved=1), 303)


def _page(
    rows: list[dict[str, Any]], problems: dict[str, str], changed: bool = False
) -> str:
    return render_template(
        "ecitiz/staff/deadlines.html",
        rows=rows,
        rules=_rules(),
        problems=problems,
        changed=changed,
        max_days=MAX_DECISION_DAYS,
        saved=bool(request.args.get("saved")),
        nav="settings",
    )
