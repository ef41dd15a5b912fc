"""The list of an organisation's requests, newest first (a first, simple version)."""

from __future__ import annotations

from flask import g, render_template

from . import lifecycle
from .extension import state
from .staff import blueprint, form_title, when
from .staff_auth import staff_required


@blueprint.get("/")
@staff_required
def request_list() -> str:
    """The newest 50 requests of the signed-in person's organisation."""
    store = state().store
    organisation_id = g.ecitiz_staff["organisation_id"]
    forms = {row["form_id"]: row for row in store.enabled_forms(organisation_id)}
    rows = [
        {
            **row,
            "received": when(row["created_at"]),
            "status_name": lifecycle.status_name(row["status"], g.ecitiz_lang),
            "form_title": form_title(forms.get(row["form_id"]), row["form_id"]),
        }
        for row in store.latest_submissions(organisation_id, 50)
    ]
    return render_template("ecitiz/staff/list.html", rows=rows)
