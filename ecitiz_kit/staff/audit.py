"""Recording what staff do, for the organisation's audit log."""

from __future__ import annotations

from typing import Any

from flask import g

from ..state import state
from ..web.ratelimits import client_address


def audit(action: str, subject: str | None = None, **detail: Any) -> None:
    """Add to the audit log that the signed-in staff member did ``action`` (a
    dotted name such as ``request.status``) to ``subject``, from this request's
    client address."""
    staff = g.ecitiz_staff
    state().store.record_audit(
        staff["organisation_id"],
        action,
        actor=staff["email"],
        staff_id=staff["id"],
        subject=subject,
        detail=detail or None,
        address=client_address(),
    )
