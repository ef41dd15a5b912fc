"""The audit log's storage, and the accounts a team may stop."""

import sqlite3

import pytest

from .helpers import (
    ORG,
    STAFF,
    STAFF_EMAIL,
    add_staff,
    execute,
    sign_in,
    submit_request,
)


def test_entries_are_listed_newest_first_by_organisation(store):
    acme = store.organisation(ORG)["id"]
    other = store.create_organisation("other", "Other")["id"]
    first = store.record_audit(acme, "auth.sign_in", actor="a@acme.example")
    second = store.record_audit(
        acme,
        "request.status",
        actor="b@acme.example",
        subject="AID-7K3F-9Q2M",
        detail={"to": "accepted", "né": "é"},
        address="192.0.2.7",
    )
    store.record_audit(other, "auth.sign_in", actor="c@other.example")
    entries = store.audit_entries(acme)
    assert [e["id"] for e in entries] == [second, first]
    assert entries[0]["detail"] == {"to": "accepted", "né": "é"}
    assert (entries[0]["subject"], entries[0]["address"]) == (
        "AID-7K3F-9Q2M",
        "192.0.2.7",
    )
    assert entries[1]["detail"] == {}
    assert [e["id"] for e in store.audit_entries(acme, action="auth.sign_in")] == [
        first
    ]
    assert [e["id"] for e in store.audit_entries(acme, actor="b@acme.example")] == [
        second
    ]
    assert [e["id"] for e in store.audit_entries(acme, before_id=second)] == [first]
    assert store.audit_entries(acme, limit=1)[0]["id"] == second


def test_the_log_cannot_be_changed_or_emptied(store):
    acme = store.organisation(ORG)["id"]
    store.record_audit(acme, "auth.sign_in", actor="a@acme.example")
    for sql in (
        "UPDATE audit_log SET actor = 'someone else'",
        "DELETE FROM audit_log",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            execute(store, sql)
    assert store.audit_entries(acme)[0]["actor"] == "a@acme.example"


def test_accounts_made_before_roles_are_admins(app, store):
    staff = add_staff(app)
    add_staff(app, email="boss@acme.example")  # the organisation keeps an admin
    assert store.staff_by_email(STAFF_EMAIL)["role"] == "admin"
    store.set_staff_role(staff["id"], "agent")
    assert store.staff_by_email(STAFF_EMAIL)["role"] == "agent"
    with pytest.raises(sqlite3.IntegrityError):
        store.set_staff_role(staff["id"], "owner")


def test_a_stopped_account_loses_its_sessions_and_cannot_sign_in(app, store):
    staff = add_staff(app)
    add_staff(app, email="boss@acme.example")  # the organisation keeps an admin
    client = app.test_client()
    assert sign_in(client).status_code == 303
    assert client.get(f"{STAFF}/").status_code == 200
    store.set_staff_active(staff["id"], False)
    assert client.get(f"{STAFF}/").status_code == 303  # back to signing in
    assert sign_in(app.test_client()).status_code == 401
    store.set_staff_active(staff["id"], True)
    assert sign_in(app.test_client()).status_code == 303


# -- assignment ----------------------------------------------------------------


def test_a_request_is_assigned_within_its_organisation_only(app, client, store):
    acme = store.organisation(ORG)["id"]
    request = store.submission_by_reference(submit_request(client))["id"]
    camille = add_staff(app, email="camille@acme.example")["id"]
    paul = add_staff(app, email="paul@acme.example")["id"]
    store.create_organisation("other", "Other")
    stranger = add_staff(app, "other", "eve@other.example")["id"]
    other = store.organisation("other")["id"]

    assert store.assign_submission(acme, request, camille, actor="paul@acme.example")
    # Another organisation's person, or the request seen from another
    # organisation: refused, nothing written.
    assert not store.assign_submission(acme, request, stranger, actor="x")
    assert not store.assign_submission(other, request, stranger, actor="x")
    # A colleague changed it first: the stale change is refused.
    assert not store.assign_submission(
        acme, request, paul, actor="paul@acme.example", expected=None
    )
    assert store.assign_submission(
        acme, request, paul, actor="paul@acme.example", expected=camille
    )
    assert store.assign_submission(acme, request, paul, actor="again")  # no change
    store.set_staff_active(camille, False)
    assert not store.assign_submission(acme, request, camille, actor="x")
    assert store.assign_submission(acme, request, None, actor="paul@acme.example")

    assert store.submission(request)["assigned_to"] is None
    history = store.assignment_history(request)
    assert [(h["staff_email"], h["actor"]) for h in history] == [
        ("camille@acme.example", "paul@acme.example"),
        ("paul@acme.example", "paul@acme.example"),
        (None, "paul@acme.example"),
    ]
    assert [m["email"] for m in store.team(acme)] == [
        "paul@acme.example",
        "camille@acme.example",
    ]
