"""An organisation's counter: every procedure it offers on one page, made to be
embedded like a form (``data-ecitiz-counter``), with the link to start each."""

from __future__ import annotations

from flask import Blueprint, g, render_template
from werkzeug.exceptions import HTTPException, InternalServerError

from ..domain.counter import procedures
from ..domain.lookup import find_organisation
from ..state import state
from ..store import utcnow
from ..web.opening import opening_note
from ..web.pages import forget_page_language, set_page_language, template_helpers
from .my_requests_page import my_requests_form
from .pages import allow_framing, http_error, public_headers, server_error

blueprint = Blueprint("ecitiz_counter", __name__, template_folder="../templates")
blueprint.before_request(set_page_language)
blueprint.teardown_request(forget_page_language)
blueprint.context_processor(template_helpers)
blueprint.after_request(public_headers)
blueprint.register_error_handler(HTTPException, http_error)
blueprint.register_error_handler(InternalServerError, server_error)


@blueprint.get("/c/<org>")
def counter(org: str) -> str:
    kit = state()
    organisation = find_organisation(kit.store, org)
    allow_framing(organisation)
    found = procedures(
        kit.store, kit.forms, organisation["id"], g.ecitiz_lang, utcnow()
    )
    return render_template(
        "ecitiz/counter.html",
        organisation=organisation,
        procedures=[
            (procedure, opening_note(procedure.opening, procedure.state))
            for procedure in found
        ],
        my_requests=my_requests_form(organisation),
    )
