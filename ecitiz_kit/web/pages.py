"""What every page of the kit shares: its language, dates, template helpers, the
e-mails it may cause and its error pages."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import (
    current_app,
    g,
    has_request_context,
    jsonify,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, InternalServerError

from .._version import __version__
from ..domain.notices import Notices
from ..forms.conditions import condition_words
from ..forms.fields import html_attributes
from ..forms.validators import reveal_format_characters
from ..i18n import (
    choose_language,
    format_datetime,
    gettext,
    ngettext,
    text,
    use_language,
)
from ..i18n import today as today_in
from ..mail.messages import Composer
from ..state import state
from ..store import parse_stamp
from .embedding import Embed
from .urls import Links

log = logging.getLogger(__name__)


def set_page_language() -> None:
    """Choose the page language: ``?lang=``, then the browser's, then the default."""
    g.ecitiz_lang = choose_language(
        request.args.get("lang"),
        request.accept_languages,
        current_app.config["ECITIZ_DEFAULT_LANGUAGE"],
    )
    use_language(g.ecitiz_lang)


def forget_page_language(_error: BaseException | None = None) -> None:
    """After the request: text outside a page falls back to the default again."""
    use_language(None)


def when(stamp: str, lang: str | None = None) -> str:
    """A stored timestamp in the kit's time zone, in ``lang`` (by default the
    language of the page being rendered)."""
    return format_datetime(
        parse_stamp(stamp),
        lang or g.ecitiz_lang,
        current_app.config["ECITIZ_TIMEZONE"],
    )


def today() -> date:
    """Today in the kit's time zone."""
    return today_in(current_app.config["ECITIZ_TIMEZONE"])


def template_helpers() -> dict[str, Any]:
    """What the kit's templates use, for the kit's blueprints only (a host app
    may have its own ``_``)."""
    return {
        "_": gettext,
        "gettext": gettext,
        "ngettext": ngettext,
        "text": text,
        "lang": g.get("ecitiz_lang", "fr"),
        "html_attributes": html_attributes,
        "condition_words": condition_words,
        "asset_url": lambda filename: url_for(
            "ecitiz.asset", version=__version__, filename=filename
        ),
        "widget_url": lambda name: url_for(
            "ecitiz_widget.versioned", version=__version__, name=name
        ),
        "embed": g.get("ecitiz_embed") or Embed(),
        "style_nonce": g.get("ecitiz_style_nonce"),
    }


def visible_text(value: Any) -> Any:
    """The ``ecitiz_visible`` template filter: applicant text with its invisible
    format characters written out (see
    :func:`~ecitiz_kit.forms.validators.reveal_format_characters`); markup the
    kit made and other values pass unchanged."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return reveal_format_characters(value)
    return value


def links() -> Links:
    """The links of this application's requests (usable in a request or a command)."""
    kit = state()
    return Links(kit.tokens(current_app.config), kit.store)


def notices() -> Notices:
    """The e-mails a change may cause, with this application's templates, settings
    and links (usable in a request or a command)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    config = app.config

    def render(name: str, context: dict[str, Any]) -> str:
        return app.jinja_env.get_template(name).render(context)

    composer = Composer(
        render,
        config["ECITIZ_DEFAULT_LANGUAGE"],
        config["ECITIZ_TIMEZONE"],
        config["ECITIZ_MAIL_FROM"],
    )
    base_url = None
    if has_request_context():
        # What request.url_root says, without its IRI decoding (a tenth of the
        # cost of queueing a receipt).
        base_url = f"{request.scheme}://{request.host}{request.script_root}/"
    return Notices(composer, links(), base_url)


def compose_queued() -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    """What the delivery job calls to write the e-mails queued unwritten, with
    this application's templates (usable in a command: needs an app context)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    kit = state(app)

    def compose(row: dict[str, Any]) -> dict[str, Any] | None:
        if not row.get("base_url"):
            return notices().compose(kit.store, kit.forms, row)
        # Links as in the request that queued it: on its address, unless
        # ECITIZ_PUBLIC_URL says otherwise.
        with app.test_request_context(base_url=row["base_url"]):
            return notices().compose(kit.store, kit.forms, row)

    return compose


def error_pages(
    template: str, wants_json: Callable[[], bool] = lambda: False
) -> tuple[Callable[[HTTPException], Any], Callable[[InternalServerError], Any]]:
    """Error handlers rendering ``template`` (or, where ``wants_json()``, a JSON
    object): a server error shows a reference that the log repeats with the
    traceback, never the traceback itself."""

    def http_error(error: HTTPException) -> tuple[Any, int]:
        code = error.code or 500
        if wants_json():
            return jsonify(error=error.description), code
        return render_template(template, error=error), code

    def server_error(error: InternalServerError) -> tuple[Any, int]:
        incident = secrets.token_hex(4).upper()
        log.error(
            "incident %s on %s %s",
            incident,
            request.method,
            logged_path(),
            exc_info=error.original_exception,
        )
        if wants_json():
            return jsonify(error=error.description, incident=incident), 500
        return render_template(template, error=error, incident=incident), 500

    return http_error, server_error


def logged_path() -> str:
    """The current request's route as logs may show it: ``/r/<token>``, never the
    token itself (tracking and receipt links are as good as a password)."""
    rule = request.url_rule
    return rule.rule if rule is not None else "(no route)"
