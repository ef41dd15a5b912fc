"""The ``flask ecitiz`` command group, the same in any application that mounts
the kit."""

from __future__ import annotations

from . import (
    api_tokens,
    backup,
    companies,
    copy_db,
    deadlines,
    doctor,
    documents,
    mail,
    retention,
    schedule,
    settings,
    team,
    webhooks,
)
from .commands import group

__all__ = [
    "api_tokens",
    "backup",
    "companies",
    "copy_db",
    "deadlines",
    "doctor",
    "documents",
    "group",
    "mail",
    "retention",
    "schedule",
    "settings",
    "team",
    "webhooks",
]
