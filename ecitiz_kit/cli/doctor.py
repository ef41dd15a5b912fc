"""``flask ecitiz doctor``: check what a deployment needs before it serves.

Each check says nothing when all is well, or one line per problem (the command
then exits 1) or per warning (something to know, which does not fail it). The
number of server workers, which decides whether rate-limit counters kept in
memory are good enough, is ``--workers``, else ``WEB_CONCURRENCY``, else the
``--workers``/``-w`` of ``GUNICORN_CMD_ARGS``, else 1.
"""

from __future__ import annotations

import ipaddress
import os
import shlex
import smtplib
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from flask import current_app

from ..company_directory import DirectoryUnavailable
from ..documents.signing import KeyFiles
from ..state import KitState, counts_per_process, ratelimit_storage, ratelimits_enabled
from ..state import state as kit_state
from ..throttle import Throttle
from ..tokens import weak_secret_key
from .commands import command_name, group

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


@dataclass(frozen=True)
class Finding:
    """One thing the doctor found: a ``problem`` fails the check, a warning not."""

    text: str
    problem: bool = True


Check = Callable[[Mapping[str, Any], KitState, int, float], Iterator[Finding]]


def check_secret_key(
    config: Mapping[str, Any], kit: KitState, workers: int, timeout: float
) -> Iterator[Finding]:
    if weak_secret_key(config.get("SECRET_KEY")):
        yield Finding(
            "SECRET_KEY is missing, too short or a well-known example, so tokens "
            "could be forged: set FLASK_SECRET_KEY to the output of "
            "python -c 'import secrets; print(secrets.token_hex(32))'."
        )


def check_public_url(
    config: Mapping[str, Any], kit: KitState, workers: int, timeout: float
) -> Iterator[Finding]:
    url = config.get("ECITIZ_PUBLIC_URL")
    if not url:
        yield Finding(
            "ECITIZ_PUBLIC_URL is not set: links in e-mails and snippets would "
            "follow the Host header of each request; set it to the https address "
            "applicants reach, e.g. https://forms.example.org."
        )
        return
    parts = urlsplit(str(url))
    if parts.scheme == "https":
        return
    if _is_loopback(parts.hostname or ""):
        yield Finding(
            f"ECITIZ_PUBLIC_URL is {url}: plain http, fine on this machine only.",
            problem=False,
        )
        return
    yield Finding(
        f"ECITIZ_PUBLIC_URL is {url}: serve the kit over https (the staff cookie is "
        "only Secure then, and applicants type personal data)."
    )


def check_database(
    config: Mapping[str, Any], kit: KitState, workers: int, timeout: float
) -> Iterator[Finding]:
    try:
        version = kit.store.schema_version()
    except Exception as error:  # noqa: BLE001 - any failure is the finding
        yield Finding(f"the database cannot be read: {error}.")
        return
    needed = kit.store.schema_target()
    if version < needed:
        yield Finding(
            f"the database is at schema version {version}, the kit needs "
            f"{needed}: run {command_name()} init-db."
        )
    elif version > needed:
        yield Finding(
            f"the database is at schema version {version}, newer than this kit "
            f"knows ({needed}): upgrade ecitiz-kit."
        )


def check_rate_limits(
    config: Mapping[str, Any], kit: KitState, workers: int, timeout: float
) -> Iterator[Finding]:
    if not ratelimits_enabled(config):
        yield Finding(
            "rate limits are off (ECITIZ_RATELIMIT_ENABLED): the public forms can "
            "be used to send e-mail to anyone.",
            problem=False,
        )
        return
    if counts_per_process(config):
        if kit.store.dialect == "postgresql":
            yield Finding(
                "rate-limit counters are kept in memory, per process, while the "
                "database is PostgreSQL, which any number of hosts share: each "
                "process counts on its own. Set ECITIZ_RATELIMIT_STORAGE_URI to a "
                "storage every host shares, such as redis://redis.internal:6379."
            )
        elif workers > 1:
            yield Finding(
                f"rate-limit counters are kept in memory, per process, and {workers} "
                f"workers serve the kit: each counts on its own and lets {workers} "
                "times as much through. Set ECITIZ_RATELIMIT_STORAGE_URI to a "
                "shared storage such as redis://localhost:6379."
            )
        return
    uri = ratelimit_storage(config)
    try:
        reachable = Throttle(uri).reachable()
    except Exception as error:  # noqa: BLE001 - e.g. the storage's client missing
        yield Finding(f"rate-limit storage {_safe_uri(uri)} cannot be used: {error}.")
        return
    if not reachable:
        yield Finding(f"rate-limit storage {_safe_uri(uri)} does not answer.")


def check_smtp(
    config: Mapping[str, Any], kit: KitState, workers: int, timeout: float
) -> Iterator[Finding]:
    host = config.get("ECITIZ_SMTP_HOST")
    if not host:
        yield Finding(
            "ECITIZ_SMTP_HOST is not set: e-mails are written as .eml files under "
            f"{kit.data_dir / 'mail'}, nobody receives them.",
            problem=False,
        )
        return
    port = config["ECITIZ_SMTP_PORT"]
    kind = smtplib.SMTP_SSL if config["ECITIZ_SMTP_SSL"] else smtplib.SMTP
    try:
        with kind(host, port, timeout=timeout) as server:
            server.noop()
    except (OSError, smtplib.SMTPException) as error:
        yield Finding(f"the SMTP server {host}:{port} cannot be reached: {error}.")


def check_signing_keys(
    config: Mapping[str, Any], kit: KitState, workers: int, timeout: float
) -> Iterator[Finding]:
    for organisation in kit.store.organisations_with_forms():
        row = kit.store.signing_key(organisation["id"])
        if row is None:
            continue  # made on first use: the folder must take it
        try:
            kit.keyring.files.load(row["kid"])
        except Exception as error:  # noqa: BLE001 - unreadable, missing, corrupt
            yield Finding(
                f"the signing key of {organisation['slug']} cannot be read: {error}."
            )
    if not isinstance(kit.keyring.files, KeyFiles):
        return  # sealed in the database (PostgreSQL): no folder to write
    folder = Path(kit.keyring.files.folder)
    existing = folder if folder.exists() else folder.parent
    if not os.access(existing, os.W_OK | os.X_OK):
        yield Finding(
            f"the signing key folder {folder} cannot be written: new keys could "
            "not be made."
        )


def check_allowed_origins(
    config: Mapping[str, Any], kit: KitState, workers: int, timeout: float
) -> Iterator[Finding]:
    for organisation in kit.store.organisations_with_forms():
        if not kit.store.allowed_origins(organisation["id"]):
            slug = organisation["slug"]
            yield Finding(
                f"{slug} has forms enabled but no allowed origin, so no site can "
                f"embed them: run {command_name()} allow-origin {slug} https://…"
            )


def check_webhooks(
    config: Mapping[str, Any], kit: KitState, workers: int, timeout: float
) -> Iterator[Finding]:
    if config["ECITIZ_WEBHOOKS_ALLOW_PRIVATE"]:
        yield Finding(
            "ECITIZ_WEBHOOKS_ALLOW_PRIVATE is on: admins may point webhooks at "
            "plain http and at addresses inside your network; fine for tests and "
            "an intranet, not for a service open to many organisations.",
            problem=False,
        )
    for endpoint in kit.store.disabled_webhooks():
        yield Finding(
            f"the webhook endpoint {endpoint['url']} of {endpoint['slug']} was "
            f"disabled on {endpoint['disabled_at']} after repeated failures; an "
            f"admin enables it again on the webhooks page (or: {command_name()} "
            f"webhook {endpoint['slug']} --enable {endpoint['id']}).",
            problem=False,
        )


#: A valid SIRET the doctor asks the company directory about (stdnum's example).
PROBE_SIRET = "73282932000074"


def check_company_lookup(
    config: Mapping[str, Any], kit: KitState, workers: int, timeout: float
) -> Iterator[Finding]:
    directory = kit.company_directory(config)
    if directory is None:
        return  # off: forms ask for the details, nobody else is asked
    host = urlsplit(directory.url).hostname or ""
    if directory.url.startswith("http://") and not _is_loopback(host):
        yield Finding(
            f"ECITIZ_COMPANY_LOOKUP_URL is {directory.url}: plain http, so the"
            " SIRET numbers asked about travel in clear; use https.",
            problem=False,
        )
    try:
        directory.lookup(PROBE_SIRET)
    except DirectoryUnavailable as error:
        yield Finding(
            f"the company directory {directory.url} gives no usable answer"
            f" ({error}): applicants type the details and requests are checked"
            " later.",
            problem=False,
        )


CHECKS: tuple[tuple[str, Check], ...] = (
    ("secret key", check_secret_key),
    ("public URL", check_public_url),
    ("database", check_database),
    ("rate limits", check_rate_limits),
    ("e-mail", check_smtp),
    ("signing keys", check_signing_keys),
    ("allowed origins", check_allowed_origins),
    ("webhooks", check_webhooks),
    ("company lookup", check_company_lookup),
)


def server_workers(environ: Mapping[str, str]) -> tuple[int, str]:
    """How many processes serve the kit, and where that was read."""
    concurrency = environ.get("WEB_CONCURRENCY", "").strip()
    if concurrency.isdigit():
        return int(concurrency), "WEB_CONCURRENCY"
    try:
        args = shlex.split(environ.get("GUNICORN_CMD_ARGS", ""))
    except ValueError:
        args = []
    for index, arg in enumerate(args):
        value = None
        if arg in ("-w", "--workers") and index + 1 < len(args):
            value = args[index + 1]
        elif arg.startswith("--workers="):
            value = arg.partition("=")[2]
        elif arg.startswith("-w") and arg[2:].isdigit():
            value = arg[2:]
        if value and value.isdigit():
            return int(value), "GUNICORN_CMD_ARGS"
    return 1, "default"


@group.command("doctor")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes that serve the kit (default: WEB_CONCURRENCY, else the "
    "--workers of GUNICORN_CMD_ARGS, else 1).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 60),
    default=5.0,
    show_default=True,
    help="Seconds to wait for the SMTP server.",
)
def doctor(workers: int | None, timeout: float) -> None:
    """Check the deployment's settings; one line per problem, exit 1 if any."""
    if workers is None:
        workers, source = server_workers(os.environ)
    else:
        source = "--workers"
    config = current_app.config
    kit = kit_state()
    problems = warnings = 0
    for name, check in CHECKS:
        for finding in check(config, kit, workers, timeout):
            if finding.problem:
                problems += 1
                click.echo(f"problem: {name}: {finding.text}")
            else:
                warnings += 1
                click.echo(f"warning: {name}: {finding.text}")
    if problems:
        click.echo(f"{problems} problem(s) found; fix them before serving.", err=True)
        sys.exit(1)
    note = f", {warnings} warning(s)" if warnings else ""
    click.echo(
        f"ok: {len(CHECKS)} checks passed for {workers} worker(s) ({source}){note}."
    )


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _safe_uri(uri: str) -> str:
    """A storage URI without its password."""
    parts = urlsplit(uri)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return uri
