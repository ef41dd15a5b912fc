"""Where anyone checks an attestation: the /v page, the JSON API, the public keys.

The QR code of an attestation holds ``<kit>/v#<payload>``. The page checks the
signature in the browser against the keys it embeds, so it works offline once
loaded; without JavaScript, the code can be pasted and checked by the server.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    jsonify,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException, InternalServerError

from ..documents import attestations, signing
from ..i18n import format_date, gettext
from ..state import state
from ..throttle import Verdict
from ..web import csp
from ..web import ratelimits as limits
from ..web.pages import (
    error_pages,
    forget_page_language,
    set_page_language,
    template_helpers,
    today,
)

blueprint = Blueprint("ecitiz_verify", __name__, template_folder="../templates")
#: Served at the site root, where verifiers expect to find it.
well_known = Blueprint("ecitiz_keys", __name__)

MAX_PAYLOAD = 2048


blueprint.before_request(set_page_language)
blueprint.teardown_request(forget_page_language)
blueprint.context_processor(template_helpers)
#: What other systems call: their errors are JSON too.
API_ENDPOINTS = ("ecitiz_verify.verify_api", "ecitiz_verify.document_status")
http_error, server_error = error_pages(
    "ecitiz/error.html", wants_json=lambda: request.endpoint in API_ENDPOINTS
)
blueprint.register_error_handler(HTTPException, http_error)
blueprint.register_error_handler(InternalServerError, server_error)


@blueprint.after_request
def verification_headers(response: Response) -> Response:
    # As on the form pages: the payload is in the fragment, which no referrer
    # carries, and no-referrer would make the page's own form post Origin: null.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Cache-Control", "no-store")
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = csp.VERIFY
    else:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@blueprint.route("/v", methods=["GET", "POST"])
def verify_page() -> Any:
    """The verification page; a POST checks a pasted code on the server."""
    check = None
    pasted = ""
    if request.method == "POST":
        pasted = request.form.get("code", "")[:MAX_PAYLOAD]
        verdict = _counted()
        if not verdict:
            refusal = gettext(
                "Too many checks were made from your connection: try again in"
                " %(wait)s. The code you pasted is kept below.",
                wait=limits.wait(verdict),
            )
            return limits.too_many(_render(None, pasted, refusal), verdict)
        check = attestations.verify(state().keyring, pasted, today())
    return _render(check, pasted)


def _render(check: Any, pasted: str, refusal: str | None = None) -> str:
    return render_template(
        "ecitiz/verify.html",
        check=check,
        pasted=pasted,
        refusal=refusal,
        keys=state().keyring.published(today()),
        texts=verdict_texts(),
        status_url=url_for("ecitiz_verify.document_status", serial="SERIAL"),
        formatted_serial=signing.format_serial,
        format_date=format_date,
    )


def _counted() -> Verdict:
    return limits.hit(limits.client_key("verify-client", "ECITIZ_VERIFY_LIMIT"))


@blueprint.post("/api/verify")
def verify_api() -> tuple[Response, int] | Response:
    """Check a payload (or a whole QR URL) for other systems."""
    verdict = _counted()
    if not verdict:
        return limits.too_many_json(verdict)
    body = request.get_json(silent=True)
    payload = body.get("payload") if isinstance(body, dict) else None
    if not isinstance(payload, str) or not payload or len(payload) > MAX_PAYLOAD:
        return jsonify(error='send JSON {"payload": "..."}'), 400
    return jsonify(
        attestations.verify(state().keyring, payload, today()).as_json()
    ), 200


@blueprint.get("/api/documents/<serial>/status")
def document_status(serial: str) -> tuple[Response, int] | Response:
    """Whether a document was revoked; the serial is all the checker sends."""
    verdict = _counted()
    if not verdict:
        return limits.too_many_json(verdict)
    normal = signing.normalise_serial(serial)
    row = state().store.document(normal) if normal else None
    if row is None:
        return jsonify(error="unknown serial"), 404
    answer: dict[str, Any] = {"serial": normal, "revoked": bool(row["revoked_at"])}
    if row["revoked_at"]:
        answer["revoked_on"] = row["revoked_at"][:10]
    return jsonify(answer), 200


@well_known.get("/.well-known/ecitiz-keys.json")
def published_keys() -> Response:
    response = jsonify(format=1, keys=state().keyring.published(today()))
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


def verdict_texts() -> dict[str, str]:
    """What the page says for each verdict, in the page language."""
    return {
        "valid": gettext("Valid: this attestation was issued by %(issuer)s."),
        "forged": gettext(
            "Not genuine: this code was altered or was not issued by a known"
            " organisation."
        ),
        "expired": gettext("Expired: this attestation is no longer valid."),
        "not-yet-valid": gettext("Not valid yet: check the dates below."),
        "revoked": gettext("Revoked: the issuer has withdrawn this attestation."),
        "unknown-key": gettext(
            "Unknown issuer key: this attestation cannot be checked here; it may be"
            " too old or not from this service."
        ),
        "offline": gettext(
            "Checked offline: whether the issuer has revoked it could not be asked."
        ),
        "checking": gettext("Checking…"),
    }
