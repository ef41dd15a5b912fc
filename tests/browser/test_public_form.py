"""The forms in a real browser: headless Chromium driven by Playwright.

The kit is served on http://127.0.0.1:P1 and the organisation's website on
http://localhost:P2, so the frame is cross-site, as on a real site.
"""

import pytest

from ..helpers import (
    REFERENCE,
    SEND,
    LiveServer,
    aid_answers,
    fill_aid,
    form_url,
    host_site,
    move,
)

pytestmark = pytest.mark.browser


def test_aid_request_goes_through_without_javascript(browser, kit, store):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(kit.url + form_url())
    fill_aid(page, aid_answers())
    page.click(SEND)
    page.wait_for_url("**/ecitiz/r/**")
    reference = REFERENCE.search(page.content()).group(0)
    assert store.table_counts()["submissions"] == 1

    page.click(".ecitiz-link a")
    page.wait_for_url("**/ecitiz/s/**")
    assert reference in page.content()
    assert page.locator(".ecitiz-status--submitted").count() == 1
    assert context.cookies() == []
    context.close()


def test_wrong_siret_is_shown_in_the_frame_then_fixed(browser, kit, store):
    pages = {}
    host = LiveServer(host_site(pages), "localhost")
    store.add_allowed_origin(store.organisation("acme")["id"], host.url)
    pages["/"] = (
        f'<!doctype html><title>Host</title><iframe src="{kit.url}{form_url()}" '
        'title="Aide" style="width:100%;height:2400px;border:0"></iframe>'
    )
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(host.url + "/")
        frame = page.frame_locator("iframe")

        wrong = aid_answers(siret="73282932000075")
        fill_aid(frame, wrong)  # stops on the page that refuses an answer
        frame.locator("#e-siret").wait_for()
        last_name = frame.locator("input[type=hidden][name=last_name]")
        assert last_name.get_attribute("value") == wrong["last_name"]
        assert store.table_counts()["submissions"] == 0

        frame.locator("#f-siret").fill("73282932000074")
        move(frame)
        fill_aid(frame, aid_answers())
        frame.locator(SEND).click()
        frame.locator(".ecitiz-reference").wait_for()
        assert REFERENCE.search(frame.locator(".ecitiz-reference").inner_text())
        assert store.table_counts()["submissions"] == 1
        context.close()
    finally:
        host.stop()


def test_site_not_allowed_cannot_show_the_form(browser, kit):
    snippet = f'<iframe src="{kit.url}{form_url()}" title="Aide"></iframe>'
    host = LiveServer(
        host_site({"/": f"<!doctype html><title>x</title>{snippet}"}), "localhost"
    )
    try:
        page = browser.new_page()
        page.goto(host.url + "/")  # waits for the frame's load too
        [frame] = page.main_frame.child_frames
        assert frame.locator("#f-first_name").count() == 0
    finally:
        host.stop()
