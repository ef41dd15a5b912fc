"""The staff dashboard: one blueprint, its pages in one module each."""

from __future__ import annotations

from . import (
    account,
    api_tokens_page,
    embed_page,
    list_page,
    request_page,
    settings_page,
)
from .blueprint import blueprint

__all__ = [
    "account",
    "api_tokens_page",
    "blueprint",
    "embed_page",
    "list_page",
    "request_page",
    "settings_page",
]
