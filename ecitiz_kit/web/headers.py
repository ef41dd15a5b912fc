"""The security headers of pages nobody may frame: the staff dashboard, and any
address under the kit's prefix that leads nowhere."""

from __future__ import annotations

from flask import Response, current_app, request

from . import csp


def protect(response: Response) -> Response:
    """Never framed, never cached, no script, no content sniffing."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", csp.STAFF)
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cache-Control"] = "no-store"
    headers["Referrer-Policy"] = "same-origin"
    return response


def unrouted(response: Response) -> Response:
    """After a request under the kit's prefix that matched no route (a 404, a 405,
    a redirect to add a slash): the headers of the staff pages, which no
    blueprint's own hooks add, since no blueprint saw the request."""
    if request.url_rule is not None:
        return response
    prefix = current_app.config["ECITIZ_URL_PREFIX"] or ""
    # At the site root the kit shares its prefix with the host application:
    # only the staff pages' addresses are known to be the kit's.
    mine = prefix + "/staff" if not prefix else prefix
    if request.path == mine or request.path.startswith(mine + "/"):
        protect(response)
    return response
