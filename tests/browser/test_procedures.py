"""Each ready-made procedure added to the catalogue, in Chromium: its form passes
axe in French and English and fits a 390 px wide phone; filled in and sent, it
gives a receipt with its own reference and the time a decision should take."""

import re

import pytest

from ecitiz_kit.forms.loading import load_catalog

from ..helpers import (
    PDF,
    appointment_answers,
    declaration_answers,
    deferral_answers,
    form_url,
    no_violations,
)

pytestmark = pytest.mark.browser

PROCEDURES = {
    "payment-deferral": ("DEF", deferral_answers, "30 jours"),
    "adviser-appointment": ("RDV", appointment_answers, "3 jours"),
    "activity-declaration": ("ACT", declaration_answers, "5 jours"),
}


def _fill(page, form_id, answers):
    """Answer as a person does: type, pick, tick, attach."""
    for field in load_catalog(form_id).fields:
        value = answers.get(field.name)
        if field.type == "file":
            page.set_input_files(
                f"#f-{field.name}",
                {"name": "facture.pdf", "mimeType": "application/pdf", "buffer": PDF},
            )
        elif field.name not in answers:
            continue
        elif field.type == "choice" and field.widget == "radio":
            values = [option.value for option in field.options]
            page.check(f"#f-{field.name}-{values.index(value) + 1}")
        elif field.type == "choice":
            page.select_option(f"#f-{field.name}", value)
        elif field.type in ("checkbox", "consent"):
            page.check(f"#f-{field.name}")
        else:
            page.fill(f"#f-{field.name}", value)


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
    _fill(page, form_id, answers(siret="73282932000075"))
    page.evaluate("document.querySelector('form').noValidate = true")
    page.click("button[type=submit]")
    page.locator("#e-siret").wait_for()
    no_violations(axe, page, f"{form_id} form refused")
    assert store.table_counts()["submissions"] == 0

    _fill(page, form_id, answers())
    page.click("button[type=submit]")
    page.wait_for_url("**/ecitiz/r/**")
    receipt = page.locator("main").inner_text()
    assert re.search(rf"\b{prefix}-\w{{4}}-\w{{4}}\b", receipt), receipt
    assert delay in receipt
    no_violations(axe, page, f"{form_id} receipt")
    assert store.table_counts()["submissions"] == 1
    context.close()
