"""Uploaded files kept in the database, for PostgreSQL: any host serves them.

The same interface as :class:`~ecitiz_kit.store.uploads.UploadArea`, the folder
SQLite uses, but nothing is written before the transaction: each staged
attachment carries its bytes, which the store writes with the row that holds
them (:func:`~ecitiz_kit.store.files.insert_files`), so a refused or failed
submission leaves nothing behind and a committed one has every file. The
database removes a file with the last row that holds it, so discarding is done
already.

Files a host wrote to its data folder before they moved into the database are
still served from there, and moved into the database by :meth:`recover`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .uploads import Staged, Upload, UploadArea

if TYPE_CHECKING:
    from . import Store

log = logging.getLogger(__name__)


class DatabaseFiles:
    """Uploaded files in the store's ``stored_files`` table."""

    def __init__(self, store: Store, folder: UploadArea) -> None:
        self.store = store
        #: Where files were kept before; read, and emptied by :meth:`recover`.
        self.folder = folder

    @contextmanager
    def staging(self, files: Iterable[Upload]) -> Iterator[Staged]:
        """The attachment rows of ``files``, each with its bytes (``data``) for
        the store to write in the block's transaction."""
        staged = Staged()
        for upload in files:
            staged.attachments.append(
                {
                    "field": upload.field,
                    "stored_name": UploadArea.new_name(),
                    "filename": upload.filename,
                    "content_type": upload.content_type,
                    "size": upload.size,
                    "sha256": hashlib.sha256(upload.data).hexdigest(),
                    "data": upload.data,
                }
            )
        yield staged

    def content(self, name: str) -> Path | bytes | None:
        """A stored file's bytes (or, if it is still in the old folder, its path);
        None if it is in neither."""
        data = self.store.stored_file(name)
        if data is not None:
            return data
        path = self.folder.path(name)
        return path if path.is_file() else None

    def read_committed(self, name: str) -> bytes | None:
        content = self.content(name)
        return content.read_bytes() if isinstance(content, Path) else content

    def discard(self, names: Iterable[str]) -> None:
        """Nothing to do: the database removed the files with their rows."""

    def recover(
        self, is_stored: Callable[[str], bool], min_age: float = 0
    ) -> tuple[int, int]:
        """Move the files an older version left in the data folder into the
        database (those a row holds; the folder's own recovery and sweep deal
        with the rest); return how many moved and how many parts went."""
        kept, removed = self.folder.recover(is_stored, min_age)
        moved = 0
        for path in self.folder.stored():
            try:
                data = path.read_bytes()
            except FileNotFoundError:  # moved by another host meanwhile
                continue
            if self.store.store_held_file(path.name, data):
                path.unlink(missing_ok=True)
                moved += 1
        return kept + moved, removed

    def sweep(self, is_stored: Callable[[str], bool], min_age: float) -> int:
        """Remove files left in the old folder that no row holds."""
        return self.folder.sweep(is_stored, min_age)
