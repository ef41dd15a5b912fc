"""The API blueprint: bearer tokens, rate limits, headers and JSON errors that
every call shares. The endpoints themselves are in :mod:`.views`.

Nothing here reads or sets a cookie, so no CSRF token is needed: a browser
cannot send a bearer token on its own.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    Unauthorized,
)

from ..domain import api
from ..errors import EcitizError
from ..i18n import gettext
from ..state import state
from ..web.headers import protect
from ..web.pages import error_pages, forget_page_language, set_page_language
from ..web.ratelimits import hit, key, too_many_json

blueprint = Blueprint("ecitiz_api", __name__)

#: Endpoints anyone may read, without a token.
OPEN_ENDPOINTS = frozenset({"ecitiz_api.openapi"})
#: Every method, so that any call under the API's address gets a JSON answer.
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
REALM = 'Bearer realm="ecitiz"'


class BadToken(EcitizError, Unauthorized):
    """No token, or one that opens nothing: malformed, unknown or revoked."""

    def __init__(self, presented: bool) -> None:
        super().__init__(
            gettext("Send a valid API token: Authorization: Bearer <token>.")
            if not presented
            else gettext("This API token is not valid, or it was revoked.")
        )
        #: RFC 6750: the error code only when a token was sent.
        self.challenge = REALM + (', error="invalid_token"' if presented else "")


blueprint.before_request(set_page_language)
blueprint.teardown_request(forget_page_language)


@blueprint.before_request
def authenticate() -> Response | None:
    """Let a call through with a token in force, within its rate limit."""
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    header = request.headers.get("Authorization")
    store = state().store
    token = api.token_holder(store, header)
    if token is None:
        raise BadToken(presented=bool(header))
    verdict = hit(key("api-token", str(token["id"]), "ECITIZ_API_LIMIT"))
    if not verdict:
        return too_many_json(verdict)
    store.api_token_used(token)
    g.ecitiz_api_token = token
    return None


@blueprint.after_request
def api_headers(response: Response) -> Response:
    protect(response)
    response.vary.add("Authorization")
    return response


@blueprint.route("/", methods=ANY_METHOD)
@blueprint.route("/<path:unknown>", methods=ANY_METHOD)
def unknown_address(unknown: str = "") -> NoReturn:
    """An address under the API that leads nowhere (404), or an endpoint called
    with another method than GET (405)."""
    adapter = current_app.create_url_adapter(request)
    try:
        endpoint, _values = adapter.match(request.path, method="GET")  # type: ignore[union-attr]
    except HTTPException:
        endpoint = None
    if endpoint not in (None, request.endpoint):
        raise MethodNotAllowed(valid_methods=["GET", "HEAD"])
    raise NotFound(gettext("There is nothing at this address of the API."))


def http_error(error: HTTPException) -> tuple[Response, int]:
    """Every error as a JSON object: what went wrong, in words, and for refused
    query parameters which ones and why."""
    code = error.code or 500
    body: dict[str, Any] = {
        "error": getattr(error, "ecitiz_message", None) or error.description
    }
    problems = getattr(error, "problems", None)
    if problems:
        body["problems"] = problems
    response = jsonify(body)
    for name, value in error.get_headers():
        if name.lower() in ("allow", "retry-after"):
            response.headers[name] = value
    if isinstance(error, BadToken):
        response.headers["WWW-Authenticate"] = error.challenge
    return response, code


_, server_error = error_pages("", wants_json=lambda: True)
blueprint.register_error_handler(HTTPException, http_error)
blueprint.register_error_handler(InternalServerError, server_error)
