"""A local stand-in for a company directory speaking the format of the French
government's API Recherche d'entreprises (``GET /search?q=``), on 127.0.0.1.

What it answers depends on the SIRET asked about: found, ceased, unknown, slow,
broken (500), HTML, garbage JSON, JSON of another shape, a redirect, a huge
answer, and a record full of markup and control characters. It remembers every
query.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .helpers import SIRET

FOUND = SIRET  # 732 829 320 00074, the form tests' SIRET
CEASED = "44100001500012"
UNKNOWN = "44100002300016"
SLOW = "44100003100019"
BROKEN = "44100004900011"
HTML = "44100005600016"
GARBAGE = "44100006400010"
ODD_SHAPE = "44100007200013"
REDIRECT = "44100008000016"
HOSTILE = "44100009800018"
HUGE = "44100010600019"

FOUND_NAME = "BOULANGERIE DUPONT"
#: Seconds the slow answer takes: beyond the kit's 2 second timeout.
SLOW_SECONDS = 2.5


def unit(siret, name, *, state="A", place_state="A", **place):
    """One result: a legal unit whose head office is the establishment."""
    return {
        "siren": siret[:9],
        "nom_complet": f"{name} (NOM COMPLET)",
        "nom_raison_sociale": name,
        "etat_administratif": state,
        "activite_principale": "10.71C",
        "siege": {
            "siret": siret,
            "adresse": "12 RUE DES LILAS 75011 PARIS",
            "code_postal": "75011",
            "libelle_commune": "PARIS",
            "activite_principale": "10.71C",
            "etat_administratif": place_state,
            **place,
        },
        "matching_etablissements": [],
    }


ANSWERS = {
    FOUND: unit(FOUND, FOUND_NAME),
    CEASED: unit(CEASED, "ANCIENNE MERCERIE", state="C", place_state="F"),
    HOSTILE: unit(
        HOSTILE,
        '<script>alert("x")</script>\u202eEVIL\x00' + "N" * 500,
        adresse="<b>1 rue</b>\n\r\tdu Code",
        code_postal="<i>",
    ),
}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def _send(self, status, body, kind="application/json", headers=()):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        self.server.queries.append((parts.path, query))
        q = (query.get("q") or [""])[0]
        if self.server.down:
            return self._send(503, '{"erreur": "Service Unavailable"}')
        if parts.path != "/search":
            return self._send(404, '{"erreur": "not found"}')
        if q == SLOW:
            time.sleep(SLOW_SECONDS)
            return self._send(200, json.dumps({"results": [ANSWERS[FOUND]]}))
        if q == BROKEN:
            return self._send(500, '{"erreur": "Internal Server Error"}')
        if q == HTML:
            return self._send(200, "<!doctype html><h1>Maintenance</h1>", "text/html")
        if q == GARBAGE:
            return self._send(200, '{"results": [{"siren": ')
        if q == ODD_SHAPE:
            return self._send(200, json.dumps({"results": {"siren": q[:9]}}))
        if q == HUGE:  # well-formed, but far larger than any genuine answer
            padding = [{"siren": "0", "nom_complet": "x" * 1000}] * 1000
            return self._send(200, json.dumps({"results": padding}))
        if q == REDIRECT:
            return self._send(302, "", headers=[("Location", "http://example.org/")])
        found = [ANSWERS[q]] if q in ANSWERS else []
        return self._send(200, json.dumps({"results": found, "total_results": 1}))


class FakeDirectory:
    """The fake directory, served by a thread until :meth:`stop`."""

    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.queries = []
        #: While true, every question gets a 503.
        self.server.down = False
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def queries(self):
        """The SIRETs asked about, in order."""
        return [(query.get("q") or [""])[0] for _path, query in self.server.queries]

    @property
    def down(self):
        return self.server.down

    @down.setter
    def down(self, value):
        self.server.down = value

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
