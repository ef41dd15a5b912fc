"""The attestation check page /v in a real browser: checked offline in the page,
revocation seen online, the QR link and a pasted link, no WebCrypto."""

from datetime import date

import pytest

from ecitiz_kit.documents import signing

from ..helpers import HOLDER, forge_signature, issue_attestation

pytestmark = pytest.mark.browser


def _watch(page):
    """Collect the page's script errors and CSP violations."""
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))

    def console(message):
        # The browser's own request for /favicon.ico is none of the page's business.
        if message.type == "error" and "favicon" not in message.location["url"]:
            problems.append(message.text)

    page.on("console", console)
    return problems


def _set_hash(page, payload):
    page.evaluate("payload => { location.hash = payload; }", payload)


def _english_long_date(iso):
    day = date.fromisoformat(iso)
    months = (
        "January February March April May June July August September October"
        " November December"
    ).split()
    return f"{months[day.month - 1]} {day.day}, {day.year}"


def test_page_checks_offline_then_sees_revocation_online(
    browser, kit, client, runner, store
):
    document = issue_attestation(client, runner, store)
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    problems = _watch(page)
    page.goto(kit.url + "/ecitiz/v?lang=en")
    page.wait_for_load_state("load")
    assert page.locator("#verdict").get_attribute("data-verdict") is None
    assert page.locator("#claims").is_hidden()

    context.set_offline(True)
    _set_hash(page, document["payload"])
    page.wait_for_selector("#verdict[data-verdict=valid]")
    assert page.locator('[data-claim="holder"]').inner_text() == HOLDER
    assert page.locator('[data-claim="holder"]').is_visible()
    assert page.locator('[data-claim="issuer"]').inner_text() == "ACME Entraide"
    assert page.locator('[data-claim="serial"]').inner_text() == (
        signing.format_serial(document["serial"])
    )
    verdict = page.locator("#verdict").inner_text()
    assert "ACME Entraide" in verdict and "Checked offline" in verdict

    _set_hash(page, forge_signature(document["payload"]))
    page.wait_for_selector("#verdict[data-verdict=forged]")
    assert page.locator("#claims").is_hidden()
    assert HOLDER not in page.content()

    context.set_offline(False)
    runner.invoke(args=["ecitiz", "revoke", document["serial"]])
    _set_hash(page, document["payload"])
    page.wait_for_selector("#verdict[data-verdict=revoked]")
    assert "withdrawn" in page.locator("#verdict").inner_text()
    assert "Checked offline" not in page.locator("#verdict").inner_text()
    assert problems == []
    context.close()


def test_opening_the_qr_link_shows_valid_with_long_dates(
    browser, kit, client, runner, store
):
    document = issue_attestation(client, runner, store)
    context = browser.new_context()
    page = context.new_page()
    problems = _watch(page)
    page.goto(f"{kit.url}/ecitiz/v?lang=en#{document['payload']}")
    page.wait_for_selector("#verdict[data-verdict=valid]")
    assert page.locator('[data-claim="holder"]').inner_text() == HOLDER
    assert page.locator('[data-claim="valid_to"]').inner_text() == (
        _english_long_date(document["valid_to"])
    )
    assert "Checked offline" not in page.locator("#verdict").inner_text()
    assert problems == []
    context.close()


def test_pasted_link_is_checked_in_the_browser_without_posting_it(
    browser, kit, client, runner, store
):
    document = issue_attestation(client, runner, store)
    context = browser.new_context()
    page = context.new_page()
    posts = []
    page.on("request", lambda r: r.method == "POST" and posts.append(r.url))
    page.goto(kit.url + "/ecitiz/v")
    page.fill("#f-code", f"  {kit.url}/ecitiz/v#{document['payload']}\n")
    page.click("button[type=submit]")
    page.wait_for_selector("#verdict[data-verdict=valid]")
    assert page.url.endswith("#" + document["payload"])
    assert posts == []
    context.close()


def test_browser_without_webcrypto_is_told_to_use_the_server_check(
    browser, kit, client, runner, store
):
    document = issue_attestation(client, runner, store)
    context = browser.new_context()
    context.add_init_script(
        "Object.defineProperty(Crypto.prototype, 'subtle', {get: () => undefined});"
    )
    page = context.new_page()
    page.goto(f"{kit.url}/ecitiz/v?lang=en#{document['payload']}")
    page.wait_for_function(
        "document.getElementById('verdict').textContent.includes('server')"
    )
    assert page.locator("#verdict").get_attribute("data-verdict") is None
    assert page.locator("#claims").is_hidden()
    # The paste form (the server's check) still answers.
    page.fill("#f-code", document["payload"])
    page.click("button[type=submit]")
    page.wait_for_selector("#verdict[data-verdict=valid]")
    context.close()
