"""The CSV export of an organisation's audit log, written as it is read.

Like the request export (:mod:`.exports`): UTF-8 with a byte order mark, ``;``
between cells in French and ``,`` in English, times in the kit's time zone, and
any cell a spreadsheet would run as a formula made inert.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..i18n import gettext
from .exports import BOM, ROWS_PER_CHUNK, delimiter, neutralise


def audit_csv_chunks(
    entries: Iterable[Mapping[str, Any]], lang: str, timezone: str
) -> Iterator[str]:
    """``entries`` (as the store lists them) as CSV text, a few hundred per chunk;
    the header goes first, before any entry is read."""
    zone = ZoneInfo(timezone)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter(lang), lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(
        [
            gettext("Date", lang),
            gettext("Person", lang),
            gettext("Action", lang),
            gettext("Subject", lang),
            gettext("Details", lang),
            gettext("IP address", lang),
        ]
    )
    pending = 0
    for entry in entries:
        moment = datetime.fromisoformat(entry["created_at"]).astimezone(zone)
        detail = entry["detail"]
        cells = [
            moment.isoformat(" ", "seconds")[:19],
            entry["actor"],
            entry["action"],
            entry["subject"] or "",
            json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else "",
            entry["address"] or "",
        ]
        writer.writerow([neutralise(cell) for cell in cells])
        pending += 1
        if pending == ROWS_PER_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()
