"""Finding a request: from a signed token for its applicant, by id for its staff,
with what each may see of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..documents.layout import ReceiptDocument
from ..errors import UnknownObject
from ..forms.definitions import FormDefinition
from ..forms.fields import display_value
from ..forms.registry import FormRegistry, PublicForm
from ..i18n import text
from ..store import Store
from ..tokens import InvalidToken, SubmissionRef

#: Longer slugs exist nowhere: they are not even looked up.
MAX_SLUG = 100


def find_organisation(store: Store, slug: str) -> dict[str, Any]:
    """The organisation ``slug`` names, or :class:`UnknownObject`."""
    organisation = store.organisation(slug) if len(slug) <= MAX_SLUG else None
    if organisation is None:
        raise UnknownObject()
    return organisation


@dataclass(frozen=True)
class Tracked:
    """A submission as its applicant may see it."""

    submission: dict[str, Any]
    form: PublicForm
    events: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    attestation: dict[str, Any] | None  # the document in force, if any


def tracked(store: Store, registry: FormRegistry, ref: SubmissionRef | None) -> Tracked:
    """The submission a valid token points to, or :class:`UnknownObject`.

    A token for a submission that no longer exists, or whose link was revoked by
    bumping its version, is refused exactly like a forged one.
    """
    submission = None
    if ref is not None and ref.public_id is not None:
        submission = store.submission_by_public_id(ref.public_id)
    elif ref is not None and ref.submission_id is not None:
        submission = store.submission(ref.submission_id)  # a token issued before
    if submission is None or submission["link_version"] != ref.link_version:
        raise UnknownObject()
    return _with_details(store, registry, submission)


def tracked_for_staff(
    store: Store, registry: FormRegistry, organisation_id: int, submission_id: int
) -> Tracked:
    """A request as its organisation's staff see it, or :class:`UnknownObject`
    (also for another organisation's request: staff cannot tell them apart)."""
    submission = store.organisation_submission(organisation_id, submission_id)
    if submission is None:
        raise UnknownObject()
    return _with_details(store, registry, submission)


def _with_details(
    store: Store, registry: FormRegistry, submission: dict[str, Any]
) -> Tracked:
    """A stored submission with its form, events, files and attestation in force."""
    organisation = store.organisation_by_id(submission["organisation_id"])
    row = store.enabled_form(submission["organisation_id"], submission["form_id"])
    if organisation is None or row is None:
        raise UnknownObject()
    definition, compiled = registry.get(row)
    # An anonymised request's documents keep no payload: nothing to print.
    in_force = [
        d
        for d in store.documents(submission["id"])
        if not d["revoked_at"] and d["payload"]
    ]
    return Tracked(
        submission,
        PublicForm(organisation, row, definition, compiled),
        store.events(submission["id"]),
        store.attachments(submission["id"]),
        in_force[-1] if in_force else None,
    )


def read_ref(
    read: Callable[[str, int], SubmissionRef], token: str, max_age: int
) -> SubmissionRef | None:
    """Read a receipt or status token, ``None`` for any kind of bad token."""
    try:
        return read(token, max_age)
    except InvalidToken:
        return None


def summary(
    definition: FormDefinition,
    answers: dict[str, Any],
    lang: str,
    *,
    unmasked: bool = False,
) -> list[dict[str, Any]]:
    """What the applicant sent, section by section, as labels and display values.

    Sensitive values (an IBAN) come out masked unless ``unmasked`` (the staff's
    pages); server-computed values follow the field they are computed from.
    """
    computed_after = {c.to_field: c for c in definition.computed}
    sections = []
    for section in definition.sections:
        items = []
        for field in section.fields:
            value = answers.get(field.name)
            if value not in (None, "", []):
                items.append(
                    {
                        "label": text(field.label, lang),
                        "value": display_value(field, value, lang, unmasked=unmasked),
                    }
                )
            extra = computed_after.get(field.name)
            if extra is not None and answers.get(extra.name) is not None:
                items.append(
                    {
                        "label": text(extra.label, lang),
                        "value": display_value(extra, answers[extra.name], lang),
                    }
                )
        if items:
            sections.append({"title": text(section.title, lang), "items": items})
    return sections


def receipt_document(
    found: Tracked, lang: str, *, received_at: str, tracking_url: str | None
) -> ReceiptDocument:
    """What the PDF acknowledgement of receipt shows (values masked as on screen)."""
    submission = found.submission
    return ReceiptDocument(
        organisation=found.form.organisation["name"],
        form_title=found.form.title(lang),
        reference=submission["reference"],
        received_at=received_at,
        sections=summary(found.form.definition, submission["answers"], lang),
        tracking_url=tracking_url,
        lang=lang,
    )


def revealed_fields(definition: FormDefinition, answers: dict[str, Any]) -> list[str]:
    """The fields masked to applicants (an IBAN) that ``answers`` fill: the
    staff's pages show them whole, and each such view is recorded."""
    return [
        field.name
        for section in definition.sections
        for field in section.fields
        if field.mask and answers.get(field.name) not in (None, "", [])
    ]
