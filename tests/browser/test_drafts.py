"""Save and come back in a real browser: "Continue later" inside a cross-site
frame, the e-mailed link opened in another browser, and the pages of drafts
and kept files clean for axe on a phone, in French and English."""

import pytest

from ..helpers import (
    BACK,
    CONTINUE,
    PDF,
    REFERENCE,
    SEND,
    LiveServer,
    aid_answers,
    fill_aid,
    form_url,
    host_site,
    mailed_draft_path,
    move,
    no_violations,
)

pytestmark = pytest.mark.browser

FILE = {"name": "justificatif.pdf", "mimeType": "application/pdf", "buffer": PDF}


def _fill(target, answers):
    for name, value in answers.items():
        if value == "y":
            target.locator(f"#f-{name}").check()
        else:
            target.locator(f"#f-{name}").fill(value)


def _overflow(page):
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_save_in_the_frame_then_finish_in_another_browser(browser, kit, store):
    pages = {}
    host = LiveServer(host_site(pages), "localhost")
    store.add_allowed_origin(store.organisation("acme")["id"], host.url)
    pages["/"] = (
        f'<!doctype html><title>Host</title><iframe src="{kit.url}{form_url()}" '
        'title="Aide" style="width:100%;height:2600px;border:0"></iframe>'
    )
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(host.url + "/")
        frame = page.frame_locator("iframe")
        fill_aid(frame, aid_answers(), until="bank")
        frame.locator("#f-account_holder").fill("Boulangerie Durand")
        frame.locator("input[name=later]").click()
        frame.locator("#draft-link").wait_for()
        assert store.table_counts()["submissions"] == 0
        context.close()

        other = browser.new_context()  # another browser: nothing shared
        page = other.new_page()
        page.goto(kit.url + mailed_draft_path(store))
        # On the page it was saved from, with what was typed there and before.
        assert page.locator("#f-account_holder").input_value() == "Boulangerie Durand"
        last_name = page.locator("input[type=hidden][name=last_name]")
        assert last_name.get_attribute("value") == "Durand-Lefèvre"
        fill_aid(page, aid_answers())
        page.click(SEND)
        page.wait_for_url("**/ecitiz/r/**")
        assert REFERENCE.search(page.content())
        [request] = store.iter_requests(store.organisation("acme")["id"])
        assert len(store.attachments(request["id"])) == 1
        # The link now leads to the receipt.
        page.goto(kit.url + mailed_draft_path(store))
        page.wait_for_url("**/ecitiz/r/**")
        assert other.cookies() == []
        other.close()
    finally:
        host.stop()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_draft_and_kept_file_pages_pass_axe_on_a_phone(browser, kit, axe, lang):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{kit.url}{form_url()}?lang={lang}")
    fill_aid(page, aid_answers(), until="documents")
    page.set_input_files("#f-documents", FILE)
    page.locator(".ecitiz-kept input[name^='remove:']").wait_for()
    assert page.locator(".ecitiz-kept li").count() == 1
    assert _overflow(page) <= 0
    no_violations(axe, page, f"page with a kept file ({lang})")

    page.click("input[name=later]")
    page.locator("#draft-link").wait_for()
    assert _overflow(page) <= 0
    no_violations(axe, page, f"draft saved ({lang})")

    page.click("#draft-link")
    page.locator(".ecitiz-kept").wait_for()
    assert _overflow(page) <= 0
    no_violations(axe, page, f"draft resumed ({lang})")

    page.locator(".ecitiz-kept input[type=submit]").click()
    page.locator(".ecitiz-notice").wait_for()
    assert page.locator(".ecitiz-kept li").count() == 0
    no_violations(axe, page, f"kept file removed ({lang})")
    context.close()


def test_a_kept_file_is_removed_with_the_keyboard(browser, kit):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(kit.url + form_url())
    fill_aid(page, aid_answers(), until="documents")
    page.set_input_files("#f-documents", FILE)
    move(page)
    move(page, BACK)  # the file is kept, and listed
    page.locator(".ecitiz-kept").wait_for()
    page.focus("#f-documents")
    page.keyboard.press("Shift+Tab")
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused and "justificatif.pdf" in focused
    page.keyboard.press("Enter")
    page.locator(".ecitiz-notice").wait_for()
    assert page.locator(".ecitiz-kept li").count() == 0
    # Enter in a text field is "Continue", not a "Remove" control.
    page.set_input_files("#f-documents", FILE)
    move(page)
    move(page, BACK)
    page.locator(".ecitiz-kept").wait_for()
    move(page, "button[name=_go][value=back]")  # to the bank details
    page.focus("#f-bic")
    page.keyboard.press("Enter")
    page.locator(".ecitiz-kept").wait_for()  # the next page, its file kept
    fill_aid(page, aid_answers())
    page.click(SEND)
    page.wait_for_url("**/ecitiz/r/**")
    context.close()


def test_with_javascript_files_upload_one_by_one_with_progress(browser, kit, store):
    context = browser.new_context()
    held = []
    # Hold the first upload, to see its progress bar before its answer comes.
    context.route(
        "**/aid-request/upload*",
        lambda route: held.append(route) if not held else route.continue_(),
    )
    page = context.new_page()
    page.goto(kit.url + form_url())
    fill_aid(page, aid_answers(), until="documents")
    bad = {"name": "faux.pdf", "mimeType": "application/pdf", "buffer": b"MZ nope"}
    page.set_input_files("#f-documents", [FILE, bad])
    page.locator(".ecitiz-kept progress").wait_for()
    assert page.locator("#f-documents").input_value() == ""  # not sent twice
    held[0].continue_()
    kept = page.locator(".ecitiz-kept input[name^='remove:']")
    kept.wait_for()
    page.locator(".ecitiz-kept li.ecitiz-error").wait_for()
    assert "faux.pdf" in page.locator(".ecitiz-kept li.ecitiz-error").inner_text()
    assert page.locator(".ecitiz-kept progress").count() == 0
    assert "faux.pdf" in page.locator("#ecitiz-upload-status").inner_text()
    assert store.table_counts()["kept_uploads"] == 1
    # The form is sent with the file kept, none attached again.
    fill_aid(page, aid_answers())
    page.click(SEND)
    page.wait_for_url("**/ecitiz/r/**")
    [request] = store.iter_requests(store.organisation("acme")["id"])
    assert [a["filename"] for a in store.attachments(request["id"])] == [
        "justificatif.pdf"
    ]
    assert context.cookies() == []
    context.close()


def test_a_form_sent_during_an_upload_waits_for_it(browser, kit, store):
    context = browser.new_context()
    held = []
    context.route("**/aid-request/upload*", lambda route: held.append(route))
    page = context.new_page()
    page.goto(kit.url + form_url())
    fill_aid(page, aid_answers(), until="documents")
    page.set_input_files("#f-documents", FILE)
    page.locator(".ecitiz-kept progress").wait_for()
    page.click(CONTINUE)
    page.wait_for_timeout(300)
    assert page.locator(".ecitiz-kept progress").count() == 1  # held back
    held[0].continue_()
    page.locator("#f-declaration").wait_for()
    fill_aid(page, aid_answers())
    page.click(SEND)
    page.wait_for_url("**/ecitiz/r/**")
    [request] = store.iter_requests(store.organisation("acme")["id"])
    assert len(store.attachments(request["id"])) == 1
    context.close()
