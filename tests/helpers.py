"""What the tests share besides fixtures: the test organisation, answers and
posting forms, staff accounts, requests written at chosen times, PDF text, and
serving pages to a real browser."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import itertools
import json
import multiprocessing
import os
import re
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from unittest import mock
from urllib.parse import urlsplit

import pytest
from pypdf import PdfReader
from werkzeug.datastructures import MultiDict
from werkzeug.serving import make_server

from ecitiz_kit import create_app, passwords
from ecitiz_kit.domain.submit import new_reference
from ecitiz_kit.forms.loading import catalog_ids, load_catalog
from ecitiz_kit.mail.delivery import deliver_from_config
from ecitiz_kit.state import state
from ecitiz_kit.web.pages import compose_queued

# -- the test organisation -------------------------------------------------------------

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

REFERENCE = re.compile(r"\bAID-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b")


def kit_app(data_dir, database_url: str | None = None, **config):
    """The kit as the tests serve it, on ``data_dir`` and the database at
    ``database_url`` (None: SQLite in the folder). Another host of a deployment
    is another one with a data folder of its own and the same database URL."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET,
            "ECITIZ_DATA_DIR": str(data_dir),
            "ECITIZ_DATABASE_URL": database_url,
            **config,
        }
    )


def open_test_organisation(app) -> None:
    """The test organisation, with every ready-made form on and ALLOWED among
    its origins."""
    with app.app_context():
        store = state(app).store
        org = store.create_organisation(ORG, "ACME Entraide")
        for form_id in catalog_ids():
            definition = load_catalog(form_id)
            store.enable_form(org["id"], form_id, definition.version, None, 730)
        store.add_allowed_origin(org["id"], ALLOWED)


def migrated_before(path, monkeypatch, marker: str):
    """A SQLite store at ``path`` whose schema stops just before the first
    migration holding ``marker``, and that migration's index; once
    ``monkeypatch.undo()`` runs, the next ``migrate()`` applies the rest."""
    import ecitiz_kit.store.sqlite as base
    from ecitiz_kit.store import Store
    from ecitiz_kit.store.migrations import MIGRATIONS

    old = Store(path)
    mine = next(i for i, m in enumerate(MIGRATIONS) if marker in m)
    monkeypatch.setattr(base, "MIGRATIONS", MIGRATIONS[:mine])
    old.migrate()
    return old, mine


# -- the rate limits' clock -----------------------------------------------------------


class LimitsClock:
    """The clock of the rate limits' counters (in memory), moved by hand: the
    ``limits_clock`` fixture puts it in place of ``time`` where they read it."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# -- the public forms ------------------------------------------------------------------


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
        "short_time_employees": "2",
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


#: The buttons of a form in steps: "Continue", and "Send" (on its check page,
#: or on a form of one page).
CONTINUE = "button[name=_go][value=next]"
BACK = "button[name=_go][value=back]"
SEND = ".ecitiz-actions > button.ecitiz-button:not([name])"


def on_check_page(frame) -> bool:
    """Whether ``frame`` shows the check page of a form in steps."""
    return frame.locator("button[name=_go][value^='page:']").count() > 0


def move(frame, button: str = CONTINUE) -> None:
    """Press ``button``, which loads another page of the form in ``frame``, and
    wait for that page (or the same one, with its errors)."""
    old = frame.locator("input[name=_steps]").get_attribute("value")
    frame.locator(button).click()
    frame.locator(
        f"input[name=_steps]:not([value='{old}']), #error-summary"
    ).first.wait_for(state="attached")


def fill_page(frame, answers) -> None:
    """Type the ``answers`` whose questions the page in ``frame`` shows."""
    for name, value in answers.items():
        field = frame.locator(f"#f-{name}")
        if not field.count() or not field.is_visible():
            continue
        if value == "y":
            field.check()
        else:
            field.fill(value)


def fill_aid(frame, answers, until: str = "check"):
    """Answer the aid request in ``frame`` (a Playwright frame or page) page by
    page, attaching a PDF on its page, until the page ``until`` shows (by
    default its check page), or a page that refuses an answer."""
    definition = load_catalog("aid-request")
    stop = f"#f-{definition.page_fields(until)[0].name}" if until != "check" else None
    frame.locator("#page-title").wait_for()
    for _ in range(len(definition.pages)):
        if on_check_page(frame) or frame.locator("#error-summary").count():
            return
        if stop and frame.locator(stop).count():
            return
        fill_page(frame, answers)
        documents = frame.locator("#f-documents")
        if documents.count() and not frame.locator(".ecitiz-kept li").count():
            documents.set_input_files(
                {"name": "justificatif.pdf", "mimeType": "application/pdf",
                 "buffer": PDF}
            )  # fmt: skip
        move(frame)


def deferral_answers(**overrides) -> dict:
    """Answers to the payment-deferral form (no file: it is optional there)."""
    answers = {
        "first_name": "Karim",
        "last_name": "Benali",
        "email": "karim@example.org",
        "phone": "+33 6 98 76 54 32",
        "siret": SIRET,
        "legal_name": "Le Comptoir de Karim",
        "postal_code": "13001",
        "town": "Marseille",
        "kind": "market_fees",
        "bill_reference": "DP-2020-0412",
        "amount_due": "1 240,00",
        "due_date": (date.today() - timedelta(days=20)).isoformat(),
        "arrangement": "spread",
        "months": "6",
        "explanation": "Le marché est fermé depuis le 24 mars.",
        "declaration": "y",
        "privacy": "y",
    }
    answers.update(overrides)
    return {k: v for k, v in answers.items() if v is not None}


def appointment_answers(**overrides) -> dict:
    """Answers to the adviser-appointment form."""
    answers = {
        "first_name": "Élodie",
        "last_name": "Marchal",
        "email": "elodie@example.org",
        "phone": "01 23 45 67 89",
        "legal_name": "Atelier Marchal",
        "siret": "",
        "sector": "crafts",
        "headcount": "2",
        "postal_code": "35000",
        "topic": "cash",
        "question": "Puis-je obtenir un prêt garanti ? L’atelier a ouvert en janvier.",
        "meeting": "phone",
        "availability": "morning",
        "privacy": "y",
    }
    answers.update(overrides)
    return {k: v for k, v in answers.items() if v is not None}


def declaration_answers(**overrides) -> dict:
    """Answers to the activity-declaration form."""
    today = date.today()
    answers = {
        "change": "orders_only",
        "from_date": today.isoformat(),
        "until_date": (today + timedelta(days=30)).isoformat(),
        "siret": SIRET,
        "legal_name": "Librairie des Quais SARL",
        "trade_name": "Librairie des Quais",
        "activity": "Librairie",
        "address": "3 quai de la Loire",
        "postal_code": "44000",
        "town": "Nantes",
        "collection": "y",
        "opening_hours": "Du mardi au samedi, de 10 h à 13 h.",
        "shop_phone": "02 40 00 00 00",
        "publish": "y",
        "first_name": "Yann",
        "last_name": "Le Goff",
        "email": "yann@example.org",
        "declaration": "y",
        "privacy": "y",
    }
    answers.update(overrides)
    return {k: v for k, v in answers.items() if v is not None}


def fill_form(page, form_id, answers):
    """Answer ``form_id`` in ``page`` (a Playwright page or frame) as a person
    does: type, pick, tick, attach (a PDF to each file field)."""
    for field in load_catalog(form_id).fields:
        value = answers.get(field.name)
        if field.type == "file":
            page.set_input_files(
                f"#f-{field.name}",
                {"name": "facture.pdf", "mimeType": "application/pdf", "buffer": PDF},
            )
        elif field.name not in answers:
            continue
        elif field.type == "choice" and field.widget == "radio":
            values = [option.value for option in field.options]
            page.check(f"#f-{field.name}-{values.index(value) + 1}")
        elif field.type == "choice":
            page.select_option(f"#f-{field.name}", value)
        elif field.type in ("checkbox", "consent"):
            page.check(f"#f-{field.name}")
        else:
            page.fill(f"#f-{field.name}", value)


# -- forms in steps ------------------------------------------------------------------


class _Posted(HTMLParser):
    """What a browser posts from a page: every input's value (boxes when
    ticked), textareas, selected options; ``hidden`` only keeps hidden inputs."""

    def __init__(self, hidden: bool) -> None:
        super().__init__()
        self.hidden = hidden
        self.pairs: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        kind = a.get("type", "text")
        if tag == "input" and "name" in a and "disabled" not in a:
            if self.hidden and kind != "hidden":
                return
            if kind in ("submit", "file") or (
                kind in ("checkbox", "radio") and "checked" not in a
            ):
                return
            self.pairs.append((a["name"], a.get("value") or ""))
        elif tag == "textarea" and not self.hidden:
            self._textarea = a["name"]
            self.pairs.append((a["name"], ""))
        elif tag == "select" and not self.hidden:
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.pairs.append((self._select, a.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea is not None:
            name, value = self.pairs[-1]
            self.pairs[-1] = (name, value + data)


def hidden_pairs(html: str) -> list[tuple[str, str]]:
    parser = _Posted(hidden=True)
    parser.feed(html)
    return parser.pairs


def posted_pairs(html: str) -> list[tuple[str, str]]:
    parser = _Posted(hidden=False)
    parser.feed(html)
    return [(name, value) for name, value in parser.pairs if name != "website"]


def answers_of(page_id: str, **overrides) -> dict:
    names = {f.name for f in load_catalog("aid-request").page_fields(page_id)}
    return {k: v for k, v in aid_answers(**overrides).items() if k in names}


def press(
    client, html: str, data=None, go="next", path="/step", form_id="aid-request",
    query="", **kw
):  # fmt: skip
    """Press a button of the page ``html``: what it carries, and ``data`` typed."""
    payload = MultiDict(posted_pairs(html))
    for name, value in (data or {}).items():
        payload.setlist(name, [value])
    if go is not None:
        payload["_go"] = go
    return client.post(
        form_url(form_id) + path + query,
        data=payload,
        content_type="multipart/form-data",
        **kw,
    )


def shown_page(html: str) -> str:
    """The id of the aid request's page ``html`` shows (``check``: the last)."""
    if 'name="_go" value="page:' in html:
        return "check"
    for step in load_catalog("aid-request").pages:
        first = load_catalog("aid-request").page_fields(step.id)[0]
        if f'id="f-{first.name}"' in html:
            return step.id
    raise AssertionError("no page of the aid request")


def walk_to(client, html: str, page_id: str, **overrides) -> str:
    """From the aid request's page ``html``, answer each page in turn (with
    :func:`aid_answers`, and a PDF unless one is kept) until ``page_id`` shows."""
    while shown_page(html) != page_id:
        data = answers_of(shown_page(html), **overrides)
        if shown_page(html) == "documents" and 'name="remove:' not in html:
            data["documents"] = (io.BytesIO(PDF), "justificatif.pdf")
        response = press(client, html, data)
        assert response.status_code == 200, response.text
        html = response.text
    return html


def aid_page(client, page_id: str, query: str = "", **overrides) -> str:
    """The aid request's page ``page_id`` (``check`` too), reached by answering
    the pages before it with :func:`aid_answers` and a PDF."""
    html = client.get(form_url() + query).text
    for step in load_catalog("aid-request").pages:
        if step.id == page_id:
            return html
        data = answers_of(step.id, **overrides)
        if step.id == "documents":
            data["documents"] = (io.BytesIO(PDF), "justificatif.pdf")
        response = press(client, html, data, query=query)
        assert response.status_code == 200, (step.id, response.text)
        html = response.text
    return html


def with_file(data: dict, content: bytes = PDF, name: str = "justificatif.pdf") -> dict:
    return {**data, "documents": (io.BytesIO(content), name)}


def post_form(client, data: dict, form_id: str = "aid-request", ticket=None, **kw):
    if ticket is None:
        ticket = ticket_for(client, form_id)
    payload = {"ticket": ticket, **data} if ticket is not False else dict(data)
    return client.post(
        form_url(form_id), data=payload, content_type="multipart/form-data", **kw
    )


@dataclass(frozen=True, order=True)
class StoredFile:
    """A file the database keeps (PostgreSQL), as :func:`uploaded_files` lists it."""

    name: str
    data: bytes = dataclasses.field(repr=False)

    def read_bytes(self) -> bytes:
        return self.data


def uploaded_files(app) -> list:
    """Every uploaded file the instance keeps: paths in the data folder, and on
    PostgreSQL the files in the database too (:class:`StoredFile`)."""
    kit = state(app)
    root = kit.data_dir / "uploads"
    found: list = []
    if root.exists():
        found = sorted(p for p in root.rglob("*") if p.is_file())
    if kit.store.dialect == "postgresql":
        rows = kit.store._all("SELECT stored_name, data FROM stored_files")
        found += sorted(StoredFile(r["stored_name"], bytes(r["data"])) for r in rows)
    return found


def send_mail(app, **options):
    """One delivery pass, as ``flask ecitiz send-mail`` runs it (.eml files
    unless the test set up SMTP); a receipt's text is written then."""
    with app.app_context():
        kit = state(app)
        return deliver_from_config(
            kit.store, app.config, kit.data_dir, compose=compose_queued(), **options
        )


def stored_requests(store, org: str = ORG, **filters) -> list[dict]:
    """An organisation's requests as the store lists them, newest first: ``id``,
    ``reference``, ``form_id``, ``status``, the ``answers`` JSON text..."""
    return list(store.iter_requests(store.organisation(org)["id"], **filters))


# -- attestations and documents --------------------------------------------------------

#: The holder printed on attestations made from attestation_answers().
HOLDER = "NGUYỄN Z."  # display_name("Zoé", "Nguyễn")
ATT_REFERENCE = re.compile(r"\bATT-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b")
STATUS_LINK = re.compile(r'href="http://localhost(/ecitiz/s/[^"]+)"')


def submit_attestation(client, **overrides):
    """Post an attestation request; its reference and tracking page path."""
    response = post_form(client, attestation_answers(**overrides), "attestation")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    return ATT_REFERENCE.search(receipt).group(0), STATUS_LINK.search(receipt).group(1)


def set_status(runner, reference, status):
    """Run ``flask ecitiz set-status``; its result."""
    return runner.invoke(args=["ecitiz", "set-status", reference, status])


def accept_request(runner, reference):
    """Accept a request through the CLI, as staff would: it goes through review."""
    for status in ("in_review", "accepted"):
        result = set_status(runner, reference, status)
        assert result.exit_code == 0, result.output


def documents_of(store, reference):
    return store.documents(store.submission_by_reference(reference)["id"])


def issue_attestation(client, runner, store, **overrides):
    """A real attestation, issued the way staff issue it; its document row."""
    reference, _ = submit_attestation(client, **overrides)
    accept_request(runner, reference)
    [document] = documents_of(store, reference)
    return document


def forge_signature(payload):
    """``payload`` with one character of its signature changed (still base64url)."""
    unsigned, _, signature = payload.rpartition(".")
    # The first character carries no padding bits, so any other letter is canonical.
    return f"{unsigned}.{'B' if signature[0] != 'B' else 'C'}{signature[1:]}"


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


# -- staff -----------------------------------------------------------------------------

PASSWORD = "correct horse battery staple"
STAFF_EMAIL = "agent@acme.example"
STAFF = "/ecitiz/staff"


#: What staff passwords are hashed with in tests instead of the kit's scrypt at
#: N = 2**16 (~0.25 s a hash or a check); tests marked ``real_hashing`` keep that.
CHEAP_PASSWORD_METHOD = "scrypt:1024:8:1"


def password_hash(password: str = PASSWORD) -> str:
    """``password`` hashed by the kit with the method in force, once per method."""
    return _password_hash(password, passwords.METHOD)


@functools.cache
def _password_hash(password: str, method: str) -> str:
    # ``method`` is the cache key only: hash_password() reads passwords.METHOD.
    return passwords.hash_password(password)


def add_staff(app, org_slug: str = "acme", email: str = STAFF_EMAIL) -> dict:
    with app.app_context():
        store = state(app).store
        organisation = store.organisation(org_slug)
        return store.create_staff(organisation["id"], email, password_hash())


def csrf_from(html: str) -> str:
    return hidden_inputs(html)["csrf_token"]


def sign_in(client, email: str = STAFF_EMAIL, password: str = PASSWORD, address=None):
    environ = {"REMOTE_ADDR": address} if address else {}
    page = client.get(f"{STAFF}/login", environ_base=environ)
    token = csrf_from(page.get_data(as_text=True))
    return client.post(
        f"{STAFF}/login",
        data={"csrf_token": token, "email": email, "password": password},
        environ_base=environ,
    )


def csrf_for(client, path: str = f"{STAFF}/") -> str:
    """A CSRF token from a staff page the client can see."""
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return csrf_from(response.get_data(as_text=True))


def submit_request(client, **overrides) -> str:
    """Send an aid request with a file through the public form; its reference."""
    response = post_form(client, with_file(aid_answers(**overrides)))
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    return re.search(r"\bAID-[2-9A-Z]{4}-[2-9A-Z]{4}\b", html).group(0)


def status_url_in(html: str) -> str:
    return re.search(r'href="https?://[^"/]+(/ecitiz/s/[^"?]+)', html).group(1)


# -- requests written through the store at chosen times (list tests) -------------------

TZ = "Europe/Paris"
_nonces = itertools.count(1)


def at(text: str) -> datetime:
    """A UTC moment from ``2026-11-29 14:00`` style text."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def add_request(
    store,
    organisation_id: int,
    when: datetime,
    *,
    form_id: str = "aid-request",
    status: str = "submitted",
    first: str = "Camille",
    last: str = "Durand",
    email: str = "camille@example.org",
    reference: str | None = None,
    due_on: str | None = None,
    identifiers: tuple = (None, None),
    **answers,
) -> dict:
    """Store a request created at ``when`` as the submit path would (with a due
    date and identifiers when given)."""
    definition = load_catalog(form_id)
    values = {"first_name": first, "last_name": last, "email": email, **answers}
    prefix = definition.reference_prefix
    with mock.patch("ecitiz_kit.store.submissions.utcnow", return_value=when):
        return store.create_submission(
            organisation_id=organisation_id,
            form_id=form_id,
            form_version=definition.version,
            answers=values,
            lang="fr",
            nonce=f"nonce-{next(_nonces)}",
            attachments=[],
            make_reference=lambda: reference or new_reference(prefix),
            status=status,
            applicant=definition.applicant_contact(values),
            due_on=due_on,
            identifiers=identifiers,
        )


# -- a real browser --------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Third-party cookie blocking, asked for explicitly (Chromium's default lets them
#: through); tests/browser/test_widget.py checks that it holds.
BLOCK_THIRD_PARTY_COOKIES = "--test-third-party-cookie-phaseout"

#: The WCAG 2 A and AA rules of axe-core.
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}}


class LiveServer:
    """A WSGI application served on a free port in a background thread."""

    def __init__(self, app, host: str) -> None:
        self.server = make_server(host, 0, app, threaded=True)
        self.url = f"http://{host}:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


def host_site(pages, headers=()):
    """A tiny website on another site than the kit, serving fixed pages."""

    def app(environ, start_response):
        path = environ["PATH_INFO"]
        body = pages.get(path)
        status = "200 OK" if body else "404 Not Found"
        kind = "text/css" if path.endswith(".css") and body else "text/html"
        start_response(status, [("Content-Type", f"{kind}; charset=utf-8"), *headers])
        return [(body or "not found").encode()]

    return app


def _missing(what: str) -> None:
    # In CI a browser test must run: a missing browser is a failure, not a skip.
    if os.environ.get("CI"):
        pytest.fail(f"browser tests must run in CI, but {what}")
    pytest.skip(what)


@contextlib.contextmanager
def start_playwright():
    """Playwright, to drive Debian's Chromium; or a skip (a failure in CI) saying
    what is missing."""
    if not os.path.exists(CHROMIUM):
        _missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        yield playwright


@contextlib.contextmanager
def launch_chromium(playwright, *extra_args: str):
    """Debian's headless Chromium, launched through ``playwright``."""
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args]
    )
    try:
        yield browser
    finally:
        browser.close()


def no_violations(axe, page, what):
    """Assert that axe-core finds no WCAG 2 A/AA violation on ``page``."""
    results = axe.run(page, options=WCAG)
    violations = results.response["violations"]
    assert not violations, f"{what}: " + json.dumps(
        [
            {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in violations
        ],
        indent=1,
    )
    # axe really ran its WCAG rules on the page.
    assert results.response["passes"] or results.response["inapplicable"]


def execute(store, sql, params=()):
    """Run one statement on ``store`` in a transaction of its own, on either
    backend (to set up what no store method writes)."""
    with store._write() as conn:
        return conn.execute(sql, params).rowcount


def dump_text(store) -> str:
    """Every row of every table as text, on either backend (to check that a
    secret is stored nowhere in the clear)."""
    if store.dialect == "sqlite":
        return "\n".join(store.db.conn.iterdump())
    return "\n".join(
        row["line"]
        for name in store.backend.table_names()
        for row in store._all(f'SELECT t::text AS line FROM "{name}" t')  # noqa: S608
    )


def in_processes(function, *args, count=4):
    """Run ``function(barrier, *args)`` in ``count`` fresh processes at once
    (the barrier lets them start together), as several hosts would; their
    results. A process that raises fails the test with its exception."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(count)
    results = context.Queue()
    processes = [
        context.Process(target=_reporting_to, args=(results, function, barrier, *args))
        for _ in range(count)
    ]
    for process in processes:
        process.start()
    found = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    failures = [value for ok, value in found if not ok]
    assert not failures, failures
    return [value for _ok, value in found]


def _reporting_to(results, function, *args):
    try:
        results.put((True, function(*args)))
    except BaseException as exc:  # reported to the test, which fails
        results.put((False, repr(exc)))


def mailed_draft_path(store) -> str:
    """The path and query of the draft link in the one draft e-mail queued."""
    [mail] = [m for m in store.outbox_messages() if m["kind"] == "draft"]
    url = re.search(r"https?://\S+", mail["body_text"]).group(0)
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"
