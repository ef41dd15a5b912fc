"""Rate limits for the kit's own pages, on ``limits`` (the engine of Flask-Limiter).

The kit keeps its own limiter rather than a ``flask_limiter.Limiter`` on the
application: that one would also apply a host application's ``RATELIMIT_DEFAULT``
to the kit's pages (and the kit's limits to the host's), and count by endpoint
where the kit counts by e-mail address or reference. Keys are hashed, so a shared
store (Redis…) never holds an address.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from .errors import ConfigurationError


def parse_limits(limits: str | None) -> list[RateLimitItem]:
    """The limits ``ECITIZ_LOST_LINK_LIMIT`` names (none for ``None`` or "")."""
    try:
        return parse_many(limits) if limits else []
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(
            f"ECITIZ_LOST_LINK_LIMIT: {limits!r} is not a rate limit such as "
            f"'5 per hour' ({exc})."
        ) from None


class Throttle:
    """Count hits per (scope, key) against a list of limits such as ``5 per hour``."""

    def __init__(self, limits: str | None, storage_uri: str = "memory://") -> None:
        self.limits = parse_limits(limits)
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def hit(self, scope: str, key: str) -> bool:
        """Count one hit; False when any limit is already used up (not counted)."""
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        allowed = True
        for limit in self.limits:
            if not self._limiter.hit(limit, "ecitiz", scope, digest):
                allowed = False
        return allowed


_lock = threading.Lock()


def throttle_for(app: Any) -> Throttle:
    """The application's lost-link throttle, built on first use."""
    found = app.extensions.get("ecitiz_throttle")
    if found is None:
        with _lock:
            found = app.extensions.get("ecitiz_throttle")
            if found is None:
                config = app.config
                enabled = config.get("RATELIMIT_ENABLED", True)
                storage = (
                    config["ECITIZ_RATELIMIT_STORAGE_URI"]
                    or config.get("RATELIMIT_STORAGE_URI")
                    or "memory://"
                )
                found = Throttle(
                    config["ECITIZ_LOST_LINK_LIMIT"] if enabled else None, storage
                )
                app.extensions["ecitiz_throttle"] = found
    return found
