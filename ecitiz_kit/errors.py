"""The kit's exceptions: one root, HTTP-facing ones built on werkzeug's."""

from __future__ import annotations

from werkzeug.exceptions import BadRequest, Conflict, Forbidden, NotFound


class EcitizError(Exception):
    """Root of every exception the kit raises on purpose."""


class ConfigurationError(EcitizError, RuntimeError):
    """The application is configured in a way the kit refuses to run with."""


class DefinitionError(EcitizError, ValueError):
    """A form definition is malformed; the message names the file, field and fix."""


class UnknownObject(EcitizError, NotFound):
    """An organisation, form or submission does not exist (or is not visible)."""


class TextWithNul(EcitizError, BadRequest):
    """A value holds a NUL character (``\\x00``): no browser sends one, and
    PostgreSQL cannot keep one in text. Refused before it reaches the database."""


class ForeignOrigin(EcitizError, Forbidden):
    """A public POST came from another site."""


class NonceUsed(EcitizError):
    """A form ticket was already spent; ``submission_id`` is what it produced."""

    def __init__(self, submission_id: int) -> None:
        super().__init__(f"form ticket already used by submission {submission_id}")
        self.submission_id = submission_id


class ForbiddenTransition(EcitizError, Conflict):
    """The life cycle does not allow this status change."""

    def __init__(self, from_status: str, to_status: str) -> None:
        super().__init__(f"a request cannot go from {from_status} to {to_status}")
        self.from_status, self.to_status = from_status, to_status


class MessageRequired(EcitizError, ValueError):
    """Sending a request back for changes needs a message saying what to change."""
