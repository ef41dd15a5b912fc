"""Fixtures of the tests that drive Debian's headless Chromium.

Chromium is launched once per test session (a launch costs about a second);
each test opens its own contexts and pages in it, and whatever it leaves open
is closed after it, so tests share nothing but the browser process.
"""

import pytest

from ecitiz_kit.web.snippets import script_snippet

from ..helpers import (
    BLOCK_THIRD_PARTY_COOKIES,
    LiveServer,
    host_site,
    launch_chromium,
    start_playwright,
)


def _closing_what_the_test_opened(launched):
    yield launched
    for context in launched.contexts:
        context.close()


@pytest.fixture(scope="session")
def playwright_session():
    """Playwright, started once: its sync API runs one instance at a time.

    Until the session ends its event loop is the main thread's running loop, so
    a test run after the browser tests cannot call asyncio.run() there."""
    with start_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def chromium_session(playwright_session):
    """Debian's headless Chromium driven by Playwright, for the whole session."""
    with launch_chromium(playwright_session) as launched:
        yield launched


@pytest.fixture
def browser(chromium_session):
    """The session's Chromium."""
    yield from _closing_what_the_test_opened(chromium_session)


@pytest.fixture(scope="session")
def cookie_blocking_chromium_session(playwright_session):
    # A second Chromium, because blocking third-party cookies takes a launch flag
    # (no context option does it): the widget's tests need it, to prove that the
    # widget works without cookies; the other tests keep Chromium's defaults.
    with launch_chromium(playwright_session, BLOCK_THIRD_PARTY_COOKIES) as launched:
        yield launched


@pytest.fixture
def cookie_blocking_browser(cookie_blocking_chromium_session):
    """A Chromium, for the whole session, that blocks third-party cookies."""
    yield from _closing_what_the_test_opened(cookie_blocking_chromium_session)


@pytest.fixture
def kit(app):
    """The kit served over HTTP on 127.0.0.1."""
    server = LiveServer(app, "127.0.0.1")
    yield server
    server.stop()


@pytest.fixture
def axe():
    """axe-core, to run its accessibility rules on a page."""
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture
def framed(kit, store):
    """The organisation's site embedding the aid request with the snippet
    ``flask ecitiz snippet`` prints (the loader inserts the frame)."""
    pages = {}
    host = LiveServer(host_site(pages), "localhost")
    store.add_allowed_origin(store.organisation("acme")["id"], host.url)
    snippet = script_snippet("acme", "aid-request", "Aid", kit.url + "/ecitiz", "en")
    pages["/"] = (
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>Host</title>'
        f"<h1>Our site</h1>{snippet}</html>"
    )
    yield host
    host.stop()
