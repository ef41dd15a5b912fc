"""Each ready-made procedure added to the catalogue, in Chromium: its form passes
axe in French and English and fits a 390 px wide phone; filled in and sent, it
gives a receipt with its own reference and the time a decision should take."""

import json
import re

import pytest

from ecitiz_kit.forms.loading import load_catalog

from ..helpers import (
    appointment_answers,
    declaration_answers,
    deferral_answers,
    fill_form,
    form_url,
    no_violations,
    stored_requests,
)

pytestmark = pytest.mark.browser

PROCEDURES = {
    "payment-deferral": ("DEF", deferral_answers, "30 jours"),
    "adviser-appointment": ("RDV", appointment_answers, "3 jours"),
    "activity-declaration": ("ACT", declaration_answers, "5 jours"),
}


@pytest.mark.parametrize("form_id", PROCEDURES)
def test_procedure_is_accessible_fits_a_phone_and_goes_through(
    browser, kit, store, axe, form_id
):
    prefix, answers, delay = PROCEDURES[form_id]
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    for lang in ("en", "fr"):
        page.goto(f"{kit.url}{form_url(form_id)}?lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        no_violations(axe, page, f"{form_id} form ({lang})")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{form_id} ({lang}) is {width} px wide"

    # The browser's own checks stop a form left empty; the server's, a wrong answer.
    assert page.evaluate("document.querySelector('form').checkValidity()") is False
    fill_form(page, form_id, answers(siret="73282932000075"))
    page.evaluate("document.querySelector('form').noValidate = true")
    page.click("button[type=submit]")
    page.locator("#e-siret").wait_for()
    no_violations(axe, page, f"{form_id} form refused")
    assert store.table_counts()["submissions"] == 0

    fill_form(page, form_id, answers())
    page.click("button[type=submit]")
    page.wait_for_url("**/ecitiz/r/**")
    receipt = page.locator("main").inner_text()
    assert re.search(rf"\b{prefix}-\w{{4}}-\w{{4}}\b", receipt), receipt
    assert delay in receipt
    no_violations(axe, page, f"{form_id} receipt")
    assert store.table_counts()["submissions"] == 1
    context.close()


def test_an_appointment_can_be_asked_with_the_keyboard_alone(browser, kit, store):
    """Tab from field to field, type, pick options with the arrow keys, tick with
    the space bar, send with Enter: every control is reached in reading order."""
    definition = load_catalog("adviser-appointment")
    answers = appointment_answers()
    page = browser.new_page()
    page.goto(f"{kit.url}{form_url('adviser-appointment')}?lang=en")

    def focused() -> str:
        return page.evaluate("document.activeElement.id")

    for _ in range(30):
        page.keyboard.press("Tab")
        if focused() == "f-first_name":
            break
    for field in definition.fields:
        expected = f"f-{field.name}"
        if field.type == "choice" and field.widget == "radio":
            expected += "-1"  # the group's first option takes the focus
        assert focused() == expected
        value = answers[field.name]
        if field.type == "choice":
            index = [o.value for o in field.options].index(value)
            if field.widget == "select":
                for _ in range(index + 1):  # past "Choose…"
                    page.keyboard.press("ArrowDown")
            elif index == 0:
                page.keyboard.press("Space")
            else:
                for _ in range(index):
                    page.keyboard.press("ArrowDown")
        elif field.type == "consent":
            page.keyboard.press("Space")
        else:
            page.keyboard.type(value)
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.wait_for_url("**/ecitiz/r/**")
    assert "RDV-" in page.locator(".ecitiz-reference").inner_text()
    [row] = stored_requests(store, form_id="adviser-appointment")
    stored = json.loads(row["answers"])
    chosen = ("sector", "topic", "meeting", "availability")
    assert {name: stored[name] for name in chosen} == {
        name: answers[name] for name in chosen
    }
    assert (stored["headcount"], stored["privacy"]) == (2, True)
    page.close()
