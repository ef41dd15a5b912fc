"""The demo website in Chromium, as a visitor uses it: its counter page lists every
procedure, an applicant sends two requests with one address, asks for "my
requests", opens the e-mailed link and finds both; a procedure closed by its
dates refuses new requests and says when it was open; staff accept three aid
requests with granted amounts, pay them with one SEPA file and mark it paid."""

import os
import re
import xml.etree.ElementTree as ET
from email import message_from_bytes, policy

import pytest
from sepaxml.validation import try_valid_xml

import demo_site

from ..helpers import (
    LiveServer,
    aid_answers,
    appointment_answers,
    declaration_answers,
    fill_form,
    hidden_inputs,
    no_violations,
    with_file,
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


#: (holder, IBAN, BIC, amount requested, amount typed as granted, in the file)
PAYEES = [
    ("Boulangerie Durand", "FR1420041010050500013M02606", "BNPAFRPP", "5000",
     "4 500", "4500.00"),
    ("Salon Martin", "FR7630001007941234567890185", "BDFEFRPP", "1200,50",
     "1200,50", "1200.50"),
    ("Atelier Roux", "DE89370400440532013000", "COBADEFFXXX", "800", "300",
     "300.00"),
]  # fmt: skip


def _send_aid_request(client, holder, iban, bic, amount):
    """An aid request sent through the demo's kit; its reference and tracking
    token (from the receipt)."""
    url = f"/kit/f/{demo_site.ORG_SLUG}/aid-request"
    ticket = hidden_inputs(client.get(url).get_data(as_text=True))["ticket"]
    answers = aid_answers(
        iban=iban, bic=bic, account_holder=holder, amount_requested=amount
    )
    response = client.post(
        url,
        data={"ticket": ticket, **with_file(answers)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.status_code
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    reference = re.search(r"\bAID-[2-9A-Z]{4}-[2-9A-Z]{4}\b", receipt).group(0)
    token = re.search(r"#ecitiz=([^\"&]+)", receipt).group(1)
    return reference, token


def test_staff_pay_three_accepted_aid_requests_with_a_sepa_file(browser, demo, axe):
    client = demo.app.test_client()
    sent = [_send_aid_request(client, *payee[:4]) for payee in PAYEES]
    email, password = demo_site.admin_login(demo.app)
    page = browser.new_page()
    page.goto(f"{demo.url}/kit/staff/login")
    page.fill("#f-email", email)
    page.fill("#f-password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/kit/staff/")
    store = demo.app.extensions["ecitiz"].store
    for (reference, _token), payee in zip(sent, PAYEES, strict=True):
        sid = store.submission_by_reference(reference)["id"]
        page.goto(f"{demo.url}/kit/staff/requests/{sid}")
        page.click("form:has(input[name=to_status][value=in_review]) button")
        page.wait_for_selector("#f-granted_amount")
        no_violations(axe, page, "a request to accept, with its amount")
        page.fill("#f-granted_amount", payee[4])
        page.click("form:has(input[name=to_status][value=accepted]) button")
        page.wait_for_selector(".ecitiz-notice")

    page.goto(f"{demo.url}/kit/staff/?status=accepted")
    for reference, _token in sent:
        sid = store.submission_by_reference(reference)["id"]
        page.check(f"#pick-{sid}")
    page.click("button[formaction$='/payments']")
    page.wait_for_selector("#transfers")
    no_violations(axe, page, "a payment file")
    with page.expect_download() as download:
        page.click("a[href$='/transfers.xml']")
    with open(download.value.path(), "rb") as fp:
        xml = fp.read()
    try_valid_xml(xml, "pain.001.001.03")  # sepaxml's own schema check
    root = ET.fromstring(xml)
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
    transfers = sorted(
        (
            tx.findtext("p:PmtId/p:EndToEndId", namespaces=ns),
            tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=ns),
            tx.findtext("p:CdtrAgt/p:FinInstnId/p:BIC", namespaces=ns),
            tx.findtext("p:Amt/p:InstdAmt", namespaces=ns),
        )
        for tx in root.iter(f"{{{ns['p']}}}CdtTrfTxInf")
    )
    assert transfers == sorted(
        (reference, payee[1], payee[2], payee[5])
        for (reference, _token), payee in zip(sent, PAYEES, strict=True)
    )
    assert (
        root.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=ns)
        == (demo_site.DEBTOR_ACCOUNT[1])
    )

    page.click("form[action$='/paid'] button")
    page.wait_for_selector(".ecitiz-notice")
    no_violations(axe, page, "a payment file marked paid")
    page.goto(f"{demo.url}/kit/staff/payments?lang=en")
    no_violations(axe, page, "the payments, in English")
    for _reference, token in sent:
        page.goto(f"{demo.url}/kit/s/{token}?lang=fr")
        assert "Payée" in page.locator(".ecitiz-status").inner_text()
        assert "Montant accordé" in page.locator("main").inner_text()
    no_violations(axe, page, "the tracking page of a paid request")
