"""``ecitiz copy-db URL``: move a SQLite instance up to PostgreSQL.

The database is read from a snapshot taken with SQLite's online backup (one
state, while requests keep coming); the rows, the uploaded files (checked
against their SHA-256) and the private signing keys (sealed with SECRET_KEY)
are written to the empty PostgreSQL database in one transaction, counted and
checked before it commits: a failure leaves the target as empty as it was.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import click
from flask import current_app

from ..documents import signing
from ..documents.signing import KeyFileError
from ..errors import ConfigurationError
from ..state import signing_key_sealer, state
from ..store.base import is_database_url
from .commands import group


@group.command("copy-db")
@click.argument("url")
def copy_db(url: str) -> None:
    """Copy this SQLite instance into the empty PostgreSQL database at URL:
    every row (ids kept), uploaded file and signing key, checked before the
    commit. Then set ECITIZ_DATABASE_URL to URL, with the same SECRET_KEY.

    Exits 1, having written nothing, if the target holds any row, a file or
    key is missing or damaged, or the check finds a difference.
    """
    kit = state()
    if kit.store.dialect != "sqlite":
        raise click.ClickException(
            f"this application already runs on PostgreSQL ({kit.store.where()});"
            " copy-db copies a SQLite instance: run it with ECITIZ_DATABASE_URL unset."
        )
    if not is_database_url(url):
        raise click.ClickException(
            "URL must be a PostgreSQL URL, e.g. postgresql://user@host:5432/dbname."
        )
    try:
        import psycopg

        from ..store.copying import CopyRefused, copy_database
        from ..store.postgresql import PostgreSQL, Unreachable, describe
    except ImportError:
        raise click.ClickException(
            "copy-db needs psycopg: pip install 'ecitiz-kit[postgresql]'."
        ) from None
    target = PostgreSQL(url, pool_size=1)
    try:
        target.migrate()
    except Unreachable as exc:
        raise click.ClickException(_without_password(str(exc), url)) from None
    except psycopg.Error as exc:  # a role that may not create the schema...
        reason = " ".join(str(exc).split())
        raise click.ClickException(
            _without_password(f"cannot prepare {describe(url)}: {reason}", url)
        ) from None
    try:
        sealer = signing_key_sealer(current_app.config)
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None
    keys = signing.KeyFiles(kit.data_dir / "keys")

    def seal(kid: str, public_key: bytes) -> str:
        try:
            key = keys.load(kid)
        except KeyFileError as exc:
            raise CopyRefused(str(exc)) from None
        if signing.public_key_bytes(key) != public_key:
            raise CopyRefused(
                f"the signing key file of {kid} does not hold its public key's"
                " private half"
            )
        return sealer.seal_bytes(signing.private_key_der(key))

    with tempfile.TemporaryDirectory() as scratch:
        snapshot = Path(scratch) / "ecitiz.sqlite3"
        kit.store.backup_to(snapshot)
        try:
            copied = copy_database(snapshot, url, kit.uploads.read_committed, seal)
        except CopyRefused as exc:
            raise click.ClickException(f"{exc}; nothing was written.") from None
    rows = sum(copied.rows.values())
    click.echo(
        f"Copied to {describe(url)}: {rows} row(s) in {len(copied.rows)} table(s),"
        f" {copied.files} uploaded file(s), {copied.keys} signing key(s);"
        " row counts and file checksums checked."
    )
    for table, count in copied.rows.items():
        if count:
            click.echo(f"  {table}: {count}")


def _without_password(message: str, url: str) -> str:
    """``message`` with the URL's password, should it quote it, masked."""
    import psycopg
    from psycopg import conninfo

    try:
        password = conninfo.conninfo_to_dict(url).get("password")
    except psycopg.Error:  # an unreadable URL has no password to find
        password = None
    return message.replace(str(password), "***") if password else message
