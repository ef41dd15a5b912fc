"""The demo website in Chromium, as a visitor uses it: its counter page lists every
procedure, an applicant sends two requests with one address, asks for "my
requests", opens the e-mailed link and finds both; a procedure closed by its
dates refuses new requests and says when it was open."""

import os
import re
from email import message_from_bytes, policy

import pytest

import demo_site

from ..helpers import (
    LiveServer,
    appointment_answers,
    declaration_answers,
    fill_form,
    no_violations,
)

pytestmark = pytest.mark.browser

ADDRESS = "elodie@example.org"


@pytest.fixture
def demo(tmp_path, monkeypatch):
    """The demo site, served on a free port, its data in a fresh folder."""
    for name in [n for n in os.environ if n.startswith("ECITIZ_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ECITIZ_DATA_DIR", str(tmp_path / "demo"))
    app = demo_site.create_app()
    server = LiveServer(app, "127.0.0.1")
    with app.app_context():
        store = app.extensions["ecitiz"].store
        organisation = store.organisation(demo_site.ORG_SLUG)
        store.add_allowed_origin(organisation["id"], server.url)
    app.config["ECITIZ_PUBLIC_URL"] = server.url
    server.app = app
    yield server
    server.stop()


def _counter_frame(page, demo):
    page.goto(f"{demo.url}/demarches")
    iframe = "[data-ecitiz-counter] iframe"
    page.frame_locator(iframe).locator(".ecitiz-procedures").wait_for()
    return page.locator(iframe).element_handle().content_frame()


def _start(page, demo, form_id, answers):
    frame = _counter_frame(page, demo)
    frame.click(f"a[href*='/kit/f/{demo_site.ORG_SLUG}/{form_id}']")
    frame.wait_for_url(f"**/{form_id}?**")
    fill_form(frame, form_id, answers)
    frame.click("button[type=submit]")
    frame.wait_for_url("**/kit/r/**")
    return frame.locator(".ecitiz-reference").first.inner_text()


def _mailed_links(demo):
    """Every link to a "my requests" list in the e-mails the demo wrote."""
    result = demo.app.test_cli_runner().invoke(args=["ecitiz", "send-mail"])
    assert result.exit_code == 0, result.output
    links = []
    for path in sorted(demo_site.mail_dir(demo.app).glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        body = message.get_body(("plain",)).get_content()
        links += re.findall(rf"{re.escape(demo.url)}/kit/my/\S+", body)
    return links


def test_an_applicant_finds_both_requests_from_the_counter(browser, demo, axe):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    frame = _counter_frame(page, demo)
    no_violations(axe, page, "the demo's counter page")
    titles = frame.locator(".ecitiz-procedure h2").all_inner_texts()
    assert len(titles) == len(demo_site.FORMS) >= 5

    first = _start(page, demo, "adviser-appointment", appointment_answers())
    # The same person, typing their address differently the second time.
    second = _start(
        page,
        demo,
        "activity-declaration",
        declaration_answers(email=" Elodie@Example.org"),
    )
    assert first.startswith("RDV-") and second.startswith("ACT-")

    frame = _counter_frame(page, demo)
    frame.fill("#f-my-requests-email", ADDRESS)
    frame.click("#my-requests button[type=submit]")
    frame.locator(".ecitiz-panel[role=status]").wait_for()

    [link] = _mailed_links(demo)
    page.goto(link)
    listing = page.locator("main").inner_text()
    assert first in listing and second in listing
    # Each with its status in plain words.
    assert listing.count("Reçue") + listing.count("Received") >= 2, listing
    no_violations(axe, page, "the demo's list of my requests")


def test_a_closed_procedure_refuses_requests_with_its_dates(browser, demo):
    runner = demo.app.test_cli_runner()
    result = runner.invoke(
        args=[
            "ecitiz",
            "schedule",
            demo_site.ORG_SLUG,
            "payment-deferral",
            "--opens",
            "2020-03-16T09:00",
            "--closes",
            "2020-06-30T18:00",
        ]
    )
    assert result.exit_code == 0, result.output
    listed = runner.invoke(args=["ecitiz", "list-forms"])
    for form_id in demo_site.FORMS:
        assert form_id in listed.output

    page = browser.new_page()
    frame = _counter_frame(page, demo)
    closed = frame.locator(".ecitiz-procedure--closed")
    assert "30 juin 2020" in closed.inner_text()
    assert closed.locator("a[href*='/payment-deferral']").count() == 0
    page.goto(f"{demo.url}/kit/f/{demo_site.ORG_SLUG}/payment-deferral?lang=fr")
    assert "a fermé le 30 juin 2020, 18:00" in page.locator("main").inner_text()
    assert page.locator("form[method=post] button[type=submit]").count() == 0
