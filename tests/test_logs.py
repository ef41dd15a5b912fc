"""The logs the kit writes to never show a token: receipt and tracking links,
form tickets and links sent again are as good as a password."""

import logging
import re
import smtplib
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from ecitiz_kit.mail.delivery import FileTransport, deliver_due
from ecitiz_kit.public import request_pages
from ecitiz_kit.state import state
from ecitiz_kit.web.logs import redact

from .helpers import (
    ORG,
    REFERENCE,
    STAFF,
    LiveServer,
    aid_answers,
    csrf_for,
    hidden_inputs,
    post_form,
    status_url_in,
    ticket_for,
    with_file,
)

TOKEN_IN_PATH = re.compile(r"/(?:r|s|my/[\w-]+)/([^/?#\s\"]+)")


class EchoingServer:
    """An SMTP server refusing each message, quoting the links in it (spam
    filters do), or failing in a way the kit did not expect."""

    def __init__(self, error):
        self.error = error

    def send(self, row, message):
        links = " ".join(re.findall(r"https?://\S+", row["body_text"]))
        raise self.error(links)

    def close(self):
        pass


def refused(links):
    return smtplib.SMTPDataError(554, f"5.7.1 rejected, listed URL: {links}".encode())


def broken(links):
    return RuntimeError(f"could not encode {links}")


def deliver_with(app, transport, **options):
    with app.app_context():
        return deliver_due(
            state(app).store,
            transport,
            mail_from=None,
            max_attempts=options.get("max_attempts", 8),
            base_delay=0,
            lease_seconds=300,
        )


def test_no_token_reaches_the_logs_through_a_whole_request(
    app, client, staff_client, store, caplog, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    secrets = set()

    # Submit: a form ticket, then the receipt.
    ticket = ticket_for(client)
    secrets.add(ticket)
    sent = post_form(client, with_file(aid_answers()), ticket=ticket)
    receipt_path = urlsplit(sent.headers["Location"]).path
    secrets.add(TOKEN_IN_PATH.search(receipt_path).group(1))
    receipt = client.get(sent.headers["Location"]).get_data(as_text=True)
    reference = REFERENCE.search(receipt).group(0)
    status_path = status_url_in(receipt)
    status_token = TOKEN_IN_PATH.search(status_path).group(1)
    secrets.add(status_token)

    # Tracking: the link in the address, then pasted into the lookup page.
    assert client.get(status_path).status_code == 200
    pasted = client.post(f"/ecitiz/t/{ORG}", data={"link": status_token})
    assert pasted.status_code == 200

    # Amend, once sent back for changes.
    sid = store.submission_by_reference(reference)["id"]
    for to_status, expected in (("in_review", "submitted"), ("submitted", "in_review")):
        staff_client.post(
            f"{STAFF}/requests/{sid}/status",
            data={
                "csrf_token": csrf_for(staff_client),
                "to_status": to_status,
                "expected": expected,
                "public_message": "Le justificatif est illisible.",
            },
        )
    amend_page = client.get(status_path + "/amend").get_data(as_text=True)
    amend_ticket = hidden_inputs(amend_page)["ticket"]
    secrets.add(amend_ticket)
    amended = client.post(
        status_path + "/amend",
        data={"ticket": amend_ticket, **aid_answers(town="Lyon")},
        content_type="multipart/form-data",
    )
    assert amended.status_code == 303

    # "My requests": a link to the list goes out by e-mail, and is opened.
    mine = client.get(f"/ecitiz/my/{ORG}").get_data(as_text=True)
    mine_ticket = hidden_inputs(mine)["ticket"]
    secrets.add(mine_ticket)
    client.post(
        f"/ecitiz/my/{ORG}",
        data={"ticket": mine_ticket, "email": aid_answers()["email"]},
    )
    [listed] = [m for m in store.outbox_messages() if m["kind"] == "my-requests"]
    list_path = urlsplit(re.search(r"http\S+", listed["body_text"]).group(0)).path
    assert client.get(list_path).status_code == 200
    for message in store.outbox_messages():
        secrets.update(TOKEN_IN_PATH.findall(message["body_text"]))

    # Delivery: refused with the links quoted, failing unexpectedly, then sent.
    assert deliver_with(app, EchoingServer(refused)).retrying
    assert deliver_with(app, EchoingServer(broken)).retrying
    with app.app_context():
        kit = state(app)
        assert deliver_with(app, FileTransport(kit.data_dir / "mail")).sent

    # A server error on a page whose address holds a token.
    def failing(*args, **kwargs):
        raise RuntimeError("the page broke")

    monkeypatch.setattr(request_pages, "render_status", failing)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.get(status_path).status_code == 500

    # The development server's access log, as `flask run` and the demo write it.
    server = LiveServer(app, "127.0.0.1")
    try:
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(server.url + status_path, timeout=10)
        with urllib.request.urlopen(server.url + receipt_path, timeout=10) as page:
            assert page.status == 200
        with urllib.request.urlopen(server.url + list_path, timeout=10) as page:
            assert page.status == 200
    finally:
        server.stop()

    assert len(secrets) >= 6  # tickets, receipt, tracking and list links
    assert TOKEN_IN_PATH.search(list_path).group(1) in secrets
    logged = caplog.text
    leaked = [secret for secret in secrets if secret in logged]
    assert leaked == []
    # The flow did log what could have leaked, with the token taken out.
    assert "rejected, listed URL" in logged and "could not encode" in logged
    assert "Exception on" in logged and "incident" in logged
    assert "GET /ecitiz/r/[token] HTTP/1.1" in logged
    assert f"GET /ecitiz/my/{ORG}/[token] HTTP/1.1" in logged


@pytest.mark.parametrize(
    "text",
    [
        "Exception on /ecitiz/s/WzEsMV0.axYDOg.aS0Ho_HQA1UWCyeUvFqSi70tu38 [GET]",
        '"GET /kit/r/.eJyLjgUAARUAuQ.axYDOg.4tYI_hEntHhPS8_AmqkzY1nSE5w?lang=fr"',
        "listed: https://x.example/#ecitiz=WzEsMV0.axYDOg.aS0Ho_HQA1UWCyeUvFqSi70tu38",
    ],
)
def test_redact_takes_out_every_token_shape(text):
    assert "[token]" in redact(text)
    assert "axYDOg" not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "werkzeug.exceptions.RequestEntityTooLarge: 413",
        "message 12 not sent (attempt 2), retry at 2026-12-07T00:51:20.123456+00:00",
        "ecitiz_kit.documents.attestations_and_signatures_module",
        "incident 1A2B3C4D on GET /ecitiz/s/<token>",
    ],
)
def test_redact_leaves_ordinary_text_alone(text):
    assert redact(text) == text
