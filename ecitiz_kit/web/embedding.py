"""What an embedding page may ask of a framed page: its origin, a frame id, a theme.

The loader passes these in the frame's query string. Nothing here is trusted: the
origin is used only when the organisation allowed it, and theme values only when
they match a strict form, so a page can restyle a form a little but never inject
CSS, and never receive messages meant for another site.

The same checks, raising an error with a reason instead of dropping a value,
guard what an organisation saves: its theme (the defaults an embed's own values
override) and its tracking page. The dashboard and the commands both call them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from markupsafe import Markup

from ..colours import contrast_ratio
from ..errors import EcitizError
from .origins import BadOrigin, normalise_origin

#: Font families an embedding page may choose, by name; nothing else reaches CSS.
FONTS: dict[str, str] = {
    "system": 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif',
    "sans": '"Helvetica Neue", Helvetica, Arial, "Liberation Sans", sans-serif',
    "serif": 'Georgia, Cambria, "Times New Roman", Times, serif',
    "rounded": 'ui-rounded, "SF Pro Rounded", "Nunito", "Varela Round", sans-serif',
    "mono": 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace',
}
MAX_RADIUS = 24
MAX_TRACKING_PAGE_LENGTH = 500
#: Parts of a framed page the embedding page may hide, each with ``NAME=hidden``.
HIDEABLE = ("heading", "languages")
#: WCAG AA for normal text: white on the primary colour (buttons) must stay legible.
MIN_CONTRAST = 4.5

_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}\Z")
_RADIUS = re.compile(r"^[0-9]{1,2}\Z")
_FRAME_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}\Z")
#: Characters a URL never holds unencoded (RFC 3986).
_NOT_IN_URLS = frozenset('"<>\\^`{|}')
_TOKEN = re.compile(r"^[A-Za-z0-9_.-]{10,400}\Z")


class BadTrackingPage(EcitizError, ValueError):
    """A tracking page address the kit cannot use; the message says why.

    ``reason`` names the problem for callers that explain it in another
    language: ``fragment``, ``not-allowed``, ``length``, ``invalid`` (a
    character no address holds), or one of :class:`~.origins.BadOrigin`'s
    reasons.
    """

    def __init__(
        self, message: str, reason: str = "invalid", origin: str | None = None
    ) -> None:
        super().__init__(message)
        self.reason = reason
        #: The site of the page, when its only fault is not being allowed.
        self.origin = origin


class BadTheme(EcitizError, ValueError):
    """A theme value the kit refuses; the message says why.

    ``field`` is ``primary``, ``radius`` or ``font``; ``reason`` is ``format``
    (not ``#rgb`` or ``#rrggbb``), ``contrast`` (white text unreadable on it),
    ``range`` (a radius outside 0 to :data:`MAX_RADIUS`) or ``unknown`` (a font
    not in :data:`FONTS`).
    """

    def __init__(self, message: str, field: str, reason: str) -> None:
        super().__init__(message)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Theme:
    """Validated theme values; each is ``None`` when absent or refused."""

    primary: str | None = None
    radius: int | None = None
    font: str | None = None

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.primary, self.radius, self.font))

    def over(self, defaults: Theme) -> Theme:
        """This theme, with ``defaults`` where it sets nothing (value by value)."""
        return Theme(
            self.primary if self.primary is not None else defaults.primary,
            self.radius if self.radius is not None else defaults.radius,
            self.font if self.font is not None else defaults.font,
        )

    def css(self) -> Markup:
        """The custom properties ``static/ecitiz.css`` reads, for a ``<style>``."""
        rules = []
        if self.primary:
            rules.append(f"--ecitiz-primary:{self.primary}")
        if self.radius is not None:
            rules.append(f"--ecitiz-radius:{self.radius}px")
        if self.font:
            rules.append(f"--ecitiz-font:{FONTS[self.font]}")
        # Every value is checked against a fixed pattern or list above.
        return Markup(":root{" + ";".join(rules) + "}")  # noqa: S704


@dataclass(frozen=True)
class Embed:
    """How the current page is embedded; ``origin`` is ``None`` unless allowed."""

    origin: str | None = None
    frame_id: str | None = None
    theme: Theme = field(default_factory=Theme)
    #: The query parameters to keep on links and forms inside the frame.
    args: dict[str, str] = field(default_factory=dict)
    #: The host page shows its own title: the form's (or tracking page's) heading
    #: and the organisation's name are then visually hidden, still read out by
    #: screen readers; the receipt and other pages keep theirs.
    hide_heading: bool = False
    #: The host page chooses the language: no language links.
    hide_languages: bool = False

    @property
    def messaging(self) -> bool:
        return self.origin is not None and self.frame_id is not None


def check_primary(value: str) -> str:
    """A primary colour in its stored form (lower case), or :class:`BadTheme`."""
    if not _COLOUR.match(value):
        raise BadTheme(
            f"{value!r}: give a colour as #rgb or #rrggbb, e.g. #1d4ed8.",
            "primary",
            "format",
        )
    ratio = contrast_ratio(value)
    if ratio < MIN_CONTRAST:
        raise BadTheme(
            f"{value!r}: white text on it has a contrast of {ratio:.1f}:1, below"
            f" {MIN_CONTRAST}:1; choose a darker colour.",
            "primary",
            "contrast",
        )
    return value.lower()


def check_radius(value: str | int) -> int:
    """A corner radius in pixels (0 to :data:`MAX_RADIUS`), or :class:`BadTheme`."""
    text = str(value)
    if not _RADIUS.match(text) or int(text) > MAX_RADIUS:
        raise BadTheme(
            f"{value!r}: give a corner radius as a whole number of pixels from 0"
            f" to {MAX_RADIUS}.",
            "radius",
            "range",
        )
    return int(text)


def check_font(value: str) -> str:
    """One of the font names of :data:`FONTS`, or :class:`BadTheme`."""
    if value not in FONTS:
        raise BadTheme(
            f"{value!r}: choose a font among {', '.join(FONTS)}.", "font", "unknown"
        )
    return value


def check_theme(
    primary: str | None = None, radius: str | int | None = None, font: str | None = None
) -> Theme:
    """The theme of these values (``None`` or ``""``: the kit's default), or
    :class:`BadTheme` for the first one refused."""
    return Theme(
        check_primary(primary) if primary else None,
        check_radius(radius) if radius not in (None, "") else None,
        check_font(font) if font else None,
    )


def parse_theme(args: Mapping[str, str]) -> Theme:
    """The theme asked for in ``args``, each invalid value dropped."""
    values: list[Any] = []
    for name, check in (
        ("primary", check_primary),
        ("radius", check_radius),
        ("font", check_font),
    ):
        value = args.get(name) or ""
        try:
            values.append(check(value) if value else None)
        except BadTheme:
            values.append(None)
    return Theme(*values)


def saved_theme(organisation: Mapping[str, Any]) -> Theme:
    """The theme an organisation saved (checked again: a value the rules refuse
    now, e.g. written by hand in the database, is dropped)."""
    radius = organisation.get("theme_radius")
    return parse_theme(
        {
            "primary": organisation.get("theme_primary") or "",
            "radius": "" if radius is None else str(radius),
            "font": organisation.get("theme_font") or "",
        }
    )


def parse_embed(
    args: Mapping[str, str], allowed: Collection[str], defaults: Theme | None = None
) -> Embed:
    """Read the loader's parameters; ``allowed`` are the organisation's origins,
    ``defaults`` its saved theme, which the embed's own values override."""
    origin = None
    raw = args.get("origin") or ""
    try:
        candidate = normalise_origin(raw) if raw else None
    except BadOrigin:
        candidate = None
    if candidate is not None and candidate in allowed:
        origin = candidate
    frame_id = args.get("embed") or ""
    theme = parse_theme(args)
    kept = {}
    if origin is not None and _FRAME_ID.match(frame_id):
        kept = {"origin": origin, "embed": frame_id}
    else:
        frame_id = ""
    if theme.primary:
        kept["primary"] = theme.primary
    if theme.radius is not None:
        kept["radius"] = str(theme.radius)
    if theme.font:
        kept["font"] = theme.font
    hidden = {name for name in HIDEABLE if args.get(name) == "hidden"}
    kept.update((name, "hidden") for name in sorted(hidden))
    return Embed(
        origin,
        frame_id or None,
        theme.over(defaults or Theme()),
        kept,
        hide_heading="heading" in hidden,
        hide_languages="languages" in hidden,
    )


def status_token(pasted: str) -> str | None:
    """The tracking token in what an applicant pasted: the whole tracking link,
    a host page's ``…#ecitiz=TOKEN`` link, or the bare token."""
    text = pasted.strip()
    if "://" in text:
        try:
            parts = urlsplit(text)
        except ValueError:  # e.g. an unclosed "[" where a host should be
            return None
        found = re.search(r"(?:^|&)ecitiz=([^&]+)", parts.fragment)
        if found:
            text = unquote(found.group(1))
        else:
            segments = parts.path.rstrip("/").split("/")
            if len(segments) < 2 or segments[-2] != "s":
                return None
            text = segments[-1]
    return text if _TOKEN.match(text) else None


def check_tracking_page(url: str, allowed: Collection[str]) -> str:
    """The normal form of a tracking page address, or :class:`BadTrackingPage`.

    It must be an absolute http(s) address without a fragment (the kit adds
    ``#ecitiz=TOKEN``), on a site the organisation allowed to embed it.
    """
    raw = url.strip()
    if len(raw) > MAX_TRACKING_PAGE_LENGTH:
        raise BadTrackingPage(
            f"the address is longer than {MAX_TRACKING_PAGE_LENGTH} characters.",
            "length",
        )
    if any(c.isspace() or not c.isprintable() or c in _NOT_IN_URLS for c in raw):
        raise BadTrackingPage(
            f"{url!r}: an address has no spaces, quotes or angle brackets.", "invalid"
        )
    try:
        parts = urlsplit(raw)
    except ValueError as exc:
        raise BadTrackingPage(f"{url!r}: not a valid address ({exc}).") from None
    if parts.fragment or raw.endswith("#"):
        raise BadTrackingPage(
            f"{url!r}: leave out the '#' part; the kit adds the tracking code there.",
            "fragment",
        )
    try:
        origin = normalise_origin(f"{parts.scheme}://{parts.netloc}")
    except BadOrigin as exc:
        raise BadTrackingPage(str(exc), exc.reason) from None
    if origin not in allowed:
        raise BadTrackingPage(
            f"{url!r}: {origin} may not embed this organisation's pages; allow it"
            " first with allow-origin.",
            "not-allowed",
            origin,
        )
    path = parts.path or "/"
    return origin + path + (f"?{parts.query}" if parts.query else "")
