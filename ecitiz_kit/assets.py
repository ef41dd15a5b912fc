"""Where the kit's asset folders (``static/``) are, installed or in a checkout.

In a wheel, ``static/`` is installed as the data package ``ecitiz_kit.static``. An
editable install does not map data-only packages, so there the folder is found
beside the package, in the checkout.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def asset_dir(name: str) -> Path:
    """The folder holding one kit asset folder, such as ``static``."""
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"the kit's {name!r} folder is missing (looked in {PACKAGE_DIR} and its parent)"
    )
