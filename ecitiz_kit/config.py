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
        "ECITIZ_MAIL_FROM",
        None,
        "Sender address of the kit's e-mails, e.g. `Forms <forms@example.org>`; "
        "required with `ECITIZ_SMTP_HOST` (`.eml` files say `no-reply@localhost`).",
    ),
    Setting(
        "ECITIZ_SMTP_HOST",
        None,
        "SMTP server that delivers the kit's e-mails; without one, `send-mail` "
        "writes them as `.eml` files under `<ECITIZ_DATA_DIR>/mail/`.",
    ),
    Setting("ECITIZ_SMTP_PORT", 587, "Port of the SMTP server."),
    Setting(
        "ECITIZ_SMTP_USERNAME", None, "User name to log in to the SMTP server, if any."
    ),
    Setting("ECITIZ_SMTP_PASSWORD", None, "Password for `ECITIZ_SMTP_USERNAME`."),
    Setting(
        "ECITIZ_SMTP_STARTTLS",
        True,
        "Upgrade the SMTP connection with STARTTLS (refuse to send without it).",
    ),
    Setting(
        "ECITIZ_SMTP_SSL",
        False,
        "Connect to the SMTP server over TLS from the start (port 465); "
        "set `ECITIZ_SMTP_STARTTLS` to false with it.",
    ),
    Setting(
        "ECITIZ_SMTP_TIMEOUT", 30, "Seconds to wait for the SMTP server at each step."
    ),
    Setting(
        "ECITIZ_MAIL_MAX_ATTEMPTS",
        8,
        "Attempts to deliver an e-mail before it is marked failed (and listed by "
        "`send-mail`).",
    ),
    Setting(
        "ECITIZ_MAIL_RETRY_DELAY",
        60,
        "Seconds before the first retry of an e-mail; each later retry waits twice "
        "as long as the one before (at most a day).",
    ),
    Setting(
        "ECITIZ_MAIL_KEEP_DAYS",
        30,
        "Days a sent e-mail stays in the outbox before `send-mail` deletes it "
        "(messages given up on stay until sent or deleted by hand).",
    ),
    Setting(
        "ECITIZ_LOST_LINK_LIMIT",
        "5 per hour",
        "How often the lost-link page may be used per e-mail address, per "
        "reference and per client address (the notation of `limits` and "
        'Flask-Limiter, e.g. `"5 per hour; 20 per day"`); `null` for no limit.',
    ),
    Setting(
        "ECITIZ_RATELIMIT_STORAGE_URI",
        None,
        "Where rate-limit counters live (`memory://`, `redis://…`, see the "
        "`limits` documentation); defaults to `RATELIMIT_STORAGE_URI`, else "
        "memory (per process).",
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
