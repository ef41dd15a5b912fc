"""The folder where uploaded files live, under random names.

Files are written as ``<name>.part`` before the database transaction and renamed
into place inside it, just before the commit. If anything fails the parts and
renamed files are removed, so a refused or failed submission leaves no file. After a
crash, :meth:`UploadArea.recover` finishes what the database says was committed and
removes the rest.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

PART = ".part"


class Upload(Protocol):
    """What :meth:`UploadArea.staging` needs of an uploaded file."""

    field: str
    filename: str
    content_type: str
    size: int
    data: bytes


class Staged:
    """Files staged for one submission: the rows to store and how to promote them."""

    def __init__(self, area: UploadArea) -> None:
        self._area = area
        self.names: list[str] = []
        self.attachments: list[dict[str, Any]] = []

    def promote(self) -> None:
        """Move the files into place; call it inside the database transaction."""
        self._area.promote(self.names)


class UploadArea:
    """Uploaded files kept outside any web root, sharded by name prefix."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, stored_name: str) -> Path:
        if len(stored_name) != 32 or not all(
            c in "0123456789abcdef" for c in stored_name
        ):
            raise ValueError("not a stored file name")
        return self.root / stored_name[:2] / stored_name

    def stage(self, data: bytes) -> tuple[str, str]:
        """Write ``data`` durably as a part file; return its stored name and sha256."""
        name = secrets.token_hex(16)
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
        """Move staged parts to their final names (inside the transaction)."""
        folders = set()
        for name in names:
            target = self.path(name)
            os.replace(target.with_name(name + PART), target)
            folders.add(target.parent)
        for folder in folders:
            _fsync_dir(folder)

    @contextmanager
    def staging(self, files: Iterable[Upload]) -> Iterator[Staged]:
        """Stage ``files`` for one submission; if the block fails, remove them all.

        The block stores the submission with ``staged.attachments`` and runs
        ``staged.promote`` just before its commit.
        """
        staged = Staged(self)
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

        Parts younger than ``min_age`` seconds are left alone: they may belong to a
        submission another process is storing right now. Returns how many parts
        were kept and how many removed.
        """
        kept = removed = 0
        if not self.root.is_dir():
            return kept, removed
        cutoff = time.time() - min_age
        for part in self.root.glob(f"??/*{PART}"):
            if part.stat().st_mtime > cutoff:
                continue
            name = part.name.removesuffix(PART)
            if is_stored(name):
                os.replace(part, part.with_name(name))
                kept += 1
            else:
                part.unlink(missing_ok=True)
                removed += 1
        return kept, removed


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
