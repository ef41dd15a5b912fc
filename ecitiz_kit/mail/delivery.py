"""Delivery of the outbox: over SMTP, or as ``.eml`` files when there is no server.

Guarantee: a message is never handed to the server by two senders, and never
again once it is marked sent. A sender claims one message under a lease, sends
it, and marks it sent at once. The one gap is a crash (or a lost database write)
after the server accepted a message and before it was marked sent: when the lease
runs out the message is sent again, with the same Message-ID, so the receiving
side can recognise the copy. Delivery is thus at-least-once in that edge and
exactly-once otherwise; ``.eml`` files are written under a name fixed per message,
so a second write replaces the first.

A message queued unwritten (a receipt: see :func:`.messages.queued_message`) is
written by the ``compose`` function the caller hands in, just before it is sent;
its bodies are saved with the record that it was sent.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

from ..errors import EcitizError
from ..store import Store, utcnow
from .messages import email_message, is_unwritten

log = logging.getLogger(__name__)

#: Writes the bodies of a message queued unwritten (``body_text`` and
#: ``body_html``); ``None`` when it can no longer be written (its request is gone).
Compose = Callable[[dict[str, Any]], dict[str, Any] | None]

#: No retry waits longer than this.
MAX_RETRY_DELAY = 24 * 3600


class Transport(Protocol):
    def send(self, row: dict[str, Any], message: EmailMessage) -> None: ...

    def close(self) -> None: ...


class PermanentFailure(EcitizError):
    """The server refused the message for good (no retry can help)."""


class SmtpTransport:
    """Send over one SMTP connection, opened on first use and reopened on error."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        use_ssl: bool = False,
        timeout: float = 30,
    ) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.username, self.password = username, password
        self.starttls, self.use_ssl = starttls, use_ssl
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.use_ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, row: dict[str, Any], message: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(message, to_addrs=[row["recipient"]])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentFailure(f"recipient refused: {exc.recipients}") from exc
            raise
        except BaseException:
            self.close()  # the connection's state is unknown: start afresh
            raise

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None


class FileTransport:
    """Write each message as ``<folder>/<outbox id>-<kind>.eml`` (atomically)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, row: dict[str, Any]) -> Path:
        return self.folder / f"{row['id']:08d}-{row['kind']}.eml"

    def send(self, row: dict[str, Any], message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.path(row)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        try:
            with open(temporary, "wb") as fp:
                fp.write(message.as_bytes())
                fp.flush()
                os.fsync(fp.fileno())
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)

    def close(self) -> None:
        pass


@dataclass
class PassReport:
    """What one delivery pass did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.sent or self.retrying or self.failed)


def retry_delay(attempts: int, base: int) -> int:
    """Seconds to wait after the ``attempts``-th failure: base, 2×base, 4×base…"""
    return min(base * 2 ** max(attempts - 1, 0), MAX_RETRY_DELAY)


def new_sender_id() -> str:
    """Who holds a claim: host, process, thread and a random part."""
    return (
        f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:"
        f"{uuid.uuid4().hex[:8]}"
    )


def deliver_due(
    store: Store,
    transport: Transport,
    *,
    mail_from: str | None,
    max_attempts: int,
    base_delay: int,
    lease_seconds: int,
    sender: str | None = None,
    clock: Callable[[], datetime] = utcnow,
    limit: int | None = None,
    compose: Compose | None = None,
) -> PassReport:
    """Send every message due now (at most ``limit``), one claim at a time;
    ``compose`` writes those queued unwritten."""
    sender = sender or new_sender_id()
    outcome = PassReport()
    # Only what is due when the pass starts: a message that fails now is not
    # retried within the same pass, however short its delay.
    started = clock()
    try:
        while limit is None or outcome.sent + outcome.retrying + outcome.failed < limit:
            row = store.claim_message(sender, lease_seconds, clock(), due_by=started)
            if row is None:
                break
            _deliver_one(
                store,
                transport,
                row,
                sender,
                mail_from,
                outcome,
                max_attempts=max_attempts,
                base_delay=base_delay,
                clock=clock,
                compose=compose,
            )
    finally:
        transport.close()
    return outcome


def _deliver_one(
    store: Store,
    transport: Transport,
    row: dict[str, Any],
    sender: str,
    mail_from: str | None,
    outcome: PassReport,
    *,
    max_attempts: int,
    base_delay: int,
    clock: Callable[[], datetime],
    compose: Compose | None,
) -> None:
    written = None
    try:
        if is_unwritten(row):
            if compose is None:
                raise PermanentFailure("queued unwritten, and nothing to write it")
            written = compose(row)
            if written is None:
                raise PermanentFailure("cannot be written: its request is gone")
            row = {**row, **written}
        transport.send(row, email_message(row, mail_from))
    except PermanentFailure as exc:
        error, retry_at = str(exc), None
    except Exception as exc:
        if not isinstance(exc, (smtplib.SMTPException, OSError)):
            # Not the network's fault: keep the traceback, but still count the
            # attempt, so a message that cannot be sent ends up failed.
            log.exception("unexpected error sending message %s", row["id"])
        error = f"{type(exc).__name__}: {exc}"
        retry_at = None
        if row["attempts"] < max_attempts:
            delay = retry_delay(row["attempts"], base_delay)
            retry_at = clock() + timedelta(seconds=delay)
    else:
        if not store.message_sent(row["id"], sender, written):
            log.warning("message %s was sent after its claim expired", row["id"])
        outcome.sent += 1
        return
    store.message_not_sent(row["id"], sender, error, retry_at)
    outcome.errors.append(f"message {row['id']}: {error}")
    if retry_at is None:
        outcome.failed += 1
        log.error(
            "message %s given up after %s attempts: %s",
            row["id"],
            row["attempts"],
            error,
        )
    else:
        outcome.retrying += 1
        log.warning(
            "message %s not sent (attempt %s), retry at %s: %s",
            row["id"],
            row["attempts"],
            retry_at.isoformat(),
            error,
        )


def transport_for(config: dict[str, Any], data_dir: Path) -> Transport:
    """SMTP when ``ECITIZ_SMTP_HOST`` is set, else ``.eml`` files in the data dir."""
    if config["ECITIZ_SMTP_HOST"]:
        return SmtpTransport(
            config["ECITIZ_SMTP_HOST"],
            config["ECITIZ_SMTP_PORT"],
            # From the environment, a password of digits arrives as a number.
            username=_text(config["ECITIZ_SMTP_USERNAME"]),
            password=_text(config["ECITIZ_SMTP_PASSWORD"]),
            starttls=bool(config["ECITIZ_SMTP_STARTTLS"]),
            use_ssl=bool(config["ECITIZ_SMTP_SSL"]),
            timeout=config["ECITIZ_SMTP_TIMEOUT"],
        )
    return FileTransport(mail_folder(data_dir))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def mail_folder(data_dir: Path) -> Path:
    return data_dir / "mail"


def lease_seconds(config: dict[str, Any]) -> int:
    """How long a claim lasts: longer than the slowest SMTP exchange can take."""
    # connect, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, end of data: each may
    # take up to the timeout.
    return max(300, 10 * config["ECITIZ_SMTP_TIMEOUT"])


def deliver_from_config(
    store: Store,
    config: dict[str, Any],
    data_dir: Path,
    *,
    compose: Compose,
    **options: Any,
) -> PassReport:
    """One delivery pass with the application's settings, after deleting the
    messages sent more than ``ECITIZ_MAIL_KEEP_DAYS`` ago; ``compose`` writes
    the messages queued unwritten (see ``ecitiz_kit.web.pages.compose_queued``)."""
    clock = options.get("clock", utcnow)
    store.purge_sent_messages(clock() - timedelta(days=config["ECITIZ_MAIL_KEEP_DAYS"]))
    return deliver_due(
        store,
        transport_for(config, data_dir),
        mail_from=config["ECITIZ_MAIL_FROM"],
        max_attempts=config["ECITIZ_MAIL_MAX_ATTEMPTS"],
        base_delay=config["ECITIZ_MAIL_RETRY_DELAY"],
        lease_seconds=lease_seconds(config),
        compose=compose,
        **options,
    )


def run_loop(
    one_pass: Callable[[], PassReport],
    interval: float,
    stop: threading.Event,
    report: Callable[[PassReport], None] = lambda outcome: None,
) -> None:
    """Run delivery passes every ``interval`` seconds until ``stop`` is set.

    A pass that fails (the database is locked, say) is logged and retried at the
    next tick: the loop itself never dies of one bad pass.
    """
    while not stop.is_set():
        try:
            outcome = one_pass()
        except Exception:
            log.exception("delivery pass failed; retrying in %s s", interval)
        else:
            if outcome:
                report(outcome)
        stop.wait(interval)
