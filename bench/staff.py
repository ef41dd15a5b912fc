"""Staff sign-in and request page timings, in-process (Flask test client).

    python bench/staff.py --rounds 7

Prints medians: a sign-in with a known account, with an unknown one (the two
should cost the same: the unknown one is checked against a decoy hash), a refused
(throttled) sign-in, and the server time of a request page and of the list.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time

from ecitiz_kit import create_app
from ecitiz_kit.forms.loading import load_catalog
from ecitiz_kit.passwords import hash_password
from ecitiz_kit.state import state

PASSWORD = "correct horse battery staple"


def _token(client, path):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _timed(call, rounds):
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    data = tempfile.mkdtemp()
    app = create_app({"SECRET_KEY": "k" * 40, "ECITIZ_DATA_DIR": data})
    with app.app_context():
        store = state(app).store
        org = store.create_organisation("acme", "ACME")
        store.enable_form(org["id"], "aid-request", 1, None, 730)
        store.create_staff(org["id"], "a@acme.example", hash_password(PASSWORD))
        answers = {"legal_name": "X", "email": "x@example.org"}
        for n in range(200):
            store.create_submission(
                organisation_id=org["id"], form_id="aid-request",
                form_version=load_catalog("aid-request").version, answers=answers,
                lang="fr", nonce=f"n{n}", attachments=[], status="submitted",
                make_reference=lambda n=n: f"AID-BENC-{n:04d}",
            )  # fmt: skip
    login = "/ecitiz/staff/login"

    def attempt(email, password, address):
        client = app.test_client()
        token = _token(client, login)
        environ = {"REMOTE_ADDR": address}
        data = {"csrf_token": token, "email": email, "password": password}
        return lambda: client.post(login, data=data, environ_base=environ)

    attempt("warm@acme.example", PASSWORD, "10.2.0.1")()  # makes the decoy hash
    known, unknown = [], []
    for n in range(args.rounds):  # alternate, each with a fresh CSRF token
        known.append(_timed(attempt("a@acme.example", PASSWORD, "10.0.0.1"), 1))
        unknown.append(_timed(attempt(f"z{n}@acme.example", PASSWORD, "10.1.0.1"), 1))
    known, unknown = statistics.median(known), statistics.median(unknown)
    for _n in range(10):
        attempt("t@acme.example", "wrong", "10.9.9.9")()
    throttled = _timed(attempt("t@acme.example", "wrong", "10.9.9.9"), args.rounds)

    client = app.test_client()
    client.post(
        login,
        data={"csrf_token": _token(client, login), "email": "a@acme.example",
              "password": PASSWORD},
    )  # fmt: skip
    detail = _timed(lambda: client.get("/ecitiz/staff/requests/100"), args.rounds)
    listing = _timed(lambda: client.get("/ecitiz/staff/"), args.rounds)
    print(f"sign-in, known account     {known:7.1f} ms")
    print(f"sign-in, unknown account   {unknown:7.1f} ms  ({unknown / known:.2f}x)")
    print(f"sign-in, throttled         {throttled:7.1f} ms")
    print(f"request page               {detail:7.1f} ms")
    print(f"list (50 of 200)           {listing:7.1f} ms")


if __name__ == "__main__":
    main()
