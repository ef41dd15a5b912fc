"""How tall a plain ``<iframe>`` must be to show a whole form, or an organisation's
counter, without scrolling.

A frame without the loader cannot resize itself, so its snippet fixes a height.
It is worked out from the definition: each part of the form page takes the room
``static/ecitiz.css`` gives it on a phone 360 pixels wide, where the page is at
its tallest (wider screens leave some room below the form instead). Texts are
counted in lines of a cautious number of characters, in the longer of the two
languages, and some room is added for the messages of a refused answer. The
browser tests measure the ready-made forms against this estimate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..forms.conditions import condition_words
from ..forms.definitions import Field, FormDefinition, Section, Text
from ..i18n import text

#: One line of body text, in pixels (16 px at line-height 1.5).
LINE = 24
#: Characters that fit on one line of the 328 pixels of a 360-pixel frame: of a
#: bold label, of a hint, beside a checkbox or radio button, of the page title.
LABEL_CHARS = 32
HINT_CHARS = 40
CHOICE_CHARS = 30
TITLE_CHARS = 22
TITLE_LINE = 30
#: The page around the form: language links, organisation name, the "all fields
#: are required" hint, the send button and the lost-link line.
PAGE = 290
#: A section's heading and the space below it; a field's label and input.
SECTION = 76
INPUT = 72
#: The counter: its page with the "my requests" form, one procedure's box with
#: its start button and a line on when it opens or closes, and the characters
#: on a line inside that box, of its title and of its text.
COUNTER_PAGE = 540
PROCEDURE = 170
BOX_TITLE_CHARS = 22
BOX_CHARS = 34
#: What a question under a condition adds besides its words: the margins of
#: the block that sets it off.
CONDITION = 32
#: A form in steps: the "Step 2 of 7" line and the page's heading; the "Back"
#: button; on the check page, a page's heading, and what a listed answer adds
#: to its label (its value on one line, the "Change" button, the rule below).
STEP = 84
BACK = 64
CHECK_PAGE = 56
CHECK_ROW = 62
#: Room for the error summary and messages after a refused answer.
ERRORS = 0.05
LANGUAGES = ("fr", "en")


def fitting_height(definition: FormDefinition, heading: bool = True) -> int:
    """The frame height, in pixels, that shows the whole form on a phone."""
    return max(_page(definition, lang, heading) for lang in LANGUAGES)


def counter_height(definitions: Sequence[FormDefinition], heading: bool = True) -> int:
    """The frame height, in pixels, that shows on a phone a counter listing the
    procedures ``definitions`` describe."""
    return max(_counter(definitions, lang, heading) for lang in LANGUAGES)


def _counter(definitions: Sequence[FormDefinition], lang: str, heading: bool) -> int:
    height = COUNTER_PAGE + (TITLE_LINE if heading else 0)
    for definition in definitions:
        height += PROCEDURE + _lines(definition.title, lang, BOX_TITLE_CHARS) * 29
        height += _lines(definition.summary, lang, BOX_CHARS) * LINE
        if definition.minutes:
            height += 2 * LINE + 14
        if definition.prepare:
            height += LINE + 14
            height += sum(
                _lines(item, lang, BOX_CHARS - 4) * LINE for item in definition.prepare
            )
    return _rounded(height)


def _page(definition: FormDefinition, lang: str, heading: bool) -> int:
    top = PAGE + (_lines(definition.title, lang, TITLE_CHARS) * TITLE_LINE)
    if not heading:
        top = PAGE
    intro = _lines(definition.intro, lang, HINT_CHARS) * LINE
    if not definition.pages:
        return _rounded(
            top
            + intro
            + sum(_section(definition, s, lang) for s in definition.sections)
        )
    # A form in steps: its tallest step, one of its pages or the check page.
    tallest = 0
    for number, step in enumerate(definition.pages):
        height = top + STEP + (intro if number == 0 else BACK)
        height += sum(
            _section(definition, s, lang)
            for s in definition.sections
            if s.id in step.sections
        )
        tallest = max(tallest, height)
    check = top + STEP + BACK + CHECK_PAGE * len(definition.pages)
    check += sum(
        _lines(f.label, lang, LABEL_CHARS) * LINE + CHECK_ROW for f in definition.fields
    )
    return _rounded(max(tallest, check))


def _rounded(height: float) -> int:
    return math.ceil(height * (1 + ERRORS) / 10) * 10


def _section(definition: FormDefinition, section: Section, lang: str) -> int:
    # Without JavaScript every question shows, with its condition in words.
    height = SECTION + _hint(section.help, lang, HINT_CHARS)
    if section.when is not None:
        height += _hint(
            condition_words(definition, section.when, lang), lang, HINT_CHARS
        )
    for field in section.fields:
        height += _field(field, lang)
        if field.when is not None:
            words = condition_words(definition, field.when, lang)
            height += _hint(words, lang, HINT_CHARS - 3) + CONDITION
    return height


def _field(field: Field, lang: str) -> int:
    label = _lines(field.label, lang, LABEL_CHARS) * LINE
    if field.type in ("checkbox", "consent"):
        return (
            _lines(field.label, lang, CHOICE_CHARS) * LINE
            + _hint(field.help, lang, CHOICE_CHARS)
            + 28
        )
    if field.type == "choice" and field.widget != "select":
        options = sum(
            _lines(option.label, lang, CHOICE_CHARS) * LINE + 12
            for option in field.options or ()
        )
        return label + _hint(field.help, lang, HINT_CHARS) + options + 28
    body = INPUT
    if field.type == "textarea":
        body = (field.rows or 5) * LINE + 56
    elif field.type == "date":
        body = INPUT + 4
    return label + _hint(field.help, lang, HINT_CHARS) + body


def _hint(value: Text | None, lang: str, chars: int) -> int:
    return _lines(value, lang, chars) * LINE + 8 if value else 0


def _lines(value: Text | None, lang: str, chars: int) -> int:
    """Lines ``value`` takes when wrapped at ``chars`` characters, word by word."""
    if not value:
        return 0
    lines, used = 1, 0
    for word in text(value, lang).split():
        if used and used + 1 + len(word) > chars:
            lines, used = lines + 1, len(word)
        else:
            used += len(word) + (1 if used else 0)
    return lines
