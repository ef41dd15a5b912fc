"""Company details from the SIRET in a real browser: inside the embedded frame
(the kit on http://127.0.0.1:P1, the organisation's site on http://localhost:P2),
without JavaScript, with the keyboard, on a phone, and under axe."""

import pytest

from .. import fake_directory as fake
from ..helpers import (
    SEND,
    STAFF,
    add_staff,
    aid_answers,
    fill_aid,
    form_url,
    no_violations,
    post_form,
    stored_requests,
    with_file,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def framed(framed, company_directory):
    """The embedded aid request (see conftest), the fake directory answering."""
    return framed


def test_a_known_siret_fills_the_company_name_inside_the_frame(browser, framed):
    page = browser.new_context().new_page()
    page.goto(framed.url + "/")
    frame = page.frame_locator("iframe")
    fill_aid(frame, aid_answers(), until="business")
    frame.locator("#f-legal_name").fill("")
    frame.locator("#f-siret").fill("732 829 320 00074")
    status = frame.locator("#c-siret")
    offer = status.get_by_role("button", name="Fill in the company’s details")
    offer.wait_for()
    assert fake.FOUND_NAME in status.inner_text()
    assert frame.locator("#f-legal_name").input_value() == ""  # offered, not forced
    offer.press("Enter")  # with the keyboard
    assert frame.locator("#f-legal_name").input_value() == fake.FOUND_NAME
    assert frame.locator("#f-town").input_value() == "PARIS"
    assert frame.locator("#f-postal_code").input_value() == "75011"
    assert "check them before sending" in status.inner_text()
    focused = frame.locator(":focus")
    assert focused.get_attribute("id") == "f-legal_name"


def test_an_unavailable_register_leaves_the_fields_to_type(
    browser, framed, company_directory
):
    company_directory.down = True
    page = browser.new_context().new_page()
    page.goto(framed.url + "/")
    frame = page.frame_locator("iframe")
    fill_aid(frame, aid_answers(), until="business")
    frame.locator("#f-legal_name").fill("Ma boutique")
    frame.locator("#f-siret").fill(fake.FOUND)
    status = frame.locator("#c-siret")
    status.get_by_text("cannot be reached just now").wait_for()
    assert frame.locator("#f-legal_name").input_value() == "Ma boutique"
    assert status.get_by_role("button").count() == 0


def test_the_lookup_button_works_without_javascript(
    browser, kit, store, company_directory
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(kit.url + form_url() + "?lang=en")
    fill_aid(page, aid_answers(), until="business")
    page.fill("#f-siret", fake.FOUND)
    page.click("button[name=company_lookup]")
    page.wait_for_url("**/company?**")
    assert page.input_value("#f-legal_name") == fake.FOUND_NAME
    email = page.locator("input[type=hidden][name=email]")
    assert email.get_attribute("value") == "camille@example.org"
    assert "from the register" in page.inner_text("#c-siret")
    # Enter in a field is "Continue" (the lookup is not the default button).
    page.fill("#f-activity", "Boulangerie")
    page.fill("#f-headcount", "0")
    page.press("#f-activity", "Enter")
    page.locator("#f-revenue_reference").wait_for()
    fill_aid(page, aid_answers(siret=fake.FOUND, legal_name=None, town=None))
    page.click(SEND)
    page.wait_for_url("**/ecitiz/r/**")
    [row] = stored_requests(store)
    assert store.submission(row["id"])["answers"]["legal_name"] == fake.FOUND_NAME
    assert context.cookies() == []


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_lookup_is_accessible_on_a_phone(
    browser, kit, company_directory, axe, lang
):
    page = browser.new_context(viewport={"width": 390, "height": 800}).new_page()
    page.goto(f"{kit.url}{form_url()}?lang={lang}")
    fill_aid(page, aid_answers(), until="business")
    no_violations(axe, page, f"form with a company lookup ({lang})")
    page.fill("#f-siret", fake.CEASED)
    page.locator("#c-siret button").wait_for()
    no_violations(axe, page, f"form offering the register's details ({lang})")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_register_on_the_staff_page_is_accessible(
    app, browser, kit, client, store, company_directory, axe, lang
):
    add_staff(app)
    for siret in (fake.FOUND, fake.CEASED):
        assert post_form(client, with_file(aid_answers(siret=siret))).status_code == 303
    page = browser.new_context(viewport={"width": 390, "height": 800}).new_page()
    page.goto(f"{kit.url}{STAFF}/login?lang={lang}")
    page.fill("#f-email", "agent@acme.example")
    page.fill("#f-password", "correct horse battery staple")
    page.click("button[type=submit]")
    page.wait_for_url(f"**{STAFF}/**")
    for row in stored_requests(store):
        page.goto(f"{kit.url}{STAFF}/requests/{row['id']}?lang={lang}")
        page.locator("#register-title").wait_for()
        no_violations(axe, page, f"staff request with the register ({lang})")


def test_a_siret_typed_before_the_script_ran_is_looked_up(browser, framed):
    page = browser.new_context().new_page()
    held = []
    page.route("**/company.js", lambda route: held.append(route))  # slow
    page.goto(framed.url + "/", wait_until="domcontentloaded")
    frame = page.frame_locator("iframe")
    fill_aid(frame, aid_answers(), until="business")
    frame.locator("#f-legal_name").fill("")
    frame.locator("#f-siret").fill(fake.FOUND)
    while not held:  # the script's request is held
        page.wait_for_timeout(20)
    held[0].continue_()
    status = frame.locator("#c-siret")
    status.get_by_role("button", name="Fill in the company’s details").click()
    assert frame.locator("#f-legal_name").input_value() == fake.FOUND_NAME
