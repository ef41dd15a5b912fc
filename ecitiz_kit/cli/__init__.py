"""The ``flask ecitiz`` command group, the same in any application that mounts
the kit."""

from __future__ import annotations

from . import api_tokens, backup, doctor, documents, mail, schedule, settings
from .commands import group

__all__ = [
    "api_tokens",
    "backup",
    "doctor",
    "documents",
    "group",
    "mail",
    "schedule",
    "settings",
]
