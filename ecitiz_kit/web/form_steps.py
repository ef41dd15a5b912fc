"""The page of a form in steps that a response shows, and the steps token it
carries (see :mod:`ecitiz_kit.forms.steps`).

Why hidden fields and not a server-side draft between pages: a draft would
write a row per "Next" for every visitor (robots included) and need a purge;
the answers are in the applicant's own page anyway, and the server checks
every one of them again when the form is sent. The signed token only makes a
change to the carried answers, or a skipped page, a refused post.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from ..forms import steps
from ..forms.registry import PublicForm
from ..tokens import InvalidToken, Steps, Tokens


@dataclass(frozen=True)
class Posted:
    """The steps token of a post: ``steps`` when it holds, ``bad`` when one was
    posted that does not (tampered, expired, another ticket's, other answers)."""

    steps: Steps | None = None
    bad: bool = False


def posted(
    tokens: Tokens, form: PublicForm, nonce: str, values: MultiDict, max_age: int
) -> Posted:
    """Read the steps token in ``values``, posted with the ticket ``nonce``."""
    token = values.get("_steps", "")
    if not token or not form.definition.pages:
        return Posted()
    try:
        read = tokens.read_form_steps(token, max_age)
    except InvalidToken:
        return Posted(bad=True)
    definition = form.definition
    holds = (
        read.organisation_id == form.organisation["id"]
        and read.form_id == form.row["form_id"]
        and read.nonce == nonce
        and steps.known(definition, read.page)
        and steps.digest(steps.carried(definition, read.page, values)) == read.carried
    )
    return Posted(steps=read) if holds else Posted(bad=True)


def shown_page(
    form: PublicForm,
    page: str | None,
    errors: dict[str, str],
    before: Steps | None,
) -> str:
    """The page to show: ``page`` if given, else the first with an error, else
    the page posted from, else the first."""
    definition = form.definition
    if page is not None and steps.known(definition, page):
        return page
    with_error = steps.first_page_with(definition, errors)
    if with_error is not None:
        return with_error
    if before is not None:
        return before.page
    return steps.page_ids(definition)[0]


def context(
    tokens: Tokens,
    form: PublicForm,
    nonce: str,
    values: MultiDict,
    page_id: str,
    to_check: bool,
) -> dict[str, Any]:
    """What the templates need to show the step ``page_id``: the page, its
    number, the answers it carries and its token."""
    definition = form.definition
    ids = steps.page_ids(definition)
    hidden = steps.carried(definition, page_id, values)
    token = tokens.form_steps(
        Steps(
            organisation_id=form.organisation["id"],
            form_id=form.row["form_id"],
            nonce=nonce,
            page=page_id,
            carried=steps.digest(hidden),
            to_check=to_check,
        )
    )
    return {
        "step": steps.page(definition, page_id),
        "fields": definition.page_fields(page_id),
        "step_number": ids.index(page_id) + 1 if page_id in ids else len(ids) + 1,
        "step_count": len(ids) + 1,
        "step_first": bool(ids) and page_id == ids[0],
        "step_to_check": to_check,
        "carried": hidden,
        "steps_token": token,
    }
