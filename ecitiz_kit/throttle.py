"""Rate limits for the kit's own pages, on ``limits`` (the engine of Flask-Limiter).

The kit keeps its own limiter rather than a ``flask_limiter.Limiter`` on the
application: that one would also apply a host application's ``RATELIMIT_DEFAULT``
to the kit's pages (and the kit's limits to the host's), and count by endpoint
where the kit counts by client address, organisation, e-mail address or account.
Keys are hashed, so a shared store (Redis…) never holds an address.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter


@dataclass(frozen=True)
class Key:
    """One thing to count: ``value`` (an address, an id…) within ``scope``,
    against ``limits`` such as ``"5 per hour; 20 per day"`` (None: no limit)."""

    scope: str
    value: str
    limits: str | None


@dataclass(frozen=True)
class Verdict:
    """Whether a hit was allowed; if not, the seconds until it would be."""

    allowed: bool
    retry_after: int = 0

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Verdict(True)

#: What the limiter counts: a limit, then the parts of its key.
Counter = tuple[RateLimitItem, str, str, str]


class Throttle:
    """Count hits per key against their limits, in one storage of ``limits``."""

    def __init__(self, storage_uri: str = "memory://", enabled: bool = True) -> None:
        self.enabled = enabled
        storage = storage_from_string(storage_uri)
        #: Each process counts on its own: N workers let N times as much through.
        self.per_process = isinstance(storage, MemoryStorage)
        self._storage = storage
        self._limiter = MovingWindowRateLimiter(storage)

    def reachable(self) -> bool:
        """Whether the storage answers (a shared one may be down)."""
        return bool(self._storage.check())

    def check(self, *keys: Key) -> Verdict:
        """Whether one more hit on every key would be allowed; counts nothing."""
        if not self.enabled:
            return ALLOWED
        counters = _counters(keys)
        refused = [c for c in counters if not self._limiter.test(*c)]
        return Verdict(False, self._retry_after(refused)) if refused else ALLOWED

    def hit(self, *keys: Key) -> Verdict:
        """Count one hit on every key, or on none of them when one is used up.

        Every key is checked before any is counted, so a refusal on one key costs
        the others nothing: a client refused for its own flood does not use up
        the budget of the address it was writing to.
        """
        if not self.enabled:
            return ALLOWED
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
        for counter in _counters(keys):
            self._limiter.clear(*counter)

    def _retry_after(self, refused: list[Counter]) -> int:
        """Whole seconds until every refusing limit has room again."""
        now = time.time()
        reset = max(self._limiter.get_window_stats(*c).reset_time for c in refused)
        # A hit at the very moment of the reset is still refused: the first
        # whole second after it.
        return max(1, math.floor(reset - now) + 1)


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
