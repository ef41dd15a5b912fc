"""Rate limits for the kit's own pages, on ``limits`` (the engine of Flask-Limiter).

The kit keeps its own limiter rather than a ``flask_limiter.Limiter`` on the
application: that one would also apply a host application's ``RATELIMIT_DEFAULT``
to the kit's pages (and the kit's limits to the host's), and count by endpoint
where the kit counts by client address, organisation, e-mail address or account.
Keys are hashed, so a shared store (Redis…) never holds an address.

When a shared store cannot be reached, nothing fails: each key says what its
limit does then (:attr:`Key.fail_closed`), and the outage is logged.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import threading
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter


@dataclass(frozen=True)
class Key:
    """One thing to count: ``value`` (an address, an id…) within ``scope``,
    against ``limits`` such as ``"5 per hour; 20 per day"`` (None: no limit).

    ``fail_closed``: while the counters cannot be reached, refuse rather than let
    through (for what only the count protects, such as guessing passwords)."""

    scope: str
    value: str
    limits: str | None
    fail_closed: bool = False


@dataclass(frozen=True)
class Verdict:
    """Whether a hit was allowed; if not, the seconds until it would be.
    ``unavailable``: the counters could not be reached, so the keys' policy
    decided, not a count."""

    allowed: bool
    retry_after: int = 0
    unavailable: bool = False

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Verdict(True)

#: Seconds a refusal asks to wait while the counters cannot be reached.
UNAVAILABLE_RETRY_AFTER = 60
#: Seconds a shared store has to connect and to answer, so that a store that
#: hangs costs a page a moment, never its worker.
STORAGE_TIMEOUT = 0.5
#: At most one log line per this many seconds while the counters are down.
LOG_EVERY = 60

log = logging.getLogger(__name__)

#: What the limiter counts: a limit, then the parts of its key.
Counter = tuple[RateLimitItem, str, str, str]


class Throttle:
    """Count hits per key against their limits, in one storage of ``limits``."""

    def __init__(self, storage_uri: str = "memory://", enabled: bool = True) -> None:
        self.enabled = enabled
        storage = storage_from_string(
            storage_uri, wrap_exceptions=True, **_timeouts(storage_uri)
        )
        #: Each process counts on its own: N workers let N times as much through.
        self.per_process = isinstance(storage, MemoryStorage)
        self._storage = storage
        self._limiter = MovingWindowRateLimiter(storage)
        self._logged_at = -math.inf
        self._log_lock = threading.Lock()

    def reachable(self) -> bool:
        """Whether the storage answers (a shared one may be down)."""
        try:
            return bool(self._storage.check())
        except StorageError:
            return False

    def check(self, *keys: Key) -> Verdict:
        """Whether one more hit on every key would be allowed; counts nothing."""
        if not self.enabled:
            return ALLOWED
        try:
            counters = _counters(keys)
            refused = [c for c in counters if not self._limiter.test(*c)]
            return Verdict(False, self._retry_after(refused)) if refused else ALLOWED
        except StorageError as error:
            return self._unavailable(keys, error)

    def hit(self, *keys: Key) -> Verdict:
        """Count one hit on every key, or on none of them when one is used up.

        Every key is checked before any is counted, so a refusal on one key costs
        the others nothing: a client refused for its own flood does not use up
        the budget of the address it was writing to.
        """
        if not self.enabled:
            return ALLOWED
        try:
            return self._hit(keys)
        except StorageError as error:
            return self._unavailable(keys, error)

    def _hit(self, keys: tuple[Key, ...]) -> Verdict:
        counters = _counters(keys)
        refused = [c for c in counters if not self._limiter.test(*c)]
        if not refused:
            for counter in counters:
                # Each hit is atomic: when a parallel request took the last place
                # since the check, this one is refused (its earlier hits stay).
                if not self._limiter.hit(*counter):
                    refused = [counter]
                    break
        if not refused:
            return ALLOWED
        return Verdict(False, self._retry_after(refused))

    def clear(self, *keys: Key) -> None:
        """Forget every hit counted on ``keys`` (a success that ends a series)."""
        try:
            for counter in _counters(keys):
                self._limiter.clear(*counter)
        except StorageError as error:
            self._unavailable(keys, error)

    def _unavailable(self, keys: tuple[Key, ...], error: StorageError) -> Verdict:
        """The keys' policy while the counters cannot be reached: refused when
        one of them fails closed, let through otherwise; logged now and then."""
        now = time.monotonic()
        with self._log_lock:
            due = now - self._logged_at >= LOG_EVERY
            if due:
                self._logged_at = now
        if due:
            log.warning(
                "rate-limit counters unreachable (%s): sign-in refused, other"
                " pages let through until they answer",
                error.storage_error,
            )
        if any(key.fail_closed for key in keys):
            return Verdict(False, UNAVAILABLE_RETRY_AFTER, unavailable=True)
        return Verdict(True, unavailable=True)

    def _retry_after(self, refused: list[Counter]) -> int:
        """Whole seconds until every refusing limit has room again."""
        now = time.time()
        reset = max(self._limiter.get_window_stats(*c).reset_time for c in refused)
        # A hit at the very moment of the reset is still refused: the first
        # whole second after it.
        return max(1, math.floor(reset - now) + 1)


def _timeouts(storage_uri: str) -> dict[str, float]:
    """Connection and answer timeouts for a Redis storage (others keep theirs)."""
    if storage_uri.split("://", 1)[0] in ("redis", "rediss", "redis+unix"):
        return dict.fromkeys(
            ("socket_timeout", "socket_connect_timeout"), STORAGE_TIMEOUT
        )
    return {}


def _counters(keys: tuple[Key, ...]) -> list[Counter]:
    return [
        (limit, "ecitiz", key.scope, _digest(key.value))
        for key in keys
        for limit in parsed(key.limits)
    ]


@functools.lru_cache(maxsize=64)
def parsed(limits: str | None) -> tuple[RateLimitItem, ...]:
    """``"5 per hour; 20 per day"`` as ``limits`` items (config checked them)."""
    return tuple(parse_many(limits)) if limits else ()


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]
