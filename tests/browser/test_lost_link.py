"""The lost-link page in a real browser, inside a frame on another site."""

import pytest

from ..helpers import ORG, LiveServer, form_url, host_site, submit_request

pytestmark = pytest.mark.browser

LOST = f"/ecitiz/lost/{ORG}"


def test_lost_link_works_inside_a_cross_site_frame(browser, kit, app, client, store):
    app.config["ECITIZ_LOST_LINK_LIMIT"] = None
    reference = submit_request(client)
    pages = {}
    host = LiveServer(host_site(pages), "localhost")
    store.add_allowed_origin(store.organisation(ORG)["id"], host.url)
    pages["/"] = (
        f'<!doctype html><title>Host</title><iframe src="{kit.url}{form_url()}" '
        'title="Aide" style="width:100%;height:2400px;border:0"></iframe>'
    )
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(host.url + "/")
        frame = page.frame_locator("iframe")
        frame.locator(f"a[href^='{LOST}']").click()
        frame.locator("#f-reference").fill(reference)
        frame.locator("#f-email").fill("camille@example.org")
        frame.locator("button[type=submit]").click()
        frame.locator(".ecitiz-panel[role=status]").wait_for()
        lost_mails = [m for m in store.outbox_messages() if m["kind"] == "lost"]
        assert len(lost_mails) == 1
        assert context.cookies() == []
        context.close()
    finally:
        host.stop()
