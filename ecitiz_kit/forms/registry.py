"""The forms an organisation has enabled, compiled once and shared by every request."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from ..errors import UnknownObject
from ..i18n import text
from ..store import Store
from .definitions import FormDefinition
from .fields import CompiledForm, compile_form
from .loading import load_catalog, parse_definition


def form_title(
    row: dict[str, Any], definition: FormDefinition, lang: str | None
) -> str:
    """The title an enabled form shows in ``lang``: the organisation's own, if set."""
    return row["title_override"] or text(definition.title, lang)


@dataclass(frozen=True)
class PublicForm:
    """An enabled form of an organisation, ready to render and validate."""

    organisation: dict[str, Any]
    row: dict[str, Any]
    definition: FormDefinition
    compiled: CompiledForm

    def title(self, lang: str | None = None) -> str:
        return form_title(self.row, self.definition, lang)


class FormRegistry:
    """Compiled forms, built once per definition and shared by every request."""

    def __init__(self) -> None:
        self._compiled: dict[tuple[str, str], tuple[FormDefinition, CompiledForm]] = {}
        self._lock = threading.Lock()

    def get(self, row: dict[str, Any]) -> tuple[FormDefinition, CompiledForm]:
        source = row["definition"]
        key = (
            row["form_id"],
            hashlib.sha256(source.encode()).hexdigest() if source else "catalog",
        )
        found = self._compiled.get(key)
        if found is None:
            if source:
                definition = parse_definition(
                    json.loads(source), f"stored definition of {row['form_id']!r}"
                )
            else:
                definition = load_catalog(row["form_id"])
            found = (definition, compile_form(definition))
            with self._lock:
                self._compiled[key] = found
        return found

    def title(self, row: dict[str, Any] | None, form_id: str, lang: str) -> str:
        """The title of an organisation's form (its id if no longer enabled)."""
        if row is None:
            return form_id
        definition, _compiled = self.get(row)
        return form_title(row, definition, lang)


def find_form(
    store: Store, registry: FormRegistry, org_slug: str, form_id: str
) -> PublicForm:
    """The enabled form ``form_id`` of ``org_slug``, or :class:`UnknownObject`."""
    found = store.organisation_form(org_slug, form_id)
    if found is None:
        raise UnknownObject()
    organisation, row = found
    definition, compiled = registry.get(row)
    return PublicForm(organisation, row, definition, compiled)
