""" "My requests" in a real browser: asked for inside a cross-site frame, with the
keyboard alone, read on a phone, and clean for axe in French and English."""

import re
from urllib.parse import urlsplit

import pytest

from ..helpers import (
    ORG,
    LiveServer,
    add_request,
    at,
    host_site,
    no_violations,
)

pytestmark = pytest.mark.browser

LONG_EMAIL = "camille.marguerite-durand-lefevre-de-la-fontaine@exemple-de-domaine.org"


@pytest.fixture
def requests(app, store):
    """Two requests of one applicant, with a long address and a long reference."""
    app.config["ECITIZ_LOST_LINK_LIMIT"] = None
    org = store.organisation(ORG)["id"]
    add_request(store, org, at("2026-11-02 10:00"), email=LONG_EMAIL)
    add_request(store, org, at("2026-11-04 10:00"), email=LONG_EMAIL.upper(),
                form_id="attestation")  # fmt: skip


def _mailed_path(store):
    [mail] = [m for m in store.outbox_messages() if m["kind"] == "my-requests"]
    return urlsplit(re.search(r"https?://\S+", mail["body_text"]).group(0)).path


def _overflow(page):
    """How many CSS pixels the page is wider than its viewport."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_asking_and_reading_the_list_pass_axe_on_a_phone(
    browser, kit, store, requests, axe, lang
):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{kit.url}/ecitiz/t/{ORG}?lang={lang}")
    assert _overflow(page) <= 0
    no_violations(axe, page, f"tracking page with the my-requests form ({lang})")

    page.goto(f"{kit.url}/ecitiz/my/{ORG}?lang={lang}")
    page.click("button[type=submit]")  # empty: the browser's own check stops it
    page.fill("#f-my-requests-email", "not an address")
    page.evaluate("document.querySelector('#my-requests form').noValidate = true")
    page.click("button[type=submit]")
    page.locator("#error-summary").wait_for()
    assert _overflow(page) <= 0
    no_violations(axe, page, f"my-requests form refused ({lang})")

    page.fill("#f-my-requests-email", LONG_EMAIL)
    page.click("button[type=submit]")
    page.locator(".ecitiz-panel[role=status]").wait_for()
    assert _overflow(page) <= 0
    no_violations(axe, page, f"my-requests asked ({lang})")

    page.goto(kit.url + _mailed_path(store))
    assert page.locator(".ecitiz-my-requests-list > li").count() == 2
    assert _overflow(page) <= 0
    no_violations(axe, page, f"my requests listed ({lang})")
    page.locator(".ecitiz-my-requests-list a").first.click()
    page.locator(".ecitiz-status").wait_for()
    assert context.cookies() == []
    context.close()


def test_the_list_is_asked_for_and_opened_with_the_keyboard_alone(
    browser, kit, store, requests
):
    page = browser.new_page()
    page.goto(f"{kit.url}/ecitiz/t/{ORG}?lang=en")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "f-my-requests-email":
            break
    else:
        raise AssertionError("the e-mail field is never reached by Tab")
    page.keyboard.type(LONG_EMAIL)
    page.keyboard.press("Enter")
    page.locator(".ecitiz-panel[role=status]").wait_for()

    page.goto(kit.url + _mailed_path(store) + "?lang=en")
    for _ in range(30):
        page.keyboard.press("Tab")
        if "Follow request" in page.evaluate("document.activeElement.textContent"):
            break
    else:
        raise AssertionError("no request's link is reached by Tab")
    page.keyboard.press("Enter")
    page.locator(".ecitiz-status").wait_for()


def test_the_list_is_asked_for_inside_a_cross_site_frame(browser, kit, store, requests):
    pages = {}
    host = LiveServer(host_site(pages), "localhost")
    store.add_allowed_origin(store.organisation(ORG)["id"], host.url)
    pages["/"] = (
        f'<!doctype html><title>Host</title><iframe src="{kit.url}/ecitiz/t/{ORG}" '
        'title="Suivi" style="width:100%;height:2400px;border:0"></iframe>'
    )
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(host.url + "/")
        frame = page.frame_locator("iframe")
        frame.locator("#f-my-requests-email").fill(LONG_EMAIL)
        frame.locator("#my-requests button[type=submit]").click()
        frame.locator(".ecitiz-panel[role=status]").wait_for()
        assert _mailed_path(store)
        assert context.cookies() == []
        context.close()
    finally:
        host.stop()
