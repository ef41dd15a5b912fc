"""Sending a lost tracking link again, to the address its request gave.

The answer never tells whether the reference and the address matched: the work
done (one lookup, one message composed, one write transaction) is the same either
way, so the page asking cannot be used to learn who asked for what.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from ..forms.registry import FormRegistry, form_title
from ..store import Store
from .notices import Notices


def resend_link(
    store: Store,
    registry: FormRegistry,
    organisation: dict[str, Any],
    reference: str,
    email: str,
    *,
    notices: Notices,
) -> bool:
    """Queue the tracking link of ``reference`` to ``email`` if the request of
    ``organisation`` with that reference was sent with that address.

    Returns whether it matched (for tests and logs; never shown to the asker).
    """
    found = store.lost_link_lookup(organisation["id"], reference)
    row = found and store.enabled_form(organisation["id"], found["form_id"])
    submission = {
        "id": 0,
        "public_id": "-" * 22,  # as long as a real one: the same work either way
        "organisation_id": organisation["id"],
        "reference": reference,
        "link_version": 0,
        "lang": "fr",
    }
    name, given = "", ""
    title = ""
    if found and row:
        submission = {**found, "organisation_id": organisation["id"]}
        submission["reference"] = reference
        definition, _compiled = registry.get(row)
        name, given = definition.applicant_contact(json.loads(found["answers"]))
        title = form_title(row, definition, found["lang"])
    # Compare in constant time and compose the message either way: a match
    # must not take visibly longer than a miss.
    matched = bool(given) & hmac.compare_digest(
        given.casefold().encode(), email.casefold().encode()
    )
    message = notices.lost_link(
        organisation,
        title,
        submission,
        name=name,
        email=given or email,  # the address as the applicant wrote it
    )
    store.record_lost_link_request(organisation["id"], [message] if matched else [])
    return matched
