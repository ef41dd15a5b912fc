"""The embed scripts' bytes and integrity hashes: the loader host pages include
and the frame helper."""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from ..assets import asset_dir

SCRIPTS = ("ecitiz.js", "frame.js")


@cache
def script_bytes(name: str) -> bytes:
    """The content of one embed script, as served."""
    if name not in SCRIPTS:
        raise KeyError(name)
    return (asset_dir("widgets") / name).read_bytes()


def integrity(name: str = "ecitiz.js") -> str:
    """The ``integrity`` attribute value (SRI, sha384) of an embed script."""
    digest = hashlib.sha384(script_bytes(name)).digest()
    return "sha384-" + base64.b64encode(digest).decode()
