"""The ``flask ecitiz`` command that renders issued documents ahead of downloads."""

from __future__ import annotations

import logging

import click
from flask import current_app

from ..state import state
from ..web.downloads import RenderReport, render_issued
from .commands import group

log = logging.getLogger(__name__)


@group.command("render-documents")
def render_documents() -> None:
    """Render and store the PDF of each attestation issued since the last pass.

    The send-mail worker does it at each pass too; a document not rendered yet
    is rendered by its first download. Exits 1 if a document could not be.
    """
    report = render_documents_pass()
    if report is None:
        raise click.ClickException(
            "set ECITIZ_PUBLIC_URL (or SERVER_NAME): the QR codes carry the kit's"
            " address. Until then documents are rendered by their first download."
        )
    click.echo(f"{report.rendered} document(s) rendered.")
    for failure in report.failed:
        click.echo(f"  {failure}", err=True)
    if report.failed:
        raise SystemExit(1)


def render_documents_pass() -> RenderReport | None:
    """One rendering pass for the background worker; None when the kit's address
    is unknown (documents are then rendered by their first download)."""
    app = current_app
    config = app.config
    base_url = config["ECITIZ_PUBLIC_URL"] or (
        config.get("SERVER_NAME")
        and f"{config['PREFERRED_URL_SCHEME']}://{config['SERVER_NAME']}"
    )
    if not base_url:
        return None
    with app.test_request_context(base_url=base_url):
        return render_issued(state())


def render_documents_in_worker() -> None:
    """The background worker's hook: one rendering pass whose failure is logged,
    never in the way of the worker's other work (documents not rendered are
    rendered by their download)."""
    try:
        render_documents_pass()
    except Exception:
        log.exception("rendering documents failed; retrying at the next pass")
