"""Where the kit's static files and widget scripts are, installed or in a checkout.

In a wheel, ``static/`` and ``widgets/`` are installed as the data packages
``ecitiz_kit.static`` and ``ecitiz_kit.widgets``. An editable install does not map
data-only packages, so there they are found beside the package in the checkout.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def asset_dir(name: str) -> Path:
    """The folder holding the kit's ``static`` or ``widgets`` files."""
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"the kit's {name!r} folder is missing (looked in {PACKAGE_DIR} and its parent)"
    )
