"""A crisis week in the demo, from the dashboard alone: an admin invites an agent
through the e-mailed link, the agent takes fifty aid requests with "assign to
me", accepts forty in one bulk action with a message and sends ten back for
changes; the applicants' tracking pages and e-mails say so; an overdue payment
deferral is accepted by the worker ("silence vaut accord"); the audit log holds
every step."""

import csv
import io
import os
import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from markupsafe import escape

import demo_site
from ecitiz_kit.cli import deadlines as worker_pass
from ecitiz_kit.i18n import today

from .helpers import aid_answers, deferral_answers, hidden_inputs, with_file

KIT = "/kit"
STAFF = f"{KIT}/staff"
AGENT = "lea.martin@val-fleuri.example"
AGENT_PASSWORD = "a long and private passphrase"
ACCEPTED_MESSAGE = "Votre aide est accordée : le virement part cette semaine."
SEND_BACK_MESSAGE = "Joignez un relevé d'identité bancaire lisible, s'il vous plaît."
APPLICANTS = 50


@pytest.fixture
def demo(tmp_path, monkeypatch):
    """The demo site with its data in a fresh folder, as a newcomer starts it."""
    for name in [n for n in os.environ if n.startswith("ECITIZ_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ECITIZ_DATA_DIR", str(tmp_path / "demo"))
    return demo_site.create_app()


def _apply(app, form_id, answers, number):
    """An applicant sends a request through the public form; its reference and
    tracking token (from the receipt's link to the site's tracking page)."""
    client = app.test_client()
    environ = {"REMOTE_ADDR": f"192.0.2.{number}"}  # one person, one address
    url = f"{KIT}/f/{demo_site.ORG_SLUG}/{form_id}"
    ticket = hidden_inputs(client.get(url, environ_base=environ).text)["ticket"]
    response = client.post(
        url,
        data={"ticket": ticket, **answers},
        content_type="multipart/form-data",
        environ_base=environ,
    )
    assert response.status_code == 303, response.text[:2000]
    receipt = client.get(response.headers["Location"]).text
    reference = re.search(r"\b[A-Z]{3}-[2-9A-Z]{4}-[2-9A-Z]{4}\b", receipt).group(0)
    token = re.search(r"/suivi#ecitiz=([\w.-]+)", receipt).group(1)
    return reference, token


def _sign_in(client, email, password):
    page = client.get(f"{STAFF}/login")
    response = client.post(
        f"{STAFF}/login",
        data={
            "csrf_token": hidden_inputs(page.text)["csrf_token"],
            "email": email,
            "password": password,
        },
    )
    assert response.status_code == 303, response.text[:2000]


def _worker_pass(app):
    """One pass of ``ecitiz worker``: jobs, deadline rules, documents, e-mail."""
    result = app.test_cli_runner().invoke(args=["ecitiz", "send-mail"])
    assert result.exit_code == 0, result.output


def _mails(app):
    """Every e-mail the demo wrote: (recipient, subject, plain text)."""
    found = []
    for path in sorted(demo_site.mail_dir(app).glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        body = message.get_body(("plain",)).get_content()
        found.append((message["To"], message["Subject"], body))
    return found


def _outcome(result_page):
    """A bulk action's result as its page says it: (moved, left alone)."""
    found = re.search(r"(\d+) traitées, (\d+) laissées de côté", result_page)
    return int(found.group(1)), int(found.group(2))


def _bulk(client, query, action, ids=(), message="", select_all=False):
    """Post the list's bulk form as the page gives it; the result page."""
    html = client.get(f"{STAFF}/?{query}").text
    form = html[html.index('id="bulk"') :]
    data = hidden_inputs(form[: form.index("</form>")])
    data.update(action=action, public_message=message, private_note="")
    if select_all:
        data["all"] = "1"
    data["id"] = [str(i) for i in ids]
    response = client.post(f"{STAFF}/bulk", data=data)
    assert response.status_code == 303, response.text[:2000]
    return client.get(response.headers["Location"]).text


def test_a_crisis_week_handled_from_the_dashboard(demo, monkeypatch):
    app = demo
    store = app.extensions["ecitiz"].store
    organisation = store.organisation(demo_site.ORG_SLUG)

    # -- the admin invites an agent; the link arrives by e-mail ----------------------
    admin = app.test_client()
    _sign_in(admin, *demo_site.admin_login(app))
    team_page = admin.get(f"{STAFF}/settings/team").text
    response = admin.post(
        f"{STAFF}/settings/team/invitations",
        data={
            "csrf_token": hidden_inputs(team_page)["csrf_token"],
            "email": AGENT,
            "role": "agent",
        },
    )
    assert response.status_code == 303, response.text[:2000]
    _worker_pass(app)
    [invitation] = [body for to, _s, body in _mails(app) if to == AGENT]
    link = re.search(r"https?://\S+/kit/staff/invitation/\S+", invitation).group(0)
    joining = app.test_client()
    path = link.split("://", 1)[1].partition("/")[2]
    page = joining.get(f"/{path}")
    assert page.status_code == 200
    response = joining.post(
        f"/{path}",
        data={
            "csrf_token": hidden_inputs(page.text)["csrf_token"],
            "new": AGENT_PASSWORD,
            "confirm": AGENT_PASSWORD,
        },
    )
    assert response.status_code == 303, response.text[:2000]
    # The link is spent: a second use gets the page for links that do not work.
    assert app.test_client().get(f"/{path}").status_code == 404

    # -- fifty businesses ask for aid, one person asks for a payment deferral --------
    sent = [
        _apply(
            app,
            "aid-request",
            with_file(aid_answers(email=f"applicant{n}@example.org")),
            n,
        )
        for n in range(1, APPLICANTS + 1)
    ]
    deferral, deferral_token = _apply(app, "payment-deferral", deferral_answers(), 99)

    # -- the agent signs in and takes the fifty aid requests -------------------------
    agent = app.test_client()
    _sign_in(agent, AGENT, AGENT_PASSWORD)
    result = _bulk(
        agent,
        "form=aid-request&assignee=none",
        "assign:me",
        select_all=True,
    )
    assert _outcome(result) == (APPLICANTS, 0)
    mine = store.request_page(
        organisation["id"],
        limit=100,
        form_id="aid-request",
        assigned_to=store.staff_by_email(AGENT)["id"],
    )
    assert len(mine) == APPLICANTS
    # Their review starts (all of them at once), then forty are accepted with a
    # message and ten sent back for changes.
    result = _bulk(
        agent, "form=aid-request&assignee=me", "status:in_review", select_all=True
    )
    assert _outcome(result) == (APPLICANTS, 0)
    ids = {row["reference"]: row["id"] for row in mine}
    accepted = [reference for reference, _token in sent[:40]]
    sent_back = [reference for reference, _token in sent[40:]]
    result = _bulk(
        agent,
        "form=aid-request&assignee=me&status=in_review",
        "status:accepted",
        ids=[ids[r] for r in accepted],
        message=ACCEPTED_MESSAGE,
    )
    assert _outcome(result) == (40, 0)
    result = _bulk(
        agent,
        "form=aid-request&assignee=me&status=in_review",
        "status:submitted",
        ids=[ids[r] for r in sent_back],
        message=SEND_BACK_MESSAGE,
    )
    assert _outcome(result) == (10, 0)
    statuses = {r: store.submission_by_reference(r)["status"] for r in ids}
    assert sorted(statuses.values()) == ["accepted"] * 40 + ["submitted"] * 10

    # -- the payment deferral is overdue: the worker grants it --------------------
    due = today(app.config["ECITIZ_TIMEZONE"]) + timedelta(days=31)
    monkeypatch.setattr(worker_pass, "today", lambda timezone: due)
    _worker_pass(app)

    # -- what the applicants see and read --------------------------------------------
    mails = _mails(app)
    tracking = app.test_client()
    for n, (reference, token) in enumerate(sent, start=1):
        page = tracking.get(f"{KIT}/s/{token}?lang=fr").text
        told = [body for to, _s, body in mails if to == f"applicant{n}@example.org"]
        if reference in accepted:
            assert "Acceptée" in page, reference
            assert ACCEPTED_MESSAGE in page, reference
            assert any(ACCEPTED_MESSAGE in body for body in told), reference
        else:
            assert "Reçue, en attente d’examen" in page, reference
            assert escape(SEND_BACK_MESSAGE) in page, reference
            assert any(SEND_BACK_MESSAGE in body for body in told), reference
    page = tracking.get(f"{KIT}/s/{deferral_token}?lang=fr").text
    assert "Acceptée" in page
    assert "comme le prévoit cette démarche" in page
    assert any(
        deferral in body and "comme le prévoit cette démarche" in body
        for _to, _s, body in mails
    )

    # -- the audit log shows all of it -----------------------------------------------
    rows = list(
        csv.reader(
            io.StringIO(admin.get(f"{STAFF}/settings/audit.csv?lang=en").text),
            delimiter=",",
        )
    )
    entries = [(row[1], row[2]) for row in rows[1:]]
    admin_email = demo_site.admin_login(app)[0]
    assert (admin_email, "team.invite") in entries
    assert (AGENT, "team.join") in entries
    assert (AGENT, "auth.sign_in") in entries
    assert entries.count((AGENT, "bulk.run")) == 4
    assert entries.count((AGENT, "request.assign")) == APPLICANTS
    # Fifty reviews started, forty acceptances, ten sent back.
    assert entries.count((AGENT, "request.status")) == APPLICANTS + 40 + 10
    assert ("rule", "request.status") in entries
