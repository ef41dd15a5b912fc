"""The staff dashboard: one blueprint, its pages in one module each."""

from __future__ import annotations

from . import (
    account,
    api_tokens_page,
    assignment,
    audit_page,
    bulk_page,
    comments,
    deadlines_page,
    embed_page,
    export_page,
    list_page,
    payments_page,
    queue,
    request_page,
    settings_page,
    team_page,
    webhooks_page,
)
from .blueprint import blueprint

__all__ = [
    "account",
    "api_tokens_page",
    "assignment",
    "audit_page",
    "blueprint",
    "bulk_page",
    "comments",
    "deadlines_page",
    "embed_page",
    "export_page",
    "list_page",
    "payments_page",
    "queue",
    "request_page",
    "settings_page",
    "team_page",
    "webhooks_page",
]
