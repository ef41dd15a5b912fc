"""Company details from a register: what they fill in a form, what a request
stores of them, the checks the worker retries, and where they differ from what
the applicant typed.

The directory is optional and never in the way: when it cannot answer, the
applicant types the details and the request is checked later.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..company_directory import (
    Company,
    CompanyDirectory,
    DirectoryUnavailable,
    checked_siret,
)
from ..forms.definitions import Field, FormDefinition
from ..store import Store, utcnow
from ..store.companies import FOUND, PENDING, UNKNOWN

#: What a lookup can tell: the register's record, that it has none, or nothing.
UNAVAILABLE = "unavailable"
#: The first retry of a pending check waits this long; each failure doubles the
#: wait, up to a day.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(days=1)
#: Pending checks one worker pass asks about (each may take the full timeout).
CHECKS_PER_PASS = 20
_POSTAL_CODE = re.compile(r"[0-9]{5}")


@dataclass(frozen=True)
class Lookup:
    """The outcome of asking the register: ``state`` is ``found`` (``company``
    set), ``unknown`` or ``unavailable``."""

    state: str
    company: Company | None = None


def look_up(directory: CompanyDirectory, siret: str) -> Lookup:
    """Ask the register about ``siret`` (a valid SIRET); never raises for the
    directory's sake."""
    try:
        company = directory.lookup(siret)
    except DirectoryUnavailable:
        return Lookup(UNAVAILABLE)
    return Lookup(FOUND, company) if company else Lookup(UNKNOWN)


def fill_values(
    definition: FormDefinition, siret_field: Field, company: Company
) -> dict[str, str]:
    """``field name -> value`` for the fields ``siret_field`` fills, from the
    register's record: only values the field would accept (cut to its length;
    a postal code of five digits), never empty ones."""
    values: dict[str, str] = {}
    for item, target_name in siret_field.fills or ():
        target = definition.field(target_name)
        value = str(getattr(company, item) or "")
        if target.type == "postal_code" and not _POSTAL_CODE.fullmatch(value):
            continue
        if target.max_length:
            value = value[: target.max_length].strip()
        if value:
            values[target_name] = value
    return values


def company_for_submission(
    directory: CompanyDirectory | None,
    definition: FormDefinition,
    answers: dict[str, Any],
) -> tuple[str, str, dict[str, Any] | None] | None:
    """What a new request stores of the register (see
    :meth:`~ecitiz_kit.store.Store.create_submission`): ``None`` without a
    directory or a SIRET; a ``pending`` check when the register cannot say now."""
    siret_field = definition.company_field
    if directory is None or siret_field is None:
        return None
    siret = checked_siret(str(answers.get(siret_field.name) or ""))
    if siret is None:
        return None
    found = look_up(directory, siret)
    if found.state == UNAVAILABLE:
        return siret, PENDING, None
    return siret, found.state, found.company.to_json() if found.company else None


@dataclass
class CheckReport:
    """What one pass over the pending checks did."""

    answered: int = 0
    postponed: int = 0
    errors: list[str] = field(default_factory=list)


def next_try(attempts: int, now: datetime) -> datetime:
    """When to ask again after ``attempts`` failed tries (1 minute after the
    first, doubling, at most a day)."""
    wait = FIRST_RETRY * (2 ** min(max(attempts - 1, 0), 20))
    return now + min(wait, LONGEST_WAIT)


def check_pending(
    store: Store, directory: CompanyDirectory, limit: int = CHECKS_PER_PASS
) -> CheckReport:
    """Ask the register again about the requests whose check is due; the pass
    stops at the first the directory cannot answer (the others wait for the
    next pass, their tries not counted)."""
    report = CheckReport()
    for row in store.company_checks_due(limit):
        found = look_up(directory, row["siret"])
        if found.state == UNAVAILABLE:
            store.postpone_company_check(
                row["submission_id"],
                next_try(row["attempts"] + 1, utcnow()),
                "the directory did not answer",
            )
            report.postponed += 1
            break
        record = found.company.to_json() if found.company else None
        if store.record_company_check(row["submission_id"], found.state, record):
            report.answered += 1
    return report


@dataclass(frozen=True)
class Difference:
    """A register item that differs from the answer of the field it fills."""

    item: str
    typed: str
    registered: str


@dataclass(frozen=True)
class RegisterView:
    """What a request's page shows of the register: its ``state``, its record,
    and the differences with what the applicant typed."""

    state: str
    company: Company | None
    differences: tuple[Difference, ...] = ()
    attempts: int = 0

    @property
    def ceased(self) -> bool:
        return self.company is not None and not self.company.active


def register_view(
    definition: FormDefinition,
    answers: dict[str, Any],
    check: dict[str, Any] | None,
) -> RegisterView | None:
    """The register's part of a request's page (``None``: never asked)."""
    if check is None:
        return None
    if check["state"] != FOUND or not check["register"]:
        return RegisterView(check["state"], None, attempts=check["attempts"])
    company = Company.from_json(check["register"])
    siret_field = definition.company_field
    differences = []
    for item, target in (siret_field.fills or ()) if siret_field else ():
        typed = str(answers.get(target) or "")
        registered = str(getattr(company, item) or "")
        if registered and _comparable(typed) != _comparable(registered):
            differences.append(Difference(item, typed, registered))
    return RegisterView(FOUND, company, tuple(differences), check["attempts"])


def _comparable(text: str) -> str:
    """Text as compared: no case, accents, punctuation or extra spaces
    ("Boulangerie  Dupont S.A.R.L." is "boulangerie dupont s a r l")."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


__all__ = [
    "FOUND",
    "PENDING",
    "UNAVAILABLE",
    "UNKNOWN",
    "CheckReport",
    "Difference",
    "Lookup",
    "RegisterView",
    "check_pending",
    "company_for_submission",
    "fill_values",
    "look_up",
    "next_try",
    "register_view",
]
