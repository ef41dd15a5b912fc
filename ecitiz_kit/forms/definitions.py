"""Form definitions as frozen, plain objects, and how to read and write them.

This module holds the objects (:class:`FormDefinition` and its parts), the names of
the field and file types, and the public API: :func:`parse_definition`,
:func:`load_definition`, the ready-made catalog and the canonical JSON. The checks
that turn decoded JSON into these objects live in :mod:`ecitiz_kit.definition_checks`.
The format is described for integrators in ``docs/form-definitions.md``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import DefinitionError

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
COMMON_KEYS |= {"autocomplete", "mask"}
TYPE_KEYS: dict[str, set[str]] = {
    "text": {"max_length", "min_length"},
    "textarea": {"max_length", "min_length", "rows"},
    "date": {"min", "max"},
    "number": {"min", "max"},
    "money": {"min", "max"},
    "choice": {"options", "widget"},
    "file": {"accept", "max_size", "max_files", "min_files"},
}


@dataclass(frozen=True)
class Option:
    """One answer of a ``choice`` field: the stored value and its label."""

    value: str
    label: Text


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


@dataclass(frozen=True)
class Section:
    """A titled group of fields, shown as one fieldset."""

    id: str
    title: Text
    help: Text | None
    fields: tuple[Field, ...]


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

    def __hash__(self) -> int:  # texts are mappings, so hash the canonical form
        return hash(self.digest)

    @property
    def fields(self) -> tuple[Field, ...]:
        """Every field of every section, in order."""
        return tuple(f for section in self.sections for f in section.fields)

    def field(self, name: str) -> Field:
        """The field called ``name``; ``KeyError`` if there is none."""
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

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


def parse_definition(data: dict[str, Any], source: str) -> FormDefinition:
    """Check ``data`` (a decoded definition) and build it; ``source`` names it in
    error messages."""
    # Imported here: definition_checks imports this module's classes (a cycle).
    from .checks import Checker

    parsed = Checker(source).definition(data)
    digest = hashlib.sha256(_canonical(parsed).encode()).hexdigest()
    return replace(parsed, digest=digest)


def load_definition(path: str | Path) -> FormDefinition:
    """Read and check the definition file at ``path``."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DefinitionError(f"{path.name}: cannot read the file ({error})") from None
    return parse_definition(_decode(raw, path.name), path.name)


def _decode(raw: str, source: str) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        for key, value in pairs:
            if key in obj:
                raise DefinitionError(f"{source}: duplicate key {key!r} in one object")
            obj[key] = value
        return obj

    try:
        return json.loads(raw, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as error:
        raise DefinitionError(
            f"{source}: not valid JSON, line {error.lineno} column {error.colno}: "
            f"{error.msg}"
        ) from None


def catalog_ids() -> tuple[str, ...]:
    """The ids of the ready-made definitions shipped with the kit, sorted."""
    folder = resources.files("ecitiz_kit.forms.catalog")
    names = (e.name for e in folder.iterdir() if e.name.endswith(".json"))
    return tuple(sorted(name.removesuffix(".json") for name in names))


@functools.cache
def load_catalog(form_id: str) -> FormDefinition:
    """The ready-made definition ``form_id`` (read once per process)."""
    available = catalog_ids()
    if form_id not in available:
        raise DefinitionError(
            f"unknown ready-made form {form_id!r} (available: {', '.join(available)})"
        )
    source = f"{form_id}.json"
    raw = (resources.files("ecitiz_kit.forms.catalog") / source).read_text(
        encoding="utf-8"
    )
    return parse_definition(_decode(raw, source), source)


def definition_to_json(defn: FormDefinition) -> str:
    """The canonical JSON text of ``defn``; :func:`parse_definition` reads it back."""
    return _canonical(defn)


def _canonical(defn: FormDefinition) -> str:
    return json.dumps(
        _plain(defn),
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=dict,  # texts are read-only mappings
    )


def _plain(defn: FormDefinition) -> dict[str, Any]:
    def drop_none(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in obj.items() if v is not None}

    def field(f: Field) -> dict[str, Any]:
        values = {k: getattr(f, k) for k in COMMON_KEYS | TYPE_KEYS.get(f.type, set())}
        if f.options is not None:
            values["options"] = [
                {"value": o.value, "label": o.label} for o in f.options
            ]
        if f.accept is not None:
            values["accept"] = list(f.accept)
        for key in ("min", "max"):
            if isinstance(values.get(key), Decimal):
                values[key] = str(values[key])
        return drop_none(values)

    return drop_none({
        "format": FORMAT, "id": defn.id, "version": defn.version,
        "reference_prefix": defn.reference_prefix, "title": defn.title,
        "intro": defn.intro,
        "sections": [
            drop_none({"id": s.id, "title": s.title, "help": s.help,
                       "fields": [field(f) for f in s.fields]})
            for s in defn.sections
        ],
        "rules": [
            drop_none({"type": r.type, "start": r.start, "end": r.end,
                       "max_days": r.max_days, "field": r.field, "than": r.than})
            for r in defn.rules
        ],
        "computed": [
            {"name": c.name, "type": c.type, "from": c.from_field, "to": c.to_field,
             "label": c.label}
            for c in defn.computed
        ],
        "document": defn.document and {
            "type": defn.document.type, "title": defn.document.title,
            "first_name": defn.document.first_name,
            "last_name": defn.document.last_name,
            "valid_from": defn.document.valid_from,
            "valid_to": defn.document.valid_to,
            "details": list(defn.document.details),
            "template_version": defn.document.template_version,
        },
    })  # fmt: skip
