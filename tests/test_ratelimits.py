"""Rate limits of the public pages: per client address, per organisation, per
receipt address, per request; the 429 page that keeps the answers; the switch."""

import json
import logging
import re

import pytest

from ecitiz_kit import create_app
from ecitiz_kit import state as state_module
from ecitiz_kit.errors import ConfigurationError

from .helpers import (
    ORG,
    SECRET,
    aid_answers,
    attestation_answers,
    hidden_inputs,
    post_form,
    status_url_in,
    ticket_for,
    uploaded_files,
    with_file,
)

MINE = f"/ecitiz/my/{ORG}"


def send(client, address="192.0.2.1", email="camille@example.org", headers=(), **kw):
    """Post the aid-request form from ``address``; the response."""
    return post_form(
        client,
        with_file(aid_answers(email=email, **kw)),
        environ_base={"REMOTE_ADDR": address},
        headers=dict(headers),
    )


def counts(store) -> dict:
    found = store.table_counts()
    return {"submissions": found["submissions"], "mails": len(store.outbox_messages())}


# -- submissions -------------------------------------------------------------------


def test_submissions_are_limited_per_client_address(app, client, store):
    app.config["ECITIZ_SUBMIT_LIMIT"] = "2 per hour"
    answers = [send(client, email=f"p{n}@example.org").status_code for n in range(3)]
    assert answers == [303, 303, 429]
    # Another address (another office) is not affected.
    assert send(client, address="192.0.2.99", email="q@example.org").status_code == 303
    assert store.table_counts()["submissions"] == 3


def test_submissions_are_limited_per_organisation(app, client, store):
    app.config["ECITIZ_SUBMIT_LIMIT_PER_ORGANISATION"] = "2 per hour"
    answers = [
        send(client, address=f"192.0.2.{n}", email=f"p{n}@example.org").status_code
        for n in range(1, 4)
    ]
    assert answers == [303, 303, 429]


def test_receipts_are_limited_per_recipient_address(app, client, store):
    app.config["ECITIZ_SUBMIT_LIMIT_PER_RECIPIENT"] = "2 per hour"
    emails = ["victim@example.org", "Victim@Example.org", "victim+2@example.org"]
    answers = [
        send(client, address=f"192.0.2.{n}", email=email).status_code
        for n, email in enumerate(emails, start=1)
    ]
    assert answers == [303, 303, 429]
    receipts = [m for m in store.outbox_messages() if m["kind"] == "receipt"]
    assert len(receipts) == 2
    # Someone else's address still gets its receipts.
    assert send(client, address="192.0.2.9", email="me@example.org").status_code == 303


def test_a_refused_client_does_not_use_up_the_recipients_budget(app, client):
    app.config["ECITIZ_SUBMIT_LIMIT"] = "1 per hour"
    app.config["ECITIZ_SUBMIT_LIMIT_PER_RECIPIENT"] = "2 per hour"
    assert send(client, address="192.0.2.1", email="a@example.org").status_code == 303
    # The flooding client is refused before anything is counted for the victim…
    for _ in range(5):
        refused = send(client, address="192.0.2.1", email="victim@example.org")
        assert refused.status_code == 429
    # …so the victim's own two requests still go through.
    for address in ("198.51.100.1", "198.51.100.2"):
        assert (
            send(client, address=address, email="victim@example.org").status_code == 303
        )


def test_invalid_forms_do_not_count(app, client):
    app.config["ECITIZ_SUBMIT_LIMIT"] = "1 per hour"
    for _ in range(3):
        assert send(client, siret="123").status_code == 422
    assert send(client).status_code == 303


def test_refused_form_comes_back_in_french_with_answers_a_fresh_ticket_and_a_wait(
    app, client, store, limits_clock
):
    app.config["ECITIZ_SUBMIT_LIMIT_PER_RECIPIENT"] = "1 per hour"
    assert send(client).status_code == 303
    before = counts(store)
    files_before = uploaded_files(app)
    ticket = ticket_for(client)
    refused = post_form(
        client,
        with_file(aid_answers(legal_name="Boulangerie <Durand> & fils")),
        ticket=ticket,
        environ_base={"REMOTE_ADDR": "192.0.2.2"},
    )
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "3601"
    assert "Set-Cookie" not in refused.headers
    assert "frame-ancestors" in refused.headers["Content-Security-Policy"]
    html = refused.get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert re.search(r"Trop de formulaires .* réessayez dans 61\s+minutes", html)
    assert "vos réponses sont conservées ci-dessous" in html
    assert "Les fichiers joints n’ont pas pu être conservés" in html
    kept = hidden_inputs(html)
    assert kept["legal_name"] == "Boulangerie <Durand> & fils"
    assert kept["email"] == "camille@example.org"
    assert "Boulangerie &lt;Durand&gt; &amp; fils" in html  # escaped, not markup
    # Nothing was stored, sent or written to disk.
    assert counts(store) == before
    assert uploaded_files(app) == files_before
    # The page's fresh ticket sends the kept answers once the wait is over.
    fresh = kept["ticket"]
    assert fresh and fresh != ticket
    limits_clock.advance(3601)
    again = post_form(
        client, with_file(aid_answers()), ticket=fresh,
        environ_base={"REMOTE_ADDR": "192.0.2.2"},
    )  # fmt: skip
    assert again.status_code == 303
    assert counts(store)["submissions"] == before["submissions"] + 1


def test_refused_form_speaks_english(app, client):
    app.config["ECITIZ_SUBMIT_LIMIT"] = "1 per hour"
    assert send(client).status_code == 303
    refused = send(client, headers={"Accept-Language": "en"})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    html = refused.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Too many forms were sent from your connection" in html
    assert re.search(r"try again in \d+\s+minutes", html)
    assert "your answers are kept below" in html
    assert "Attached files could not be kept: attach them again" in html
    assert hidden_inputs(html)["first_name"] == "Camille"


def test_refused_form_without_files_says_nothing_of_files(app, client):
    app.config["ECITIZ_SUBMIT_LIMIT"] = "1 per hour"
    assert post_form(client, attestation_answers(), "attestation").status_code == 303
    refused = post_form(client, attestation_answers(), "attestation")
    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert "Trop de formulaires" in html
    assert "fichiers joints" not in html


# -- amendments ---------------------------------------------------------------------


@pytest.fixture
def sent_back(app, client, store, runner):
    """A request sent back to its applicant for changes; its tracking path."""
    response = send(client)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    status_path = status_url_in(html)
    send_back(runner, store.submission(1)["reference"])
    return status_path


def send_back(runner, reference):
    for to_status in ("in_review", "submitted"):
        result = runner.invoke(
            args=[
                "ecitiz", "set-status", reference, to_status,
                "--message", "Le justificatif est illisible.",
            ]
        )  # fmt: skip
        assert result.exit_code == 0, result.output


def amend(client, status_path, address="192.0.2.1", **answers):
    page = client.get(status_path + "/amend")
    assert page.status_code == 200
    ticket = hidden_inputs(page.get_data(as_text=True))["ticket"]
    return client.post(
        status_path + "/amend",
        data={"ticket": ticket, **aid_answers(**answers)},
        content_type="multipart/form-data",
        environ_base={"REMOTE_ADDR": address},
    )


def test_changes_to_one_request_are_limited(app, client, store, sent_back):
    app.config["ECITIZ_AMEND_LIMIT"] = "1 per hour"
    assert amend(client, sent_back, town="Lyon").status_code == 303
    # Sent back again, the applicant may not change it again within the hour.
    send_back(app.test_cli_runner(), store.submission(1)["reference"])
    refused = amend(client, sent_back, address="198.51.100.7", town="Lille")
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    html = refused.get_data(as_text=True)
    assert hidden_inputs(html)["town"] == "Lille"
    assert store.submission(1)["answers"]["town"] == "Lyon"


def test_changes_count_against_the_client_address(app, client, store, sent_back):
    app.config["ECITIZ_SUBMIT_LIMIT"] = "1 per hour"
    assert amend(client, sent_back, town="Lyon").status_code == 303
    send_back(app.test_cli_runner(), store.submission(1)["reference"])
    refused = amend(client, sent_back, town="Lille")
    assert refused.status_code == 429
    assert store.submission(1)["answers"]["town"] == "Lyon"


# -- lost link and verification ---------------------------------------------------


def ask_mine(client, email, address="192.0.2.1", **kw):
    page = client.get(MINE)
    ticket = hidden_inputs(page.get_data(as_text=True))["ticket"]
    return client.post(
        MINE,
        data={"ticket": ticket, "email": email},
        environ_base={"REMOTE_ADDR": address},
        **kw,
    )


def test_my_requests_refusal_keeps_the_address_and_says_when(app, client, limits_clock):
    app.config["ECITIZ_LOST_LINK_LIMIT"] = "1 per hour"
    assert ask_mine(client, "a@example.org").status_code == 200
    refused = ask_mine(client, "b@example.org", headers={"Accept-Language": "en"})
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "3601"
    html = refused.get_data(as_text=True)
    assert re.search(r"try again in 61\s+minutes", html)
    kept = hidden_inputs(html)
    assert kept["email"] == "b@example.org"
    assert kept["ticket"]
    assert 'role="alert"' in html


def test_my_requests_refused_client_does_not_use_up_the_address(app, client, store):
    app.config["ECITIZ_LOST_LINK_LIMIT"] = "1 per hour"
    assert ask_mine(client, "a@example.org").status_code == 200
    for _ in range(3):
        refused = ask_mine(client, "victim@example.org")
        assert refused.status_code == 429
    other = ask_mine(client, "victim@example.org", address="198.51.100.1")
    assert other.status_code == 200


def test_server_checks_of_attestations_are_limited_per_client(app, client):
    app.config["ECITIZ_VERIFY_LIMIT"] = "2 per minute"
    pasted = "not-a-real-code"
    for _ in range(2):
        assert client.post("/ecitiz/v", data={"code": pasted}).status_code == 200
    refused = client.post("/ecitiz/v?lang=en", data={"code": pasted})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 61
    html = refused.get_data(as_text=True)
    assert "Too many checks were made from your connection" in html
    assert ">not-a-real-code</textarea>" in html
    # Another client is not affected.
    other = client.post(
        "/ecitiz/v", data={"code": pasted}, environ_base={"REMOTE_ADDR": "192.0.2.8"}
    )
    assert other.status_code == 200


def test_the_json_api_answers_429_in_json(app, client, limits_clock):
    app.config["ECITIZ_VERIFY_LIMIT"] = "1 per minute"
    assert client.post("/ecitiz/api/verify", json={"payload": "x"}).status_code == 200
    refused = client.post("/ecitiz/api/verify", json={"payload": "x"})
    assert refused.status_code == 429
    assert refused.mimetype == "application/json"
    assert refused.headers["Retry-After"] == "61"
    assert json.loads(refused.get_data()) == {
        "error": "too many requests",
        "retry_after": 61,
    }
    status = client.get("/ecitiz/api/documents/ABCD-EFGH/status")
    assert status.status_code == 429
    assert status.get_json()["retry_after"] == 61


# -- the switch -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "switch", [{"ECITIZ_RATELIMIT_ENABLED": False}, {"RATELIMIT_ENABLED": False}]
)
def test_limits_can_be_turned_off(app, client, store, switch):
    app.config.update(
        {
            "ECITIZ_SUBMIT_LIMIT": "1 per hour",
            "ECITIZ_SUBMIT_LIMIT_PER_RECIPIENT": "1 per hour",
            "ECITIZ_VERIFY_LIMIT": "1 per hour",
            "ECITIZ_LOST_LINK_LIMIT": "1 per hour",
            **switch,
        }
    )
    assert {send(client).status_code for _ in range(3)} == {303}
    assert {
        client.post("/ecitiz/api/verify", json={"payload": "x"}).status_code
        for _ in range(3)
    } == {200}
    assert {ask_mine(client, "a@example.org").status_code for _ in range(3)} == {200}
    # And on again.
    app.config.update(ECITIZ_RATELIMIT_ENABLED=True, RATELIMIT_ENABLED=True)
    assert send(client).status_code == 303
    assert send(client).status_code == 429


# -- settings and start-up ---------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["ECITIZ_SUBMIT_LIMIT_PER_RECIPIENT", "ECITIZ_VERIFY_LIMIT", "ECITIZ_LOGIN_LIMIT"],
)
@pytest.mark.parametrize(
    "value", ["often", "", 5, ["5 per hour"], "5 per fortnight", "0 per hour"]
)
def test_a_limit_that_does_not_parse_stops_start_up(tmp_path, key, value):
    with pytest.raises(ConfigurationError, match=key):
        create_app(
            {"TESTING": True, "SECRET_KEY": SECRET, "ECITIZ_DATA_DIR": str(tmp_path),
             key: value}
        )  # fmt: skip


def test_the_switch_must_be_true_or_false(tmp_path):
    with pytest.raises(ConfigurationError, match="ECITIZ_RATELIMIT_ENABLED"):
        create_app(
            {"TESTING": True, "SECRET_KEY": SECRET, "ECITIZ_DATA_DIR": str(tmp_path),
             "ECITIZ_RATELIMIT_ENABLED": "no"}
        )  # fmt: skip


def _start(tmp_path, **settings):
    return create_app(
        {"TESTING": True, "SECRET_KEY": SECRET, "ECITIZ_DATA_DIR": str(tmp_path),
         **settings}
    )  # fmt: skip


def _count_something(app):
    with app.test_request_context():
        state_module.state(app).throttle(app.config)


def test_counters_per_process_are_warned_about_once(tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(state_module, "_warned_per_process", False)
    with caplog.at_level(logging.WARNING, logger="ecitiz_kit"):
        for name in ("a", "b"):
            _count_something(_start(tmp_path / name))
    warnings = [r for r in caplog.records if "per process" in r.getMessage()]
    assert len(warnings) == 1
    assert "ECITIZ_RATELIMIT_STORAGE_URI" in warnings[0].getMessage()


def test_no_warning_from_a_process_that_counts_nothing(tmp_path, caplog, monkeypatch):
    # A command (`ecitiz snippet …`) starts the application but serves nobody.
    monkeypatch.setattr(state_module, "_warned_per_process", False)
    with caplog.at_level(logging.WARNING, logger="ecitiz_kit"):
        app = _start(tmp_path)
        assert (
            app.test_cli_runner().invoke(args=["ecitiz", "list-forms"]).exit_code == 0
        )
    assert not [r for r in caplog.records if "per process" in r.getMessage()]


@pytest.mark.parametrize(
    "settings",
    [
        {"ECITIZ_RATELIMIT_STORAGE_URI": "redis://localhost:6379"},
        {"RATELIMIT_STORAGE_URI": "redis://localhost:6379"},
        {"ECITIZ_RATELIMIT_ENABLED": False},
        {"ECITIZ_RATELIMIT_STORAGE_URI": "memory://"},  # one process, said so
    ],
)
def test_no_warning_with_shared_counters_or_limits_off(
    tmp_path, caplog, monkeypatch, settings
):
    monkeypatch.setattr(state_module, "_warned_per_process", False)
    with caplog.at_level(logging.WARNING, logger="ecitiz_kit"):
        _count_something(_start(tmp_path, **settings))
    assert not [r for r in caplog.records if "per process" in r.getMessage()]
