"""The ``flask ecitiz`` command group, the same in any application that mounts
the kit."""

from __future__ import annotations

from . import doctor, mail
from .commands import group

__all__ = ["doctor", "group", "mail"]
