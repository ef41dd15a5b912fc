"""The HTML an organisation pastes into its own website to show a form.

``base_url`` is the kit's address as applicants reach it, URL prefix included
(e.g. ``https://forms.example.org/ecitiz``); :func:`.urls.kit_base_url` gives it
inside a request. These functions need no request, so a page or a command can call them.
"""

from __future__ import annotations

from markupsafe import Markup

from ..i18n import gettext
from .scripts import integrity
from .urls import counter_page, form_page, loader, tracking_page


def _options(heading: bool, language_switch: bool) -> Markup:
    """The placeholder's data attributes that hide parts of the framed page."""
    attributes = Markup()
    if not heading:
        attributes += Markup(' data-heading="hidden"')
    if not language_switch:
        attributes += Markup(' data-languages="hidden"')
    return attributes


def _hiding(url: str, heading: bool, language_switch: bool) -> str:
    """``url`` with the query parameters that hide parts of the framed page."""
    hidden = [
        f"{name}=hidden"
        for name, shown in (("heading", heading), ("languages", language_switch))
        if not shown
    ]
    if not hidden:
        return url
    return url + ("&" if "?" in url else "?") + "&".join(hidden)


def loader_tag(base_url: str) -> Markup:
    """The ``<script>`` tag of the loader, with its integrity hash."""
    return Markup(
        '<script async src="{src}" integrity="{sri}" crossorigin="anonymous"></script>'
    ).format(src=loader(base_url), sri=integrity())


def script_snippet(
    org_slug: str,
    form_id: str,
    title: str,
    base_url: str,
    lang: str | None = None,
    *,
    heading: bool = True,
    language_switch: bool = True,
) -> Markup:
    """A placeholder with a fallback link, and the loader that frames the form.

    ``heading=False`` visually hides the form's heading and the organisation's
    name in the frame (the host page shows its own); ``language_switch=False``
    leaves out the frame's language links."""
    link_text = gettext("Open the form “%(title)s”", lang, title=title)
    url = form_page(org_slug, form_id, base_url, lang)
    return _placeholder(
        "form", f"{org_slug}/{form_id}", title, lang, url, link_text, base_url,
        heading, language_switch,
    )  # fmt: skip


def status_snippet(
    org_slug: str,
    base_url: str,
    title: str | None = None,
    lang: str | None = None,
    *,
    heading: bool = True,
    language_switch: bool = True,
) -> Markup:
    """The status mode: applicants follow their request inside the host page."""
    title = title or gettext("Follow my request", lang)
    link_text = gettext("Follow my request on its own page", lang)
    url = tracking_page(org_slug, base_url, lang)
    return _placeholder(
        "status", org_slug, title, lang, url, link_text, base_url,
        heading, language_switch,
    )  # fmt: skip


def iframe_snippet(
    org_slug: str,
    form_id: str,
    title: str,
    base_url: str,
    lang: str | None = None,
    *,
    height: int,
    heading: bool = True,
    language_switch: bool = True,
) -> Markup:
    """A plain framed form (for site builders that strip scripts), plus a link
    to open it on its own page; ``height`` is in pixels
    (:func:`.frame_heights.fitting_height`)."""
    url = form_page(org_slug, form_id, base_url, lang)
    frame_url = _hiding(url, heading, language_switch)
    link_text = gettext(
        "Form not showing? Open “%(title)s” in a new page", lang, title=title
    )
    return _plain_frame(frame_url, url, title, height, link_text)


def counter_snippet(
    org_slug: str,
    base_url: str,
    title: str | None = None,
    lang: str | None = None,
    *,
    heading: bool = True,
    language_switch: bool = True,
) -> Markup:
    """The counter: every procedure of the organisation, each started in the frame."""
    title = title or gettext("Online procedures", lang)
    link_text = gettext("See our online procedures", lang)
    url = counter_page(org_slug, base_url, lang)
    return _placeholder(
        "counter", org_slug, title, lang, url, link_text, base_url,
        heading, language_switch,
    )  # fmt: skip


def counter_iframe_snippet(
    org_slug: str,
    base_url: str,
    title: str | None = None,
    lang: str | None = None,
    *,
    height: int,
    heading: bool = True,
    language_switch: bool = True,
) -> Markup:
    """The counter in a plain frame (for site builders that strip scripts), plus
    a link to open it on its own page; ``height`` is in pixels
    (:func:`.frame_heights.counter_height`)."""
    title = title or gettext("Online procedures", lang)
    url = counter_page(org_slug, base_url, lang)
    link_text = gettext("Procedures not showing? Open them in a new page", lang)
    frame_url = _hiding(url, heading, language_switch)
    return _plain_frame(frame_url, url, title, height, link_text)


def _placeholder(
    kind: str,
    name: str,
    title: str,
    lang: str | None,
    url: str,
    link_text: str,
    base_url: str,
    heading: bool,
    language_switch: bool,
) -> Markup:
    """The element ``data-ecitiz-KIND="NAME"`` the loader replaces with a frame,
    holding a fallback link to ``url``, followed by the loader itself."""
    lang_attribute = Markup(' data-lang="{}"').format(lang) if lang else ""
    return Markup(
        '<div data-ecitiz-{kind}="{name}" data-title="{title}"{lang}{options}>'
        '<a href="{url}">{link}</a></div>\n{script}'
    ).format(
        kind=kind,
        name=name,
        title=title,
        lang=lang_attribute,
        options=_options(heading, language_switch),
        url=url,
        link=link_text,
        script=loader_tag(base_url),
    )


def _plain_frame(
    frame_url: str, url: str, title: str, height: int, link_text: str
) -> Markup:
    """A frame of ``height`` pixels, as an attribute (a host page whose Content
    Security Policy refuses inline styles still sizes it; the ``style``
    attribute only widens it and removes its border, which such a page can do
    with its own rule for ``.ecitiz-frame``), and a link to the page itself."""
    return Markup(
        '<iframe class="ecitiz-frame" src="{frame_url}" title="{title}" '
        'loading="lazy" height="{height}" style="width:100%;border:0"></iframe>\n'
        '<p><a href="{url}" target="_blank" rel="noopener">{link}</a></p>'
    ).format(frame_url=frame_url, url=url, title=title, height=height, link=link_text)
