"""The read-only JSON API of an organisation's requests, for its other systems."""

from __future__ import annotations

from . import views
from .blueprint import blueprint

__all__ = ["blueprint", "views"]
