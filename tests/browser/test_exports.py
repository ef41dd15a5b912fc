"""The XLSX and ZIP exports in a real browser: the links beside the CSV one, a
large export started and fetched with the keyboard alone, every page passing axe
in French and English, nothing scrolling sideways at 390 px."""

import pytest

from ecitiz_kit.cli.exports import run_exports
from ecitiz_kit.domain import export_jobs

from ..helpers import (
    PASSWORD,
    STAFF,
    STAFF_EMAIL,
    add_staff,
    aid_answers,
    no_violations,
    post_form,
    with_file,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def requests(app, client):
    """A staff account and two requests with a file each."""
    add_staff(app)
    for name in ("relevé.pdf", "../../bilan.pdf"):
        assert post_form(client, with_file(aid_answers(), name=name)).status_code == 303


@pytest.fixture
def large(monkeypatch):
    monkeypatch.setattr(export_jobs, "DIRECT_LIMITS", {k: 0 for k in export_jobs.KINDS})


def _sign_in(page, base):
    page.goto(base + f"{STAFF}/login")
    page.fill("#f-email", STAFF_EMAIL)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{STAFF}/")


def _focused(page):
    return page.evaluate(
        "(() => { const e = document.activeElement;"
        " return [e.tagName, e.getAttribute('href') || '', e.textContent.trim()]; })()"
    )


def _tab_to(page, predicate, limit=80):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if predicate(_focused(page)):
            return
    raise AssertionError(f"never reached by Tab; last focus {_focused(page)}")


def _overflow(page):
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_a_large_zip_with_the_keyboard_alone(browser, kit, app, requests, large):
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 390, "height": 800}, accept_downloads=True
    )
    page = context.new_page()
    _sign_in(page, kit.url)
    _tab_to(page, lambda f: f[0] == "A" and "/requests.zip" in f[1])
    page.keyboard.press("Enter")
    page.wait_for_url("**/requests.zip*")
    _tab_to(page, lambda f: f[0] == "BUTTON" and "ZIP" in f[2])
    page.keyboard.press("Enter")
    page.wait_for_selector("#export-progress")
    with app.test_request_context():
        assert run_exports() == 1
    page.reload()
    _tab_to(page, lambda f: f[0] == "A" and f[1].endswith("/file"))
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".zip")
    context.close()


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("width", [390, 1024])
def test_export_pages_pass_axe_and_fit_a_phone(
    browser, kit, app, requests, axe, large, lang, width
):
    context = browser.new_context(
        locale=f"{lang}-FR", viewport={"width": width, "height": 800}
    )
    page = context.new_page()
    _sign_in(page, kit.url)
    assert page.is_visible(f"a[href^='{STAFF}/requests.xlsx']")
    assert page.is_visible(f"a[href^='{STAFF}/requests.zip']")
    assert _overflow(page) <= 0, "list with the export links"
    page.goto(kit.url + f"{STAFF}/requests.xlsx")
    no_violations(axe, page, "large export offered")
    assert _overflow(page) <= 0, "large export offered"
    page.click("form[action$='/exports'] button")
    page.wait_for_selector("#export-progress")
    no_violations(axe, page, "export under way")
    assert _overflow(page) <= 0, "export under way"
    with app.test_request_context():
        run_exports()
    page.reload()
    page.wait_for_selector("a[download]")
    no_violations(axe, page, "export ready")
    assert _overflow(page) <= 0, "export ready"
    context.close()
