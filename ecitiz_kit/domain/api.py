"""The read-only API: its tokens, and requests and events as JSON records.

Functions here take the store and plain values; the links a record carries come
from a ``link(name, **values)`` function the caller passes in (the web layer
builds every absolute URL).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import EcitizError
from ..i18n import gettext
from ..store import Store
from ..tokens import API_TOKEN_SHAPE, api_token_hash, new_api_token
from .grants import euros
from .lookup import Tracked
from .request_list import FilterError

#: A token's name is a label for people: the integration that holds it.
TOKEN_NAME_MAX_LENGTH = 80
#: Events one call of the feed returns at most (and by default).
EVENTS_MAX = 500
#: Requests one page of the list holds at most.
PAGE_MAX = 200
#: The largest id SQLite stores: a larger cursor is a mistake.
MAX_ID = 2**63 - 1

#: A whole number as JSON may write it (``5``, and also ``5.0``).
_WHOLE_NUMBER = re.compile(r"([0-9]{1,19})(?:\.0+)?")

Link = Callable[..., str | None]


class BadTokenName(EcitizError, ValueError):
    """A token name is empty, too long or holds control characters."""


@dataclass(frozen=True)
class IssuedToken:
    """A token just made: its id, and the token itself, shown this once."""

    id: int
    token: str


def check_token_name(raw: str) -> str:
    """The name, trimmed; :class:`BadTokenName` if it is empty, longer than
    :data:`TOKEN_NAME_MAX_LENGTH` or not printable text."""
    name = " ".join(raw.split())
    if not name or len(name) > TOKEN_NAME_MAX_LENGTH:
        raise BadTokenName(name)
    if any(unicodedata.category(c)[0] == "C" for c in name):
        raise BadTokenName(name)
    return name


def issue_token(
    store: Store,
    organisation_id: int,
    name: str,
    *,
    actor: str,
    staff_id: int | None = None,
    address: str | None = None,
) -> IssuedToken:
    """Make a token for the organisation's API and record who made it in the
    audit log. Only the token's hash is stored; the caller shows the token once."""
    name = check_token_name(name)
    token = new_api_token()
    token_id = store.create_api_token(
        organisation_id, name, api_token_hash(token), actor
    )
    store.record_audit(
        organisation_id,
        "api-token.create",
        actor=actor,
        staff_id=staff_id,
        subject=f"api-token:{token_id}",
        detail={"name": name},
        address=address,
    )
    return IssuedToken(token_id, token)


def revoke_token(
    store: Store,
    organisation_id: int,
    token_id: int,
    *,
    actor: str,
    staff_id: int | None = None,
    address: str | None = None,
) -> bool:
    """Revoke one of the organisation's tokens, at once, and record it; False
    when it has no such token in force (nothing is recorded then)."""
    token = store.api_token(organisation_id, token_id)
    if token is None or not store.revoke_api_token(organisation_id, token_id):
        return False
    store.record_audit(
        organisation_id,
        "api-token.revoke",
        actor=actor,
        staff_id=staff_id,
        subject=f"api-token:{token_id}",
        detail={"name": token["name"]},
        address=address,
    )
    return True


def token_holder(store: Store, authorization: str | None) -> dict[str, Any] | None:
    """The token in force an ``Authorization: Bearer …`` header carries (with its
    organisation), or None for a missing, malformed, unknown or revoked one."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not API_TOKEN_SHAPE.fullmatch(token):
        return None
    return store.active_api_token(api_token_hash(token))


def actor_name(token: dict[str, Any]) -> str:
    """How the audit log names what a token did."""
    return f"api-token:{token['id']} ({token['name']})"


def parse_count(
    args: Mapping[str, str], name: str, default: int, high: int, *, low: int = 1
) -> int:
    """The whole number in query parameter ``name`` (``default`` when absent or
    empty), or :class:`FilterError` unless it is from ``low`` to ``high``."""
    raw = args.get(name, "")
    if raw == "":
        return default
    found = _WHOLE_NUMBER.fullmatch(raw)
    if found and low <= int(found[1]) <= high:
        return int(found[1])
    raise FilterError(
        {
            name: gettext(
                "Give a whole number from %(low)s to %(high)s.", low=low, high=high
            )
        }
    )


# -- records ---------------------------------------------------------------------


def request_record(row: dict[str, Any], link: Link) -> dict[str, Any]:
    """A request as the list shows it."""
    return {
        "id": row["id"],
        "reference": row["reference"],
        "form": row["form_id"],
        "status": row["status"],
        "applicant_name": row["applicant_name"],
        "applicant_email": row["applicant_email"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "url": link("request_detail", submission_id=row["id"]),
    }


def request_detail(found: Tracked, link: Link) -> dict[str, Any]:
    """One request with its answers, its files and documents (as links) and its
    history."""
    submission = found.submission
    sid = submission["id"]
    return {
        **request_record(submission, link),
        "form_title": found.form.title(submission["lang"]),
        "lang": submission["lang"],
        # Euros as a decimal string ("4500.00"); null before acceptance.
        "granted_amount": None
        if submission.get("granted_cents") is None
        else str(euros(submission["granted_cents"])),
        "answers": submission["answers"],
        "attachments": [
            {
                "id": row["id"],
                "field": row["field"],
                "filename": row["filename"],
                "content_type": row["content_type"],
                "size": row["size"],
                "sha256": row["sha256"],
                "url": link("attachment", submission_id=sid, attachment_id=row["id"]),
            }
            for row in found.attachments
            if row.get("replaced_in") is None
        ],
        "documents": _documents(found, link),
        "events": [event_record({**row, **_of(submission)}) for row in found.events],
    }


def _documents(found: Tracked, link: Link) -> list[dict[str, Any]]:
    """The receipt, and the attestation in force if there is one."""
    sid = found.submission["id"]
    documents: list[dict[str, Any]] = [
        {
            "kind": "receipt",
            "serial": None,
            "valid_from": None,
            "valid_to": None,
            "url": link("receipt", submission_id=sid),
        }
    ]
    attestation = found.attestation
    if attestation is not None:
        documents.append(
            {
                "kind": "attestation",
                "serial": attestation["serial"],
                "valid_from": attestation["valid_from"],
                "valid_to": attestation["valid_to"],
                "url": link("attestation", submission_id=sid),
            }
        )
    return documents


def _of(submission: dict[str, Any]) -> dict[str, Any]:
    return {
        "submission_id": submission["id"],
        "reference": submission["reference"],
        "form_id": submission["form_id"],
    }


def event_record(row: dict[str, Any]) -> dict[str, Any]:
    """One event of a request's life: a status change or the applicant's
    amendment (``kind``)."""
    return {
        "id": row["id"],
        "request_id": row["submission_id"],
        "reference": row["reference"],
        "form": row["form_id"],
        "kind": row.get("kind") or "status",
        "from_status": row["from_status"],
        "to_status": row["to_status"],
        "actor": row["actor"],
        "public_message": row["public_message"] or None,
        "private_note": row["private_note"] or None,
        "created_at": row["created_at"],
    }


def events_since(
    store: Store, organisation_id: int, after: int, limit: int = EVENTS_MAX
) -> dict[str, Any]:
    """The organisation's events after the cursor ``after``, oldest first, and
    the cursor to ask from next time (the last id given, or ``after`` again)."""
    rows = store.organisation_events(organisation_id, after=after, limit=limit)
    return {
        "events": [event_record(row) for row in rows],
        "next": rows[-1]["id"] if rows else after,
    }
