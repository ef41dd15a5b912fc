"""A form in steps in a real browser: inside the frame the embed snippet puts on
another site (the kit on http://127.0.0.1:P1, the site on http://localhost:P2),
and without JavaScript; saved for later on its third page, finished in another
browser, an IBAN refused after the check page; clean for axe on a phone."""

import pytest

from ..helpers import (
    CONTINUE,
    IBAN,
    REFERENCE,
    SEND,
    aid_answers,
    fill_aid,
    fill_page,
    form_url,
    mailed_draft_path,
    move,
    no_violations,
    on_check_page,
)

pytestmark = pytest.mark.browser

WRONG_IBAN = IBAN[:-1] + "7"  # the shape of an IBAN, a wrong check digit


def _focused_id(frame):
    return frame.locator("body").evaluate("b => document.activeElement.id")


def _heights(page):
    """The frame's height and its content's, once they agree (at most 5 s)."""
    frame = page.frame_locator("iframe")
    for _ in range(100):
        outer = page.eval_on_selector("iframe", "f => f.getBoundingClientRect().height")
        inner = frame.locator("html").evaluate("h => h.scrollHeight")
        if abs(outer - inner) <= 2:
            break
        page.wait_for_timeout(50)
    return outer, inner


@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
def test_save_on_page_three_then_finish_elsewhere_past_a_refused_iban(
    browser, framed, kit, store, script
):
    context = browser.new_context(java_script_enabled=script)
    page = context.new_page()
    page.goto(framed.url + "/")
    if script:
        frame = page.frame_locator("iframe")
    else:  # no loader, no frame: the snippet's link opens the form
        page.click("[data-ecitiz-form] a")
        frame = page
    fill_aid(frame, aid_answers(), until="situation")
    assert frame.locator("#page-title").inner_text() == "Your situation"
    if script:
        # The frame fits each page, and the new page's heading has the focus.
        outer, inner = _heights(page)
        assert abs(outer - inner) <= 2
        assert _focused_id(frame) == "page-title"
    frame.locator("input[name=later]").click()
    frame.locator("#draft-link").wait_for()
    assert store.table_counts()["submissions"] == 0
    context.close()

    other = browser.new_context(java_script_enabled=script)  # nothing shared
    page = other.new_page()
    page.goto(kit.url + mailed_draft_path(store))
    # Back on the page it was saved from, the earlier answers with it.
    assert page.locator("#page-title").inner_text() in (
        "Votre situation",
        "Your situation",
    )
    assert page.locator("#f-revenue_reference").is_visible()
    assert page.locator("input[type=hidden][name=siret]").get_attribute("value")
    fill_aid(page, aid_answers())
    assert on_check_page(page)
    assert "justificatif.pdf" in page.locator("dl").all_inner_texts()[-2]

    # Change the IBAN from the check page: a wrong one is refused on its page.
    page.locator("button[name=_go][value='page:bank']").first.click()
    page.locator("#f-iban").wait_for()
    page.fill("#f-iban", WRONG_IBAN)
    move(page)
    page.locator("#error-summary").wait_for()
    assert page.locator("#e-iban").is_visible()
    if script:
        assert _focused_id(page) == "error-summary"
    page.fill("#f-iban", IBAN)
    move(page)
    # Straight back to the check page; the file is still there, not attached
    # again.
    assert on_check_page(page)
    text = page.locator("main").inner_text()
    assert "justificatif.pdf" in text and "3M02 606" in text
    page.locator(SEND).click()
    page.wait_for_url("**/ecitiz/r/**")
    reference = REFERENCE.search(page.content()).group(0)
    request = store.submission_by_reference(reference)
    assert [a["filename"] for a in store.attachments(request["id"])] == [
        "justificatif.pdf"
    ]
    assert request["answers"]["iban"] == IBAN
    assert other.cookies() == []
    other.close()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_step_and_check_pages_pass_axe_with_the_keyboard_on_a_phone(
    browser, kit, axe, lang
):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{kit.url}{form_url()}?lang={lang}")
    fill_page(page, aid_answers())
    # With the keyboard: Enter in a field is "Continue".
    page.focus("#f-phone")
    old = page.locator("input[name=_steps]").get_attribute("value")
    page.keyboard.press("Enter")
    page.locator(f"input[name=_steps]:not([value='{old}'])").wait_for(state="attached")
    assert page.locator("#f-siret").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    no_violations(axe, page, f"second page ({lang})")

    page.fill("#f-siret", "73282932000075")
    fill_page(page, {k: v for k, v in aid_answers().items() if k != "siret"})
    move(page, CONTINUE)
    page.locator("#error-summary").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    no_violations(axe, page, f"page with a refused answer ({lang})")

    page.fill("#f-siret", "73282932000074")
    move(page)
    fill_aid(page, aid_answers())
    assert on_check_page(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    no_violations(axe, page, f"check page ({lang})")

    # Tab reaches the first "Change" button; Enter opens its page.
    page.focus("#page-title")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.value")
    assert focused == "page:applicant"
    page.keyboard.press("Enter")
    page.locator("#f-first_name").wait_for()
    assert page.locator("#f-first_name").input_value() == "Camille"
    context.close()
