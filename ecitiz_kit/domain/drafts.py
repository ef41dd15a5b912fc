"""Save and come back: drafts, and files kept as soon as they pass their checks.

A draft keeps the answers as typed (a plain mapping of field name to the values
posted, valid or not) so the form can be shown again from it, and the files the
applicant attached, for ``ECITIZ_DRAFT_DAYS``. Files are kept by the form ticket
they came with until the form is sent or saved as a draft; those of tickets
nobody came back to go once the ticket has expired.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..forms.definitions import FormDefinition
from ..forms.fields import Outcome, Upload
from ..forms.registry import PublicForm
from ..forms.validators import is_email_address
from ..store import Store, parse_stamp, utcnow
from ..store.base import stamp
from ..store.drafts import draft_holder, ticket_holder
from ..store.uploads import UploadStorage
from ..tokens import InvalidToken, Tokens
from .notices import Notices

__all__ = ["draft_holder", "ticket_holder"]

#: Where a draft of a form in steps keeps the page it was saved from, among its
#: answers: no question can have this name (names start with a letter).
PAGE_KEY = "@page"

#: The widest answer a draft keeps per value (the form's own size cap applies
#: first; this keeps a draft from holding more than any field takes).
MAX_VALUE_LENGTH = 10_000


def typed_answers(
    definition: FormDefinition, formdata: Mapping[str, Any]
) -> dict[str, list[str]]:
    """The answers to the questions of ``definition`` as posted, valid or not
    (files apart): a plain mapping the form can be shown again from."""
    getlist = getattr(formdata, "getlist", None)
    answers: dict[str, list[str]] = {}
    for field in definition.fields:
        if field.type == "file":
            continue
        values = getlist(field.name) if getlist else [formdata.get(field.name)]
        kept = [str(v)[:MAX_VALUE_LENGTH] for v in values if v not in (None, "")]
        if kept:
            answers[field.name] = kept
    return answers


def file_fields(definition: FormDefinition) -> set[str]:
    """The names of the file questions of ``definition``."""
    return {field.name for field in definition.fields if field.type == "file"}


def typed_email(definition: FormDefinition, answers: Mapping[str, list[str]]) -> str:
    """The answer to the form's first e-mail question, if it is an address
    ("" otherwise): where the link to a draft goes."""
    for field in definition.fields:
        if field.type == "email":
            email = (answers.get(field.name) or [""])[0].strip()
            return email if is_email_address(email) else ""
    return ""


@dataclass(frozen=True)
class Saved:
    """A draft just saved: its key, when it goes (a stored timestamp) and the
    link to it, the one e-mailed."""

    draft_key: str
    expires_at: str
    url: str | None


def save(
    store: Store,
    form: PublicForm,
    *,
    draft_key: str | None,
    answers: dict[str, list[str]],
    lang: str,
    ticket_nonce: str,
    days: int,
    email: str,
    notices: Notices,
) -> Saved:
    """Save ``answers`` and the files the ticket kept as a draft (over the
    draft ``draft_key``, if it is still unspent), for ``days`` from now, and
    queue the e-mail with its link to ``email`` (if any) in the same
    transaction. The e-mail names no answer."""
    expires_at = expiry(utcnow(), days)
    create = draft_key is None
    key = draft_key or secrets.token_urlsafe(16)
    # One link, signed once: the page shows the very link the e-mail carries.
    url = notices.links.draft(form.organisation, key, lang)
    messages = []
    if email:
        messages.append(
            notices.draft(
                form.organisation,
                form_title=form.title(lang),
                email=email,
                lang=lang,
                draft_url=url,
                expires_at=stamp(expires_at),
            )
        )
    store.save_draft(
        draft_key=key,
        create=create,
        organisation_id=form.organisation["id"],
        form_id=form.row["form_id"],
        answers=answers,
        lang=lang,
        expires_at=expires_at,
        ticket_nonce=ticket_nonce,
        messages=messages,
    )
    return Saved(key, stamp(expires_at), url)


def keep_files(
    store: Store,
    uploads: UploadStorage,
    form: PublicForm,
    holder: str,
    files: Iterable[Upload],
) -> list[dict[str, Any]]:
    """Keep checked ``files`` for ``holder``, each stored with its row (see
    :meth:`~ecitiz_kit.store.uploads.UploadStorage.staging`)."""
    rows = []
    for upload in files:
        with uploads.staging([upload]) as staged:
            rows.append(
                store.keep_upload(
                    holder,
                    form.organisation["id"],
                    form.row["form_id"],
                    staged.attachments[0],
                )
            )
    return rows


def remove_file(
    store: Store, uploads: UploadStorage, upload_key: str, holders: Sequence[str]
) -> dict[str, Any] | None:
    """Remove a kept file if one of ``holders`` holds it; its row, else ``None``."""
    row = store.forget_upload(upload_key, holders)
    if row is not None:
        uploads.discard([row["stored_name"]])
    return row


def kept_by_field(kept: Sequence[dict[str, Any]]) -> dict[str, int]:
    """How many files are kept for each file question."""
    counts: dict[str, int] = {}
    for row in kept:
        counts[row["field"]] = counts.get(row["field"], 0) + 1
    return counts


def with_kept(outcome: Outcome, kept: Sequence[dict[str, Any]]) -> Outcome:
    """``outcome`` with the kept files named in the answers, before the new ones."""
    answers = dict(outcome.answers)
    for row in reversed(kept):
        names = answers.get(row["field"]) or []
        answers[row["field"]] = [row["filename"], *names]
    return Outcome(answers=answers, uploads=outcome.uploads, errors=outcome.errors)


@dataclass(frozen=True)
class Found:
    """What a draft link leads to: the draft to go on with, or the request
    that spent it."""

    draft: dict[str, Any] | None = None
    submission_id: int | None = None


def find_draft(
    store: Store, organisation_id: int, draft_key: str, now: datetime
) -> Found | None:
    """The draft ``draft_key`` of the organisation, if it is still there."""
    row = store.draft(draft_key)
    if row is None or row["organisation_id"] != organisation_id:
        return None
    if row["spent_at"] is not None:
        return Found(submission_id=row["submission_id"])
    if parse_stamp(row["expires_at"]) <= now:
        return None
    return Found(draft=row)


def posted_draft(
    tokens: Tokens,
    store: Store,
    form: PublicForm,
    token: str,
    max_age: int,
    now: datetime,
) -> Found | None:
    """The draft of ``form`` a posted draft ``token`` names, unspent or spent
    (``None`` when there is none, or the token is bad)."""
    if not token:
        return None
    try:
        organisation_id, draft_key = tokens.read_draft_link(token, max_age)
    except InvalidToken:
        return None
    if organisation_id != form.organisation["id"]:
        return None
    found = find_draft(store, organisation_id, draft_key, now)
    if found is not None and found.draft is not None:
        if found.draft["form_id"] != form.row["form_id"]:
            return None
    return found


def expiry(now: datetime, days: int) -> datetime:
    """When a draft saved at ``now`` goes."""
    return now + timedelta(days=days)


def purge(
    store: Store, uploads: UploadStorage, now: datetime, ticket_max_age: int
) -> tuple[int, int]:
    """Remove expired drafts and the files of expired form tickets; return how
    many drafts and files went. Rows go first: a file whose row is gone and
    whose removal failed is swept later as an orphan."""
    drafts, files = store.purge_drafts(now)
    files += store.purge_ticket_uploads(now - timedelta(seconds=ticket_max_age))
    uploads.discard(files)
    return drafts, len(files)
