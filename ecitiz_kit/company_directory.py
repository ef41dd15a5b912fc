"""Ask a public company directory what it knows of an establishment's SIRET.

The directory speaks the format of the French government's "API Recherche
d'entreprises" (``GET /search?q=<SIRET>``, JSON ``results[]``). Only a SIRET that
passed its check digit is ever sent. The answer is read defensively: anything
but a well-formed JSON answer (an error page, HTML, garbage, a redirect, a slow
answer) counts as the directory being unavailable, and every text kept from it
is plain, short and free of control characters.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Any

from stdnum.fr import siret as stdnum_siret

from ._version import __version__

#: Seconds the directory has to answer before the kit gives up on it.
TIMEOUT = 2.0
#: The largest answer read; a longer one counts as garbage.
MAX_ANSWER_BYTES = 512 * 1024
#: Longest text kept from the directory, per item.
MAX_TEXT = {"legal_name": 200, "address": 300, "postal_code": 10, "town": 100}
MAX_TEXT |= {"activity_code": 10}
#: How long, in seconds, a directory's answer is reused for the same SIRET.
CACHE_SECONDS = 600
CACHE_SIZE = 256
#: Seconds a directory that did not answer in time (or could not be reached) is
#: left alone: meanwhile lookups count as unavailable at once, so that an outage
#: does not make every applicant wait for the timeout.
PAUSE_AFTER_FAILURE = 30.0

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")


class DirectoryUnavailable(Exception):
    """The directory could not be asked or gave no usable answer."""


@dataclass(frozen=True)
class Company:
    """What the register says of one establishment."""

    siret: str
    legal_name: str
    address: str
    postal_code: str
    town: str
    activity_code: str
    #: False when the company has ceased or the establishment has closed.
    active: bool

    def to_json(self) -> dict[str, Any]:
        """The plain values, to store or send."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Company:
        """Read back what :meth:`to_json` gave."""
        return cls(
            siret=str(data.get("siret", "")),
            legal_name=_text(data.get("legal_name"), "legal_name"),
            address=_text(data.get("address"), "address"),
            postal_code=_text(data.get("postal_code"), "postal_code"),
            town=_text(data.get("town"), "town"),
            activity_code=_text(data.get("activity_code"), "activity_code"),
            active=bool(data.get("active")),
        )


def checked_siret(value: str) -> str | None:
    """``value`` as 14 digits if it is a valid SIRET (spaces allowed), else None."""
    compact = stdnum_siret.compact(value or "")
    if len(compact) > 20 or not stdnum_siret.is_valid(compact):
        return None
    return compact


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer the kit does not follow


class CompanyDirectory:
    """A directory service at ``url`` (its ``/search`` answers the questions)."""

    def __init__(
        self, url: str, timeout: float = TIMEOUT, pause: float = PAUSE_AFTER_FAILURE
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("the directory's URL must be http(s)")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.pause = pause
        self._paused_until = 0.0
        self._opener = urllib.request.build_opener(_NoRedirect)
        self._cache: OrderedDict[str, tuple[float, Company | None]] = OrderedDict()
        self._lock = threading.Lock()

    def lookup(self, siret: str) -> Company | None:
        """The register's record of the establishment ``siret`` (``None`` when the
        register does not know it). Raises :class:`DirectoryUnavailable` when the
        directory cannot say, and ``ValueError`` for a number that is no SIRET."""
        number = checked_siret(siret)
        if number is None:
            raise ValueError("not a valid SIRET")
        cached = self._cached(number)
        if cached is not None:
            return cached[1]
        if time.monotonic() < self._paused_until:
            raise DirectoryUnavailable("paused after a failure to answer")
        found = read_answer(self._ask(number), number)
        with self._lock:
            self._cache[number] = (time.monotonic(), found)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return found

    def _cached(self, number: str) -> tuple[float, Company | None] | None:
        with self._lock:
            entry = self._cache.get(number)
            if entry is None or time.monotonic() - entry[0] > CACHE_SECONDS:
                self._cache.pop(number, None)
                return None
            self._cache.move_to_end(number)
            return entry

    def _ask(self, number: str) -> Any:
        query = urllib.parse.urlencode({"q": number, "page": 1, "per_page": 5})
        # The URL is http(s), checked when the directory was made.
        request = urllib.request.Request(  # noqa: S310
            f"{self.url}/search?{query}",
            headers={
                "Accept": "application/json",
                "User-Agent": f"ecitiz-kit/{__version__}",
            },
        )
        deadline = time.monotonic() + self.timeout
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                if response.status != 200:
                    raise DirectoryUnavailable(f"HTTP {response.status}")
                kind = response.headers.get_content_type()
                if kind != "application/json":
                    raise DirectoryUnavailable(f"answered {kind}, not JSON")
                body = b""
                while len(body) <= MAX_ANSWER_BYTES:
                    if time.monotonic() > deadline:
                        raise DirectoryUnavailable("answered too slowly")
                    chunk = response.read(64 * 1024)
                    if not chunk:
                        break
                    body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    raise DirectoryUnavailable("answer too large")
        except DirectoryUnavailable:
            raise
        except (OSError, ValueError, http.client.HTTPException) as exc:
            # Timeouts, refused connections, HTTP errors and bad URLs alike; a
            # directory that answers nothing is left alone for a while.
            if not isinstance(exc, urllib.error.HTTPError):
                self._paused_until = time.monotonic() + self.pause
            raise DirectoryUnavailable(_reason(exc)) from None
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise DirectoryUnavailable("answer is not JSON") from None


def read_answer(data: Any, siret: str) -> Company | None:
    """The establishment ``siret`` in a ``/search`` answer; ``None`` when the
    answer does not list it. Raises :class:`DirectoryUnavailable` when the
    answer does not have the expected shape."""
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise DirectoryUnavailable("answer without results")
    for unit in data["results"]:
        if not isinstance(unit, dict):
            raise DirectoryUnavailable("a result is not an object")
        if unit.get("siren") != siret[:9]:
            continue
        places = [unit.get("siege"), *_list(unit.get("matching_etablissements"))]
        for place in places:
            if isinstance(place, dict) and place.get("siret") == siret:
                return _company(unit, place, siret)
    return None


def _company(unit: dict[str, Any], place: dict[str, Any], siret: str) -> Company:
    name = unit.get("nom_raison_sociale") or unit.get("nom_complet")
    if not isinstance(name, str) or not name.strip():
        raise DirectoryUnavailable("a result without a name")
    return Company(
        siret=siret,
        legal_name=_text(name, "legal_name"),
        address=_text(place.get("adresse"), "address"),
        postal_code=_text(place.get("code_postal"), "postal_code"),
        town=_text(place.get("libelle_commune"), "town"),
        activity_code=_text(
            place.get("activite_principale") or unit.get("activite_principale"),
            "activity_code",
        ),
        # The company ceased ("C") or the establishment closed ("F").
        active=unit.get("etat_administratif", "A") == "A"
        and place.get("etat_administratif", "A") == "A",
    )


def _text(value: Any, item: str) -> str:
    """A directory text as the kit keeps it: one line, no control characters,
    capped to its item's length (anything else than a string is empty)."""
    if not isinstance(value, str):
        return ""
    cleaned = _SPACES.sub(" ", _CONTROL.sub(" ", value)).strip()
    return cleaned[: MAX_TEXT[item]].strip()


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _reason(exc: Exception) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code}"
    if isinstance(exc, TimeoutError) or "timed out" in str(exc):
        return "no answer in time"
    return type(exc).__name__
