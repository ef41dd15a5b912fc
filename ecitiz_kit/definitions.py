"""Load and check form definitions (JSON) into frozen, plain objects.

A definition is data written by people, often by hand, so every key is checked and
every mistake is reported with the file, the place and the fix. The format is
described for integrators in ``docs/form-definitions.md``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .errors import DefinitionError

FORMAT = 1
#: A definition text: one string, or ``{"fr": …, "en": …}`` (French required).
Text = str | Mapping[str, str]
Limit = int | Decimal | str | None

FIELD_TYPES: tuple[str, ...] = (
    "text", "textarea", "email", "tel", "date", "number", "money", "choice",
    "checkbox", "consent", "file", "siret", "siren", "iban", "bic", "postal_code",
)  # fmt: skip
FILE_TYPES: tuple[str, ...] = ("application/pdf", "image/jpeg", "image/png")
RESERVED_NAMES = frozenset({"website"})  # the honeypot field of public forms
MIB = 1024 * 1024

_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,40}")
_NAME = re.compile(r"[a-z][a-z0-9_]{0,40}")
_PREFIX = re.compile(r"[A-Z]{2,5}")
_RELATIVE_DATE = re.compile(r"today(?:([+-])([0-9]{1,5})([dy]))?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

_COMMON_KEYS = {"name", "type", "label", "help", "required", "prefill"}
_COMMON_KEYS |= {"autocomplete", "mask"}
_TYPE_KEYS: dict[str, set[str]] = {
    "text": {"max_length", "min_length"},
    "textarea": {"max_length", "min_length", "rows"},
    "date": {"min", "max"},
    "number": {"min", "max"},
    "money": {"min", "max"},
    "choice": {"options", "widget"},
    "file": {"accept", "max_size", "max_files", "min_files"},
}
# (default, largest allowed) for the length limits of free text.
_TEXT_LIMITS = {"text": (200, 2000), "textarea": (5000, 20000)}
_NUMBER_LIMITS: dict[str, tuple[Any, Any, Any, Any]] = {
    # type: (default min, default max, lowest allowed, highest allowed)
    "number": (0, 1_000_000_000, -(10**12), 10**12),
    "money": (Decimal("0.00"), Decimal("100000000.00"), Decimal(0), Decimal(10**12)),
}
_DATE_DEFAULTS = ("1900-01-01", "2100-12-31")
_RULE_KEYS = {
    "date_order": ({"type", "start", "end"}, {"max_days"}),
    "not_more_than": ({"type", "field", "than"}, set()),
}
_COMPUTED_KEYS = {"name", "type", "from", "to", "label"}

# The HTML autocomplete field names (WHATWG "autofill detail tokens").
AUTOCOMPLETE_NAMES = frozenset(
    "name honorific-prefix given-name additional-name family-name honorific-suffix "
    "nickname username new-password current-password one-time-code "
    "organization-title organization street-address address-line1 address-line2 "
    "address-line3 address-level4 address-level3 address-level2 address-level1 "
    "country country-name postal-code cc-name cc-given-name cc-additional-name "
    "cc-family-name cc-number cc-exp cc-exp-month cc-exp-year cc-csc cc-type "
    "transaction-currency transaction-amount language bday bday-day bday-month "
    "bday-year sex url photo tel tel-country-code tel-national tel-area-code "
    "tel-local tel-extension email impp".split()
)
_CONTACT_NAMES = {"email", "impp"} | {n for n in AUTOCOMPLETE_NAMES if "tel" in n}


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


def resolve_date(spec: str, today: date | None = None) -> date:
    """Turn a date limit (``2024-01-31``, ``today``, ``today+30d``, ``today-120y``)
    into a date."""
    relative = _RELATIVE_DATE.fullmatch(spec)
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


class _Checker:
    """Reads one definition, raising DefinitionError that says where and what."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> DefinitionError:
        place = f"{where}: " if where else ""
        return DefinitionError(f"{self.source}: {place}{problem}")

    def keys(
        self, where: str, obj: Any, required: set[str], optional: set[str]
    ) -> None:
        if not isinstance(obj, dict):
            raise self.fail(where, f"must be a JSON object, got {_kind(obj)}")
        missing = sorted(required - obj.keys())
        if missing:
            raise self.fail(where, f"missing key {missing[0]!r}")
        unknown = sorted(obj.keys() - required - optional)
        if unknown:
            allowed = ", ".join(sorted(required | optional))
            raise self.fail(where, f"unknown key {unknown[0]!r} (allowed: {allowed})")

    def text(self, where: str, value: Any, key: str) -> Text:
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, dict):
            unknown = sorted(value.keys() - {"fr", "en"})
            if unknown:
                raise self.fail(where, f"{key!r}: unknown language {unknown[0]!r}")
            if not isinstance(value.get("fr"), str) or not value["fr"].strip():
                raise self.fail(where, f"{key!r} needs a French text ('fr')")
            if "en" in value and (not isinstance(value["en"], str) or not value["en"]):
                raise self.fail(where, f"{key!r}: 'en' must be a non-empty string")
            return MappingProxyType(dict(value))
        raise self.fail(where, f"{key!r} must be a text or {{'fr': …, 'en': …}}")

    def optional_text(self, where: str, obj: dict[str, Any], key: str) -> Text | None:
        return self.text(where, obj[key], key) if key in obj else None

    def pattern(self, where: str, value: Any, key: str, regex: re.Pattern[str]) -> str:
        if not isinstance(value, str) or not regex.fullmatch(value):
            raise self.fail(where, f"{key!r} must match {regex.pattern}, got {value!r}")
        return value

    def boolean(self, where: str, obj: dict[str, Any], key: str, default: bool) -> bool:
        value = obj.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(where, f"{key!r} must be true or false, got {value!r}")
        return value

    def integer(
        self, where: str, obj: dict[str, Any], key: str, default: int | None,
        low: int, high: int,
    ) -> int | None:  # fmt: skip
        value = obj.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"{key!r} must be a whole number, got {value!r}")
        if not low <= value <= high:
            raise self.fail(where, f"{key!r} must be between {low} and {high}")
        return value

    def definition(self, data: Any) -> FormDefinition:
        if not isinstance(data, dict):
            raise self.fail(
                "", f"a definition must be a JSON object, got {_kind(data)}"
            )
        if data.get("format") != FORMAT:
            raise self.fail(
                "", f"'format' must be {FORMAT}, got {data.get('format')!r}"
            )
        self.keys(
            "", data, {"format", "id", "version", "reference_prefix", "title"},
            {"intro", "sections", "rules", "computed"},
        )  # fmt: skip
        if not isinstance(data.get("sections"), list) or not data["sections"]:
            raise self.fail("", "'sections' must be a non-empty list")
        sections = tuple(self.section(raw) for raw in data["sections"])
        _unique(self, "section", [s.id for s in sections])
        fields = {f.name: f for s in sections for f in s.fields}
        _unique(self, "field", [f.name for s in sections for f in s.fields])
        rules = tuple(
            self.rule(f"rule {n}", raw, fields)
            for n, raw in enumerate(_list(self, data, "rules"), 1)
        )
        computed = tuple(
            self.computed(raw, fields) for raw in _list(self, data, "computed")
        )
        _unique(self, "name", [*fields, *(c.name for c in computed)])
        return FormDefinition(
            id=self.pattern("", data["id"], "id", _ID),
            version=self.integer("", data, "version", 0, 1, 10**9) or 0,
            reference_prefix=self.pattern(
                "", data["reference_prefix"], "reference_prefix", _PREFIX
            ),
            title=self.text("", data["title"], "title"),
            intro=self.optional_text("", data, "intro"),
            sections=sections, rules=rules, computed=computed, digest="",
        )  # fmt: skip

    def section(self, raw: Any) -> Section:
        sid = raw.get("id") if isinstance(raw, dict) else None
        where = f"section {sid!r}"
        self.keys(where, raw, {"id", "title", "fields"}, {"help"})
        self.pattern(where, sid, "id", _NAME)
        if not isinstance(raw["fields"], list) or not raw["fields"]:
            raise self.fail(where, "'fields' must be a non-empty list")
        return Section(
            id=sid, title=self.text(where, raw["title"], "title"),
            help=self.optional_text(where, raw, "help"),
            fields=tuple(self.field(where, f) for f in raw["fields"]),
        )  # fmt: skip

    def field(self, section_where: str, raw: Any) -> Field:
        name = raw.get("name") if isinstance(raw, dict) else None
        where = (
            f"field {name!r}" if isinstance(name, str) else f"{section_where}, field"
        )
        if not isinstance(raw, dict):
            raise self.fail(where, f"must be a JSON object, got {_kind(raw)}")
        ftype = raw.get("type")
        if ftype not in FIELD_TYPES:
            known = ", ".join(FIELD_TYPES)
            raise self.fail(where, f"unknown type {ftype!r} (known: {known})")
        self.keys(
            where,
            raw,
            {"name", "type", "label"},
            _COMMON_KEYS | _TYPE_KEYS.get(ftype, set()),
        )
        self.pattern(where, name, "name", _NAME)
        if name in RESERVED_NAMES:
            raise self.fail(where, f"the name {name!r} is reserved, choose another one")
        required = self.boolean(where, raw, "required", ftype != "checkbox")
        prefill = self.boolean(where, raw, "prefill", False)
        if ftype == "consent" and not required:
            raise self.fail(where, "a consent is always required")
        if prefill and ftype in ("consent", "file"):
            raise self.fail(where, f"a {ftype} field cannot be prefilled")
        autocomplete = raw.get("autocomplete")
        if autocomplete is not None:
            if ftype in ("checkbox", "consent", "file"):
                raise self.fail(where, f"'autocomplete' does not apply to {ftype}")
            if not isinstance(autocomplete, str) or not _autocomplete_ok(autocomplete):
                raise self.fail(
                    where, f"'autocomplete' {autocomplete!r} is not an HTML "
                    "autocomplete token (e.g. name, email, tel, postal-code, off)",
                )  # fmt: skip
        values: dict[str, Any] = dict.fromkeys(
            ("options", "widget", "max_length", "min_length", "min", "max", "accept",
             "max_size", "max_files", "min_files", "rows"),
        )  # fmt: skip
        if ftype in _TEXT_LIMITS:
            default, highest = _TEXT_LIMITS[ftype]
            top = self.integer(where, raw, "max_length", default, 1, highest)
            values["max_length"] = top
            values["min_length"] = self.integer(
                where, raw, "min_length", None, 0, top or 0
            )
            if ftype == "textarea":
                values["rows"] = self.integer(where, raw, "rows", 5, 2, 40)
        elif ftype == "date":
            values["min"], values["max"] = self.date_limits(where, raw)
        elif ftype in _NUMBER_LIMITS:
            values["min"], values["max"] = self.number_limits(where, raw, ftype)
        elif ftype == "choice":
            values["options"] = self.options(where, raw.get("options"))
            values["widget"] = raw.get("widget", "radio")
            if values["widget"] not in ("radio", "select"):
                raise self.fail(where, "'widget' must be 'radio' or 'select'")
        elif ftype == "file":
            values.update(self.file_options(where, raw, required))
        return Field(
            name=name, type=ftype, label=self.text(where, raw["label"], "label"),
            help=self.optional_text(where, raw, "help"), required=required,
            prefill=prefill, autocomplete=autocomplete,
            mask=self.boolean(where, raw, "mask", ftype == "iban"), **values,
        )  # fmt: skip

    def date_limits(self, where: str, raw: dict[str, Any]) -> tuple[str, str]:
        limits = []
        for key, default in zip(("min", "max"), _DATE_DEFAULTS, strict=True):
            value = raw.get(key, default)
            ok = isinstance(value, str) and (
                _RELATIVE_DATE.fullmatch(value) or _ISO_DATE.fullmatch(value)
            )
            try:
                resolved = resolve_date(value) if ok else None
            except ValueError:
                resolved = None
            if resolved is None:
                raise self.fail(
                    where, f"{key!r} must be a date (YYYY-MM-DD), 'today', "
                    f"'today+30d' or 'today-120y', got {value!r}",
                )  # fmt: skip
            limits.append(value)
        # Compared only when both are fixed dates: a stored definition must not
        # start failing to load as "today" moves past a fixed limit.
        fixed = all(_ISO_DATE.fullmatch(limit) for limit in limits)
        if fixed and resolve_date(limits[0]) > resolve_date(limits[1]):
            raise self.fail(where, f"'min' {limits[0]} is after 'max' {limits[1]}")
        return limits[0], limits[1]

    def number_limits(
        self, where: str, raw: dict[str, Any], ftype: str
    ) -> tuple[Any, Any]:
        default_min, default_max, low, high = _NUMBER_LIMITS[ftype]
        limits = []
        for key, default in (("min", default_min), ("max", default_max)):
            value = raw.get(key, default)
            if (
                ftype == "money"
                and isinstance(value, int | float | str)
                and not isinstance(value, bool)
            ):
                try:
                    value = Decimal(str(value))
                    if value != value.quantize(Decimal("0.01")):
                        raise InvalidOperation
                    value = value.quantize(Decimal("0.01"))
                except InvalidOperation:
                    raise self.fail(
                        where, f"{key!r} must be an amount with at most 2 decimals"
                    ) from None
            elif ftype == "number" and (
                isinstance(value, bool) or not isinstance(value, int)
            ):
                raise self.fail(where, f"{key!r} must be a whole number, got {value!r}")
            if not isinstance(value, int | Decimal) or not low <= value <= high:
                raise self.fail(where, f"{key!r} must be between {low} and {high}")
            limits.append(value)
        if limits[0] > limits[1]:
            raise self.fail(where, f"'min' {limits[0]} is more than 'max' {limits[1]}")
        return limits[0], limits[1]

    def options(self, where: str, raw: Any) -> tuple[Option, ...]:
        if not isinstance(raw, list) or not raw:
            raise self.fail(where, "'options' must be a non-empty list")
        options = []
        for n, item in enumerate(raw, 1):
            self.keys(f"{where}, option {n}", item, {"value", "label"}, set())
            value = item["value"]
            if not isinstance(value, str) or not value.strip() or len(value) > 100:
                raise self.fail(
                    f"{where}, option {n}", "'value' must be a non-empty text"
                )
            label = self.text(f"{where}, option {n}", item["label"], "label")
            options.append(Option(value, label))
        _unique(self, f"{where}: option value", [o.value for o in options])
        return tuple(options)

    def file_options(
        self, where: str, raw: dict[str, Any], required: bool
    ) -> dict[str, Any]:
        accept = raw.get("accept", list(FILE_TYPES))
        if (
            not isinstance(accept, list)
            or not accept
            or any(a not in FILE_TYPES for a in accept)
        ):
            known = ", ".join(FILE_TYPES)
            raise self.fail(where, f"'accept' must list some of: {known}")
        _unique(self, f"{where}: accepted type", accept)
        top = self.integer(where, raw, "max_files", 1, 1, 20) or 1
        low = self.integer(where, raw, "min_files", 1 if required else 0, 0, top)
        if required != bool(low):
            raise self.fail(
                where, "'min_files' must be at least 1 exactly when required"
            )
        size = self.integer(where, raw, "max_size", 10 * MIB, 1, 100 * MIB)
        return {
            "accept": tuple(accept),
            "max_files": top,
            "min_files": low,
            "max_size": size,
        }

    def rule(self, where: str, raw: Any, fields: dict[str, Field]) -> Rule:
        rtype = raw.get("type") if isinstance(raw, dict) else None
        if rtype not in _RULE_KEYS:
            raise self.fail(
                where, f"unknown rule type {rtype!r} (known: {', '.join(_RULE_KEYS)})"
            )
        where = f"{where} ({rtype})"
        self.keys(where, raw, *_RULE_KEYS[rtype])
        if rtype == "date_order":
            start, end = self.names(where, raw, ("start", "end"), fields, ("date",))
            max_days = self.integer(where, raw, "max_days", None, 1, 36600)
            return Rule(rtype, start=start, end=end, max_days=max_days)
        first, than = self.names(
            where, raw, ("field", "than"), fields, ("number", "money")
        )
        if fields[first].type != fields[than].type:
            raise self.fail(where, "'field' and 'than' must have the same type")
        return Rule(rtype, field=first, than=than)

    def names(
        self, where: str, raw: dict[str, Any], keys: tuple[str, str],
        fields: dict[str, Field], types: tuple[str, ...],
    ) -> tuple[str, str]:  # fmt: skip
        for key in keys:
            name = raw[key]
            if not isinstance(name, str) or name not in fields:
                raise self.fail(where, f"{key!r} names no field of this form: {name!r}")
            if fields[name].type not in types:
                wanted = " or ".join(types)
                raise self.fail(
                    where, f"{key!r} field {name!r} must be of type {wanted}"
                )
        if raw[keys[0]] == raw[keys[1]]:
            raise self.fail(
                where, f"{keys[0]!r} and {keys[1]!r} must be different fields"
            )
        return raw[keys[0]], raw[keys[1]]

    def computed(self, raw: Any, fields: dict[str, Field]) -> Computed:
        name = raw.get("name") if isinstance(raw, dict) else None
        where = f"computed {name!r}"
        self.keys(where, raw, _COMPUTED_KEYS, set())
        self.pattern(where, name, "name", _NAME)
        if raw["type"] != "percentage_drop":
            raise self.fail(
                where, f"unknown type {raw['type']!r} (known: percentage_drop)"
            )
        source, target = self.names(
            where, raw, ("from", "to"), fields, ("number", "money")
        )
        label = self.text(where, raw["label"], "label")
        return Computed(name, "percentage_drop", source, target, label)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string"}.get(
        type(value), repr(value)
    )


def _list(checker: _Checker, data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise checker.fail("", f"{key!r} must be a list")
    return value


def _unique(checker: _Checker, what: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise checker.fail("", f"duplicate {what} {name!r}")
        seen.add(name)


def _autocomplete_ok(value: str) -> bool:
    tokens = value.split()
    if tokens in (["off"], ["on"]):
        return True
    if tokens and tokens[0].startswith("section-") and len(tokens[0]) > 8:
        tokens = tokens[1:]
    if tokens and tokens[0] in ("shipping", "billing"):
        tokens = tokens[1:]
    if len(tokens) == 2 and tokens[0] in ("home", "work", "mobile", "fax", "pager"):
        return tokens[1] in _CONTACT_NAMES
    return len(tokens) == 1 and tokens[0] in AUTOCOMPLETE_NAMES


def parse_definition(data: dict[str, Any], source: str) -> FormDefinition:
    """Check ``data`` (a decoded definition) and build it; ``source`` names it in
    error messages."""
    parsed = _Checker(source).definition(data)
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
    folder = resources.files("ecitiz_kit.catalog")
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
    raw = (resources.files("ecitiz_kit.catalog") / source).read_text(encoding="utf-8")
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
        values = {
            k: getattr(f, k) for k in _COMMON_KEYS | _TYPE_KEYS.get(f.type, set())
        }
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
    })  # fmt: skip
