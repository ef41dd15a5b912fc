"""The Content Security Policies of the kit's pages, one per kind of page."""

from __future__ import annotations

#: Staff pages run no script and are never framed; the embed page frames the
#: kit's own form pages as a preview.
STAFF = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-src 'self'; frame-ancestors 'none'"
)

#: The verification page checks codes with its own script and asks the kit's
#: API whether a document was revoked; nobody frames it.
VERIFY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def public(
    frame_ancestors: list[str], style_nonce: str | None = None, connect: bool = False
) -> str:
    """The CSP of a public page that the listed origins may frame; with
    ``style_nonce``, one ``<style>`` element carrying that nonce may apply; with
    ``connect``, its scripts may ask the kit (a form's company lookup, its
    files sent one by one)."""
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"
    styles = f"'self' 'nonce-{style_nonce}'" if style_nonce else "'self'"
    connect_src = "connect-src 'self'; " if connect else ""
    return (
        f"default-src 'none'; script-src 'self'; style-src {styles}; "
        f"img-src 'self' data:; font-src 'self'; {connect_src}form-action 'self'; "
        f"base-uri 'none'; frame-ancestors {ancestors}"
    )
