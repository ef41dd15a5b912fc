"""What the kit e-mails, composed in the reader's language, ready for the outbox.

Each ``*_message`` function returns one outbox row (a plain dict, see
:data:`ecitiz_kit.store.outbox.MESSAGE_KEYS`); the caller hands it to the store
with the event that causes it, so both are written in one transaction. Bodies come
from the overridable templates ``ecitiz/mail/<kind>.txt`` and ``.html``.

An applicant's e-mail holds only what they typed themselves (their name), the
organisation, the form, the reference and their private tracking link: never
another answer, never an IBAN. Staff e-mails hold no applicant data at all.
"""

from __future__ import annotations

import functools
from email.message import EmailMessage
from email.utils import format_datetime as rfc2822_date
from email.utils import make_msgid, parseaddr
from typing import Any

from flask import current_app, has_request_context, url_for

from . import lifecycle
from .embedding import tracking_link
from .errors import ConfigurationError
from .i18n import LANGUAGES, gettext, text
from .store import parse_stamp
from .throttle import parse_limits
from .web import external_url, when

#: The sender of ``.eml`` files when ``ECITIZ_MAIL_FROM`` is not set.
FALLBACK_SENDER = "no-reply@localhost"

RECEIPT, STATUS, NEW_REQUEST, LOST_LINK = "receipt", "status", "new-request", "lost"


def status_url(
    tokens: Any,
    submission: dict[str, Any],
    lang: str | None = None,
    page: str | None = None,
) -> str | None:
    """The absolute tracking link of ``submission`` (opening in ``lang`` if given).

    With ``page`` (the organisation's own tracking page) the link opens that page,
    which shows the status in the host site's language. Otherwise, inside a request
    it is built like every other link; outside one (a command) it needs
    ``ECITIZ_PUBLIC_URL`` (or Flask's ``SERVER_NAME``), else ``None``.
    """
    token = tokens.status_link(submission["id"], submission["link_version"])
    if page is not None:
        return tracking_link(page, token)
    values = {"token": token, "lang": lang}
    if has_request_context():
        return external_url("ecitiz.status", **values)
    public_url = current_app.config["ECITIZ_PUBLIC_URL"]
    if public_url:
        with current_app.test_request_context(base_url=public_url):
            return url_for("ecitiz.status", _external=True, **values)
    if current_app.config.get("SERVER_NAME"):
        return url_for("ecitiz.status", _external=True, **values)
    return None


def receipt_message(
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
        RECEIPT,
        lang,
        organisation,
        submission,
        recipient=email,
        subject=gettext(
            "Request %(reference)s received", lang, reference=submission["reference"]
        ),
        values={
            "name": name,
            "form_title": form_title,
            "received_at": when(submission["created_at"], lang),
            "tracking_url": tracking_url,
            "accepted": submission["status"] == lifecycle.ACCEPTED,
        },
    )


def status_message(
    organisation: dict[str, Any],
    form_title: str,
    submission: dict[str, Any],
    *,
    to_status: str,
    public_message: str | None,
    name: str,
    email: str,
    tracking_url: str | None,
) -> dict[str, Any]:
    """Tell the applicant their request changed status (with the public message)."""
    lang = submission["lang"]
    status_name = lifecycle.status_name(to_status, lang)
    return _message(
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
            "name": name,
            "form_title": form_title,
            "status_name": status_name,
            "status_explanation": lifecycle.status_explanation(to_status, lang),
            "public_message": public_message,
            "tracking_url": tracking_url,
        },
    )


def new_request_message(
    organisation: dict[str, Any],
    form_title: str,
    submission: dict[str, Any],
    *,
    email: str,
) -> dict[str, Any]:
    """Tell a staff member who opted in that a request arrived (no applicant data)."""
    lang = current_app.config["ECITIZ_DEFAULT_LANGUAGE"]
    return _message(
        NEW_REQUEST,
        lang,
        organisation,
        submission,
        recipient=email,
        reply_to_organisation=False,
        subject=gettext(
            "New request %(reference)s: %(form)s",
            lang,
            reference=submission["reference"],
            form=form_title,
        ),
        values={
            "form_title": form_title,
            "received_at": when(submission["created_at"], lang),
        },
    )


def lost_link_message(
    organisation: dict[str, Any],
    form_title: str,
    submission: dict[str, Any],
    *,
    name: str,
    email: str,
    tracking_url: str | None,
) -> dict[str, Any]:
    """Send the tracking link again to the address the request gave."""
    lang = submission["lang"]
    return _message(
        LOST_LINK,
        lang,
        organisation,
        submission,
        recipient=email,
        subject=gettext(
            "Your link to follow request %(reference)s",
            lang,
            reference=submission["reference"],
        ),
        values={"name": name, "form_title": form_title, "tracking_url": tracking_url},
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


def check_settings(config: dict[str, Any]) -> None:
    """Refuse mail settings that cannot work, naming the key."""
    for key in (
        "ECITIZ_SMTP_PORT",
        "ECITIZ_SMTP_TIMEOUT",
        "ECITIZ_MAIL_MAX_ATTEMPTS",
        "ECITIZ_MAIL_RETRY_DELAY",
        "ECITIZ_MAIL_KEEP_DAYS",
    ):
        value = config[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigurationError(
                f"{key} must be a whole number of 0 or more (got {value!r})."
            )
    parse_limits(config["ECITIZ_LOST_LINK_LIMIT"])
    if config["ECITIZ_MAIL_MAX_ATTEMPTS"] < 1:
        raise ConfigurationError("ECITIZ_MAIL_MAX_ATTEMPTS must be at least 1.")
    if config["ECITIZ_SMTP_SSL"] and config["ECITIZ_SMTP_STARTTLS"]:
        raise ConfigurationError(
            "ECITIZ_SMTP_SSL and ECITIZ_SMTP_STARTTLS are both on: choose one (SSL "
            "for port 465, STARTTLS for port 587)."
        )
    sender = config["ECITIZ_MAIL_FROM"]
    if sender is not None and "@" not in parseaddr(str(sender))[1]:
        raise ConfigurationError(
            f"ECITIZ_MAIL_FROM must be an e-mail address (got {sender!r})."
        )
    if config["ECITIZ_SMTP_HOST"] and not sender:
        raise ConfigurationError(
            "ECITIZ_SMTP_HOST is set but ECITIZ_MAIL_FROM is not: set the address "
            "the kit's e-mails come from."
        )


# -- helpers ---------------------------------------------------------------------


def _message(
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
    lang = lang if lang in LANGUAGES else current_app.config["ECITIZ_DEFAULT_LANGUAGE"]
    context = {
        **values,
        "_": functools.partial(gettext, lang=lang),
        "lang": lang,
        "organisation": organisation["name"],
        "reference": submission["reference"],
        "subject": subject,
    }
    env = current_app.jinja_env
    return {
        "message_id": make_msgid(domain=_sender_domain()),
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
        "body_text": env.get_template(f"ecitiz/mail/{kind}.txt").render(context),
        "body_html": env.get_template(f"ecitiz/mail/{kind}.html").render(context),
    }


def _sender_domain() -> str:
    sender = current_app.config["ECITIZ_MAIL_FROM"] or FALLBACK_SENDER
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


def form_title(row: dict[str, Any], definition: Any, lang: str) -> str:
    """The title an enabled form shows in ``lang``."""
    return row["title_override"] or text(definition.title, lang)
