"""The staff blueprint: the headers, language, session and error pages every
staff page shares. The pages themselves register their views on it."""

from __future__ import annotations

from typing import Any, NoReturn
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, g, has_request_context, request
from werkzeug.exceptions import HTTPException, InternalServerError

from ..i18n import LANGUAGES
from ..web.headers import protect
from ..web.pages import (
    error_pages,
    forget_page_language,
    set_page_language,
    template_helpers,
)
from .auth import check_csrf, csrf_token, load_session, save_cookie

#: Ids in addresses: larger numbers than SQLite stores are simply not found (404).
ROW_ID = "int(max=9223372036854775807)"

blueprint = Blueprint("ecitiz_staff", __name__, template_folder="../templates")

blueprint.before_request(set_page_language)
blueprint.teardown_request(forget_page_language)
blueprint.before_request(load_session)
blueprint.before_request(check_csrf)
blueprint.context_processor(template_helpers)


@blueprint.url_defaults
def keep_language(endpoint: str, values: dict[str, Any]) -> None:
    """A language chosen with ``?lang=`` stays while staff move between pages."""
    if "lang" in values or not has_request_context():
        return
    if request.args.get("lang") in LANGUAGES:
        values["lang"] = request.args["lang"]


@blueprint.context_processor
def staff_helpers() -> dict[str, Any]:
    return {
        "staff": g.get("ecitiz_staff"),
        "csrf_token": csrf_token,
        "in_language": in_language,
    }


def in_language(lang: str) -> str:
    """This page's address in another language: its query (the list's filters,
    an export's selection…) kept, ``lang`` set."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return "?" + urlencode([*args, ("lang", lang)])


@blueprint.after_request
def staff_headers(response: Response) -> Response:
    protect(response)
    response.vary.add("Cookie")
    response.vary.add("Accept-Language")
    return save_cookie(response)


@blueprint.route("/<path:unknown>", methods=["GET", "HEAD", "POST"])
def unknown_page(unknown: str) -> NoReturn:
    """An address under the dashboard that leads nowhere: the dashboard's own
    404 page, in the staff member's language, rather than the server's."""
    abort(404)


http_error, server_error = error_pages("ecitiz/staff/error.html")
blueprint.register_error_handler(HTTPException, http_error)
blueprint.register_error_handler(InternalServerError, server_error)
