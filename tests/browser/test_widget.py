"""The embed widget in a real browser: Debian's Chromium driven by Playwright.

The kit is served on http://127.0.0.1:P1 and the organisation's website on
http://localhost:P2 (another site), with third-party cookies blocked; each host
page holds exactly what ``flask ecitiz snippet`` prints.
"""

import json
import re
import time
from pathlib import Path

import pytest

from ecitiz_kit.web.snippets import script_snippet, status_snippet

from ..helpers import (
    ORG,
    REFERENCE,
    SEND,
    LiveServer,
    aid_answers,
    attestation_answers,
    fill_aid,
    host_site,
    move,
    no_violations,
    post_form,
    with_file,
)

pytestmark = pytest.mark.browser

RECORDER = """<script>
window.seen = [];
['ready', 'submitted', 'error'].forEach(function (type) {
  document.addEventListener('ecitiz:' + type, function (e) {
    window.seen.push({type: e.type, detail: e.detail,
                      on: e.target.getAttribute('data-ecitiz-form')});
  });
});
window.onSubmit = function (detail) { window.called = detail; };
</script>"""


@pytest.fixture
def site(kit, store):
    """The organisation's website on localhost, allowed to embed ACME's forms."""
    pages = {}
    host = LiveServer(host_site(pages), "localhost")
    store.add_allowed_origin(store.organisation(ORG)["id"], host.url)
    host.pages = pages
    host.kit_base = kit.url + "/ecitiz"
    yield host
    host.stop()


def page_with(*snippets, lang="fr"):
    return (
        f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>Host</title>'
        f"{RECORDER}<h1>Our site</h1>{''.join(snippets)}"
        '<div style="height:1500px"></div></html>'
    )


def aid_snippet(site, **attributes):
    html = str(script_snippet(ORG, "aid-request", "Aide", site.kit_base))
    extra = "".join(f' data-{k.replace("_", "-")}="{v}"' for k, v in attributes.items())
    return html.replace("<div ", f"<div{extra} ", 1)


def frame_height(page, selector):
    return page.eval_on_selector(selector, "f => f.getBoundingClientRect().height")


def fitted_heights(page, frame, selector, timeout=5.0):
    """The frame's height and its content's, once they agree (or at ``timeout``):
    the new height arrives by message, a moment after the content changed."""
    deadline = time.monotonic() + timeout
    while True:
        outer = frame_height(page, selector)
        inner = frame.locator("html").evaluate("h => h.scrollHeight")
        if abs(outer - inner) <= 2 or time.monotonic() > deadline:
            return outer, inner
        page.wait_for_timeout(50)


def wait_for_event(page, type_, count=1):
    page.wait_for_function(
        f"window.seen.filter(e => e.type === 'ecitiz:{type_}').length >= {count}"
    )
    return [e for e in page.evaluate("window.seen") if e["type"] == f"ecitiz:{type_}"]


def test_third_party_cookies_are_blocked_in_these_tests(cookie_blocking_browser, kit):
    """A cookie set by a cross-site frame must not stick, or the tests below
    would not prove that the widget works without cookies."""

    def setter(environ, start_response):
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/html"),
                ("Set-Cookie", "probe=1; SameSite=None; Secure; Path=/"),
            ],
        )
        return [b"<!doctype html><title>probe</title>"]

    probe = LiveServer(setter, "127.0.0.1")
    host = LiveServer(
        host_site({"/": f'<iframe src="{probe.url}/"></iframe>'}), "localhost"
    )
    try:
        context = cookie_blocking_browser.new_context()
        page = context.new_page()
        page.goto(host.url + "/")
        assert context.cookies() == []
        page.goto(probe.url + "/")  # the same cookie, first-party, does stick
        assert [c["name"] for c in context.cookies()] == ["probe"]
        context.close()
    finally:
        probe.stop()
        host.stop()


def test_snippet_shows_a_self_sizing_form_that_goes_through(
    cookie_blocking_browser, site, store
):
    site.pages["/"] = page_with(aid_snippet(site, on_submit="onSubmit"))
    context = cookie_blocking_browser.new_context(
        viewport={"width": 390, "height": 800}
    )
    page = context.new_page()
    page.goto(site.url + "/")
    [ready] = wait_for_event(page, "ready")
    assert ready["detail"] == {"form": "acme/aid-request", "id": "ecitiz-0"}
    iframe = "[data-ecitiz-form] iframe"
    assert page.get_attribute(iframe, "title") == "Aide"
    assert page.get_attribute(iframe, "loading") == "lazy"
    assert page.get_attribute(iframe, "tabindex") is None
    assert page.is_hidden("[data-ecitiz-form] a")  # the fallback link
    frame = page.frame_locator(iframe)

    # The frame fits its content: nothing scrolls inside it.
    first, inner = fitted_heights(page, frame, iframe)
    assert first > 600 and abs(first - inner) <= 2
    # A wider window reflows the form shorter: the frame follows, without reload.
    page.set_viewport_size({"width": 1200, "height": 800})
    page.wait_for_function(
        f"document.querySelector('{iframe}').getBoundingClientRect().height"
        f" < {first} - 50"
    )
    wide = frame_height(page, iframe)
    assert abs(wide - frame.locator("html").evaluate("h => h.scrollHeight")) <= 2
    page.set_viewport_size({"width": 390, "height": 800})
    page.wait_for_function(
        f"document.querySelector('{iframe}').getBoundingClientRect().height > {wide}"
    )
    first = frame_height(page, iframe)

    page.evaluate("window.scrollTo(0, 0)")
    fill_aid(frame, aid_answers(siret="73282932000075"))  # refused on page 2
    frame.locator("#e-siret").wait_for()
    [error] = wait_for_event(page, "error")
    assert error["detail"]["reason"] == "invalid"
    page.wait_for_function(
        f"document.querySelector('{iframe}').getBoundingClientRect().height > {first}"
    )
    grown, inner = fitted_heights(page, frame, iframe)
    assert abs(grown - inner) <= 2
    # The host page scrolled to the error summary (iOS would not do it itself).
    page.wait_for_function("window.scrollY > 0")
    assert frame.locator("#error-summary").evaluate("e => document.activeElement === e")
    assert store.table_counts()["submissions"] == 0

    frame.locator("#f-siret").fill("73282932000074")
    move(frame)
    fill_aid(frame, aid_answers())
    frame.locator(SEND).click()
    [submitted] = wait_for_event(page, "submitted")
    reference = submitted["detail"]["reference"]
    assert REFERENCE.fullmatch(reference)
    assert submitted["detail"] == {
        "form": "acme/aid-request",
        "id": "ecitiz-0",
        "reference": reference,
    }
    assert page.evaluate("window.called") == submitted["detail"]
    assert store.submission_by_reference(reference)["status"] == "submitted"
    assert len(store.attachments(store.submission_by_reference(reference)["id"])) == 1
    assert context.cookies() == []
    context.close()


def test_two_forms_on_one_page_both_work(cookie_blocking_browser, site, store):
    attestation = str(script_snippet(ORG, "attestation", "Attestation", site.kit_base))
    site.pages["/"] = page_with(aid_snippet(site), attestation)
    page = cookie_blocking_browser.new_page()
    page.goto(site.url + "/")
    page.locator('[data-ecitiz-form="acme/attestation"]').scroll_into_view_if_needed()
    seen = wait_for_event(page, "ready", 2)
    assert sorted(e["on"] for e in seen) == ["acme/aid-request", "acme/attestation"]
    assert page.locator("iframe").count() == 2  # two loaders, one frame each

    frame = page.frame_locator('[data-ecitiz-form="acme/attestation"] iframe')
    frame.locator("#f-first_name").fill("Zoé")
    for name, value in attestation_answers().items():
        if name == "purpose":
            frame.locator("#f-purpose-1").check()
        elif value == "y":
            frame.locator(f"#f-{name}").check()
        elif value:
            frame.locator(f"#f-{name}").fill(value)
    frame.locator("button[type=submit]").click()
    [submitted] = wait_for_event(page, "submitted")
    assert submitted["on"] == "acme/attestation"
    assert submitted["detail"]["form"] == "acme/attestation"
    assert store.table_counts()["submissions"] == 1
    aid_height = frame_height(page, '[data-ecitiz-form="acme/aid-request"] iframe')
    assert aid_height > 600
    page.close()


def test_site_not_allowed_cannot_display_the_form(cookie_blocking_browser, kit):
    """The kit refuses the frame (frame-ancestors): the loader removes it once it
    stayed silent data-timeout seconds, leaving the fallback link, and says in
    one console line which origin to allow and how."""
    kit_base = kit.url + "/ecitiz"
    snippet = str(script_snippet(ORG, "aid-request", "Aide", kit_base))
    snippet = snippet.replace("<div ", '<div data-timeout="1" ', 1)
    host = LiveServer(host_site({"/": page_with(snippet)}), "localhost")
    try:
        page = cookie_blocking_browser.new_page()
        warnings = []
        page.on(
            "console",
            lambda m: warnings.append(m.text) if m.type == "warning" else None,
        )
        page.goto(host.url + "/")
        page.wait_for_selector("[data-ecitiz-form] iframe")
        frames = [f for f in page.frames if f != page.main_frame]
        assert all(f.locator("#f-first_name").count() == 0 for f in frames)
        page.wait_for_selector("[data-ecitiz-form] iframe", state="detached")
        assert page.evaluate("window.seen") == []
        assert page.is_visible("[data-ecitiz-form] a")  # the fallback link stays
        assert (
            page.eval_on_selector("[data-ecitiz-form]", "d => d.children.length") == 1
        )
        assert warnings == [
            f"ecitiz: {host.url} may not show the forms of {ORG};"
            f" allow it with: ecitiz allow-origin {ORG} {host.url}"
        ]
    finally:
        host.stop()


def test_allowed_frame_stays_after_the_timeout(cookie_blocking_browser, site):
    site.pages["/"] = page_with(aid_snippet(site, timeout="1"))
    page = cookie_blocking_browser.new_page()
    page.goto(site.url + "/")
    wait_for_event(page, "ready")
    page.wait_for_timeout(1500)
    assert page.locator("[data-ecitiz-form] iframe").count() == 1
    assert not page.is_visible("[data-ecitiz-form] a")
    page.close()


def test_an_embed_without_heading_keeps_it_for_screen_readers(
    cookie_blocking_browser, site, axe
):
    site.pages["/"] = page_with(aid_snippet(site, heading="hidden", languages="hidden"))
    page = cookie_blocking_browser.new_page()
    warnings = []
    page.on(
        "console", lambda m: warnings.append(m.text) if m.type == "warning" else None
    )
    page.goto(site.url + "/")
    wait_for_event(page, "ready")
    src = page.get_attribute("[data-ecitiz-form] iframe", "src")
    assert "font=" not in src and "undefined" not in src
    frame = page.frame_locator("[data-ecitiz-form] iframe")
    heading = frame.locator("h1")
    # Visually hidden: a 1 px clipped box, still in the page.
    assert heading.evaluate("h => h.getBoundingClientRect().height") <= 1
    assert (
        frame.locator(".ecitiz-organisation").evaluate(
            "p => p.getBoundingClientRect().height"
        )
        <= 1
    )
    assert frame.get_by_role("heading", level=1).count() == 1  # in the a11y tree
    assert frame.locator(".ecitiz-languages").count() == 0
    assert frame.locator("#f-first_name").is_visible()
    assert warnings == []
    inner = next(f for f in page.frames if f != page.main_frame)
    no_violations(axe, inner, "a form embedded without its heading")
    page.close()


def test_forged_messages_change_nothing(cookie_blocking_browser, site, store):
    """A frame from another origin, and the host page itself, post messages
    that look like the kit's: no event, no resize."""
    forged = {
        "ecitiz": 1,
        "type": "submitted",
        "id": "ecitiz-0",
        "reference": "AID-FAKE-FAKE",
        "height": 7,
    }
    forger = LiveServer(
        host_site(
            {
                "/": "<!doctype html><script>"
                f"parent.postMessage({json.dumps(forged)}, '*');"
                f"parent.postMessage({json.dumps({**forged, 'type': 'ready'})}, '*');"
                "</script>"
            }
        ),
        "127.0.0.1",
    )
    try:
        site.pages["/"] = page_with(aid_snippet(site))
        page = cookie_blocking_browser.new_page()
        page.goto(site.url + "/")
        wait_for_event(page, "ready")
        iframe = "[data-ecitiz-form] iframe"
        height = frame_height(page, iframe)
        page.evaluate(
            """([url, forged]) => {
                const f = document.createElement('iframe');
                f.src = url;
                document.body.appendChild(f);
                window.postMessage(forged, '*');
                return new Promise(r => f.onload = () => setTimeout(r, 500));
            }""",
            [forger.url + "/", forged],
        )
        events = page.evaluate("window.seen")
        assert [e["type"] for e in events] == ["ecitiz:ready"]
        assert frame_height(page, iframe) == height
        assert store.table_counts()["submissions"] == 0
        page.close()
    finally:
        forger.stop()


def test_prefill_and_theme_reach_the_form(cookie_blocking_browser, site):
    snippet = aid_snippet(
        site,
        prefill="siret=73282932000074&amp;legal_name=Boulangerie%20Durand&amp;iban=FR76",
        primary="#7a1f5c",
        radius="16",
        font="serif",
    )
    site.pages["/"] = page_with(snippet)
    page = cookie_blocking_browser.new_page()
    page.goto(site.url + "/")
    wait_for_event(page, "ready")
    frame = page.frame_locator("[data-ecitiz-form] iframe")
    button = frame.locator("button[type=submit]")
    style = button.evaluate(
        "b => { const s = getComputedStyle(b);"
        " return [s.backgroundColor, s.borderTopLeftRadius, s.fontFamily]; }"
    )
    assert style[0] == "rgb(122, 31, 92)"
    assert style[1] == "16px"
    assert style[2].startswith("Georgia")
    src = page.get_attribute("[data-ecitiz-form] iframe", "src")
    assert "73282932000074" not in src.split("#")[0]
    # The form comes in steps: its second page is prefilled too.
    fill_aid(frame, aid_answers(), until="business")
    assert frame.locator("#f-siret").input_value() == "73282932000074"
    assert frame.locator("#f-legal_name").input_value() == "Boulangerie Durand"
    fill_aid(frame, aid_answers(), until="bank")
    assert frame.locator("#f-iban").input_value() == ""  # not prefillable
    page.close()


def _button_style(frame_or_page):
    return frame_or_page.locator("button[type=submit]").evaluate(
        "b => { const s = getComputedStyle(b);"
        " return [s.backgroundColor, s.borderTopLeftRadius, s.fontFamily]; }"
    )


def test_the_saved_theme_reaches_the_form_and_an_embed_overrides_it(
    cookie_blocking_browser, site, store, runner
):
    result = runner.invoke(
        args=["ecitiz", "theme", ORG, "--primary", "#7c2d12", "--radius", "2"]
    )
    assert result.exit_code == 0, result.output
    page = cookie_blocking_browser.new_page()
    # On its own page,
    page.goto(site.kit_base + f"/f/{ORG}/aid-request")
    assert _button_style(page)[:2] == ["rgb(124, 45, 18)", "2px"]
    # embedded with the plain snippet,
    site.pages["/"] = page_with(aid_snippet(site))
    page.goto(site.url + "/")
    wait_for_event(page, "ready")
    frame = page.frame_locator("[data-ecitiz-form] iframe")
    assert _button_style(frame)[:2] == ["rgb(124, 45, 18)", "2px"]
    # and embedded with a colour of the host's own: that one wins, the
    # saved radius stays.
    site.pages["/"] = page_with(aid_snippet(site, primary="#7a1f5c"))
    page.goto(site.url + "/")
    wait_for_event(page, "ready")
    frame = page.frame_locator("[data-ecitiz-form] iframe")
    assert _button_style(frame)[:2] == ["rgb(122, 31, 92)", "2px"]
    page.close()


def test_status_mode_shows_the_request_inside_the_host_page(
    cookie_blocking_browser, site, client
):
    response = post_form(client, with_file(aid_answers()))
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    link = re.search(r'class="ecitiz-link"><a href="([^"]+)"', receipt).group(1)
    reference = re.search(r'data-ecitiz-reference="([^"]+)"', receipt).group(1)
    token = link.rsplit("/", 1)[1]
    site.pages["/suivi"] = page_with(status_snippet(ORG, site.kit_base, lang="en"))
    context = cookie_blocking_browser.new_context()
    page = context.new_page()

    # The tracking link points at the host page: the status shows at once.
    page.goto(f"{site.url}/suivi#ecitiz={token}")
    frame = page.frame_locator("[data-ecitiz-status] iframe")
    frame.locator(".ecitiz-status--submitted").wait_for()
    assert reference in frame.locator(".ecitiz-summary").inner_text()
    src = page.get_attribute("[data-ecitiz-status] iframe", "src")
    assert token not in src.split("#")[0]

    # Or the applicant pastes the link they kept.
    page.goto(f"{site.url}/suivi")
    frame = page.frame_locator("[data-ecitiz-status] iframe")
    frame.locator("#f-link").fill(link)
    frame.locator("#ecitiz-lookup button[type=submit]").click()
    frame.locator(".ecitiz-status--submitted").wait_for()
    assert reference in frame.locator(".ecitiz-summary").inner_text()
    iframe_height, inner = fitted_heights(page, frame, "[data-ecitiz-status] iframe")
    assert abs(iframe_height - inner) <= 2
    assert context.cookies() == []
    context.close()


def test_loader_loaded_twice_makes_one_frame_and_adds_one_global(
    cookie_blocking_browser, site
):
    snippet = aid_snippet(site)
    script = snippet.split("\n")[1]
    site.pages["/"] = page_with(snippet + script)
    page = cookie_blocking_browser.new_page()
    before = page.evaluate("Object.keys(window).length")
    page.goto(site.url + "/")
    wait_for_event(page, "ready")
    page.wait_for_timeout(300)
    assert page.locator("iframe").count() == 1
    assert page.evaluate("Object.keys(window).filter(k => k.startsWith('ecitiz'))") == [
        "ecitiz"
    ]
    assert before >= 0
    page.close()


def test_without_javascript_the_fallback_link_opens_the_form(
    cookie_blocking_browser, site
):
    site.pages["/"] = page_with(aid_snippet(site))
    context = cookie_blocking_browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site.url + "/")
    assert page.locator("iframe").count() == 0
    page.click("[data-ecitiz-form] a")
    page.wait_for_url("**/ecitiz/f/acme/aid-request")
    assert page.locator("#f-first_name").count() == 1
    context.close()


def test_form_follows_the_host_page_language(cookie_blocking_browser, site):
    site.pages["/"] = page_with(aid_snippet(site), lang="en-GB")
    page = cookie_blocking_browser.new_page()
    page.goto(site.url + "/")
    wait_for_event(page, "ready")
    frame = page.frame_locator("[data-ecitiz-form] iframe")
    assert frame.locator("button[type=submit]").inner_text() == "Continue"
    assert frame.locator("html").get_attribute("lang") == "en"
    page.close()


# -- a snippet pasted with an earlier version ---------------------------------------

SNIPPETS = Path(__file__).resolve().parent.parent / "data" / "snippets"


@pytest.mark.parametrize("version", ["0.1.0"])
def test_snippet_pasted_with_an_earlier_version_keeps_working(
    cookie_blocking_browser, site, store, version
):
    """A host page keeps the snippet it was given, SRI hash and all: after an
    upgrade of the kit its form still shows, fits, goes through and thanks."""
    pasted = (SNIPPETS / f"{version}.html").read_text()
    snippet = pasted.replace("KIT_BASE", site.kit_base)
    assert f"/widget/{version}/ecitiz.js" in snippet
    site.pages["/"] = page_with(snippet)
    context = cookie_blocking_browser.new_context(
        viewport={"width": 390, "height": 800}
    )
    page = context.new_page()
    loaded = []
    page.on(
        "response",
        lambda r: loaded.append((r.url, r.status)) if "/widget/" in r.url else None,
    )
    page.goto(site.url + "/")
    [ready] = wait_for_event(page, "ready")
    assert ready["detail"] == {"form": "acme/aid-request", "id": "ecitiz-0"}
    assert (f"{site.kit_base}/widget/{version}/ecitiz.js", 200) in loaded
    iframe = "[data-ecitiz-form] iframe"
    assert page.get_attribute(iframe, "title") == "Aide"
    assert page.is_hidden("[data-ecitiz-form] a")
    frame = page.frame_locator(iframe)
    height, inner = fitted_heights(page, frame, iframe)
    assert height > 600 and abs(height - inner) <= 2

    # It resizes with its content: a refused answer makes the form taller.
    fill_aid(frame, aid_answers(siret="73282932000075"), until="business")
    height, inner = fitted_heights(page, frame, iframe)
    fill_aid(frame, aid_answers(siret="73282932000075"))
    [error] = wait_for_event(page, "error")
    assert error["detail"]["reason"] == "invalid"
    page.wait_for_function(
        f"document.querySelector('{iframe}').getBoundingClientRect().height > {height}"
    )
    grown, inner = fitted_heights(page, frame, iframe)
    assert abs(grown - inner) <= 2

    frame.locator("#f-siret").fill("73282932000074")
    move(frame)
    fill_aid(frame, aid_answers())
    frame.locator(SEND).click()
    [submitted] = wait_for_event(page, "submitted")
    reference = submitted["detail"]["reference"]
    assert frame.locator(".ecitiz-reference").inner_text() == reference
    receipt, inner = fitted_heights(page, frame, iframe)
    assert abs(receipt - inner) <= 2
    assert store.submission_by_reference(reference)["status"] == "submitted"
    assert context.cookies() == []
    context.close()
