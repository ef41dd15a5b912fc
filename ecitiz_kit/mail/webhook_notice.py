"""The e-mail that tells an organisation's admins that one of its webhook
endpoints was disabled after failing again and again. It holds no applicant
data: the endpoint's address, the count of failures and a link to the page."""

from __future__ import annotations

from typing import Any

from ..i18n import gettext
from .messages import Composer, _message

WEBHOOK_DISABLED = "webhook-disabled"


def webhook_disabled_message(
    composer: Composer,
    organisation: dict[str, Any],
    *,
    email: str,
    url: str,
    failures: int,
    page_url: str | None,
) -> dict[str, Any]:
    """Tell admin ``email`` that the endpoint at ``url`` was disabled after
    ``failures`` failed attempts in a row; ``page_url`` is where to enable it."""
    lang = composer.default_language
    return _message(
        composer,
        WEBHOOK_DISABLED,
        lang,
        organisation,
        {"id": None, "reference": ""},
        recipient=email,
        reply_to_organisation=False,
        subject=gettext(
            "%(organisation)s: a webhook endpoint was disabled",
            lang,
            organisation=organisation["name"],
        ),
        values={"url": url, "failures": failures, "page_url": page_url},
    )
