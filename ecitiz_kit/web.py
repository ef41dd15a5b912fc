"""HTTP helpers shared by the kit's blueprints: origins, headers, absolute URLs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, g, request, url_for

from . import __version__
from .fields import html_attributes
from .i18n import choose_language, gettext, ngettext, text


def set_page_language() -> None:
    """Choose the page language: ``?lang=``, then the browser's, then the default."""
    g.ecitiz_lang = choose_language(
        request.args.get("lang"),
        request.accept_languages,
        current_app.config["ECITIZ_DEFAULT_LANGUAGE"],
    )


def template_helpers() -> dict[str, Any]:
    """What the kit's templates use, for the kit's blueprints only (a host app
    may have its own ``_``)."""
    return {
        "_": gettext,
        "gettext": gettext,
        "ngettext": ngettext,
        "text": text,
        "lang": g.get("ecitiz_lang", "fr"),
        "html_attributes": html_attributes,
        "asset_url": lambda filename: url_for(
            "ecitiz.asset", version=__version__, filename=filename
        ),
    }


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
