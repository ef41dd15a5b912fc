"""Duplicate and fraud signals: requests of one organisation sharing a SIRET, an
IBAN (compared by a keyed fingerprint, never shown) or an e-mail address."""

import json
import re

import pytest

from ecitiz_kit import create_app
from ecitiz_kit.domain import request_list as listing
from ecitiz_kit.domain.request_list import Filters
from ecitiz_kit.fingerprints import Fingerprints
from ecitiz_kit.state import state

from .helpers import (
    IBAN,
    SECRET,
    SIRET,
    STAFF,
    add_staff,
    aid_answers,
    hidden_inputs,
    migrated_before,
    sign_in,
    submit_request,
    with_file,
)

TZ = "Europe/Paris"
OTHER_SIRET = "55200000200014"
THIRD_SIRET = "55200001000017"
OTHER_IBAN = "FR4930006000011234567890190"


def _id(store, reference):
    return store.submission_by_reference(reference)["id"]


def _listed(store, signal):
    org = store.organisation("acme")["id"]
    page = listing.request_page(store, org, Filters(signal=signal), TZ)
    return {row["reference"] for row in page.rows}


@pytest.fixture
def trio(client):
    """A and B give one IBAN with two SIRETs; C gives A's SIRET with another IBAN
    and another address; D shares nothing."""
    a = submit_request(client, siret=SIRET, iban=IBAN)
    b = submit_request(
        client, siret=OTHER_SIRET, iban=IBAN.lower(), email="b@example.org"
    )
    c = submit_request(client, siret=SIRET, iban=OTHER_IBAN, email="c@example.org")
    d = submit_request(
        client,
        siret=THIRD_SIRET,
        iban="FR8420041010050500013M02607",
        email="D@Example.org ",
    )
    return a, b, c, d


def test_the_iban_is_compared_by_a_keyed_fingerprint_never_stored_again(store, trio):
    a, b, _c, _d = trio
    row = store.submission(_id(store, a))
    assert row["iban_key"] == store.submission(_id(store, b))["iban_key"]
    assert IBAN not in row["iban_key"] and len(row["iban_key"]) == 32
    assert row["iban_key"] == Fingerprints(SECRET).iban(
        "fr14 2004 1010 0505 0001 3m02 606"
    )
    assert row["iban_key"] != Fingerprints("another-secret-key").iban(IBAN)
    assert row["siret_key"] == SIRET


def test_the_list_filters_on_each_signal_the_iban_with_several_sirets_first(
    store, trio
):
    a, b, c, d = trio
    assert _listed(store, "iban_sirets") == {a, b}
    assert _listed(store, "iban") == {a, b}
    assert _listed(store, "siret") == {a, c}
    assert _listed(store, "email") == set()  # four different addresses
    assert d not in _listed(store, "siret") | _listed(store, "iban")


def test_the_request_page_links_to_the_requests_it_shares_with(
    staff_client, store, trio
):
    a, b, c, d = trio
    html = staff_client.get(f"{STAFF}/requests/{_id(store, a)}").get_data(as_text=True)
    section = html[html.index('id="signals-title"') :]
    assert "ecitiz-signals-alert" in section
    assert "avec 2 numéros SIRET différents" in section
    for reference in (b, c):
        assert f'/requests/{_id(store, reference)}">{reference}</a>' in section
    assert d not in section
    # The list says it too, in words.
    listed = staff_client.get(f"{STAFF}/?shares=iban_sirets").get_data(as_text=True)
    assert "IBAN avec plusieurs SIRET" in listed
    assert a in listed and b in listed and c not in listed
    # A request sharing nothing shows no section.
    alone = staff_client.get(f"{STAFF}/requests/{_id(store, d)}").get_data(as_text=True)
    assert 'id="signals-title"' not in alone


def test_the_same_address_typed_differently_is_one_address(client, store):
    first = submit_request(client, email="Lea@Example.org")
    second = submit_request(client, email="lea@example.org")
    assert _listed(store, "email") == {first, second}


def test_another_organisations_requests_are_never_partners(app, client, store):
    mine = submit_request(client)
    bravo = store.create_organisation("bravo", "Bravo")
    store.enable_form(bravo["id"], "aid-request", 1, None, 730)
    page = client.get("/ecitiz/f/bravo/aid-request")
    ticket = hidden_inputs(page.get_data(as_text=True))["ticket"]
    response = client.post(
        "/ecitiz/f/bravo/aid-request",
        data={"ticket": ticket, **with_file(aid_answers())},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert _listed(store, "iban") == set()
    shared = store.shared_with(store.organisation("acme")["id"], _id(store, mine))
    assert shared["iban"]["count"] == shared["siret"]["count"] == 0


def test_an_amended_iban_moves_the_signals_with_it(store, trio):
    a, b, c, _d = trio
    sid = _id(store, b)
    store.change_status(sid, expected="submitted", to_status="in_review", actor="x")
    store.change_status(
        sid, expected="in_review", to_status="submitted", actor="x",
        public_message="Vérifiez votre IBAN.",
    )  # fmt: skip
    answers = store.submission(sid)["answers"] | {"iban": OTHER_IBAN}
    store.amend_submission(
        sid, answers=answers, form_version=1, nonce="signals-nonce",
        attachments=[], replaced_fields=[],
        identifiers=(OTHER_SIRET, Fingerprints(SECRET).iban(OTHER_IBAN)),
    )  # fmt: skip
    assert _listed(store, "iban") == {b, c}
    assert _listed(store, "iban_sirets") == {b, c}
    assert a not in _listed(store, "iban")


@pytest.mark.sqlite_only  # SQLite's query plans
def test_signal_filters_read_their_own_small_index(store):
    org = store.organisation("acme")["id"]
    for signal, index in [
        ("iban_sirets", "submissions_iban_sirets"),
        ("iban", "submissions_sharing_iban"),
        ("siret", "submissions_sharing_siret"),
        ("email", "submissions_sharing_email"),
    ]:
        sql, params = store._select(org, signal=signal)
        plan = store.db.conn.execute(
            f"EXPLAIN QUERY PLAN SELECT s.id {sql}"
            " ORDER BY s.created_at DESC, s.id DESC LIMIT 51",
            params,
        ).fetchall()
        text = " ".join(row[-1] for row in plan)
        assert index in text and "TEMP B-TREE" not in text, text


def test_requests_stored_before_signals_are_filled_at_start_up(tmp_path, monkeypatch):
    path = tmp_path / "data" / "ecitiz.sqlite3"
    old, _ = migrated_before(path, monkeypatch, "iban_key")
    org = old.create_organisation("acme", "ACME")["id"]
    old.enable_form(org, "aid-request", 1, None, 730)
    for n, siret in enumerate([SIRET, OTHER_SIRET]):
        old.db.conn.execute(
            "INSERT INTO submissions (organisation_id, form_id, form_version,"
            " reference, status, answers, lang, nonce, created_at, updated_at,"
            " public_id) VALUES (?, 'aid-request', 1, ?, 'submitted', ?, 'fr', ?,"
            " '2026-11-30T23:30:00.000000Z', '2026-11-30T23:30:00.000000Z', ?)",
            (org, f"AID-AAAA-000{n}",
             json.dumps(aid_answers(siret=siret, iban=IBAN)), f"n{n}", f"p{n}"),
        )  # fmt: skip
    old.close()
    monkeypatch.undo()

    app = create_app({"SECRET_KEY": SECRET, "ECITIZ_DATA_DIR": str(path.parent)})
    with app.app_context():
        store = state(app).store
        assert store.requests_to_fill(10) == []
        rows = [store.submission_by_reference(f"AID-AAAA-000{n}") for n in (0, 1)]
        # Received on 1 December in Paris (23:30 UTC): due 30 days later.
        assert {row["due_on"] for row in rows} == {"2026-12-31"}
        assert {row["iban_key"] for row in rows} == {Fingerprints(SECRET).iban(IBAN)}
        assert all(row["iban_sirets"] and row["shares_iban"] for row in rows)


def test_an_agent_sees_the_signals_too(app, store, trio):
    a, *_rest = trio
    add_staff(app, email="boss@acme.example")  # the organisation keeps an admin
    agent = add_staff(app, email="agent2@acme.example")
    store.set_staff_role(agent["id"], "agent")
    client = app.test_client()
    assert sign_in(client, email="agent2@acme.example").status_code == 303
    html = client.get(f"{STAFF}/requests/{_id(store, a)}").get_data(as_text=True)
    assert 'id="signals-title"' in html
    assert re.search(r"settings/deadlines", html) is None
