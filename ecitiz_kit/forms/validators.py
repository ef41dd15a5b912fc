"""WTForms validators for the kit's field types.

Each check reads the text submitted for one field and either refuses it with a message
that says how to fix it, or replaces ``field.data`` with the clean value (compact
identifiers, ``date``, ``Decimal``, ``int``; files are checked in :mod:`.files`).
``pattern`` and ``maxlength`` are also put on the HTML control; the server tests them
first, with the same regular expressions, so whatever the server accepts the browser
accepts too. Patterns avoid ``\\d`` and ``\\s``, whose meaning differs between Python
and JavaScript.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from stdnum import bic, iban
from stdnum.exceptions import ValidationError as NumberError
from stdnum.fr import siren, siret
from wtforms.validators import StopValidation, ValidationError

from ..i18n import current_language, gettext
from .definitions import resolve_date

_SEPARATOR = "[ \u00a0\u202f]"  # thousands separators people type or paste


def utf16_length(value: str) -> int:
    """Length as the browser counts it for ``maxlength`` (UTF-16 code units)."""
    return len(value.encode("utf-16-le")) // 2


#: ``autocomplete`` tokens of text fields that hold a name: a name is refused with
#: invisible format characters in it, like an identifier.
NAME_AUTOCOMPLETE = frozenset(
    (
        "name", "honorific-prefix", "given-name", "additional-name", "family-name",
        "honorific-suffix", "nickname", "organization", "organization-title",
        "username",
    )
)  # fmt: skip
#: Joiners shape emoji and Indic or Persian words, and cannot reorder or hide
#: text: free text keeps them, shown as they are.
_JOINERS = "\u200c\u200d"


@functools.cache
def _format_characters(keep: str = "") -> re.Pattern[str]:
    """Every Unicode format character (category ``Cf``: text direction
    overrides and isolates, zero-width spaces, the BOM…) but those in ``keep``."""
    ranges: list[list[int]] = []
    for code in range(0x80, sys.maxunicode + 1):  # none in ASCII
        char = chr(code)
        if unicodedata.category(char) != "Cf" or char in keep:
            continue
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return re.compile(
        "[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in ranges) + "]"
    )


def has_format_characters(value: str) -> bool:
    """Whether ``value`` holds an invisible format character (joiners included)."""
    return not value.isascii() and _format_characters().search(value) is not None


def reveal_format_characters(value: str) -> str:
    """``value`` with its invisible format characters written out as ``<U+202E>``.

    A right-to-left override or a zero-width space in an answer would make staff
    read something else than what was sent (``‮fdp.exe`` shown as ``exe.pdf``);
    written out, it changes nothing on screen and stays visible in exports and
    e-mails. Joiners (U+200C, U+200D), which emoji and some scripts need, stay.
    """
    if value.isascii():  # most answers: nothing to look for
        return value
    return _format_characters(_JOINERS).sub(_written_out, value)


def _written_out(match: re.Match[str]) -> str:
    return f"<U+{ord(match.group()):04X}>"


def format_characters_message() -> str:
    """Why a name or an identifier with an invisible format character is refused."""
    return gettext(
        "Remove the invisible formatting characters (such as text direction marks)"
        " from this answer: type it again rather than pasting it."
    )


def _is_empty(data: Any) -> bool:
    return data is None or data is False or data == [] or str(data).strip() == ""


class Required:
    """Refuse an empty answer (or an unticked box) with the field's own advice."""

    field_flags = {"required": True}

    def __init__(self, message: Callable[[], str]) -> None:
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if _is_empty(field.data):
            raise StopValidation(self.message())


class Skip:
    """Accept an empty answer to an optional question and check nothing more."""

    field_flags = {"optional": True}

    def __call__(self, form: Any, field: Any) -> None:
        if _is_empty(field.data):
            field.errors[:] = []
            raise StopValidation()


class ValueCheck:
    """Base of the checks that parse a text answer into a clean value.

    Answers with invisible format characters are refused, but by free text checks
    (their display shows them instead: see :func:`reveal_format_characters`).
    """

    pattern: str | None = None
    maxlength: int | None = None
    refuse_format_characters = True

    def __call__(self, form: Any, field: Any) -> None:
        raw = self.prepare(field.data) if isinstance(field.data, str) else None
        if raw is None:
            raise StopValidation(self.message())
        if self.refuse_format_characters and has_format_characters(raw):
            raise StopValidation(format_characters_message())
        length = utf16_length(raw)
        if self.maxlength is not None and length > self.maxlength:
            raise StopValidation(too_long(self.maxlength, length))
        if self.pattern is not None and not re.fullmatch(self.pattern, raw):
            raise StopValidation(self.message())
        field.data = self.clean(raw.strip(" "))

    def prepare(self, raw: str) -> str:
        return raw

    def message(self) -> str:
        """What to enter, with an example (also the message for a missing answer)."""
        return gettext("Fill in this field.")

    def clean(self, value: str) -> Any:
        return value


def too_long(maxlength: int, length: int) -> str:
    return gettext(
        "This is too long: shorten it to %(max)s characters at most "
        "(it has %(length)s).",
        max=maxlength,
        length=length,
    )


#: Unicode's control characters (category ``Cc``: C0, DEL and C1) but the tab,
#: and the line feed in multi-line text.
_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_CONTROLS_MULTILINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def has_controls(value: str) -> bool:
    """Whether ``value`` holds a control character a person cannot have meant
    (a NUL among them): any but the tab and the line breaks."""
    return _CONTROLS_MULTILINE.search(value.replace("\r", "\n")) is not None


def controls_message() -> str:
    """What to tell a person whose text holds such a character."""
    return gettext("Remove the invisible control characters from this text.")


class TextCheck(ValueCheck):
    """Free text of bounded length, without invisible control characters.

    A ``name`` (a person's or an organisation's) is also refused with invisible
    format characters; free text keeps them (an emoji needs its joiners).
    """

    def __init__(
        self,
        max_length: int,
        min_length: int | None,
        multiline: bool,
        name: bool = False,
    ):
        self.maxlength = max_length
        self.min_length = min_length or 0
        self.controls = _CONTROLS_MULTILINE if multiline else _CONTROLS
        self.refuse_format_characters = name

    def prepare(self, raw: str) -> str:
        # Browsers count a line break as one character but send it as CR LF.
        return raw.replace("\r\n", "\n").replace("\r", "\n")

    def clean(self, value: str) -> str:
        value = unicodedata.normalize("NFC", value.strip())
        if self.controls.search(value):
            raise ValidationError(controls_message())
        if utf16_length(value) < self.min_length:
            raise ValidationError(
                gettext(
                    "This is too short: write at least %(min)s characters.",
                    min=self.min_length,
                )
            )
        return value


_EMAIL = "[^ @]+@[^ @.]+(?:[.][^ @.]+)+"
MAX_EMAIL = 254


def is_email_address(value: str) -> bool:
    """Whether ``value`` is an e-mail address as the forms accept one (the
    command line and the "my requests" form check addresses the same way)."""
    return (
        utf16_length(value) <= MAX_EMAIL
        and re.fullmatch(_EMAIL, value) is not None
        and _plain_address(value)
    )


def _plain_address(value: str) -> bool:
    local = value.partition("@")[0]
    return len(local) <= 64 and not any(
        c.isspace() or unicodedata.category(c)[0] == "C" for c in value
    )


class EmailCheck(ValueCheck):
    """An e-mail address: one @, a dotted domain, no spaces, 254 characters."""

    pattern = f" *{_EMAIL} *"
    maxlength = MAX_EMAIL

    def message(self) -> str:
        return gettext("Enter an e-mail address like name@example.fr.")

    def clean(self, value: str) -> str:
        if not _plain_address(value):
            raise ValidationError(self.message())
        local, _, domain = value.partition("@")
        return f"{local}@{domain.lower()}"


class TelCheck(ValueCheck):
    """A French or international phone number, stored as ``+`` and digits."""

    pattern = " *[+]?[0-9](?:[ .\\-]?[0-9]){9,14} *"
    maxlength = 40

    def message(self) -> str:
        return gettext(
            "Enter a phone number of 10 to 15 digits, e.g. 06 12 34 56 78 "
            "or +33 6 12 34 56 78."
        )

    def clean(self, value: str) -> str:
        return re.sub("[^+0-9]", "", value)


class PostalCodeCheck(ValueCheck):
    """A French postal code: 5 digits starting with a real department."""

    pattern = " *(?:0[1-9]|[1-8][0-9]|9[0-578])[0-9]{3} *"
    maxlength = 10

    def message(self) -> str:
        return gettext("Enter a French postal code of 5 digits, e.g. 75001.")


class NumberCodeCheck(ValueCheck):
    """An identifier checked by python-stdnum, stored in its compact form."""

    def __init__(self, module: Any, pattern: str, maxlength: int) -> None:
        self.module = module
        self.pattern = pattern
        self.maxlength = maxlength

    def clean(self, value: str) -> str:
        try:
            return str(self.module.validate(value))
        except NumberError:
            raise ValidationError(self.wrong()) from None

    def wrong(self) -> str:
        return self.message()


class SiretCheck(NumberCodeCheck):
    """A SIRET (establishment) number; La Poste's exception comes with stdnum."""

    def __init__(self) -> None:
        super().__init__(siret, " *[0-9](?: ?[0-9]){13} *", 32)

    def message(self) -> str:
        return gettext(
            "Enter the 14-digit SIRET number of your establishment, "
            "e.g. 732 829 320 00074."
        )

    def wrong(self) -> str:
        return gettext(
            "This SIRET number is not valid: check the 14 digits against your "
            "Kbis extract or your INSEE registration notice (avis de situation)."
        )


class SirenCheck(NumberCodeCheck):
    """A SIREN (company) number."""

    def __init__(self) -> None:
        super().__init__(siren, " *[0-9](?: ?[0-9]){8} *", 24)

    def message(self) -> str:
        return gettext(
            "Enter the 9-digit SIREN number of the company, e.g. 732 829 320."
        )

    def wrong(self) -> str:
        return gettext(
            "This SIREN number is not valid: check the 9 digits against your "
            "Kbis extract or your INSEE registration notice (avis de situation)."
        )


class IbanCheck(NumberCodeCheck):
    """An IBAN of any country, stored compact and in capitals."""

    def __init__(self) -> None:
        super().__init__(iban, " *[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]){11,30} *", 70)

    def message(self) -> str:
        return gettext(
            "Enter the IBAN shown on your bank details (RIB), "
            "e.g. FR76 3000 6000 0112 3456 7890 189."
        )

    def wrong(self) -> str:
        return gettext(
            "This IBAN is not valid: copy it again from your bank details (RIB)."
        )


class BicCheck(NumberCodeCheck):
    """A BIC (SWIFT code): 8 or 11 characters."""

    def __init__(self) -> None:
        super().__init__(bic, " *[A-Za-z]{6}[A-Za-z0-9]{2}(?:[A-Za-z0-9]{3})? *", 20)

    def message(self) -> str:
        return gettext(
            "Enter the BIC (SWIFT code) of your bank: 8 or 11 letters and digits, "
            "e.g. BNPAFRPP."
        )


class NumberCheck(ValueCheck):
    """A whole number within limits; spaces between digits are allowed."""

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high
        sign = "-?" if low < 0 else ""
        self.pattern = f" *{sign}[0-9](?:{_SEPARATOR}?[0-9])* *"
        digits = len(str(max(abs(low), abs(high))))
        self.maxlength = 2 * digits + 4

    def message(self) -> str:
        return gettext(
            "Enter a whole number between %(min)s and %(max)s, e.g. 12.",
            min=format_decimal(self.low, locale=current_language()),
            max=format_decimal(self.high, locale=current_language()),
        )

    def clean(self, value: str) -> int:
        number = int(re.sub(_SEPARATOR, "", value))
        if not self.low <= number <= self.high:
            raise ValidationError(self.message())
        return number


class MoneyCheck(ValueCheck):
    """An amount in euros with at most 2 decimals, stored as a ``Decimal``."""

    def __init__(self, low: Decimal, high: Decimal) -> None:
        self.low, self.high = low, high
        self.pattern = (
            f" *[0-9]{{1,3}}(?:{_SEPARATOR}?[0-9]{{3}})*(?:[.,][0-9]{{1,2}})?"
            f"{_SEPARATOR}*(?:€|EUR)? *"
        )
        digits = len(str(int(high)))
        self.maxlength = digits + (digits - 1) // 3 + 12

    def message(self) -> str:
        return gettext(
            "Enter an amount in euros with at most 2 decimals, e.g. 1 234,50."
        )

    def clean(self, value: str) -> Decimal:
        number = re.sub(f"{_SEPARATOR}|€|EUR", "", value).replace(",", ".")
        amount = Decimal(number).quantize(Decimal("0.01"))
        if not self.low <= amount <= self.high:
            lang = current_language()
            raise ValidationError(
                gettext(
                    "Enter an amount between %(min)s and %(max)s.",
                    min=format_currency(self.low, "EUR", locale=lang),
                    max=format_currency(self.high, "EUR", locale=lang),
                )
            )
        return amount


class DateCheck(ValueCheck):
    """A date typed as ``YYYY-MM-DD`` (``<input type=date>``) or ``DD/MM/YYYY``."""

    pattern = " *(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}) *"
    maxlength = 20

    def __init__(self, low: str, high: str) -> None:
        self.low, self.high = low, high  # limits such as "today-120y", read per call

    def message(self) -> str:
        return gettext("Enter a date as day/month/year, e.g. 31/12/2024.")

    def clean(self, value: str) -> date:
        try:
            if "/" in value:
                day, month, year = (int(part) for part in value.split("/"))
                answer = date(year, month, day)
            else:
                answer = date.fromisoformat(value)
        except ValueError:
            raise ValidationError(
                gettext("This date does not exist: check the day and the month.")
            ) from None
        low, high = resolve_date(self.low), resolve_date(self.high)
        lang = current_language()
        if answer < low:
            raise ValidationError(
                gettext(
                    "Enter a date on or after %(date)s.",
                    date=format_date(low, "medium", locale=lang),
                )
            )
        if answer > high:
            raise ValidationError(
                gettext(
                    "Enter a date on or before %(date)s.",
                    date=format_date(high, "medium", locale=lang),
                )
            )
        return answer


class ChoiceCheck(ValueCheck):
    """One of the values the definition offers."""

    def __init__(self, values: Sequence[str]) -> None:
        self.values = frozenset(values)

    def message(self) -> str:
        return gettext("Choose one of the options.")

    def clean(self, value: str) -> str:
        if value not in self.values:
            raise ValidationError(self.message())
        return value


def tick_message() -> str:
    """The message of a box that must be ticked."""
    return gettext("Tick this box to continue.")
