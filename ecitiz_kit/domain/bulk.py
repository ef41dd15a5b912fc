"""Bulk actions: one assignment or one status change applied to many requests.

Each request goes through the path a change made alone takes
(:func:`~ecitiz_kit.domain.status.change_status`,
:meth:`~ecitiz_kit.store.Store.assign_submission`), in its own transaction, with
its own event, e-mail and document. A request that changed since it was selected,
or whose status does not allow the move, is left alone and listed with the reason.

A bulk action is a job (:mod:`ecitiz_kit.store.jobs`): up to
:data:`BACKGROUND_THRESHOLD` requests, the page that asked runs it at once; above,
the background worker (``ecitiz worker``) does, while the page shows progress.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from werkzeug.exceptions import BadRequest

from .. import lifecycle
from ..documents.attestations import Keyring
from ..errors import (
    EcitizError,
    ForbiddenTransition,
    MessageRequired,
    UnknownObject,
)
from ..forms.registry import FormRegistry
from ..i18n import gettext
from ..store import InPaymentBatch, StaleStatus, Store
from ..store.jobs import MOVED
from .notices import Notices
from .status import change_status

log = logging.getLogger(__name__)

#: The most requests one bulk action takes.
BULK_CAP = 5000
#: Larger selections run in the background worker.
BACKGROUND_THRESHOLD = 100
#: The job kind of bulk actions.
KIND = "bulk"
#: How long a worker holds a job without renewing its lease.
LEASE_SECONDS = 60.0
#: Requests moved between two renewals of the lease.
BATCH = 20

ASSIGN = "assign"
STATUS = "status"

# Why a request was left alone (stored with the job's items).
CHANGED = "changed"
NOT_ALLOWED = "not_allowed"
ALREADY = "already"
UNAVAILABLE = "unavailable"
FAILED = "failed"
GONE = "gone"
HELD = "in_payment_file"


class BulkError(EcitizError, BadRequest):
    """A bulk action that cannot be started as asked; nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.ecitiz_message = message  # what error pages show


@dataclass(frozen=True)
class BulkAction:
    """What to do to every selected request."""

    kind: str  # ASSIGN or STATUS
    to_status: str | None = None
    assignee: int | None = None  # for ASSIGN; None: nobody
    public_message: str = ""
    private_note: str = ""
    #: The kit's address as staff reached it: the links in e-mails point there.
    base_url: str | None = None
    #: Who ``assignee`` is, as the audit log names people.
    assignee_email: str | None = None

    def audit(self) -> tuple[str, dict[str, Any]]:
        """The audit log's action and detail for each request moved, as for a
        change made alone (``previous``: filled in per request by the store)."""
        if self.kind == ASSIGN:
            return "request.assign", {"to": self.assignee_email, "previous": None}
        return "request.status", {"to": self.to_status}


def new_key() -> str:
    """The key a bulk form carries, so that posting it twice runs it once."""
    return secrets.token_urlsafe(18)


def start(
    store: Store,
    organisation_id: int,
    key: str,
    action: BulkAction,
    submission_ids: Sequence[int],
    *,
    actor: str,
    staff_id: int | None,
    address: str | None,
) -> tuple[dict[str, Any], bool]:
    """Record a bulk action over these requests of the organisation and return
    ``(job, created)``. A new job of a small selection comes leased
    (``lease_owner``): the caller runs it at once with :func:`run`; a larger one
    waits for the worker. Not ``created``: this ``key`` was already used, and the
    job found is the first one, changed in nothing.

    Raises :class:`BulkError` for an empty or too large selection, and
    :class:`UnknownObject` (nothing recorded) when any id is not a request of
    this organisation.
    """
    ids = list(dict.fromkeys(submission_ids))
    if not ids:
        raise BulkError(gettext("Tick at least one request, then choose the action."))
    if len(ids) > BULK_CAP:
        raise BulkError(too_many(len(ids)))
    states = store.selection_states(organisation_id, ids)
    if len(states) != len(ids):
        raise UnknownObject()
    owner = new_owner() if len(ids) <= BACKGROUND_THRESHOLD else None
    job_id, created = store.create_job(
        organisation_id,
        KIND,
        key,
        actor=actor,
        staff_id=staff_id,
        address=address,
        params=asdict(action),
        items=[(sid, *states[sid]) for sid in ids],
        owner=owner,
        lease_seconds=LEASE_SECONDS,
    )
    job = store.job(organisation_id, job_id)
    assert job is not None  # written just now, never deleted
    return job, created


def too_many(count: int) -> str:
    return gettext(
        "%(count)s requests are selected; a bulk action takes at most %(cap)s."
        " Narrow the filters (for example to fewer days), then try again.",
        count=f"{count:,}".replace(",", "\N{NARROW NO-BREAK SPACE}"),
        cap=f"{BULK_CAP:,}".replace(",", "\N{NARROW NO-BREAK SPACE}"),
    )


def new_owner() -> str:
    """A name for whoever holds a job's lease: one per run."""
    return secrets.token_hex(8)


def run(
    store: Store,
    registry: FormRegistry,
    keyring: Keyring,
    job: dict[str, Any],
    owner: str,
    notices: Notices,
) -> bool:
    """Carry out a bulk job held by ``owner``, from where it stopped. Returns
    False if the lease passed to another worker meanwhile (that worker finishes
    it: no request is moved twice)."""
    action = BulkAction(**job["params"])
    audit = action.audit()
    after = -1
    while items := store.pending_items(job["id"], BATCH, after):
        outcomes = []
        for item in items:
            try:
                outcome = _apply(store, registry, keyring, job, action, item, notices)
            except Exception:
                # The request's transaction was rolled back: nothing half-done.
                # It is listed as left alone, and the others still move.
                log.exception(
                    "bulk job %s could not move request %s",
                    job["id"],
                    item["submission_id"],
                )
                outcome = FAILED
            if outcome is not None:
                outcomes.append((item["submission_id"], outcome))
        after = items[-1]["position"]
        if not store.job_progress(
            job["id"], owner, audit, outcomes, lease_seconds=LEASE_SECONDS
        ):
            return False
    return store.finish_job(job["id"], owner, audit)


def _apply(
    store: Store,
    registry: FormRegistry,
    keyring: Keyring,
    job: dict[str, Any],
    action: BulkAction,
    item: dict[str, Any],
    notices: Notices,
) -> str | None:
    """Move one request. None when moved and marked so in the same transaction;
    otherwise the outcome to write: :data:`MOVED`, or why it was left alone."""
    submission_id = item["submission_id"]
    submission = store.submission(submission_id)
    if submission is None or submission["organisation_id"] != job["organisation_id"]:
        return GONE
    if action.kind == ASSIGN:
        return _assign(store, job, action, item, submission)
    to_status = action.to_status or ""
    if submission["status"] != item["expected_status"]:
        return CHANGED
    if not lifecycle.can_move(submission["status"], to_status):
        return ALREADY if submission["status"] == to_status else NOT_ALLOWED
    try:
        change_status(
            store, registry, keyring, submission, to_status,
            actor=job["actor"],
            public_message=action.public_message,
            private_note=action.private_note,
            notices=notices,
            job_item=(job["id"], submission_id),
        )  # fmt: skip
    except ForbiddenTransition:
        return NOT_ALLOWED
    except (StaleStatus, MessageRequired):
        return CHANGED
    except InPaymentBatch:
        return HELD
    return None


def _assign(
    store: Store,
    job: dict[str, Any],
    action: BulkAction,
    item: dict[str, Any],
    submission: dict[str, Any],
) -> str:
    current, expected = submission["assigned_to"], item["expected_assignee"]
    if expected == action.assignee:
        return ALREADY
    if current == action.assignee:
        # Assigned as asked by this job before its worker stopped (the outcome
        # is written after the assignment): nothing is written twice.
        return MOVED
    if current != expected:
        return CHANGED
    if store.assign_submission(
        job["organisation_id"],
        submission["id"],
        action.assignee,
        actor=job["actor"],
        expected=expected,
    ):
        return MOVED
    now = store.submission(submission["id"])
    return CHANGED if now is None or now["assigned_to"] != expected else UNAVAILABLE
