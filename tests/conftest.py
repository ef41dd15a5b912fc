from __future__ import annotations

import contextlib
import io
import os
import re
import threading
from html.parser import HTMLParser

import pytest
from werkzeug.serving import make_server

from ecitiz_kit import create_app
from ecitiz_kit.forms.loading import load_catalog
from ecitiz_kit.state import state

SECRET = "a-test-secret-key-that-is-long-enough"
ORG = "acme"
ALLOWED = "https://www.acme.example"

# A real SIRET (INSEE's own establishment list publishes it) and a valid test IBAN.
SIRET = "73282932000074"
IBAN = "FR1420041010050500013M02606"

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture
def app(tmp_path, monkeypatch):
    for name in [n for n in __import__("os").environ if n.startswith("ECITIZ_")]:
        monkeypatch.delenv(name)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET,
            "ECITIZ_DATA_DIR": str(tmp_path / "data"),
        }
    )
    with app.app_context():
        store = state(app).store
        org = store.create_organisation(ORG, "ACME Entraide")
        for form_id in ("aid-request", "attestation"):
            definition = load_catalog(form_id)
            store.enable_form(org["id"], form_id, definition.version, None, 730)
        store.add_allowed_origin(org["id"], ALLOWED)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def store(app):
    with app.app_context():
        yield state(app).store


def form_url(form_id: str = "aid-request", org: str = ORG) -> str:
    return f"/ecitiz/f/{org}/{form_id}"


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and "name" in a:
            self.inputs.setdefault(a["name"], a.get("value") or "")


def hidden_inputs(html: str) -> dict[str, str]:
    parser = _Inputs()
    parser.feed(html)
    return parser.inputs


def ticket_for(client, form_id: str = "aid-request") -> str:
    response = client.get(form_url(form_id))
    assert response.status_code == 200
    return hidden_inputs(response.get_data(as_text=True))["ticket"]


def aid_answers(**overrides) -> dict:
    answers = {
        "first_name": "Camille",
        "last_name": "Durand-Lefèvre",
        "email": "camille@example.org",
        "phone": "06 12 34 56 78",
        "siret": "732 829 320 00074",
        "legal_name": "Boulangerie Durand",
        "activity": "Boulangerie artisanale",
        "headcount": "4",
        "postal_code": "75011",
        "town": "Paris",
        "revenue_reference": "40 000",
        "revenue_crisis": "15 000,50",
        "amount_requested": "5000",
        "explanation": "Fermeture administrative pendant six semaines.",
        "iban": IBAN,
        "bic": "BNPAFRPP",
        "account_holder": "Boulangerie Durand",
        "declaration": "y",
        "privacy": "y",
    }
    answers.update(overrides)
    return {k: v for k, v in answers.items() if v is not None}


def attestation_answers(**overrides) -> dict:
    from datetime import date, timedelta

    today = date.today()
    answers = {
        "first_name": "Zoé",
        "last_name": "Nguyễn",
        "birth_date": "1990-04-12",
        "address": "12 rue de l'Œillet",
        "postal_code": "69003",
        "town": "Lyon",
        "email": "zoe@example.org",
        "siret": SIRET,
        "organisation_name": "Boulangerie Durand",
        "purpose": "work",
        "purpose_details": "",
        "valid_from": today.isoformat(),
        "valid_to": (today + timedelta(days=7)).isoformat(),
        "declaration": "y",
    }
    answers.update(overrides)
    return {k: v for k, v in answers.items() if v is not None}


def with_file(data: dict, content: bytes = PDF, name: str = "justificatif.pdf") -> dict:
    return {**data, "documents": (io.BytesIO(content), name)}


def post_form(client, data: dict, form_id: str = "aid-request", ticket=None, **kw):
    if ticket is None:
        ticket = ticket_for(client, form_id)
    payload = {"ticket": ticket, **data} if ticket is not False else dict(data)
    return client.post(
        form_url(form_id), data=payload, content_type="multipart/form-data", **kw
    )


def uploaded_files(app) -> list:
    root = state(app).uploads.root
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


REFERENCE = re.compile(r"\bAID-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b")


# -- browser tests ---------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class LiveServer:
    """A WSGI application served on a free port in a background thread."""

    def __init__(self, app, host: str) -> None:
        self.server = make_server(host, 0, app, threaded=True)
        self.url = f"http://{host}:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


def _missing(what: str) -> None:
    # In CI a browser test must run: a missing browser is a failure, not a skip.
    if os.environ.get("CI"):
        pytest.fail(f"browser tests must run in CI, but {what}")
    pytest.skip(what)


@contextlib.contextmanager
def launch_chromium(*extra_args: str):
    """Debian's headless Chromium driven by Playwright, or a skip (a failure in CI)
    saying what is missing."""
    if not os.path.exists(CHROMIUM):
        _missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args]
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser():
    """Debian's headless Chromium driven by Playwright."""
    with launch_chromium() as launched:
        yield launched


@pytest.fixture
def kit(app):
    """The kit served over HTTP on 127.0.0.1."""
    server = LiveServer(app, "127.0.0.1")
    yield server
    server.stop()


@pytest.fixture
def staff_client(app):
    """A test client signed in as the organisation's staff member."""
    from .staff_helpers import add_staff, sign_in

    add_staff(app)
    client = app.test_client()
    assert sign_in(client).status_code == 303
    return client
