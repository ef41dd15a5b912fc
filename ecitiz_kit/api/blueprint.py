"""The API blueprint: bearer tokens, rate limits, headers and JSON errors that
every call shares. The endpoints themselves are in :mod:`.views`.

Nothing here reads or sets a cookie, so no CSRF token is needed: a browser
cannot send a bearer token on its own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    Unauthorized,
)

from ..domain import api
from ..domain.request_list import FilterError
from ..errors import EcitizError
from ..i18n import gettext
from ..state import state
from ..web.headers import protect
from ..web.pages import error_pages, forget_page_language, set_page_language
from ..web.ratelimits import hit, key, too_many_json

blueprint = Blueprint("ecitiz_api", __name__)

F = TypeVar("F", bound=Callable[..., Any])

#: Endpoints anyone may read, without a token.
OPEN_ENDPOINTS = frozenset({"ecitiz_api.openapi"})
#: Every method, so that any call under the API's address gets a JSON answer.
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
#: What every endpoint answers to.
ALLOWED = ["GET", "HEAD", "OPTIONS"]
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


def endpoint(rule: str, parameters: Collection[str] = ()) -> Callable[[F], F]:
    """Register a view answering GET (and HEAD) at ``rule``, taking the query
    ``parameters`` named and refusing any other (400): a misspelt filter must
    not quietly give every request.

    Other methods, OPTIONS included, reach :func:`other_calls`: Flask's own
    OPTIONS answer would list the methods of that catch-all too.
    """

    def register(view: F) -> F:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            unknown = [name for name in request.args if name not in parameters]
            if unknown:
                message = gettext("The API takes no such query parameter.")
                raise FilterError(dict.fromkeys(unknown, message))
            return view(*args, **kwargs)

        blueprint.get(rule, provide_automatic_options=False)(checked)
        return view

    return register


@blueprint.route("/", methods=ANY_METHOD)
@blueprint.route("/<path:unknown>", methods=ANY_METHOD)
def other_calls(unknown: str = "") -> Response:
    """An address under the API that leads nowhere (404), or an endpoint called
    with another method than GET: OPTIONS says which ones it takes, any other
    method gets 405."""
    adapter = current_app.create_url_adapter(request)
    try:
        found, _values = adapter.match(request.path, method="GET")  # type: ignore[union-attr]
    except HTTPException:
        found = None
    if found in (None, request.endpoint):
        raise NotFound(gettext("There is nothing at this address of the API."))
    if request.method == "OPTIONS":
        response = current_app.response_class(status=204)
        response.headers["Allow"] = ", ".join(ALLOWED)
        return response
    raise MethodNotAllowed(valid_methods=ALLOWED)


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
