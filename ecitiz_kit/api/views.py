"""The API's endpoints: the request list, one request, its files and documents,
the event feed, and the OpenAPI document describing them.

Thin views: filters and pages come from :mod:`..domain.request_list` (the very
parsing the dashboard's list uses), records from :mod:`..domain.api`. Every
lookup is scoped to the token's organisation: another organisation's ids
answer 404, exactly like ids that do not exist.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, jsonify, request

from ..domain import api
from ..domain import request_list as listing
from ..domain.lookup import Tracked, tracked_for_staff
from ..errors import UnknownObject
from ..i18n import gettext
from ..state import state
from ..web import downloads
from ..web.ratelimits import client_address
from ..web.urls import absolute
from .blueprint import endpoint
from .openapi import document

#: Ids in addresses. A larger number than SQLite stores is checked in the view
#: (not by the converter's ``max``, which would leave the address to no route of
#: the API, hence without a JSON answer).
ROW_ID = "int"


def _organisation_id() -> int:
    return int(g.ecitiz_api_token["organisation_id"])


def link(name: str, **values: Any) -> str | None:
    """The absolute address of one of the API's endpoints."""
    return absolute(f"ecitiz_api.{name}", **values)


def _row_ids(*ids: int) -> None:
    """Ids larger than any row's are simply not found."""
    if any(value > api.MAX_ID for value in ids):
        raise UnknownObject()


def _found(submission_id: int, what: str) -> Tracked:
    """The token's organisation's request, its reading recorded in the audit log
    (``what`` was read: its answers, a file, a document)."""
    _row_ids(submission_id)
    kit = state()
    found = tracked_for_staff(kit.store, kit.forms, _organisation_id(), submission_id)
    token = g.ecitiz_api_token
    kit.store.record_audit(
        token["organisation_id"],
        "api.read",
        actor=api.actor_name(token),
        subject=found.submission["reference"],
        detail={"what": what},
        address=client_address(),
    )
    return found


@endpoint("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 document of this API (no token needed)."""
    requests_url = absolute("ecitiz_api.request_list") or ""
    return jsonify(document(requests_url.removesuffix("/requests")))


@endpoint("/requests", (*listing.FILTER_KEYS, "older", "newer", "limit"))
def request_list() -> Response:
    """The organisation's requests, newest first, with the dashboard's filters
    and keyset pages."""
    store = state().store
    organisation_id = _organisation_id()
    forms = [row["form_id"] for row in store.enabled_forms(organisation_id)]
    team = [member["id"] for member in store.team(organisation_id)]
    filters = listing.parse_filters(request.args, forms, team)
    if filters.assignee == listing.MINE:
        # A token stands for no member of the team.
        raise listing.FilterError(
            {"assignee": gettext("Give a staff id, or none for nobody.")}
        )
    size = api.parse_count(request.args, "limit", listing.PAGE_SIZE, api.PAGE_MAX)
    page = listing.request_page(
        store,
        organisation_id,
        filters,
        current_app.config["ECITIZ_TIMEZONE"],
        older=request.args.get("older"),
        newer=request.args.get("newer"),
        size=size,
    )
    return jsonify(
        requests=[api.request_record(row, link) for row in page.rows],
        older=page.older,
        newer=page.newer,
    )


@endpoint(f"/requests/<{ROW_ID}:submission_id>")
def request_detail(submission_id: int) -> Response:
    """One request with its answers, files, documents and history."""
    return jsonify(api.request_detail(_found(submission_id, "answers"), link))


@endpoint(f"/requests/<{ROW_ID}:submission_id>/files/<{ROW_ID}:attachment_id>")
def attachment(submission_id: int, attachment_id: int) -> Response:
    """A file the applicant attached, as sent (never to be rendered)."""
    _row_ids(submission_id, attachment_id)
    kit = state()
    row = kit.store.organisation_attachment(
        _organisation_id(), submission_id, attachment_id
    )
    if row is None:
        raise UnknownObject()
    _found(submission_id, f"file {row['id']}")
    return downloads.attachment(kit.uploads.content(row["stored_name"]), row)


@endpoint(f"/requests/<{ROW_ID}:submission_id>/receipt.pdf")
def receipt(submission_id: int) -> Response:
    """The acknowledgement of receipt (the staff's copy, without tracking link)."""
    return downloads.receipt(_found(submission_id, "receipt"), for_applicant=False)


@endpoint(f"/requests/<{ROW_ID}:submission_id>/attestation.pdf")
def attestation(submission_id: int) -> Response:
    """The attestation in force (404 while there is none)."""
    return downloads.attestation(_found(submission_id, "attestation"))


@endpoint("/events", ("after", "limit"))
def events() -> Response:
    """The organisation's events after the cursor ``after``, oldest first."""
    after = api.parse_count(request.args, "after", 0, api.MAX_ID, low=0)
    limit = api.parse_count(request.args, "limit", api.EVENTS_MAX, api.EVENTS_MAX)
    return jsonify(api.events_since(state().store, _organisation_id(), after, limit))
