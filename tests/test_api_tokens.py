"""Making and revoking API tokens: the admins' page under the settings and the
``api-token`` command, both in the audit log."""

from __future__ import annotations

import re

import pytest

from ecitiz_kit.tokens import API_TOKEN_SHAPE

from .helpers import ORG, STAFF, STAFF_EMAIL, add_staff, csrf_for

API = "/ecitiz/api/v1"
PAGE = f"{STAFF}/settings/api-tokens"
TOKEN = re.compile(r"ecz_[A-Za-z0-9_-]{43}")


def make_on_page(client, name="Comptabilité"):
    csrf = csrf_for(client, PAGE)
    return client.post(PAGE, data={"csrf_token": csrf, "name": name})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# -- the page -------------------------------------------------------------------------


def test_an_admin_makes_a_token_shown_once(client, staff_client, store):
    response = make_on_page(staff_client)
    assert response.status_code == 200
    [token] = TOKEN.findall(response.get_data(as_text=True))
    assert response.headers["Cache-Control"] == "no-store"
    # It opens the API...
    assert client.get(f"{API}/requests", headers=bearer(token)).status_code == 200
    # ...and is never shown again.
    page = staff_client.get(PAGE).get_data(as_text=True)
    assert token not in page
    assert "Comptabilité" in page
    [row] = store.api_tokens(store.organisation(ORG)["id"])
    assert row["created_by"] == STAFF_EMAIL and row["last_used_at"] is not None


def test_an_admin_revokes_a_token_and_it_stops_at_once(client, staff_client, store):
    [token] = TOKEN.findall(make_on_page(staff_client).get_data(as_text=True))
    [row] = store.api_tokens(store.organisation(ORG)["id"])
    csrf = csrf_for(staff_client, PAGE)
    response = staff_client.post(
        f"{PAGE}/{row['id']}/revoke", data={"csrf_token": csrf}
    )
    assert response.status_code == 303
    shown = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="ecitiz-notice" role="status"><p>' in shown
    assert "Comptabilité" in shown
    assert 'action="' + f"{PAGE}/{row['id']}/revoke" not in shown  # no button now
    assert client.get(f"{API}/requests", headers=bearer(token)).status_code == 401
    # Revoking it again: there is no such token in force.
    again = staff_client.post(f"{PAGE}/{row['id']}/revoke", data={"csrf_token": csrf})
    assert again.status_code == 404


def test_making_and_revoking_are_in_the_audit_log(staff_client, store):
    make_on_page(staff_client, "CRM")
    organisation_id = store.organisation(ORG)["id"]
    [row] = store.api_tokens(organisation_id)
    csrf = csrf_for(staff_client, PAGE)
    staff_client.post(f"{PAGE}/{row['id']}/revoke", data={"csrf_token": csrf})
    entries = [
        e
        for e in store.audit_entries(organisation_id)
        if e["action"].startswith("api-token.")
    ]
    assert [(e["action"], e["actor"], e["subject"], e["detail"]) for e in entries] == [
        ("api-token.revoke", STAFF_EMAIL, f"api-token:{row['id']}", {"name": "CRM"}),
        ("api-token.create", STAFF_EMAIL, f"api-token:{row['id']}", {"name": "CRM"}),
    ]
    assert entries[0]["address"] == "127.0.0.1"


@pytest.mark.parametrize("name", ["", "   ", "x" * 81, "bad\x00name", "tab\u200ename"])
def test_a_bad_name_is_refused_and_nothing_is_made(staff_client, store, name):
    before = store.table_counts()
    response = make_on_page(staff_client, name)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html
    assert not TOKEN.search(html)
    assert store.table_counts() == before


def test_making_a_token_needs_the_csrf_token(staff_client, store):
    before = store.table_counts()
    response = staff_client.post(PAGE, data={"name": "CRM"})
    assert response.status_code == 400
    assert store.table_counts() == before


def test_an_agent_may_not_see_make_or_revoke_tokens(app, staff_client, store):
    add_staff(app, email="boss@acme.example")  # the organisation keeps an admin
    make_on_page(staff_client)
    [token_row] = store.api_tokens(store.organisation(ORG)["id"])
    csrf = csrf_for(staff_client, PAGE)
    staff = store.staff_by_email(STAFF_EMAIL)
    store.set_staff_role(staff["id"], "agent")
    assert staff_client.get(PAGE).status_code == 403
    assert (
        staff_client.post(PAGE, data={"csrf_token": csrf, "name": "x"}).status_code
        == 403
    )
    revoke = staff_client.post(
        f"{PAGE}/{token_row['id']}/revoke", data={"csrf_token": csrf}
    )
    assert revoke.status_code == 403
    [row] = store.api_tokens(store.organisation(ORG)["id"])
    assert row["revoked_at"] is None


def test_another_organisations_token_cannot_be_revoked(staff_client, store, runner):
    store.create_organisation("other", "Autre")
    assert runner.invoke(args=["ecitiz", "api-token", "other", "theirs"]).exit_code == 0
    [theirs] = store.api_tokens(store.organisation("other")["id"])
    csrf = csrf_for(staff_client, PAGE)
    response = staff_client.post(
        f"{PAGE}/{theirs['id']}/revoke", data={"csrf_token": csrf}
    )
    assert response.status_code == 404
    assert store.api_tokens(store.organisation("other")["id"])[0]["revoked_at"] is None
    assert "theirs" not in staff_client.get(PAGE).get_data(as_text=True)


def test_the_settings_page_links_to_the_tokens(staff_client):
    html = staff_client.get(f"{STAFF}/settings").get_data(as_text=True)
    assert f'href="{PAGE}"' in html


# -- the command ----------------------------------------------------------------------


def test_the_command_makes_lists_and_revokes(client, runner, store):
    made = runner.invoke(args=["ecitiz", "api-token", ORG, "api"])
    assert made.exit_code == 0, made.output
    [token] = TOKEN.findall(made.output)
    assert API_TOKEN_SHAPE.fullmatch(token)
    assert client.get(f"{API}/events", headers=bearer(token)).status_code == 200
    [row] = store.api_tokens(store.organisation(ORG)["id"])
    listed = runner.invoke(args=["ecitiz", "api-token", ORG])
    assert listed.exit_code == 0
    assert f"{row['id']}\tapi\tlast used " in listed.output
    assert token not in listed.output
    revoked = runner.invoke(
        args=["ecitiz", "api-token", ORG, "--revoke", str(row["id"])]
    )
    assert revoked.exit_code == 0, revoked.output
    assert client.get(f"{API}/events", headers=bearer(token)).status_code == 401
    entries = store.audit_entries(store.organisation(ORG)["id"])
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("api-token.revoke", "cli"),
        ("api-token.create", "cli"),
    ]


@pytest.mark.parametrize(
    "args",
    [
        [ORG, ""],
        [ORG, "x" * 81],
        [ORG, "--revoke", "999"],
        [ORG, "--revoke", "0"],
        [ORG, "--revoke", str(2**64)],
        [ORG, "name", "--revoke", "1"],
        ["no-such-org", "api"],
    ],
)
def test_the_command_refuses_bad_input_and_changes_nothing(runner, store, args):
    before = store.table_counts()
    result = runner.invoke(args=["ecitiz", "api-token", *args])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert not TOKEN.search(result.output)
    assert store.table_counts() == before
