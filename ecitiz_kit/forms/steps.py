"""Forms in steps: the order of their pages, what each page carries of the
others, and what the page of answers to check lists.

A form whose definition has ``pages`` is shown one page at a time. The answers
of the other pages travel in the form as hidden fields, so nothing is kept on
the server between pages and no cookie is needed; the files are kept uploads,
held by the form ticket as when a form comes back with an error. A signed
token (see ``tokens.Steps``) names the page shown and carries a digest of the
hidden answers, so a page whose carried answers were changed is refused like
any bad token. The server checks every answer again when the form is sent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..i18n import text
from .definitions import Field, FormDefinition, Page
from .fields import display_value

#: The last step, which lists every answer before the form is sent; no page of
#: a definition may take this id.
CHECK = "check"


def page_ids(definition: FormDefinition) -> list[str]:
    """The ids of the form's pages, in order."""
    return [page.id for page in definition.pages]


def page(definition: FormDefinition, page_id: str) -> Page | None:
    """The page ``page_id`` (``None``: the check page, or no such page)."""
    return next((p for p in definition.pages if p.id == page_id), None)


def known(definition: FormDefinition, page_id: str) -> bool:
    """Whether ``page_id`` is a step of the form (its check page included)."""
    return page_id == CHECK or page_id in page_ids(definition)


def next_page(definition: FormDefinition, page_id: str) -> str:
    """The step after ``page_id``: the check page after the last page."""
    ids = page_ids(definition)
    if page_id not in ids or page_id == ids[-1]:
        return CHECK
    return ids[ids.index(page_id) + 1]


def previous_page(definition: FormDefinition, page_id: str) -> str:
    """The step before ``page_id`` (the first page stays where it is)."""
    ids = page_ids(definition)
    if page_id not in ids:
        return ids[-1]
    return ids[max(ids.index(page_id) - 1, 0)]


def first_page_with(definition: FormDefinition, names: Iterable[str]) -> str | None:
    """The first page asking one of the questions ``names`` (``None``: none)."""
    wanted = set(names)
    for candidate in definition.pages:
        if any(f.name in wanted for f in definition.page_fields(candidate.id)):
            return candidate.id
    return None


def on_page(definition: FormDefinition, page_id: str) -> set[str]:
    """The names of the questions on the page ``page_id`` (none on the check page)."""
    return {f.name for f in definition.page_fields(page_id)}


def carried(
    definition: FormDefinition, page_id: str, values: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """The answers the page ``page_id`` carries as hidden fields: those of the
    other pages' questions, as posted (files are kept uploads, not carried)."""
    here = on_page(definition, page_id)
    getlist = getattr(values, "getlist", None)
    pairs = []
    for field in definition.fields:
        if field.type == "file" or field.name in here:
            continue
        posted = getlist(field.name) if getlist else [values.get(field.name)]
        pairs.extend((field.name, str(v)) for v in posted if v not in (None, ""))
    return pairs


def digest(pairs: Sequence[tuple[str, str]]) -> str:
    """What a steps token says of the carried answers: enough to tell they were
    changed, nothing to read them from (the token is signed, not encrypted)."""
    canonical = json.dumps(sorted(pairs), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def answers_by_page(
    definition: FormDefinition, answers: Mapping[str, Any], lang: str
) -> list[dict[str, Any]]:
    """What the check page lists: for each page, the questions answered, with
    their labels and values (answers to questions that do not apply are not in
    ``answers``, so they are not listed)."""
    listed = []
    for step in definition.pages:
        items = [
            _item(field, answers[field.name], lang)
            for field in definition.page_fields(step.id)
            if answers.get(field.name) not in (None, "", [])
        ]
        if items:
            title = text(step.title, lang)
            listed.append({"id": step.id, "title": title, "items": items})
    return listed


def _item(field: Field, value: Any, lang: str) -> dict[str, str]:
    # The applicant checks what they typed before sending it, so a masked
    # answer (an IBAN) shows whole here, unlike on the receipt.
    return {
        "name": field.name,
        "label": text(field.label, lang),
        "value": display_value(field, value, lang, unmasked=True),
    }
