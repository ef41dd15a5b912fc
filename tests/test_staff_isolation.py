"""Tenant isolation: staff of organisation B asking for organisation A's objects
always get 404, and nothing changes. Each staff route that takes an object is a
row of ROUTES; a new route gets a new row."""

import re

import pytest

from ecitiz_kit.forms.loading import load_catalog
from ecitiz_kit.state import state

from .helpers import (
    ALLOWED,
    ORG,
    STAFF,
    add_staff,
    aid_answers,
    attestation_answers,
    csrf_for,
    hidden_inputs,
    post_form,
    sign_in,
    stored_requests,
    submit_request,
    uploaded_files,
    with_file,
)

B_EMAIL = "agent@bravo.example"

#: (method, path, form data); {placeholders} are organisation A's objects.
ROUTES = [
    ("GET", "/requests/{sid}", None),
    ("GET", "/requests/{sid}/files/{attachment}", None),
    ("GET", "/requests/{b_sid}/files/{attachment}", None),  # B's request, A's file
    ("GET", "/requests/{sid}/receipt.pdf", None),
    ("GET", "/requests/{attestation_sid}/attestation.pdf", None),
    ("GET", "/requests/{sid}/versions/1", None),
    ("POST", "/requests/{sid}/status", {"to_status": "in_review"}),
    ("POST", "/requests/{sid}/status", {"to_status": "closed"}),
    ("POST", "/embed/origins/remove", {"origin": ALLOWED}),
    ("POST", "/settings/team/{colleague}/role", {"role": "admin"}),
    ("POST", "/settings/team/{colleague}/stop", {}),
    ("POST", "/settings/team/{stopped}/restore", {}),
]


@pytest.fixture
def world(app, client):
    """Organisation A with a request (file, earlier version), an attestation and an
    allowed origin; organisation B with its own request and staff."""
    with app.app_context():
        store = state(app).store
        bravo = store.create_organisation("bravo", "Bravo Solidarité")
        definition = load_catalog("aid-request")
        store.enable_form(bravo["id"], "aid-request", definition.version, None, 730)
        acme = store.organisation(ORG)
        store.enable_form(acme["id"], "attestation", 1, None, 730, issue_on_submit=True)
    add_staff(app)
    add_staff(app, "bravo", B_EMAIL)
    colleague = add_staff(app, email="colleague@acme.example")
    stopped = add_staff(app, email="gone@acme.example")
    sid = _sid(app, submit_request(client))
    assert post_form(client, attestation_answers(), "attestation").status_code == 303
    # B's own request, through B's form page.
    b_form = client.get("/ecitiz/f/bravo/aid-request")
    ticket = hidden_inputs(b_form.get_data(as_text=True))["ticket"]
    response = client.post(
        "/ecitiz/f/bravo/aid-request",
        data={"ticket": ticket, **with_file(aid_answers())},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    with app.app_context():
        store = state(app).store
        [b_request] = stored_requests(store, "bravo")
        [attestation] = stored_requests(store, form_id="attestation")
        store.change_status(sid, expected="submitted", to_status="in_review", actor="a")
        store.change_status(
            sid, expected="in_review", to_status="submitted", actor="a",
            public_message="Précisez le montant.",
        )  # fmt: skip
        answers = store.submission(sid)["answers"] | {"amount_requested": 4000}
        store.amend_submission(
            sid, answers=answers, form_version=1, nonce="isolation-nonce",
            attachments=[], replaced_fields=[],
        )  # fmt: skip
        [attachment] = store.attachments(sid)
        store.set_staff_active(stopped["id"], False)
    return {
        "colleague": colleague["id"],
        "stopped": stopped["id"],
        "sid": sid,
        "b_sid": b_request["id"],
        "attestation_sid": attestation["id"],
        "attachment": attachment["id"],
    }


def _sid(app, reference):
    with app.app_context():
        return state(app).store.submission_by_reference(reference)["id"]


def _snapshot(app):
    with app.app_context():
        store = state(app).store
        tables = {
            name: store._all(f'SELECT * FROM "{name}"')
            for name in store.backend.table_names()
            if name != "staff_sessions"
        }
    return tables, uploaded_files(app)


def _signed_in(app, email):
    client = app.test_client()
    assert sign_in(client, email=email).status_code == 303
    return client


def _call(client, method, path, data):
    if method == "GET":
        return client.get(STAFF + path)
    current = dict(data or {})
    if "to_status" in current:
        current.setdefault("expected", "submitted")
    return client.post(STAFF + path, data={"csrf_token": csrf_for(client), **current})


@pytest.mark.parametrize("method,path,data", ROUTES)
def test_other_organisation_objects_are_404_and_unchanged(
    app, world, method, path, data
):
    url = path.format(**world)
    bravo = _signed_in(app, B_EMAIL)
    before = _snapshot(app)
    response = _call(bravo, method, url, data)
    assert response.status_code == 404, (method, url)
    assert _snapshot(app) == before
    # The same request by organisation A's staff works: the 404 is isolation,
    # not a broken address.
    if "{b_sid}" not in path:
        acme = _signed_in(app, "agent@acme.example")
        assert _call(acme, method, url, data).status_code in (200, 303)


def test_list_shows_only_the_organisation_requests(app, world):
    with app.app_context():
        store = state(app).store
        a_refs = [store.submission(world["sid"])["reference"]]
        b_ref = store.submission(world["b_sid"])["reference"]
    page = _signed_in(app, B_EMAIL).get(f"{STAFF}/").get_data(as_text=True)
    assert b_ref in page
    assert not any(ref in page for ref in a_refs)


def test_embed_page_shows_only_the_organisation_forms_and_origins(app, world):
    page = _signed_in(app, B_EMAIL).get(f"{STAFF}/embed").get_data(as_text=True)
    assert "/f/bravo/aid-request" in page
    assert "/f/acme/" not in page and ALLOWED not in page


def test_list_search_counts_and_export_hold_only_the_organisation_requests(app, world):
    with app.app_context():
        store = state(app).store
        a_ref = store.submission(world["sid"])["reference"]
        b_ref = store.submission(world["b_sid"])["reference"]
    bravo = _signed_in(app, B_EMAIL)
    # Both applicants are called Camille Durand-Lefèvre: B sees only its own.
    for query in ("", "?q=durand", f"?q={a_ref}", "?q=AID-", "?status=submitted"):
        page = bravo.get(f"{STAFF}/{query}&lang=en".replace("/&", "/?"))
        # What is shown, past the filters typed and without the links keeping them.
        shown = page.get_data(as_text=True).split("</form>", 2)[-1]
        shown = re.sub(r'href="[^"]*"', "", shown)
        assert page.status_code == 200 and a_ref not in shown, query
    assert "1 request matches" in bravo.get(f"{STAFF}/?lang=en").get_data(as_text=True)
    assert "0 requests match" in bravo.get(f"{STAFF}/?q={a_ref}&lang=en").get_data(
        as_text=True
    )
    export = bravo.get(f"{STAFF}/requests.csv").get_data(as_text=True)
    assert b_ref in export and a_ref not in export and "ATT-" not in export
    # A's form filter is B's too, but a form B does not have is refused.
    assert bravo.get(f"{STAFF}/requests.csv?form=attestation").status_code == 400
