"""Every kind of page the kit serves is valid HTML, in French and in English, as
the W3C Nu HTML Checker (vnu.jar, from the npm package ``vnu-jar`` pinned in
package.json) sees it.

The pages are made once through the test client, written to a folder, and
checked by one run of the checker (a Java start costs a couple of seconds); each
page then has its own test. The checker is installed into the checkout's
``node_modules/`` on first use; without Java or npm the tests are skipped, except
in CI where they must run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

import pytest

from ecitiz_kit import create_app, passwords
from ecitiz_kit.cli.exports import run_exports
from ecitiz_kit.domain import bulk, export_jobs
from ecitiz_kit.forms.loading import catalog_ids, load_catalog
from ecitiz_kit.staff import auth as staff_auth
from ecitiz_kit.state import state
from ecitiz_kit.store import submissions

from .fake_directory import CEASED, FakeDirectory
from .helpers import (
    ALLOWED,
    ATT_REFERENCE,
    CHEAP_PASSWORD_METHOD,
    ORG,
    PDF,
    REFERENCE,
    SECRET,
    STAFF,
    STAFF_EMAIL,
    accept_request,
    add_request,
    add_staff,
    aid_answers,
    answers_of,
    appointment_answers,
    attestation_answers,
    csrf_for,
    declaration_answers,
    deferral_answers,
    documents_of,
    hidden_inputs,
    post_form,
    press,
    sign_in,
    status_url_in,
    walk_to,
    with_file,
)

ROOT = Path(__file__).resolve().parent.parent
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
LANGS = ("fr", "en")
FORMS = catalog_ids()

#: Every page type, by the name the collection below gives it.
PAGES = [
    *(f"form-{form_id}" for form_id in FORMS),
    *(f"form-{form_id}-refused" for form_id in FORMS),
    "form-embedded-themed",
    "form-embedded-without-heading",
    "draft-saved",
    "draft-saved-without-address",
    "form-draft-resumed",
    "form-file-removed",
    "form-step-business",
    "form-step-documents",
    "form-step-refused",
    "form-check-answers",
    "receipt",
    "receipt-attestation",
    "tracking",
    "tracking-accepted",
    "tracking-sent-back",
    "tracking-lookup",
    "tracking-lookup-without-heading",
    "tracking-lookup-refused",
    "tracking-lookup-found",
    "my-requests-ask",
    "my-requests-answer",
    "my-requests-refused",
    "my-requests",
    "my-requests-empty",
    "counter",
    "counter-embedded-without-heading",
    "counter-opening-and-closed",
    "counter-empty",
    "form-open-until",
    "form-upcoming",
    "form-closed",
    "form-closed-refused",
    "verify",
    "verify-valid",
    "verify-forged",
    "amend",
    "amend-refused",
    "error-404-form",
    "error-404-tracking",
    "error-404-status-link",
    "error-413",
    "error-429-my-requests",
    "error-500",
    "staff-login",
    "staff-login-refused",
    "staff-login-throttled",
    "staff-list",
    "staff-list-filtered",
    "staff-list-by-due-date",
    "staff-list-shared-iban",
    "staff-list-refused-due",
    "staff-request",
    "staff-request-refused",
    "staff-request-signals",
    "staff-request-history",
    "staff-request-version",
    "staff-request-assigned",
    "staff-request-comment-refused",
    "staff-list-mine",
    "staff-list-end-of-queue",
    "staff-embed",
    "staff-embed-refused",
    "staff-embed-options",
    "staff-settings",
    "staff-settings-saved",
    "staff-settings-refused",
    "staff-deadlines",
    "staff-deadlines-saved",
    "staff-deadlines-refused",
    "staff-api-tokens",
    "staff-api-tokens-made",
    "staff-api-tokens-refused",
    "staff-api-tokens-revoked",
    "staff-webhooks",
    "staff-webhooks-made",
    "staff-webhooks-refused",
    "staff-webhooks-deleted",
    "staff-webhooks-enabled",
    "staff-webhook-deliveries",
    "staff-webhook-deliveries-none",
    "staff-account",
    "staff-account-saved",
    "staff-password",
    "staff-password-refused",
    "staff-password-changed",
    "staff-error-404",
    "staff-error-404-unknown-address",
    "staff-team",
    "staff-team-invited",
    "staff-team-refused",
    "staff-team-last-admin",
    "staff-audit",
    "staff-audit-filtered",
    "staff-audit-older",
    "staff-join",
    "staff-join-refused",
    "staff-join-invalid",
    "staff-error-403",
    "staff-bulk-progress",
    "staff-bulk-done",
    "staff-bulk-refused",
    "staff-export-offer",
    "staff-export-progress",
    "staff-export-ready",
    "staff-export-failed",
    "staff-request-accept-amount",
    "staff-request-accept-refused",
    "staff-payments",
    "staff-payments-refused",
    "staff-payment-account",
    "staff-payment-account-refused",
    "staff-payment-account-saved",
    "staff-payment-file",
    "staff-payment-file-paid",
    "tracking-paid",
    "form-company-lookup",
    "form-company-found",
    "form-company-unavailable",
    "form-company-refused",
    "staff-request-register",
    "staff-request-register-ceased",
    "staff-request-register-pending",
]

#: A page the checker must find invalid: it proves the checker ran and reads
#: what it is given.
CANARY = (
    '<!doctype html><html lang="en"><title>canary</title>'
    '<textarea rows="3" rows="4"></textarea></html>'
)

#: Warnings left alone, each with its reason (none so far).
ACCEPTED_WARNINGS: dict[str, str] = {}


def _missing(what: str) -> None:
    # In CI the check must run: a missing tool is a failure, not a skip.
    if os.environ.get("CI"):
        pytest.fail(f"the HTML validity tests must run in CI, but {what}")
    pytest.skip(what)


def _vnu_command() -> list[str]:
    """The checker's command line, installing the checker on first use."""
    java = shutil.which("java")
    if java is None:
        _missing("java is not installed (apt-get install default-jre-headless)")
    if not VNU.is_file():
        npm = shutil.which("npm")
        if npm is None:
            _missing("npm is not installed (apt-get install npm)")
        # --ignore-scripts: the package's install script would fetch a Java
        # runtime; the system's is used.
        result = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0 or not VNU.is_file():
            _missing(f"npm could not install vnu-jar: {result.stderr[-2000:]}")
    return [java, "-Xss8m", "-jar", str(VNU)]


# -- the pages -----------------------------------------------------------------------


def _app(data_dir: Path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET,
            "ECITIZ_DATA_DIR": str(data_dir),
            "ECITIZ_LOST_LINK_LIMIT": "1 per hour",
        }
    )
    with app.app_context():
        store = state(app).store
        org = store.create_organisation(ORG, "ACME Entraide")
        for form_id in FORMS:
            definition = load_catalog(form_id)
            store.enable_form(org["id"], form_id, definition.version, None, 730)
        store.add_allowed_origin(org["id"], ALLOWED)
    return app


class _Pages(dict):
    def keep(self, name: str, response, status: int = 200) -> str:
        html = response.get_data(as_text=True)
        assert response.status_code == status, (name, response.status_code, html[:500])
        assert response.mimetype == "text/html", name
        self[name] = html
        return html


def _webhook_pages(client, store, pages: _Pages) -> None:
    hooks = f"{STAFF}/webhooks"
    pages.keep("staff-webhooks", client.get(hooks))
    made = pages.keep(
        "staff-webhooks-made",
        client.post(
            hooks,
            data={
                "csrf_token": csrf_for(client, hooks),
                "url": "https://93.184.215.14/hooks",
                "events": ["request.submitted", "request.paid"],
                "answers": "y",
            },
        ),
    )
    assert "whsec_" in made
    pages.keep(
        "staff-webhooks-refused",
        client.post(
            hooks,
            data={"csrf_token": csrf_for(client, hooks), "url": "http://10.0.0.1/"},
        ),
        422,
    )
    [endpoint] = store.webhooks(store.organisation(ORG)["id"])
    one = f"{hooks}/{endpoint['id']}"
    pages.keep("staff-webhook-deliveries-none", client.get(one))
    # Two deliveries, one given up: the endpoint is disabled (no network used).
    organisation_id = store.organisation(ORG)["id"]
    for _ in range(2):
        add_request(store, organisation_id, datetime.now(UTC))
    for _ in range(2):
        delivery = store.claim_webhook_delivery("checker", 60)
        store.webhook_not_delivered(
            delivery["id"], "checker", error="the endpoint answered HTTP 503",
            response_status=503, retry_at=None, max_failures=2,
            messages=lambda endpoint: [],
        )  # fmt: skip
    pages.keep("staff-webhook-deliveries", client.get(one))
    enabled = client.post(f"{one}/enable", data={"csrf_token": csrf_for(client, hooks)})
    pages.keep("staff-webhooks-enabled", client.get(enabled.headers["Location"]))
    deleted = client.post(f"{one}/delete", data={"csrf_token": csrf_for(client, hooks)})
    pages.keep("staff-webhooks-deleted", client.get(deleted.headers["Location"]))


def _draft_pages(client, pages: _Pages) -> None:
    """ "Continue later", the draft it saves and a kept file removed."""
    later = f"/ecitiz/f/{ORG}/aid-request/later"
    for name, answers in (
        ("draft-saved", with_file(aid_answers(siret="1"))),
        ("draft-saved-without-address", aid_answers(email=None)),
    ):
        ticket = hidden_inputs(client.get(f"/ecitiz/f/{ORG}/aid-request").text)
        saved = client.post(
            later,
            data={"ticket": ticket["ticket"], **answers},
            content_type="multipart/form-data",
        )
        pages.keep(name, saved)
    link = re.search(r'id="draft-link">http://localhost([^<]+)<', pages["draft-saved"])
    resumed = pages.keep("form-draft-resumed", client.get(link.group(1)))
    documents = walk_to(client, resumed, "documents")
    key = re.search(r'name="remove:([^"]+)"', documents).group(1)
    removed = press(
        client, documents, {f"remove:{key}": "Remove"}, go=None, path="/remove"
    )
    pages.keep("form-file-removed", removed)


def _step_pages(client, pages: _Pages) -> None:
    """The pages of a form in steps: a page, a page refused, the check page."""
    first = client.get(f"/ecitiz/f/{ORG}/aid-request").text
    business = press(client, first, answers_of("applicant"))
    pages.keep("form-step-business", business)
    refused = press(client, business.text, answers_of("business", siret="1"))
    pages.keep("form-step-refused", refused, 422)
    declaration = walk_to(client, refused.text, "declaration")
    # Back to the documents page: the file kept is listed there.
    pages.keep("form-step-documents", press(client, declaration, go="back"))
    check = press(client, declaration, answers_of("declaration"))
    pages.keep("form-check-answers", check)


def _public_pages(app, client, runner, store, pages: _Pages) -> None:
    for form_id in FORMS:
        pages.keep(f"form-{form_id}", client.get(f"/ecitiz/f/{ORG}/{form_id}"))
    pages.keep(
        "form-aid-request-refused",
        # An error on a question under a condition too (ticked, not answered).
        post_form(
            client,
            with_file(aid_answers(siret="73282932000075", email="x", other_aid="y")),
        ),
        422,
    )
    pages.keep(
        "form-attestation-refused",
        post_form(client, attestation_answers(first_name=""), "attestation"),
        422,
    )
    refused = {
        "payment-deferral": deferral_answers(months="25", amount_due="beaucoup"),
        "adviser-appointment": appointment_answers(siret="123", topic=None),
        "activity-declaration": declaration_answers(until_date="2020-01-01"),
    }
    for form_id, answers in refused.items():
        pages.keep(f"form-{form_id}-refused", post_form(client, answers, form_id), 422)
    pages.keep(
        "form-embedded-themed",
        client.get(
            f"/ecitiz/f/{ORG}/aid-request?origin={ALLOWED}&embed=ecitiz-0"
            "&primary=%23004080&radius=12&font=serif"
        ),
    )
    pages.keep(
        "form-embedded-without-heading",
        client.get(
            f"/ecitiz/f/{ORG}/aid-request?origin={ALLOWED}&embed=ecitiz-0"
            "&heading=hidden&languages=hidden"
        ),
    )

    _draft_pages(client, pages)
    _step_pages(client, pages)

    response = post_form(client, with_file(aid_answers()))
    receipt = pages.keep("receipt", client.get(response.headers["Location"]))
    reference = REFERENCE.search(receipt).group(0)
    status_path = status_url_in(receipt)
    pages.keep("tracking", client.get(status_path))

    # Sent back for changes: the tracking page offers the amend form.
    for status, message in (("in_review", None), ("submitted", "Précisez.")):
        args = ["ecitiz", "set-status", reference, status]
        result = runner.invoke(args=args + (["--message", message] if message else []))
        assert result.exit_code == 0, result.output
    pages.keep("tracking-sent-back", client.get(status_path))
    amend = pages.keep("amend", client.get(status_path + "/amend"))
    ticket = hidden_inputs(amend)["ticket"]
    for answers, status in ((aid_answers(siret="1"), 422), (aid_answers(), 303)):
        response = client.post(
            status_path + "/amend",
            data={"ticket": ticket, **with_file(answers)},
            content_type="multipart/form-data",
        )
        assert response.status_code == status
        if status == 422:
            pages.keep("amend-refused", response, 422)

    # An attestation, accepted: its tracking page offers the document.
    response = post_form(client, attestation_answers(), "attestation")
    receipt = pages.keep(
        "receipt-attestation", client.get(response.headers["Location"])
    )
    attestation = ATT_REFERENCE.search(receipt).group(0)
    accept_request(runner, attestation)
    [document] = documents_of(store, attestation)
    pages.keep("tracking-accepted", client.get(status_url_in(receipt)))

    pages.keep("tracking-lookup", client.get(f"/ecitiz/t/{ORG}"))
    pages.keep(
        "tracking-lookup-without-heading",
        client.get(f"/ecitiz/t/{ORG}?heading=hidden&languages=hidden"),
    )
    pages.keep(
        "tracking-lookup-refused",
        client.post(f"/ecitiz/t/{ORG}", data={"link": "not a link"}),
        400,
    )
    pages.keep(
        "tracking-lookup-found",
        client.post(f"/ecitiz/t/{ORG}", data={"link": status_path.rsplit("/", 1)[1]}),
    )

    # The limit is 1 per hour (see _app): each post comes from its own address,
    # and the third asks again for the first one's.
    mine = f"/ecitiz/my/{ORG}"
    asked = [
        ("my-requests-answer", "camille@example.org", 200),
        ("my-requests-refused", "y", 422),
        ("error-429-my-requests", "camille@example.org", 429),
    ]
    for number, (name, email, status) in enumerate(asked):
        html = pages.keep("my-requests-ask", client.get(mine))
        data = {"ticket": hidden_inputs(html)["ticket"], "email": email}
        address = {"REMOTE_ADDR": f"192.0.2.{number + 1}"}
        pages.keep(name, client.post(mine, data=data, environ_base=address), status)
    [mail] = [m for m in store.outbox_messages() if m["kind"] == "my-requests"]
    listed = urlsplit(re.search(r"https?://\S+", mail["body_text"]).group(0)).path
    pages.keep("my-requests", client.get(listed))
    # Every request of the list gone: the page says so.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(store), "applicant_requests", lambda *a, **k: [])
        pages.keep("my-requests-empty", client.get(listed))

    pages.keep("verify", client.get("/ecitiz/v"))
    code = "https://forms.example.org/ecitiz/v#" + document["payload"]
    pages.keep("verify-valid", client.post("/ecitiz/v", data={"code": code}))
    pages.keep("verify-forged", client.post("/ecitiz/v", data={"code": code[:-4]}))

    _counter_pages(client, store, pages)

    pages.keep("error-404-form", client.get(f"/ecitiz/f/{ORG}/nope"), 404)
    pages.keep("error-404-tracking", client.get("/ecitiz/t/nobody"), 404)
    pages.keep("error-404-status-link", client.get("/ecitiz/s/forged"), 404)

    app.config["MAX_CONTENT_LENGTH"] = 200_000
    big = with_file(aid_answers(), PDF + b"0" * 300_000)
    pages.keep("error-413", post_form(client, big), 413)
    app.config["MAX_CONTENT_LENGTH"] = None

    def broken(*args):
        raise OSError("disk full")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(submissions, "insert_attachments", broken)
        app.config["PROPAGATE_EXCEPTIONS"] = False
        pages.keep("error-500", post_form(client, with_file(aid_answers())), 500)


def _counter_pages(client, store, pages: _Pages) -> None:
    """The counter in its states, and a procedure's pages outside its times."""
    org = store.organisation(ORG)["id"]
    pages.keep("counter", client.get(f"/ecitiz/c/{ORG}"))
    pages.keep(
        "counter-embedded-without-heading",
        client.get(
            f"/ecitiz/c/{ORG}?origin={ALLOWED}&embed=ecitiz-0"
            "&heading=hidden&languages=hidden"
        ),
    )
    now = datetime.now(UTC)
    store.set_form_schedule(org, "aid-request", (None, now + timedelta(days=30)))
    pages.keep("form-open-until", client.get(f"/ecitiz/f/{ORG}/aid-request"))
    ticket = hidden_inputs(pages["form-open-until"])["ticket"]
    store.set_form_schedule(org, "aid-request", (now + timedelta(days=3), None))
    store.set_form_schedule(org, "attestation", (None, now - timedelta(days=3)))
    pages.keep("counter-opening-and-closed", client.get(f"/ecitiz/c/{ORG}"))
    pages.keep("form-upcoming", client.get(f"/ecitiz/f/{ORG}/aid-request"))
    pages.keep("form-closed", client.get(f"/ecitiz/f/{ORG}/attestation"))
    pages.keep(
        "form-closed-refused",
        post_form(client, with_file(aid_answers()), ticket=ticket),
        403,
    )
    store.set_form_schedule(org, "aid-request", (None, None))
    store.set_form_schedule(org, "attestation", (None, None))
    store.create_organisation("vide", "Association Vide")
    pages.keep("counter-empty", client.get("/ecitiz/c/vide"))


def _staff_pages(app, client, store, pages: _Pages) -> None:
    add_staff(app)
    pages.keep("staff-login", client.get(f"{STAFF}/login"))
    pages.keep("staff-login-refused", sign_in(client, password="wrong password"), 401)
    assert sign_in(client).status_code == 303
    pages.keep("staff-list", client.get(f"{STAFF}/"))
    pages.keep("staff-list-filtered", client.get(f"{STAFF}/?status=submitted&q=a"))
    # The same IBAN with another SIRET: every signal shows.
    shared = post_form(client, with_file(aid_answers(siret="55200000200014")))
    assert shared.status_code == 303
    pages.keep("staff-list-by-due-date", client.get(f"{STAFF}/?due=all"))
    pages.keep("staff-list-shared-iban", client.get(f"{STAFF}/?shares=iban_sirets"))
    pages.keep("staff-list-refused-due", client.get(f"{STAFF}/?due=later"), 400)

    rows = list(store.iter_requests(store.organisation(ORG)["id"]))
    row = next(r for r in rows if r["form_id"] == "attestation")
    sid = row["id"]
    pages.keep("staff-request", client.get(f"{STAFF}/requests/{sid}"))
    pages.keep(
        "staff-request-refused",
        client.post(
            f"{STAFF}/requests/{sid}/status",
            data={
                "csrf_token": csrf_for(client),
                "to_status": "in_review",
                "expected": row["status"],
                "public_message": "x" * 5000,
            },
        ),
        422,
    )
    flagged = next(r["id"] for r in rows if r["iban_sirets"])
    pages.keep("staff-request-signals", client.get(f"{STAFF}/requests/{flagged}"))
    amended = next(r["id"] for r in rows if store.versions(r["id"]))
    pages.keep("staff-request-history", client.get(f"{STAFF}/requests/{amended}"))
    pages.keep(
        "staff-request-version", client.get(f"{STAFF}/requests/{amended}/versions/1")
    )

    assigned = client.post(
        f"{STAFF}/requests/{sid}/assign?status=submitted",
        data={"csrf_token": csrf_for(client), "assignee": "me", "expected": ""},
    )
    client.post(
        f"{STAFF}/requests/{sid}/comments",
        data={"csrf_token": csrf_for(client), "body": "Kbis à vérifier.\nMerci."},
    )
    pages.keep("staff-request-assigned", client.get(assigned.headers["Location"]))
    pages.keep(
        "staff-request-comment-refused",
        client.post(
            f"{STAFF}/requests/{sid}/comments",
            data={"csrf_token": csrf_for(client), "body": "x" * 3000},
        ),
        422,
    )
    pages.keep("staff-list-mine", client.get(f"{STAFF}/?assignee=me"))
    pages.keep(
        "staff-list-end-of-queue",
        client.get(client.get(f"{STAFF}/requests/{rows[-1]['id']}/next").location),
    )

    pages.keep("staff-embed", client.get(f"{STAFF}/embed"))
    pages.keep(
        "staff-embed-refused",
        client.post(
            f"{STAFF}/embed/origins",
            data={"csrf_token": csrf_for(client), "origin": "www.example.org"},
        ),
        422,
    )
    pages.keep(
        "staff-embed-options",
        client.get(f"{STAFF}/embed?heading=hidden&languages=hidden"),
    )
    pages.keep("staff-settings", client.get(f"{STAFF}/settings"))
    settings = {
        "csrf_token": csrf_for(client, f"{STAFF}/settings"),
        "contact_email": "accueil@acme.example",
        "tracking_page": ALLOWED + "/suivi",
        "primary": "#7c2d12",
        "radius": "4",
        "font": "serif",
    }
    saved = client.post(f"{STAFF}/settings", data=settings)
    pages.keep("staff-settings-saved", client.get(saved.headers["Location"]))
    pages.keep(
        "staff-settings-refused",
        client.post(
            f"{STAFF}/settings",
            data={
                **settings,
                "contact_email": "nope",
                "tracking_page": "javascript:alert(1)",
                "primary": "#fff",
                "radius": "25",
                "font": "comic",
            },
        ),
        422,
    )
    pages.keep("staff-deadlines", client.get(f"{STAFF}/settings/deadlines"))
    periods = {
        "csrf_token": csrf_for(client, f"{STAFF}/settings/deadlines"),
        **{f"days-{form_id}": "20" for form_id in FORMS},
        "rule-aid-request": "accept",
    }
    saved = client.post(f"{STAFF}/settings/deadlines", data=periods)
    pages.keep("staff-deadlines-saved", client.get(saved.headers["Location"]))
    pages.keep(
        "staff-deadlines-refused",
        client.post(
            f"{STAFF}/settings/deadlines",
            data={**periods, "days-aid-request": "0", "rule-attestation": "maybe"},
        ),
        422,
    )
    tokens = f"{STAFF}/settings/api-tokens"
    pages.keep("staff-api-tokens", client.get(tokens))
    made = pages.keep(
        "staff-api-tokens-made",
        client.post(
            tokens, data={"csrf_token": csrf_for(client, tokens), "name": "Compta"}
        ),
    )
    assert "ecz_" in made
    pages.keep(
        "staff-api-tokens-refused",
        client.post(tokens, data={"csrf_token": csrf_for(client, tokens), "name": ""}),
        422,
    )
    [token] = store.api_tokens(store.organisation(ORG)["id"])
    revoked = client.post(
        f"{tokens}/{token['id']}/revoke",
        data={"csrf_token": csrf_for(client, tokens)},
    )
    pages.keep("staff-api-tokens-revoked", client.get(revoked.headers["Location"]))
    _webhook_pages(client, store, pages)
    pages.keep("staff-account", client.get(f"{STAFF}/account"))
    saved = client.post(
        f"{STAFF}/account",
        data={"csrf_token": csrf_for(client, f"{STAFF}/account"), "notify": "y"},
    )
    pages.keep("staff-account-saved", client.get(saved.headers["Location"]))
    pages.keep("staff-password", client.get(f"{STAFF}/password"))
    token = csrf_for(client, f"{STAFF}/password")
    pages.keep(
        "staff-password-refused",
        client.post(
            f"{STAFF}/password",
            data={"csrf_token": token, "current": "x", "new": "y", "confirm": "z"},
        ),
        422,
    )
    new = "another horse battery staple"
    pages.keep(
        "staff-password-changed",
        client.post(
            f"{STAFF}/password",
            data={
                "csrf_token": token,
                "current": "correct horse battery staple",
                "new": new,
                "confirm": new,
            },
        ),
    )
    _bulk_pages(app, client, store, pages)
    _export_pages(app, client, pages)
    pages.keep("staff-error-404", client.get(f"{STAFF}/requests/999999"), 404)
    pages.keep(
        "staff-error-404-unknown-address", client.get(f"{STAFF}/no-such-page"), 404
    )

    intruder = app.test_client()
    intruder.environ_base.update(client.environ_base)
    for _ in range(10):
        sign_in(intruder, email="ghost@acme.example", password="guess")
    pages.keep(
        "staff-login-throttled", sign_in(intruder, email="ghost@acme.example"), 429
    )


def _team_pages(app, client, store, pages: _Pages) -> None:
    """The team and audit pages, joining through an invitation, and an agent
    refused an admin page."""
    team = f"{STAFF}/settings/team"
    pages.keep("staff-team", client.get(team))
    invite = {"csrf_token": csrf_for(client, team), "role": "agent"}
    invited = client.post(
        f"{team}/invitations", data={**invite, "email": "camille@acme.example"}
    )
    pages.keep("staff-team-invited", client.get(invited.headers["Location"]))
    pages.keep(
        "staff-team-refused",
        client.post(f"{team}/invitations", data={**invite, "email": "camille@"}),
        422,
    )
    me = store.staff_by_email(STAFF_EMAIL)
    pages.keep(
        "staff-team-last-admin",
        client.post(f"{team}/{me['id']}/stop", data=invite),
        409,
    )
    audit = f"{STAFF}/settings/audit"
    acme = store.organisation(ORG)["id"]
    for n in range(120):
        store.record_audit(
            acme, "file.download", actor=STAFF_EMAIL, subject=f"AID-{n:04d}",
            detail={"file": "justificatif.pdf"}, address="192.0.2.1",
        )  # fmt: skip
    pages.keep("staff-audit", client.get(audit))
    pages.keep(
        "staff-audit-filtered",
        client.get(f"{audit}?action=team.role&person={STAFF_EMAIL}"),
    )
    older = store.audit_entries(acme)[99]["id"]
    pages.keep("staff-audit-older", client.get(f"{audit}?before={older}"))

    [message] = [m for m in store.outbox_messages() if m["kind"] == "invitation"]
    [link] = re.findall(r"https?://\S+/invitation/\S+", message["body_text"])
    link = urlsplit(link)._replace(scheme="", netloc="").geturl()
    newcomer = app.test_client()
    newcomer.environ_base.update(client.environ_base)
    pages.keep("staff-join", newcomer.get(link))
    pages.keep(
        "staff-join-refused",
        newcomer.post(
            link,
            data={"csrf_token": csrf_for(newcomer, link), "new": "x", "confirm": "y"},
        ),
        422,
    )
    password = "a new colleague's long password"
    joined = newcomer.post(
        link,
        data={
            "csrf_token": csrf_for(newcomer, link),
            "new": password,
            "confirm": password,
        },
    )
    assert joined.status_code == 303
    pages.keep("staff-join-invalid", newcomer.get(link), 404)
    pages.keep("staff-error-403", newcomer.get(team), 403)


def _bulk_pages(app, client, store, pages: _Pages) -> None:
    """A bulk action under way (for the worker), done with requests left alone,
    and refused."""
    html = client.get(f"{STAFF}/").get_data(as_text=True)
    form = hidden_inputs(html[html.index('id="bulk"') :].split("</form>")[0])
    ids = [str(row["id"]) for row in store.iter_requests(store.organisation(ORG)["id"])]
    data = {**form, "action": "status:in_review", "id": ids}
    with mock.patch.object(bulk, "BACKGROUND_THRESHOLD", 0):
        started = client.post(f"{STAFF}/bulk", data=data)
    pages.keep("staff-bulk-progress", client.get(started.headers["Location"]))
    form["key"] = "another-key-for-a-second-action"
    done = client.post(
        f"{STAFF}/bulk", data={**data, **form, "action": "status:closed"}
    )
    pages.keep("staff-bulk-done", client.get(done.headers["Location"]))
    refused = {**data, **form, "key": "a-third-key-for-a-refusal", "action": "x"}
    pages.keep("staff-bulk-refused", client.post(f"{STAFF}/bulk", data=refused), 400)


def _export_pages(app, client, pages: _Pages) -> None:
    """A large export offered, under way, built, and failed."""
    with mock.patch.dict(export_jobs.DIRECT_LIMITS, {export_jobs.ZIP: 0}):
        offer = client.get(f"{STAFF}/requests.zip")
    html = pages.keep("staff-export-offer", offer)
    form = hidden_inputs(html[html.index('action="/ecitiz/staff/exports"') :])
    started = client.post(f"{STAFF}/exports", data=form)
    pages.keep("staff-export-progress", client.get(started.headers["Location"]))
    with app.test_request_context():
        run_exports()
    pages.keep("staff-export-ready", client.get(started.headers["Location"]))
    failed = client.post(f"{STAFF}/exports", data={**form, "key": "x" * 20})
    with (
        mock.patch("ecitiz_kit.web.exports.write", side_effect=OSError("disk")),
        app.test_request_context(),
    ):
        run_exports()
    pages.keep("staff-export-failed", client.get(failed.headers["Location"]))


def _payment_pages(client, staff, store, pages: _Pages) -> None:
    """Accepting with a granted amount, the debtor account, a payment file made,
    refused and marked paid, and the applicant's tracking page once paid."""
    receipt = client.get(
        post_form(client, with_file(aid_answers())).headers["Location"]
    ).get_data(as_text=True)
    reference = re.search(r"\bAID-[2-9A-Z]{4}-[2-9A-Z]{4}\b", receipt).group(0)
    sid = store.submission_by_reference(reference)["id"]
    store.change_status(sid, expected="submitted", to_status="in_review", actor="a")
    detail = f"{STAFF}/requests/{sid}"
    pages.keep("staff-request-accept-amount", staff.get(detail))
    move = {"csrf_token": csrf_for(staff), "to_status": "accepted"}
    refused = staff.post(
        f"{detail}/status",
        data={**move, "expected": "in_review", "granted_amount": "1 000 000"},
    )
    pages.keep("staff-request-accept-refused", refused, 422)
    staff.post(
        f"{detail}/status",
        data={**move, "expected": "in_review", "granted_amount": "4 500"},
    )
    account = f"{STAFF}/payments/account"
    pages.keep("staff-payment-account", staff.get(account))
    bad = {"csrf_token": csrf_for(staff), "name": "", "iban": "FR76", "bic": "X"}
    pages.keep("staff-payment-account-refused", staff.post(account, data=bad), 422)
    good = {
        "csrf_token": csrf_for(staff),
        "name": "ACME Entraide",
        "iban": "FR7630006000011234567890189",
        "bic": "AGRIFRPP",
    }
    pages.keep(
        "staff-payment-account-saved",
        staff.get(staff.post(account, data=good).headers["Location"]),
    )
    html = staff.get(f"{STAFF}/").get_data(as_text=True)
    form = hidden_inputs(html[html.index('id="bulk"') :].split("</form>")[0])
    others = [
        str(r["id"])
        for r in store.iter_requests(store.organisation(ORG)["id"])
        if r["id"] != sid
    ]
    made = staff.post(f"{STAFF}/payments", data={**form, "id": [str(sid), *others]})
    pages.keep("staff-payment-file", staff.get(made.headers["Location"]))
    form["key"] = "another-key-for-a-payment-file"
    nothing = staff.post(f"{STAFF}/payments", data={**form, "id": others})
    pages.keep("staff-payments-refused", nothing, 422)
    paid = staff.post(
        made.headers["Location"] + "/paid", data={"csrf_token": csrf_for(staff)}
    )
    pages.keep("staff-payment-file-paid", staff.get(paid.headers["Location"]))
    pages.keep("staff-payments", staff.get(f"{STAFF}/payments"))
    # The tracking links point to the organisation's own page by now.
    token = re.search(r'#ecitiz=([^"&]+)', receipt).group(1)
    pages.keep("tracking-paid", client.get(f"/ecitiz/s/{token}"))


def _company_pages(app, client, staff, store, pages: _Pages) -> None:
    """The form with a company lookup, its answers without JavaScript, and what
    staff see of the register (found and different, ceased, pending)."""
    directory = FakeDirectory()
    app.config["ECITIZ_COMPANY_LOOKUP_URL"] = directory.url
    try:
        form = pages.keep(
            "form-company-lookup", client.get(f"/ecitiz/f/{ORG}/aid-request")
        )
        lookup = f"/ecitiz/f/{ORG}/aid-request/company"
        data = {**hidden_inputs(form), **aid_answers(), "company_lookup": "siret"}
        pages.keep("form-company-found", client.post(lookup, data=data))
        pages.keep(
            "form-company-refused",
            client.post(lookup, data={**data, "siret": "123"}),
            422,
        )
        for siret, name in ((None, "register"), (CEASED, "register-ceased")):
            answers = aid_answers(
                email=f"{name}@example.org", **({"siret": siret} if siret else {})
            )
            assert post_form(client, with_file(answers)).status_code == 303
            [latest, *_] = store.iter_requests(store.organisation(ORG)["id"])
            pages.keep(
                f"staff-request-{name}", staff.get(f"{STAFF}/requests/{latest['id']}")
            )
        directory.down = True
        pages.keep("form-company-unavailable", client.post(lookup, data=data))
        pending = aid_answers(email="pending@example.org")
        assert post_form(client, with_file(pending)).status_code == 303
        [latest, *_] = store.iter_requests(store.organisation(ORG)["id"])
        pages.keep(
            "staff-request-register-pending",
            staff.get(f"{STAFF}/requests/{latest['id']}"),
        )
    finally:
        app.config["ECITIZ_COMPANY_LOOKUP_URL"] = None
        directory.stop()


def _pages_in(lang: str, data_dir: Path) -> _Pages:
    app = _app(data_dir)
    pages = _Pages()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    runner = app.test_cli_runner()
    with app.app_context():
        store = state(app).store
        _public_pages(app, client, runner, store, pages)
        app.config["PROPAGATE_EXCEPTIONS"] = None
        staff = app.test_client()
        staff.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
        _staff_pages(app, staff, store, pages)
        _team_pages(app, staff, store, pages)
        _payment_pages(client, staff, store, pages)
        _company_pages(app, client, staff, store, pages)
    return pages


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    """What the checker says of each page: ``{(lang, name): (html, messages)}``."""
    command = _vnu_command()
    folder = tmp_path_factory.mktemp("pages")
    pages: dict[tuple[str, str], str] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "METHOD", CHEAP_PASSWORD_METHOD)
        staff_auth._decoy_hash.cache_clear()
        for lang in LANGS:
            made = _pages_in(lang, tmp_path_factory.mktemp(f"data-{lang}"))
            pages.update({(lang, name): html for name, html in made.items()})
        staff_auth._decoy_hash.cache_clear()
    files = {}
    for (lang, name), html in pages.items():
        path = folder / f"{lang}-{name}.html"
        path.write_text(html, encoding="utf-8")
        files[path.name] = (lang, name)
    canary = folder / "canary.html"
    canary.write_text(CANARY, encoding="utf-8")
    result = subprocess.run(
        [*command, "--format", "json", "--stdout", "--exit-zero-always", str(folder)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = {key: (html, []) for key, html in pages.items()}
    report[("", "canary")] = (CANARY, [])
    for message in json.loads(result.stdout)["messages"]:
        # vnu names files "file:/tmp/...": their names are what tells them apart.
        file_name = message.get("url", "").rpartition("/")[2]
        key = files.get(file_name, ("", "canary") if file_name == canary.name else None)
        assert key is not None, message  # a message about no page: the run failed
        report[key][1].append(message)
    return report


def _problems(messages: list[dict]) -> list[dict]:
    return [
        m
        for m in messages
        if m["type"] != "info" or m.get("subType") == "warning"
        if m.get("message") not in ACCEPTED_WARNINGS
    ]


def _describe(html: str, problems: list[dict]) -> str:
    lines = html.splitlines()
    out = []
    for m in problems:
        line = m.get("lastLine", 0)
        context = lines[line - 1].strip()[:200] if 0 < line <= len(lines) else ""
        out.append(f"{m['type']} line {line}: {m['message']}\n    {context}")
    return "\n".join(out)


def test_the_checker_finds_invalid_html(checked):
    _, messages = checked[("", "canary")]
    assert any(
        m["type"] == "error" and "Duplicate attribute" in m["message"] for m in messages
    ), messages


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", PAGES)
def test_page_is_valid_html(checked, lang, name):
    assert (lang, name) in checked, f"no {name} page was made in {lang}"
    html, messages = checked[(lang, name)]
    problems = _problems(messages)
    assert not problems, f"{lang}-{name}:\n" + _describe(html, problems)


def test_every_page_made_is_checked(checked):
    made = {name for (_, name) in checked if name != "canary"}
    assert made == set(PAGES)
