"""The ``flask ecitiz`` command group, the same in any application that mounts
the kit."""

from __future__ import annotations

from . import (
    backup,
    deadlines,
    doctor,
    documents,
    mail,
    retention,
    schedule,
    settings,
    team,
)
from .commands import group

__all__ = [
    "backup",
    "deadlines",
    "doctor",
    "documents",
    "group",
    "mail",
    "retention",
    "schedule",
    "settings",
    "team",
]
