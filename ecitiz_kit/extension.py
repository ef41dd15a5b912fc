"""The Flask extension: settings, state, blueprints and commands in one place."""

from __future__ import annotations

from flask import Flask

from . import api, cli, public, staff
from .config import DEFAULTS, check_settings, request_size_limits
from .state import open_state, start
from .web import headers
from .web.logs import keep_tokens_out_of_logs
from .web.nul import nul_refuser
from .web.pages import visible_text
from .web.request_size import body_limiter


class EcitizKit:
    """Mount the kit's public pages, staff dashboard, API and commands on an app.

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
        check_settings(app.config)
        # The host app's own limits win where they are set.
        for key, value in request_size_limits(app.config).items():
            app.config[key] = value

        kit = open_state(app.config)
        app.extensions["ecitiz"] = kit
        start(kit, app.config)

        prefix = app.config["ECITIZ_URL_PREFIX"] or None
        for blueprint in public.blueprints:
            app.register_blueprint(blueprint, url_prefix=prefix)
        app.register_blueprint(public.well_known)
        app.register_blueprint(staff.blueprint, url_prefix=(prefix or "") + "/staff")
        app.register_blueprint(api.blueprint, url_prefix=(prefix or "") + "/api/v1")
        # On the application, so they run before any blueprint's own hooks and
        # also see requests that matched none of the kit's routes.
        kit_blueprints = {
            blueprint.name
            for blueprint in (
                *public.blueprints,
                public.well_known,
                staff.blueprint,
                api.blueprint,
            )
        }
        app.before_request(body_limiter(kit_blueprints))
        app.before_request(nul_refuser(kit_blueprints))
        app.after_request(headers.unrouted)
        keep_tokens_out_of_logs(app)
        app.cli.add_command(cli.group)
        app.add_template_filter(visible_text, "ecitiz_visible")
