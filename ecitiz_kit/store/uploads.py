"""The folder where uploaded files live, under random names.

Files are written as ``<name>.part`` before the database transaction and renamed
into place only after its commit, so a file under its final name always has a row.
If the transaction fails the parts are removed, so a refused or failed submission
leaves no file. After a crash, :meth:`UploadArea.recover` finishes what the database
says was committed and removes the rest, and :meth:`UploadArea.sweep` also removes
final files no row references (left by a crash of an older version, which renamed
files before its commit).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

PART = ".part"

log = logging.getLogger(__name__)

_STORED_NAME = re.compile("[0-9a-f]{32}")


class Upload(Protocol):
    """What :meth:`UploadArea.staging` needs of an uploaded file."""

    field: str
    filename: str
    content_type: str
    size: int
    data: bytes


class Staged:
    """Files staged for one submission: the rows to store."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.attachments: list[dict[str, Any]] = []


class UploadStorage(Protocol):
    """Where uploaded files are kept: :class:`UploadArea` (a folder, with SQLite)
    or :class:`~ecitiz_kit.store.database_files.DatabaseFiles` (PostgreSQL)."""

    def staging(self, files: Iterable[Upload]) -> AbstractContextManager[Staged]: ...

    def content(self, name: str) -> Path | bytes | None: ...

    def read_committed(self, name: str) -> bytes | None: ...

    def discard(self, names: Iterable[str]) -> None: ...

    def recover(
        self, is_stored: Callable[[str], bool], min_age: float = 0
    ) -> tuple[int, int]: ...

    def sweep(self, is_stored: Callable[[str], bool], min_age: float) -> int: ...


class UploadArea:
    """Uploaded files kept outside any web root, sharded by name prefix."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, stored_name: str) -> Path:
        if not _STORED_NAME.fullmatch(stored_name):
            raise ValueError("not a stored file name")
        return self.root / stored_name[:2] / stored_name

    @staticmethod
    def new_name() -> str:
        """A new stored name: random, so it tells nothing and cannot be guessed."""
        return secrets.token_hex(16)

    def stage(self, data: bytes) -> tuple[str, str]:
        """Write ``data`` durably as a part file; return its stored name and sha256."""
        name = self.new_name()
        target = self.path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(name + PART)
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fp:
                fp.write(data)
                fp.flush()
                os.fsync(fp.fileno())
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        return name, hashlib.sha256(data).hexdigest()

    def promote(self, names: Iterable[str]) -> None:
        """Move staged parts to their final names (once their rows are committed)."""
        folders = set()
        for name in names:
            target = self.path(name)
            try:
                os.replace(target.with_name(name + PART), target)
            except FileNotFoundError:
                # Recovery in another process may have moved it first.
                if not target.exists():
                    raise
            folders.add(target.parent)
        for folder in folders:
            _fsync_dir(folder)

    def content(self, name: str) -> Path:
        """Where a stored file is (it may be gone, as after a retention purge)."""
        return self.path(name)

    def read_committed(self, name: str) -> bytes | None:
        """The bytes of a file whose row is committed, wherever it is: under its
        final name, or still a part between its commit and its move (None if
        it is in neither place)."""
        target = self.path(name)
        for path in (target, target.with_name(name + PART), target):
            try:
                return path.read_bytes()
            except FileNotFoundError:
                continue
        return None

    @contextmanager
    def staging(self, files: Iterable[Upload]) -> Iterator[Staged]:
        """Stage ``files`` for one submission; if the block fails, remove them all.

        The block stores and commits the submission with ``staged.attachments``;
        once it has, the files are moved into place. A crash in between leaves
        parts the database has, which :meth:`recover` moves into place; a failure
        to move them now does not undo the committed request either (it is logged,
        and the next recovery finishes the move).
        """
        staged = Staged()
        try:
            for upload in files:
                stored_name, digest = self.stage(upload.data)
                staged.names.append(stored_name)
                staged.attachments.append(
                    {
                        "field": upload.field,
                        "stored_name": stored_name,
                        "filename": upload.filename,
                        "content_type": upload.content_type,
                        "size": upload.size,
                        "sha256": digest,
                    }
                )
            yield staged
        except BaseException:
            self.discard(staged.names)
            raise
        try:
            self.promote(staged.names)
        except OSError:
            log.exception("stored files left as parts until the next recovery")

    def discard(self, names: Iterable[str]) -> None:
        """Remove staged or promoted files of a submission that was not stored."""
        for name in names:
            target = self.path(name)
            target.with_name(name + PART).unlink(missing_ok=True)
            target.unlink(missing_ok=True)

    def recover(
        self, is_stored: Callable[[str], bool], min_age: float = 0
    ) -> tuple[int, int]:
        """After a crash: keep parts the database has, delete the others.

        A part the database has was committed, so it is moved into place whatever
        its age. Parts it does not have that are younger than ``min_age`` seconds
        are left alone: they may belong to a submission another process is storing
        right now. Returns how many parts were kept and how many removed.
        """
        kept = removed = 0
        cutoff = time.time() - min_age
        for part in self._files(f"*{PART}"):
            name = part.name.removesuffix(PART)
            if is_stored(name):
                try:
                    os.replace(part, part.with_name(name))
                except FileNotFoundError:  # another process moved it first
                    continue
                kept += 1
            elif _older_than(part, cutoff):
                part.unlink(missing_ok=True)
                removed += 1
        return kept, removed

    def sweep(self, is_stored: Callable[[str], bool], min_age: float) -> int:
        """Remove final files that no row references, older than ``min_age``
        seconds; return how many were removed.

        Files are moved into place only after their rows are committed, so an
        unreferenced one was left by a crash of an older version (which moved them
        just before its commit) or by a row removed without its file. The age
        keeps the sweep away from anything a submission in progress could own.
        """
        removed = 0
        cutoff = time.time() - min_age
        for path in self.stored():
            if _older_than(path, cutoff) and not is_stored(path.name):
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def stored(self) -> list[Path]:
        """The files under their final names."""
        return [
            path for path in self._files("?" * 32) if _STORED_NAME.fullmatch(path.name)
        ]

    def _files(self, pattern: str) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(self.root.glob(f"??/{pattern}"))


def _older_than(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime <= cutoff
    except FileNotFoundError:  # removed or moved by another process meanwhile
        return False


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
