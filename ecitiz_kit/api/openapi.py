"""The OpenAPI 3.1 document of the API, written by hand as data.

Statuses and limits come from the modules that define them, so the document
cannot drift from what the endpoints accept and answer. A schemathesis run in
the tests checks the endpoints against it.
"""

from __future__ import annotations

from typing import Any

from .. import lifecycle
from .._version import __version__
from ..domain import api
from ..domain import request_list as listing

STAMP = {"type": "string", "format": "date-time"}
TEXT_OR_NULL = {"type": ["string", "null"]}
ID = {"type": "integer", "minimum": 1, "maximum": api.MAX_ID}
DAY = {"type": "string", "format": "date"}
STATUS = {"type": "string", "enum": list(lifecycle.STATUSES)}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": list(properties),
        "properties": properties,
    }


REQUEST = _object(
    {
        "id": ID,
        "reference": {"type": "string"},
        "form": {"type": "string"},
        "status": STATUS,
        "applicant_name": TEXT_OR_NULL,
        "applicant_email": TEXT_OR_NULL,
        "created_at": STAMP,
        "updated_at": STAMP,
        "url": {"type": "string", "format": "uri"},
    }
)

EVENT = _object(
    {
        "id": ID,
        "request_id": ID,
        "reference": {"type": "string"},
        "form": {"type": "string"},
        "kind": {"type": "string", "enum": ["status", "amended"]},
        "from_status": {"type": ["string", "null"], "enum": [*STATUS["enum"], None]},
        "to_status": STATUS,
        "actor": {"type": "string"},
        "public_message": TEXT_OR_NULL,
        "private_note": TEXT_OR_NULL,
        "created_at": STAMP,
    }
)

ATTACHMENT = _object(
    {
        "id": ID,
        "field": {"type": "string"},
        "filename": {"type": "string"},
        "content_type": {"type": "string"},
        "size": {"type": "integer", "minimum": 0},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "url": {"type": "string", "format": "uri"},
    }
)

DOCUMENT = _object(
    {
        "kind": {"type": "string", "enum": ["receipt", "attestation"]},
        "serial": TEXT_OR_NULL,
        "valid_from": TEXT_OR_NULL,
        "valid_to": TEXT_OR_NULL,
        "url": {"type": "string", "format": "uri"},
    }
)

DETAIL = {
    "allOf": [
        _ref("Request"),
        _object(
            {
                "form_title": {"type": "string"},
                "lang": {"type": "string"},
                "granted_amount": {
                    "type": ["string", "null"],
                    "pattern": "^[0-9]+[.][0-9]{2}$",
                    "description": "The amount granted in euros, once accepted"
                    " (forms that describe a payment); null otherwise.",
                },
                "answers": {"type": "object"},
                "attachments": {"type": "array", "items": _ref("Attachment")},
                "documents": {"type": "array", "items": _ref("Document")},
                "events": {"type": "array", "items": _ref("Event")},
            }
        ),
    ]
}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "problems": {"type": "object", "additionalProperties": {"type": "string"}},
        "retry_after": {"type": "integer", "minimum": 1},
        "incident": {"type": "string"},
    },
}

PAGE = _object(
    {
        "requests": {"type": "array", "items": _ref("Request")},
        "older": TEXT_OR_NULL,
        "newer": TEXT_OR_NULL,
    }
)

EVENTS = _object(
    {
        "events": {"type": "array", "items": _ref("Event")},
        "next": {"type": "integer", "minimum": 0, "maximum": api.MAX_ID},
    }
)


def _error(description: str, **headers: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": _ref("Error")}},
    }
    if headers:
        response["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in headers.items()
        }
    return response


ERRORS = {
    "401": _error(
        "No token, or one that is malformed, unknown or revoked.",
        **{"WWW-Authenticate": 'Bearer realm="ecitiz"'},
    ),
    "429": _error(
        "The token made too many calls (ECITIZ_API_LIMIT).",
        **{"Retry-After": "Seconds to wait."},
    ),
}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema, "description": description}


def _path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": ID}


def _json(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref(schema)}},
    }


def _download(description: str, media_type: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
    }


def _get(summary: str, parameters: list[dict[str, Any]], **responses: Any) -> Any:
    return {
        "get": {
            "summary": summary,
            "parameters": parameters,
            "responses": {**responses, **ERRORS},
        }
    }


def _or_empty(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter that may also be sent empty, meaning "not given" (as
    the dashboard's filter form sends them)."""
    return {"anyOf": [schema, {"type": "string", "enum": [""]}]}


#: The dashboard's filters. Their rules beyond these types (a form of the
#: organisation's, an end date not before the start, a search of at most
#: 100 characters once spaces are folded, a cursor as it was given) are told in
#: words: a refused filter gets 400 with the reason.
LIST_PARAMETERS = [
    _query(
        "form",
        {"type": "string"},
        "Only requests of this form (one of the organisation's form ids).",
    ),
    _query("status", _or_empty(STATUS), "Only requests in this status."),
    _query("from", _or_empty(DAY), "Received on this day or after."),
    _query("to", _or_empty(DAY), "Received on this day or before (not before `from`)."),
    _query(
        "q",
        {"type": "string"},
        "A reference, or the starts of words of the applicant's name or e-mail"
        f" address ({listing.SEARCH_MAX_LENGTH} characters at most once spaces are"
        " folded).",
    ),
    _query(
        "assignee",
        {"type": "string", "pattern": "^(none|[1-9][0-9]{0,18})?$"},
        "Only requests assigned to this member of the team (a staff id), or to"
        " nobody (`none`).",
    ),
    _query(
        "due",
        _or_empty({"type": "string", "enum": list(listing.DUE_CHOICES)}),
        "Only requests awaiting a decision (`all`), due soon (`soon`) or overdue"
        " (`overdue`), soonest due first.",
    ),
    _query(
        "shares",
        _or_empty({"type": "string", "enum": list(listing.SIGNAL_CHOICES)}),
        "Only requests sharing an IBAN given with several SIRETs, an IBAN, a SIRET"
        " or an e-mail address with another request of the organisation.",
    ),
    _query(
        "older",
        {"type": "string"},
        "The `older` cursor of a page: the page after it (older requests).",
    ),
    _query(
        "newer",
        {"type": "string"},
        "The `newer` cursor of a page: the page before it (newer requests).",
    ),
    _query(
        "limit",
        _or_empty({"type": "integer", "minimum": 1, "maximum": api.PAGE_MAX}),
        f"Requests per page (default {listing.PAGE_SIZE}).",
    ),
]


def document(base_url: str) -> dict[str, Any]:
    """The OpenAPI document, its server at ``base_url`` (the API's address)."""
    request_id = _path_id("submission_id")
    not_found = _error("No such request in the token's organisation.")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ecitiz-kit read-only API",
            "version": __version__,
            "description": (
                "An organisation's requests, their files and documents, and the "
                "events of their life, read with a token an administrator made "
                "in the dashboard or with `ecitiz api-token`."
            ),
        },
        "servers": [{"url": base_url}],
        "security": [{"bearer": []}],
        "paths": {
            "/requests": _get(
                "The organisation's requests, newest first, by keyset pages.",
                LIST_PARAMETERS,
                **{
                    "200": _json("A page of requests.", "Page"),
                    "400": _error("A filter or cursor is wrong; `problems` says why."),
                },
            ),
            "/requests/{submission_id}": _get(
                "One request with its answers, files, documents and history.",
                [request_id],
                **{"200": _json("The request.", "Detail"), "404": not_found},
            ),
            "/requests/{submission_id}/files/{attachment_id}": _get(
                "A file attached to the request, as sent.",
                [request_id, _path_id("attachment_id")],
                **{
                    "200": _download("The file, of its own type.", "*/*"),
                    "404": not_found,
                },
            ),
            "/requests/{submission_id}/receipt.pdf": _get(
                "The acknowledgement of receipt.",
                [request_id],
                **{"200": _download("The PDF.", "application/pdf"), "404": not_found},
            ),
            "/requests/{submission_id}/attestation.pdf": _get(
                "The attestation in force.",
                [request_id],
                **{
                    "200": _download("The PDF.", "application/pdf"),
                    "404": _error("No such request, or no attestation in force."),
                },
            ),
            "/events": _get(
                "The organisation's events after a cursor, oldest first.",
                [
                    _query(
                        "after",
                        _or_empty(
                            {"type": "integer", "minimum": 0, "maximum": api.MAX_ID}
                        ),
                        "The `next` of the previous call (0 or none: from the start).",
                    ),
                    _query(
                        "limit",
                        _or_empty(
                            {"type": "integer", "minimum": 1, "maximum": api.EVENTS_MAX}
                        ),
                        f"Events at most (default {api.EVENTS_MAX}).",
                    ),
                ],
                **{
                    "200": _json("The events, and the cursor to ask from.", "Events"),
                    "400": _error("The cursor or limit is wrong."),
                },
            ),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Request": REQUEST,
                "Detail": DETAIL,
                "Attachment": ATTACHMENT,
                "Document": DOCUMENT,
                "Event": EVENT,
                "Page": PAGE,
                "Events": EVENTS,
                "Error": ERROR,
            },
        },
    }
