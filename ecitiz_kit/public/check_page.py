"""The last step of a form in steps: every answer, grouped by page, each with
a "Change" button back to its page, and the button that sends the form."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, render_template, url_for
from werkzeug.datastructures import MultiDict

from ..domain import drafts
from ..forms import steps
from ..forms.fields import Outcome
from ..forms.registry import PublicForm
from ..state import state
from ..web import form_steps
from .pages import HONEYPOT, render_form, ticket_nonce


def render_check(
    form: PublicForm,
    values: MultiDict,
    outcome: Outcome,
    kept: list[dict[str, Any]],
    draft_key: str | None,
    *,
    ticket: str,
    notice: str | None = None,
) -> str:
    """The check page of answers that passed every check (``outcome``), the
    files ``kept`` (held by ``ticket``) named with them."""
    tokens = state().tokens(current_app.config)
    organisation_id = form.organisation["id"]
    org, form_id = form.organisation["slug"], form.row["form_id"]
    page_args = {
        "org": org,
        "form_id": form_id,
        "lang": g.ecitiz_lang,
        **g.ecitiz_embed.args,
    }
    answers = drafts.with_kept(outcome, kept).answers
    context = form_steps.context(
        tokens, form, ticket_nonce(ticket), values, steps.CHECK, to_check=True
    )
    return render_template(
        "ecitiz/check_answers.html",
        form=form,
        listed=steps.answers_by_page(form.definition, answers, g.ecitiz_lang),
        ticket=ticket,
        notice=notice,
        honeypot=HONEYPOT,
        draft_token=draft_key and tokens.draft_link(organisation_id, draft_key),
        draft_days=current_app.config["ECITIZ_DRAFT_DAYS"],
        action=url_for("ecitiz.submit_form", **page_args),
        step_action=url_for("ecitiz.form_step", **page_args),
        later_action=url_for("ecitiz.save_draft", **page_args),
        **context,
    )


def resume_check(
    form: PublicForm,
    values: MultiDict,
    kept: list[dict[str, Any]],
    draft_key: str,
    notice: str,
) -> str:
    """A draft saved from the check page, opened again: the check page if its
    answers still pass (a rule may have changed since), else the first page
    with a problem."""
    config = current_app.config
    outcome = form.compiled.validate(
        values,
        MultiDict(),
        max_file_size=config["ECITIZ_MAX_FILE_SIZE"],
        max_files=config["ECITIZ_MAX_FILES"],
        kept=drafts.kept_by_field(kept),
    )
    tokens = state().tokens(config)
    ticket = tokens.form_ticket(form.organisation["id"], form.row["form_id"])
    if outcome.ok:
        return render_check(
            form, values, outcome, kept, draft_key, ticket=ticket, notice=notice
        )
    return render_form(
        form,
        values,
        errors=outcome.errors,
        notice=notice,
        kept=kept,
        draft_key=draft_key,
        ticket=ticket,
        to_check=True,
    )
