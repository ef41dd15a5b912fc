"""Where a webhook may go: the checks of an endpoint's address, and the one
HTTP request a delivery makes.

An endpoint must be ``https`` and its host must resolve to public addresses
only; private, loopback, link-local, multicast, reserved and unspecified
addresses are refused, so that an admin cannot make the kit call into the
network it runs in. ``allow_private`` (``ECITIZ_WEBHOOKS_ALLOW_PRIVATE``) lifts
both rules, for tests and intranets. The host is resolved at registration and
again at each delivery, and the delivery connects to the very address that was
checked, so a name that changes its answer between the check and the
connection (DNS rebinding) reaches nothing else. Redirects are never followed.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import EcitizError
from ..i18n import gettext

#: The longest endpoint address accepted.
MAX_URL_LENGTH = 2000
#: What is read of an endpoint's answer at most: its status is what counts.
MAX_RESPONSE_BYTES = 64 * 1024

Resolve = Callable[[str, int], list[str]]


class RefusedEndpoint(EcitizError, ValueError):
    """An endpoint address the kit will not call; ``reason`` says why, for
    people (:meth:`describe`)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.reason, self.detail = reason, detail

    def describe(self, lang: str | None = None) -> str:
        messages = {
            "malformed": gettext(
                "Give the full address of the endpoint, such as %(example)s.",
                lang,
                example="https://example.org/hooks/ecitiz",
            ),
            "not-https": gettext(
                "The address must start with %(scheme)s: deliveries carry"
                " personal data and must be encrypted.",
                lang,
                scheme="https://",
            ),
            "credentials": gettext(
                "The address must not hold a user name or password: the signature"
                " proves where deliveries come from.",
                lang,
            ),
            "unresolvable": gettext(
                "The host %(host)s cannot be found: check the address.",
                lang,
                host=self.detail,
            ),
            "private": gettext(
                "The host resolves to %(address)s, a private, local or reserved"
                " address: webhooks only go to public addresses.",
                lang,
                address=self.detail,
            ),
        }
        return messages[self.reason]

    def __str__(self) -> str:
        return self.describe("en")


def is_public(address: str) -> bool:
    """Whether ``address`` (an IP address) is one the internet routes to a
    host: not private, loopback, link-local, multicast, reserved, unspecified
    or shared (carrier-grade NAT), nor an IPv6 form of one of those."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None and not is_public(str(mapped)):
            return False
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (empty when it resolves to none)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in found))


@dataclass(frozen=True)
class Target:
    """A checked endpoint: its URL, and the address to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    path: str
    address: str


def check_endpoint(
    raw: str, *, allow_private: bool, resolve: Resolve = resolve_host
) -> Target:
    """The endpoint at ``raw``, checked (see the module's rules), with the
    first address its host resolves to; :class:`RefusedEndpoint` otherwise."""
    url = raw.strip()
    if not url or len(url) > MAX_URL_LENGTH or any(c.isspace() for c in url):
        raise RefusedEndpoint("malformed")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RefusedEndpoint("malformed") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or port == 0:
        raise RefusedEndpoint("malformed")
    if parts.scheme != "https" and not allow_private:
        raise RefusedEndpoint("not-https")
    if parts.username is not None or parts.password is not None:
        raise RefusedEndpoint("credentials")
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(host, port)
    if not addresses:
        raise RefusedEndpoint("unresolvable", host)
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise RefusedEndpoint("private", address)
    # The fragment never reaches a server: drop it rather than store it.
    clean = urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(clean, parts.scheme, host, port, path, addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a checked address, whatever the host name resolves to now."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """The same over TLS: the certificate is checked against the host name."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(
            target.host,
            target.port,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(  # type: ignore[attr-defined]
            sock, server_hostname=self.host
        )


def post(
    target: Target, body: bytes, headers: Mapping[str, str], timeout: float
) -> int:
    """POST ``body`` to ``target`` and return the answer's status (a redirect
    is returned as such, never followed); at most
    :data:`MAX_RESPONSE_BYTES` of the answer are read. Raises ``OSError``
    (``http.client.HTTPException`` included) when no answer comes."""
    connection: Any
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(target, timeout)
    else:
        connection = _PinnedHTTPConnection(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=dict(headers))
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        return int(response.status)
    finally:
        connection.close()
