"""HTTP helpers shared by the kit's blueprints: origins, headers, absolute URLs."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request, url_for


def origin_of(url: str) -> str:
    """The ``scheme://host[:port]`` part of an absolute URL, lower-cased."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


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


def external_url(endpoint: str, **values: object) -> str:
    """An absolute URL, on the origin of ``ECITIZ_PUBLIC_URL`` when it is set."""
    public_url = current_app.config["ECITIZ_PUBLIC_URL"]
    if public_url:
        return origin_of(public_url) + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def content_security_policy(frame_ancestors: list[str]) -> str:
    """The CSP of a public page that the listed origins may frame."""
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"
    return (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; form-action 'self'; base-uri 'none'; "
        f"frame-ancestors {ancestors}"
    )
