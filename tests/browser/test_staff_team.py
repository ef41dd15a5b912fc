"""The team, audit and invitation pages in a real browser: no WCAG 2 A/AA
violation (axe) at desktop width, on a phone (390 CSS px) and at 200 % zoom
(640 CSS px), no sideways scrolling with long addresses, and inviting a
colleague, joining and stopping their access with the keyboard alone."""

import re

import pytest

from ..helpers import (
    PASSWORD,
    STAFF,
    add_staff,
    no_violations,
)

pytestmark = pytest.mark.browser

LONG_ADMIN = "responsable." + "service-des-aides-" * 4 + "@acme.example"
LONG_AGENT = "instructrice." + "guichet-unique-" * 5 + "@acme.example"
LONG_INVITED = "stagiaire.rh@" + "ressources-humaines." * 4 + "acme.example"
TEAM = f"{STAFF}/settings/team"
AUDIT = f"{STAFF}/settings/audit"
#: The request list, in whatever language the page was asked for.
LIST = re.compile(rf".*{STAFF}/(\?.*)?$")


@pytest.fixture
def team_world(app, store):
    """An admin and an agent with long addresses, and a long audit log."""
    add_staff(app, email=LONG_ADMIN)
    agent = add_staff(app, email=LONG_AGENT)
    store.set_staff_role(agent["id"], "agent")
    acme = store.organisation("acme")["id"]
    for n in range(110):
        store.record_audit(
            acme, "file.download", actor=LONG_AGENT, subject=f"AID-{n:04d}",
            detail={"file": "justificatif_" + "chiffre_affaires" * 6 + ".pdf"},
            address="2001:db8:85a3:8d3:1319:8a2e:370:7348",
        )  # fmt: skip
    return agent


def _overflow(page):
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def _sign_in(page, base, email, password=PASSWORD):
    page.goto(f"{base}{STAFF}/login")
    page.fill("#f-email", email)
    page.fill("#f-password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{STAFF}/**")


def _invitation_link(store):
    [message] = [m for m in store.outbox_messages() if m["kind"] == "invitation"]
    [link] = re.findall(r"https?://\S+/invitation/\S+", message["body_text"])
    return link


def _pages(page, base, store):
    """Visit each page of the team, the log and joining; yield a name for each."""
    _sign_in(page, base, LONG_ADMIN)
    page.goto(f"{base}{STAFF}/settings")
    yield "settings with the team and log links"
    page.goto(f"{base}{TEAM}")
    yield "team"
    page.fill("#f-email", "pas-une-adresse")
    page.click("form[action$='/invitations'] button")
    page.wait_for_selector(".ecitiz-error-summary")
    yield "team with a refused address"
    page.fill("#f-email", LONG_INVITED)
    page.check("#f-role-admin")
    page.click("form[action$='/invitations'] button")
    page.wait_for_selector(".ecitiz-notice")
    yield "team with an invitation sent"
    admin = store.staff_by_email(LONG_ADMIN)
    page.click(f"form[action$='/team/{admin['id']}/stop'] button")
    page.wait_for_selector(".ecitiz-error-summary")
    yield "team refusing to stop the last admin"
    page.goto(f"{base}{AUDIT}")
    yield "audit log"
    page.select_option("#filter-action", "file.download")
    page.click("form[role=search] button")
    page.wait_for_url("**action=file.download**")
    yield "audit log filtered"
    page.click("a[rel=next]")
    page.wait_for_url("**before=**")
    yield "audit log, older entries"
    link = _invitation_link(store)
    page.context.clear_cookies()
    page.goto(link)
    yield "joining"
    page.fill("#f-new", "court")
    page.click("form button[type=submit]")
    page.wait_for_selector(".ecitiz-error-summary")
    yield "joining with a refused password"
    page.fill("#f-new", "un mot de passe assez long")
    page.fill("#f-confirm", "un mot de passe assez long")
    page.click("form button[type=submit]")
    page.wait_for_url(LIST)
    yield "the new admin's list"
    page.goto(link)
    yield "an invitation link no longer valid"
    page.context.clear_cookies()
    _sign_in(page, base, LONG_AGENT)
    page.goto(f"{base}{TEAM}")
    yield "an agent refused the team page"


@pytest.mark.parametrize("width", [1280, 390, 640])
def test_team_and_log_pages_pass_axe_at_every_width(
    browser, kit, team_world, axe, store, width
):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    overflows = {}
    for name in _pages(page, kit.url, store):
        overflows[name] = _overflow(page)
        no_violations(axe, page, f"{name} at {width} px")
    assert len(overflows) == 13
    assert {name: px for name, px in overflows.items() if px > 0} == {}
    context.close()


def _focused(page):
    return page.evaluate(
        "(() => { const e = document.activeElement;"
        " return [e.tagName, e.id, e.getAttribute('href'), e.textContent.trim(),"
        " e.getAttribute('aria-label')]; })()"
    )


def _tab_to(page, predicate, limit=80):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if predicate(_focused(page)):
            return
    raise AssertionError(f"never reached by Tab; last focus {_focused(page)}")


def test_invite_join_and_stop_with_the_keyboard_alone(browser, kit, team_world, store):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    _sign_in(page, kit.url, LONG_ADMIN)
    _tab_to(page, lambda f: f[3] == "Settings")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{STAFF}/settings")
    _tab_to(page, lambda f: f[3] == "Team")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{TEAM}")
    _tab_to(page, lambda f: f[1] == "f-email")
    page.keyboard.type("camille@acme.example")
    _tab_to(page, lambda f: f[1] == "f-role-agent")
    page.keyboard.press("ArrowDown")  # the radio group: agent, then admin
    assert _focused(page)[1] == "f-role-admin"
    _tab_to(page, lambda f: f[0] == "BUTTON" and f[3] == "Send the invitation")
    page.keyboard.press("Enter")
    page.wait_for_selector(".ecitiz-notice")
    link = _invitation_link(store)

    joining = browser.new_context(locale="en-GB")
    newcomer = joining.new_page()
    newcomer.goto(link)
    _tab_to(newcomer, lambda f: f[1] == "f-new")
    newcomer.keyboard.type("a long enough password")
    newcomer.keyboard.press("Tab")
    assert _focused(newcomer)[1] == "f-confirm"
    newcomer.keyboard.type("a long enough password")
    newcomer.keyboard.press("Enter")
    newcomer.wait_for_url(LIST)
    assert store.staff_by_email("camille@acme.example")["role"] == "admin"

    page.reload()
    _tab_to(
        page,
        lambda f: (
            f[0] == "BUTTON" and f[4] == "Stop the access of camille@acme.example"
        ),
    )
    page.keyboard.press("Enter")
    page.wait_for_selector(".ecitiz-notice")
    assert store.staff_by_email("camille@acme.example")["active"] == 0
    newcomer.reload()
    newcomer.wait_for_url(f"**{STAFF}/login**")  # signed out at once
    joining.close()
    context.close()
