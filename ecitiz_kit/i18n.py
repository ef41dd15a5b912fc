"""The translation layer: message catalogs, the page language, dates in words.

Message ids are English; ``translations/<lang>/LC_MESSAGES/messages.po`` holds the
other languages. Catalogs are read from the ``.po`` files once per process, so no
compiled file has to be kept in step with its source.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.dates import format_timedelta, get_timezone
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES: tuple[str, ...] = ("fr", "en")
FALLBACK_LANGUAGE = "fr"

#: The language of the page being rendered; the web layer sets it per request.
_page_language: ContextVar[str | None] = ContextVar("ecitiz_lang", default=None)


@functools.cache
def catalog(lang: str) -> NullTranslations:
    """Return the translations for ``lang`` (English is the message ids)."""
    path = resources.files("ecitiz_kit") / "translations" / lang / "LC_MESSAGES"
    source = path / "messages.po"
    if not source.is_file():
        return NullTranslations()
    with source.open("rb") as fp:
        po = read_po(fp, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, po)
    compiled.seek(0)
    return Translations(compiled)


def current_language() -> str:
    """The language of the page being rendered (the fallback outside one)."""
    return _page_language.get() or FALLBACK_LANGUAGE


def use_language(lang: str | None) -> None:
    """Render in ``lang`` from now on in this context (``None``: the fallback)."""
    _page_language.set(lang)


def today(timezone: str) -> date:
    """Today's date in ``timezone``: validity dates and day counts are calendar
    dates where the kit's organisations are."""
    return datetime.now(ZoneInfo(timezone)).date()


def choose_language(
    asked: str | None, accept_languages: Any, default: str = FALLBACK_LANGUAGE
) -> str:
    """Pick the page language: ``?lang=`` first, then ``Accept-Language``."""
    if asked in LANGUAGES:
        return asked
    best = accept_languages.best_match(LANGUAGES) if accept_languages else None
    return best or (default if default in LANGUAGES else FALLBACK_LANGUAGE)


def gettext(message: str, lang: str | None = None, **variables: Any) -> str:
    """Translate ``message`` and fill its ``%(name)s`` placeholders."""
    text = catalog(lang or current_language()).ugettext(message)
    return text % variables if variables else text


def ngettext(
    singular: str, plural: str, n: int, lang: str | None = None, **variables: Any
) -> str:
    """Translate a message whose form depends on ``n`` (available as ``num``)."""
    text = catalog(lang or current_language()).ungettext(singular, plural, n)
    return text % {"num": n, **variables}


def text(value: str | Mapping[str, str] | None, lang: str | None = None) -> str:
    """Pick a definition text (``{"fr": …, "en": …}``) in the page language."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    lang = lang or current_language()
    return value.get(lang) or value.get(FALLBACK_LANGUAGE) or next(iter(value.values()))


def format_datetime(
    moment: datetime, lang: str | None = None, timezone: str | None = None
) -> str:
    """A date and time as people write it in the page language and time zone."""
    return _format_datetime(
        moment,
        "medium",
        tzinfo=get_timezone(timezone) if timezone else None,
        locale=lang or current_language(),
    )


def format_minute(
    moment: datetime, lang: str | None = None, timezone: str | None = None
) -> str:
    """A date and time to the minute, as a deadline is written (``1 mars 2026,
    09:00``), in the page language and ``timezone``."""
    return _format_datetime(
        moment,
        "d MMMM y, HH:mm",
        tzinfo=get_timezone(timezone) if timezone else None,
        locale=lang or current_language(),
    )


def format_date(day: date, lang: str | None = None) -> str:
    """A calendar date in words, in the page language (``1 décembre 2026``)."""
    return _format_date(day, "long", locale=lang or current_language())


def format_duration(seconds: int, lang: str | None = None) -> str:
    """A wait in words, never shorter than ``seconds`` (``12 minutes``)."""
    # Rounded up to whole minutes, then to whole hours past two hours: a wait
    # told as shorter than it is would only earn another refusal.
    if seconds > 60:
        seconds = -(-seconds // 60) * 60
    if seconds > 7200:
        seconds = -(-seconds // 3600) * 3600
    return format_timedelta(
        timedelta(seconds=seconds),
        threshold=2,
        format="long",
        locale=lang or current_language(),
    )


_ = gettext
