"""The ``flask ecitiz`` commands, the same in any application that mounts the kit."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .. import lifecycle
from ..documents import attestations
from ..documents.signing import KeyFileError, format_serial
from ..domain.deadlines import set_period
from ..domain.lookup import find_organisation
from ..domain.opening import Opening
from ..domain.status import change_status
from ..errors import (
    DefinitionError,
    ForbiddenTransition,
    MessageRequired,
    UnknownObject,
)
from ..forms.checks import MAX_DECISION_DAYS, MAX_RETENTION_DAYS
from ..forms.loading import (
    catalog_ids,
    definition_to_json,
    load_catalog,
    load_definition,
)
from ..forms.registry import find_form
from ..forms.validators import is_email_address
from ..i18n import text
from ..passwords import WeakPassword, hash_password
from ..state import periods, state
from ..store import InPaymentBatch, StaleStatus
from ..store.retention import AFTER_RETENTION
from ..web.contact import BadContact, check_contact_email
from ..web.frame_heights import counter_height, fitting_height
from ..web.origins import BadOrigin, normalise_origin
from ..web.pages import notices, today
from ..web.snippets import (
    counter_iframe_snippet,
    counter_snippet,
    iframe_snippet,
    script_snippet,
    status_snippet,
)
from ..web.urls import kit_base_url
from .opening_times import describe, read_schedule

group = AppGroup("ecitiz", help="Manage ecitiz-kit organisations, forms and staff.")

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]\Z")
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def command_name() -> str:
    """How the running command was called, for the hints in its messages:
    ``ecitiz`` (the standalone console command), else ``flask ecitiz``."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.find_root().info_name == "ecitiz":
        return "ecitiz"
    return "flask ecitiz"


def organisation_named(slug: str) -> dict:
    """The organisation ``slug`` names; an unknown one stops the command."""
    try:
        return find_organisation(state().store, slug)
    except UnknownObject:
        raise click.ClickException(
            f"no organisation {slug!r}; create it with: {command_name()} create-org"
            f" {slug} --name NAME"
        ) from None


def _new_password_hash() -> str:
    """Read a password (prompted twice on a terminal, else one line of standard
    input) and hash it; a weak one stops the command with the reason."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        return hash_password(password)
    except WeakPassword as exc:
        raise click.ClickException(str(exc)) from None


@group.command("init-db")
def init_db() -> None:
    """Create or upgrade the database."""
    kit = state()
    version = kit.store.migrate()
    click.echo(f"Database ready at {kit.store.where()} (schema version {version}).")


@group.command("create-org")
@click.argument("slug")
@click.option(
    "--name", required=True, help="The organisation's name as people read it."
)
@click.option("--contact", default=None, help="E-mail address of the organisation.")
def create_org(slug: str, name: str, contact: str | None) -> None:
    """Create an organisation; SLUG appears in its form addresses."""
    if not SLUG.match(slug):
        raise click.ClickException(
            f"{slug!r} is not a valid slug: use 2 to 40 lower-case letters, digits and"
            " dashes, starting and ending with a letter or digit."
        )
    if not name.strip() or len(name) > 200:
        raise click.ClickException("--name must be between 1 and 200 characters.")
    if contact is not None:
        try:
            contact = check_contact_email(contact)
        except BadContact as exc:
            raise click.ClickException(str(exc)) from None
    store = state().store
    if store.organisation(slug) is not None:
        raise click.ClickException(f"organisation {slug!r} already exists.")
    store.create_organisation(slug, name.strip(), contact)
    click.echo(f"Created organisation {slug!r} ({name.strip()}).")


#: ``--deadline-rule`` values as stored (``none``: no rule).
RULES = {"accept": "accept", "reject": "reject", "none": None}


@group.command("enable-form")
@click.argument("org")
@click.argument("form")
@click.option("--title", default=None, help="Show this title instead of the form's.")
@click.option(
    "--retention-days",
    type=click.IntRange(1, MAX_RETENTION_DAYS),
    default=None,
    help="Days to keep requests after their last change (default: the form"
    " definition's retention_days, else ECITIZ_RETENTION_DAYS).",
)
@click.option(
    "--after-retention",
    type=click.Choice(AFTER_RETENTION),
    default=None,
    help="Then delete its requests, or anonymise them (keeping statuses, dates,"
    " postal codes and amounts). Default: delete; enabled again, the form keeps"
    " its choice.",
)
@click.option(
    "--decision-days",
    type=click.IntRange(1, MAX_DECISION_DAYS),
    default=None,
    help="Days staff have to decide on a request (default: the form definition's"
    " decision_days, else ECITIZ_DECISION_DAYS); due dates move with it.",
)
@click.option(
    "--deadline-rule",
    type=click.Choice(["accept", "reject", "none"]),
    default=None,
    help="What the worker does to requests still undecided once due: accept"
    " (silence means consent), reject (silence means refusal) or none.",
)
@click.option(
    "--issue-on-submit",
    is_flag=True,
    help="Accept requests at once and issue their attestation (forms with a document).",
)
@click.option(
    "--opens",
    metavar="WHEN",
    default=None,
    help="Take requests only from then on, e.g. 2026-03-01T09:00 (see schedule).",
)
@click.option(
    "--closes",
    metavar="WHEN",
    default=None,
    help="Take no new request from then on (see schedule).",
)
def enable_form(
    org: str,
    form: str,
    title: str | None,
    retention_days: int | None,
    after_retention: str | None,
    decision_days: int | None,
    deadline_rule: str | None,
    issue_on_submit: bool,
    opens: str | None,
    closes: str | None,
) -> None:
    """Enable FORM (a ready-made id or a definition file) for organisation ORG.

    Enabled again, a form keeps its opening times but for those given."""
    organisation = organisation_named(org)
    try:
        if form in catalog_ids():
            definition, source = load_catalog(form), None
        elif form.endswith(".json") or Path(form).exists():
            definition = load_definition(form)
            source = definition_to_json(definition)
        else:
            raise click.ClickException(
                f"no ready-made form {form!r} and no such file (ready-made forms: "
                f"{', '.join(catalog_ids())})."
            )
    except (DefinitionError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    if issue_on_submit and definition.document is None:
        raise click.ClickException(
            f"--issue-on-submit: form {definition.id!r} describes no document to issue."
        )
    if source is not None and definition.id in catalog_ids():
        raise click.ClickException(
            f"{form}: the id {definition.id!r} is a ready-made form's; give your form"
            " its own id."
        )
    store = state().store
    schedule = None
    if opens is not None or closes is not None:
        row = store.enabled_form(organisation["id"], definition.id)
        schedule = read_schedule(Opening.of(row) if row else Opening(), opens, closes)
    kept = (
        retention_days
        or definition.retention_days
        or current_app.config["ECITIZ_RETENTION_DAYS"]
    )
    row = store.enable_form(
        organisation["id"],
        definition.id,
        definition.version,
        source,
        kept,
        title.strip() if title and title.strip() else None,
        issue_on_submit,
        schedule=schedule,
        after_retention=after_retention,
    )
    then = "anonymised" if row["after_retention"] == "anonymise" else "deleted"
    counted = periods(current_app.config)
    if decision_days is not None or deadline_rule is not None:
        # Only when given: a period left to the definition or the setting stays
        # so (the applicant is promised a delay only by one set for the form).
        row = (
            set_period(
                store,
                state().forms,
                counted,
                organisation["id"],
                definition.id,
                days=decision_days,
                rule=... if deadline_rule is None else RULES.get(deadline_rule),
            )
            or row  # just enabled: only a form disabled meanwhile is missing
        )
    click.echo(
        f"Enabled form {definition.id!r} (version {definition.version}) for {org!r};"
        f" its requests are kept {kept} days after their last change, then {then}."
    )
    click.echo(
        f"Decisions are due {counted.days(row, definition)} days after a request"
        " arrives"
        + {
            "accept": "; undecided requests are then accepted.",
            "reject": "; undecided requests are then refused.",
        }.get(row["deadline_rule"], ".")
    )
    if schedule is not None:
        click.echo(f"Schedule: {describe(Opening.of(row))}.")


@group.command("allow-origin")
@click.argument("org")
@click.argument("url")
def allow_origin(org: str, url: str) -> None:
    """Let the website at URL (scheme://host[:port]) embed ORG's forms."""
    organisation = organisation_named(org)
    try:
        origin = normalise_origin(url)
    except BadOrigin as exc:
        raise click.ClickException(str(exc)) from None
    if state().store.add_allowed_origin(organisation["id"], origin):
        click.echo(f"{origin} may now embed the forms of {org!r}.")
    else:
        click.echo(f"{origin} was already allowed for {org!r}.")


@group.command("create-admin")
@click.argument("org")
@click.argument("email")
def create_admin(org: str, email: str) -> None:
    """Create a staff account for ORG; the password is read from standard input."""
    organisation = organisation_named(org)
    if not is_email_address(email):
        raise click.ClickException(f"{email!r} is not an e-mail address.")
    store = state().store
    if store.staff_by_email(email) is not None:
        raise click.ClickException(f"a staff account for {email} already exists.")
    password_hash = _new_password_hash()
    store.create_staff(organisation["id"], email, password_hash)
    click.echo(f"Created staff account {email} for {org!r}.")


@group.command("reset-password")
@click.argument("org")
@click.argument("email")
def reset_password(org: str, email: str) -> None:
    """Set a new password for a staff account of ORG (read from standard input);
    every session of that person ends."""
    organisation = organisation_named(org)
    store = state().store
    staff = store.staff_in(organisation["slug"], email)
    if staff is None:
        raise click.ClickException(f"no staff account {email} in {org!r}.")
    password_hash = _new_password_hash()
    ended = store.set_password(staff["id"], password_hash)
    click.echo(f"New password set for {staff['email']}; {ended} session(s) ended.")


@group.command("list-forms")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def list_forms(as_json: bool) -> None:
    """List the ready-made forms."""
    rows = [
        {"id": form_id, "version": d.version, "title": text(d.title, "en")}
        for form_id in catalog_ids()
        for d in [load_catalog(form_id)]
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    width = max(map(len, catalog_ids()))
    for row in rows:
        click.echo(f"{row['id']:<{width}}  v{row['version']:<3} {row['title']}")


@group.command("snippet")
@click.argument("org")
@click.argument("form", required=False)
@click.option(
    "--base-url",
    default=None,
    help="Address of the kit, e.g. https://forms.example.org.",
)
@click.option(
    "--lang",
    type=click.Choice(["fr", "en"]),
    default=None,
    help="Always show the form in this language (default: the host page's).",
)
@click.option(
    "--iframe",
    "plain",
    is_flag=True,
    help="Print a plain <iframe> instead, for site builders that strip scripts.",
)
@click.option(
    "--status",
    is_flag=True,
    help="Print the status mode instead: applicants follow their request there.",
)
@click.option(
    "--counter",
    is_flag=True,
    help="Print the counter instead: all of ORG's procedures on one page.",
)
@click.option(
    "--no-heading",
    "heading",
    is_flag=True,
    flag_value=False,
    default=True,
    help="Hide the frame's heading and organisation name (the host page has its"
    " own title); screen readers still read them.",
)
@click.option(
    "--no-language-switch",
    "language_switch",
    is_flag=True,
    flag_value=False,
    default=True,
    help="Leave out the frame's language links (the host page chooses).",
)
def snippet(
    org: str,
    form: str | None,
    base_url: str | None,
    lang: str | None,
    plain: bool,
    status: bool,
    counter: bool,
    heading: bool,
    language_switch: bool,
) -> None:
    """Print the HTML that ORG pastes into its website to show FORM (or, with
    --status, to let applicants follow their requests; with --counter, to list
    all its procedures)."""
    kit = state()
    organisation = organisation_named(org)
    base = base_url or current_app.config["ECITIZ_PUBLIC_URL"] or DEFAULT_BASE_URL
    try:
        base = normalise_origin(base)
    except BadOrigin as exc:
        raise click.ClickException(f"--base-url {exc}") from None
    with current_app.test_request_context(base_url=base):
        kit_url = kit_base_url(base)
    if counter:
        if form is not None or status:
            raise click.ClickException("--counter takes no FORM and no --status.")
        hiding = {"heading": heading, "language_switch": language_switch}
        if plain:
            listed = [
                kit.forms.get(row)[0]
                for row in kit.store.enabled_forms(organisation["id"])
            ]
            height = counter_height(listed, heading=heading)
            html = counter_iframe_snippet(
                organisation["slug"], kit_url, lang=lang, height=height, **hiding
            )
        else:
            html = counter_snippet(organisation["slug"], kit_url, lang=lang, **hiding)
        click.echo(html)
        return
    if status:
        if form is not None or plain:
            raise click.ClickException("--status takes no FORM and no --iframe.")
        click.echo(
            status_snippet(
                organisation["slug"],
                kit_url,
                lang=lang,
                heading=heading,
                language_switch=language_switch,
            )
        )
        return
    if form is None:
        raise click.ClickException(
            "give the FORM to embed (e.g. aid-request), or --status, or --counter."
        )
    try:
        public_form = find_form(kit.store, kit.forms, org, form)
    except UnknownObject:
        raise click.ClickException(
            f"form {form!r} is not enabled for {org!r}; enable it with:"
            f" {command_name()} enable-form {org} {form}"
        ) from None
    # With --lang the form always shows in that language; without, in the host
    # page's (the loader reads <html lang>), else the visitor's browser's.
    title = public_form.title(lang or current_app.config["ECITIZ_DEFAULT_LANGUAGE"])
    where = (organisation["slug"], public_form.row["form_id"], title, kit_url, lang)
    hiding = {"heading": heading, "language_switch": language_switch}
    if plain:
        height = fitting_height(public_form.definition, heading=heading)
        click.echo(iframe_snippet(*where, height=height, **hiding))
    else:
        click.echo(script_snippet(*where, **hiding))


@group.command("set-status")
@click.argument("reference")
@click.argument("status", type=click.Choice(lifecycle.STATUSES))
@click.option("--message", default=None, help="Public message, shown to the applicant.")
@click.option("--note", default=None, help="Private note, for staff only.")
@click.option(
    "--by", "actor", default="cli", help="Who makes the change (for the record)."
)
def set_status(
    reference: str, status: str, message: str | None, note: str | None, actor: str
) -> None:
    """Move the request REFERENCE to STATUS (accepting an attestation issues it)."""
    kit = state()
    submission = kit.store.submission_by_reference(reference.strip().upper())
    if submission is None:
        raise click.ClickException(f"no request with reference {reference!r}.")
    try:
        changed = change_status(
            kit.store, kit.forms, kit.keyring, submission, status,
            actor=actor, public_message=message, private_note=note,
            notices=notices(),
        )  # fmt: skip
    except ForbiddenTransition as exc:
        allowed = ", ".join(lifecycle.TRANSITIONS[submission["status"]]) or "nowhere"
        raise click.ClickException(
            f"{reference} is {exc.from_status}: it can only go to {allowed}."
        ) from None
    except InPaymentBatch as exc:
        raise click.ClickException(
            f"{reference} is in payment file {exc.batch_id}: mark that file paid"
            " or cancel it first."
        ) from None
    except MessageRequired:
        raise click.ClickException(
            f"sending {reference} back needs --message saying what to change."
        ) from None
    except KeyFileError as exc:
        raise click.ClickException(f"{reference} was not changed: {exc}.") from None
    except StaleStatus:
        raise click.ClickException(
            f"{reference} changed status meanwhile; run the command again."
        ) from None
    click.echo(f"{reference} is now {changed['status']}.")
    for document in kit.store.documents(changed["id"]):
        if document["revoked_at"] is None:
            click.echo(f"Attestation {format_serial(document['serial'])} issued.")


@group.command("keygen")
@click.argument("org")
def keygen(org: str) -> None:
    """Give ORG a new signing key; earlier keys stay published while needed."""
    organisation = organisation_named(org)
    kid, _key = state().keyring.rotate(organisation["id"])
    click.echo(f"New signing key {kid} for {org!r}.")


@group.command("verify")
@click.argument("payload")
def verify(payload: str) -> None:
    """Check an attestation code (or its whole link). Prints the verdict first;
    exits 0 only for a valid attestation."""
    check = attestations.verify(state().keyring, payload[:2048], today())
    click.echo(check.verdict)
    if check.claims is not None:
        claims = check.claims
        click.echo(f"holder: {claims.holder}")
        click.echo(f"issuer: {check.issuer}")
        click.echo(f"valid: {claims.valid_from} to {claims.valid_to}")
        click.echo(f"serial: {format_serial(claims.serial)}")
    sys.exit(0 if check.verdict == "valid" else 1)


@group.command("revoke")
@click.argument("serial")
@click.option("--reason", default=None, help="Why (kept with the document).")
def revoke(serial: str, reason: str | None) -> None:
    """Revoke the attestation SERIAL: checkers online will see it revoked."""
    try:
        changed = attestations.revoke(state().store, serial, reason)
    except attestations.NoSuchDocument:
        raise click.ClickException(f"no attestation with serial {serial!r}.") from None
    click.echo(f"Revoked {serial}." if changed else f"{serial} was already revoked.")
