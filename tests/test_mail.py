"""E-mails: queued with their event, delivered over a real SMTP server on loopback."""

import re
import socket
import sqlite3
import threading
from datetime import timedelta
from email import message_from_bytes, policy
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller

from ecitiz_kit import create_app, lifecycle
from ecitiz_kit.errors import ConfigurationError
from ecitiz_kit.mail import messages
from ecitiz_kit.mail.delivery import deliver_due, deliver_from_config, lease_seconds
from ecitiz_kit.mail.messages import greeting_name
from ecitiz_kit.passwords import hash_password
from ecitiz_kit.state import state
from ecitiz_kit.store import utcnow
from ecitiz_kit.web.pages import compose_queued, notices

from .helpers import (
    IBAN,
    ORG,
    REFERENCE,
    SECRET,
    aid_answers,
    attestation_answers,
    execute,
    hidden_inputs,
    post_form,
    stored_requests,
    uploaded_files,
    with_file,
)

SENDER = "Formulaires ACME <forms@acme.example>"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    """An SMTP handler keeping what it accepts; refuses the first ``refuse``."""

    def __init__(self, refuse: int = 0) -> None:
        self.refuse = refuse
        self.refused = 0
        self.received: list = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.refused < self.refuse:
                self.refused += 1
                return "451 4.3.0 Try again later"
            self.received.append(
                (
                    envelope.rcpt_tos,
                    message_from_bytes(envelope.content, policy=policy.default),
                )
            )
        return "250 OK"


@pytest.fixture
def smtp():
    """A real SMTP server on 127.0.0.1, started for the test."""
    started = []

    def start(refuse: int = 0, port: int | None = None):
        handler = Recorder(refuse)
        controller = Controller(handler, hostname="127.0.0.1", port=port or free_port())
        controller.start()
        started.append(controller)
        handler.port = controller.port
        return handler

    yield start
    for controller in started:
        controller.stop()


def use_smtp(app, port: int, **extra) -> None:
    app.config.update(
        ECITIZ_SMTP_HOST="127.0.0.1",
        ECITIZ_SMTP_PORT=port,
        ECITIZ_SMTP_STARTTLS=False,
        ECITIZ_MAIL_FROM=SENDER,
        ECITIZ_SMTP_TIMEOUT=5,
        **extra,
    )


def deliver(app, **options):
    with app.app_context():
        kit = state(app)
        return deliver_from_config(
            kit.store, app.config, kit.data_dir, compose=compose_queued(), **options
        )


def submit(client, **headers):
    response = post_form(client, with_file(aid_answers()), headers=headers)
    assert response.status_code == 303
    return response


def outbox(store, kind=None):
    return [m for m in store.outbox_messages() if kind is None or m["kind"] == kind]


def parts(message):
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return plain, html


def link_in(text):
    return re.search(r"https?://\S+/s/[^\s?]+(?:\?lang=\w+)?", text).group(0)


# -- receipt ---------------------------------------------------------------------------


def test_receipt_mail_arrives_with_reference_and_a_working_tracking_link(
    app, client, store, smtp
):
    server = smtp()
    use_smtp(app, server.port)
    submit(client)
    outcome = deliver(app)
    assert (outcome.sent, outcome.failed) == (1, 0)

    [(recipients, message)] = server.received
    assert recipients == ["camille@example.org"]
    assert message.get_content_type() == "multipart/alternative"
    plain, html = parts(message)
    reference = REFERENCE.search(message["Subject"]).group(0)
    assert message["Subject"] == f"Demande {reference} bien reçue"  # French default
    assert message["From"] == SENDER
    assert message["Message-ID"] == store.outbox_messages()[0]["message_id"]
    assert reference in plain and reference in html
    assert "Bonjour Camille Durand-Lefèvre," in plain
    # Nothing the applicant did not need: no IBAN, no other answer.
    for text in (plain, html, message.as_string()):
        assert IBAN not in text and "Boulangerie Durand" not in text

    link = link_in(plain)
    assert link in html
    page = client.get(urlsplit(link).path + "?" + urlsplit(link).query)
    assert page.status_code == 200
    assert reference in page.get_data(as_text=True)
    assert store.outbox_messages()[0]["status"] == "sent"


def test_english_submission_gets_its_e_mails_in_english(
    app, client, store, smtp, runner
):
    server = smtp()
    use_smtp(app, server.port, ECITIZ_PUBLIC_URL="https://forms.acme.example")
    submit(client, **{"Accept-Language": "en"})
    deliver(app)
    [(_to, message)] = server.received
    plain, html = parts(message)
    reference = REFERENCE.search(plain).group(0)
    assert message["Subject"] == f"Request {reference} received"
    assert "Hello Camille Durand-Lefèvre," in plain
    assert '<html lang="en">' in html
    assert message["Content-Language"] == "en"
    assert "lang=en" in link_in(plain)
    # A status change made from a command still reaches them in English.
    runner.invoke(args=["ecitiz", "set-status", reference, "in_review"])
    deliver(app)
    _to, status = server.received[1]
    assert status["Subject"] == f"Request {reference}: Being examined"
    assert "has a new status: Being examined." in parts(status)[0]


def test_receipt_is_queued_in_the_submission_transaction(client, store):
    submit(client)
    [submission] = stored_requests(store)
    [row] = outbox(store)
    assert row["kind"] == "receipt"
    assert row["submission_id"] == submission["id"]
    assert row["status"] == "pending"
    assert submission["reference"] in row["subject"]


def test_failure_writing_the_outbox_rolls_back_the_submission(
    app, client, store, monkeypatch
):
    before = store.table_counts()

    def broken(conn, messages, now):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr("ecitiz_kit.store.submissions.insert_messages", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = post_form(client, with_file(aid_answers()))
    assert response.status_code == 500
    assert store.table_counts() == before  # no submission, no event, no message
    assert uploaded_files(app) == []  # and no orphan file


# -- status changes --------------------------------------------------------------------


def test_status_mail_carries_the_public_message_never_the_private_note(
    app, client, store, smtp, runner
):
    server = smtp()
    use_smtp(app, server.port, ECITIZ_PUBLIC_URL="https://forms.acme.example")
    submit(client)
    [request] = stored_requests(store)
    reference = request["reference"]
    result = runner.invoke(
        args=["ecitiz", "set-status", reference, "in_review",
              "--message", "Nous examinons votre dossier. <b>Merci</b>",
              "--note", "Dossier suspect, vérifier le SIRET"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    deliver(app)
    assert len(server.received) == 2
    _to, message = server.received[1]
    plain, html = parts(message)
    in_review = lifecycle.status_name("in_review", "fr")
    assert message["Subject"] == f"Demande {reference}\u00a0: {in_review}"
    assert in_review in plain
    assert "Nous examinons votre dossier." in plain
    assert "Nous examinons votre dossier. &lt;b&gt;Merci&lt;/b&gt;" in html
    for text in (plain, html, message.as_string()):
        assert "suspect" not in text
    # Outside a request the link is built on ECITIZ_PUBLIC_URL.
    link = link_in(plain)
    assert link.startswith("https://forms.acme.example/ecitiz/s/")
    assert client.get(urlsplit(link).path).status_code == 200


def test_status_mail_outside_a_request_without_public_url_has_no_link(
    client, store, runner
):
    submit(client)
    [request] = stored_requests(store)
    reference = request["reference"]
    result = runner.invoke(args=["ecitiz", "set-status", reference, "in_review"])
    assert result.exit_code == 0, result.output
    [status] = outbox(store, "status")
    assert "/s/" not in status["body_text"]
    assert reference in status["body_text"]


def test_refused_status_change_queues_nothing(client, store, runner):
    submit(client)
    [request] = stored_requests(store)
    reference = request["reference"]
    result = runner.invoke(args=["ecitiz", "set-status", reference, "accepted"])
    assert result.exit_code == 1
    assert [m["kind"] for m in outbox(store)] == ["receipt"]


# -- retries ---------------------------------------------------------------------------


def test_server_refusing_twice_gets_the_message_once_after_backoff(
    app, client, store, smtp
):
    server = smtp(refuse=2)
    use_smtp(app, server.port, ECITIZ_MAIL_RETRY_DELAY=60)
    submit(client)
    start = utcnow()

    first = deliver(app, clock=lambda: start)
    assert (first.sent, first.retrying) == (0, 1)
    [row] = outbox(store)
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert "451" in row["last_error"]
    # Not due again before its delay: nothing is attempted.
    assert not deliver(app, clock=lambda: start + timedelta(seconds=59))
    assert server.refused == 1

    assert deliver(app, clock=lambda: start + timedelta(seconds=61)).retrying == 1
    assert outbox(store)[0]["attempts"] == 2
    # The second retry waits twice as long.
    assert not deliver(app, clock=lambda: start + timedelta(seconds=61 + 119))
    done = deliver(app, clock=lambda: start + timedelta(seconds=61 + 121))
    assert done.sent == 1
    assert len(server.received) == 1
    assert (outbox(store)[0]["status"], outbox(store)[0]["attempts"]) == ("sent", 3)
    # Sent is final: later passes send nothing more.
    assert not deliver(app, clock=lambda: start + timedelta(days=30))
    assert len(server.received) == 1


def test_smtp_down_is_retried_not_lost(app, client, store, smtp):
    port = free_port()  # nothing listens there yet
    use_smtp(app, port, ECITIZ_MAIL_RETRY_DELAY=10)
    submit(client)
    start = utcnow()
    assert deliver(app, clock=lambda: start).retrying == 1
    [row] = outbox(store)
    assert row["status"] == "pending" and "Connection" in row["last_error"]

    server = smtp(port=port)  # the server comes back
    assert deliver(app, clock=lambda: start + timedelta(seconds=11)).sent == 1
    assert len(server.received) == 1


def test_gives_up_after_max_attempts_and_send_mail_lists_it(app, client, store, runner):
    use_smtp(app, free_port(), ECITIZ_MAIL_MAX_ATTEMPTS=3, ECITIZ_MAIL_RETRY_DELAY=0)
    submit(client)
    for _ in range(2):
        assert deliver(app).retrying == 1
    assert deliver(app).failed == 1
    [row] = outbox(store)
    assert (row["status"], row["attempts"]) == ("failed", 3)
    assert not deliver(app)  # given up: no longer attempted

    result = runner.invoke(args=["ecitiz", "send-mail"])
    assert result.exit_code == 1
    assert f"#{row['id']} receipt to camille@example.org" in result.output
    assert "--retry-failed" in result.output

    result = runner.invoke(args=["ecitiz", "send-mail", "--retry-failed"])
    assert "1 failed message(s) queued again" in result.output
    assert outbox(store)[0]["attempts"] == 1  # counted afresh, tried once more


def test_refused_recipient_is_given_up_at_once(app, client, store, smtp):
    server = smtp()

    async def refuse_rcpt(server_, session, envelope, address, options):
        return "550 5.1.1 No such user"

    server.handle_RCPT = refuse_rcpt
    use_smtp(app, server.port)
    submit(client)
    assert deliver(app).failed == 1
    assert "refused" in outbox(store)[0]["last_error"]


# -- never twice -----------------------------------------------------------------------


def test_concurrent_senders_never_send_the_same_message(app, store, smtp):
    server = smtp()
    use_smtp(app, server.port)
    org = store.organisation(ORG)
    rows = [
        {
            "message_id": f"<m{i}@acme.example>",
            "kind": "receipt",
            "organisation_id": org["id"],
            "submission_id": None,
            "recipient": f"person{i}@example.org",
            "reply_to": None,
            "lang": "fr",
            "subject": f"Message {i}",
            "body_text": "texte",
            "body_html": "<p>texte</p>",
        }
        for i in range(40)
    ]
    store.queue_messages(rows)
    barrier = threading.Barrier(4)
    sent = []

    def sender():
        with app.app_context():
            barrier.wait()
            sent.append(deliver(app).sent)
            state(app).store.release()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [message["Message-ID"] for _to, message in server.received]
    assert sorted(ids) == sorted(r["message_id"] for r in rows)  # each exactly once
    assert sum(sent) == 40
    assert sum(1 for n in sent if n) >= 2  # the senders really shared the work
    assert {m["status"] for m in store.outbox_messages()} == {"sent"}


def test_a_live_claim_is_never_taken_over_an_expired_one_keeps_its_message_id(
    app, client, store
):
    submit(client)
    now = utcnow()
    lease = lease_seconds(app.config)
    claimed = store.claim_message("sender-a", lease, now)
    assert claimed is not None
    # While sender A holds it, nobody else can take it.
    assert (
        store.claim_message("sender-b", lease, now + timedelta(seconds=lease - 1))
        is None
    )
    # A crashed after the server accepted it: the lease runs out and B resends
    # it under the same Message-ID, so the copy can be recognised.
    again = store.claim_message("sender-b", lease, now + timedelta(seconds=lease + 1))
    assert again["message_id"] == claimed["message_id"]
    assert again["attempts"] == 2
    # A, waking up late, can no longer mark it: only the holder can.
    assert not store.message_sent(claimed["id"], "sender-a")
    assert store.message_sent(claimed["id"], "sender-b")


# -- .eml fallback ---------------------------------------------------------------------


def test_without_smtp_messages_become_eml_files_that_parse(app, client, store, runner):
    submit(client)
    result = runner.invoke(args=["ecitiz", "send-mail"])
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.output and ".eml files" in result.output
    folder = state(app).data_dir / "mail"
    [path] = list(folder.iterdir())  # no temporary file left behind
    assert path.suffix == ".eml"
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"] == "camille@example.org"
    assert message["Message-ID"] == outbox(store)[0]["message_id"]
    plain, html = parts(message)
    assert REFERENCE.search(plain) and "/ecitiz/s/" in plain
    assert outbox(store)[0]["status"] == "sent"
    # A second run has nothing left to write.
    runner.invoke(args=["ecitiz", "send-mail"])
    assert list(folder.iterdir()) == [path]


def test_send_mail_loop_stops_on_a_signal(app, client, store, monkeypatch):
    import ecitiz_kit.cli.mail as commands

    submit(client)
    passes = []

    def fake_loop(one_pass, interval, stop, report):
        passes.append(one_pass())
        report(passes[-1])

    monkeypatch.setattr(commands, "run_loop", fake_loop)
    monkeypatch.setattr(commands.signal, "signal", lambda *a: None)
    result = app.test_cli_runner().invoke(
        args=["ecitiz", "send-mail", "--loop", "--interval", "1"]
    )
    assert result.exit_code == 0, result.output
    assert passes[0].sent == 1
    assert "every 1 s" in result.output


# -- staff -----------------------------------------------------------------------------


def test_staff_who_opted_in_get_a_new_request_mail_without_applicant_data(
    app, client, store, runner
):
    org = store.organisation(ORG)
    store.create_staff(org["id"], "agent@acme.example", hash_password("x" * 16))
    store.create_staff(org["id"], "other@acme.example", hash_password("x" * 16))
    result = runner.invoke(
        args=["ecitiz", "staff-notify", ORG, "agent@acme.example", "on"]
    )
    assert result.exit_code == 0, result.output
    submit(client)
    deliver(app)  # written when sent
    [staff_mail] = outbox(store, "new-request")
    assert staff_mail["recipient"] == "agent@acme.example"
    for text in (staff_mail["body_text"], staff_mail["body_html"]):
        assert "Camille" not in text and "camille@example.org" not in text
        assert IBAN not in text
        assert REFERENCE.search(text)

    runner.invoke(args=["ecitiz", "staff-notify", ORG, "agent@acme.example", "off"])
    submit(client)
    assert len(outbox(store, "new-request")) == 1


def test_the_new_request_mail_says_where_to_turn_it_off(app, client, store):
    org = store.organisation(ORG)
    store.create_staff(org["id"], "agent@acme.example", hash_password("x" * 16))
    store.set_staff_notify("agent@acme.example", True)
    submit(client)
    deliver(app)
    [staff_mail] = outbox(store, "new-request")
    account = "http://localhost/ecitiz/staff/account"
    assert f"sur la page de votre compte\u00a0: {account}" in staff_mail["body_text"]
    assert f'<a href="{account}">' in staff_mail["body_html"]
    for text in (staff_mail["body_text"], staff_mail["body_html"]):
        assert "flask" not in text and "staff-notify" not in text


def test_without_the_kits_address_the_new_request_mail_names_the_page(app, store):
    submission = {
        "id": 1,
        "reference": "AID-2345-6789",
        "created_at": "2026-01-02T03:04:05.000000Z",
    }
    with app.app_context():
        written = messages.new_request_message(
            notices().composer,
            store.organisation(ORG),
            "Aide",
            submission,
            email="agent@acme.example",
        )
    for text in (written["body_text"], written["body_html"]):
        footer = text.split("Vous recevez cet e-mail")[-1]
        assert "«\u00a0Mon compte\u00a0»" in footer
        assert "http" not in footer


def test_staff_notify_refuses_unknown_accounts_and_other_organisations(runner, store):
    other = store.create_organisation("globex", "Globex")
    store.create_staff(other["id"], "boss@globex.example", hash_password("x" * 16))
    result = runner.invoke(args=["ecitiz", "staff-notify", ORG, "nobody@x.org", "on"])
    assert result.exit_code == 1 and "no staff account" in result.output
    result = runner.invoke(
        args=["ecitiz", "staff-notify", ORG, "boss@globex.example", "on"]
    )
    assert result.exit_code == 1
    assert store.staff_to_notify(other["id"]) == []


# -- settings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings,named",
    [
        ({"ECITIZ_SMTP_SSL": True}, "ECITIZ_SMTP_STARTTLS"),
        ({"ECITIZ_SMTP_HOST": "smtp.example.org"}, "ECITIZ_MAIL_FROM"),
        ({"ECITIZ_MAIL_FROM": "not an address"}, "ECITIZ_MAIL_FROM"),
        ({"ECITIZ_MAIL_MAX_ATTEMPTS": 0}, "ECITIZ_MAIL_MAX_ATTEMPTS"),
        ({"ECITIZ_SMTP_PORT": "25"}, "ECITIZ_SMTP_PORT"),
        ({"ECITIZ_LOST_LINK_LIMIT": "often"}, "ECITIZ_LOST_LINK_LIMIT"),
    ],
)
def test_bad_mail_settings_are_refused_with_their_name(tmp_path, settings, named):
    with pytest.raises(ConfigurationError, match=named):
        create_app({"SECRET_KEY": SECRET, "ECITIZ_DATA_DIR": str(tmp_path), **settings})


def test_deliver_due_respects_a_limit(app, store):
    org = store.organisation(ORG)
    store.queue_messages(
        [
            {
                "message_id": f"<l{i}@x>", "kind": "receipt",
                "organisation_id": org["id"], "submission_id": None,
                "recipient": "a@example.org", "reply_to": None, "lang": "fr",
                "subject": "s", "body_text": "t", "body_html": "<p>t</p>",
            }
            for i in range(3)
        ]
    )  # fmt: skip

    class Null:
        def send(self, row, message):
            pass

        def close(self):
            pass

    outcome = deliver_due(
        store, Null(), mail_from=None, max_attempts=3, base_delay=1,
        lease_seconds=60, limit=2,
    )  # fmt: skip
    assert outcome.sent == 2
    assert store.outbox_counts() == {"sent": 2, "pending": 1}


def test_an_unexpected_error_counts_as_an_attempt_and_ends_failed(app, client, store):
    submit(client)

    class Broken:
        def send(self, row, message):
            raise ValueError("cannot encode")

        def close(self):
            pass

    def attempt():
        with app.app_context():
            return deliver_due(
                store, Broken(), mail_from=None, max_attempts=2, base_delay=0,
                lease_seconds=60, compose=compose_queued(),
            )  # fmt: skip

    assert attempt().retrying == 1
    assert attempt().failed == 1
    assert "ValueError" in outbox(store)[0]["last_error"]


# Its processes open the data folder's database; on PostgreSQL,
# test_concurrent_writes proves the same of claims from several processes.
@pytest.mark.sqlite_only
def test_two_send_mail_processes_never_send_the_same_message(
    app, store, smtp, tmp_path
):
    import asyncio
    import os
    import subprocess
    import sys

    server = smtp()
    slow_data = server.handle_DATA

    async def handle_data(*args):
        await asyncio.sleep(0.05)  # a real server's pace, so the senders overlap
        return await slow_data(*args)

    server.handle_DATA = handle_data
    org = store.organisation(ORG)
    rows = [
        {
            "message_id": f"<p{i}@acme.example>", "kind": "receipt",
            "organisation_id": org["id"], "submission_id": None,
            "recipient": f"person{i}@example.org", "reply_to": None, "lang": "fr",
            "subject": f"Message {i}", "body_text": "t", "body_html": "<p>t</p>",
        }
        for i in range(30)
    ]  # fmt: skip
    store.queue_messages(rows)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ECITIZ_")},
        "FLASK_SECRET_KEY": SECRET,
        "ECITIZ_DATA_DIR": str(state(app).data_dir),
        "ECITIZ_SMTP_HOST": "127.0.0.1",
        "ECITIZ_SMTP_PORT": str(server.port),
        "ECITIZ_SMTP_STARTTLS": "false",
        "ECITIZ_MAIL_FROM": "forms@acme.example",
    }
    command = [sys.executable, "-m", "flask", "--app", "ecitiz_kit:create_app()",
               "ecitiz", "send-mail"]  # fmt: skip
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=60)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    counts = [int(re.search(r"(\d+) sent", out).group(1)) for out in outputs]
    assert sum(counts) == 30 and all(counts), counts  # both worked, none twice
    ids = sorted(message["Message-ID"] for _to, message in server.received)
    assert ids == sorted(r["message_id"] for r in rows)


def test_attestation_issued_on_submit_says_so_in_the_receipt(app, client, store):
    org = store.organisation(ORG)
    store.enable_form(org["id"], "attestation", 1, None, 730, issue_on_submit=True)
    response = post_form(client, attestation_answers(), "attestation")
    assert response.status_code == 303
    assert deliver(app).sent == 1
    [receipt] = outbox(store, "receipt")
    assert receipt["recipient"] == "zoe@example.org"
    assert "Votre demande a été acceptée." in receipt["body_text"]
    assert "Bonjour Zoé Nguyễn," in receipt["body_text"]


def test_sent_messages_are_deleted_after_the_keeping_period(app, client, store):
    submit(client)
    assert deliver(app).sent == 1  # written as an .eml file
    submit(client)
    execute(store, "UPDATE outbox SET status = 'failed' WHERE id = 2")
    deliver(app, clock=lambda: utcnow() + timedelta(days=29))
    assert len(store.outbox_messages()) == 2
    deliver(app, clock=lambda: utcnow() + timedelta(days=31))
    assert [m["status"] for m in store.outbox_messages()] == ["failed"]  # kept


def test_mailed_tracking_link_opens_the_organisations_own_tracking_page(
    app, client, store, runner
):
    result = runner.invoke(
        args=["ecitiz", "tracking-page", ORG, "https://www.acme.example/suivi"]
    )
    assert result.exit_code == 0, result.output
    submit(client)
    deliver(app)
    [message] = outbox(store, "receipt")
    link = re.search(
        r"https://www\.acme\.example/suivi#ecitiz=(\S+)", message["body_text"]
    )
    assert link, message["body_text"]
    # The code in the link is the one the tracking page accepts.
    page = client.get(f"/ecitiz/s/{link.group(1)}")
    assert page.status_code == 200


# -- written at delivery ---------------------------------------------------------------


def test_receipt_is_queued_unwritten_and_written_at_delivery_on_the_applicants_host(
    app, client, store, smtp
):
    server = smtp()
    use_smtp(app, server.port)
    response = post_form(
        client, with_file(aid_answers()), base_url="https://forms.acme.example"
    )
    assert response.status_code == 303
    [row] = outbox(store)
    # The submitting request rendered nothing: no body yet, just who and what.
    assert (row["body_text"], row["body_html"]) == ("", "")
    assert row["recipient"] == "camille@example.org"
    assert row["base_url"] == "https://forms.acme.example/"
    assert deliver(app).sent == 1
    [(_to, message)] = server.received
    plain, html = parts(message)
    link = link_in(plain)
    # Outside any request, the link is still on the address the applicant used.
    assert link.startswith("https://forms.acme.example/ecitiz/s/")
    assert client.get(urlsplit(link).path).status_code == 200
    # What was sent is kept with the record that it was sent.
    [row] = outbox(store)
    assert row["status"] == "sent" and link in row["body_text"]
    assert link in row["body_html"] and "Bonjour Camille" in row["body_html"]


def test_receipt_tells_how_the_request_stood_when_it_arrived(
    app, client, store, runner
):
    submit(client)
    [request] = stored_requests(store)
    for status in ("in_review", "accepted"):
        result = runner.invoke(
            args=["ecitiz", "set-status", request["reference"], status]
        )
        assert result.exit_code == 0, result.output
    assert deliver(app).sent == 3  # the receipt, then two status changes
    receipt, _in_review, accepted = outbox(store)
    assert receipt["kind"] == "receipt"
    assert "acceptée" not in receipt["body_text"]
    assert "acceptée" in accepted["body_text"]


def test_a_receipt_left_without_a_way_to_write_it_fails_and_says_why(
    app, client, store
):
    submit(client)

    class Null:
        def send(self, row, message):
            raise AssertionError("nothing should be sent")

        def close(self):
            pass

    outcome = deliver_due(
        store, Null(), mail_from=None, max_attempts=3, base_delay=1, lease_seconds=60
    )
    assert outcome.failed == 1
    assert "nothing to write it" in outbox(store)[0]["last_error"]


# -- names in greetings ----------------------------------------------------------------

GOOD_NAMES = [
    ("Élodie", "Durand"),
    ("Seán", "O'Brien"),
    ("Jean-Luc", "Picard"),
    ("小龙", "李"),
    ("Anne", "O’Connor"),
]
HOSTILE_NAMES = [
    ("Click", "http://evil.example"),
    ("Click http://evil.example", "Durand"),
    ("www.evil.example", "Durand"),
    ("A" * 40, "B" * 40),  # each short enough for the form, too long together
    ("x" * 100, "Durand"),
    ("Appelez le 0612345678", "Durand"),
    ("Camille", "Durand <b>urgent</b>"),
]


@pytest.mark.parametrize("first,last", GOOD_NAMES)
def test_receipt_greets_by_a_name_that_is_only_a_name(app, client, store, first, last):
    response = post_form(
        client, with_file(aid_answers(first_name=first, last_name=last))
    )
    assert response.status_code == 303
    deliver(app)
    [receipt] = outbox(store)
    assert f"Bonjour {first} {last}," in receipt["body_text"]
    assert f"Bonjour {first} {last}," in receipt["body_html"].replace("&#39;", "'")


@pytest.mark.parametrize("first,last", HOSTILE_NAMES)
def test_receipt_greets_without_a_name_anything_else_the_applicant_typed(
    app, client, store, runner, first, last
):
    response = post_form(
        client, with_file(aid_answers(first_name=first, last_name=last))
    )
    assert response.status_code == 303
    [request] = stored_requests(store)
    runner.invoke(args=["ecitiz", "set-status", request["reference"], "in_review"])
    deliver(app)
    mails = outbox(store)
    assert [m["kind"] for m in mails] == ["receipt", "status"]
    for mail in mails:
        for text in (mail["subject"], mail["body_text"], mail["body_html"]):
            assert "evil" not in text and "0612345678" not in text
            assert "A" * 40 not in text and "x" * 100 not in text
            assert "Durand" not in text  # not even the harmless half
        assert "Bonjour," in mail["body_text"] and "Bonjour," in mail["body_html"]


@pytest.mark.parametrize(
    "name",
    [
        "Camille Durand\u202egnp.exe",  # a bidi override
        "Cam\u200bille Durand",  # a zero-width space
        "Camille\u0007 Durand",  # a control character
    ],
)
def test_greeting_leaves_out_a_name_holding_invisible_characters(name):
    # The form refuses them in names (test_format_characters); a request stored
    # before it did, or a custom form's name field, may still hold them.
    assert greeting_name(name) == ""
    assert greeting_name("Camille Durand") == "Camille Durand"


@pytest.mark.parametrize(
    "first,last,greeting",
    [(*HOSTILE_NAMES[0], "Bonjour,"), (*GOOD_NAMES[1], "Bonjour Seán O'Brien,")],
)
def test_my_requests_mail_greets_by_name_only_a_name(
    app, client, store, first, last, greeting
):
    post_form(client, with_file(aid_answers(first_name=first, last_name=last)))
    page = client.get(f"/ecitiz/my/{ORG}")
    ticket = hidden_inputs(page.get_data(as_text=True))["ticket"]
    client.post(
        f"/ecitiz/my/{ORG}",
        data={"ticket": ticket, "email": "camille@example.org"},
    )
    [mine] = outbox(store, "my-requests")
    assert greeting in mine["body_text"]
    assert "evil" not in mine["body_text"] + mine["body_html"]
