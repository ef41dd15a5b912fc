"""An organisation's contact address: the rule the dashboard and the command share.

Applicants' e-mails carry it as ``Reply-To``, so an answer reaches a person.
"""

from __future__ import annotations

from ..errors import EcitizError
from ..forms.validators import is_email_address


class BadContact(EcitizError, ValueError):
    """A contact address the kit refuses; the message says why."""


def check_contact_email(value: str) -> str:
    """The address as stored (spaces around it removed), or :class:`BadContact`."""
    address = value.strip()
    if not is_email_address(address):
        raise BadContact(f"{value!r} is not an e-mail address.")
    return address
