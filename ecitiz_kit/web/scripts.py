"""The embed scripts' bytes and integrity hashes: the loader host pages include
and the frame helper, of the running version and of every released one.

Host pages pin the loader by its Subresource Integrity hash, so a released
version's scripts are kept byte for byte in ``widgets/released/VERSION/`` and
served at their versioned address for good; ``widgets/released/manifest.json``
records their hashes (a test checks the files against it).
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache

from .._version import __version__
from ..assets import asset_dir

SCRIPTS = ("ecitiz.js", "frame.js")
RELEASED = "released"


@cache
def released_versions() -> dict[str, dict[str, str]]:
    """Each released version's scripts and their integrity hashes, as recorded."""
    manifest = asset_dir("widgets") / RELEASED / "manifest.json"
    versions: dict[str, dict[str, str]] = json.loads(manifest.read_text("utf-8"))
    return versions


def is_served(version: str, name: str) -> bool:
    """Whether ``/widget/VERSION/NAME`` exists: the running version's scripts,
    and those recorded for a released version."""
    if name not in SCRIPTS:
        return False
    return version == __version__ or name in released_versions().get(version, {})


@cache
def script_bytes(name: str, version: str = __version__) -> bytes:
    """The content of one embed script of one version, as served."""
    if not is_served(version, name):
        raise KeyError(f"{version}/{name}")
    folder = asset_dir("widgets")
    if version != __version__:
        folder = folder / RELEASED / version
    return (folder / name).read_bytes()


def integrity(name: str = "ecitiz.js", version: str = __version__) -> str:
    """The ``integrity`` attribute value (SRI, sha384) of an embed script."""
    digest = hashlib.sha384(script_bytes(name, version)).digest()
    return "sha384-" + base64.b64encode(digest).decode()
