"""The plain-iframe snippet (``ecitiz snippet --iframe``) in Chromium: a host page
that strips scripts, or forbids inline styles, still shows the whole form, and
after each answer the applicant sees the top of the new page.

The kit is served on http://127.0.0.1:P1 and the host page on http://localhost:P2.
"""

import pytest

from ecitiz_kit.forms.loading import catalog_ids, load_catalog
from ecitiz_kit.web.frame_heights import counter_height, fitting_height
from ecitiz_kit.web.snippets import counter_iframe_snippet, iframe_snippet

from ..helpers import (
    ORG,
    SEND,
    LiveServer,
    aid_answers,
    fill_aid,
    host_site,
    move,
    on_check_page,
)

pytestmark = pytest.mark.browser

#: What a careful host page sends: no inline style or script of any kind.
STRICT_CSP = "default-src 'self'; style-src 'self'; script-src 'self'; frame-src http://127.0.0.1:*"
FRAME = "iframe.ecitiz-frame"


@pytest.fixture
def site(kit, store):
    """The organisation's website, with a strict Content Security Policy."""
    pages = {}
    host = LiveServer(
        host_site(pages, [("Content-Security-Policy", STRICT_CSP)]), "localhost"
    )
    store.add_allowed_origin(store.organisation(ORG)["id"], host.url)

    def paste(form_id, lang="fr", margin=0):
        snippet = iframe_snippet(
            ORG,
            form_id,
            "Formulaire",
            host.kit_base,
            lang,
            height=fitting_height(load_catalog(form_id)),
        )
        return paste_html(form_id, snippet, lang, margin)

    def paste_html(name, snippet, lang, margin=0):
        # The host's own style sheet, as its CSP requires (with the rule the
        # README gives for the frame), and some text above the form.
        pages["/site.css"] = (
            f"body{{margin:{margin}px}}.intro{{height:900px}}"
            ".ecitiz-frame{width:100%;border:0}"
        )
        pages[f"/{name}"] = (
            f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            '<title>Host</title><link rel="stylesheet" href="/site.css"></head>'
            f'<body><h1>Our site</h1><p class="intro">Intro</p>{snippet}</body></html>'
        )
        return f"{host.url}/{name}"

    host.kit_base = kit.url + "/ecitiz"
    host.paste, host.paste_html = paste, paste_html
    yield host
    host.stop()


def frame_document_height(page):
    return (
        page.frame_locator(FRAME)
        .locator("html")
        .evaluate("html => Math.ceil(html.getBoundingClientRect().height)")
    )


def _next_page(frame, form_id):
    """The page after the one ``frame`` shows ("check" after the last)."""
    definition = load_catalog(form_id)
    ids = [p.id for p in definition.pages]
    for number, page_id in enumerate(ids):
        first = definition.page_fields(page_id)[0].name
        if frame.locator(f"#f-{first}").count():
            return ids[number + 1] if number + 1 < len(ids) else "check"
    raise AssertionError("no page of the form")


@pytest.mark.parametrize("form_id", catalog_ids())
def test_the_fixed_height_fits_the_form_at_every_width(browser, site, form_id):
    expected = fitting_height(load_catalog(form_id))
    page, tallest = browser.new_page(), 0
    # Measured at its tallest, as without JavaScript: every question shows, those
    # under a condition too (the form's script may only hide some).
    page.route("**/frame.js", lambda route: route.abort())
    for lang in ("fr", "en"):
        url = site.paste(form_id, lang)
        # 360 px is the narrowest common phone: there the form is at its tallest.
        for width in (360, 390, 1280):
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(url)
            frame = page.frame_locator(FRAME)
            frame.locator("form[method=post]").wait_for()
            # The height attribute holds under a CSP that drops style attributes.
            box = page.locator(FRAME).bounding_box()
            assert (box["width"], box["height"]) == (width, expected)
            # A form in steps: each of its pages, and the check page.
            for _step in range(len(load_catalog(form_id).pages) + 1):
                measured = frame_document_height(page)
                assert measured <= expected, (lang, width)
                if width == 360:
                    tallest = max(tallest, measured)
                if not load_catalog(form_id).pages or on_check_page(frame):
                    break
                fill_aid(frame, aid_answers(), until=_next_page(frame, form_id))
    # …and the frame is not much taller than the form needs in the longer
    # of its languages.
    assert expected <= 1.2 * tallest, tallest


def test_the_counter_fits_its_fixed_height(browser, site, store):
    listed = [
        load_catalog(row["form_id"])
        for row in store.enabled_forms(store.organisation(ORG)["id"])
    ]
    expected = counter_height(listed)
    page, tallest = browser.new_page(), 0
    for lang in ("fr", "en"):
        snippet = counter_iframe_snippet(ORG, site.kit_base, lang=lang, height=expected)
        url = site.paste_html("counter", snippet, lang)
        for width in (360, 1280):
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(url)
            page.frame_locator(FRAME).locator(".ecitiz-procedures").wait_for()
            assert page.locator(FRAME).bounding_box()["height"] == expected
            measured = frame_document_height(page)
            assert measured <= expected, (lang, width)
            if width == 360:
                tallest = max(tallest, measured)
    assert expected <= 1.2 * tallest, tallest


def test_after_sending_the_receipt_is_in_view(browser, site):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(site.paste("aid-request", "en", margin=8))
    frame = page.frame_locator(FRAME)
    fill_aid(frame, aid_answers())
    page.evaluate("window.scrollTo(0, 0)")
    frame.locator(SEND).click()
    heading = frame.locator("h1")
    heading.filter(has_text="received").wait_for()
    page.wait_for_function("scrollY > 0")
    # The host page scrolled down to the top of the frame: the receipt's
    # heading, with its reference below, is on screen.
    frame_top = page.locator(FRAME).bounding_box()["y"]
    assert -2 <= frame_top <= 2
    top = heading.bounding_box()["y"]
    assert 0 <= top < 800 / 2
    assert frame.locator(".ecitiz-reference").first.bounding_box()["y"] < 800


def test_refused_answers_bring_the_error_summary_into_view(browser, site):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(site.paste("aid-request", "fr", margin=8))
    frame = page.frame_locator(FRAME)
    fill_aid(frame, aid_answers(), until="bank")
    # A browser that does not check answers itself sends a wrong one.
    frame.locator("form[method=post]").evaluate("form => { form.noValidate = true }")
    frame.locator("#f-iban").fill("FR76 0000")
    page.evaluate("window.scrollTo(0, 0)")
    move(frame)
    summary = frame.locator("#error-summary")
    summary.wait_for()
    page.wait_for_function("scrollY > 0")
    assert -2 <= summary.bounding_box()["y"] < 800 / 2
    assert summary.evaluate("el => el === document.activeElement")
