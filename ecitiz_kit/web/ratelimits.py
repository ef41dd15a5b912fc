"""The kit's rate limits as its pages apply them: keys read from the request and
the settings, and the 429 answer that says when to try again.

Which keys a page counts is the page's business (see :mod:`ecitiz_kit.public`);
all of a page's keys are checked together, see :meth:`.Throttle.hit`.
"""

from __future__ import annotations

from flask import Response, current_app, jsonify, request

from ..i18n import format_duration, gettext
from ..state import state
from ..throttle import Key, Verdict


def client_address() -> str:
    """The address the request came from (behind a proxy, set up ``ProxyFix``)."""
    return request.remote_addr or "unknown"


def client_key(scope: str, setting: str) -> Key:
    """The client address as a key of ``scope``, limited by ``setting``."""
    return Key(scope, client_address(), current_app.config[setting])


def key(scope: str, value: str, setting: str) -> Key:
    """``value`` as a key of ``scope``, limited by ``setting``."""
    return Key(scope, value, current_app.config[setting])


def hit(*keys: Key) -> Verdict:
    """Count this request on every key, or on none if one is used up."""
    return state().throttle(current_app.config).hit(*keys)


def wait(verdict: Verdict) -> str:
    """When to try again, in words in the page language (``12 minutes``)."""
    return format_duration(verdict.retry_after)


def form_refusal(verdict: Verdict) -> str:
    """What a refused form says above the answers it kept."""
    said = gettext(
        "Too many forms were sent from your connection or with these details. To"
        " protect applicants, new ones are refused for a while: try again in"
        " %(wait)s. Nothing was sent; your answers are kept below.",
        wait=wait(verdict),
    )
    if files_were_sent():
        said += " " + gettext(
            "Attached files could not be kept: attach them again before sending."
        )
    return said


def too_many(body: str, verdict: Verdict) -> Response:
    """A page answered with 429 and the ``Retry-After`` header."""
    response = current_app.make_response((body, 429))
    response.headers["Retry-After"] = str(verdict.retry_after)
    return response


def too_many_json(verdict: Verdict) -> Response:
    """The JSON API's 429: the wait in seconds, in the body and the header."""
    response = jsonify(error="too many requests", retry_after=verdict.retry_after)
    response.status_code = 429
    response.headers["Retry-After"] = str(verdict.retry_after)
    return response


def files_were_sent() -> bool:
    """Whether this request carried at least one file (lost if it is refused)."""
    return any(part.filename for _, part in request.files.items(multi=True))
