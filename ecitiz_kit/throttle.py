"""Rate limits for the kit's own pages, on ``limits`` (the engine of Flask-Limiter).

The kit keeps its own limiter rather than a ``flask_limiter.Limiter`` on the
application: that one would also apply a host application's ``RATELIMIT_DEFAULT``
to the kit's pages (and the kit's limits to the host's), and count by endpoint
where the kit counts by e-mail address or reference. Keys are hashed, so a shared
store (Redis…) never holds an address.
"""

from __future__ import annotations

import hashlib

from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


class Throttle:
    """Count hits per (scope, key) against a list of limits such as ``5 per hour``."""

    def __init__(self, limits: str | None, storage_uri: str = "memory://") -> None:
        # config.check_settings has already refused limits that do not parse.
        self.limits = parse_many(limits) if limits else []
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def hit(self, scope: str, key: str) -> bool:
        """Count one hit; False when any limit is already used up (not counted)."""
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        allowed = True
        for limit in self.limits:
            if not self._limiter.hit(limit, "ecitiz", scope, digest):
                allowed = False
        return allowed
