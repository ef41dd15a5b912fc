"""The pages applicants and verifiers see: the counter, forms, receipts, tracking,
"my requests", amendments, attestation checks, and the embed scripts."""

from __future__ import annotations

from . import (
    amend_page,
    company_page,
    counter_page,
    draft_page,
    health,
    my_requests_page,
    pages,
    request_pages,
    steps_page,
    tracking_page,
    verify_page,
    widget,
)

#: Registered under the kit's URL prefix, in this order.
blueprints = (
    # With the views of amend_page, company_page, draft_page, my_requests_page,
    # request_pages and steps_page.
    pages.blueprint,
    tracking_page.blueprint,
    counter_page.blueprint,
    widget.blueprint,
    verify_page.blueprint,
    health.blueprint,
)
#: Registered at the site root, where verifiers look for the public keys.
well_known = verify_page.well_known

__all__ = [
    "amend_page",
    "blueprints",
    "company_page",
    "draft_page",
    "my_requests_page",
    "request_pages",
    "steps_page",
    "well_known",
]
