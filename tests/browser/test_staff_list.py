"""The request list in a real browser: keyboard only, chart drawn, CSP obeyed."""

from datetime import UTC, datetime, timedelta

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


@pytest.fixture
def listed(app, store):
    org = store.organisation("acme")["id"]
    now = datetime.now(UTC)
    for n in range(60):
        add_request(store, org, now - timedelta(hours=11 * n),
                    status=("submitted", "accepted", "in_review")[n % 3],
                    last="Moreau" if n == 7 else "Durand")  # fmt: skip
    add_staff(app)


def test_list_filters_and_pages_with_the_keyboard_alone(browser, kit, listed, tmp_path):
    page = browser.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if "Refused" in m.text else 0)
    page.goto(f"{kit.url}{STAFF}/login?lang=en")
    page.fill("#f-email", STAFF_EMAIL)
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{STAFF}/?lang=en")

    chart = page.locator("svg.ecitiz-chart")
    box = chart.bounding_box()
    assert box["width"] > 300 and box["height"] > 80
    assert page.locator("svg.ecitiz-chart rect").count() > 20
    assert page.locator("#requests tbody tr").count() == 50

    # The figures' table opens from the keyboard.
    page.focus(".ecitiz-chart-data summary")
    page.keyboard.press("Enter")
    assert page.locator(".ecitiz-chart-data table").is_visible()

    # Type a search and a status, then send the form with Enter.
    page.focus("#filter-q")
    page.keyboard.type("moreau")
    page.focus("#filter-status")
    page.select_option("#filter-status", "accepted")
    page.focus("#filter-q")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=moreau**")
    assert page.locator("h2#results-title").inner_text() == "1 request matches"
    rows = page.locator("#requests tbody tr")
    assert rows.count() == 1 and "Moreau" in rows.inner_text()

    # Pages follow each other through links reached with Tab.
    page.goto(f"{kit.url}{STAFF}/?lang=en")
    older = page.locator("a", has_text="Older requests")
    older.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**older=**")
    assert page.locator("a", has_text="Newer requests").count() == 1
    page.screenshot(path=str(tmp_path / "list.png"), full_page=True)
    assert problems == []  # no CSP violation, no script error


def test_every_state_of_the_list_passes_axe(browser, kit, listed, axe):
    page = browser.new_page()
    page.goto(f"{kit.url}{STAFF}/login?lang=en")
    page.fill("#f-email", STAFF_EMAIL)
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{STAFF}/?lang=en")
    page.click(".ecitiz-chart-data summary")  # the figures' table shown too
    no_violations(axe, page, "list with chart and table")
    for query, what in (
        ("?status=accepted&q=durand&lang=en", "filtered list"),
        ("?q=nobody&lang=en", "no request matches"),
        ("?from=yesterday&status=zz&lang=fr", "bad filters"),
        ("?older=garbage", "damaged page link"),
    ):
        page.goto(f"{kit.url}{STAFF}/{query}")
        no_violations(axe, page, what)
    page.goto(f"{kit.url}{STAFF}/?lang=en")
    page.click("text=Older requests")
    no_violations(axe, page, "second page")
