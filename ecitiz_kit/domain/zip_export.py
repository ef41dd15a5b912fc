"""The ZIP bundle of the staff request list: the CSV export, and one folder per
request, named by its reference, holding its files.

What goes in each folder (its receipt, its documents, its attachments) is given
by the caller as ``(name, content)`` pairs, content being bytes or the path of a
stored file (copied in by pieces, never read whole). Every name inside the
archive is made safe here, whoever chose it:

- one path part per name: no ``/`` or ``\\``, no ``..``, no absolute path, no
  drive letter, no control or format character, nothing a file system refuses
  (``<>:"|?*``, a reserved device name such as ``CON``, a trailing dot);
- two files of one folder never share a name, even differing only in case:
  the later ones become ``name (2).pdf``, ``name (3).pdf``…

The archive is written in one pass over the rows: each request's folder as it
comes, the CSV into a temporary file beside, added last.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from ..forms.definitions import FormDefinition
from .exports import csv_chunks

log = logging.getLogger(__name__)

#: Requests written between two calls of ``progress`` (each may hold several
#: large files: the lease must be renewed well within its 60 s).
PROGRESS_EVERY = 10
#: The longest name kept for one part of a path inside the archive.
MAX_PART = 120

Content = bytes | Path | None
_UNSAFE = re.compile(r'[<>:"/\\|?*]')
_RESERVED = re.compile(r"(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?", re.IGNORECASE)


def safe_part(name: str, fallback: str = "document") -> str:
    """``name`` as one harmless part of a path in an archive."""
    name = unicodedata.normalize("NFC", name or "")
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" .")
    if len(name) > MAX_PART:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = f"{stem[: MAX_PART - len(extension) - 1].rstrip(' .')}.{extension}"
        else:
            name = name[:MAX_PART].rstrip(" .")
    if _RESERVED.fullmatch(name):
        name = "_" + name
    return name or fallback


class Folder:
    """The names given so far in one folder of the archive."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._taken: set[str] = set()

    def path_for(self, name: str) -> str:
        """A path inside the archive for a file called ``name`` in this folder,
        unlike any given before (``name (2).ext`` otherwise)."""
        name = safe_part(name)
        stem, dot, extension = name.rpartition(".")
        if not dot or not stem:
            stem, dot, extension = name, "", ""
        candidate, number = name, 1
        while candidate.casefold() in self._taken:
            number += 1
            candidate = f"{stem} ({number}){dot}{extension}"
        self._taken.add(candidate.casefold())
        return f"{self.name}/{candidate}"


def write_bundle(
    target: BinaryIO | str | Path,
    rows: Iterable[Mapping[str, Any]],
    forms: Mapping[str, tuple[FormDefinition, str]],
    lang: str,
    timezone: str,
    *,
    contents: Callable[[Mapping[str, Any]], Iterable[tuple[str, Content]]],
    csv_name: str = "requests.csv",
    progress: Callable[[int], None] | None = None,
    tmpdir: str | Path | None = None,
) -> int:
    """Write the bundle of ``rows`` to ``target``; return how many requests it
    holds. ``contents(row)`` names a request's files; ``progress`` is called with
    the count every :data:`PROGRESS_EVERY` requests (it may raise to stop)."""
    folders: set[str] = set()
    count = 0
    with (
        tempfile.TemporaryFile("w+", encoding="utf-8", newline="", dir=tmpdir) as text,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive,
    ):

        def each(rows: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
            nonlocal count
            for row in rows:
                folder = Folder(_folder_name(row["reference"], folders))
                for name, content in contents(row):
                    _add(archive, folder.path_for(name), content)
                count += 1
                if progress is not None and count % PROGRESS_EVERY == 0:
                    progress(count)
                yield row

        for chunk in csv_chunks(each(rows), forms, lang, timezone):
            text.write(chunk)
        text.seek(0)
        with archive.open(_info(safe_part(csv_name, "requests.csv")), "w") as out:
            for piece in iter(lambda: text.read(64 * 1024), ""):
                out.write(piece.encode("utf-8"))
    return count


def _folder_name(reference: str, taken: set[str]) -> str:
    name = safe_part(reference, "request")
    candidate, number = name, 1
    while candidate.casefold() in taken:
        number += 1
        candidate = f"{name} ({number})"
    taken.add(candidate.casefold())
    return candidate


def _info(path: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, datetime.now().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16  # readable by whoever unpacks it only
    return info


def _add(archive: zipfile.ZipFile, path: str, content: Content) -> None:
    if content is None:
        # A file whose request is being deleted: the rest of the bundle goes on.
        log.warning("a stored file is gone; %s left out of the export", path)
        return
    if isinstance(content, bytes):
        archive.writestr(_info(path), content)
        return
    try:
        source = content.open("rb")
    except FileNotFoundError:
        # A file whose request is being deleted: the rest of the bundle goes on.
        log.warning("stored file %s is gone; left out of the export", content.name)
        return
    with source, archive.open(_info(path), "w") as out:
        shutil.copyfileobj(source, out, 64 * 1024)
