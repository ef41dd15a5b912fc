"""Due dates, deadline rules and duplicate signals in a real browser: axe-core
finds no WCAG 2 A/AA violation on their pages in French and English, and an
admin sets a decision period and rule with the keyboard alone."""

import pytest

from ..helpers import (
    PASSWORD,
    STAFF,
    STAFF_EMAIL,
    add_staff,
    aid_answers,
    no_violations,
    post_form,
    stored_requests,
    with_file,
)
from .test_staff_pages import _focused, _tab_to

pytestmark = pytest.mark.browser


@pytest.fixture
def flagged(app, client, store):
    """A staff account and two requests giving one IBAN with two SIRETs."""
    add_staff(app)
    for siret in ("73282932000074", "55200000200014"):
        assert post_form(client, with_file(aid_answers(siret=siret))).status_code == 303
    return stored_requests(store)[0]["id"]


def _sign_in(page, base, lang):
    page.goto(f"{base}{STAFF}/login?lang={lang}")
    page.fill("#f-email", STAFF_EMAIL)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{STAFF}/**")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_due_date_and_signal_pages_pass_axe(browser, kit, flagged, axe, lang):
    context = browser.new_context()
    page = context.new_page()
    base = kit.url
    _sign_in(page, base, lang)
    page.goto(f"{base}{STAFF}/?due=all&shares=iban_sirets&lang={lang}")
    no_violations(axe, page, "list by due date, sharing an IBAN")
    page.goto(f"{base}{STAFF}/?due=someday&lang={lang}")
    no_violations(axe, page, "list with a refused due-date filter")
    page.goto(f"{base}{STAFF}/requests/{flagged}?lang={lang}")
    assert page.locator(".ecitiz-signals-alert").is_visible()
    no_violations(axe, page, "request with signals")
    page.goto(f"{base}{STAFF}/settings/deadlines?lang={lang}")
    no_violations(axe, page, "decision periods")
    page.fill("#f-days-aid-request", "0")
    page.click("form[action*='/settings/deadlines'] button")
    page.wait_for_selector(".ecitiz-error-summary")
    no_violations(axe, page, "decision periods refused")
    page.fill("#f-days-aid-request", "20")
    page.click("form[action*='/settings/deadlines'] button")
    page.wait_for_selector(".ecitiz-notice")
    no_violations(axe, page, "decision periods saved")
    page.goto(f"{base}{STAFF}/account?lang={lang}")
    page.check("#f-digest")
    page.click("form[action*='/account'] button")
    page.wait_for_selector(".ecitiz-notice")
    no_violations(axe, page, "account with the digest")
    context.close()


def test_an_admin_sets_a_rule_and_filters_overdue_with_the_keyboard_alone(
    browser, kit, flagged, store
):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    _sign_in(page, kit.url, "en")
    page.goto(f"{kit.url}{STAFF}/settings")
    _tab_to(page, lambda f: f[3] == "Decision periods and deadline rules of the forms")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{STAFF}/settings/deadlines")
    _tab_to(page, lambda f: f[1] == "f-days-aid-request")
    page.keyboard.press("Control+A")
    page.keyboard.type("15")
    _tab_to(page, lambda f: f[1] == "f-rule-aid-request")
    page.keyboard.press("ArrowDown")  # after "None": accept
    _tab_to(page, lambda f: f[0] == "BUTTON" and f[3] == "Save the decision periods")
    page.keyboard.press("Enter")
    page.wait_for_selector(".ecitiz-notice")
    row = store.enabled_form(store.organisation("acme")["id"], "aid-request")
    assert (row["decision_days"], row["deadline_rule"]) == (15, "accept")

    # The less common filters fold away, and open with the keyboard.
    page.goto(f"{kit.url}{STAFF}/")
    assert not page.locator("#filter-due").is_visible()
    _tab_to(page, lambda f: f[3] == "Due dates and duplicates")
    page.keyboard.press("Enter")
    _tab_to(page, lambda f: f[1] == "filter-due")
    assert _focused(page)[1] == "filter-due"
    page.keyboard.press("ArrowDown")
    _tab_to(page, lambda f: f[0] == "BUTTON" and f[3] == "Show the requests")
    page.keyboard.press("Enter")
    page.wait_for_url("**due=all**")
    assert page.locator("table#requests tbody tr").count() == 2
    context.close()
