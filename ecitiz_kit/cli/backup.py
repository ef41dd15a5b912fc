"""``ecitiz backup ARCHIVE``: a consistent copy of a live instance, in one file.

The database is copied with SQLite's online backup (one state, while requests
keep coming), then the archive takes what that copy needs: each uploaded file
its requests hold (checked against its recorded SHA-256), each signing key it
names, and the secret key kept in the data folder, if any. Restoring is
extracting the archive into an empty data folder.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import tempfile
from pathlib import Path

import click

from ..state import KitState, state
from ..store import Store
from .commands import group

DATABASE = "ecitiz.sqlite3"


@group.command("backup")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
def backup(archive: Path) -> None:
    """Write ARCHIVE (a new .tar.gz file, readable by its owner only): the
    database, the uploaded files, the signing keys and the kept secret key.

    It holds every applicant's answers and the private keys: keep it as safe as
    the data folder. Exits 1, after writing it, if a file the database names
    is missing or damaged; the messages say which.
    """
    if archive.exists():
        raise click.ClickException(f"{archive} already exists; name a new file.")
    if not archive.parent.is_dir():
        raise click.ClickException(f"{archive.parent} is not a folder.")
    kit = state()
    if kit.store.dialect != "sqlite":
        raise click.ClickException(
            "backup copies the SQLite database; back up PostgreSQL with pg_dump,"
            " which holds everything: requests, uploaded files and signing keys."
        )
    partial = archive.with_name(archive.name + ".part")
    problems: list[str] = []
    try:
        with tempfile.TemporaryDirectory() as scratch:
            copy = Path(scratch) / DATABASE
            kit.store.backup_to(copy)
            snapshot = Store(copy)
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as raw:
                with tarfile.open(fileobj=raw, mode="w:gz") as tar:
                    tar.add(copy, arcname=DATABASE)
                    files = _add_uploads(tar, kit, snapshot, problems)
                    keys = _add_keys(tar, kit, snapshot, problems)
                    secret = kit.data_dir / "secret_key"
                    if secret.is_file():
                        tar.add(secret, arcname="secret_key")
                raw.flush()
                os.fsync(raw.fileno())
            requests = snapshot.submission_count()
            snapshot.close()
        os.replace(partial, archive)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    click.echo(
        f"{archive}: {requests} request(s), {files} uploaded file(s),"
        f" {keys} signing key(s), {archive.stat().st_size} bytes."
    )
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)


def _add_uploads(
    tar: tarfile.TarFile, kit: KitState, snapshot: Store, problems: list[str]
) -> int:
    added = 0
    for row in snapshot.stored_files():
        name = row["stored_name"]
        data = kit.uploads.read_committed(name)
        if data is None:
            problems.append(f"missing: the file {name} of {row['reference']}")
            continue
        if hashlib.sha256(data).hexdigest() != row["sha256"]:
            problems.append(f"damaged: the file {name} of {row['reference']}")
        info = tarfile.TarInfo(f"uploads/{name[:2]}/{name}")
        info.size, info.mode = len(data), 0o600
        tar.addfile(info, io.BytesIO(data))
        added += 1
    return added


def _add_keys(
    tar: tarfile.TarFile, kit: KitState, snapshot: Store, problems: list[str]
) -> int:
    added = 0
    for kid in snapshot.signing_key_ids():
        path = kit.keyring.files.path(kid)
        if not path.is_file():
            problems.append(f"missing: the private signing key {kid}")
            continue
        tar.add(path, arcname=f"keys/{kid}.key")
        added += 1
    return added
