"""The standalone server: one instance serving many organisations."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask.sessions import SessionInterface

from .cli import console
from .config import DEFAULTS, check_secret_key, check_settings, from_environ
from .errors import ConfigurationError
from .extension import EcitizKit

#: Where the ``ecitiz`` command keeps the secret key it made for a first try.
KEPT_KEY_FILE = "secret_key"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the standalone kit application.

    Settings come from ``FLASK_*`` and ``ECITIZ_*`` environment variables, then from
    ``config``. Outside debug and testing, a missing or weak ``SECRET_KEY`` stops
    start-up with a message saying how to set one.
    """
    app = Flask("ecitiz_kit")
    app.config.from_prefixed_env()
    app.config.update(from_environ(os.environ))
    if config:
        app.config.update(config)
    if not (app.debug or app.testing):
        check_secret_key(app.config)
    # The kit keeps nothing in Flask's session (see staff.auth): no signed cookie
    # to look for in every request and to weigh up in every response.
    app.session_interface = NoSession()
    EcitizKit(app)
    return app


class NoSession(SessionInterface):
    """Flask's null session in every request: readable, empty, never saved."""

    def open_session(self, app: Flask, request: Any) -> None:
        return None


def main(args: list[str] | None = None) -> None:
    """The ``ecitiz`` console command: the kit's commands on the standalone app."""
    console.run(console_app, args)


def console_app(serving: bool = False) -> Flask:
    """The standalone app for the ``ecitiz`` command.

    Without ``FLASK_SECRET_KEY``, the key kept in the data folder is used; the
    commands make one there on first use (saying so), but ``serving`` never does:
    a server needs a key someone chose to keep. With a database URL (shared by
    several hosts) no folder's key will do: the setting is required.
    """
    settings = {**DEFAULTS, **from_environ(os.environ)}
    check_settings(settings)  # before a key is kept for settings refused
    data_dir = Path(settings["ECITIZ_DATA_DIR"])
    config: dict[str, Any] = {}
    try:
        if not os.environ.get("FLASK_SECRET_KEY"):
            if settings.get("ECITIZ_DATABASE_URL"):
                # A key kept in this host's folder would differ on the next
                # host, and the links one signs would fail on the other.
                raise ConfigurationError(
                    "FLASK_SECRET_KEY is not set: with ECITIZ_DATABASE_URL, every "
                    "host and every command must sign with the same key; set it, "
                    "the same, on each."
                )
            key = kept_secret_key(data_dir, create=not serving)
            if key is not None:
                config["SECRET_KEY"] = key
        app = create_app(config)
    except OSError as exc:
        raise ConfigurationError(
            f"ECITIZ_DATA_DIR: the kit cannot use the folder {str(data_dir)!r} "
            f"({exc.strerror}: {exc.filename}); set ECITIZ_DATA_DIR to a folder it "
            "can create or write."
        ) from None
    if serving:
        check_secret_key(app.config)  # in debug too
    return app


def kept_secret_key(data_dir: Path, create: bool) -> str | None:
    """The secret key kept in ``data_dir``; made (readable by its owner only) when
    missing and ``create`` is true, else None."""
    path = data_dir / KEPT_KEY_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        if not create:
            return None
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made meanwhile by another command
        return path.read_text().strip()
    with os.fdopen(fd, "w") as file:
        file.write(key + "\n")
    print(
        f"ecitiz: made a secret key for trying the kit, kept in {path}; "
        "in production set FLASK_SECRET_KEY instead.",
        file=sys.stderr,
    )
    return key
