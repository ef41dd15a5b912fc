"""What a person sees when they send too much: a page in their language that
axe-core finds no WCAG 2 A/AA violation on."""

import pytest

from ..helpers import STAFF, form_url, no_violations

pytestmark = pytest.mark.browser

#: Fill a field of the page's first form past the kit's limit and send it,
#: skipping the browser's own checks of the other fields.
SEND_TOO_MUCH = """(selector) => {
    const form = document.querySelector("form[method=post]");
    form.noValidate = true;
    const field = document.querySelector(selector);
    field.removeAttribute("maxlength");
    field.value = "x".repeat(600 * 1024);
    form.submit();
}"""


@pytest.mark.parametrize(
    "path, field, title",
    [
        (form_url() + "?lang=fr", "#f-last_name", "Envoi trop volumineux"),
        (form_url() + "?lang=en", "#f-last_name", "Too much data sent"),
        ("/ecitiz/v?lang=en", "#f-code", "Too much data sent"),
        (f"{STAFF}/login?lang=fr", "#f-password", "Envoi trop volumineux"),
        (f"{STAFF}/login?lang=en", "#f-password", "Too much data sent"),
    ],
)
def test_too_much_sent_gets_an_accessible_page(browser, kit, axe, path, field, title):
    page = browser.new_context().new_page()
    page.goto(kit.url + path)
    with page.expect_navigation() as sent:
        page.evaluate(SEND_TOO_MUCH, field)
    assert sent.value.status == 413
    assert page.locator("h1").inner_text() == title
    no_violations(axe, page, f"413 after {path}")
