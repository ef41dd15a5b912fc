"""The Flask extension: configuration, state, blueprints and CLI in one place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from .attestations import Keyring
from .config import DEFAULTS
from .errors import ConfigurationError
from .i18n import LANGUAGES
from .listing import definition_lookup, fill_applicants
from .mail import check_settings as check_mail_settings
from .store import Store
from .submissions import FormRegistry
from .tokens import Tokens
from .uploads import UploadArea

#: A part file younger than this may belong to a submission still in progress in
#: another worker; recovery leaves it alone.
RECOVERY_GRACE_SECONDS = 3600


@dataclass
class KitState:
    """What the kit keeps per application, in ``app.extensions["ecitiz"]``."""

    data_dir: Path
    store: Store
    uploads: UploadArea
    forms: FormRegistry
    keyring: Keyring
    _tokens: tuple[tuple[Any, ...], Tokens] | None = None

    def tokens(self, config: dict[str, Any]) -> Tokens:
        """The token signer for the current keys (rebuilt when keys change)."""
        keys = (*(config.get("SECRET_KEY_FALLBACKS") or ()), config.get("SECRET_KEY"))
        if self._tokens is None or self._tokens[0] != keys:
            if not keys[-1]:
                raise ConfigurationError(
                    "SECRET_KEY is not set: the kit needs it to sign form tickets "
                    "and tracking links."
                )
            self._tokens = (keys, Tokens(keys))
        return self._tokens[1]


class EcitizKit:
    """Mount the kit's public pages and commands on a Flask application.

    ``kit = EcitizKit(app)``, or ``kit = EcitizKit()`` then ``kit.init_app(app)``
    in an application factory. Settings are read from ``app.config`` (``ECITIZ_*``
    keys, see :mod:`ecitiz_kit.config`).
    """

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, value)
        _check_settings(app.config)
        check_mail_settings(app.config)

        data_dir = Path(app.config["ECITIZ_DATA_DIR"]).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        store = Store(
            data_dir / "ecitiz.sqlite3",
            busy_timeout_ms=app.config["ECITIZ_SQLITE_BUSY_TIMEOUT"],
        )
        store.migrate()
        uploads = UploadArea(data_dir / "uploads")
        uploads.recover(store.attachment_exists, min_age=RECOVERY_GRACE_SECONDS)
        forms = FormRegistry()
        fill_applicants(store, definition_lookup(store, forms))
        store.close()
        app.extensions["ecitiz"] = KitState(
            data_dir,
            store,
            uploads,
            forms,
            Keyring.in_folder(store, data_dir / "keys"),
        )

        from . import (  # noqa: F401 (importing registers routes and commands)
            cli,
            lost_link,
            mail_commands,
            public,
            staff,
            tracking,
            verification,
            widget,
        )

        prefix = app.config["ECITIZ_URL_PREFIX"] or None
        app.register_blueprint(public.blueprint, url_prefix=prefix)
        app.register_blueprint(tracking.blueprint, url_prefix=prefix)
        app.register_blueprint(widget.blueprint, url_prefix=prefix)
        app.register_blueprint(verification.blueprint, url_prefix=prefix)
        app.register_blueprint(verification.well_known)
        app.register_blueprint(staff.blueprint, url_prefix=(prefix or "") + "/staff")
        app.cli.add_command(cli.group)

        # A request larger than any acceptable submission is refused before
        # it is read (413); the host app's own limit wins if it is stricter.
        limit = app.config["ECITIZ_MAX_FORM_SIZE"] + app.config["ECITIZ_MAX_FILES"] * (
            app.config["ECITIZ_MAX_FILE_SIZE"] + 1024
        )
        if app.config.get("MAX_CONTENT_LENGTH") is None:
            app.config["MAX_CONTENT_LENGTH"] = limit
        if app.config.get("MAX_FORM_MEMORY_SIZE") == 500_000:  # Flask's default
            app.config["MAX_FORM_MEMORY_SIZE"] = app.config["ECITIZ_MAX_FORM_SIZE"]


def state(app: Flask | None = None) -> KitState:
    """The kit's state for ``app`` (the current app by default)."""
    app = app or current_app
    try:
        return app.extensions["ecitiz"]
    except KeyError:
        raise ConfigurationError(
            "ecitiz-kit is not set up on this application: call EcitizKit(app)."
        ) from None


def _check_settings(config: dict[str, Any]) -> None:
    prefix = config["ECITIZ_URL_PREFIX"] or ""
    if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
        raise ConfigurationError(
            f"ECITIZ_URL_PREFIX must start with '/' and not end with one "
            f"(got {prefix!r}); use '' to serve the kit at the site root."
        )
    if config["ECITIZ_DEFAULT_LANGUAGE"] not in LANGUAGES:
        raise ConfigurationError(
            f"ECITIZ_DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)} "
            f"(got {config['ECITIZ_DEFAULT_LANGUAGE']!r})."
        )
    for key in (
        "ECITIZ_FORM_TICKET_MAX_AGE",
        "ECITIZ_RECEIPT_MAX_AGE",
        "ECITIZ_STATUS_LINK_MAX_AGE",
        "ECITIZ_MAX_FILE_SIZE",
        "ECITIZ_MAX_FILES",
        "ECITIZ_MAX_FORM_SIZE",
        "ECITIZ_RETENTION_DAYS",
        "ECITIZ_SQLITE_BUSY_TIMEOUT",
        "ECITIZ_STAFF_SESSION_LIFETIME",
    ):
        value = config[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigurationError(
                f"{key} must be a positive integer (got {value!r})."
            )
    public_url = config["ECITIZ_PUBLIC_URL"]
    if public_url is not None and not str(public_url).startswith(
        ("http://", "https://")
    ):
        raise ConfigurationError(
            f"ECITIZ_PUBLIC_URL must be an absolute http(s) URL (got {public_url!r})."
        )
