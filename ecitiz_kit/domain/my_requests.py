"""An applicant's requests to one organisation, without an account: asked for
with an e-mail address, shown through a short-lived link e-mailed to it.

Asking never tells whether the address sent any request: the work done (one
lookup, one message composed, one write transaction) is the same either way, and
the e-mail goes only to an address that did. The link names a stored row bound
to the organisation and the address (see :mod:`ecitiz_kit.store.applicants`),
so it lists that organisation's requests with that address and nothing else.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from ..errors import UnknownObject
from ..forms.registry import FormRegistry, form_title
from ..store import Store, utcnow
from .notices import Notices


def send_my_requests_link(
    store: Store,
    organisation: dict[str, Any],
    email: str,
    *,
    lang: str,
    max_age: int,
    valid_for: str,
    notices: Notices,
) -> bool:
    """E-mail a link to the list of the requests ``email`` sent to
    ``organisation``, if it sent any; the link works for ``max_age`` seconds
    (``valid_for`` in words).

    Returns whether the address sent any (for tests and logs; never shown to
    the asker).
    """
    found = store.latest_applicant(organisation["id"], email)
    link_key = secrets.token_urlsafe(16)
    # Composed either way: a match must not take visibly longer than a miss.
    message = notices.my_requests(
        organisation,
        name=(found and found["applicant_name"]) or "",
        # The address as the applicant last wrote it in a request.
        email=(found and found["applicant_email"]) or email,
        lang=lang,
        link_key=link_key,
        valid_for=valid_for,
    )
    store.record_applicant_link(
        organisation["id"],
        email,
        link_key,
        [message] if found else [],
        expired_before=utcnow() - timedelta(seconds=max_age),
    )
    return found is not None


def my_requests(
    store: Store,
    registry: FormRegistry,
    organisation_id: int,
    link_key: str,
    *,
    max_age: int,
    lang: str,
) -> list[dict[str, Any]]:
    """The requests the link ``link_key`` of the organisation lists, newest
    first, each with its form's ``title`` in ``lang``; :class:`UnknownObject`
    for a link that is unknown, another organisation's or older than
    ``max_age`` seconds.

    A request whose form is gone has no tracking page left: it is not listed.
    """
    link = store.applicant_link(
        organisation_id, link_key, created_after=utcnow() - timedelta(seconds=max_age)
    )
    if link is None:
        raise UnknownObject()
    titles: dict[str, str | None] = {}
    listed = []
    for row in store.applicant_requests(organisation_id, link["applicant_key"]):
        form_id = row["form_id"]
        if form_id not in titles:
            form = store.enabled_form(organisation_id, form_id)
            titles[form_id] = (
                form_title(form, registry.get(form)[0], lang) if form else None
            )
        if titles[form_id] is not None:
            listed.append({**row, "title": titles[form_id]})
    return listed
