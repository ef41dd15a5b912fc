"""The XLSX export of the staff request list, written in constant memory.

The columns are those of the CSV export (:class:`~ecitiz_kit.domain.exports.Layout`),
but each cell has its type, so a spreadsheet sorts and sums without conversion:

- received and last change are date-times in the kit's time zone, answers to a
  date question are dates, each with a date format;
- amounts, numbers and the computed drop are numbers (amounts with two decimals);
- everything else is text, written as text: a value such as ``=HYPERLINK(…)``
  stays the characters it is and is never read as a formula.

XlsxWriter's ``constant_memory`` mode writes each row to a temporary file as soon
as it is complete, so memory does not grow with the rows; the workbook is put
together at the end, into ``target``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import xlsxwriter

from ..forms.definitions import FormDefinition
from ..i18n import gettext
from .exports import Layout

#: Rows written between two calls of ``progress``.
PROGRESS_EVERY = 500
#: The most rows under the header a spreadsheet program opens.
MAX_ROWS = 1_048_575
#: The most characters a cell holds (longer text is cut, as Excel would).
CELL_MAX = 32767
#: How the scratch folders of the rows being written begin.
SCRATCH_PREFIX = "xlsx-"
_DATES = ("date",)
_MONEY = ("money",)
_NUMBERS = ("number", "percentage_drop")


def write_xlsx(
    target: BinaryIO | str,
    rows: Iterable[Mapping[str, Any]],
    forms: Mapping[str, tuple[FormDefinition, str]],
    lang: str,
    timezone: str,
    *,
    progress: Callable[[int], None] | None = None,
    tmpdir: str | None = None,
) -> int:
    """Write the export of ``rows`` to ``target`` (a path or a binary file);
    return how many rows it has. ``progress`` is called with the count every
    :data:`PROGRESS_EVERY` rows (it may raise to stop the export)."""
    layout = Layout(forms, lang)
    zone = ZoneInfo(timezone)
    # XlsxWriter's row files go into a folder of their own, removed whatever
    # happens: an export stopped halfway leaves nothing behind.
    with tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX, dir=tmpdir) as scratch:
        workbook = xlsxwriter.Workbook(
            target,
            {
                "constant_memory": True,
                "in_memory": False,
                "tmpdir": scratch,
                # Only write_string() is used for text; these make sure no
                # other path ever turns a string into something else.
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        try:
            count = _write_sheet(workbook, layout, rows, zone, progress)
        except BaseException:
            # Close the row files so the folder can go (on any system).
            for sheet in workbook.worksheets():
                handle = getattr(sheet, "row_data_fh", None)
                if handle is not None:
                    handle.close()
            raise
        workbook.close()
    return count


def _write_sheet(
    workbook: Any,
    layout: Layout,
    rows: Iterable[Mapping[str, Any]],
    zone: ZoneInfo,
    progress: Callable[[int], None] | None,
) -> int:
    sheet = workbook.add_worksheet(gettext("Requests", layout.lang)[:31])
    bold = workbook.add_format({"bold": True})
    formats = {
        "moment": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "money": workbook.add_format({"num_format": "#,##0.00"}),
    }
    for column, header in enumerate(layout.headers):
        width = 18 if column in (3, 4) else min(max(len(header), 10), 40)
        sheet.set_column(column, column, width)
        sheet.write_string(0, column, header, bold)
    sheet.freeze_panes(1, 0)
    typed = _typed_slots(layout)
    count = 0
    for count, row in enumerate(rows, start=1):
        if count > MAX_ROWS:  # arrived since they were counted: left out
            count = MAX_ROWS
            break
        cells = layout.cells(row, zone)
        for column, cell in enumerate(cells):
            if cell:
                sheet.write_string(count, column, cell[:CELL_MAX])
        for column, moment in ((3, row["created_at"]), (4, row["updated_at"])):
            local = datetime.fromisoformat(moment).astimezone(zone)
            sheet.write_datetime(
                count, column, local.replace(tzinfo=None), formats["moment"]
            )
        answers = row["answers"]
        if isinstance(answers, str):
            answers = json.loads(answers)
        for column, name, kind in typed.get(row["form_id"], ()):
            _write_typed(sheet, count, column, kind, answers.get(name), formats)
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    sheet.autofilter(0, 0, max(count, 1), len(layout.headers) - 1)
    return count


def _typed_slots(layout: Layout) -> dict[str, list[tuple[int, str, str]]]:
    """form id -> (column, field name, type) of the answers written typed."""
    wanted = (*_DATES, *_MONEY, *_NUMBERS)
    return {
        form_id: [
            (column, name, kind)
            for column, name, _convert in slots
            if (kind := layout.kinds[column] or "") in wanted
        ]
        for form_id, slots in layout.slots.items()
    }


def _write_typed(
    sheet: Any,
    row: int,
    column: int,
    kind: str,
    value: Any,
    formats: Mapping[str, Any],
) -> None:
    """Overwrite a text cell with its typed value; an answer that does not read
    as its type (stored before a form changed) stays the text written."""
    if value is None or value == "" or isinstance(value, bool):
        return
    try:
        if kind in _DATES:
            sheet.write_datetime(
                row, column, date.fromisoformat(value), formats["date"]
            )
        elif kind in _MONEY:
            sheet.write_number(row, column, float(Decimal(value)), formats["money"])
        else:
            sheet.write_number(row, column, float(Decimal(str(value))))
    except (TypeError, ValueError, InvalidOperation):
        return
