"""NUL characters in what a request names: refused before the store sees them.

No browser puts a NUL (``\\x00``) in a URL, and PostgreSQL cannot keep one in
text, so a NUL that reached a query there would fail it with a server error. A
value of the path (an organisation's slug, a form id, a reference) holding one
names nothing that can exist: 404, as any unknown name. A query-string value
holding one is a malformed request: 400. Form fields go through their own
validators, which refuse control characters with a message; the PostgreSQL
backend refuses any other text holding a NUL with the same 400
(:class:`~ecitiz_kit.errors.TextWithNul`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from flask import request

from ..errors import TextWithNul, UnknownObject
from .pages import set_page_language

NUL = "\x00"


def nul_refuser(blueprints: Collection[str]) -> Callable[[], None]:
    """A ``before_request`` function refusing NULs in the path values and the
    query string of requests to the named blueprints."""

    def refuse_nul() -> None:
        if request.blueprint not in blueprints:
            return
        for value in (request.view_args or {}).values():
            if isinstance(value, str) and NUL in value:
                raise UnknownObject()
        for key, value in request.args.items(multi=True):
            if NUL in key or NUL in value:
                # The refusal's page speaks the language the visitor asked for
                # (a ``lang`` holding the NUL is not one: the browser's wins).
                set_page_language()
                raise TextWithNul()

    return refuse_nul
