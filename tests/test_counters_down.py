"""When the shared rate-limit counters cannot be reached (a Redis server gone or
hanging), pages still answer: applicants' requests go through, staff sign-in is
refused with the reason (only the count stops password guessing), and the outage
is logged, not raised."""

import logging
import socket
import threading

import pytest

from ecitiz_kit.state import state
from ecitiz_kit.throttle import Key, Throttle

from .helpers import (
    STAFF,
    add_staff,
    aid_answers,
    post_form,
    sign_in,
    stored_requests,
    with_file,
)


@pytest.fixture
def closed_port():
    """A loopback port nobody listens on: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_server():
    """A server that takes connections and never answers, like a hung Redis."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield listener.getsockname()[1]
    listener.close()


def _counted_in(app, url):
    app.config["ECITIZ_RATELIMIT_STORAGE_URI"] = url
    app.config["ECITIZ_RATELIMIT_ENABLED"] = True


def test_the_throttle_follows_each_keys_policy_while_down(closed_port, caplog):
    throttle = Throttle(f"redis://127.0.0.1:{closed_port}/0")
    open_key = Key("submit-client", "192.0.2.1", "1 per hour")
    closed_key = Key("login-account", "a@example.org", "1 per hour", fail_closed=True)
    with caplog.at_level(logging.WARNING, logger="ecitiz_kit.throttle"):
        # Let through however often: nothing can be counted.
        assert all(throttle.hit(open_key) for _ in range(3))
        assert throttle.hit(open_key).unavailable
        refused = throttle.hit(open_key, closed_key)
        assert not refused and refused.unavailable and refused.retry_after > 0
        assert not throttle.check(closed_key)
        throttle.clear(open_key, closed_key)  # forgets nothing, raises nothing
    assert not throttle.reachable()
    # One line for the outage, not one per page.
    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1


def test_applicants_requests_go_through_while_the_counters_are_down(
    app, client, store, closed_port, caplog
):
    _counted_in(app, f"redis://127.0.0.1:{closed_port}/0")
    app.config["ECITIZ_SUBMIT_LIMIT"] = "1 per hour"
    with caplog.at_level(logging.WARNING, logger="ecitiz_kit.throttle"):
        for n in range(2):  # beyond the limit, which cannot be counted
            response = post_form(
                client, with_file(aid_answers(email=f"p{n}@example.org"))
            )
            assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert len(stored_requests(store)) == 2
    assert any("unreachable" in r.getMessage() for r in caplog.records)


def test_a_hanging_counter_store_costs_a_page_a_moment_not_its_worker(
    app, client, store, silent_server
):
    _counted_in(app, f"redis://127.0.0.1:{silent_server}/0")
    answers = []
    sending = threading.Thread(
        target=lambda: answers.append(
            post_form(client, with_file(aid_answers())).status_code
        ),
        daemon=True,
    )
    sending.start()
    # Without a timeout on the storage the page would wait for ever.
    sending.join(timeout=30)
    assert not sending.is_alive(), "the page is still waiting for the counters"
    assert answers == [303]
    assert len(stored_requests(store)) == 1


def test_staff_sign_in_is_refused_with_the_reason_while_the_counters_are_down(
    app, client, closed_port
):
    add_staff(app)
    _counted_in(app, f"redis://127.0.0.1:{closed_port}/0")
    response = sign_in(client)  # the right password
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    html = response.get_data(as_text=True)
    assert "La connexion est momentanément indisponible" in html
    assert "Trop de tentatives" not in html
    # Not signed in.
    assert client.get(f"{STAFF}/").status_code == 303


def test_sign_in_works_again_once_the_counters_answer(app, client, closed_port):
    add_staff(app)
    _counted_in(app, f"redis://127.0.0.1:{closed_port}/0")
    assert sign_in(client).status_code == 503
    _counted_in(app, "memory://")
    with app.app_context():
        assert state(app).throttle(app.config).reachable()
    assert sign_in(client).status_code == 303
