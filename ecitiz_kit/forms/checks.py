"""Check a decoded form definition, key by key, and build its plain objects.

A definition is data written by people, often by hand, so every key is checked and
every mistake is reported with the file, the place and the fix. :class:`Checker` holds
the rules, with the tables only it needs: allowed keys, limits, name patterns and the
HTML autocomplete tokens. The objects it builds live in :mod:`.definitions`.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from ..errors import DefinitionError
from .conditions import conditional, read_condition
from .definitions import (
    COMMON_KEYS,
    FIELD_TYPES,
    FILE_TYPES,
    FILLABLE_TYPES,
    FORMAT,
    REGISTER_ITEMS,
    RELATIVE_DATE,
    TYPE_KEYS,
    Computed,
    Condition,
    DocumentSpec,
    Field,
    FormDefinition,
    Option,
    Page,
    PaymentSpec,
    Rule,
    Section,
    Text,
    resolve_date,
)

#: The honeypot field of public forms and the button asking the company register.
RESERVED_NAMES = frozenset({"website", "company_lookup"})
MIB = 1024 * 1024
MAX_RETENTION_DAYS = 36500  # a hundred years: the bound of enable-form's option
MAX_DECISION_DAYS = 730
#: The largest amount one SEPA credit transfer carries.
MAX_CEILING = Decimal("999999999.99")

_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,40}")
_NAME = re.compile(r"[a-z][a-z0-9_]{0,40}")
_PREFIX = re.compile(r"[A-Z]{2,5}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

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
_DOCUMENT_KEYS = {"type", "title", "first_name", "last_name", "valid_from", "valid_to"}
_DOCUMENT_KEYS |= {"details", "template_version"}
#: A payment's keys naming fields, with the type each field must have.
_PAYMENT_TYPES = {"amount": "money", "iban": "iban", "bic": "bic", "holder": "text"}

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


class Checker:
    """Reads one definition, raising DefinitionError that says where and what."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.all_names: set[str] = set()  # every field's name, to name a later one

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
            {"intro", "sections", "rules", "computed", "document", "summary",
             "minutes", "prepare", "retention_days", "decision_days", "payment",
             "pages"},
        )  # fmt: skip
        if not isinstance(data.get("sections"), list) or not data["sections"]:
            raise self.fail("", "'sections' must be a non-empty list")
        self.all_names = {
            f.get("name") for s in data["sections"] if isinstance(s, dict)
            for f in s.get("fields") or () if isinstance(f, dict)
        } - {None}  # fmt: skip
        earlier: dict[str, Field] = {}
        sections = tuple(self.section(raw, earlier) for raw in data["sections"])
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
        for field in fields.values():
            self.fill_targets(field, fields)
        document = (
            self.document(data["document"], fields) if "document" in data else None
        )
        if document is not None:
            self.unconditional(document, conditional(sections))
        return FormDefinition(
            id=self.pattern("", data["id"], "id", _ID),
            version=self.integer("", data, "version", 0, 1, 10**9) or 0,
            reference_prefix=self.pattern(
                "", data["reference_prefix"], "reference_prefix", _PREFIX
            ),
            title=self.text("", data["title"], "title"),
            intro=self.optional_text("", data, "intro"),
            sections=sections, rules=rules, computed=computed, digest="",
            document=document,
            summary=self.optional_text("", data, "summary"),
            minutes=self.integer("", data, "minutes", None, 1, 600),
            prepare=tuple(
                self.text("", item, "prepare")
                for item in _list(self, data, "prepare")
            ),
            retention_days=self.integer(
                "", data, "retention_days", None, 1, MAX_RETENTION_DAYS
            ),
            decision_days=self.integer(
                "", data, "decision_days", None, 1, MAX_DECISION_DAYS
            ),
            payment=self.payment(data["payment"], fields)
            if "payment" in data else None,
            pages=self.pages(data["pages"], sections) if "pages" in data else (),
        )  # fmt: skip

    def pages(self, raw: Any, sections: tuple[Section, ...]) -> tuple[Page, ...]:
        """The steps of a form shown page by page: every section on exactly one
        page, in the sections' order (a condition looks back at earlier
        answers only, so pages must not reorder them)."""
        if not isinstance(raw, list) or not raw:
            raise self.fail("", "'pages' must be a non-empty list")
        known = [s.id for s in sections]
        placed: dict[str, str] = {}
        pages = []
        for item in raw:
            pid = item.get("id") if isinstance(item, dict) else None
            where = f"page {pid!r}"
            self.keys(where, item, {"id", "title", "sections"}, set())
            self.pattern(where, pid, "id", _NAME)
            if pid == "check":
                raise self.fail(where, "'check' names the page of answers to check")
            ids = item["sections"]
            if not isinstance(ids, list) or not ids:
                raise self.fail(where, "'sections' must be a non-empty list")
            for sid in ids:
                if sid not in known:
                    raise self.fail(
                        where, f"unknown section {sid!r} (known: {', '.join(known)})"
                    )
                if sid in placed:
                    raise self.fail(
                        where, f"section {sid!r} is already on page {placed[sid]!r}"
                    )
                placed[sid] = pid
            pages.append(
                Page(id=pid, title=self.text(where, item["title"], "title"),
                     sections=tuple(ids))
            )  # fmt: skip
        _unique(self, "page", [p.id for p in pages])
        missing = [sid for sid in known if sid not in placed]
        if missing:
            raise self.fail(
                "", f"section {missing[0]!r} is on no page: put every section on one"
            )
        if [sid for p in pages for sid in p.sections] != known:
            raise self.fail(
                "", "pages must take the sections in the order of 'sections'"
            )
        return tuple(pages)

    def section(self, raw: Any, earlier: dict[str, Field]) -> Section:
        """One section; ``earlier`` holds the fields before it, and gains its own."""
        sid = raw.get("id") if isinstance(raw, dict) else None
        where = f"section {sid!r}"
        self.keys(where, raw, {"id", "title", "fields"}, {"help", "when"})
        self.pattern(where, sid, "id", _NAME)
        if not isinstance(raw["fields"], list) or not raw["fields"]:
            raise self.fail(where, "'fields' must be a non-empty list")
        when = self.condition(where, raw, earlier)
        fields = []
        for item in raw["fields"]:
            field = self.field(where, item, earlier)
            earlier.setdefault(field.name, field)
            fields.append(field)
        return Section(
            id=sid, title=self.text(where, raw["title"], "title"),
            help=self.optional_text(where, raw, "help"), fields=tuple(fields),
            when=when,
        )  # fmt: skip

    def condition(
        self, where: str, raw: dict[str, Any], earlier: dict[str, Field]
    ) -> Condition | None:
        if "when" not in raw:
            return None
        return read_condition(self.fail, where, raw["when"], earlier, self.all_names)

    def unconditional(self, document: DocumentSpec, names: set[str]) -> None:
        """The holder's names and the validity dates are asked of everyone."""
        for key in ("first_name", "last_name", "valid_from", "valid_to"):
            if getattr(document, key) in names:
                raise self.fail(
                    "document", f"{key!r} names the field "
                    f"{getattr(document, key)!r}, which carries a condition: the "
                    "document needs it answered in every request",
                )  # fmt: skip

    def field(
        self, section_where: str, raw: Any, earlier: dict[str, Field] | None = None
    ) -> Field:
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
            COMMON_KEYS | TYPE_KEYS.get(ftype, set()),
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
            if ftype != "textarea" and "street-address" in autocomplete.split():
                raise self.fail(
                    where, "'street-address' is for several lines (a textarea); "
                    "a one-line address field takes 'address-line1'",
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
        fills = self.fills(where, raw["fills"]) if "fills" in raw else None
        return Field(
            name=name, type=ftype, label=self.text(where, raw["label"], "label"),
            help=self.optional_text(where, raw, "help"), required=required,
            prefill=prefill, autocomplete=autocomplete,
            mask=self.boolean(where, raw, "mask", ftype == "iban"), fills=fills,
            when=self.condition(where, raw, earlier or {}), **values,
        )  # fmt: skip

    def fills(self, where: str, raw: Any) -> tuple[tuple[str, str], ...]:
        """A SIRET field's ``fills``: ``{"legal_name": "field name", …}``."""
        if not isinstance(raw, dict) or not raw:
            raise self.fail(
                where, "'fills' must be a non-empty object such as "
                '{"legal_name": "company_name"}',
            )  # fmt: skip
        for item, target in raw.items():
            if item not in REGISTER_ITEMS:
                known = ", ".join(REGISTER_ITEMS)
                raise self.fail(
                    where, f"'fills' names {item!r}, which the register does not"
                    f" give (known: {known})",
                )  # fmt: skip
            self.pattern(where, target, f"fills.{item}", _NAME)
        targets = list(raw.values())
        if len(set(targets)) != len(targets):
            raise self.fail(where, "'fills' fills one field twice")
        return tuple((item, raw[item]) for item in REGISTER_ITEMS if item in raw)

    def fill_targets(self, field: Field, fields: dict[str, Field]) -> None:
        """Check that the fields a SIRET field fills exist and take text."""
        for item, target in field.fills or ():
            where = f"field {field.name!r}"
            if target not in fields:
                raise self.fail(
                    where, f"'fills' {item!r}: there is no field {target!r}"
                )
            if fields[target].type not in FILLABLE_TYPES:
                raise self.fail(
                    where, f"'fills' {item!r}: field {target!r} is a"
                    f" {fields[target].type} field; only text, textarea and"
                    " postal_code fields can be filled",
                )  # fmt: skip

    def date_limits(self, where: str, raw: dict[str, Any]) -> tuple[str, str]:
        limits = []
        for key, default in zip(("min", "max"), _DATE_DEFAULTS, strict=True):
            value = raw.get(key, default)
            ok = isinstance(value, str) and (
                RELATIVE_DATE.fullmatch(value) or _ISO_DATE.fullmatch(value)
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

    def document(self, raw: Any, fields: dict[str, Field]) -> DocumentSpec:
        where = "document"
        if not isinstance(raw, dict):
            raise self.fail(where, f"must be an object, got {_kind(raw)}")
        self.keys(where, raw, _DOCUMENT_KEYS, set())
        if raw["type"] != "attestation":
            raise self.fail(where, f"unknown type {raw['type']!r} (known: attestation)")
        for key in ("first_name", "last_name"):
            name = raw[key]
            if not isinstance(name, str) or fields.get(name) is None:
                raise self.fail(where, f"{key!r} names no field of this form: {name!r}")
            if fields[name].type != "text" or not fields[name].required:
                raise self.fail(where, f"{key!r} must name a required text field")
        start, end = self.names(
            where, raw, ("valid_from", "valid_to"), fields, ("date",)
        )
        if not (fields[start].required and fields[end].required):
            raise self.fail(where, "the validity dates must be required fields")
        details = raw["details"]
        if not isinstance(details, list) or not all(
            isinstance(n, str) and n in fields and fields[n].type != "file"
            for n in details
        ):
            raise self.fail(
                where, "'details' must list fields of this form (files excepted)"
            )
        version = self.integer(where, raw, "template_version", None, 1, 10**6)
        return DocumentSpec(
            type=raw["type"], title=self.text(where, raw["title"], "title"),
            first_name=raw["first_name"], last_name=raw["last_name"],
            valid_from=start, valid_to=end, details=tuple(details),
            template_version=version or 1,
        )  # fmt: skip

    def payment(self, raw: Any, fields: dict[str, Field]) -> PaymentSpec:
        where = "payment"
        if not isinstance(raw, dict):
            raise self.fail(where, f"must be an object, got {_kind(raw)}")
        self.keys(where, raw, set(_PAYMENT_TYPES) | {"ceiling"}, set())
        for key, kind in _PAYMENT_TYPES.items():
            name = raw[key]
            if not isinstance(name, str) or fields.get(name) is None:
                raise self.fail(where, f"{key!r} names no field of this form: {name!r}")
            if fields[name].type != kind or not fields[name].required:
                raise self.fail(where, f"{key!r} must name a required {kind} field")
        ceiling = raw["ceiling"]
        if isinstance(ceiling, bool) or not isinstance(ceiling, int | str):
            raise self.fail(where, f"'ceiling' must be an amount, got {ceiling!r}")
        try:
            amount = Decimal(str(ceiling))
        except ArithmeticError:
            amount = Decimal(0)
        if not (
            amount.is_finite()
            and Decimal("0.01") <= amount <= MAX_CEILING
            and amount == amount.quantize(Decimal("0.01"))
        ):
            raise self.fail(
                where,
                f"'ceiling' must be an amount in euros from 0.01 to {MAX_CEILING}"
                f" with at most 2 decimals, got {ceiling!r}",
            )
        return PaymentSpec(
            amount=raw["amount"], iban=raw["iban"], bic=raw["bic"],
            holder=raw["holder"], ceiling=amount,
        )  # fmt: skip

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


def _list(checker: Checker, data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise checker.fail("", f"{key!r} must be a list")
    return value


def _unique(checker: Checker, what: str, names: list[str]) -> None:
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
