"""Fixtures of the tests that drive Debian's headless Chromium."""

import pytest

from ..helpers import LiveServer, launch_chromium


@pytest.fixture
def browser():
    """Debian's headless Chromium driven by Playwright."""
    with launch_chromium() as launched:
        yield launched


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
