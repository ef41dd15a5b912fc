"""Requests sent back for changes: what the applicant sees again, and the amendment.

When staff send a request back (``in_review`` → ``submitted``), the applicant's
tracking page offers the same form, filled in with the stored answers. Files already
sent are kept unless the applicant attaches new ones for that question. Masked
answers (an IBAN) are not shown again: whoever holds the tracking link must not be
able to read them, so they are typed again. The new answers replace the old ones,
which stay in the history as a numbered version.
"""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from ..company_directory import CompanyDirectory
from ..fingerprints import Fingerprints
from ..forms.conditions import applicable
from ..forms.definitions import FormDefinition
from ..forms.fields import Outcome
from ..forms.registry import PublicForm
from ..store import Store, utcnow
from ..store.uploads import UploadStorage
from .companies import company_for_submission
from .deadlines import Periods
from .signals import identifiers


def prefill(definition: FormDefinition, answers: dict[str, Any]) -> MultiDict:
    """The stored answers as the form's controls expect them (text values)."""
    values: MultiDict = MultiDict()
    for field in definition.fields:
        value = answers.get(field.name)
        if value in (None, "", []) or field.type == "file" or field.mask:
            continue
        if field.type in ("checkbox", "consent"):
            values[field.name] = "y" if value else ""
        else:
            values[field.name] = str(value)
    return values


def kept_files(store: Store, submission_id: int) -> dict[str, list[str]]:
    """The names of the files each question has now."""
    kept: dict[str, list[str]] = {}
    for row in store.attachments(submission_id):
        if row["replaced_in"] is None:
            kept.setdefault(row["field"], []).append(row["filename"])
    return kept


def keep_unreplaced_files(
    definition: FormDefinition,
    outcome: Outcome,
    files: MultiDict,
    kept: dict[str, list[str]],
) -> list[str]:
    """Let questions with files already sent keep them when none is attached now.

    A question that no longer applies to the new answers keeps none: its files
    are marked replaced, like those of a question answered anew. Changes
    ``outcome`` in place; returns the questions whose files are replaced.
    """
    replaced = []
    shown = applicable(definition, outcome.answers)
    for field in definition.fields:
        if field.type != "file":
            continue
        if field.name not in shown:
            if kept.get(field.name):
                replaced.append(field.name)
            continue
        attached = [p for p in files.getlist(field.name) if getattr(p, "filename", "")]
        if attached:
            replaced.append(field.name)
        elif kept.get(field.name):
            outcome.errors.pop(field.name, None)
            outcome.answers[field.name] = kept[field.name]
    return replaced


def amend(
    store: Store,
    uploads: UploadStorage,
    form: PublicForm,
    submission_id: int,
    outcome: Outcome,
    *,
    replaced_fields: list[str],
    nonce: str,
    fingerprints: Fingerprints,
    directory: CompanyDirectory | None = None,
    periods: Periods,
) -> int:
    """Store the applicant's new answers, keeping the previous ones as a version.

    All or nothing, like a first submission: new files are staged, removed if
    anything fails, and moved into place once the amendment is committed. Raises
    :class:`~ecitiz_kit.store.NotAmendable` when the request is no longer waiting
    for changes, :class:`~ecitiz_kit.errors.NonceUsed` for a spent form ticket.
    The identifiers the signals compare are taken from the new answers, and,
    with a company ``directory``, what the register says of the new SIRET; the
    decision period starts again from today: the request now holds what was
    asked for, as a file counts from the day it is complete.
    """
    company = company_for_submission(directory, form.definition, outcome.answers)
    with uploads.staging(outcome.uploads) as staged:
        return store.amend_submission(
            submission_id,
            answers=outcome.answers,
            form_version=form.definition.version,
            nonce=nonce,
            attachments=staged.attachments,
            replaced_fields=replaced_fields,
            applicant=form.definition.applicant_contact(outcome.answers),
            identifiers=identifiers(form.definition, outcome.answers, fingerprints),
            due_on=periods.due_on(utcnow(), periods.days(form.row, form.definition)),
            company=company,
        )
