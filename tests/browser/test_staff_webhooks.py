"""The webhooks page in a real browser: axe-core finds no WCAG 2 A/AA violation
in French or English, and an admin registers, reads and deletes an endpoint
with the keyboard alone."""

import re
from datetime import UTC, datetime

import pytest

from ..helpers import (
    PASSWORD,
    STAFF,
    STAFF_EMAIL,
    add_request,
    add_staff,
    no_violations,
)

pytestmark = pytest.mark.browser

HOOK = "https://93.184.215.14/hooks/ecitiz"


@pytest.fixture
def admin(app):
    add_staff(app)


def _sign_in(page, base, lang="fr"):
    page.goto(f"{base}{STAFF}/login?lang={lang}")
    page.fill("#f-email", STAFF_EMAIL)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{STAFF}/**")


def _focused(page):
    return page.evaluate(
        "(() => { const e = document.activeElement;"
        " return [e.tagName, e.id, e.getAttribute('href'), e.textContent.trim()]; })()"
    )


def _tab_to(page, predicate, limit=80):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if predicate(_focused(page)):
            return
    raise AssertionError(f"never reached by Tab; last focus {_focused(page)}")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_webhook_pages_pass_axe(browser, kit, admin, axe, store, lang):
    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, kit.url, lang)
    page.goto(f"{kit.url}{STAFF}/webhooks?lang={lang}")
    no_violations(axe, page, f"webhooks ({lang})")
    page.fill("#f-url", "http://10.0.0.1/hooks")
    page.uncheck("#f-events")
    page.click("form[action*='/webhooks'][novalidate] button")
    page.wait_for_selector(".ecitiz-error-summary")
    no_violations(axe, page, f"webhooks refused ({lang})")
    page.fill("#f-url", HOOK)
    page.check("#f-events")
    page.check("#f-answers")
    page.click("form[action*='/webhooks'][novalidate] button")
    page.wait_for_selector("#new-secret")
    no_violations(axe, page, f"webhook registered ({lang})")
    # A failed delivery, with its error, on the endpoint's page (no network).
    organisation_id = store.organisation("acme")["id"]
    add_request(store, organisation_id, datetime.now(UTC))
    delivery = store.claim_webhook_delivery("browser", 60)
    store.webhook_not_delivered(
        delivery["id"], "browser", error="the endpoint answered HTTP 503",
        response_status=503, retry_at=datetime.now(UTC), max_failures=20,
        messages=lambda endpoint: [],
    )  # fmt: skip
    page.goto(f"{kit.url}{STAFF}/webhooks/{delivery['webhook_id']}?lang={lang}")
    assert "HTTP 503" in page.content()  # the answer, in words
    no_violations(axe, page, f"webhook deliveries ({lang})")
    context.close()


def test_an_admin_registers_and_deletes_an_endpoint_with_the_keyboard_alone(
    browser, kit, admin, store
):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    _sign_in(page, kit.url, "en")
    page.goto(f"{kit.url}{STAFF}/settings?lang=en")
    _tab_to(page, lambda f: f[3] == "Manage the webhooks")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{STAFF}/webhooks**")
    _tab_to(page, lambda f: f[1] == "f-url")
    page.keyboard.type(HOOK)
    _tab_to(page, lambda f: f[1] == "f-answers")
    page.keyboard.press("Space")
    _tab_to(page, lambda f: f[0] == "BUTTON" and f[3] == "Register the endpoint")
    page.keyboard.press("Enter")
    page.wait_for_selector("#new-secret")
    organisation_id = store.organisation("acme")["id"]
    [endpoint] = store.webhooks(organisation_id)
    assert endpoint["url"] == HOOK and endpoint["include_answers"]
    assert len(endpoint["events"]) == 4
    _tab_to(page, lambda f: f[3] == "Recent deliveries")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{STAFF}/webhooks/{endpoint['id']}**")
    _tab_to(page, lambda f: f[3] == "Back to the webhooks")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/webhooks(\?[^/]*)?$"))
    _tab_to(page, lambda f: f[0] == "BUTTON" and f[3] == "Delete the endpoint")
    page.keyboard.press("Enter")
    page.wait_for_url("**deleted=1**")
    assert store.webhooks(organisation_id) == []
    context.close()
