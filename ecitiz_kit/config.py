"""Every ``ECITIZ_*`` configuration key, its default and what it means.

This is the one place defaults live. The README's configuration table is checked
against :data:`SETTINGS` by the test suite, so a key cannot go undocumented.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from limits import parse_many

from .errors import ConfigurationError
from .forms.checks import MAX_DECISION_DAYS
from .forms.files import largest_submission
from .i18n import LANGUAGES
from .tokens import (  # noqa: F401 - the names config always offered
    MIN_SECRET_KEY_LENGTH,
    WEAK_SECRET_KEYS,
    weak_secret_key,
)


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    meaning: str
    #: ``"seconds"`` or ``"bytes"``: the README shows the default in larger units.
    unit: str | None = None

    def default_text(self) -> str:
        """The default as the README's table shows it."""
        if self.default is None:
            return "none"
        shown = f"`{json.dumps(self.default)}`"
        gloss = _gloss(self.default, self.unit)
        return f"{shown} ({gloss})" if gloss else shown


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
        unit="seconds",
    ),
    Setting(
        "ECITIZ_RECEIPT_MAX_AGE",
        24 * 3600,
        "Seconds the receipt page URL stays valid (the tracking link lasts longer).",
        unit="seconds",
    ),
    Setting(
        "ECITIZ_STATUS_LINK_MAX_AGE",
        400 * 24 * 3600,
        "Seconds a tracking link stays valid.",
        unit="seconds",
    ),
    Setting(
        "ECITIZ_MY_REQUESTS_LINK_MAX_AGE",
        3600,
        "Seconds the e-mailed link to an applicant's list of requests stays "
        "valid (the applicant can ask for a new one at any time).",
        unit="seconds",
    ),
    Setting(
        "ECITIZ_DRAFT_DAYS",
        30,
        'Days a draft saved with "Continue later" is kept, with its files, '
        "after it was last saved; then its link stops working and the worker "
        "removes it.",
    ),
    Setting(
        "ECITIZ_MAX_FILE_SIZE",
        10 * 1024 * 1024,
        "Largest accepted upload in bytes, whatever a form definition says.",
        unit="bytes",
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
        unit="bytes",
    ),
    Setting(
        "ECITIZ_RETENTION_DAYS",
        730,
        "Default number of days a request is kept after its last change, "
        "recorded with each enabled form whose definition sets no retention_days.",
    ),
    Setting(
        "ECITIZ_DECISION_DAYS",
        60,
        "Decision period in days (a request is due that many days after it"
        " arrived) of forms whose definition sets no decision_days and whose"
        " period no admin or enable-form --decision-days set.",
    ),
    Setting(
        "ECITIZ_DIGEST_HOUR",
        7,
        "Hour of the day (in ECITIZ_TIMEZONE) from which the worker sends the daily"
        " digest to staff who asked for one.",
    ),
    Setting(
        "ECITIZ_TIMEZONE",
        "Europe/Paris",
        "Time zone in which dates and times are shown to people.",
    ),
    Setting(
        "ECITIZ_DATABASE_URL",
        None,
        "Where the data lives: unset, a SQLite file in `ECITIZ_DATA_DIR`; "
        "`postgresql://user:password@host:5432/dbname`, PostgreSQL (the "
        "`postgresql` extra), shared by every host (see *PostgreSQL* below).",
    ),
    Setting(
        "ECITIZ_DATABASE_POOL_SIZE",
        10,
        "Connections each process keeps open to PostgreSQL at most.",
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
        "ECITIZ_SMTP_TIMEOUT",
        30,
        "Seconds to wait for the SMTP server at each step.",
        unit="seconds",
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
        unit="seconds",
    ),
    Setting(
        "ECITIZ_MAIL_KEEP_DAYS",
        30,
        "Days a sent e-mail stays in the outbox before `send-mail` deletes it "
        "(messages given up on stay until sent or deleted by hand).",
    ),
    Setting(
        "ECITIZ_WEBHOOKS_ALLOW_PRIVATE",
        False,
        "Accept webhook endpoints whose host resolves to a private, loopback, "
        "link-local or otherwise non-public address, and over plain `http`, for "
        "tests and intranets. Off, an endpoint must be `https` and resolve to "
        "public addresses only, checked at registration and again at each delivery.",
    ),
    Setting(
        "ECITIZ_WEBHOOK_TIMEOUT",
        10,
        "Seconds a webhook endpoint has to answer a delivery (connecting included).",
        unit="seconds",
    ),
    Setting(
        "ECITIZ_WEBHOOK_MAX_ATTEMPTS",
        10,
        "Attempts to deliver one webhook event before it is given up (marked "
        "failed on the webhooks page).",
    ),
    Setting(
        "ECITIZ_WEBHOOK_RETRY_DELAY",
        30,
        "Seconds before the first retry of a webhook delivery; each later retry "
        "waits twice as long as the one before (at most a day).",
        unit="seconds",
    ),
    Setting(
        "ECITIZ_WEBHOOK_MAX_FAILURES",
        20,
        "Failed delivery attempts in a row, over all its events, after which a "
        "webhook endpoint is disabled and the organisation's admins are e-mailed; "
        "an admin enables it again from the webhooks page.",
    ),
    Setting(
        "ECITIZ_RATELIMIT_ENABLED",
        True,
        "Apply the kit's rate limits (all of those below, staff sign-in included); "
        "`false` turns them all off, e.g. for a load test. Flask-Limiter's "
        "`RATELIMIT_ENABLED = False` turns them off too.",
    ),
    Setting(
        "ECITIZ_SUBMIT_LIMIT",
        "30 per hour; 200 per day",
        "How many requests and changes to a request may be sent per client address "
        "(generous: an office may send many from one address). The notation of "
        '`limits` and Flask-Limiter, e.g. `"5 per hour; 20 per day"`; `null` for '
        "no limit (the same for every `*_LIMIT*` setting).",
    ),
    Setting(
        "ECITIZ_SUBMIT_LIMIT_PER_ORGANISATION",
        "500 per hour; 5000 per day",
        "How many requests one organisation may receive, from everyone together: "
        "a ceiling on the receipts sent in its name.",
    ),
    Setting(
        "ECITIZ_SUBMIT_LIMIT_PER_RECIPIENT",
        "5 per hour; 10 per day",
        "How many requests may give the same applicant e-mail address (so as many "
        "receipts), whatever the organisation; case and a `+tag` are ignored. "
        "Strict, so the form cannot be used to send e-mail to someone else.",
    ),
    Setting(
        "ECITIZ_AMEND_LIMIT",
        "10 per hour",
        "How many times one request may be changed by its applicant (each change "
        "also counts against `ECITIZ_SUBMIT_LIMIT`).",
    ),
    Setting(
        "ECITIZ_LOST_LINK_LIMIT",
        "5 per hour",
        'How often the "my requests" form (which also gives lost tracking '
        "links again) may be used per e-mail address and per client address.",
    ),
    Setting(
        "ECITIZ_DRAFT_LIMIT",
        "10 per hour",
        'How often "Continue later" may save a draft per client address, and '
        "e-mail its link per e-mail address (case and a `+tag` ignored).",
    ),
    Setting(
        "ECITIZ_VERIFY_LIMIT",
        "60 per minute; 1000 per hour",
        "How many attestation checks (the page's server check, the JSON API and "
        "the revocation status) one client address may make.",
    ),
    Setting(
        "ECITIZ_API_LIMIT",
        "300 per minute; 10000 per hour",
        "How many calls one token of the read-only API may make (downloads "
        "included); then it gets 429 with `Retry-After`.",
    ),
    Setting(
        "ECITIZ_LOGIN_LIMIT",
        "10 per 15 minutes",
        "Failed staff sign-ins accepted per account from one client address; then "
        "that address is refused for that account until the oldest failure is "
        "out of the window.",
    ),
    Setting(
        "ECITIZ_LOGIN_LIMIT_PER_ACCOUNT",
        "50 per 5 minutes",
        "Failed staff sign-ins accepted per account from all addresses together "
        "(higher, and shorter, than `ECITIZ_LOGIN_LIMIT`, so that others' failures "
        "rarely lock the owner out, and never for long).",
    ),
    Setting(
        "ECITIZ_RATELIMIT_STORAGE_URI",
        None,
        "Where rate-limit counters live (`memory://`, `redis://…`, see the "
        "`limits` documentation); defaults to `RATELIMIT_STORAGE_URI`, else "
        "memory, which each process counts on its own: with several workers set "
        "a shared storage (`ecitiz doctor` checks it), with one say "
        "`memory://` to silence the warning about it.",
    ),
    Setting(
        "ECITIZ_STAFF_SESSION_LIFETIME",
        12 * 3600,
        "Seconds a staff sign-in lasts; after that the dashboard asks for the "
        "password again.",
        unit="seconds",
    ),
    Setting(
        "ECITIZ_COMPANY_LOOKUP_URL",
        None,
        "Address of a company directory speaking the format of the French"
        " government's API Recherche d'entreprises, e.g."
        " `https://recherche-entreprises.api.gouv.fr`. When set, forms offer to"
        " fill the company's details from its SIRET (only the SIRET is sent) and"
        " staff see what the register says; unset, nothing is asked.",
    ),
    Setting(
        "ECITIZ_COMPANY_LOOKUP_LIMIT",
        "20 per minute; 200 per hour",
        "How many company lookups (with or without JavaScript) one client"
        " address may ask for.",
    ),
)

DEFAULTS: dict[str, Any] = {s.name: s.default for s in SETTINGS}

#: Settings counted in seconds, bytes, files or days: 1 or more.
POSITIVE = (
    "ECITIZ_DECISION_DAYS",
    "ECITIZ_FORM_TICKET_MAX_AGE",
    "ECITIZ_RECEIPT_MAX_AGE",
    "ECITIZ_STATUS_LINK_MAX_AGE",
    "ECITIZ_MY_REQUESTS_LINK_MAX_AGE",
    "ECITIZ_DRAFT_DAYS",
    "ECITIZ_MAX_FILE_SIZE",
    "ECITIZ_MAX_FILES",
    "ECITIZ_MAX_FORM_SIZE",
    "ECITIZ_RETENTION_DAYS",
    "ECITIZ_SQLITE_BUSY_TIMEOUT",
    "ECITIZ_STAFF_SESSION_LIFETIME",
    "ECITIZ_WEBHOOK_TIMEOUT",
    "ECITIZ_WEBHOOK_MAX_ATTEMPTS",
    "ECITIZ_WEBHOOK_MAX_FAILURES",
    "ECITIZ_DATABASE_POOL_SIZE",
)
#: Mail and webhook settings where 0 means something (no timeout, no delay,
#: keep nothing).
NOT_NEGATIVE = (
    "ECITIZ_SMTP_PORT",
    "ECITIZ_SMTP_TIMEOUT",
    "ECITIZ_MAIL_MAX_ATTEMPTS",
    "ECITIZ_MAIL_RETRY_DELAY",
    "ECITIZ_MAIL_KEEP_DAYS",
    "ECITIZ_WEBHOOK_RETRY_DELAY",
)
#: Rate limits, in the notation of ``limits`` (``None``: no limit).
RATE_LIMITS = (
    "ECITIZ_SUBMIT_LIMIT",
    "ECITIZ_SUBMIT_LIMIT_PER_ORGANISATION",
    "ECITIZ_SUBMIT_LIMIT_PER_RECIPIENT",
    "ECITIZ_AMEND_LIMIT",
    "ECITIZ_LOST_LINK_LIMIT",
    "ECITIZ_DRAFT_LIMIT",
    "ECITIZ_VERIFY_LIMIT",
    "ECITIZ_API_LIMIT",
    "ECITIZ_LOGIN_LIMIT",
    "ECITIZ_LOGIN_LIMIT_PER_ACCOUNT",
    "ECITIZ_COMPANY_LOOKUP_LIMIT",
)
#: Flask's default ``MAX_FORM_MEMORY_SIZE``, which the kit tightens.
FLASK_FORM_MEMORY_SIZE = 500_000


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


def markdown_table() -> str:
    """The README's configuration table (regenerate with ``cog -r README.md``)."""
    lines = ["| key | default | meaning |", "|---|---|---|"]
    lines += [f"| `{s.name}` | {s.default_text()} | {s.meaning} |" for s in SETTINGS]
    return "\n".join(lines) + "\n"


def _gloss(value: Any, unit: str | None) -> str | None:
    """``14400`` seconds as "4 hours", ``10485760`` bytes as "10 MiB"."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    if unit == "seconds" and value % 3600 == 0:
        if value % 86400 == 0:
            days = value // 86400
            return f"{days} day" + ("s" if days > 1 else "")
        return f"{value // 3600} hour" + ("s" if value > 3600 else "")
    if unit == "bytes":
        for size, name in ((2**20, "MiB"), (2**10, "KiB")):
            if value % size == 0:
                return f"{value // size} {name}"
    return None


def check_settings(config: Mapping[str, Any]) -> None:
    """Refuse settings the kit cannot run with; the message names the key and
    what to set instead."""
    prefix = config["ECITIZ_URL_PREFIX"] or ""
    if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
        raise ConfigurationError(
            f"ECITIZ_URL_PREFIX must start with '/' and not end with one "
            f"(got {prefix!r}); use '' to serve the kit at the site root."
        )
    if config["ECITIZ_DEFAULT_LANGUAGE"] not in LANGUAGES:
        raise ConfigurationError(
            f"ECITIZ_DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)} "
            f"(got {config['ECITIZ_DEFAULT_LANGUAGE']!r})."
        )
    for key in POSITIVE:
        value = config[key]
        if not _is_int(value) or value < 1:
            raise ConfigurationError(
                f"{key} must be a positive integer (got {value!r})."
            )
    if config["ECITIZ_DECISION_DAYS"] > MAX_DECISION_DAYS:
        raise ConfigurationError(
            f"ECITIZ_DECISION_DAYS must be at most {MAX_DECISION_DAYS} days"
            f" (got {config['ECITIZ_DECISION_DAYS']!r})."
        )
    hour = config["ECITIZ_DIGEST_HOUR"]
    if not _is_int(hour) or not 0 <= hour <= 23:
        raise ConfigurationError(
            f"ECITIZ_DIGEST_HOUR must be an hour from 0 to 23 (got {hour!r})."
        )
    public_url = config["ECITIZ_PUBLIC_URL"]
    if public_url is not None and not str(public_url).startswith(
        ("http://", "https://")
    ):
        raise ConfigurationError(
            f"ECITIZ_PUBLIC_URL must be an absolute http(s) URL (got {public_url!r})."
        )
    url = config["ECITIZ_DATABASE_URL"]
    if url is not None and not str(url).startswith(("postgresql://", "postgres://")):
        raise ConfigurationError(
            "ECITIZ_DATABASE_URL must be a postgresql:// URL (got another scheme);"
            " leave it unset to keep the data in a SQLite file in ECITIZ_DATA_DIR."
        )
    lookup_url = config["ECITIZ_COMPANY_LOOKUP_URL"]
    if lookup_url is not None and not (
        isinstance(lookup_url, str)
        and lookup_url.startswith(("http://", "https://"))
        and "?" not in lookup_url
        and "#" not in lookup_url
    ):
        raise ConfigurationError(
            "ECITIZ_COMPANY_LOOKUP_URL must be the http(s) address of the directory"
            f" service, without query (got {lookup_url!r})."
        )
    _check_mail_settings(config)
    for key in ("ECITIZ_RATELIMIT_ENABLED", "ECITIZ_WEBHOOKS_ALLOW_PRIVATE"):
        if not isinstance(config[key], bool):
            raise ConfigurationError(
                f"{key} must be true or false (got {config[key]!r})."
            )
    for key in RATE_LIMITS:
        limits = config[key]
        try:
            found = parse_many(limits) if limits is not None else None
            if found is not None and not found:
                raise ValueError("no limit found")
            if found and min(item.amount for item in found) < 1:
                raise ValueError("a limit of 0 refuses everything")
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(
                f"{key}: {limits!r} is not a rate limit such as "
                f"'5 per hour' ({exc}); use null for no limit."
            ) from None


def check_secret_key(config: Mapping[str, Any]) -> None:
    """Refuse to serve in production without a real secret key."""
    if weak_secret_key(config.get("SECRET_KEY")):
        raise ConfigurationError(
            "SECRET_KEY is missing or too weak, so tokens could be forged. Set "
            "FLASK_SECRET_KEY to a long random value before starting, for example "
            "the output of: python -c 'import secrets; print(secrets.token_hex(32))'"
        )


def request_size_limits(config: Mapping[str, Any]) -> dict[str, int]:
    """Flask's request size limits the kit sets, where the host app left them.

    A request larger than any acceptable submission is refused before it is read
    (413); the host app's own limit wins where it set one.
    """
    found = {}
    if config.get("MAX_CONTENT_LENGTH") is None:
        found["MAX_CONTENT_LENGTH"] = largest_submission(config)
    if config.get("MAX_FORM_MEMORY_SIZE") == FLASK_FORM_MEMORY_SIZE:
        found["MAX_FORM_MEMORY_SIZE"] = config["ECITIZ_MAX_FORM_SIZE"]
    return found


def _check_mail_settings(config: Mapping[str, Any]) -> None:
    for key in NOT_NEGATIVE:
        value = config[key]
        if not _is_int(value) or value < 0:
            raise ConfigurationError(
                f"{key} must be a whole number of 0 or more (got {value!r})."
            )
    if config["ECITIZ_MAIL_MAX_ATTEMPTS"] < 1:
        raise ConfigurationError("ECITIZ_MAIL_MAX_ATTEMPTS must be at least 1.")
    if config["ECITIZ_SMTP_SSL"] and config["ECITIZ_SMTP_STARTTLS"]:
        raise ConfigurationError(
            "ECITIZ_SMTP_SSL and ECITIZ_SMTP_STARTTLS are both on: choose one (SSL "
            "for port 465, STARTTLS for port 587)."
        )
    sender = config["ECITIZ_MAIL_FROM"]
    if sender is not None and "@" not in parseaddr(str(sender))[1]:
        raise ConfigurationError(
            f"ECITIZ_MAIL_FROM must be an e-mail address (got {sender!r})."
        )
    if config["ECITIZ_SMTP_HOST"] and not sender:
        raise ConfigurationError(
            "ECITIZ_SMTP_HOST is set but ECITIZ_MAIL_FROM is not: set the address "
            "the kit's e-mails come from."
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
