"""The standalone server: one instance serving many organisations."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask.sessions import SessionInterface

from .config import check_secret_key, from_environ
from .extension import EcitizKit


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
