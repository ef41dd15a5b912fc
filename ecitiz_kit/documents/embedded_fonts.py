"""Fonts subset once per set of character blocks and embedded as they are.

fpdf2 subsets every TrueType font again for each PDF it writes (fontTools, about
5 ms a font) and builds a 128 kB glyph map for it. Nearly every attestation and
receipt is written with the same few blocks of characters (French text, now and
then a Vietnamese name), so the subset of those blocks is made once per process
(:func:`prepare`) and each PDF embeds it as it is, with the small tables that do
depend on the document: the widths, the glyph map and the Unicode map of the
characters it uses (:class:`OutputProducer`).

The result is an ordinary embedded TrueType subset (``CIDFontType2``), holding the
whole blocks rather than only the glyphs used: about 15 kB more per PDF.
"""

from __future__ import annotations

import copy
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
from types import MappingProxyType
from typing import Any

from fontTools import subset
from fontTools.ttLib import TTFont
from fpdf.fonts import TTFFont
from fpdf.output import CIDSystemInfo, PDFFont
from fpdf.output import OutputProducer as FPDFOutputProducer
from fpdf.syntax import Name, PDFArray, PDFContentStream

# The tables fpdf2 drops from the fonts it embeds (PDF viewers do not use them).
_DROPPED_TABLES = (
    "FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "sbix", "CBDT",
    "CBLC", "EBDT", "EBLC", "EBSC", "SVG ", "CPAL", "COLR", "kern",
)  # fmt: skip


@dataclass(frozen=True)
class Embedding:
    """A font subset ready to embed: its compressed bytes and its glyph ids."""

    compressed: bytes
    length: int  # of the uncompressed font file
    glyph_ids: MappingProxyType[str, int]  # glyph name -> id in this subset


def prepare(data: bytes, unicodes: Iterable[int]) -> Embedding:
    """Subset the font file ``data`` to ``unicodes``, ready to embed in any PDF."""
    font = TTFont(BytesIO(data), recalcTimestamp=False)
    options = subset.Options()
    options.notdef_outline = True
    options.recommended_glyphs = True
    options.layout_features = []
    options.name_IDs = ["*"]  # copyright and licence stay with the glyphs
    options.name_languages = ["*"]
    options.drop_tables += list(_DROPPED_TABLES)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=list(unicodes))
    subsetter.subset(font)
    # Glyph names are read before saving: the saved file drops them (post
    # table format 3), as the fonts fpdf2 embeds do.
    glyph_ids = {name: gid for gid, name in enumerate(font.getGlyphOrder())}
    out = BytesIO()
    font.save(out)
    raw = out.getvalue()
    return Embedding(zlib.compress(raw), len(raw), MappingProxyType(glyph_ids))


class OutputProducer(FPDFOutputProducer):
    """fpdf2's PDF writer, writing fonts whose ``ttfont`` is an :class:`Embedding`
    from that embedding instead of subsetting them again."""

    def _add_fonts(self, *resources: Any) -> dict[int, Any]:
        registry = self.fpdf.fonts  # the document's own dict: fpdf2 reads it here
        prepared = {
            key: font
            for key, font in registry.items()
            if isinstance(font, TTFFont) and isinstance(font.ttfont, Embedding)
        }
        for key in prepared:
            del registry[key]
        try:
            written = super()._add_fonts(*resources)
        finally:
            registry.update(prepared)
        for font in sorted(prepared.values(), key=lambda font: font.i):
            written[font.i] = self._add_prepared_font(font)
            # As fpdf2 does once a font is written: these caches would otherwise
            # keep every document's glyph map alive.
            font.subset.pick.cache_clear()
            font.subset.get_glyph.cache_clear()
        return written

    def _add_prepared_font(self, font: TTFFont) -> PDFFont:
        # The same objects fpdf2 writes for a TrueType font (see its _add_fonts),
        # from the prepared subset.
        embedding: Embedding = font.ttfont
        used = [(glyph, cid) for glyph, cid in font.subset.items() if glyph is not None]
        fontname = f"MPDFAA+{font.name}"
        composite = PDFFont(subtype="Type0", base_font=fontname, encoding="Identity-H")
        self._add_pdf_obj(composite, "fonts")
        cid_font = PDFFont(
            subtype="CIDFontType2",
            base_font=fontname,
            d_w=font.desc.missing_width,
            w=_widths({cid: glyph.glyph_width for glyph, cid in used}),
        )
        self._add_pdf_obj(cid_font, "fonts")
        composite.descendant_fonts = PDFArray([cid_font])

        to_unicode = PDFContentStream(
            _to_unicode_cmap(used).encode("latin-1"), compress=True
        )
        self._add_pdf_obj(to_unicode, "fonts")
        composite.to_unicode = to_unicode

        system_info = CIDSystemInfo()
        self._add_pdf_obj(system_info, "fonts")
        cid_font.c_i_d_system_info = system_info

        # A copy: the parsed font's descriptor is shared by every document.
        descriptor = copy.copy(font.desc)
        descriptor.font_name = Name(fontname)
        self._add_pdf_obj(descriptor, "fonts")
        cid_font.font_descriptor = descriptor

        glyph_map = bytearray(2 * (max((cid for _, cid in used), default=0) + 1))
        for glyph, cid in used:
            gid = embedding.glyph_ids.get(glyph.glyph_name, 0)
            glyph_map[2 * cid : 2 * cid + 2] = gid.to_bytes(2, "big")
        cid_to_gid = PDFContentStream(bytes(glyph_map), compress=True)
        self._add_pdf_obj(cid_to_gid, "fonts")
        cid_font.c_i_d_to_g_i_d_map = cid_to_gid

        font_file = PDFContentStream(embedding.compressed)
        font_file.filter = Name("FlateDecode")
        font_file.length1 = embedding.length  # type: ignore[attr-defined]
        self._add_pdf_obj(font_file, "fonts")
        descriptor.font_file2 = font_file  # type: ignore[attr-defined]
        return composite


def _to_unicode_cmap(used: list[tuple[Any, int]]) -> str:
    """The ToUnicode CMap that makes the text extractable and searchable."""
    lines = []
    for glyph, cid in used:
        if isinstance(glyph.unicode, tuple) and glyph.unicode:
            target = "".join(_utf16_hex(code) for code in glyph.unicode)
            lines.append(f"<{cid:04X}> <{target}>\n")
    return (
        "/CIDInit /ProcSet findresource begin\n"
        "12 dict begin\n"
        "begincmap\n"
        "/CIDSystemInfo\n"
        "<</Registry (Adobe)\n"
        "/Ordering (UCS)\n"
        "/Supplement 0\n"
        ">> def\n"
        "/CMapName /Adobe-Identity-UCS def\n"
        "/CMapType 2 def\n"
        "1 begincodespacerange\n"
        "<0000> <FFFF>\n"
        "endcodespacerange\n"
        + "".join(
            f"{len(lines[i : i + 100])} beginbfchar\n{''.join(lines[i : i + 100])}"
            "endbfchar\n"
            for i in range(0, len(lines), 100)  # at most 100 a block (Adobe TN 5014)
        )
        + "endcmap\n"
        "CMapName currentdict /CMap defineresource pop\n"
        "end\n"
        "end"
    )


def _utf16_hex(code: int) -> str:
    if code > 0xFFFF:  # a surrogate pair
        high = 0xD800 | (code - 0x10000) >> 10
        low = 0xDC00 | (code & 0x3FF)
        return f"{high:04X}{low:04X}"
    return f"{code:04X}"


def _widths(widths: dict[int, int]) -> str:
    """The ``W`` array of a CID font: ``first [w1 w2 ...]`` per run of codes."""
    runs: list[list[int]] = []
    for cid in sorted(widths):
        if runs and cid == runs[-1][0] + len(runs[-1]) - 1:
            runs[-1].append(widths[cid])
        else:
            runs.append([cid, widths[cid]])
    parts = [f"{run[0]} [{' '.join(str(int(w)) for w in run[1:])}]" for run in runs]
    return f"[{' '.join(parts)}]"
