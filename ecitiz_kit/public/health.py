"""``GET <prefix>/healthz``: for load balancers and monitors.

200 when the database answers and its schema is the one this code expects, 503
otherwise; the body says ``ok`` or ``unavailable`` and nothing more, since anyone
can ask.
"""

from __future__ import annotations

import sqlite3

from flask import Blueprint, Response

from ..state import state
from ..web.headers import protect

blueprint = Blueprint("ecitiz_health", __name__)


@blueprint.get("/healthz")
def healthz() -> Response:
    store = state().store
    try:
        ready = store.schema_version() == store.schema_target() and store.answers()
    except sqlite3.Error:
        ready = False
    response = Response(
        "ok\n" if ready else "unavailable\n",
        status=200 if ready else 503,
        mimetype="text/plain",
    )
    return protect(response)
