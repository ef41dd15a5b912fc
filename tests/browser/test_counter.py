"""The counter in a real browser: axe finds nothing in French and English, in
every state, on a phone too; it works with the keyboard alone, without
JavaScript, and embedded in another site without cookies."""

from datetime import UTC, datetime, timedelta

import pytest

from ecitiz_kit.web.snippets import counter_snippet

from ..helpers import ORG, LiveServer, host_site, no_violations

pytestmark = pytest.mark.browser

COUNTER = f"/ecitiz/c/{ORG}"


def _overflow(page):
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def _states(store):
    """Each kind of counter page and closed procedure page, by name and path."""
    org = store.organisation(ORG)["id"]
    yield "counter", COUNTER
    yield "counter, embedded without heading", COUNTER + "?heading=hidden"
    now = datetime.now(UTC)
    store.set_form_schedule(org, "aid-request", (now + timedelta(days=3), None))
    store.set_form_schedule(org, "attestation", (None, now - timedelta(days=3)))
    yield "counter, opening soon and closed", COUNTER
    yield "procedure not open yet", f"/ecitiz/f/{ORG}/aid-request"
    yield "procedure closed", f"/ecitiz/f/{ORG}/attestation"
    store.set_form_schedule(org, "aid-request", (None, None))
    store.set_form_schedule(org, "attestation", (None, None))
    if store.organisation("vide") is None:
        store.create_organisation("vide", "Association Vide " + "Longuenom" * 8)
    yield "counter of an organisation without procedures", "/ecitiz/c/vide"


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("width", [390, 1024])
def test_every_counter_page_passes_axe_and_fits(browser, kit, store, axe, lang, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    overflows = {}
    for name, path in _states(store):
        separator = "&" if "?" in path else "?"
        page.goto(f"{kit.url}{path}{separator}lang={lang}")
        no_violations(axe, page, f"{name} ({lang}, {width} px)")
        overflows[name] = _overflow(page)
    assert len(overflows) == 6
    assert {name: px for name, px in overflows.items() if px > 0} == {}
    context.close()


def test_a_procedure_starts_with_the_keyboard_alone(browser, kit):
    page = browser.new_page()
    page.goto(kit.url + COUNTER + "?lang=fr")
    for _ in range(20):
        page.keyboard.press("Tab")
        text = page.evaluate("document.activeElement.textContent")
        if text.startswith("Commencer"):
            break
    else:
        pytest.fail("no start link reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/ecitiz/f/{ORG}/*")
    assert page.locator("input[name=ticket]").count() == 1
    assert page.locator("html").get_attribute("lang") == "fr"
    page.close()


@pytest.fixture
def site(kit, store):
    """The organisation's website on another site, allowed to embed its pages."""
    pages = {}
    host = LiveServer(host_site(pages), "localhost")
    store.add_allowed_origin(store.organisation(ORG)["id"], host.url)
    host.pages = pages
    yield host
    host.stop()


def _host_page(snippet):
    return (
        '<!doctype html><html lang="fr"><meta charset="utf-8"><title>Host</title>'
        "<script>window.seen=[];document.addEventListener('ecitiz:ready',"
        "function(e){window.seen.push(e.detail)});</script>"
        f"<h1>Nos démarches</h1>{snippet}</html>"
    )


def test_embedded_counter_fits_its_frame_and_starts_procedures_inside_it(
    cookie_blocking_browser, kit, site
):
    site.pages["/"] = _host_page(counter_snippet(ORG, kit.url + "/ecitiz"))
    context = cookie_blocking_browser.new_context()
    page = context.new_page()
    page.goto(site.url + "/")
    page.wait_for_function("window.seen.length >= 1")
    frame = page.frame_locator("[data-ecitiz-counter] iframe")
    frame.locator(".ecitiz-procedure").first.wait_for()
    # The fallback link gives way to the frame, sized to its content.
    assert page.locator("[data-ecitiz-counter] > a").is_hidden()
    page.wait_for_function(
        "Math.abs(document.querySelector('[data-ecitiz-counter] iframe')"
        ".getBoundingClientRect().height - 480) > 2"
    )
    frame.locator("a.ecitiz-button").first.click()
    frame.locator("input[name=ticket]").wait_for(state="attached")
    # Still embedded: the form inside the frame talks to this page.
    page.wait_for_function("window.seen.length >= 2")
    assert context.cookies() == []
    context.close()


def test_without_javascript_the_fallback_link_opens_the_counter(
    cookie_blocking_browser, kit, site, store
):
    site.pages["/"] = _host_page(counter_snippet(ORG, kit.url + "/ecitiz"))
    context = cookie_blocking_browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site.url + "/")
    assert page.locator("iframe").count() == 0
    page.click("[data-ecitiz-counter] a")
    page.wait_for_url(f"**{COUNTER}")
    enabled = store.enabled_forms(store.organisation(ORG)["id"])
    assert page.locator(".ecitiz-procedure").count() == len(enabled) > 1
    context.close()
