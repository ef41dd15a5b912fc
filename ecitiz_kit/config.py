"""Every ``ECITIZ_*`` configuration key, its default and what it means.

This is the one place defaults live. The README's configuration table is checked
against :data:`SETTINGS` by the test suite, so a key cannot go undocumented.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ConfigurationError


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    meaning: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "ECITIZ_DATA_DIR",
        "instance",
        "Folder holding the SQLite database and the uploaded files; "
        "created if missing. Relative paths are taken from the working directory.",
    ),
    Setting(
        "ECITIZ_URL_PREFIX",
        "/ecitiz",
        'Path under which the kit\'s pages are served (`""` for the site root).',
    ),
    Setting(
        "ECITIZ_PUBLIC_URL",
        None,
        "Address of the site serving the kit as applicants reach it, e.g. "
        "`https://forms.example.org` (scheme, host and port; paths come from the "
        "application). Used for links in snippets, receipts and e-mails, and "
        "accepted as the kit's own origin. Defaults to the current request's.",
    ),
    Setting(
        "ECITIZ_DEFAULT_LANGUAGE",
        "fr",
        "Language of pages when neither `?lang=` nor `Accept-Language` asks for "
        "another one (`fr` or `en`).",
    ),
    Setting(
        "ECITIZ_FORM_TICKET_MAX_AGE",
        4 * 3600,
        "Seconds a form ticket stays valid; after that the form is shown again, "
        "values kept, with a fresh ticket.",
    ),
    Setting(
        "ECITIZ_RECEIPT_MAX_AGE",
        24 * 3600,
        "Seconds the receipt page URL stays valid (the tracking link lasts longer).",
    ),
    Setting(
        "ECITIZ_STATUS_LINK_MAX_AGE",
        400 * 24 * 3600,
        "Seconds a tracking link stays valid.",
    ),
    Setting(
        "ECITIZ_MAX_FILE_SIZE",
        10 * 1024 * 1024,
        "Largest accepted upload in bytes, whatever a form definition says.",
    ),
    Setting(
        "ECITIZ_MAX_FILES",
        10,
        "Most files accepted in one submission, whatever a form definition says.",
    ),
    Setting(
        "ECITIZ_MAX_FORM_SIZE",
        512 * 1024,
        "Largest accepted size in bytes of the non-file part of a submission.",
    ),
    Setting(
        "ECITIZ_RETENTION_DAYS",
        730,
        "Default number of days a request is kept after its last change, "
        "recorded with each enabled form.",
    ),
    Setting(
        "ECITIZ_TIMEZONE",
        "Europe/Paris",
        "Time zone in which dates and times are shown to people.",
    ),
    Setting(
        "ECITIZ_SQLITE_BUSY_TIMEOUT",
        5000,
        "Milliseconds a write waits for another writer before failing.",
    ),
    Setting(
        "ECITIZ_STAFF_SESSION_LIFETIME",
        12 * 3600,
        "Seconds a staff sign-in lasts; after that the dashboard asks for the "
        "password again.",
    ),
)

DEFAULTS: dict[str, Any] = {s.name: s.default for s in SETTINGS}

#: Secret keys that must never reach production.
WEAK_SECRET_KEYS = frozenset({"", "dev", "changeme", "change-me", "secret", "test"})


def from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    """Return the ``ECITIZ_*`` settings found in ``environ``.

    Values are read as JSON when they parse (``10``, ``true``, ``null``), else kept
    as strings, as :meth:`flask.Config.from_prefixed_env` does for ``FLASK_*``.
    An ``ECITIZ_*`` variable that names no setting is an error, so a typo is not
    silently ignored.
    """
    found: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith("ECITIZ_"):
            continue
        if key not in DEFAULTS:
            known = ", ".join(sorted(DEFAULTS))
            raise ConfigurationError(
                f"Unknown setting {key} in the environment. Known settings: {known}."
            )
        try:
            found[key] = json.loads(raw)
        except ValueError:
            found[key] = raw
    return found
