"""Colour contrast as WCAG 2.1 measures it (success criteria 1.4.3 and 1.4.11)."""

from __future__ import annotations


def contrast_ratio(colour: str, background: str = "#ffffff") -> float:
    """The WCAG contrast ratio of two ``#rgb`` or ``#rrggbb`` colours."""
    high, low = sorted((_luminance(colour), _luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
