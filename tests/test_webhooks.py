"""Signed webhooks: an admin registers an endpoint, each event of a request
reaches a real HTTP server on loopback once, signed so that ``standardwebhooks``
verifies it, through retries; an endpoint that keeps failing is disabled and the
admins are told; addresses inside the network are refused."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from ecitiz_kit.domain import webhook_delivery
from ecitiz_kit.domain.webhook_targets import (
    RefusedEndpoint,
    check_endpoint,
    is_public,
)
from ecitiz_kit.errors import ConfigurationError
from ecitiz_kit.sealing import Sealer, UnreadableSecret
from ecitiz_kit.store import StaleStatus, utcnow
from ecitiz_kit.store.webhooks import EVENT_TYPES

from .helpers import (
    IBAN,
    ORG,
    SECRET,
    STAFF,
    add_request,
    add_staff,
    aid_answers,
    at,
    csrf_for,
    dump_text,
    hidden_inputs,
    post_form,
    sign_in,
    status_url_in,
    submit_request,
    with_file,
)

PAGE = f"{STAFF}/webhooks"
ADMIN = "boss@acme.example"
SECRET_SHAPE = re.compile(r"whsec_[A-Za-z0-9+/=]{32}")


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers ``failures`` requests with
    500 before it accepts, and keeps every request it got."""

    def __init__(self, failures: int = 0, status: int = 204) -> None:
        self.failures, self.status = failures, status
        self.requests: list[tuple[int, dict[str, str], bytes]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    failing = receiver.failures > 0
                    receiver.failures -= 1
                    status = 500 if failing else receiver.status
                    receiver.requests.append((status, dict(self.headers), body))
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", f"{receiver.url}-elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/ecitiz"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def accepted(self) -> list[tuple[dict[str, str], bytes]]:
        return [(h, b) for status, h, b in self.requests if 200 <= status < 300]


@pytest.fixture
def receiver():
    made = []

    def make(**options):
        made.append(Receiver(**options))
        return made[-1]

    yield make
    for item in made:
        item.close()


@pytest.fixture
def loopback(app):
    """Loopback and http allowed (as for an intranet), retries due at once."""
    app.config["ECITIZ_WEBHOOKS_ALLOW_PRIVATE"] = True
    app.config["ECITIZ_WEBHOOK_RETRY_DELAY"] = 0
    app.config["ECITIZ_WEBHOOK_TIMEOUT"] = 5
    return app


@pytest.fixture
def admin(app):
    add_staff(app, email=ADMIN)
    client = app.test_client()
    assert sign_in(client, email=ADMIN).status_code == 303
    return client


def register(client, url, events=EVENT_TYPES, answers=False):
    data = {"csrf_token": csrf_for(client, PAGE), "url": url, "events": list(events)}
    if answers:
        data["answers"] = "y"
    return client.post(PAGE, data=data)


def secret_in(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[-1500:]
    [secret] = SECRET_SHAPE.findall(response.get_data(as_text=True))
    return secret


def deliver(app, passes=10):
    """Delivery passes, as the worker runs them, until nothing is left to do."""
    reports = []
    with app.app_context():
        from ecitiz_kit.cli.webhooks import deliver_webhooks_pass

        for _ in range(passes):
            report = deliver_webhooks_pass()
            reports.append(report)
            if not (report.delivered or report.retrying or report.failed):
                break
    return reports


def verified(secret, accepted):
    """The payloads of ``accepted`` requests, each verified by standardwebhooks."""
    return [Webhook(secret).verify(body, headers) for headers, body in accepted]


# -- the whole path -----------------------------------------------------------------


def test_each_event_reaches_the_receiver_once_signed_through_retries(
    loopback, admin, client, store, receiver
):
    hook = receiver(failures=3)
    secret = secret_in(register(admin, hook.url))
    reference = submit_request(client)
    sid = store.submission_by_reference(reference)["id"]
    store.change_status(sid, expected="submitted", to_status="in_review", actor="a")
    store.change_status(sid, expected="in_review", to_status="accepted", actor="a")
    store.change_status(sid, expected="accepted", to_status="paid", actor="a")

    deliver(loopback)

    # The first three attempts failed and were retried with the same webhook-id.
    assert [status for status, _h, _b in hook.requests[:3]] == [500, 500, 500]
    accepted = hook.accepted()
    ids = [headers["webhook-id"] for headers, _body in accepted]
    assert len(ids) == len(set(ids)) == 5  # each event once
    assert {h["webhook-id"] for _s, h, _b in hook.requests} == set(ids)
    payloads = verified(secret, accepted)
    assert sorted(p["type"] for p in payloads) == sorted(
        [
            "request.submitted",
            "request.status_changed",
            "request.status_changed",
            "request.status_changed",
            "request.paid",
        ]
    )
    paid = next(p for p in payloads if p["type"] == "request.paid")
    assert paid["data"] | {"event_id": 0, "changed_at": "", "submitted_at": ""} == {
        "event_id": 0,
        "request_id": sid,
        "organisation": ORG,
        "reference": reference,
        "form": "aid-request",
        "status": "paid",
        "previous_status": "accepted",
        "submitted_at": "",
        "changed_at": "",
    }
    # Never an answer nor an IBAN without "include answers".
    for _headers, body in accepted:
        assert b"answers" not in body and IBAN.encode() not in body
        assert b"Durand" not in body
    # A forged body fails the same check.
    headers, body = accepted[0]
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"aid-request", b"aid-requesT"), headers)
    assert store.delivery_counts() == {"delivered": 5}
    [endpoint] = store.webhooks(store.organisation(ORG)["id"])
    assert endpoint["failures"] == 0 and endpoint["last_outcome"] == "delivered"


def test_an_amendment_is_an_event_of_its_own(loopback, admin, client, store, receiver):
    hook = receiver()
    secret = secret_in(register(admin, hook.url, events=["request.amended"]))
    response = post_form(client, with_file(aid_answers()))
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    reference = re.search(r"\bAID-[2-9A-Z]{4}-[2-9A-Z]{4}\b", html).group(0)
    sid = store.submission_by_reference(reference)["id"]
    store.change_status(sid, expected="submitted", to_status="in_review", actor="a")
    store.change_status(sid, expected="in_review", to_status="submitted", actor="a")
    status_path = status_url_in(html)
    form = client.get(status_path + "/amend").get_data(as_text=True)
    amended = client.post(
        status_path + "/amend",
        data={"ticket": hidden_inputs(form)["ticket"], **aid_answers()},
        content_type="multipart/form-data",
    )
    assert amended.status_code == 303
    deliver(loopback)
    [payload] = verified(secret, hook.accepted())
    assert payload["type"] == "request.amended"
    assert payload["data"]["reference"] == reference


def test_answers_go_only_when_asked_and_the_iban_stays_masked(
    loopback, admin, client, store, receiver
):
    hook = receiver()
    secret = secret_in(
        register(admin, hook.url, events=["request.submitted"], answers=True)
    )
    submit_request(client)
    deliver(loopback)
    [payload] = verified(secret, hook.accepted())
    answers = payload["data"]["answers"]
    assert answers["legal_name"] == "Boulangerie Durand"
    assert answers["iban"] == "*" * (len(IBAN) - 4) + IBAN[-4:]
    assert IBAN.encode() not in hook.accepted()[0][1]


def test_nothing_is_queued_for_a_change_that_did_not_happen(loopback, admin, store):
    secret_in(register(admin, "http://127.0.0.1:9/none"))
    organisation_id = store.organisation(ORG)["id"]
    row = add_request(store, organisation_id, at("2026-11-29 14:00"))
    assert store.delivery_counts() == {"pending": 1}
    # Someone else moved it first: no event, no delivery.
    with pytest.raises(StaleStatus):
        store.change_status(
            row["id"], expected="in_review", to_status="accepted", actor="a"
        )
    # A submission whose last step fails is rolled back with its delivery.
    with pytest.raises(OSError):
        store.create_submission(
            organisation_id=organisation_id,
            form_id="aid-request",
            form_version=1,
            answers={},
            lang="fr",
            nonce="rolled-back",
            attachments=[],
            make_reference=lambda: "AID-ROLL-BACK",
            status="submitted",
            before_commit=mock.Mock(side_effect=OSError("disk full")),
        )
    assert store.delivery_counts() == {"pending": 1}


def test_an_endpoint_only_gets_the_events_it_chose(loopback, admin, client, store):
    secret_in(register(admin, "http://127.0.0.1:9/a", events=["request.paid"]))
    changes = ["request.status_changed"]
    secret_in(register(admin, "http://127.0.0.1:9/b", events=changes))
    reference = submit_request(client)
    sid = store.submission_by_reference(reference)["id"]
    store.change_status(sid, expected="submitted", to_status="in_review", actor="a")
    paid, changed = store.webhooks(store.organisation(ORG)["id"])
    assert store.webhook_deliveries(paid["id"]) == []
    [delivery] = store.webhook_deliveries(changed["id"])
    assert delivery["event_type"] == "request.status_changed"


# -- failures ------------------------------------------------------------------------


def test_an_endpoint_failing_again_and_again_is_disabled_and_admins_told(
    loopback, admin, client, store, receiver
):
    loopback.config["ECITIZ_WEBHOOK_MAX_FAILURES"] = 3
    hook = receiver(failures=1000)
    secret = secret_in(register(admin, hook.url))
    submit_request(client)
    # The worker knows the kit's address from the setting (for the e-mail's link).
    loopback.config["ECITIZ_PUBLIC_URL"] = "https://forms.acme.example"
    reports = deliver(loopback)
    loopback.config["ECITIZ_PUBLIC_URL"] = None
    assert len(hook.requests) == 3  # then nothing more is sent
    assert reports[2].disabled == [hook.url]
    [endpoint] = store.webhooks(store.organisation(ORG)["id"])
    assert endpoint["disabled_at"] is not None and endpoint["failures"] == 3
    [mail] = [m for m in store.outbox_messages() if m["kind"] == "webhook-disabled"]
    assert mail["recipient"] == ADMIN
    assert (
        hook.url in mail["body_text"]
        and "https://forms.acme.example/ecitiz/staff/webhooks" in mail["body_text"]
    )
    page = admin.get(PAGE).get_data(as_text=True)
    assert "Désactivé le" in page

    # Enabled again, what waited goes out at once.
    hook.failures = 0
    enabled = admin.post(
        f"{PAGE}/{endpoint['id']}/enable", data={"csrf_token": csrf_for(admin, PAGE)}
    )
    assert enabled.status_code == 303
    deliver(loopback)
    [payload] = verified(secret, hook.accepted())
    assert payload["type"] == "request.submitted"
    assert store.webhooks(store.organisation(ORG)["id"])[0]["failures"] == 0
    deliveries = admin.get(f"{PAGE}/{endpoint['id']}").get_data(as_text=True)
    assert "Reçu par le point de réception" in deliveries
    assert "A répondu HTTP 204." in deliveries
    assert '<td data-label="Tentatives faites">4</td>' in deliveries


def test_an_endpoint_that_fails_is_tried_once_a_pass(
    loopback, admin, client, store, receiver
):
    hook = receiver(failures=1000)
    secret_in(register(admin, hook.url, events=["request.submitted"]))
    for _ in range(3):
        submit_request(client)
    deliver(loopback, passes=1)
    assert len(hook.requests) == 1  # not once per event waiting
    [endpoint] = store.webhooks(store.organisation(ORG)["id"])
    assert endpoint["failures"] == 1
    assert store.delivery_counts() == {"pending": 3}


def test_a_delivery_is_given_up_after_its_attempts(
    loopback, admin, client, store, receiver
):
    loopback.config["ECITIZ_WEBHOOK_MAX_ATTEMPTS"] = 2
    hook = receiver(failures=1000)
    secret_in(register(admin, hook.url, events=["request.submitted"]))
    submit_request(client)
    deliver(loopback)
    assert len(hook.requests) == 2
    assert store.delivery_counts() == {"failed": 1}


def test_a_redirect_is_a_failure_and_is_not_followed(
    loopback, admin, client, store, receiver
):
    hook = receiver(status=302)
    secret_in(register(admin, hook.url, events=["request.submitted"]))
    submit_request(client)
    deliver(loopback, passes=1)
    assert [status for status, _h, _b in hook.requests] == [302]  # once, no follow
    assert store.delivery_counts() == {"pending": 1}


def test_retries_wait_longer_each_time(app, admin, client, store, receiver):
    app.config["ECITIZ_WEBHOOKS_ALLOW_PRIVATE"] = True
    hook = receiver(failures=1000)
    secret_in(register(admin, hook.url, events=["request.submitted"]))
    submit_request(client)
    deliver(app)
    assert len(hook.requests) == 1  # the retry is not due yet
    [row] = store.webhook_deliveries(
        store.webhooks(store.organisation(ORG)["id"])[0]["id"]
    )
    assert row["status"] == "pending" and row["next_attempt_at"] > row["created_at"]


def test_the_address_is_checked_again_at_delivery(
    loopback, admin, client, store, receiver
):
    hook = receiver()
    secret_in(register(admin, hook.url, events=["request.submitted"]))
    loopback.config["ECITIZ_WEBHOOKS_ALLOW_PRIVATE"] = False
    submit_request(client)
    deliver(loopback, passes=1)
    assert hook.requests == []
    [row] = store.webhook_deliveries(
        store.webhooks(store.organisation(ORG)["id"])[0]["id"]
    )
    assert "https" in row["last_error"]


def test_an_unexpected_error_counts_as_a_failed_attempt(
    loopback, admin, client, store, receiver, caplog
):
    hook = receiver()
    secret_in(register(admin, hook.url, events=["request.submitted"], answers=True))
    submit_request(client)
    with mock.patch.object(
        type(store), "submission", side_effect=RuntimeError("database gone")
    ):
        [report, *_] = deliver(loopback, passes=1)
    assert report.retrying == 1 and hook.requests == []
    assert "unexpected error delivering webhook" in caplog.text
    [row] = store.webhook_deliveries(store.webhooks(1)[0]["id"])
    assert row["status"] == "pending" and row["attempts"] == 1
    assert row["last_error"] == "RuntimeError: database gone"


def test_old_deliveries_are_deleted_after_thirty_days(
    loopback, admin, client, store, receiver
):
    hook = receiver()
    secret_in(register(admin, hook.url, events=["request.submitted"]))
    submit_request(client)
    deliver(loopback)
    assert store.delivery_counts() == {"delivered": 1}
    later = at("2100-01-01 00:00")
    with mock.patch.object(webhook_delivery, "utcnow", return_value=later):
        deliver(loopback, passes=1)
    assert store.delivery_counts() == {}


def test_two_workers_never_hold_one_delivery(loopback, admin, client, store):
    secret_in(register(admin, "http://127.0.0.1:9/none"))
    submit_request(client)
    first = store.claim_webhook_delivery("worker-1", 60)
    assert first is not None
    assert store.claim_webhook_delivery("worker-2", 60) is None
    # Once the first worker's lease has run out, another takes it over.
    later = at("2100-01-01 00:00")
    taken = store.claim_webhook_delivery("worker-2", 60, now=later)
    assert taken["id"] == first["id"] and taken["attempts"] == 2
    assert not store.webhook_delivered(first["id"], "worker-1", 200)
    assert store.webhook_delivered(first["id"], "worker-2", 200)


# -- registration and its refusals ---------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://93.184.215.14/hook", "https://"),
        ("https://127.0.0.1/hook", "127.0.0.1"),
        ("https://localhost/hook", "privée"),
        ("https://10.1.2.3/hook", "10.1.2.3"),
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("https://[::1]/hook", "::1"),
        ("https://[::ffff:192.168.0.1]/hook", "192.168.0.1"),
        ("https://user:pw@93.184.215.14/hook", "mot de passe"),
        ("javascript:alert(1)", "adresse complète"),
        ("https://", "adresse complète"),
        ("https://93.184.215.14:99999/hook", "adresse complète"),
        ("https://93.184.215.14:0/hook", "adresse complète"),
        ("https://exa mple.org/", "adresse complète"),
        ("https://" + "a" * 2000 + ".org/", "adresse complète"),
        ("https://no-such-host.invalid/hook", "introuvable"),
    ],
)
def test_a_bad_address_is_refused_with_its_reason_and_nothing_written(
    admin, store, url, reason
):
    before = store.table_counts()
    response = register(admin, url)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert reason in text
    assert 'aria-invalid="true"' in text
    assert store.table_counts() == before


def test_no_event_or_an_unknown_one_is_refused(admin, store):
    before = store.table_counts()
    for events in ([], ["request.deleted"], ["request.paid", "x"]):
        response = register(admin, "https://93.184.215.14/hook", events=events)
        assert response.status_code == 422
        assert "au moins un événement" in response.get_data(as_text=True)
    assert store.table_counts() == before


def test_the_secret_is_shown_once_and_kept_sealed(app, admin, store):
    response = register(admin, "https://93.184.215.14/hook#frag")
    secret = secret_in(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert secret not in admin.get(PAGE).get_data(as_text=True)
    [endpoint] = store.webhooks(store.organisation(ORG)["id"])
    assert endpoint["url"] == "https://93.184.215.14/hook"  # no fragment
    assert "sealed_secret" not in endpoint  # the store never lists it
    dump = dump_text(store)
    assert secret not in dump and secret.removeprefix("whsec_") not in dump
    [entry] = store.audit_entries(store.organisation(ORG)["id"])[:1]
    assert entry["action"] == "webhook.create"


def test_an_agent_cannot_see_or_register_webhooks(app, admin, store):
    add_staff(app)
    agent = app.test_client()
    assert sign_in(agent).status_code == 303
    store.set_staff_role(store.staff_by_email("agent@acme.example")["id"], "agent")
    assert agent.get(PAGE).status_code == 403


def test_another_organisations_endpoint_is_404(app, admin, store):
    other = store.create_organisation("other", "Other")
    webhook_id = store.create_webhook(
        other["id"],
        url="https://93.184.215.14/x",
        events=["request.submitted"],
        include_answers=False,
        sealed_secret="x",
        created_by="cli",
    )
    token = csrf_for(admin, PAGE)
    assert admin.get(f"{PAGE}/{webhook_id}").status_code == 404
    assert (
        admin.post(
            f"{PAGE}/{webhook_id}/delete", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert (
        admin.post(
            f"{PAGE}/{webhook_id}/enable", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert store.webhook(other["id"], webhook_id) is not None


def test_an_admin_deletes_an_endpoint_and_its_deliveries(
    loopback, admin, client, store
):
    secret_in(register(admin, "http://127.0.0.1:9/none"))
    submit_request(client)
    [endpoint] = store.webhooks(store.organisation(ORG)["id"])
    response = admin.post(
        f"{PAGE}/{endpoint['id']}/delete", data={"csrf_token": csrf_for(admin, PAGE)}
    )
    assert response.status_code == 303
    assert "supprimé" in admin.get(response.headers["Location"]).get_data(as_text=True)
    assert store.webhooks(store.organisation(ORG)["id"]) == []
    assert store.delivery_counts() == {}
    actions = [e["action"] for e in store.audit_entries(store.organisation(ORG)["id"])]
    assert "webhook.delete" in actions
    log = admin.get(f"{STAFF}/settings/audit").get_data(as_text=True)
    assert "A supprimé un point de réception de webhooks" in log


# -- the command line ----------------------------------------------------------------


def test_the_command_registers_lists_and_deletes(runner, store):
    made = runner.invoke(
        args=["ecitiz", "webhook", ORG, "https://93.184.215.14/h", "--event",
              "request.paid"]
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert SECRET_SHAPE.fullmatch(made.stdout.strip())
    listed = runner.invoke(args=["ecitiz", "webhook", ORG])
    assert "https://93.184.215.14/h\trequest.paid" in listed.output
    refused = runner.invoke(args=["ecitiz", "webhook", ORG, "http://93.184.215.14/h"])
    assert refused.exit_code == 1 and "https://" in refused.output
    [endpoint] = store.webhooks(store.organisation(ORG)["id"])
    gone = runner.invoke(
        args=["ecitiz", "webhook", ORG, "--delete", str(endpoint["id"])]
    )
    assert gone.exit_code == 0 and store.webhooks(store.organisation(ORG)["id"]) == []


# -- the rules themselves ------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1", "172.16.0.1", "192.168.1.1", "127.0.0.1", "169.254.169.254",
        "100.64.0.1", "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255",
        "192.0.2.1", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
        "::ffff:127.0.0.1", "2002:a00:1::", "64:ff9b::a00:1",
    ],
)  # fmt: skip
def test_addresses_inside_a_network_are_not_public(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111"])
def test_internet_addresses_are_public(address):
    assert is_public(address)


def test_a_name_resolving_to_one_private_address_among_public_ones_is_refused():
    def resolve(host, port):
        return ["93.184.215.14", "10.0.0.5"]

    with pytest.raises(RefusedEndpoint) as refused:
        check_endpoint("https://rebind.example/h", allow_private=False, resolve=resolve)
    assert refused.value.reason == "private" and refused.value.detail == "10.0.0.5"
    target = check_endpoint(
        "https://rebind.example:8443/h?x=1", allow_private=True, resolve=resolve
    )
    assert (target.address, target.port, target.path) == (
        "93.184.215.14",
        8443,
        "/h?x=1",
    )


def test_secrets_sealed_under_an_older_key_still_open():
    old = Sealer([SECRET])
    sealed = old.seal("whsec_abc")
    assert (
        Sealer([SECRET, "a-newer-secret-key-long-enough"]).open(sealed) == "whsec_abc"
    )
    with pytest.raises(UnreadableSecret):
        Sealer(["a-newer-secret-key-long-enough"]).open(sealed)


def test_the_setting_must_be_true_or_false(monkeypatch, tmp_path):
    from ecitiz_kit import create_app

    monkeypatch.setenv("ECITIZ_WEBHOOKS_ALLOW_PRIVATE", '"yes"')
    with pytest.raises(ConfigurationError, match="ECITIZ_WEBHOOKS_ALLOW_PRIVATE"):
        create_app({"SECRET_KEY": SECRET, "ECITIZ_DATA_DIR": str(tmp_path)})


def test_signed_headers_verify_with_the_library():
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = json.dumps({"type": "request.submitted"}).encode()
    headers = webhook_delivery.signed_headers(secret, "msg_1", utcnow(), body)
    assert Webhook(secret).verify(body, headers) == {"type": "request.submitted"}


def test_doctor_warns_of_private_addresses_and_disabled_endpoints(
    request, loopback, store
):
    loopback.config["ECITIZ_PUBLIC_URL"] = "https://forms.example.org"
    if store.dialect == "postgresql":  # else doctor asks for shared counters
        redis = request.getfixturevalue("redis_url")
        loopback.config["ECITIZ_RATELIMIT_STORAGE_URI"] = redis
    webhook_id = store.create_webhook(
        store.organisation(ORG)["id"],
        url="http://127.0.0.1:9/none",
        events=["request.submitted"],
        include_answers=False,
        sealed_secret="x",
        created_by="cli",
    )
    add_request(store, store.organisation(ORG)["id"], at("2026-11-29 14:00"))
    delivery = store.claim_webhook_delivery("doctor", 60)
    store.webhook_not_delivered(
        delivery["id"], "doctor", error="refused", response_status=None,
        retry_at=None, max_failures=1, messages=lambda endpoint: [],
    )  # fmt: skip
    result = loopback.test_cli_runner().invoke(args=["ecitiz", "doctor"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if "webhooks:" in line]
    assert len(warnings) == 2
    assert "ECITIZ_WEBHOOKS_ALLOW_PRIVATE is on" in warnings[0]
    assert f"--enable {webhook_id}" in warnings[1]
