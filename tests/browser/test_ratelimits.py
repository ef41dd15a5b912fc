"""The pages a rate limit answers with, in a real browser: the answers kept, the wait
said, and no WCAG 2 A/AA violation, in French and in English."""

import re

import pytest

from ..helpers import (
    ORG,
    SEND,
    STAFF,
    STAFF_EMAIL,
    add_staff,
    aid_answers,
    fill_aid,
    form_url,
    no_violations,
    post_form,
    with_file,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    "lang,said",
    [("fr", r"réessayez dans \d+\s+minutes"), ("en", r"try again in \d+\s+minutes")],
)
def test_refused_form_keeps_the_answers_and_passes_axe(
    browser, kit, app, client, store, axe, lang, said
):
    app.config["ECITIZ_SUBMIT_LIMIT_PER_ORGANISATION"] = "1 per hour"
    assert post_form(client, with_file(aid_answers())).status_code == 303
    page = browser.new_page()
    page.goto(f"{kit.url}{form_url()}?lang={lang}")
    answers = aid_answers(legal_name="Boulangerie Martin")
    fill_aid(page, answers)
    # The form itself, from its check page (its script sent the file alone
    # already, to /upload).
    with page.expect_response(re.compile(r".*/f/acme/aid-request(\?.*)?$")) as sent:
        page.click(SEND)
    assert sent.value.status == 429
    assert int(sent.value.headers["retry-after"]) > 0
    page.locator(".ecitiz-notice").wait_for()
    assert re.search(said, page.locator(".ecitiz-notice").inner_text())
    # Every answer is kept, in the page's own fields or carried with it.
    legal_name = page.locator("input[type=hidden][name=legal_name]")
    assert legal_name.get_attribute("value") == "Boulangerie Martin"
    siret = page.locator("input[type=hidden][name=siret]")
    assert siret.get_attribute("value") == answers["siret"]
    assert store.table_counts()["submissions"] == 1
    no_violations(axe, page, f"form refused by a rate limit ({lang})")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_refused_my_requests_and_verification_pages_pass_axe(
    browser, kit, app, axe, lang
):
    app.config["ECITIZ_LOST_LINK_LIMIT"] = "1 per hour"
    app.config["ECITIZ_VERIFY_LIMIT"] = "1 per hour"
    page = browser.new_page()
    for _attempt in range(2):
        page.goto(f"{kit.url}/ecitiz/my/{ORG}?lang={lang}")
        page.fill("#f-my-requests-email", "camille@example.org")
        page.click("button[type=submit]")
    page.locator(".ecitiz-notice[role=alert]").wait_for()
    assert page.locator("#f-my-requests-email").input_value() == "camille@example.org"
    no_violations(axe, page, f"my requests refused ({lang})")

    page = browser.new_page()
    for _ in range(2):
        page.goto(f"{kit.url}/ecitiz/v?lang={lang}")
        page.fill("#f-code", "not-a-real-code")
        # A plain submission to the server, as without JavaScript (the page's
        # script would check the code in the browser instead).
        with page.expect_navigation():
            page.evaluate("document.querySelector('form[data-local-check]').submit()")
    page.locator(".ecitiz-notice[role=alert]").wait_for()
    assert page.locator("#f-code").input_value() == "not-a-real-code"
    no_violations(axe, page, f"verification refused ({lang})")


def test_throttled_sign_in_page_passes_axe(browser, kit, app, axe):
    add_staff(app)
    app.config["ECITIZ_LOGIN_LIMIT"] = "1 per hour"
    page = browser.new_page()
    for _ in range(2):
        page.goto(f"{kit.url}{STAFF}/login")
        page.fill("#f-email", STAFF_EMAIL)
        page.fill("#f-password", "wrong password here")
        page.click("button[type=submit]")
    assert "Too many failed attempts to sign in" in page.content()
    no_violations(axe, page, "sign-in throttled")
