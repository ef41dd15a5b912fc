"""What the kit e-mails, composed in the reader's language, ready for the outbox.

Each ``*_message`` function returns one outbox row (a plain dict, see
:data:`ecitiz_kit.store.outbox.MESSAGE_KEYS`); the caller hands it to the store
with the event that causes it, so both are written in one transaction. Bodies come
from the overridable templates ``ecitiz/mail/<kind>.txt`` and ``.html``.

An applicant's e-mail holds the organisation, the form, the reference and their
private tracking link, and of what they typed only their name, and only when it
passes :func:`greeting_name` (else the greeting has no name): never another
answer, never an IBAN, never text that could pass for the organisation's words.
Staff e-mails hold no applicant data at all.

The e-mails a submission causes (the receipt, the staff notes) are queued
*unwritten* (:func:`queued_message`): the row holds its recipient, subject and
Message-ID, and the delivery job writes the bodies from the stored request when
it sends them, so the request that submits renders no template.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime as rfc2822_date
from email.utils import make_msgid, parseaddr
from typing import Any

from babel.numbers import format_currency

from .. import lifecycle
from ..i18n import LANGUAGES, format_date, format_datetime, gettext, ngettext
from ..store import parse_stamp

#: The sender of ``.eml`` files when ``ECITIZ_MAIL_FROM`` is not set.
FALLBACK_SENDER = "no-reply@localhost"

RECEIPT, STATUS, NEW_REQUEST = "receipt", "status", "new-request"
MY_REQUESTS = "my-requests"
DRAFT = "draft"
INVITATION = "invitation"
DIGEST = "digest"

#: The longest name an e-mail greets by.
MAX_GREETING_NAME = 60
#: Besides letters (of any script, with their accents): what names are made of.
NAME_PUNCTUATION = frozenset(" -'\u2019")

#: Renders a template (``ecitiz/mail/<kind>.txt`` or ``.html``) with a context.
Render = Callable[[str, dict[str, Any]], str]


@dataclass(frozen=True)
class Composer:
    """What composing an e-mail needs from the application: its templates (which
    a host may override) and the settings that shape every message."""

    render: Render
    default_language: str
    timezone: str
    sender: str | None = None

    def when(self, stamp: str, lang: str) -> str:
        """A stored timestamp in the kit's time zone, in words of ``lang``."""
        return format_datetime(parse_stamp(stamp), lang, self.timezone)

    @property
    def sender_domain(self) -> str:
        return _domain_of(self.sender or FALLBACK_SENDER)


@functools.lru_cache(maxsize=8)
def _domain_of(sender: str) -> str:
    # Parsing an address costs as much as queueing the message it names.
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


def greeting_name(name: str) -> str:
    """``name`` if an e-mail may greet the applicant by it, else ``""``.

    The name is text the applicant typed, sent to an address they typed: it must
    not carry a link, a message or a spoofed line of its own. It passes when it is
    made of letters (any script, accents included), spaces, hyphens and
    apostrophes only, holds a letter, and is at most :data:`MAX_GREETING_NAME`
    characters long; digits, punctuation such as ``:`` or ``/``, and control or
    format characters (bidi overrides, zero-width spaces) fail it.
    """
    name = unicodedata.normalize("NFC", name)
    name = " ".join(part for part in name.split(" ") if part)
    if not name or len(name) > MAX_GREETING_NAME:
        return ""
    letters = 0
    for char in name:
        category = unicodedata.category(char)
        if category[0] == "L":
            letters += 1
        elif category[0] != "M" and char not in NAME_PUNCTUATION:
            return ""
    # A letter first: a mark or a hyphen cannot start a name.
    if not letters or unicodedata.category(name[0])[0] != "L":
        return ""
    return name


def is_unwritten(row: dict[str, Any]) -> bool:
    """Whether an outbox row was queued without its bodies (see
    :func:`queued_message`): the delivery job composes them."""
    return not row["body_text"] and not row["body_html"]


def receipt_subject(reference: str, lang: str) -> str:
    return gettext("Request %(reference)s received", lang, reference=reference)


def new_request_subject(reference: str, form_title: str, lang: str) -> str:
    return gettext(
        "New request %(reference)s: %(form)s",
        lang,
        reference=reference,
        form=form_title,
    )


def queued_message(
    composer: Composer,
    kind: str,
    organisation: dict[str, Any],
    submission: dict[str, Any],
    *,
    recipient: str,
    subject: str,
    lang: str,
    base_url: str | None,
) -> dict[str, Any]:
    """An outbox row for ``kind`` without its bodies: the delivery job writes them
    from the stored request (links on ``base_url``, the kit's address as the
    applicant reached it)."""
    return {
        "message_id": make_msgid(domain=composer.sender_domain),
        "kind": kind,
        "organisation_id": organisation["id"],
        "submission_id": submission["id"],
        "recipient": recipient,
        "reply_to": (
            organisation.get("contact_email") if kind != NEW_REQUEST else None
        ),
        "lang": lang if lang in LANGUAGES else composer.default_language,
        "subject": subject,
        "body_text": "",
        "body_html": "",
        "base_url": base_url,
    }


def receipt_message(
    composer: Composer,
    organisation: dict[str, Any],
    form_title: str,
    submission: dict[str, Any],
    *,
    name: str,
    email: str,
    tracking_url: str | None,
) -> dict[str, Any]:
    """The applicant's acknowledgement: reference and tracking link."""
    lang = submission["lang"]
    return _message(
        composer,
        RECEIPT,
        lang,
        organisation,
        submission,
        recipient=email,
        subject=receipt_subject(submission["reference"], lang),
        values={
            "name": greeting_name(name),
            "form_title": form_title,
            "received_at": composer.when(submission["created_at"], lang),
            "tracking_url": tracking_url,
            "accepted": submission["status"] == lifecycle.ACCEPTED,
        },
    )


def status_message(
    composer: Composer,
    organisation: dict[str, Any],
    form_title: str,
    submission: dict[str, Any],
    *,
    to_status: str,
    public_message: str | None,
    name: str,
    email: str,
    tracking_url: str | None,
    granted_cents: int | None = None,
) -> dict[str, Any]:
    """Tell the applicant their request changed status (with the public message
    and, once accepted or paid, the amount granted)."""
    lang = submission["lang"]
    status_name = lifecycle.status_name(to_status, lang)
    return _message(
        composer,
        STATUS,
        lang,
        organisation,
        submission,
        recipient=email,
        subject=gettext(
            "Request %(reference)s: %(status)s",
            lang,
            reference=submission["reference"],
            status=status_name,
        ),
        values={
            "name": greeting_name(name),
            "form_title": form_title,
            "status_name": status_name,
            "status_explanation": lifecycle.status_explanation(to_status, lang),
            "public_message": public_message,
            "tracking_url": tracking_url,
            "granted": None
            if granted_cents is None
            else format_currency(Decimal(granted_cents) / 100, "EUR", locale=lang),
        },
    )


def new_request_message(
    composer: Composer,
    organisation: dict[str, Any],
    form_title: str,
    submission: dict[str, Any],
    *,
    email: str,
    account_url: str | None = None,
) -> dict[str, Any]:
    """Tell a staff member who opted in that a request arrived (no applicant data);
    the footer says where to stop these e-mails (``account_url``, when known)."""
    lang = composer.default_language
    return _message(
        composer,
        NEW_REQUEST,
        lang,
        organisation,
        submission,
        recipient=email,
        reply_to_organisation=False,
        subject=new_request_subject(submission["reference"], form_title, lang),
        values={
            "form_title": form_title,
            "received_at": composer.when(submission["created_at"], lang),
            "account_url": account_url,
        },
    )


def my_requests_message(
    composer: Composer,
    organisation: dict[str, Any],
    *,
    name: str,
    email: str,
    lang: str,
    list_url: str | None,
    valid_for: str,
) -> dict[str, Any]:
    """The link to the list of an applicant's requests to ``organisation``,
    valid for ``valid_for`` (in words of ``lang``)."""
    return _message(
        composer,
        MY_REQUESTS,
        lang,
        organisation,
        {"id": None, "reference": ""},
        recipient=email,
        subject=gettext(
            "Your requests to %(organisation)s", lang, organisation=organisation["name"]
        ),
        values={
            "name": greeting_name(name),
            "list_url": list_url,
            "valid_for": valid_for,
        },
    )


def draft_message(
    composer: Composer,
    organisation: dict[str, Any],
    *,
    form_title: str,
    email: str,
    lang: str,
    draft_url: str | None,
    expires_at: str,
) -> dict[str, Any]:
    """The link to a draft of ``form_title``, kept until ``expires_at`` (a
    stored timestamp). It names no answer: the link is the only way in."""
    return _message(
        composer,
        DRAFT,
        lang,
        organisation,
        {"id": None, "reference": ""},
        recipient=email,
        subject=gettext("Your saved form: %(title)s", lang, title=form_title),
        values={
            "form_title": form_title,
            "draft_url": draft_url,
            "expires_at": composer.when(expires_at, lang),
        },
    )


def invitation_message(
    composer: Composer,
    organisation: dict[str, Any],
    *,
    email: str,
    admin: bool,
    lang: str,
    invitation_url: str | None,
    valid_for: str,
) -> dict[str, Any]:
    """Invite ``email`` to the staff of ``organisation`` (as an admin or an
    agent): the link, valid for ``valid_for``, leads to choosing a password."""
    return _message(
        composer,
        INVITATION,
        lang,
        organisation,
        {"id": None, "reference": ""},
        recipient=email,
        reply_to_organisation=False,
        subject=gettext(
            "Join the team of %(organisation)s", lang, organisation=organisation["name"]
        ),
        values={
            "admin": admin,
            "invitation_url": invitation_url,
            "valid_for": valid_for,
        },
    )


def digest_message(
    composer: Composer,
    organisation: dict[str, Any],
    *,
    email: str,
    day: date,
    counts: dict[str, int],
    links: dict[str, str | None],
    soon_days: int,
    account_url: str | None = None,
) -> dict[str, Any]:
    """A staff member's daily digest: requests new since the last one, due within
    ``soon_days`` days and overdue (figures and links to the list filtered so,
    no applicant data)."""
    lang = composer.default_language
    lines = [
        (
            ngettext(
                "%(num)d new request", "%(num)d new requests", counts["new"], lang
            ),
            links.get("new"),
        ),
        (
            ngettext(
                "%(num)d request awaiting a decision due within %(days)d days",
                "%(num)d requests awaiting a decision due within %(days)d days",
                counts["due_soon"],
                lang,
                days=soon_days,
            ),
            links.get("due_soon"),
        ),
        (
            ngettext(
                "%(num)d overdue request",
                "%(num)d overdue requests",
                counts["overdue"],
                lang,
            ),
            links.get("overdue"),
        ),
    ]
    return _message(
        composer,
        DIGEST,
        lang,
        organisation,
        {"id": None, "reference": ""},
        recipient=email,
        reply_to_organisation=False,
        subject=gettext(
            "%(organisation)s: requests on %(day)s",
            lang,
            organisation=organisation["name"],
            day=format_date(day, lang),
        ),
        values={"lines": lines, "account_url": account_url},
    )


def email_message(row: dict[str, Any], sender: str | None) -> EmailMessage:
    """The MIME message of an outbox row: plain text and HTML alternatives.

    Headers come from the row only, so every attempt sends the same message with
    the same Message-ID.
    """
    message = EmailMessage()
    message["Subject"] = row["subject"]
    message["From"] = sender or FALLBACK_SENDER
    message["To"] = row["recipient"]
    if row["reply_to"]:
        message["Reply-To"] = row["reply_to"]
    message["Date"] = rfc2822_date(parse_stamp(row["created_at"]))
    message["Message-ID"] = row["message_id"]
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row["body_text"])
    message.add_alternative(row["body_html"], subtype="html")
    # After the bodies: set_content() drops the Content-* headers it finds.
    message["Content-Language"] = row["lang"]
    return message


# -- helpers ---------------------------------------------------------------------


def _message(
    composer: Composer,
    kind: str,
    lang: str,
    organisation: dict[str, Any],
    submission: dict[str, Any],
    *,
    recipient: str,
    subject: str,
    values: dict[str, Any],
    reply_to_organisation: bool = True,
) -> dict[str, Any]:
    lang = lang if lang in LANGUAGES else composer.default_language
    context = {
        **values,
        "_": functools.partial(gettext, lang=lang),
        "lang": lang,
        "organisation": organisation["name"],
        "reference": submission["reference"],
        "subject": subject,
    }
    return {
        "message_id": make_msgid(domain=composer.sender_domain),
        "kind": kind,
        "organisation_id": organisation["id"],
        "submission_id": submission["id"],
        "recipient": recipient,
        # Applicants reply to the organisation, not to a no-reply address.
        "reply_to": (
            organisation.get("contact_email") if reply_to_organisation else None
        ),
        "lang": lang,
        "subject": subject,
        "body_text": composer.render(f"ecitiz/mail/{kind}.txt", context),
        "body_html": composer.render(f"ecitiz/mail/{kind}.html", context),
    }
