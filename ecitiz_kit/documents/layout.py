"""PDFs and QR codes: the acknowledgement of receipt and the attestation.

Pure functions from plain values to PDF bytes (fpdf2 + zxing-cpp): no Flask, no SQL.
Callers format dates and times, mask sensitive values and sign the payload; this
module lays them out, translates its own static texts and draws the QR code.

Text uses a bundled subset of DejaVu Sans (``static/fonts``, see
:mod:`.fonts`), because the PDF core fonts cannot write ``’ œ € —``
or Vietnamese names.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import zxingcpp
from babel.dates import format_date
from fpdf import FPDF, XPos, YPos
from PIL import Image, ImageOps

from ..i18n import gettext
from .fonts import DROPPED_CATEGORIES, FAMILY, fonts, install_fonts, output_pdf

__all__ = [
    "AttestationDocument",
    "ReceiptDocument",
    "attestation_pdf",
    "qr_modules",
    "qr_version",
    "receipt_pdf",
]

MONO = "courier"  # core font: no embedding cost; serials and references are ASCII
QR_ERROR = "M"
QR_BORDER = 4  # modules of quiet zone, as ISO/IEC 18004 requires
QR_WIDTH_MM = 40.0  # printed width including the quiet zone (≥ 30 mm of code)
QR_PIXELS_PER_MODULE = 4
MARGIN_MM = 18.0
REPLACEMENT = "\ufffd"


@dataclass(frozen=True)
class ReceiptDocument:
    """What the acknowledgement of receipt shows; every value already formatted."""

    organisation: str
    form_title: str
    reference: str
    received_at: str
    sections: list[dict]
    tracking_url: str | None  # None: a copy without the applicant's private link
    lang: str


@dataclass(frozen=True)
class AttestationDocument:
    """What an attestation shows; ``verify_url`` is the signed QR content."""

    title: str
    organisation: str
    holder: str
    details: list[tuple[str, str]]
    valid_from: date
    valid_to: date
    issued_at: str
    serial: str
    template_version: int
    verify_url: str
    lang: str
    # The PDF's creation date: the issue time makes every rendering of a
    # document the same bytes (None: now).
    created: datetime | None = None


def qr_version(data: str) -> int:
    """The QR version (1 to 40) that ``data`` takes at error correction level M."""
    width, _modules = qr_modules(data)
    return (width - 17) // 4


def receipt_pdf(doc: ReceiptDocument) -> bytes:
    """Render the acknowledgement of receipt as a one-page (or longer) A4 PDF."""
    lang = doc.lang
    pdf = _new_pdf(title=gettext("Acknowledgement of receipt", lang), lang=lang)
    left, top = pdf.l_margin, pdf.t_margin
    qr_x = pdf.w - pdf.r_margin - QR_WIDTH_MM
    header_w = qr_x - left - 6

    # Header on the left, the tracking QR code on the right.
    if doc.tracking_url:
        _draw_qr(pdf, doc.tracking_url, qr_x, top)
    pdf.set_xy(left, top)
    _text(pdf, doc.organisation, size=10, style="B", width=header_w)
    pdf.ln(2)
    _text(
        pdf,
        gettext("Acknowledgement of receipt", lang),
        size=18,
        style="B",
        width=header_w,
    )
    _text(pdf, doc.form_title, size=12, width=header_w)
    pdf.ln(3)
    _label(pdf, gettext("Reference", lang), width=header_w)
    _mono(pdf, doc.reference, size=16, width=header_w)
    pdf.ln(1)
    _label(pdf, gettext("Received on", lang), width=header_w)
    _text(pdf, doc.received_at, size=11, width=header_w)
    pdf.set_y(max(pdf.get_y(), top + QR_WIDTH_MM) + 6)

    for section in doc.sections:
        _section(pdf, str(section.get("title", "")), section.get("items") or ())

    if doc.tracking_url:
        pdf.ln(4)
        _text(pdf, gettext("Follow your request", lang), size=11, style="B")
        _mono(pdf, doc.tracking_url, size=9)
    return output_pdf(pdf)


def attestation_pdf(doc: AttestationDocument) -> bytes:
    """Render an attestation with its verification QR code and serial."""
    lang = doc.lang
    pdf = _new_pdf(title=doc.title, lang=lang)
    if doc.created is not None:
        pdf.set_creation_date(doc.created)
    usable = pdf.w - pdf.l_margin - pdf.r_margin

    _text(pdf, doc.organisation, size=10, style="B")
    pdf.ln(4)
    _text(pdf, doc.title, size=18, style="B")
    pdf.ln(4)
    _text(pdf, doc.holder, size=16, style="B")
    pdf.ln(2)
    for label, value in doc.details:
        _label(pdf, label)
        _text(pdf, value, size=11)
        pdf.ln(1)
    pdf.ln(3)
    validity = gettext(
        "Valid from %(start)s to %(end)s",
        lang,
        start=format_date(doc.valid_from, "long", locale=lang),
        end=format_date(doc.valid_to, "long", locale=lang),
    )
    _text(pdf, validity, size=12, style="B")
    pdf.ln(1)
    _label(pdf, gettext("Issued on", lang))
    _text(pdf, doc.issued_at, size=11)

    # The verification block stays in one piece: QR on the left, serial under it,
    # instructions on the right.
    block_h = QR_WIDTH_MM + 22
    if pdf.get_y() + 8 + block_h > pdf.page_break_trigger:
        pdf.add_page()
    else:
        pdf.ln(8)
    top = pdf.get_y()
    left = pdf.l_margin
    _draw_qr(pdf, doc.verify_url, left, top)
    pdf.set_xy(left, top + QR_WIDTH_MM)
    _label(pdf, gettext("Serial", lang), width=QR_WIDTH_MM, align="C")
    pdf.set_x(left)
    _mono(pdf, doc.serial, size=16, width=QR_WIDTH_MM, align="C")
    bottom = pdf.get_y()

    text_x = left + QR_WIDTH_MM + 8
    text_w = usable - QR_WIDTH_MM - 8
    pdf.set_xy(text_x, top + 2)
    check = gettext(
        "Check this document: scan the QR code or open %(url)s and compare the"
        " name with an identity document.",
        lang,
        url=doc.verify_url.split("#", 1)[0],
    )
    _text(pdf, check, size=10, width=text_w, x=text_x)
    pdf.ln(2)
    pdf.set_x(text_x)
    _mono(pdf, doc.verify_url, size=7, width=text_w, x=text_x)
    pdf.set_y(max(bottom, pdf.get_y()) + 6)
    _text(
        pdf,
        gettext("Template version %(version)s", lang, version=doc.template_version),
        size=8,
    )
    return output_pdf(pdf)


# -- layout helpers ---------------------------------------------------------------


def _new_pdf(*, title: str, lang: str) -> FPDF:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(True, margin=MARGIN_MM)
    install_fonts(pdf)
    pdf.set_title(clean(title))
    pdf.set_lang(lang)
    pdf.add_page()
    return pdf


def _text(
    pdf: FPDF,
    value: str,
    *,
    size: float,
    style: str = "",
    width: float = 0,
    x: float | None = None,
    align: str = "L",
) -> None:
    """Write wrapped text; the next line starts at ``x`` (the left margin if None)."""
    pdf.set_font(FAMILY, style, size)
    _write(pdf, clean(value), size=size, width=width, x=x, align=align)


def _write(
    pdf: FPDF, text: str, *, size: float, width: float, x: float | None, align: str
) -> None:
    line_h = size * 0.45
    left = pdf.x
    width = width or pdf.w - pdf.r_margin - left
    # multi_cell costs ten times a cell (it measures and places each character
    # through fpdf2's fragment machinery): so the lines are found here, with the
    # same rule, and each one is written with a plain cell.
    for number, line in enumerate(_wrap(pdf, text, width - 2 * pdf.c_margin)):
        if number:
            pdf.set_x(left)
        pdf.cell(width, line_h, line, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if x is not None:
        pdf.set_x(x)


# fpdf2's breaking spaces (fpdf.line_break.BREAKING_SPACE_SYMBOLS), less the ones
# clean() never lets through (tab, zero width space).
_BREAKING_SPACES = frozenset(
    " \u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a\u205f\u3000"
)
_TOLERANCE = 1e-9  # fpdf.util.FloatTolerance, so lines end where multi_cell ends them
# (family, style, size) -> character -> width in user units, as get_string_width
# gives it: fpdf2 adds up per-character widths (no kerning without text shaping),
# and the characters and fonts of these documents are few.
_WIDTHS: dict[tuple[str, str, float], dict[str, float]] = {}


def _wrap(pdf: FPDF, text: str, room: float) -> list[str]:
    """Split ``text`` into lines ``room`` wide, as multi_cell (WrapMode.WORD) does.

    A line overflowing at a breaking space ends there and the space is dropped; one
    overflowing elsewhere ends at its last breaking space (dropped too), or, when
    it has none, just before the character that does not fit.
    """
    key = (pdf.font_family, pdf.font_style, pdf.font_size_pt)
    widths = _WIDTHS.get(key)
    if widths is None:
        widths = _WIDTHS.setdefault(key, {})
    lines: list[str] = []
    start = 0  # first character of the current line
    used = 0.0  # its width so far
    space = -1  # index of its last breaking space, if any
    i = 0
    while i < len(text):
        char = text[i]
        char_w = widths.get(char)
        if char_w is None:
            char_w = widths[char] = pdf.get_string_width(char)
        if used + char_w - room > _TOLERANCE:
            if char in _BREAKING_SPACES:
                lines.append(text[start:i])
                start = i = i + 1
            elif space >= 0:
                lines.append(text[start:space])
                start = i = space + 1
            else:  # (a character wider than the line gets one to itself)
                i = max(i, start + 1)
                lines.append(text[start:i])
                start = i
            used, space = 0.0, -1
            continue
        if char in _BREAKING_SPACES:
            space = i
        used += char_w
        i += 1
    if start < len(text) or not lines:
        lines.append(text[start:])
    return lines


def _label(pdf: FPDF, value: str, *, width: float = 0, align: str = "L") -> None:
    pdf.set_text_color(90)
    _text(pdf, value, size=8.5, width=width, align=align)
    pdf.set_text_color(0)


def _mono(
    pdf: FPDF,
    value: str,
    *,
    size: float,
    width: float = 0,
    x: float | None = None,
    align: str = "L",
) -> None:
    """Write a code meant to be typed by hand, in a monospace face when possible."""
    text = clean(value)
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        # The core Courier font only knows Latin-1; fall back to the TTF.
        _text(pdf, text, size=size, style="B", width=width, x=x, align=align)
        return
    pdf.set_font(MONO, "B", size)
    _write(pdf, text, size=size, width=width, x=x, align=align)


def _section(pdf: FPDF, title: str, items: Iterable[dict]) -> None:
    pdf.ln(2)
    _text(pdf, title, size=12, style="B")
    y = pdf.get_y()
    pdf.set_draw_color(180)
    pdf.line(pdf.l_margin, y + 0.5, pdf.w - pdf.r_margin, y + 0.5)
    pdf.ln(2)
    for item in items:
        _label(pdf, str(item.get("label", "")))
        _text(pdf, str(item.get("value", "")), size=10.5)
        pdf.ln(1)


# -- QR code ----------------------------------------------------------------------


def qr_modules(data: str) -> tuple[int, bytes]:
    """The QR code of ``data``: its width in modules and one byte per module,
    row by row, 0 for dark and 255 for light (no quiet zone).

    zxing-cpp (through libzint) encodes it in compiled code: segno, in Python,
    took 8 ms a code, most of it scoring the eight masks. Both score all eight
    and keep the one of lowest penalty, as ISO/IEC 18004 requires. The level
    stays M even when a higher one would fit, so the version (and module size)
    stays as small as the contract promises.
    """
    symbol = zxingcpp.create_barcode(
        data, zxingcpp.BarcodeFormat.QRCode, ec_level=QR_ERROR
    )
    image = symbol.to_image(scale=1, add_quiet_zones=False)
    width = image.shape[1]
    return width, bytes(image)


def _draw_qr(pdf: FPDF, data: str, x: float, y: float) -> None:
    """Draw ``data`` as a QR code QR_WIDTH_MM wide (quiet zone included)."""
    # One grey image (FlateDecode, 1-2 kB) rather than vector rectangles: 1.3 ms
    # against 8.5 ms for one rectangle per run of dark modules (measured). At one
    # pixel per module poppler smooths the upscaled image until zbar cannot read
    # it, hence QR_PIXELS_PER_MODULE. (1-bit images are no faster: fpdf2 sends
    # them through libtiff's CCITT encoder.)
    size, modules = qr_modules(data)
    symbol = Image.frombytes("L", (size, size), modules)
    image = ImageOps.expand(
        symbol.resize((size * QR_PIXELS_PER_MODULE,) * 2, Image.Resampling.NEAREST),
        border=QR_BORDER * QR_PIXELS_PER_MODULE,
        fill=255,
    )
    pdf.image(image, x=x, y=y, w=QR_WIDTH_MM, h=QR_WIDTH_MM)


# -- text cleaning ----------------------------------------------------------------


def clean(value: object) -> str:
    """Make ``value`` printable with the bundled fonts, never raising.

    Normalises to NFC (so decomposed Vietnamese finds its glyphs), turns tabs and
    line breaks into spaces, drops control and invisible format characters, and
    replaces what the fonts cannot draw by U+FFFD.
    """
    text = unicodedata.normalize("NFC", str(value))
    printable = fonts().printable
    if printable.issuperset(text):
        return text
    out = []
    for char in text:
        if char in printable:
            out.append(char)
        elif char in "\t\n\r\v\f\x85\u2028\u2029":
            out.append(" ")
        elif unicodedata.category(char) in DROPPED_CATEGORIES:
            continue
        else:
            out.append(REPLACEMENT)
    return "".join(out)
