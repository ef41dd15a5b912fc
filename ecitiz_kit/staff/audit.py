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
    audit_as(g.ecitiz_staff, action, subject, **detail)


def audit_as(
    staff: dict[str, Any], action: str, subject: str | None = None, **detail: Any
) -> None:
    """:func:`audit` for ``staff``, who may not be signed in (yet): a sign-in,
    a failed one, a colleague joining the team."""
    state().store.record_audit(
        staff["organisation_id"],
        action,
        actor=staff["email"],
        staff_id=staff["id"],
        subject=subject,
        detail=detail or None,
        address=client_address(),
    )
