"""Every line of SQL: schema migrations, reads and the write transactions.

The storage interface is the :class:`Store` class. It takes and returns plain values
(dicts, ints, strings) and knows nothing of Flask. It opens a SQLite file (the
default) or a PostgreSQL database (a ``postgresql://`` URL); its modules write their
SQL once for both (:mod:`.base`, :mod:`.sqlite`, :mod:`.postgresql`). SQLite runs in
WAL mode with ``synchronous=FULL`` so an acknowledged write survives a power cut, and
every write transaction starts with ``BEGIN IMMEDIATE`` so two writers never
deadlock halfway; PostgreSQL commits synchronously too.
"""

from __future__ import annotations

from .amendments import Amendments, NotAmendable
from .api_tokens import ApiTokens
from .applicants import Applicants, applicant_key
from .assignments import Assignments
from .audit import Audit
from .base import parse_stamp, utcnow
from .comments import Comments
from .companies import Companies
from .deadlines import Deadlines
from .documents import Documents
from .drafts import Drafts
from .embedding import Embedding
from .exports import Exports
from .files import Files
from .invitations import AlreadyStaff, Invitations
from .jobs import Jobs
from .listing import Listing
from .migrations import MIGRATIONS
from .organisations import Organisations
from .outbox import Outbox
from .payments import AlreadyInBatch, BatchClosed, InPaymentBatch, Payments
from .retention import Retention
from .settings import Settings
from .signals import Signals
from .staff import LastAdmin, Staff
from .submissions import StaleStatus, Submissions
from .webhooks import Webhooks

__all__ = [
    "MIGRATIONS",
    "AlreadyInBatch",
    "AlreadyStaff",
    "BatchClosed",
    "InPaymentBatch",
    "LastAdmin",
    "NotAmendable",
    "StaleStatus",
    "applicant_key",
    "Store",
    "parse_stamp",
    "utcnow",
]


class Store(
    Organisations,
    Submissions,
    Documents,
    Embedding,
    Settings,
    Outbox,
    Staff,
    Amendments,
    Listing,
    Audit,
    Assignments,
    Comments,
    Applicants,
    Invitations,
    Jobs,
    Exports,
    Retention,
    Deadlines,
    Signals,
    ApiTokens,
    Webhooks,
    Payments,
    Companies,
    Files,
    Drafts,
):
    """The kit's data: one SQLite file (a connection per thread) or a PostgreSQL
    database (a pool of connections per process)."""
