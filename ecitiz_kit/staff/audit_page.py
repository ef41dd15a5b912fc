"""The organisation's audit log, under its settings (admins only): newest first,
a page at a time, filtered by action and by person, and exported as CSV.

Nothing here writes to the log but the export's own entry: the log is only ever
added to, by the pages where things happen (see :mod:`.audit`).
"""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Response,
    current_app,
    g,
    render_template,
    request,
    stream_with_context,
)
from werkzeug.exceptions import BadRequest

from ..domain.audit_export import audit_csv_chunks
from ..i18n import gettext
from ..state import state
from ..store.audit import PAGE_SIZE
from ..web.pages import today, when
from .audit import audit
from .auth import admin_required, refusal
from .blueprint import blueprint

#: What an action name looks like: dotted lower-case words.
ACTION_NAME = re.compile(r"[a-z_]{1,30}(\.[a-z_]{1,30}){1,3}")
MAX_PERSON = 254


def action_names() -> dict[str, str]:
    """The actions the log records, in the staff member's language (entries of
    an action missing here show its dotted name)."""
    return {
        "auth.sign_in": gettext("Signed in"),
        "auth.sign_in_failed": gettext("Failed to sign in"),
        "iban.view": gettext("Saw a full bank account number"),
        "file.download": gettext("Downloaded a file"),
        "pdf.download": gettext("Downloaded a PDF"),
        "export.csv": gettext("Exported requests (CSV)"),
        "audit.export": gettext("Exported the audit log"),
        "request.status": gettext("Changed a request's status"),
        "request.assign": gettext("Assigned a request"),
        "request.comment": gettext("Commented on a request"),
        "bulk.run": gettext("Ran a bulk action"),
        "team.invite": gettext("Invited a colleague"),
        "team.join": gettext("Joined the team"),
        "team.role": gettext("Changed a role"),
        "team.deactivate": gettext("Stopped an account"),
        "team.reactivate": gettext("Restored an account"),
        "webhook.create": gettext("Registered a webhook endpoint"),
        "webhook.delete": gettext("Deleted a webhook endpoint"),
        "webhook.enable": gettext("Enabled a webhook endpoint again"),
        "payment.prepare": gettext("Prepared a payment file"),
        "payment.download": gettext("Downloaded a payment file"),
        "payment.paid": gettext("Marked a payment file paid"),
        "payment.cancel": gettext("Cancelled a payment file"),
        "payment.account": gettext("Changed the account paid from"),
    }


def _filters() -> tuple[str | None, str | None]:
    """The action and person asked for; a value no link makes is refused."""
    action = request.args.get("action", "").strip() or None
    person = request.args.get("person", "").strip() or None
    if action is not None and not ACTION_NAME.fullmatch(action):
        raise refusal(
            BadRequest, gettext("There is no such action: choose one in the list.")
        )
    if person is not None and (len(person) > MAX_PERSON or not person.isprintable()):
        raise refusal(
            BadRequest, gettext("There is no such person: choose one in the list.")
        )
    return action, person


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


@blueprint.get("/settings/audit")
@admin_required
def audit_log() -> str:
    action, person = _filters()
    before = request.args.get("before", "")
    if before and not (before.isdigit() and len(before) < 19):
        raise refusal(
            BadRequest,
            gettext("This page of the log does not exist: start from the newest."),
        )
    store = state().store
    organisation_id = g.ecitiz_staff["organisation_id"]
    rows = store.audit_entries(
        organisation_id,
        action=action,
        actor=person,
        before_id=int(before) if before else None,
        limit=PAGE_SIZE + 1,
    )
    older = rows[PAGE_SIZE - 1]["id"] if len(rows) > PAGE_SIZE else None
    names = action_names()
    entries = [
        {
            **row,
            "when": when(row["created_at"]),
            "action_name": names.get(row["action"], row["action"]),
            "details": "; ".join(
                f"{key}: {_plain(row['detail'][key])}" for key in sorted(row["detail"])
            ),
        }
        for row in rows[:PAGE_SIZE]
    ]
    people = [member["email"] for member in store.team(organisation_id)]
    if person and person not in people:
        people.append(person)
    return render_template(
        "ecitiz/staff/audit.html",
        entries=entries,
        actions=names,
        action=action,
        people=people,
        person=person,
        older=older,
        first_page=not before,
        page_size=PAGE_SIZE,
        nav="settings",
    )


@blueprint.get("/settings/audit.csv")
@admin_required
def audit_csv() -> Response:
    """The log as filtered, as a CSV file, streamed as it is read."""
    action, person = _filters()
    store = state().store
    organisation_id = g.ecitiz_staff["organisation_id"]
    slug = re.sub(r"[^A-Za-z0-9_-]", "-", g.ecitiz_staff["slug"])
    filters = {"of_action": action, "of_person": person}
    audit("audit.export", **{key: value for key, value in filters.items() if value})
    entries = store.iter_audit_entries(organisation_id, action=action, actor=person)
    response = Response(
        stream_with_context(
            audit_csv_chunks(
                entries, g.ecitiz_lang, current_app.config["ECITIZ_TIMEZONE"]
            )
        ),
        mimetype="text/csv",
    )
    filename = f"{slug}-audit-{today().isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
