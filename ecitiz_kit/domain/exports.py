"""The CSV export of the staff request list, written row by row as it is read.

What a spreadsheet program needs to open the file right, and what keeps it safe:

- UTF-8 with a byte order mark first, so Excel reads accents instead of guessing a
  legacy code page;
- in French, ``;`` between cells and a decimal comma, as French spreadsheets
  expect (a comma-separated file opens there as one column); in English, ``,``
  and a decimal point. Dates are ``YYYY-MM-DD``, times ``YYYY-MM-DD HH:MM`` in the
  kit's time zone;
- one column per question: the fixed columns (reference, form, status, received,
  last change), then the fields of every form in the export, in form order. Forms
  sharing a question (same field name, type and label) share its column; the
  others leave it empty. So an export of several forms is the union of their
  columns, and an export of one form has exactly its own;
- a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
  is prefixed with ``'``: a spreadsheet would otherwise run it as a formula
  (OWASP "CSV injection"). Answers are exported as stored, unmasked (the IBAN in
  full: staff pay the aid with it). Invisible format characters in answers (a
  right-to-left override…) are written out as ``<U+202E>``, as on the staff pages.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .. import lifecycle
from ..forms.definitions import Computed, Field, FormDefinition
from ..forms.validators import reveal_format_characters
from ..i18n import gettext, text

#: First characters that make a spreadsheet read a cell as a formula.
DANGEROUS_STARTS = frozenset(("=", "+", "-", "@", "\t", "\r"))
BOM = "\ufeff"
#: Rows written into each piece of text sent.
ROWS_PER_CHUNK = 200
_NUMBERS = ("money", "number", "percentage_drop")


def neutralise(cell: str) -> str:
    """``cell`` made inert for spreadsheets (``'`` before a formula start)."""
    return "'" + cell if cell[:1] in DANGEROUS_STARTS else cell


def delimiter(lang: str) -> str:
    """The cell separator spreadsheets expect in ``lang``."""
    return ";" if lang == "fr" else ","


class Layout:
    """The columns of an export of some forms, and where each answer goes.

    ``forms`` maps each form id to its definition and its title.
    """

    FIXED = 5

    def __init__(
        self, forms: Mapping[str, tuple[FormDefinition, str]], lang: str
    ) -> None:
        self.lang = lang
        self.titles = {form_id: title for form_id, (_d, title) in forms.items()}
        self.statuses = {s: lifecycle.status_name(s, lang) for s in lifecycle.STATUSES}
        self.headers = [
            gettext("Reference", lang),
            gettext("Form", lang),
            gettext("Status", lang),
            gettext("Received", lang),
            gettext("Last change", lang),
        ]
        #: The question type of each column (None: a fixed column).
        self.kinds: list[str | None] = [None] * self.FIXED
        columns: dict[tuple[str, str, str], int] = {}
        #: form id -> (column index, field name, converter) for each question
        self.slots: dict[str, list[tuple[int, str, Callable[[Any], str]]]] = {}
        for form_id in sorted(forms):
            definition = forms[form_id][0]
            slots = self.slots[form_id] = []
            for question in _questions(definition):
                label = text(question.label, lang)
                key = (question.name, question.type, label)
                if key not in columns:
                    columns[key] = len(self.headers)
                    self.headers.append(label)
                    self.kinds.append(question.type)
                slots.append((columns[key], question.name, self.converter(question)))

    def cells(self, row: Mapping[str, Any], timezone: ZoneInfo) -> list[str]:
        """The cells of one stored request (a row with its ``answers``)."""
        cells = [""] * len(self.headers)
        cells[: self.FIXED] = [
            row["reference"],
            self.titles.get(row["form_id"], row["form_id"]),
            self.statuses.get(row["status"], row["status"]),
            _local(row["created_at"], timezone),
            _local(row["updated_at"], timezone),
        ]
        answers = row["answers"]
        if isinstance(answers, str):
            answers = json.loads(answers)
        for index, name, convert in self.slots.get(row["form_id"], ()):
            value = answers.get(name)
            if value is not None and value != "" and value != []:
                cells[index] = reveal_format_characters(convert(value))
        return cells

    def converter(self, question: Field | Computed) -> Callable[[Any], str]:
        """How answers to ``question`` read in a cell: machine-readable, in the
        export's language (chosen once per question, used on every row)."""
        kind = question.type
        if kind in ("checkbox", "consent"):
            yes, no = gettext("Yes", self.lang), gettext("No", self.lang)
            return lambda value: yes if value else no
        if kind == "choice" and isinstance(question, Field):
            labels = {o.value: text(o.label, self.lang) for o in question.options or ()}
            return lambda value: labels.get(value) or _plain(value)
        if kind in _NUMBERS and self.lang == "fr":
            return lambda value: _plain(value).replace(".", ",")
        return _plain


def _plain(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def csv_chunks(
    rows: Iterable[Mapping[str, Any]],
    forms: Mapping[str, tuple[FormDefinition, str]],
    lang: str,
    timezone: str,
    rows_per_chunk: int | None = None,
) -> Iterator[str]:
    """The export of ``rows`` as CSV text, a few hundred rows per chunk.

    The first chunk starts with the byte order mark and the header line, so it
    can be sent before any row is read; ``rows`` is consumed as chunks are asked
    for.
    """
    rows_per_chunk = rows_per_chunk or ROWS_PER_CHUNK
    layout = Layout(forms, lang)
    zone = ZoneInfo(timezone)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter(lang), lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([neutralise(h) for h in layout.headers])
    pending = 0
    danger = DANGEROUS_STARTS
    for row in rows:
        writer.writerow(
            ["'" + c if c[:1] in danger else c for c in layout.cells(row, zone)]
        )
        pending += 1
        if pending == rows_per_chunk:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()


def _questions(definition: FormDefinition) -> Iterator[Field | Computed]:
    """The fields of a definition in order, each computed value after the field it
    is computed to (as summaries show them)."""
    after = {c.to_field: c for c in definition.computed}
    for item in definition.fields:
        yield item
        if item.name in after:
            yield after[item.name]


def _local(value: str, timezone: ZoneInfo) -> str:
    # fromisoformat reads the stored stamps (``…Z``) many times faster than
    # strptime, which matters at a hundred thousand rows.
    moment = datetime.fromisoformat(value).astimezone(timezone)
    return moment.isoformat(" ", "minutes")[:16]
