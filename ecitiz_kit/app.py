"""The standalone server: one instance serving many organisations."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from .config import WEAK_SECRET_KEYS, from_environ
from .errors import ConfigurationError
from .extension import EcitizKit

MIN_SECRET_KEY_LENGTH = 16


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
    check_secret_key(app)
    EcitizKit(app)
    return app


def check_secret_key(app: Flask) -> None:
    """Refuse to serve in production without a real secret key."""
    if app.debug or app.testing:
        return
    key = app.config.get("SECRET_KEY")
    if (
        not key
        or str(key).strip().lower() in WEAK_SECRET_KEYS
        or len(key) < MIN_SECRET_KEY_LENGTH
    ):
        raise ConfigurationError(
            "SECRET_KEY is missing or too weak, so tokens could be forged. Set "
            "FLASK_SECRET_KEY to a long random value before starting, for example "
            "the output of: python -c 'import secrets; print(secrets.token_hex(32))'"
        )
