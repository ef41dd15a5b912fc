"""Every absolute URL the kit hands out, built in this one module.

Inside a request, links are on the origin of ``ECITIZ_PUBLIC_URL`` when it is set,
else on the request's own. Outside one (a command, the mail worker) they need
``ECITIZ_PUBLIC_URL`` or Flask's ``SERVER_NAME``; without either there is no link
to give (``None``). The lower layers never build URLs: they are handed
:class:`Links`, or the strings made here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import current_app, has_request_context, request, url_for

from .._version import __version__
from ..documents.signing import verify_url
from ..store import Store
from ..tokens import Tokens


def origin_of(url: str) -> str:
    """The ``scheme://host[:port]`` part of an absolute URL, lower-cased."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def absolute(endpoint: str, **values: Any) -> str | None:
    """The absolute URL of one of the kit's pages, ``None`` when the kit's address
    cannot be known (outside a request, without a public URL or server name)."""
    app = current_app
    public_url = app.config["ECITIZ_PUBLIC_URL"]
    if has_request_context():
        if public_url:
            return origin_of(public_url) + url_for(endpoint, **values)
        return url_for(endpoint, _external=True, **values)
    if public_url:
        with app.test_request_context(base_url=public_url):
            return url_for(endpoint, _external=True, **values)
    if app.config.get("SERVER_NAME"):
        return url_for(endpoint, _external=True, **values)
    return None


def kit_base_url(origin: str | None = None) -> str:
    """The kit's address with its URL prefix, as applicants reach it (what the
    snippet functions take as ``base_url``); on ``origin`` when given."""
    path = url_for("ecitiz_widget.alias", name="ecitiz.js")[: -len("/ecitiz.js")]
    path = path[: -len("/widget")]
    if origin is not None:
        return origin_of(origin) + path
    public_url = current_app.config["ECITIZ_PUBLIC_URL"]
    return origin_of(public_url or request.host_url) + path


def attestation_check_url(payload: str) -> str:
    """What an attestation's QR code carries: the check page and the payload."""
    return verify_url(kit_base_url(), payload)


def tracking_link(page: str, token: str) -> str:
    """A tracking link that opens an organisation's own tracking page."""
    return f"{page}#ecitiz={token}"


class Links:
    """The links the domain puts in e-mails and documents, for one application."""

    def __init__(self, tokens: Tokens, store: Store) -> None:
        self._tokens, self._store = tokens, store

    def status(self, submission: dict[str, Any], lang: str | None = None) -> str | None:
        """The applicant's private tracking link (opening in ``lang`` if given).

        With a tracking page of the organisation's own, the link opens that page,
        which shows the status in the host site's language.
        """
        token = self._tokens.status_link(
            submission["public_id"], submission["link_version"]
        )
        page = self._store.tracking_page(submission["organisation_id"])
        if page is not None:
            return tracking_link(page, token)
        return absolute("ecitiz.status", token=token, lang=lang)

    def my_requests(
        self, organisation: dict[str, Any], link_key: str, lang: str | None = None
    ) -> str | None:
        """The private link to the list of an applicant's requests, for the
        stored link ``link_key`` of ``organisation``."""
        token = self._tokens.my_requests_link(organisation["id"], link_key)
        return absolute(
            "ecitiz.my_requests", org=organisation["slug"], token=token, lang=lang
        )

    def draft(
        self, organisation: dict[str, Any], draft_key: str, lang: str | None = None
    ) -> str | None:
        """The private link to a saved draft of ``organisation``."""
        token = self._tokens.draft_link(organisation["id"], draft_key)
        return absolute("ecitiz.draft", token=token, lang=lang)

    def staff_account(self) -> str | None:
        """A staff member's account page, where new-request e-mails are turned off."""
        return absolute("ecitiz_staff.account")

    def invitation(
        self, organisation: dict[str, Any], key: str, lang: str | None = None
    ) -> str | None:
        """The link of an invitation to join ``organisation``'s team, for the
        stored invitation ``key``."""
        token = self._tokens.invitation(organisation["id"], key)
        return absolute("ecitiz_staff.invitation", token=token, lang=lang)


# -- the addresses a snippet points to: no request needed ---------------------------


def form_page(
    org_slug: str, form_id: str, base_url: str, lang: str | None = None
) -> str:
    """The address of a form page (the frame's, and the no-JavaScript link's)."""
    return f"{base_url.rstrip('/')}/f/{org_slug}/{form_id}{_lang(lang)}"


def tracking_page(org_slug: str, base_url: str, lang: str | None = None) -> str:
    """The address of an organisation's page for following a request."""
    return f"{base_url.rstrip('/')}/t/{org_slug}{_lang(lang)}"


def counter_page(org_slug: str, base_url: str, lang: str | None = None) -> str:
    """The address of an organisation's counter: all its procedures."""
    return f"{base_url.rstrip('/')}/c/{org_slug}{_lang(lang)}"


def loader(base_url: str) -> str:
    """The versioned, immutable address of the embed loader."""
    return f"{base_url.rstrip('/')}/widget/{__version__}/ecitiz.js"


def _lang(lang: str | None) -> str:
    return "?" + urlencode({"lang": lang}) if lang else ""
