"""The e-mail that tells an organisation's admins which requests will soon be
deleted or anonymised, their retention period being over. Like every staff
e-mail it holds no applicant data: forms, counts and a date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from ..i18n import format_date, gettext
from .messages import Composer, _message

PURGE_NOTICE = "purge-notice"


def purge_notice_message(
    composer: Composer,
    organisation: dict[str, Any],
    *,
    email: str,
    forms: Sequence[tuple[str, int, int]],
    purge_on: date,
) -> dict[str, Any]:
    """Tell admin ``email`` that requests of ``forms`` (title, how many to
    delete, how many to anonymise) go on ``purge_on`` at the earliest."""
    lang = composer.default_language
    total = sum(deleted + anonymised for _title, deleted, anonymised in forms)
    return _message(
        composer,
        PURGE_NOTICE,
        lang,
        organisation,
        {"id": None, "reference": ""},
        recipient=email,
        reply_to_organisation=False,
        subject=gettext(
            "%(count)s requests to %(organisation)s reach the end of their"
            " retention period",
            lang,
            count=total,
            organisation=organisation["name"],
        ),
        values={
            "forms": forms,
            "total": total,
            "purge_on": format_date(purge_on, lang),
        },
    )
