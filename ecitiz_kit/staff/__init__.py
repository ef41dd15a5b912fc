"""The staff dashboard: one blueprint, its pages in one module each."""

from __future__ import annotations

from . import (
    account,
    assignment,
    bulk_page,
    comments,
    embed_page,
    list_page,
    queue,
    request_page,
    settings_page,
)
from .blueprint import blueprint

__all__ = [
    "account",
    "assignment",
    "blueprint",
    "bulk_page",
    "comments",
    "embed_page",
    "list_page",
    "queue",
    "request_page",
    "settings_page",
]
