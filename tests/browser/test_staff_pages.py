"""The dashboard in a real browser: axe-core finds no WCAG 2 A/AA violation on any
staff page, and the main tasks work with the keyboard alone."""

import pytest

from ..helpers import (
    PASSWORD,
    PDF,
    STAFF,
    STAFF_EMAIL,
    WCAG,
    add_staff,
    aid_answers,
    no_violations,
    post_form,
    stored_requests,
    with_file,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def world(app, client, store):
    """A staff account and one request with a file."""
    add_staff(app)
    assert post_form(client, with_file(aid_answers())).status_code == 303
    [row] = stored_requests(store)
    return row["id"]


def test_axe_reports_what_it_should(browser, axe):
    """The checker itself works offline here: an unlabelled field is a violation."""
    page = browser.new_page()
    page.set_content(
        '<!doctype html><html lang="en"><title>t</title><main>'
        '<input type="text"></main></html>'
    )
    results = axe.run(page, options=WCAG)
    assert "label" in {v["id"] for v in results.response["violations"]}
    page.close()


def _sign_in(page, base):
    page.goto(base + f"{STAFF}/login")
    page.fill("#f-email", STAFF_EMAIL)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{STAFF}/")


def test_every_staff_page_passes_axe(browser, kit, world, axe, store):
    context = browser.new_context()
    page = context.new_page()
    base = kit.url
    page.goto(base + f"{STAFF}/login")
    no_violations(axe, page, "login")
    page.fill("#f-email", STAFF_EMAIL)
    page.fill("#f-password", "wrong password here")
    page.click("button[type=submit]")
    page.wait_for_selector(".ecitiz-error-summary")
    no_violations(axe, page, "login refused")
    _sign_in(page, base)
    no_violations(axe, page, "list")

    sid = world
    page.goto(base + f"{STAFF}/requests/{sid}")
    no_violations(axe, page, "detail")
    # An error state: a public message that is too long.
    page.fill("#f-public_message-in_review", "x" * 2001)
    page.evaluate(
        "document.querySelectorAll('textarea')"
        ".forEach(t => t.removeAttribute('maxlength'))"
    )
    page.fill("#f-public_message-in_review", "x" * 2001)
    page.click("#f-public_message-in_review >> xpath=ancestor::form//button")
    page.wait_for_selector("[aria-invalid=true]")
    no_violations(axe, page, "detail with an error")

    # Send back, amend through the store, then the version page.
    store.change_status(sid, expected="submitted", to_status="in_review", actor="t")
    store.change_status(
        sid, expected="in_review", to_status="submitted", actor="t",
        public_message="Précisez.",
    )  # fmt: skip
    answers = store.submission(sid)["answers"] | {"town": "Lyon"}
    store.amend_submission(
        sid, answers=answers, form_version=1, nonce="browser-nonce",
        attachments=[], replaced_fields=[],
    )  # fmt: skip
    page.goto(base + f"{STAFF}/requests/{sid}")
    no_violations(axe, page, "detail with history")
    page.click("form[action*='/assign']:has(input[value=me]) button")
    page.wait_for_selector(".ecitiz-notice")
    no_violations(axe, page, "detail assigned")
    page.evaluate("document.querySelector('#f-comment').removeAttribute('maxlength')")
    page.fill("#f-comment", "x" * 2001)
    page.click("form[action*='/comments'] button")
    page.wait_for_selector("#f-comment[aria-invalid=true]")
    no_violations(axe, page, "comment refused")
    page.fill("#f-comment", "Kbis à vérifier.")
    page.click("form[action*='/comments'] button")
    page.wait_for_selector(".ecitiz-comments")
    no_violations(axe, page, "detail with a comment")
    page.goto(base + f"{STAFF}/requests/{sid}?lang=en")
    no_violations(axe, page, "detail assigned, in English")
    page.goto(base + f"{STAFF}/?assignee=me")
    no_violations(axe, page, "list of my requests")
    page.goto(base + f"{STAFF}/requests/{sid}/next?lang=en")
    page.wait_for_selector("#end-of-list")
    no_violations(axe, page, "end of the list, in English")
    page.goto(base + f"{STAFF}/requests/{sid}/versions/1")
    no_violations(axe, page, "earlier version")

    page.goto(base + f"{STAFF}/embed")
    page.wait_for_load_state("load")
    no_violations(axe, page, "embed")
    page.fill("#f-origin", "www.example.org")
    page.click("form[action$='/embed/origins'] button")
    page.wait_for_selector("[aria-invalid=true]")
    no_violations(axe, page, "embed with a refused address")

    page.check("#option-heading")
    page.click("form[method=get] button")
    page.wait_for_url("**heading=hidden**")
    no_violations(axe, page, "embed with options")

    page.goto(base + f"{STAFF}/settings")
    no_violations(axe, page, "settings")
    page.fill("#f-primary", "#fff")
    page.fill("#f-radius", "25")
    page.fill("#f-tracking_page", "javascript:alert(1)")
    page.click("form[action$='/settings'] button")
    page.wait_for_selector(".ecitiz-error-summary")
    no_violations(axe, page, "settings refused")
    page.fill("#f-primary", "#7c2d12")
    page.fill("#f-radius", "4")
    page.fill("#f-tracking_page", "")
    page.click("form[action$='/settings'] button")
    page.wait_for_selector(".ecitiz-notice")
    no_violations(axe, page, "settings saved")

    page.goto(base + f"{STAFF}/settings/api-tokens")
    no_violations(axe, page, "api tokens")
    page.click("form[action$='/api-tokens'] button")
    page.wait_for_selector(".ecitiz-error-summary")
    no_violations(axe, page, "api tokens refused")
    page.fill("#f-name", "Comptabilité")
    page.click("form[action$='/api-tokens'] button")
    page.wait_for_selector("#new-token")
    no_violations(axe, page, "api token made")
    page.click("form[action$='/revoke'] button")
    page.wait_for_url("**revoked=**")
    no_violations(axe, page, "api token revoked")

    page.goto(base + f"{STAFF}/account")
    no_violations(axe, page, "account")
    page.check("#f-notify")
    page.click("form[action$='/account'] button")
    page.wait_for_selector(".ecitiz-notice")
    no_violations(axe, page, "account saved")

    page.goto(base + f"{STAFF}/password")
    no_violations(axe, page, "password")
    page.goto(base + f"{STAFF}/requests/99999")
    no_violations(axe, page, "not found")
    page.goto(base + f"{STAFF}/?lang=en")
    no_violations(axe, page, "list in English")
    context.close()


def _focused(page):
    return page.evaluate(
        "(() => { const e = document.activeElement;"
        " return [e.tagName, e.id, e.getAttribute('href'), e.textContent.trim()]; })()"
    )


def _tab_to(page, predicate, limit=60):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if predicate(_focused(page)):
            return
    raise AssertionError(f"never reached by Tab; last focus {_focused(page)}")


def test_sign_in_and_start_a_review_with_the_keyboard_alone(browser, kit, world, store):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(kit.url + f"{STAFF}/login")
    page.keyboard.press("Tab")
    assert _focused(page)[2] == "#main"  # the skip link comes first
    page.keyboard.press("Enter")
    _tab_to(page, lambda f: f[1] == "f-email")
    page.keyboard.type(STAFF_EMAIL)
    page.keyboard.press("Tab")
    assert _focused(page)[1] == "f-password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{STAFF}/")

    reference = store.submission(world)["reference"]
    _tab_to(page, lambda f: f[3] == reference)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/requests/{world}")

    _tab_to(page, lambda f: f[1] == "f-public_message-in_review")
    page.keyboard.type("Nous examinons votre demande.")
    _tab_to(page, lambda f: f[0] == "BUTTON")
    assert _focused(page)[3] == "Commencer l’instruction"
    page.keyboard.press("Enter")
    page.wait_for_selector(".ecitiz-notice")
    assert store.submission(world)["status"] == "in_review"
    assert store.events(world)[-1]["public_message"] == "Nous examinons votre demande."

    # Signing out is reachable too.
    _tab_to(page, lambda f: f[3] == "Se déconnecter")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{STAFF}/login")
    context.close()


def test_take_comment_decide_and_go_on_with_the_keyboard_alone(
    browser, kit, world, store, client
):
    assert post_form(client, with_file(aid_answers())).status_code == 303
    newest = max(row["id"] for row in stored_requests(store))
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    _sign_in(page, kit.url)
    page.goto(kit.url + f"{STAFF}/?status=submitted")
    reference = store.submission(newest)["reference"]
    _tab_to(page, lambda f: f[3] == reference)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/requests/{newest}?status=submitted")

    _tab_to(page, lambda f: f[3] == "Me l’attribuer")
    page.keyboard.press("Enter")
    page.wait_for_selector(".ecitiz-notice")
    assert store.submission(newest)["assigned_to"] is not None
    _tab_to(page, lambda f: f[1] == "f-comment", limit=120)
    page.keyboard.type("Kbis vérifié.")
    page.keyboard.press("Tab")
    assert _focused(page)[3] == "Ajouter le commentaire"
    page.keyboard.press("Enter")
    page.wait_for_selector(".ecitiz-comments")
    assert store.comments(newest)[0]["body"] == "Kbis vérifié."

    page.goto(kit.url + f"{STAFF}/requests/{newest}?status=submitted")
    _tab_to(page, lambda f: f[0] == "BUTTON" and f[3] == "Commencer l’instruction")
    page.keyboard.press("Enter")
    page.wait_for_selector(".ecitiz-notice")
    _tab_to(page, lambda f: f[3] == "Demande suivante")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/requests/{world}?status=submitted")
    context.close()


def test_settings_and_account_work_with_the_keyboard_alone(browser, kit, world, store):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    _sign_in(page, kit.url)
    _tab_to(page, lambda f: f[3] == "Settings")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{STAFF}/settings")
    _tab_to(page, lambda f: f[1] == "f-primary")
    page.keyboard.type("#fff")
    _tab_to(page, lambda f: f[1] == "f-font")
    page.keyboard.press("ArrowDown")  # the first font after "the kit's default"
    _tab_to(page, lambda f: f[0] == "BUTTON" and f[3] == "Save the settings")
    page.keyboard.press("Enter")
    page.wait_for_selector(".ecitiz-error-summary")
    # The summary's link takes the focus to the refused field.
    _tab_to(page, lambda f: f[2] == "#f-primary")
    page.keyboard.press("Enter")
    assert _focused(page)[1] == "f-primary"
    page.keyboard.press("Control+A")
    page.keyboard.type("#7c2d12")
    _tab_to(page, lambda f: f[0] == "BUTTON" and f[3] == "Save the settings")
    page.keyboard.press("Enter")
    page.wait_for_selector(".ecitiz-notice")
    organisation = store.organisation("acme")
    assert organisation["theme_primary"] == "#7c2d12"
    assert organisation["theme_font"] == "system"

    _tab_to(page, lambda f: f[3] == "My account")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{STAFF}/account")
    _tab_to(page, lambda f: f[1] == "f-notify")
    page.keyboard.press("Space")
    _tab_to(page, lambda f: f[0] == "BUTTON" and f[3] == "Save")
    page.keyboard.press("Enter")
    page.wait_for_selector(".ecitiz-notice")
    assert store.staff_to_notify(organisation["id"]) == [STAFF_EMAIL]
    context.close()


def test_api_tokens_work_with_the_keyboard_alone(browser, kit, world, store):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    _sign_in(page, kit.url)
    page.goto(kit.url + f"{STAFF}/settings")
    _tab_to(page, lambda f: f[3] == "Manage the API tokens")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{STAFF}/settings/api-tokens")
    _tab_to(page, lambda f: f[1] == "f-name")
    page.keyboard.type("Accounting")
    _tab_to(page, lambda f: f[0] == "BUTTON" and f[3] == "Make the token")
    page.keyboard.press("Enter")
    page.wait_for_selector("#new-token")
    organisation_id = store.organisation("acme")["id"]
    [token] = store.api_tokens(organisation_id)
    assert token["name"] == "Accounting"
    _tab_to(page, lambda f: f[0] == "BUTTON" and f[3] == "Revoke")
    page.keyboard.press("Enter")
    page.wait_for_url("**revoked=**")
    assert store.api_tokens(organisation_id)[0]["revoked_at"] is not None
    context.close()


def test_staff_pages_cannot_be_framed(browser, kit, world):
    page = browser.new_page()
    page.set_content(
        f'<iframe src="{kit.url}{STAFF}/login" title="x"></iframe>', wait_until="load"
    )
    page.wait_for_timeout(300)
    assert len(page.frames) == 2
    assert all(frame.locator("#f-password").count() == 0 for frame in page.frames)
    page.close()


def test_attachment_download_is_a_download(browser, kit, world, store):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    _sign_in(page, kit.url)
    [attachment] = store.attachments(world)
    page.goto(kit.url + f"{STAFF}/requests/{world}")
    with page.expect_download() as download:
        page.click(f"a[href$='/files/{attachment['id']}']")
    assert download.value.suggested_filename == "justificatif.pdf"
    with open(download.value.path(), "rb") as fp:
        assert fp.read() == PDF
    context.close()


def test_amend_pages_pass_axe(browser, kit, world, axe, store, app):
    """The applicant's side of a send-back: the tracking page offering changes,
    the prefilled form, and the form with an error."""
    from ecitiz_kit.state import state

    sid = world
    store.change_status(sid, expected="submitted", to_status="in_review", actor="t")
    store.change_status(
        sid, expected="in_review", to_status="submitted", actor="t",
        public_message="Le justificatif est illisible.",
    )  # fmt: skip
    with app.test_request_context():
        public_id = store.submission(sid)["public_id"]
        token = state(app).tokens(app.config).status_link(public_id, 1)
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(kit.url + f"/ecitiz/s/{token}")
    no_violations(axe, page, "tracking page, sent back")
    page.click("text=Modifier ma demande")
    page.wait_for_url("**/amend**")
    no_violations(axe, page, "amend form")
    page.fill("#f-siret", "123")
    page.fill("#f-iban", "FR1420041010050500013M02606")
    page.evaluate(
        "document.querySelectorAll('[pattern]')"
        ".forEach(e => e.removeAttribute('pattern'))"
    )
    page.click("button[type=submit]")
    page.wait_for_selector(".ecitiz-error-summary")
    no_violations(axe, page, "amend form with an error")
    assert context.cookies() == []
    context.close()


def test_accept_with_an_amount_and_pay_it_with_the_keyboard_alone(
    browser, kit, world, store, axe
):
    store.change_status(world, expected="submitted", to_status="in_review", actor="t")
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    _sign_in(page, kit.url)
    page.goto(kit.url + f"{STAFF}/payments")
    _tab_to(page, lambda f: f[3] == "Change the account paid from")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{STAFF}/payments/account")
    no_violations(axe, page, "the account paid from, in English")
    _tab_to(page, lambda f: f[1] == "f-name")
    page.keyboard.type("ACME Entraide")
    page.keyboard.press("Tab")
    page.keyboard.type("FR76 3000 6000 0112 3456 7890 189")
    page.keyboard.press("Tab")
    page.keyboard.type("AGRIFRPP")
    page.keyboard.press("Enter")
    page.wait_for_selector(".ecitiz-notice")
    assert store.organisation("acme")["debtor_bic"] == "AGRIFRPP"

    page.goto(kit.url + f"{STAFF}/requests/{world}")
    _tab_to(page, lambda f: f[1] == "f-granted_amount")
    page.keyboard.press("Control+A")
    page.keyboard.type("4 200")
    _tab_to(page, lambda f: f[0] == "BUTTON" and f[3] == "Accept")
    page.keyboard.press("Enter")
    page.wait_for_selector(".ecitiz-notice")
    assert store.submission(world)["granted_cents"] == 420000

    page.goto(kit.url + f"{STAFF}/?status=accepted")
    _tab_to(page, lambda f: f[1] == f"pick-{world}")
    page.keyboard.press("Space")
    _tab_to(page, lambda f: f[0] == "BUTTON" and f[3] == "Prepare a payment file")
    page.keyboard.press("Enter")
    page.wait_for_selector("#transfers")
    no_violations(axe, page, "a payment file, in English")
    _tab_to(page, lambda f: f[0] == "BUTTON" and f[3] == "Mark the file paid")
    page.keyboard.press("Enter")
    page.wait_for_selector(".ecitiz-notice")
    assert store.submission(world)["status"] == "paid"
    context.close()
