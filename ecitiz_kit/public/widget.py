"""The embed scripts: the loader host pages include and the frame helper.

The versioned URL never changes its bytes, so it is cached for a year and can
carry a Subresource Integrity hash; every released version's scripts stay served
there, so a snippet pasted years ago still loads. The unversioned alias follows
upgrades and is cached briefly (do not put an ``integrity`` on it).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort

from .._version import __version__
from ..web.scripts import SCRIPTS, is_served, script_bytes

blueprint = Blueprint("ecitiz_widget", __name__)

VERSIONED_MAX_AGE = 365 * 24 * 3600
ALIAS_MAX_AGE = 300


@blueprint.get("/widget/<version>/<name>")
def versioned(version: str, name: str) -> Response:
    # A version's URL always gets that version's bytes (the running one's, or
    # a released one's, kept as published): a host page pins them by their hash.
    if not is_served(version, name):
        abort(404)
    return _script(name, VERSIONED_MAX_AGE, immutable=True, version=version)


@blueprint.get("/widget/<name>")
def alias(name: str) -> Response:
    if name not in SCRIPTS:
        abort(404)
    return _script(name, ALIAS_MAX_AGE, immutable=False)


def _script(
    name: str, max_age: int, immutable: bool, version: str = __version__
) -> Response:
    response = Response(script_bytes(name, version), mimetype="text/javascript")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    if immutable:
        response.cache_control.immutable = True
    return response
