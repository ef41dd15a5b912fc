"""The embed scripts: the loader host pages include and the frame helper.

The versioned URL never changes its bytes, so it is cached for a year and can
carry a Subresource Integrity hash; the unversioned alias follows upgrades and is
cached briefly (do not put an ``integrity`` on it).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort

from .._version import __version__
from ..web.scripts import SCRIPTS, script_bytes

blueprint = Blueprint("ecitiz_widget", __name__)

VERSIONED_MAX_AGE = 365 * 24 * 3600
ALIAS_MAX_AGE = 300


@blueprint.get("/widget/<version>/<name>")
def versioned(version: str, name: str) -> Response:
    # Only the running version is served: an old URL must not get new bytes
    # under a year-long cache or fail its integrity hash silently.
    if version != __version__ or name not in SCRIPTS:
        abort(404)
    return _script(name, VERSIONED_MAX_AGE, immutable=True)


@blueprint.get("/widget/<name>")
def alias(name: str) -> Response:
    if name not in SCRIPTS:
        abort(404)
    return _script(name, ALIAS_MAX_AGE, immutable=False)


def _script(name: str, max_age: int, immutable: bool) -> Response:
    response = Response(script_bytes(name), mimetype="text/javascript")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    if immutable:
        response.cache_control.immutable = True
    return response
