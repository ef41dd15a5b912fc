"""The kit's state per application: built once, kept in ``app.extensions``.

Everything below this layer receives the state, or the plain values it holds,
as arguments; only this module and the layers above it look it up.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from .company_directory import CompanyDirectory
from .documents.attestations import Keyring
from .domain.deadlines import Periods
from .domain.request_list import definition_lookup, fill_applicants
from .domain.signals import fill_requests
from .errors import ConfigurationError
from .fingerprints import Fingerprints
from .forms.registry import FormRegistry
from .sealing import SIGNING_KEY_INFO, Sealer
from .store import Store
from .store.database_files import DatabaseFiles
from .store.uploads import UploadArea, UploadStorage
from .throttle import Throttle
from .tokens import Tokens

#: A part file younger than this may belong to a submission still in progress in
#: another worker; recovery leaves it alone.
RECOVERY_GRACE_SECONDS = 3600

#: The background job looks for files a crash left at most this often.
TIDY_INTERVAL_SECONDS = 3600


@dataclass
class KitState:
    """What the kit keeps per application, in ``app.extensions["ecitiz"]``."""

    data_dir: Path
    store: Store
    uploads: UploadStorage
    forms: FormRegistry
    keyring: Keyring
    #: Seconds before an unreferenced stored file counts as left by a crash (the
    #: form ticket's lifetime: no submission in progress is older).
    orphan_file_age: float = 4 * 3600
    _tokens: tuple[tuple[Any, ...], Tokens] | None = None
    _throttle: tuple[tuple[str, bool], Throttle] | None = None
    _fingerprints: tuple[Any, Fingerprints] | None = None
    _directory: CompanyDirectory | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _tidied_at: float | None = None

    def tokens(self, config: Mapping[str, Any]) -> Tokens:
        """The token signer for the current keys (rebuilt when keys change)."""
        keys = (*(config.get("SECRET_KEY_FALLBACKS") or ()), config.get("SECRET_KEY"))
        if self._tokens is None or self._tokens[0] != keys:
            if not keys[-1]:
                raise ConfigurationError(
                    "SECRET_KEY is not set: the kit needs it to sign form tickets "
                    "and tracking links."
                )
            self._tokens = (keys, Tokens(keys))
        return self._tokens[1]

    def sealer(self, config: Mapping[str, Any]) -> Sealer:
        """What seals and opens webhook secrets under the current keys."""
        keys = (*(config.get("SECRET_KEY_FALLBACKS") or ()), config.get("SECRET_KEY"))
        if not keys[-1]:
            raise ConfigurationError(
                "SECRET_KEY is not set: the kit needs it to seal webhook secrets."
            )
        return Sealer(keys)

    def fingerprints(self, config: Mapping[str, Any]) -> Fingerprints:
        """The IBAN fingerprints for the current ``SECRET_KEY``.

        Fallback keys play no part: a fingerprint is compared, never verified.
        Changing ``SECRET_KEY`` makes new requests' IBANs compare apart from
        older ones'."""
        key = config.get("SECRET_KEY")
        if self._fingerprints is None or self._fingerprints[0] != key:
            if not key:
                raise ConfigurationError(
                    "SECRET_KEY is not set: the kit needs it to compare IBANs."
                )
            self._fingerprints = (key, Fingerprints(key))
        return self._fingerprints[1]

    def company_directory(self, config: Mapping[str, Any]) -> CompanyDirectory | None:
        """The company directory ``ECITIZ_COMPANY_LOOKUP_URL`` names (``None``:
        lookups are off), kept while the setting stays the same."""
        url = config.get("ECITIZ_COMPANY_LOOKUP_URL")
        if not url:
            return None
        with self._lock:
            if self._directory is None or self._directory.url != url.rstrip("/"):
                self._directory = CompanyDirectory(url)
            return self._directory

    def throttle(self, config: Mapping[str, Any]) -> Throttle:
        """The kit's rate limiter, built on first use (after the application has
        its final settings) and again if its storage or switch changes."""
        wanted = (ratelimit_storage(config), ratelimits_enabled(config))
        with self._lock:
            if self._throttle is None or self._throttle[0] != wanted:
                self._throttle = (wanted, Throttle(*wanted))
                warn_if_counted_per_process(config)
            return self._throttle[1]

    def tidy_uploads(self) -> tuple[int, int, int]:
        """Finish or remove what a crash left in the upload folder: parts the
        database has are moved into place, other old parts and old files no row
        references (as a request's or a kept file) are removed. Returns
        (moved, parts removed, files removed)."""
        store = self.store

        def holds(name: str) -> bool:
            return store.attachment_exists(name) or store.kept_upload_exists(name)

        kept, parts = self.uploads.recover(holds, min_age=RECOVERY_GRACE_SECONDS)
        files = self.uploads.sweep(holds, min_age=self.orphan_file_age)
        return kept, parts, files

    def tidy_uploads_now_and_then(self) -> None:
        """:meth:`tidy_uploads` if it last ran more than an hour ago (for a job
        that runs every few seconds)."""
        last = self._tidied_at
        if last is None or time.monotonic() - last >= TIDY_INTERVAL_SECONDS:
            self._tidied_at = time.monotonic()
            self.tidy_uploads()


def open_state(config: Mapping[str, Any]) -> KitState:
    """Open the data folder and the database (migrated) that ``config`` names."""
    data_dir = Path(config["ECITIZ_DATA_DIR"]).resolve()
    store = open_store(config, data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    folder = UploadArea(data_dir / "uploads")
    uploads: UploadStorage
    if store.dialect == "postgresql":
        # Every host signs with the keys sealed in the shared database, and
        # serves the files stored there.
        keyring = Keyring.sealed(
            store, lambda: signing_key_sealer(config), data_dir / "keys"
        )
        uploads = DatabaseFiles(store, folder)
    else:
        keyring = Keyring.in_folder(store, data_dir / "keys")
        uploads = folder
    return KitState(
        data_dir,
        store,
        uploads,
        FormRegistry(),
        keyring,
        orphan_file_age=config["ECITIZ_FORM_TICKET_MAX_AGE"],
    )


def signing_key_sealer(config: Mapping[str, Any]) -> Sealer:
    """What seals and opens private signing keys under the current keys."""
    keys = (*(config.get("SECRET_KEY_FALLBACKS") or ()), config.get("SECRET_KEY"))
    if not keys[-1]:
        raise ConfigurationError(
            "SECRET_KEY is not set: the kit needs it to seal signing keys."
        )
    return Sealer(keys, SIGNING_KEY_INFO)


def open_store(config: Mapping[str, Any], data_dir: Path) -> Store:
    """The store ``ECITIZ_DATABASE_URL`` names (unset: the SQLite file in the data
    folder), migrated; a database that cannot be opened is a configuration error
    naming the setting."""
    url = config.get("ECITIZ_DATABASE_URL")
    if not url:
        store = Store(
            data_dir / "ecitiz.sqlite3",
            busy_timeout_ms=config["ECITIZ_SQLITE_BUSY_TIMEOUT"],
        )
        store.migrate()
        return store
    try:
        from .store.postgresql import Unreachable
    except ImportError:
        raise ConfigurationError(
            "ECITIZ_DATABASE_URL names PostgreSQL, which needs psycopg: "
            "pip install 'ecitiz-kit[postgresql]'."
        ) from None
    store = Store(url, pool_size=config["ECITIZ_DATABASE_POOL_SIZE"])
    try:
        store.migrate()
    except Unreachable as exc:
        raise ConfigurationError(f"ECITIZ_DATABASE_URL: {exc}.") from None
    return store


def periods(config: Mapping[str, Any]) -> Periods:
    """How due dates are counted, from the settings."""
    return Periods(config["ECITIZ_TIMEZONE"], config["ECITIZ_DECISION_DAYS"])


def start(kit: KitState, config: Mapping[str, Any]) -> None:
    """Work done once at start-up: finish what a crash left half done.

    Uploaded files that no request holds are removed (see
    :meth:`KitState.tidy_uploads`), and requests stored before the list could
    search applicants, or before due dates and signals, get those columns.
    """
    kit.tidy_uploads()
    lookup = definition_lookup(kit.store, kit.forms)
    fill_applicants(kit.store, lookup)
    counted = periods(config)
    if config.get("SECRET_KEY") and kit.store.requests_to_fill(1):

        @functools.cache
        def days(organisation_id: int, form_id: str) -> int:
            definition = lookup(organisation_id, form_id)
            row = kit.store.enabled_form(organisation_id, form_id)
            return counted.days(row, definition) if definition else counted.default

        fill_requests(
            kit.store,
            lookup,
            kit.fingerprints(config),
            decision_days=days,
            timezone=counted.timezone,
        )
    kit.store.close()


def state(app: Flask | None = None) -> KitState:
    """The kit's state for ``app`` (the current app by default)."""
    app = app or current_app
    try:
        return app.extensions["ecitiz"]
    except KeyError:
        raise ConfigurationError(
            "ecitiz-kit is not set up on this application: call EcitizKit(app)."
        ) from None


def ratelimits_enabled(config: Mapping[str, Any]) -> bool:
    """Whether the kit's rate limits apply: ``ECITIZ_RATELIMIT_ENABLED``, and
    Flask-Limiter's ``RATELIMIT_ENABLED`` when a host application turned that off."""
    return bool(
        config["ECITIZ_RATELIMIT_ENABLED"] and config.get("RATELIMIT_ENABLED", True)
    )


def ratelimit_storage(config: Mapping[str, Any]) -> str:
    """Where rate-limit counters live (``memory://``: in each process)."""
    return (
        config["ECITIZ_RATELIMIT_STORAGE_URI"]
        or config.get("RATELIMIT_STORAGE_URI")
        or "memory://"
    )


def counts_per_process(config: Mapping[str, Any]) -> bool:
    """Whether rate limits are on but counted by each process on its own."""
    return ratelimits_enabled(config) and ratelimit_storage(config).startswith(
        "memory://"
    )


_warned_per_process = False


def warn_if_counted_per_process(config: Mapping[str, Any]) -> None:
    """Say once per process, when it first counts a hit (a server's first limited
    request, never a command that counts nothing), that counters are kept per
    process, unless ``memory://`` was chosen in so many words (one process
    serves)."""
    global _warned_per_process
    chosen = config["ECITIZ_RATELIMIT_STORAGE_URI"] or config.get(
        "RATELIMIT_STORAGE_URI"
    )
    if _warned_per_process or chosen or not counts_per_process(config):
        return
    _warned_per_process = True
    logging.getLogger("ecitiz_kit").warning(
        "ecitiz-kit counts its rate limits in memory, per process: with several "
        "workers each one counts on its own and lets more through. Set "
        "ECITIZ_RATELIMIT_STORAGE_URI to a shared storage (redis://…), or serve "
        "with one worker; `ecitiz doctor` checks the deployment."
    )
