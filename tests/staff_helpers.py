"""Helpers for the staff dashboard tests: accounts, signing in, posting forms."""

from __future__ import annotations

import functools
import re

from ecitiz_kit.passwords import hash_password
from ecitiz_kit.state import state

from .conftest import aid_answers, hidden_inputs, post_form, with_file

PASSWORD = "correct horse battery staple"
STAFF_EMAIL = "agent@acme.example"
STAFF = "/ecitiz/staff"


@functools.cache
def password_hash(password: str = PASSWORD) -> str:
    # scrypt at N=2**16 costs ~0.2 s: hash once per test run.
    return hash_password(password)


def add_staff(app, org_slug: str = "acme", email: str = STAFF_EMAIL) -> dict:
    with app.app_context():
        store = state(app).store
        organisation = store.organisation(org_slug)
        return store.create_staff(organisation["id"], email, password_hash())


def csrf_from(html: str) -> str:
    return hidden_inputs(html)["csrf_token"]


def sign_in(client, email: str = STAFF_EMAIL, password: str = PASSWORD, address=None):
    environ = {"REMOTE_ADDR": address} if address else {}
    page = client.get(f"{STAFF}/login", environ_base=environ)
    token = csrf_from(page.get_data(as_text=True))
    return client.post(
        f"{STAFF}/login",
        data={"csrf_token": token, "email": email, "password": password},
        environ_base=environ,
    )


def csrf_for(client, path: str = f"{STAFF}/") -> str:
    """A CSRF token from a staff page the client can see."""
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return csrf_from(response.get_data(as_text=True))


def submit_request(client, **overrides) -> str:
    """Send an aid request with a file through the public form; its reference."""
    response = post_form(client, with_file(aid_answers(**overrides)))
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    return re.search(r"\bAID-[2-9A-Z]{4}-[2-9A-Z]{4}\b", html).group(0)


def status_url_in(html: str) -> str:
    return re.search(r'href="https?://[^"/]+(/ecitiz/s/[^"?]+)', html).group(1)
