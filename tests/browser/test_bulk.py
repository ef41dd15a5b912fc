"""Bulk actions in a real browser: the actions show once a row is ticked, the
whole task works with the keyboard alone, every page passes axe, in French and
English, and nothing scrolls sideways at 390 px."""

from datetime import UTC, datetime, timedelta

import pytest

from ecitiz_kit.domain import bulk

from ..helpers import (
    PASSWORD,
    STAFF,
    STAFF_EMAIL,
    add_request,
    add_staff,
    attestation_answers,
    no_violations,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def queue(app, store):
    """A staff account, three attestations under review and one just received."""
    add_staff(app)
    org = store.organisation("acme")["id"]
    answers = {
        k: v
        for k, v in attestation_answers().items()
        if k not in ("first_name", "last_name", "email")
    }
    start = datetime.now(UTC) - timedelta(hours=1)
    ids = [
        add_request(
            store,
            org,
            start + timedelta(minutes=n),
            form_id="attestation",
            status="submitted" if n == 0 else "in_review",
            **answers,
        )["id"]
        for n in range(4)
    ]
    return ids  # oldest first: the first one cannot be accepted


def _sign_in(page, base):
    page.goto(base + f"{STAFF}/login")
    page.fill("#f-email", STAFF_EMAIL)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{STAFF}/")


def _focused(page):
    return page.evaluate(
        "(() => { const e = document.activeElement;"
        " return [e.tagName, e.id, e.getAttribute('name'), e.textContent.trim()]; })()"
    )


def _tab_to(page, predicate, limit=80):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if predicate(_focused(page)):
            return
    raise AssertionError(f"never reached by Tab; last focus {_focused(page)}")


def test_a_bulk_acceptance_with_the_keyboard_alone(browser, kit, queue, store, axe):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    _sign_in(page, kit.url)
    # A person handling a few requests meets nothing new until a row is ticked.
    assert not page.is_visible(".ecitiz-bulk-actions")
    for sid in queue:
        _tab_to(page, lambda f, sid=sid: f[1] == f"pick-{sid}")
        page.keyboard.press("Space")
    assert page.is_visible(".ecitiz-bulk-actions")
    _tab_to(page, lambda f: f[0] == "SUMMARY")
    page.keyboard.press("Enter")
    _tab_to(page, lambda f: f[1] == "bulk-action")
    while page.eval_on_selector("#bulk-action", "e => e.value") != "status:accepted":
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.type("Votre attestation est prête.")
    no_violations(axe, page, "list with the bulk actions open")
    _tab_to(page, lambda f: f[0] == "BUTTON")
    assert _focused(page)[3] == "Appliquer aux demandes sélectionnées"
    page.keyboard.press("Enter")
    page.wait_for_url("**/bulk/*")
    assert "3 traitées, 1 laissées de côté" in page.inner_text("main")
    assert store.submission(queue[0])["reference"] in page.inner_text("#left-alone")
    no_violations(axe, page, "bulk action done")
    assert [store.submission(s)["status"] for s in queue] == ["submitted"] + [
        "accepted"
    ] * 3
    context.close()


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("width", [390, 1024])
def test_bulk_pages_pass_axe_and_fit_a_phone(
    browser, kit, queue, store, axe, monkeypatch, lang, width
):
    context = browser.new_context(
        locale=f"{lang}-FR", viewport={"width": width, "height": 800}
    )
    page = context.new_page()
    _sign_in(page, kit.url)
    page.check(f"#pick-{queue[1]}")
    page.click(".ecitiz-bulk-actions summary")
    assert _overflow(page) <= 0, "list with the bulk actions open"
    page.select_option("#bulk-action", "status:submitted")
    page.click(".ecitiz-bulk-actions button")  # no message: refused
    page.wait_for_selector(".ecitiz-staff-page h1")
    no_violations(axe, page, "bulk action refused")
    monkeypatch.setattr(bulk, "BACKGROUND_THRESHOLD", 0)
    page.goto(kit.url + f"{STAFF}/")
    page.check(f"#pick-{queue[1]}")
    page.click(".ecitiz-bulk-actions summary")
    page.select_option("#bulk-action", "assign:me")
    page.click(".ecitiz-bulk-actions button")
    page.wait_for_url("**/bulk/*")
    assert page.is_visible("progress")
    no_violations(axe, page, "bulk action under way")
    assert _overflow(page) <= 0, "bulk action under way"
    context.close()


def _overflow(page):
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
