"""Form definitions as frozen, plain objects.

This module holds the objects (:class:`FormDefinition` and its parts) and the names
of the field and file types. The checks that turn decoded JSON into these objects
live in :mod:`.checks`; reading files, the ready-made catalog and the canonical JSON
in :mod:`.loading`. The format is described for integrators in
``docs/form-definitions.md``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

FORMAT = 1
#: A definition text: one string, or ``{"fr": …, "en": …}`` (French required).
Text = str | Mapping[str, str]
Limit = int | Decimal | str | None

FIELD_TYPES: tuple[str, ...] = (
    "text", "textarea", "email", "tel", "date", "number", "money", "choice",
    "checkbox", "consent", "file", "siret", "siren", "iban", "bic", "postal_code",
)  # fmt: skip
FILE_TYPES: tuple[str, ...] = ("application/pdf", "image/jpeg", "image/png")
RELATIVE_DATE = re.compile(r"today(?:([+-])([0-9]{1,5})([dy]))?")

# The keys a field may have, shared by the checks and the canonical JSON.
COMMON_KEYS = {"name", "type", "label", "help", "required", "prefill"}
COMMON_KEYS |= {"autocomplete", "mask", "when"}
TYPE_KEYS: dict[str, set[str]] = {
    "text": {"max_length", "min_length"},
    "textarea": {"max_length", "min_length", "rows"},
    "date": {"min", "max"},
    "number": {"min", "max"},
    "money": {"min", "max"},
    "choice": {"options", "widget"},
    "file": {"accept", "max_size", "max_files", "min_files"},
    "siret": {"fills"},
}
#: What a company register tells of an establishment, each item able to fill one
#: field of the form (see ``Field.fills``).
REGISTER_ITEMS: tuple[str, ...] = (
    "legal_name", "address", "postal_code", "town", "activity_code",
)  # fmt: skip
#: The field types a register item may fill.
FILLABLE_TYPES: tuple[str, ...] = ("text", "textarea", "postal_code")


@dataclass(frozen=True)
class Option:
    """One answer of a ``choice`` field: the stored value and its label."""

    value: str
    label: Text


@dataclass(frozen=True)
class Condition:
    """When a question applies: ``field``'s answer meets ``operator`` and ``value``
    (checked and worked out in :mod:`.conditions`).

    ``equals`` is read as ``one_of`` with one value, so ``value`` is a tuple of
    option values for a choice, a bool for ``ticked``, a Decimal for comparisons.
    """

    field: str
    operator: str
    value: Any

    def plain(self) -> dict[str, Any]:
        """The condition as the definition's JSON writes it (canonical form)."""
        if self.operator == "one_of":
            return {"field": self.field, "one_of": list(self.value)}
        value = str(self.value) if isinstance(self.value, Decimal) else self.value
        return {"field": self.field, self.operator: value}

    def for_script(self) -> dict[str, Any]:
        """What the form page's script needs to show and hide the question."""
        value = self.value
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Decimal):
            value = str(value)
        return {"field": self.field, "op": self.operator, "value": value}


@dataclass(frozen=True)
class Field:
    """One question of a form; options that do not apply to its type are ``None``."""

    name: str
    type: str
    label: Text
    help: Text | None
    required: bool
    prefill: bool
    autocomplete: str | None
    options: tuple[Option, ...] | None
    widget: str | None
    max_length: int | None
    min_length: int | None
    min: Limit
    max: Limit
    accept: tuple[str, ...] | None
    max_size: int | None
    max_files: int | None
    min_files: int | None
    mask: bool
    rows: int | None
    #: A ``siret`` field's links to the fields the company register can fill:
    #: ``(register item, field name)`` pairs, items from :data:`REGISTER_ITEMS`.
    fills: tuple[tuple[str, str], ...] | None = None
    #: The question applies only when this holds (see :mod:`.conditions`).
    when: Condition | None = None


@dataclass(frozen=True)
class Section:
    """A titled group of fields, shown as one fieldset."""

    id: str
    title: Text
    help: Text | None
    fields: tuple[Field, ...]
    #: The section's questions apply only when this holds.
    when: Condition | None = None


@dataclass(frozen=True)
class Page:
    """One step of a form shown page by page: a title and the sections on it."""

    id: str
    title: Text
    sections: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """A check across fields: ``date_order`` (start, end, max_days) or
    ``not_more_than`` (field, than); unused attributes are ``None``."""

    type: str
    start: str | None = None
    end: str | None = None
    max_days: int | None = None
    field: str | None = None
    than: str | None = None


@dataclass(frozen=True)
class Computed:
    """A value the server computes from answers (``percentage_drop``)."""

    name: str
    type: str
    from_field: str
    to_field: str
    label: Text


@dataclass(frozen=True)
class DocumentSpec:
    """The signed document an accepted request yields (an attestation)."""

    type: str
    title: Text
    first_name: str  # fields holding the holder's names and the validity period
    last_name: str
    valid_from: str
    valid_to: str
    details: tuple[str, ...]  # fields printed on the document, in order
    template_version: int


@dataclass(frozen=True)
class PaymentSpec:
    """The payment an accepted request leads to: the fields holding the amount
    requested, the account to pay (IBAN, BIC, holder) and the most that may be
    granted, in euros."""

    amount: str
    iban: str
    bic: str
    holder: str
    ceiling: Decimal


@dataclass(frozen=True)
class FormDefinition:
    """A checked form definition; ``digest`` identifies its canonical JSON."""

    id: str
    version: int
    reference_prefix: str
    title: Text
    intro: Text | None
    sections: tuple[Section, ...]
    rules: tuple[Rule, ...]
    computed: tuple[Computed, ...]
    digest: str
    document: DocumentSpec | None = None
    #: What a list of procedures shows: one line on what the form is for, the
    #: minutes it takes to fill in, and what to have at hand.
    summary: Text | None = None
    minutes: int | None = None
    prepare: tuple[Text, ...] = ()
    #: The form's own defaults: days a request is kept after its last change
    #: (``enable-form`` uses it unless told otherwise) and days staff take to
    #: decide (the applicant is told so on the receipt and tracking page).
    retention_days: int | None = None
    decision_days: int | None = None
    #: The payment an accepted request leads to (``None``: none).
    payment: PaymentSpec | None = None
    #: The steps the applicant goes through, in order (none: one page).
    pages: tuple[Page, ...] = ()

    def __hash__(self) -> int:  # texts are mappings, so hash the canonical form
        return hash(self.digest)

    @cached_property
    def fields(self) -> tuple[Field, ...]:
        """Every field of every section, in order (worked out once: a definition
        does not change)."""
        return tuple(f for section in self.sections for f in section.fields)

    def field(self, name: str) -> Field:
        """The field called ``name``; ``KeyError`` if there is none."""
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    def page_fields(self, page_id: str) -> tuple[Field, ...]:
        """The fields on the page ``page_id`` (none for an unknown page)."""
        ids = {sid for p in self.pages if p.id == page_id for sid in p.sections}
        return tuple(f for s in self.sections if s.id in ids for f in s.fields)

    @property
    def has_files(self) -> bool:
        """Whether the form asks for uploads (it then needs multipart encoding)."""
        return any(f.type == "file" for f in self.fields)

    def applicant_contact(self, answers: dict[str, Any]) -> tuple[str, str]:
        """The applicant's name and e-mail address in ``answers`` ("" when absent).

        The address is the answer to the first ``email`` field; the name joins the
        fields whose ``autocomplete`` is ``given-name`` and ``family-name`` (or
        ``name``).
        """
        email = next(
            (str(answers.get(f.name) or "") for f in self.fields if f.type == "email"),
            "",
        )
        parts: dict[str, str] = {}
        for f in self.fields:
            token = f.autocomplete.split()[-1] if f.autocomplete else ""
            if token in ("given-name", "family-name", "name") and token not in parts:
                parts[token] = str(answers.get(f.name) or "").strip()
        name = " ".join(
            part for key in ("given-name", "family-name") if (part := parts.get(key))
        )
        return name or parts.get("name", ""), email.strip()

    @property
    def company_field(self) -> Field | None:
        """The first ``siret`` field: the establishment the register is asked
        about (``None`` when the form asks for no SIRET)."""
        return next((f for f in self.fields if f.type == "siret"), None)

    def identifiers(self, answers: dict[str, Any]) -> tuple[str, str]:
        """The SIRET and IBAN in ``answers``: the answers to the first ``siret``
        and ``iban`` fields ("" when absent)."""
        found = {"siret": "", "iban": ""}
        for f in self.fields:
            if f.type in found and not found[f.type]:
                found[f.type] = str(answers.get(f.name) or "")
        return found["siret"], found["iban"]


def resolve_date(spec: str, today: date | None = None) -> date:
    """Turn a date limit (``2024-01-31``, ``today``, ``today+30d``, ``today-120y``)
    into a date."""
    relative = RELATIVE_DATE.fullmatch(spec)
    if relative is None:
        return date.fromisoformat(spec)
    today = today or date.today()
    sign, amount, unit = relative.groups()
    if not sign:
        return today
    n = int(amount) if sign == "+" else -int(amount)
    if unit == "d":
        return today + timedelta(days=n)
    year = today.year + n
    # 29 February does not exist in most years: the day before is the closest.
    day = min(today.day, 28) if today.month == 2 and today.day == 29 else today.day
    return today.replace(year=year, day=day)
