"""An organisation's team: inviting a colleague, who joins by choosing a password.

An invitation is a stored row named by a random key; the e-mailed link carries
the organisation and that key, signed (see :mod:`ecitiz_kit.tokens`). It works
once, for :data:`INVITATION_LIFETIME` seconds, and a newer invitation to the same
address replaces it. The roles themselves are changed through the store, which
never lets an organisation lose its last active admin.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from ..errors import EcitizError
from ..forms.validators import is_email_address
from ..store import AlreadyStaff, Store, utcnow
from .notices import Notices

ADMIN, AGENT = "admin", "agent"
#: The roles a staff member may have: admins manage the team, the forms, the
#: allowed origins and the settings, and do everything agents do.
ROLES = (ADMIN, AGENT)
#: How long an invitation link works, in seconds.
INVITATION_LIFETIME = 7 * 24 * 3600


class BadInvitation(EcitizError, ValueError):
    """An invitation that cannot be sent: ``reason`` is ``email`` (not an
    address), ``role`` (no such role) or ``taken`` (the address has an account)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def oldest_valid() -> datetime:
    """Invitations made before this moment have expired."""
    return utcnow() - timedelta(seconds=INVITATION_LIFETIME)


def invite(
    store: Store,
    organisation: dict[str, Any],
    email: str,
    role: str,
    *,
    invited_by: str,
    lang: str,
    valid_for: str,
    notices: Notices,
) -> tuple[str | None, dict[str, Any]]:
    """Invite ``email`` to ``organisation``'s team as ``role``, e-mailing the
    link (in ``lang``) through the outbox; returns that link and the queued
    message. Raises :class:`BadInvitation`, writing nothing."""
    email = email.strip()
    if role not in ROLES:
        raise BadInvitation("role")
    if not is_email_address(email):
        raise BadInvitation("email")
    key = secrets.token_urlsafe(24)
    # Signed once: whoever shows the link shows the very one the e-mail carries.
    url = notices.links.invitation(organisation, key, lang)
    message = notices.invitation(
        organisation, email=email, role=role, lang=lang, url=url, valid_for=valid_for
    )
    try:
        store.create_invitation(
            organisation["id"], email, role, key, invited_by=invited_by,
            messages=[message],
        )  # fmt: skip
    except AlreadyStaff:
        raise BadInvitation("taken") from None
    return url, message
