"""Make the DejaVu Sans subsets the PDFs embed (run by hand, output committed).

Why a subset: fpdf2 parses the whole TTF for every document, and the full DejaVu
Sans (760 KB, 6,000 glyphs) costs most of the generation time. French and
European names, Vietnamese names and the typography phones type (’ œ € — …) need
only the Latin blocks below, which keeps each file well under 200 KB.

Source: Debian's ``fonts-dejavu-core`` (2.37), licence in ``LICENSE-DejaVu.txt``
(the Bitstream Vera licence allows modified copies whose names contain neither
"Bitstream" nor "Vera"; "DejaVu" is kept, the file names say "subset").

Usage (from the repository root, with fontTools installed)::

    apt-get install fonts-dejavu-core
    python static/fonts/make_subset.py [/usr/share/fonts/truetype/dejavu]

Equivalent ``pyftsubset`` call, per font::

    pyftsubset DejaVuSans.ttf --unicodes=<RANGES below> --no-hinting \\
        --layout-features='' --drop-tables+=kern,GDEF,GPOS,GSUB,FFTM,MATH \\
        --notdef-outline --recommended-glyphs --name-IDs='*' \\
        --glyph-names --output-file=DejaVuSans-subset.ttf

(then keep only the (3, 1) cmap subtable, as ``make`` does).
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = Path("/usr/share/fonts/truetype/dejavu")

FONTS = {
    "DejaVuSans.ttf": "DejaVuSans-subset.ttf",
    "DejaVuSans-Bold.ttf": "DejaVuSans-Bold-subset.ttf",
}

# (first, last) code points, inclusive.
RANGES: list[tuple[int, int]] = [
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x00FF),  # Latin-1 Supplement (« » ° é ç ×)
    (0x0100, 0x017F),  # Latin Extended-A (œ Œ ł ő č)
    (0x0180, 0x024F),  # Latin Extended-B (ș ț ơ ư)
    (0x02B0, 0x02FF),  # Spacing Modifier Letters (ˆ ˇ ˘ ˙ ˚ ˛ ˜ ˝ ʼ)
    (0x0300, 0x036F),  # Combining Diacritical Marks (names typed decomposed)
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese: ễ ạ ữ …)
    (0x2000, 0x206F),  # General Punctuation (’ “ ” – — … • ‰ ‹ ›, spaces)
    (0x20A0, 0x20CF),  # Currency Symbols (€ …)
    (0x2100, 0x214F),  # Letterlike Symbols (№ ™ ℓ)
    (0x2150, 0x218F),  # Number Forms (⅓ ⅔ Ⅻ)
    (0x2190, 0x21FF),  # Arrows
    (0x2212, 0x2212),  # minus sign
    (0x2260, 0x2265),  # ≠ ≤ ≥
    (0x25A0, 0x25CF),  # squares and circles used as bullets (■ □ ● ○)
    (0x2713, 0x2717),  # check and cross marks
    (0xFFFD, 0xFFFD),  # replacement character, drawn for what the subset lacks
]


def unicodes() -> list[int]:
    """Every code point the subsets keep."""
    return [cp for first, last in RANGES for cp in range(first, last + 1)]


def options() -> subset.Options:
    """Subsetter options: outlines and metrics only, nothing fpdf2 does not use."""
    opts = subset.Options()
    # fpdf2 lays text out itself (no shaping by default) and drops these tables
    # when it embeds the font anyway; without them the file parses faster.
    opts.layout_features = []
    opts.drop_tables += ["kern", "GDEF", "GPOS", "GSUB", "FFTM", "MATH"]
    # Hinting only helps screen rendering at tiny sizes; it doubles the file.
    opts.hinting = False
    opts.notdef_outline = True
    opts.recommended_glyphs = True
    # Keep glyph names (post format 2): without them fontTools rebuilds names from
    # the cmap on every load, a third of the parse time.
    opts.glyph_names = True
    opts.name_IDs = ["*"]  # keep copyright, licence and version strings
    opts.name_languages = ["*"]
    return opts


def make(source_dir: Path) -> None:
    """Write each subset beside this script and print its size."""
    wanted = unicodes()
    for source_name, target_name in FONTS.items():
        font = TTFont(source_dir / source_name, recalcTimestamp=False)
        subsetter = subset.Subsetter(options())
        subsetter.populate(unicodes=wanted)
        subsetter.subset(font)
        # One cmap subtable is enough (Windows Unicode BMP, which every PDF reader
        # and fpdf2 use); the Unicode-platform twin only doubles the cmap parsing.
        cmap = font["cmap"]
        cmap.tables = [t for t in cmap.tables if (t.platformID, t.platEncID) == (3, 1)]
        target = HERE / target_name
        font.save(target)
        glyphs = len(font.getGlyphOrder())
        print(f"{target.name}: {target.stat().st_size} bytes, {glyphs} glyphs")


if __name__ == "__main__":
    make(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE)
