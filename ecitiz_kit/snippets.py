"""The HTML an organisation pastes into its own website to show a form."""

from __future__ import annotations

from markupsafe import Markup, escape

from .i18n import gettext

#: Tall enough for the ready-made forms on a phone; the embed script (when used)
#: resizes the frame to fit instead.
FRAME_HEIGHT = 1600


def iframe_snippet(form_url: str, title: str, lang: str | None = None) -> Markup:
    """A framed form plus a link to open it on its own page."""
    link_text = gettext(
        "Form not showing? Open “%(title)s” in a new page", lang, title=title
    )
    return Markup(
        '<iframe src="{url}" title="{title}" loading="lazy" '
        'style="width:100%;height:{height}px;border:0"></iframe>\n'
        '<p><a href="{url}" target="_blank" rel="noopener">{link}</a></p>'
    ).format(url=form_url, title=title, height=FRAME_HEIGHT, link=escape(link_text))
