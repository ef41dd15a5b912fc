"""The bundled Unicode fonts of the kit's PDFs, parsed once and embedded small.

fpdf2 parses a TTF for every document and subsets it again when writing, which
would dominate the generation time: so each font is parsed once per process, every
document gets a light copy of it (:func:`install_fonts`), and what a document
embeds is cut to the blocks of characters it uses (:func:`output_pdf`): for the
common blocks (French text, Vietnamese names) a subset made once per process and
embedded as it is (see :mod:`.embedded_fonts`), for the rarer ones a subset of
the glyphs the document uses, made by fpdf2.
"""

from __future__ import annotations

import functools
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

from ..assets import asset_dir
from .embedded_fonts import Embedding, OutputProducer, prepare

FONT_FILES = {"": "DejaVuSans-subset.ttf", "B": "DejaVuSans-Bold-subset.ttf"}
FAMILY = "dejavu"
# Control, format (zero-width, bidi overrides, BOM), surrogate, private-use and
# unassigned characters: invisible or dangerous in print, so they are removed.
DROPPED_CATEGORIES = frozenset(
    {"Cc", "Cf", "Cs", "Co", "Cn"}
)  # The bundled subsets cut into blocks, (first, last) code points inclusive. A
# document embeds the glyphs it uses, and fpdf2 finds them by subsetting the font
# it was given, at a cost that grows with that font's glyph count: so each
# document hands fpdf2 only the blocks its text touches (see _embed_fonts).
_BLOCKS: dict[str, tuple[tuple[int, int], ...]] = {
    # French and Western European text as phones type it.
    "common": (
        (0x0020, 0x007E),
        (0x00A0, 0x00FF),
        (0x0152, 0x0153),  # Œ œ
        (0x0178, 0x0178),  # Ÿ
        (0x2009, 0x2011),  # thin spaces, hyphens
        (0x2013, 0x2014),  # – —
        (0x2018, 0x201E),  # ‘ ’ ‚ “ ” „
        (0x2022, 0x2022),  # •
        (0x2026, 0x2026),  # …
        (0x202F, 0x202F),  # narrow no-break space (Babel's French formats)
        (0x2039, 0x203A),  # ‹ ›
        (0x20AC, 0x20AC),  # €
        (0x2116, 0x2116),  # №
        (0x2122, 0x2122),  # ™
        (0x2212, 0x2212),  # −
        (0xFFFD, 0xFFFD),
    ),
    "latin-ext-a": ((0x0100, 0x017F),),
    "latin-ext-b": ((0x0180, 0x024F), (0x02B0, 0x036F)),
    "vietnamese": ((0x1E00, 0x1EFF),),
    "symbols": ((0x2000, 0x21FF), (0x2200, 0x27BF)),
}
# Blocks whose subset is made once and embedded whole: what nearly every document
# uses, small enough that embedding all of it costs about 15 kB. A document
# using other blocks gets a subset of its own glyphs (fpdf2's, slower).
PREPARED_BLOCKS = frozenset({"common", "latin-ext-a", "vietnamese"})


@dataclass(frozen=True)
class _Fonts:
    parsed: dict[str, TTFFont]  # style -> font parsed once, never written to
    data: dict[str, bytes]  # style -> font file bytes
    printable: frozenset[str]  # characters every bundled style can draw


def font_dir() -> Path:
    """The folder holding the bundled TTF subsets and their licence."""
    return asset_dir("static") / "fonts"


@functools.cache
def fonts() -> _Fonts:
    """The bundled fonts, read and parsed once per process."""
    folder = font_dir()
    parsed: dict[str, TTFFont] = {}
    data: dict[str, bytes] = {}
    for style, name in FONT_FILES.items():
        data[style] = (folder / name).read_bytes()
        loader = FPDF()
        loader.add_font(FAMILY, style, folder / name)
        parsed[style] = loader.fonts[f"{FAMILY}{style}"]
        # Everything fpdf2 needs from the file is now in Python objects; each
        # document opens its own fontTools object (see _install_fonts).
        parsed[style].ttfont.close()
    common = set.intersection(*(set(font.cmap) for font in parsed.values()))
    printable = frozenset(
        chr(cp)
        for cp in common
        if unicodedata.category(chr(cp)) not in DROPPED_CATEGORIES
    )
    return _Fonts(parsed=parsed, data=data, printable=printable)


def install_fonts(pdf: FPDF) -> None:
    """Give ``pdf`` its own copy of each bundled font without re-parsing the TTF.

    What fpdf2 only reads while laying out (cmap, glyph ids, descriptor) is
    shared; what it writes is fresh per document: the widths (a defaultdict, which
    grows on lookups), the map of used glyphs, and the fontTools object, which
    ``output()`` subsets in place. Laying out plain text never reads that object,
    so it is only opened by ``_embed_fonts``, once the glyphs are known.
    """
    for proto in fonts().parsed.values():
        font = TTFFont.__new__(TTFFont)
        for slot in TTFFont.__slots__:
            if hasattr(proto, slot):
                setattr(font, slot, getattr(proto, slot))
        font.i = len(pdf.fonts) + 1
        font.ttfont = None  # see _embed_fonts
        font.cw = defaultdict(proto.cw.default_factory, proto.cw)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font.subset = SubsetMap(font)
        pdf.fonts[font.fontkey] = font


def output_pdf(pdf: FPDF) -> bytes:
    """The document's bytes, its fonts embedded as small as its text allows."""
    _embed_fonts(pdf)
    return bytes(pdf.output(output_producer_class=OutputProducer))


def _embed_fonts(pdf: FPDF) -> None:
    """Give each font the font file to embed, cut to the blocks its glyphs need.

    Within the prepared blocks that is an :class:`Embedding` made once per set
    of blocks; otherwise a font of those blocks (the whole bundled file for
    characters in none) that fpdf2 subsets by glyph name when it writes the PDF:
    the block fonts keep the bundled file's glyph names and metrics, so the
    embedded glyphs are the same, found in a font of a few hundred glyphs instead
    of 1,400.
    """
    for style in FONT_FILES:
        font = pdf.fonts.get(f"{FAMILY}{style}")
        if not isinstance(font, TTFFont):
            continue
        used: set[int] = set()
        for glyph, _ in font.subset.items():
            if glyph is not None:
                used.update(glyph.unicode)
        used.discard(0)
        blocks = _blocks_for(used)
        if blocks is not None and blocks <= PREPARED_BLOCKS:
            font.ttfont = _prepared(style, blocks or frozenset({"common"}))
            continue
        font.ttfont = TTFont(
            BytesIO(_block_font(style, blocks)),
            # The bundled files' boxes are right, and recomputing them would
            # decompile every glyph of the subset (half the output time).
            recalcBBoxes=False,
            recalcTimestamp=False,
            lazy=True,
        )


@functools.lru_cache(maxsize=16)
def _prepared(style: str, blocks: frozenset[str]) -> Embedding:
    """The bundled font of ``style`` cut to ``blocks``, ready to embed."""
    return prepare(fonts().data[style], _code_points(blocks))


def _code_points(blocks: frozenset[str]) -> list[int]:
    return [
        cp
        for name in sorted(blocks)
        for first, last in _BLOCKS[name]
        for cp in range(first, last + 1)
    ]


def _blocks_for(code_points: set[int]) -> frozenset[str] | None:
    """The blocks covering ``code_points``; None if some point is in none of them."""
    chosen = set()
    for cp in code_points:
        for name, ranges in _BLOCKS.items():
            if any(first <= cp <= last for first, last in ranges):
                chosen.add(name)
                break
        else:
            return None
    return frozenset(chosen)


@functools.lru_cache(maxsize=128)
def _block_font(style: str, blocks: frozenset[str] | None) -> bytes:
    """The bundled font cut down to ``blocks`` (the whole file for None)."""
    data = fonts().data[style]
    if blocks is None:
        return data
    font = TTFont(BytesIO(data), recalcTimestamp=False)
    options = subset.Options()
    options.glyph_names = True  # fpdf2 finds glyphs by name
    options.notdef_outline = True
    options.recommended_glyphs = True
    options.layout_features = []
    options.name_IDs = ["*"]  # copyright and licence stay with the glyphs
    options.name_languages = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=_code_points(blocks))
    subsetter.subset(font)
    out = BytesIO()
    font.save(out)
    return out.getvalue()
