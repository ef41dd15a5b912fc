"""Uploaded files: how many, how big, their real type, and a name safe to show."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import filetype
from babel.numbers import format_decimal
from wtforms.validators import StopValidation

from ..i18n import current_language, gettext, ngettext

_FILE_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
MAX_FILENAME = 120
#: What looks like an extension at the end of a name (``Mr. Smith`` has none).
_EXTENSION = re.compile("[A-Za-z0-9]{1,10}")
#: Extensions that name the same type as the one the type is saved under.
_SYNONYMS = {"jpg": {"jpg", "jpeg"}}

#: Room for the multipart headers of each file part.
FILE_PART_OVERHEAD = 1024


def largest_submission(config: Mapping[str, Any]) -> int:
    """The most bytes a submission with files may take, as the ``ECITIZ_*``
    settings in ``config`` allow: its text and the most files of the largest size."""
    per_file = config["ECITIZ_MAX_FILE_SIZE"] + FILE_PART_OVERHEAD
    size: int = config["ECITIZ_MAX_FORM_SIZE"] + config["ECITIZ_MAX_FILES"] * per_file
    return size


@dataclass
class Upload:
    """A checked uploaded file, ready to store."""

    field: str
    filename: str  # display name: no path, no control characters, never empty,
    # and the extension of the detected type
    content_type: str  # detected from the bytes, never from the name or the browser
    size: int
    data: bytes


def clean_filename(name: str | None) -> str:
    """A file name safe to display: last path part, no control or format
    characters, at most 120 characters, ``document`` when nothing is left."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = name.strip(" .")
    if len(name) > MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            keep = MAX_FILENAME - len(extension) - 1
            name = f"{stem[:keep].rstrip(' .')}.{extension}"
        else:
            name = name[:MAX_FILENAME].rstrip(" .")
    return name or "document"


def name_for_type(filename: str, content_type: str) -> str:
    """``filename`` with the extension of the type its bytes are, whatever
    extension the applicant gave it: ``poly.html`` holding a PDF becomes
    ``poly.pdf``, so that nobody opens it from a disk as a web page."""
    kind = filetype.get_type(mime=content_type)
    extension = kind.extension if kind is not None else "bin"
    stem, dot, current = filename.rpartition(".")
    if dot and stem and _EXTENSION.fullmatch(current):
        if current.lower() in _SYNONYMS.get(extension, {extension}):
            return filename
    else:
        stem = filename
    stem = stem[: MAX_FILENAME - len(extension) - 1].rstrip(" .") or "document"
    return f"{stem}.{extension}"


class FileCheck:
    """Uploaded files: how many, how big, and their real type (magic bytes).

    The form carries the global caps as ``upload_caps`` (size, count); the smaller
    of the cap and the definition's limit applies.
    """

    def __init__(
        self, accept: Sequence[str], max_size: int, min_files: int, max_files: int
    ) -> None:
        self.accept = tuple(accept)
        self.max_size, self.min_files, self.max_files = max_size, min_files, max_files

    def __call__(self, form: Any, field: Any) -> None:
        cap_size, cap_files = getattr(
            form, "upload_caps", (self.max_size, self.max_files)
        )
        max_size, max_files = (
            min(self.max_size, cap_size),
            min(self.max_files, cap_files),
        )
        # Browsers send an empty part with an empty name for an unused file input.
        parts = [p for p in field.data or [] if getattr(p, "filename", None)]
        # Files kept from an earlier try (or a draft) count as sent.
        kept = getattr(form, "kept_counts", {}).get(field.name, 0)
        if len(parts) + kept < self.min_files:
            raise StopValidation(
                ngettext("Add a file.", "Add at least %(num)s files.", self.min_files)
            )
        if len(parts) + kept > max_files:
            raise StopValidation(
                ngettext(
                    "Send only one file.", "Send %(num)s files at most.", max_files
                )
            )
        field.data = [self.check(field.name, part, max_size) for part in parts]

    def check(self, name: str, part: Any, max_size: int) -> Upload:
        filename = clean_filename(part.filename)
        data = part.stream.read(max_size + 1)
        if len(data) > max_size:
            raise StopValidation(
                gettext(
                    "The file “%(name)s” is too big: send a file of %(size)s at most.",
                    name=filename,
                    size=_size(max_size),
                )
            )
        if not data:
            raise StopValidation(
                gettext("The file “%(name)s” is empty: choose it again.", name=filename)
            )
        kind = filetype.guess(data)
        if kind is None or kind.mime not in self.accept:
            types = ", ".join(_FILE_NAMES[mime] for mime in self.accept)
            raise StopValidation(
                gettext(
                    "The file “%(name)s” is not really in an accepted format "
                    "(%(types)s), whatever its name says: send a file in one of "
                    "these formats.",
                    name=filename,
                    types=types,
                )
            )
        return Upload(
            name, name_for_type(filename, kind.mime), kind.mime, len(data), data
        )


def _size(size: int) -> str:
    lang = current_language()
    if size >= 1024 * 1024:
        value = format_decimal(round(size / (1024 * 1024), 1), locale=lang)
        return gettext("%(value)s MB", value=value)
    return gettext(
        "%(value)s KB", value=format_decimal(max(1, size // 1024), locale=lang)
    )
