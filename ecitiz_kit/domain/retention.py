"""Retention that acts: each request goes its form's retention period after its
last change, deleted or anonymised as the form was enabled with.

Admins are told first: a request is removed only once it was announced to them
:data:`NOTICE` before, for the request as it last changed. So a request whose
period is over goes on the later of its end and 30 days after its announcement,
and one that changes meanwhile starts a new period (and a new announcement).

A request and its files go together: its rows in one transaction, then its files.
A crash in between leaves files no row references, which the upload sweep removes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ..forms.definitions import FormDefinition
from ..i18n import text
from ..mail.messages import Composer
from ..mail.purge_notice import purge_notice_message
from ..store import Store, parse_stamp
from ..store.retention import ANONYMISE, DELETE
from ..store.uploads import UploadStorage

#: How long before removing requests their organisation's admins are told.
NOTICE = timedelta(days=30)

#: Field types kept when a request is anonymised: what statistics count by.
STATISTICS_TYPES = frozenset({"postal_code", "money"})

DefinitionFor = Callable[[int, str], FormDefinition | None]


@dataclass(frozen=True)
class Due:
    """A request whose retention period is over, or ends within the notice."""

    id: int
    organisation: str
    organisation_id: int
    form_id: str
    reference: str
    updated_at: str
    after: str
    #: The first day it may go.
    goes_on: date
    row: dict[str, Any] = field(repr=False, compare=False)


@dataclass
class Review:
    """Where each request near or past its retention period stands."""

    #: Past its period and announced long enough ago: removed at this pass.
    remove: list[Due] = field(default_factory=list)
    #: Within the notice of its end, not announced yet (as last changed).
    announce: list[Due] = field(default_factory=list)
    #: Announced, waiting for the notice to run out or the period to end.
    waiting: list[Due] = field(default_factory=list)


@dataclass
class PurgeReport:
    deleted: list[str] = field(default_factory=list)
    anonymised: list[str] = field(default_factory=list)
    announced: int = 0
    #: Requests that changed while they were being removed: kept.
    changed: int = 0
    expired_documents: int = 0
    #: Expired drafts removed, and kept files of expired form tickets.
    drafts: int = 0
    kept_files: int = 0


def review(store: Store, now: datetime) -> Review:
    """Sort the requests whose period is over or ends within :data:`NOTICE`."""
    found = Review()
    for form in store.retention_forms():
        kept = timedelta(days=form["retention_days"])
        rows = store.requests_unchanged_since(
            form["organisation_id"], form["form_id"], now + NOTICE - kept
        )
        for row in rows:
            ends = parse_stamp(row["updated_at"]) + kept
            announced = _announced_at(row)
            goes = max(ends, (announced or now) + NOTICE)
            due = Due(
                id=row["id"],
                organisation=form["organisation"],
                organisation_id=form["organisation_id"],
                form_id=form["form_id"],
                reference=row["reference"],
                updated_at=row["updated_at"],
                after=form["after_retention"],
                goes_on=goes.date(),
                row=row,
            )
            if announced is None:
                found.announce.append(due)
            elif goes <= now:
                found.remove.append(due)
            else:
                found.waiting.append(due)
    return found


def _announced_at(row: dict[str, Any]) -> datetime | None:
    """When the request was announced, if it was since it last changed."""
    announced = row["purge_announced_at"]
    if announced is None or announced < row["updated_at"]:
        return None
    return parse_stamp(announced)


def announce(
    store: Store,
    composer: Composer,
    definition_for: DefinitionFor,
    due: list[Due],
    now: datetime,
) -> int:
    """E-mail each organisation's active admins about its requests in ``due``,
    once: the requests are marked announced with the e-mails queued. An
    organisation without an active admin has its requests marked all the same
    (nobody is left to tell). Returns how many requests were announced."""
    by_organisation: dict[int, list[Due]] = {}
    for item in due:
        by_organisation.setdefault(item.organisation_id, []).append(item)
    announced = 0
    for organisation_id, items in by_organisation.items():
        organisation = store.organisation_by_id(organisation_id)
        if organisation is None:  # pragma: no cover - organisations are never removed
            continue
        counts: dict[str, list[int]] = {}
        for item in items:
            title = _form_title(definition_for, item, composer.default_language)
            tally = counts.setdefault(title, [0, 0])
            tally[1 if item.after == ANONYMISE else 0] += 1
        forms = [(title, n[0], n[1]) for title, n in sorted(counts.items())]
        goes_on = min(item.goes_on for item in items)
        messages = [
            purge_notice_message(
                composer, organisation, email=email, forms=forms, purge_on=goes_on
            )
            for email in store.active_admin_emails(organisation_id)
        ]
        announced += store.announce_purge([item.row for item in items], messages, now)
    return announced


def _form_title(definition_for: DefinitionFor, item: Due, lang: str) -> str:
    definition = definition_for(item.organisation_id, item.form_id)
    return text(definition.title, lang) if definition else item.form_id


def statistics_answers(
    definition: FormDefinition | None,
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """What an anonymised request keeps of its answers: postal codes and amounts."""
    names = (
        {f.name for f in definition.fields if f.type in STATISTICS_TYPES}
        if definition
        else set()
    )
    return lambda answers: {k: v for k, v in answers.items() if k in names}


def remove(
    store: Store,
    uploads: UploadStorage,
    definition_for: DefinitionFor,
    due: list[Due],
    now: datetime,
    report: PurgeReport,
) -> None:
    """Delete or anonymise each request in ``due``, one transaction each, and
    then its files. An interruption leaves each request whole or gone: running
    again finishes the rest."""
    for item in due:
        files = store.purge_request(
            item.id,
            item.updated_at,
            item.after,
            kept_answers=statistics_answers(
                definition_for(item.organisation_id, item.form_id)
            ),
            now=now,
        )
        if files is None:
            report.changed += 1
            continue
        (report.deleted if item.after == DELETE else report.anonymised).append(
            item.reference
        )
        uploads.discard(files)


def purge(
    store: Store,
    uploads: UploadStorage,
    composer: Composer,
    definition_for: DefinitionFor,
    now: datetime,
) -> PurgeReport:
    """One retention pass: announce what comes within the notice, remove what
    is due, and forget documents of removed requests once they have expired."""
    found = review(store, now)
    report = PurgeReport()
    report.announced = announce(store, composer, definition_for, found.announce, now)
    remove(store, uploads, definition_for, found.remove, now, report)
    report.expired_documents = store.forget_expired_documents(now.date().isoformat())
    return report
