"""HTTP helpers shared by the kit's blueprints: origins, headers, absolute URLs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, g, request, url_for

from . import __version__
from .embedding import Embed
from .fields import html_attributes
from .i18n import choose_language, format_datetime, gettext, ngettext, text
from .store import parse_stamp


def set_page_language() -> None:
    """Choose the page language: ``?lang=``, then the browser's, then the default."""
    g.ecitiz_lang = choose_language(
        request.args.get("lang"),
        request.accept_languages,
        current_app.config["ECITIZ_DEFAULT_LANGUAGE"],
    )


def when(stamp: str, lang: str | None = None) -> str:
    """A stored timestamp in the kit's time zone, in ``lang`` (by default the
    language of the page being rendered)."""
    return format_datetime(
        parse_stamp(stamp),
        lang or g.ecitiz_lang,
        current_app.config["ECITIZ_TIMEZONE"],
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
        "widget_url": lambda name: url_for(
            "ecitiz_widget.versioned", version=__version__, name=name
        ),
        "embed": g.get("ecitiz_embed") or Embed(),
        "style_nonce": g.get("ecitiz_style_nonce"),
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


def kit_base_url(origin: str | None = None) -> str:
    """The kit's address with its URL prefix, as applicants reach it (what the
    snippet functions take as ``base_url``); on ``origin`` when given."""
    path = url_for("ecitiz_widget.alias", name="ecitiz.js")[: -len("/ecitiz.js")]
    path = path[: -len("/widget")]
    if origin is not None:
        return origin_of(origin) + path
    public_url = current_app.config["ECITIZ_PUBLIC_URL"]
    return origin_of(public_url or request.host_url) + path


def content_security_policy(
    frame_ancestors: list[str], style_nonce: str | None = None
) -> str:
    """The CSP of a public page that the listed origins may frame; with
    ``style_nonce``, one ``<style>`` element carrying that nonce may apply."""
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"
    styles = f"'self' 'nonce-{style_nonce}'" if style_nonce else "'self'"
    return (
        f"default-src 'none'; script-src 'self'; style-src {styles}; "
        "img-src 'self' data:; font-src 'self'; form-action 'self'; "
        f"base-uri 'none'; frame-ancestors {ancestors}"
    )
