"""Origins: what an organisation may allow to embed it, in one normal form, and
whether a POST came from the kit's own."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import current_app, request

from ..errors import EcitizError
from .urls import origin_of

_HOST = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


class BadOrigin(EcitizError, ValueError):
    """An origin an organisation cannot allow; the message says why.

    ``reason`` names the problem for callers that explain it in another
    language: ``wildcard``, ``invalid``, ``scheme``, ``credentials``, ``path``
    or ``host``.
    """

    def __init__(self, message: str, reason: str = "invalid") -> None:
        super().__init__(message)
        self.reason = reason


def normalise_origin(url: str) -> str:
    """Return ``scheme://host[:port]`` as browsers send it, or raise :class:`BadOrigin`.

    Only http(s), a host name or IPv4 address, an optional port; no path, query,
    fragment, user name or wildcard.
    """
    raw = url.strip()
    if "*" in raw:
        raise BadOrigin(
            f"{url!r}: wildcards are not allowed; list each site.", "wildcard"
        )
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise BadOrigin(f"{url!r}: not a valid address ({exc}).") from None
    if parts.scheme not in _DEFAULT_PORTS:
        raise BadOrigin(
            f"{url!r}: give the scheme too, http:// or https:// "
            "(e.g. https://www.example.org).",
            "scheme",
        )
    if parts.username or parts.password:
        raise BadOrigin(
            f"{url!r}: an origin has no user name or password.", "credentials"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise BadOrigin(
            f"{url!r}: an origin is only scheme, host and port, with no path; "
            f"use {parts.scheme}://{parts.netloc}.",
            "path",
        )
    host = (parts.hostname or "").lower()
    if not host or not _HOST.match(host):
        raise BadOrigin(
            f"{url!r}: {host or 'the host'} is not a valid host name.", "host"
        )
    if port is None or port == _DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def own_origins() -> set[str]:
    """Origins this kit is served from: the request's own, and the public URL's."""
    origins = {origin_of(request.host_url)}
    public_url = current_app.config["ECITIZ_PUBLIC_URL"]
    if public_url:
        origins.add(origin_of(public_url))
    return origins


def is_cross_site_post() -> bool:
    """Whether a POST visibly comes from another site (then it is refused).

    Browsers send ``Origin`` on every form POST and ``Sec-Fetch-Site`` on most; a
    request with neither (an old browser, a script) is judged by its ticket alone.
    """
    origin = request.headers.get("Origin")
    if origin is not None and origin.lower() not in own_origins():
        return True
    return request.headers.get("Sec-Fetch-Site") == "cross-site"
