"""The dashboard on a phone (390 CSS px) and on a laptop zoomed to 200 % (1280 px
seen as 640 CSS px): no staff page scrolls sideways, even with long unbroken
addresses, file names and messages; the request list reflows into one card per
request and keeps its table for assistive technology."""

from datetime import UTC, datetime
from unittest import mock

import pytest

from ecitiz_kit.domain import export_jobs

from ..helpers import (
    PASSWORD,
    STAFF,
    add_request,
    add_staff,
    aid_answers,
    no_violations,
    post_form,
    stored_requests,
    with_file,
)

pytestmark = pytest.mark.browser

LONG_EMAIL = "camille.durand-lefevre.boulangerie@" + "tres" * 12 + "-long.example.org"
LONG_FILE = "justificatif_" + "chiffre_affaires" * 6 + ".pdf"
LONG_WORD = "Précisez" + "x" * 150
LONG_STAFF_EMAIL = "instructeur." + "service-des-aides-" * 4 + "@acme.example"
LONG_ORIGIN = "https://www." + "commune" * 9 + ".example.org"
LONG_HOOK = "https://93.184.215.14/" + "webhooks-de-la-comptabilite/" * 6


@pytest.fixture
def long_request(app, client, store, company_directory):
    """A staff account, and a request full of long unbroken strings (its
    page also shows what the company register says, and how it differs)."""
    add_staff(app, email=LONG_STAFF_EMAIL)
    answers = aid_answers(email=LONG_EMAIL, explanation=LONG_WORD)
    response = post_form(client, with_file(answers, name=LONG_FILE))
    assert response.status_code == 303
    [row] = stored_requests(store)
    sid = row["id"]
    # Its IBAN and address again, with another SIRET: every signal shows.
    again = aid_answers(email=LONG_EMAIL, siret="55200000200014")
    assert post_form(client, with_file(again)).status_code == 303
    org = store.organisation("acme")["id"]
    store.add_allowed_origin(org, LONG_ORIGIN)
    store.change_status(sid, expected="submitted", to_status="in_review", actor="t")
    store.change_status(
        sid, expected="in_review", to_status="submitted", actor="t",
        public_message=LONG_WORD, private_note=LONG_WORD,
    )  # fmt: skip
    store.amend_submission(
        sid, answers=store.submission(sid)["answers"] | {"town": "Lyon"},
        form_version=1, nonce="narrow-nonce", attachments=[], replaced_fields=[],
    )  # fmt: skip
    # A webhook endpoint with a long address, whose delivery failed at length.
    store.create_webhook(
        org, url=LONG_HOOK, events=["request.submitted"], include_answers=False,
        sealed_secret="never-opened", created_by=LONG_STAFF_EMAIL,
    )  # fmt: skip
    # Listed, a request whose applicant has a long name and a long address.
    long_name = "de La Tour-" + "Montgolfier" * 3
    add_request(
        store, org, datetime.now(UTC), email=LONG_EMAIL, first="Léa", last=long_name
    )
    delivery = store.claim_webhook_delivery("narrow", 60)
    store.webhook_not_delivered(
        delivery["id"], "narrow", error=LONG_WORD, response_status=None,
        retry_at=datetime.now(UTC), max_failures=20, messages=lambda endpoint: [],
    )  # fmt: skip
    # Accepted, with an amount granted, to be paid to a long-named account.
    paid = add_request(
        store, org, datetime.now(UTC), status="in_review", email=LONG_EMAIL,
        amount_requested="99999.99", iban="FR7630001007941234567890185",
        bic="BDFEFRPP", account_holder="Société " + "Montgolfier" * 6,
    )  # fmt: skip
    store.change_status(
        paid["id"], expected="in_review", to_status="accepted", actor="t",
        granted_cents=9999999,
    )  # fmt: skip
    return sid


def _overflow(page):
    """How many CSS pixels the page is wider than its viewport."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def _staff_pages(page, base, sid):
    """Visit every staff page, yielding a name for each once it is shown."""
    page.goto(f"{base}{STAFF}/login")
    yield "login"
    page.fill("#f-email", LONG_STAFF_EMAIL)
    page.fill("#f-password", "wrong password here")
    page.click("button[type=submit]")
    page.wait_for_selector(".ecitiz-error-summary")
    yield "login refused"
    page.fill("#f-email", LONG_STAFF_EMAIL)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{STAFF}/")
    yield "list"
    page.click(".ecitiz-chart-data summary")
    yield "list with its figures as a table"
    page.goto(f"{base}{STAFF}/?status=submitted&q=camille")
    yield "filtered list"
    page.goto(f"{base}{STAFF}/?from=not-a-date")
    yield "list with a refused filter"
    page.goto(f"{base}{STAFF}/?due=all&shares=email")
    yield "list by due date, sharing an address"
    page.goto(f"{base}{STAFF}/requests/{sid}")
    yield "request"
    page.click("form[action*='/assign']:has(input[value=me]) button")
    page.wait_for_selector(".ecitiz-notice")
    page.fill("#f-comment", LONG_WORD + "\n" + LONG_ORIGIN)
    page.click("form[action*='/comments'] button")
    page.wait_for_selector(".ecitiz-comments")
    yield "request assigned, with a comment"
    page.goto(f"{base}{STAFF}/?assignee=me")
    yield "list of my requests"
    page.goto(f"{base}{STAFF}/requests/{sid}/versions/1")
    yield "earlier version"
    page.goto(f"{base}{STAFF}/embed")
    page.wait_for_load_state("load")
    yield "embed"
    page.fill("#f-origin", "www." + "x" * 200)
    page.click("form[action$='/embed/origins'] button")
    page.wait_for_selector("[aria-invalid=true]")
    yield "embed with a refused address"
    page.goto(f"{base}{STAFF}/embed?heading=hidden&languages=hidden")
    yield "embed with options"
    page.goto(f"{base}{STAFF}/settings")
    yield "settings"
    page.fill("#f-tracking_page", LONG_ORIGIN + "/" + "suivi-des-demandes" * 8)
    page.fill("#f-contact_email", "x" * 80)
    page.fill("#f-primary", "#fff")
    page.click("form[action$='/settings'] button")
    page.wait_for_selector(".ecitiz-error-summary")
    yield "settings refused"
    page.fill("#f-contact_email", "accueil@" + "commune" * 9 + ".example.org")
    page.fill("#f-primary", "#7c2d12")
    page.click("form[action$='/settings'] button")
    page.wait_for_selector(".ecitiz-notice")
    yield "settings saved"
    page.goto(f"{base}{STAFF}/settings/deadlines")
    yield "decision periods"
    page.fill("#f-days-aid-request", "x" * 4)
    page.click("form[action$='/settings/deadlines'] button")
    page.wait_for_selector(".ecitiz-error-summary")
    yield "decision periods refused"
    page.goto(f"{base}{STAFF}/embed")
    page.wait_for_load_state("load")
    yield "embed with a long tracking page"
    page.goto(f"{base}{STAFF}/settings/api-tokens")
    page.fill("#f-name", "Logiciel de comptabilité " + "très-long-nom-" * 4)
    page.click("form[action$='/api-tokens'] button")
    page.wait_for_selector("#new-token")
    yield "api token made"
    page.fill("#f-name", "")
    page.click("form[action$='/api-tokens'] button")
    page.wait_for_selector(".ecitiz-error-summary")
    yield "api tokens refused"
    with mock.patch.dict(export_jobs.DIRECT_LIMITS, {export_jobs.ZIP: 0}):
        page.goto(f"{base}{STAFF}/requests.zip?q=camille")
    yield "large export offered"
    page.click("form[action$='/exports'] button")
    page.wait_for_selector("#export-progress")
    yield "export under way"
    page.goto(f"{base}{STAFF}/webhooks")
    yield "webhooks with a long failing endpoint"
    page.fill("#f-url", LONG_HOOK + "autre")
    page.click("form[novalidate][action*='/webhooks'] button")
    page.wait_for_selector("#new-secret")
    yield "webhook registered"
    page.fill("#f-url", "http://10.0.0.1/" + "x" * 150)
    page.click("form[novalidate][action*='/webhooks'] button")
    page.wait_for_selector(".ecitiz-error-summary")
    yield "webhooks refused"
    page.click("a[href*='/webhooks/']")
    page.wait_for_selector("#deliveries")
    yield "webhook deliveries"
    page.goto(f"{base}{STAFF}/account")
    yield "account"
    page.goto(f"{base}{STAFF}/password")
    yield "password"
    page.goto(f"{base}{STAFF}/requests/99999")
    yield "not found"
    page.goto(f"{base}{STAFF}/payments")
    yield "payments"
    page.goto(f"{base}{STAFF}/payments/account")
    page.fill("#f-name", "Commune de " + "Montgolfier" * 8)
    page.fill("#f-iban", "FR76" + "0" * 40)
    page.click("form[action$='/payments/account'] button")
    page.wait_for_selector(".ecitiz-error-summary")
    yield "payment account refused"
    page.fill("#f-name", "Commune de " + "Montgolfier" * 5)
    page.fill("#f-iban", "FR76 3000 6000 0112 3456 7890 189")
    page.fill("#f-bic", "AGRIFRPP")
    page.click("form[action$='/payments/account'] button")
    page.wait_for_selector(".ecitiz-notice")
    yield "payment account saved"
    page.goto(f"{base}{STAFF}/?status=accepted")
    page.locator(".ecitiz-pick-one").first.check()
    page.click("button[formaction$='/payments']")
    page.wait_for_selector("#transfers")
    yield "payment file"
    page.locator("#transfers tbody a").first.click()
    page.wait_for_selector(".ecitiz-summary")
    yield "accepted request in a payment file"
    page.go_back()
    page.click("form[action$='/paid'] button")
    page.wait_for_selector(".ecitiz-notice")
    yield "payment file paid"
    page.goto(f"{base}{STAFF}/payments")
    yield "payments with a file"
    page.goto(f"{base}{STAFF}/?lang=en")
    yield "list in English"


@pytest.mark.parametrize("width", [390, 640])
def test_no_staff_page_scrolls_sideways(browser, kit, long_request, axe, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    overflows = {}
    for name in _staff_pages(page, kit.url, long_request):
        overflows[name] = _overflow(page)
        no_violations(axe, page, f"{name} at {width} px")
    assert len(overflows) == 39
    assert {name: px for name, px in overflows.items() if px > 0} == {}
    context.close()


def test_the_request_list_becomes_cards_on_a_phone(browser, kit, long_request):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(f"{kit.url}{STAFF}/login?lang=en")
    page.fill("#f-email", LONG_STAFF_EMAIL)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{STAFF}/?lang=en")
    row = page.locator("#requests tbody tr").first
    # Every cell of the card is within the screen, the column names shown.
    for cell in row.locator("th, td").all():
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    labels = row.locator("td").evaluate_all(
        "cells => cells.filter(c => getComputedStyle(c, '::before').content"
        '.startsWith(`"${c.dataset.label}`)).map(c => c.dataset.label)'
    )
    assert labels == [
        "Applicant",
        "Form",
        "Status",
        "Received",
        "Assigned to",
        "Decision due",
    ]
    # The table is still a table for assistive technology.
    snapshot = page.locator("#requests").aria_snapshot()
    assert "columnheader" in snapshot and "rowheader" in snapshot
    context.close()
