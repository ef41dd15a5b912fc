"""Requests written straight through the store at chosen times, for list tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from unittest import mock

from ecitiz_kit.domain.submit import new_reference
from ecitiz_kit.forms.loading import load_catalog

TZ = "Europe/Paris"
_nonces = itertools.count(1)


def at(text: str) -> datetime:
    """A UTC moment from ``2026-11-29 14:00`` style text."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def add_request(
    store,
    organisation_id: int,
    when: datetime,
    *,
    form_id: str = "aid-request",
    status: str = "submitted",
    first: str = "Camille",
    last: str = "Durand",
    email: str = "camille@example.org",
    reference: str | None = None,
    **answers,
) -> dict:
    """Store a request created at ``when`` as the submit path would."""
    definition = load_catalog(form_id)
    values = {"first_name": first, "last_name": last, "email": email, **answers}
    prefix = definition.reference_prefix
    with mock.patch("ecitiz_kit.store.submissions.utcnow", return_value=when):
        return store.create_submission(
            organisation_id=organisation_id,
            form_id=form_id,
            form_version=definition.version,
            answers=values,
            lang="fr",
            nonce=f"nonce-{next(_nonces)}",
            attachments=[],
            make_reference=lambda: reference or new_reference(prefix),
            status=status,
            applicant=definition.applicant_contact(values),
        )
