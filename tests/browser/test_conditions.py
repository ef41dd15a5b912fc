"""Questions that apply only on some answers, in Chromium: with JavaScript they
show and hide as the applicant answers (hidden from assistive technology too,
reached with the keyboard, the frame following); without it every question shows
with its condition in words, and the server ignores what does not apply."""

import json
import time

import pytest

from ecitiz_kit.web.snippets import script_snippet

from ..helpers import (
    BACK,
    ORG,
    SEND,
    LiveServer,
    aid_answers,
    fill_aid,
    form_url,
    host_site,
    move,
    no_violations,
    stored_requests,
)

pytestmark = pytest.mark.browser

EMPLOYEES = "fieldset[data-ecitiz-when]"  # the section asked of employers only


def _focused(page):
    return page.evaluate("document.activeElement.id")


def _tab_to(page, element_id, presses=60):
    for _ in range(presses):
        page.keyboard.press("Tab")
        if _focused(page) == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def _send(page, store):
    page.click(SEND)
    page.wait_for_url("**/ecitiz/r/**")
    [row] = stored_requests(store)
    return json.loads(row["answers"])


def test_questions_appear_as_the_applicant_answers(browser, kit, store, axe):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    for lang in ("fr", "en"):
        page.goto(f"{kit.url}{form_url()}?lang={lang}")
        fill_aid(page, aid_answers(headcount="0"), until="situation")
        assert page.locator("#f-other_aid_details").is_hidden()
        move(page, BACK)
        assert page.locator(EMPLOYEES).is_hidden()
        assert page.locator("#f-short_time_employees").is_disabled()
        no_violations(axe, page, f"aid request, conditions not met ({lang})")

    # Keyboard only: the questions appear after the answer that calls for them,
    # and the focus stays on the answer being typed.
    _tab_to(page, "f-headcount")
    page.keyboard.type("3")
    assert page.locator(EMPLOYEES).is_visible()
    assert _focused(page) == "f-headcount"
    assert page.evaluate("document.getElementById('f-short_time_employees').required")
    no_violations(axe, page, "aid request, employees shown (en)")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _tab_to(page, "f-short_time_employees", presses=3)  # after postal code, town

    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert _focused(page) == "f-headcount"
    page.keyboard.press("Control+A")
    page.keyboard.type("0")
    assert page.locator(EMPLOYEES).is_hidden()
    assert page.locator("#f-short_time_employees").is_disabled()
    assert _focused(page) == "f-headcount"
    # A hidden question is not sent, whatever it held before it hid.
    page.locator("#f-headcount").fill("2")
    page.locator("#f-short_time_employees").fill("1")
    page.locator("#f-headcount").fill("0")
    move(page)

    page.locator("#page-title").focus()
    _tab_to(page, "f-other_aid")
    page.keyboard.press("Space")
    assert page.locator("#f-other_aid_details").is_visible()
    assert _focused(page) == "f-other_aid"
    no_violations(axe, page, "aid request, other aid ticked (en)")
    page.keyboard.press("Tab")
    assert _focused(page) == "f-other_aid_details"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Space")
    assert page.locator("#f-other_aid_details").is_hidden()
    assert _focused(page) == "f-other_aid"

    answers = aid_answers(headcount="0", short_time_employees=None)
    fill_aid(page, answers)
    stored = _send(page, store)
    assert stored["headcount"] == 0 and "short_time_employees" not in stored
    context.close()


def test_without_javascript_every_question_shows_with_its_condition(
    browser, kit, store, axe
):
    # axe needs JavaScript: the page is checked with the form's own script
    # blocked, which shows it as a browser without JavaScript does.
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.route("**/frame.js", lambda route: route.abort())
    page = context.new_page()
    for lang, words in (
        ("fr", "Répondez seulement si votre réponse"),
        ("en", "Answer only if your answer"),
    ):
        page.goto(f"{kit.url}{form_url()}?lang={lang}")
        fill_aid(page, aid_answers(), until="business")
        assert page.locator(EMPLOYEES).is_visible()
        assert page.locator("#w-section-employees").inner_text().startswith(words)
        no_violations(axe, page, f"aid request without its script ({lang})")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        fill_aid(page, aid_answers(), until="situation")
        assert page.locator("#f-other_aid_details").is_visible()
        no_violations(axe, page, f"aid request without its script, p. 3 ({lang})")
    context.close()

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{kit.url}{form_url()}")
    fill_aid(page, aid_answers(), until="business")
    assert page.locator(EMPLOYEES).is_visible()
    # Answered although it does not apply: accepted, and not kept.
    fill_aid(page, aid_answers(headcount="0", other_aid_details="Rien"))
    stored = _send(page, store)
    assert stored["headcount"] == 0
    assert "short_time_employees" not in stored and "other_aid_details" not in stored
    context.close()


def _frame_height(page):
    return page.eval_on_selector("iframe", "f => f.getBoundingClientRect().height")


def _settled_height(page, frame, timeout=5.0):
    """The frame's height once it matches its content's (it comes by message)."""
    deadline = time.monotonic() + timeout
    while True:
        outer = _frame_height(page)
        inner = frame.locator("html").evaluate("h => h.scrollHeight")
        if abs(outer - inner) <= 2 or time.monotonic() > deadline:
            return outer, inner
        page.wait_for_timeout(50)


def test_the_frame_follows_questions_that_appear(browser, kit, store):
    pages = {}
    host = LiveServer(host_site(pages), "localhost")
    store.add_allowed_origin(store.organisation(ORG)["id"], host.url)
    snippet = script_snippet(ORG, "aid-request", "Aide", kit.url + "/ecitiz")
    pages["/"] = (
        '<!doctype html><html lang="fr"><meta charset="utf-8"><title>Host</title>'
        f"<h1>Notre site</h1>{snippet}</html>"
    )
    try:
        page = browser.new_context(viewport={"width": 390, "height": 800}).new_page()
        page.goto(host.url + "/")
        frame = page.frame_locator("iframe")
        fill_aid(frame, aid_answers(), until="business")
        frame.locator("#f-headcount").wait_for()
        before, inner = _settled_height(page, frame)
        assert abs(before - inner) <= 2
        frame.locator("#f-headcount").fill("5")
        page.wait_for_function(
            f"document.querySelector('iframe').getBoundingClientRect().height"
            f" > {before} + 100"
        )
        after, inner = _settled_height(page, frame)
        assert abs(after - inner) <= 2
        frame.locator("#f-headcount").fill("0")
        page.wait_for_function(
            f"document.querySelector('iframe').getBoundingClientRect().height"
            f" < {after} - 100"
        )
    finally:
        host.stop()
