"""A sample organisation's website that embeds the kit's forms, kit included.

``python -m demo_site`` serves it; ``flask --app demo_site ecitiz …`` runs the kit's
commands against its data. Everything it needs is created on first start in
``ECITIZ_DATA_DIR`` (default ``./instance``). The demo has no SMTP server: its
e-mails are written as ``.eml`` files under ``<ECITIZ_DATA_DIR>/mail`` by a
background sender that ``python -m demo_site`` starts.
"""

from __future__ import annotations

import os
import secrets
import threading
from pathlib import Path

from flask import Flask, abort, current_app, render_template

from ecitiz_kit import EcitizKit
from ecitiz_kit.config import DEFAULTS
from ecitiz_kit.domain.deadlines import set_period
from ecitiz_kit.domain.payments import check_account
from ecitiz_kit.forms.loading import catalog_ids, load_catalog
from ecitiz_kit.mail.delivery import deliver_from_config, mail_folder, run_loop
from ecitiz_kit.passwords import hash_password
from ecitiz_kit.state import periods, state
from ecitiz_kit.web.embedding import check_theme
from ecitiz_kit.web.pages import compose_queued
from ecitiz_kit.web.snippets import counter_snippet, script_snippet, status_snippet
from ecitiz_kit.web.urls import kit_base_url

ORG_SLUG = "val-fleuri"
ORG_NAME = "Val-Fleuri Entreprendre"
ADMIN_EMAIL = "admin@val-fleuri.example"
FORMS = catalog_ids()  # every ready-made procedure
DEFAULT_ORIGINS = ("http://127.0.0.1:5000", "http://localhost:5000")
KIT_PREFIX = "/kit"
#: The forms' look, matching the site's: colour, corner radius, font.
SITE_THEME = ("#7a2e0e", 8, "serif")
#: A payment deferral not answered within its decision period is granted
#: ("silence vaut accord"): the worker accepts it the day after its due date.
SILENCE_MEANS_CONSENT = "payment-deferral"
#: The account the demo's payment files pay from (a valid, made-up IBAN).
DEBTOR_ACCOUNT = ("Val-Fleuri Entreprendre", "FR7630006000011234567890189", "AGRIFRPP")


def create_app(
    origins: tuple[str, ...] = DEFAULT_ORIGINS, base_url: str | None = None
) -> Flask:
    """The demo site; ``origins`` are the addresses it is visited at, and
    ``base_url`` the one it prints (tracking links lead to its /suivi page)."""
    data_dir = Path(os.environ.get("ECITIZ_DATA_DIR", DEFAULTS["ECITIZ_DATA_DIR"]))
    data_dir.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=_secret_key(data_dir),
        ECITIZ_DATA_DIR=str(data_dir),
        ECITIZ_URL_PREFIX=KIT_PREFIX,
        # Where links in e-mails lead (and what `flask ecitiz doctor` checks).
        ECITIZ_PUBLIC_URL=base_url or origins[0],
        # One process serves the demo: counting in its memory is right.
        ECITIZ_RATELIMIT_STORAGE_URI="memory://",
    )
    EcitizKit(app)
    with app.app_context():
        seed(origins, (base_url or origins[0]) + "/suivi")

    @app.get("/")
    def home() -> str:
        return render_template("home.html", organisation=ORG_NAME)

    @app.get("/aide")
    def aid() -> str:
        return _form_page("aid-request")

    @app.get("/attestation")
    def attestation() -> str:
        return _form_page("attestation")

    @app.get("/demarches")
    def procedures() -> str:
        # The same as `flask ecitiz snippet val-fleuri --counter --lang fr
        # --no-heading`: the page has its own title.
        snippet = counter_snippet(ORG_SLUG, kit_base_url(), lang="fr", heading=False)
        return render_template("procedures.html", snippet=snippet)

    @app.get("/suivi")
    def follow() -> str:
        # The same as `flask ecitiz snippet val-fleuri --status --lang fr`: a
        # tracking link pointing here with `#ecitiz=TOKEN` opens straight on it.
        snippet = status_snippet(ORG_SLUG, kit_base_url(), lang="fr")
        return render_template("follow.html", snippet=snippet)

    return app


def _form_page(form_id: str) -> str:
    kit = state()
    organisation = kit.store.organisation(ORG_SLUG)
    row = organisation and kit.store.enabled_form(organisation["id"], form_id)
    if not row:
        abort(404)
    # The same as `flask ecitiz snippet val-fleuri FORM --lang fr`: the site is
    # in French, so its forms are too.
    title = row["title_override"] or load_catalog(form_id).title["fr"]
    snippet = script_snippet(ORG_SLUG, form_id, title, kit_base_url(), "fr")
    return render_template(f"{form_id}.html", snippet=snippet, title=title)


def seed(origins: tuple[str, ...], tracking_page: str) -> None:
    """Create the sample organisation, its forms, origins and admin, once."""
    kit = state()
    store = kit.store
    organisation = store.organisation(ORG_SLUG)
    if organisation is None:
        organisation = store.create_organisation(
            ORG_SLUG, ORG_NAME, "contact@val-fleuri.example"
        )
        # The site's own brown, corners and serif (static/site.css), checked as
        # the dashboard checks them; staff may change them in the settings.
        theme = check_theme(*SITE_THEME)
        store.set_theme(organisation["id"], theme.primary, theme.radius, theme.font)
        # Accepted aid requests can be paid: a payment file needs an account.
        account = check_account(*DEBTOR_ACCOUNT)
        store.set_debtor_account(
            organisation["id"], account.name, account.iban, account.bic
        )
    for form_id in FORMS:
        if store.enabled_form(organisation["id"], form_id) is None:
            definition = load_catalog(form_id)
            # Attestations are self-service here: issued as soon as they are asked.
            store.enable_form(
                organisation["id"],
                form_id,
                definition.version,
                None,
                definition.retention_days or DEFAULTS["ECITIZ_RETENTION_DAYS"],
                issue_on_submit=definition.document is not None,
            )
            if form_id == SILENCE_MEANS_CONSENT:
                set_period(
                    store,
                    kit.forms,
                    periods(current_app.config),
                    organisation["id"],
                    form_id,
                    days=None,
                    rule="accept",
                )
    for origin in origins:
        store.add_allowed_origin(organisation["id"], origin)
    # Tracking links open the site's own "follow my request" page (status mode).
    store.set_tracking_page(organisation["id"], tracking_page)
    if store.staff_by_email(ADMIN_EMAIL) is None:
        password = secrets.token_urlsafe(12)
        store.create_staff(organisation["id"], ADMIN_EMAIL, hash_password(password))
        # So a newcomer sees the staff e-mail too.
        store.set_staff_notify(ADMIN_EMAIL, True)
        _write_private(kit.data_dir / "demo-admin.txt", f"{ADMIN_EMAIL}\n{password}\n")


def deliver_mail_in_background(app: Flask, interval: float = 2.0) -> threading.Event:
    """Run ``flask ecitiz send-mail --loop`` in a thread; set the event to stop it.

    Returns at once; the messages appear as ``.eml`` files in :func:`mail_dir`.
    """
    stop = threading.Event()

    def send() -> None:
        with app.app_context():
            kit = state(app)
            compose = compose_queued()
            run_loop(
                lambda: deliver_from_config(
                    kit.store, app.config, kit.data_dir, compose=compose
                ),
                interval,
                stop,
            )

    threading.Thread(target=send, name="demo-send-mail", daemon=True).start()
    return stop


def mail_dir(app: Flask) -> Path:
    """Where the demo's e-mails are written."""
    return mail_folder(state(app).data_dir)


def admin_login(app: Flask) -> tuple[str, str]:
    """The demo admin's e-mail and password, as written on first start."""
    path = state(app).data_dir / "demo-admin.txt"
    email, password = path.read_text().split("\n")[:2]
    return email, password


def _secret_key(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if not path.exists():
        _write_private(path, secrets.token_hex(32))
    return path.read_text().strip()


def _write_private(path: Path, content: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fp:
        fp.write(content)
