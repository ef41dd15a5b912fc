"""Requests per day as a small SVG bar chart, drawn on the server.

No JavaScript and no chart library: the chart is a few dozen ``<rect>`` elements
written into the page. It is an image to assistive technologies (``role="img"``
with a ``<title>`` and a ``<desc>`` that sums it up), and the page gives the same
figures as a table. Each status has a colour with at least 3:1 contrast against
the white background (WCAG 1.4.11), and stacked parts are parted by a white line
so that neighbouring colours never merge.
"""

from __future__ import annotations

from collections.abc import Sequence

from babel.dates import format_date, format_skeleton
from markupsafe import Markup, escape

from .. import lifecycle
from ..i18n import gettext, ngettext
from .request_list import Day

#: Fill of each status, bottom of the stack first.
COLOURS: dict[str, str] = {
    lifecycle.SUBMITTED: "#1d4ed8",
    lifecycle.IN_REVIEW: "#a16207",
    lifecycle.ACCEPTED: "#15803d",
    lifecycle.REJECTED: "#b91c1c",
    lifecycle.CLOSED: "#52525b",
    lifecycle.PAID: "#0f766e",
}
TEXT_COLOUR = "#3f3f46"
GRID_COLOUR = "#d4d4d8"
TITLE_ID = "ecitiz-chart-title"
DESC_ID = "ecitiz-chart-desc"

WIDTH, HEIGHT = 600, 200
LEFT, RIGHT, TOP, BOTTOM = 36, 6, 8, 22  # margins around the bars


def nice_ceiling(value: int) -> int:
    """The axis maximum: ``value`` rounded up to 1, 2 or 5 times a power of ten."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if value <= step * factor:
                return step * factor
        step *= 10


def short_day(day: Day, lang: str) -> str:
    return format_skeleton("MMMd", day.day, locale=lang)


def description(days: Sequence[Day], lang: str) -> str:
    """One or two sentences saying what the chart shows (its ``<desc>``)."""
    first, last = (format_date(d.day, "long", locale=lang) for d in (days[0], days[-1]))
    total = sum(d.total for d in days)
    if not total:
        return gettext(
            "No request from %(first)s to %(last)s.", lang, first=first, last=last
        )
    busiest = max(days, key=lambda d: d.total)
    return " ".join(
        (
            ngettext(
                "%(num)s request from %(first)s to %(last)s.",
                "%(num)s requests from %(first)s to %(last)s.",
                total,
                lang,
                first=first,
                last=last,
            ),
            ngettext(
                "The busiest day was %(day)s, with %(num)s request.",
                "The busiest day was %(day)s, with %(num)s requests.",
                busiest.total,
                lang,
                day=format_date(busiest.day, "long", locale=lang),
            ),
            gettext("The table after the chart gives every figure.", lang),
        )
    )


def daily_chart(days: Sequence[Day], lang: str) -> Markup:
    """Stacked bars of requests per day and status, oldest day on the left."""
    top = nice_ceiling(max((d.total for d in days), default=0) or 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(days), 1)
    bar = slot * 0.72
    base = TOP + plot_h
    title = gettext(
        "Requests per day over the last %(days)s days", lang, days=len(days)
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ecitiz-chart" role="img"'
        f' viewBox="0 0 {WIDTH} {HEIGHT}" width="100%"'
        f' aria-labelledby="{TITLE_ID} {DESC_ID}" focusable="false">',
        f'<title id="{TITLE_ID}">{escape(title)}</title>',
        f'<desc id="{DESC_ID}">{escape(description(days, lang))}</desc>',
    ]
    # Grid lines and their values: zero, half way (when whole) and the top.
    for value in sorted({0, top // 2 if top % 2 == 0 else 0, top}):
        y = base - plot_h * value / top
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"'
            f' stroke="{GRID_COLOUR}" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11"'
            f' fill="{TEXT_COLOUR}">{value}</text>'
        )
    for index, day in enumerate(days):
        x = LEFT + index * slot + (slot - bar) / 2
        label = short_day(day, lang)
        tip = ngettext(
            "%(day)s: %(num)s request",
            "%(day)s: %(num)s requests",
            day.total,
            lang,
            day=label,
        )
        parts.append(f'<g class="ecitiz-chart-day"><title>{escape(tip)}</title>')
        y = base
        for status in lifecycle.STATUSES:
            count = day.counts.get(status, 0)
            if not count:
                continue
            height = plot_h * count / top
            y -= height
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}"'
                f' height="{height:.1f}" fill="{COLOURS[status]}"'
                f' stroke="#ffffff" stroke-width="0.75"'
                f' data-status="{status}" data-count="{count}"/>'
            )
        parts.append("</g>")
        # A date under the last bar (today) and every seventh one before it.
        if (len(days) - 1 - index) % 7 == 0:
            # The last date ends with its bar, so that it stays inside the image.
            last = index == len(days) - 1
            anchor, at = ("end", x + bar) if last else ("middle", x + bar / 2)
            parts.append(
                f'<text x="{at:.1f}" y="{HEIGHT - 6}" text-anchor="{anchor}"'
                f' font-size="11" fill="{TEXT_COLOUR}">{escape(label)}</text>'
            )
    parts.append("</svg>")
    # Every text above went through escape(); the rest is numbers and constants.
    return Markup("".join(parts))  # noqa: S704
