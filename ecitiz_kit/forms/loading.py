"""Reading form definitions: from a file, from the ready-made catalog, from the
database, and back to canonical JSON. Every definition read is checked first."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import replace
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import DefinitionError
from .checks import Checker
from .definitions import COMMON_KEYS, FORMAT, TYPE_KEYS, Field, FormDefinition


def parse_definition(data: dict[str, Any], source: str) -> FormDefinition:
    """Check ``data`` (a decoded definition) and build it; ``source`` names it in
    error messages."""
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
        if f.fills is not None:
            values["fills"] = dict(f.fills)
        for key in ("min", "max"):
            if isinstance(values.get(key), Decimal):
                values[key] = str(values[key])
        values["when"] = f.when and f.when.plain()
        return drop_none(values)

    return drop_none({
        "format": FORMAT, "id": defn.id, "version": defn.version,
        "reference_prefix": defn.reference_prefix, "title": defn.title,
        "intro": defn.intro, "summary": defn.summary, "minutes": defn.minutes,
        "prepare": list(defn.prepare) or None,
        "retention_days": defn.retention_days, "decision_days": defn.decision_days,
        "sections": [
            drop_none({"id": s.id, "title": s.title, "help": s.help,
                       "when": s.when and s.when.plain(),
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
        "pages": [
            {"id": p.id, "title": p.title, "sections": list(p.sections)}
            for p in defn.pages
        ] or None,
        "payment": defn.payment and {
            "amount": defn.payment.amount, "iban": defn.payment.iban,
            "bic": defn.payment.bic, "holder": defn.payment.holder,
            "ceiling": str(defn.payment.ceiling),
        },
    })  # fmt: skip
