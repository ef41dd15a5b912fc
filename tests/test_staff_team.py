"""The team: invitations by e-mail or command, roles, stopping access, and the
last active admin an organisation always keeps."""

import itertools
import re
import time
from datetime import timedelta
from unittest import mock

import pytest
from itsdangerous import TimestampSigner

from ecitiz_kit.domain import team
from ecitiz_kit.state import state
from ecitiz_kit.store import LastAdmin

from .helpers import (
    ORG,
    STAFF,
    STAFF_EMAIL,
    add_staff,
    csrf_for,
    sign_in,
)

COLLEAGUE = "camille.martin@acme.example"
TEAM = f"{STAFF}/settings/team"
NEW_PASSWORD = "a brand new colleague password"


@pytest.fixture(autouse=True)
def english(app):
    """Pages and e-mails in English, which the assertions read."""
    app.config["ECITIZ_DEFAULT_LANGUAGE"] = "en"


def _invitations(store):
    return [m for m in store.outbox_messages() if m["kind"] == "invitation"]


def _invite(client, email=COLLEAGUE, role="agent"):
    return client.post(
        f"{TEAM}/invitations",
        data={"csrf_token": csrf_for(client, TEAM), "email": email, "role": role},
    )


def _link(message):
    [link] = re.findall(r"https?://\S+/invitation/\S+", message["body_text"])
    return link.removeprefix("http://localhost")


def _join(client, link, password=NEW_PASSWORD, confirm=None):
    page = client.get(link)
    assert page.status_code == 200, page.status_code
    return client.post(
        link,
        data={
            "csrf_token": csrf_for(client, link),
            "new": password,
            "confirm": confirm or password,
        },
    )


def _agent(app, store, email="agent2@acme.example"):
    member = add_staff(app, email=email)
    store.set_staff_role(member["id"], "agent")
    return member


# -- invitations ---------------------------------------------------------------


def test_an_invited_colleague_joins_with_the_role_given(app, staff_client, store):
    response = _invite(staff_client, role="agent")
    assert response.status_code == 303
    assert "done=invited" in response.headers["Location"]
    [message] = _invitations(store)
    assert message["recipient"] == COLLEAGUE
    assert "ACME Entraide" in message["subject"]
    assert store.staff_by_email(COLLEAGUE) is None  # no account before the answer
    newcomer = app.test_client()
    joined = _join(newcomer, _link(message))
    assert joined.status_code == 303
    account = store.staff_by_email(COLLEAGUE)
    assert (account["role"], account["active"]) == ("agent", 1)
    assert account["organisation_id"] == store.organisation(ORG)["id"]
    # Signed in at once, and with the chosen password afterwards.
    assert newcomer.get(f"{STAFF}/").status_code == 200
    assert sign_in(app.test_client(), COLLEAGUE, NEW_PASSWORD).status_code == 303
    actions = [e["action"] for e in store.audit_entries(account["organisation_id"])]
    assert "team.invite" in actions and "team.join" in actions


def test_an_invitation_works_once(app, staff_client, store):
    _invite(staff_client)
    link = _link(_invitations(store)[0])
    assert _join(app.test_client(), link).status_code == 303
    again = app.test_client().get(link)
    assert again.status_code == 404
    assert "no longer valid" in again.get_data(as_text=True)


def test_expired_reused_replaced_and_forged_links_get_the_same_page(
    app, staff_client, store
):
    _invite(staff_client)
    first = _link(_invitations(store)[0])
    _invite(staff_client)  # a newer invitation replaces the first
    second = _link(_invitations(store)[1])
    pages = []
    path, _, query = second.partition("?")
    forged = f"{path[:-6]}{'A' if path[-6] != 'A' else 'B'}{path[-5:]}?{query}"
    for link in (first, forged, f"{STAFF}/invitation/nonsense"):
        response = app.test_client().get(link)
        pages.append((response.status_code, response.get_data(as_text=True)))
    later = team.oldest_valid() + timedelta(days=8)
    with mock.patch.object(team, "oldest_valid", return_value=later):
        response = app.test_client().get(second)
        pages.append((response.status_code, response.get_data(as_text=True)))
    assert [status for status, _html in pages] == [404] * 4
    assert all("This link is no longer valid" in html for _status, html in pages)
    # The second link itself still works.
    assert _join(app.test_client(), second).status_code == 303


def test_a_post_to_a_spent_link_writes_nothing(app, staff_client, store):
    _invite(staff_client)
    link = _link(_invitations(store)[0])
    client = app.test_client()
    token = csrf_for(client, link)
    assert _join(app.test_client(), link).status_code == 303
    before = store.table_counts()
    response = client.post(
        link, data={"csrf_token": token, "new": "x" * 20, "confirm": "x" * 20}
    )
    assert response.status_code == 404
    assert store.table_counts() == before


def test_a_short_or_mismatched_password_is_refused(app, staff_client, store):
    _invite(staff_client)
    link = _link(_invitations(store)[0])
    client = app.test_client()
    assert _join(client, link, password="short").status_code == 422
    assert _join(client, link, confirm="something else entirely").status_code == 422
    assert store.staff_by_email(COLLEAGUE) is None
    assert _join(client, link).status_code == 303


@pytest.mark.parametrize(
    "email", ["", "not an address", "a@b", "x" * 250 + "@example.org", "a\n@b.fr"]
)
def test_a_bad_address_is_refused_and_nothing_is_written(staff_client, store, email):
    before = store.table_counts()
    response = _invite(staff_client, email=email)
    assert response.status_code == 422
    assert "e-mail address" in response.get_data(as_text=True)
    assert store.table_counts() == before


def test_an_address_with_an_account_is_not_invited(staff_client, store):
    before = store.table_counts()
    response = _invite(staff_client, email=STAFF_EMAIL.upper())
    assert response.status_code == 422
    assert "already has an account" in response.get_data(as_text=True)
    assert store.table_counts() == before


@pytest.mark.parametrize("role", ["owner", "", "admin ", "ADMIN"])
def test_a_forged_role_is_forbidden(staff_client, store, role):
    before = store.table_counts()
    assert _invite(staff_client, role=role).status_code == 403
    assert store.table_counts() == before


def test_the_invite_command_queues_the_email_and_prints_the_link(
    app, store, monkeypatch
):
    # Each signature a second later than the one before: the command prints
    # the very link the e-mail carries, not one signed again.
    seconds = itertools.count(int(time.time()))
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _: next(seconds))
    app.config["ECITIZ_PUBLIC_URL"] = "https://forms.acme.example"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ecitiz", "invite", ORG, COLLEAGUE, "--role", "admin"])
    assert result.exit_code == 0, result.output
    [message] = _invitations(store)
    link = result.output.strip().splitlines()[-1]
    assert link.startswith("https://forms.acme.example/ecitiz/staff/invitation/")
    assert link in message["body_text"]
    client = app.test_client()
    assert _join(client, link.removeprefix("https://forms.acme.example")).status_code
    assert store.staff_by_email(COLLEAGUE)["role"] == "admin"
    [entry] = store.audit_entries(store.organisation(ORG)["id"], action="team.invite")
    assert (entry["actor"], entry["subject"]) == ("cli", COLLEAGUE)


def test_the_invite_command_refuses_what_the_page_refuses(app, store):
    app.config["ECITIZ_PUBLIC_URL"] = "https://forms.acme.example"
    add_staff(app)
    runner = app.test_cli_runner()
    for args, said in (
        ([ORG, "nope"], "not an e-mail address"),
        ([ORG, STAFF_EMAIL], "already has a staff account"),
        (["nowhere", COLLEAGUE], "no organisation"),
        ([ORG, COLLEAGUE, "--role", "owner"], "Invalid value"),
    ):
        result = runner.invoke(args=["ecitiz", "invite", *args])
        assert result.exit_code != 0 and said in result.output, result.output
    assert _invitations(store) == []


def test_the_invite_command_needs_the_kit_address(app, store):
    result = app.test_cli_runner().invoke(args=["ecitiz", "invite", ORG, COLLEAGUE])
    assert result.exit_code != 0
    assert "ECITIZ_PUBLIC_URL" in result.output
    assert _invitations(store) == []


# -- roles and access ----------------------------------------------------------


def _post(client, path):
    return client.post(f"{TEAM}/{path}", data={"csrf_token": csrf_for(client, TEAM)})


def test_an_admin_changes_a_role_and_stops_and_restores_access(
    app, staff_client, store
):
    colleague = _agent(app, store)
    theirs = app.test_client()
    assert sign_in(theirs, "agent2@acme.example").status_code == 303
    response = staff_client.post(
        f"{TEAM}/{colleague['id']}/role",
        data={"csrf_token": csrf_for(staff_client, TEAM), "role": "admin"},
    )
    assert response.status_code == 303
    assert store.staff_by_email("agent2@acme.example")["role"] == "admin"
    assert _post(staff_client, f"{colleague['id']}/stop").status_code == 303
    assert store.staff_by_email("agent2@acme.example")["active"] == 0
    assert theirs.get(f"{STAFF}/").status_code == 303  # signed out at once
    assert sign_in(app.test_client(), "agent2@acme.example").status_code == 401
    assert _post(staff_client, f"{colleague['id']}/restore").status_code == 303
    assert sign_in(app.test_client(), "agent2@acme.example").status_code == 303
    actions = [e["action"] for e in store.audit_entries(store.organisation(ORG)["id"])]
    assert {"team.role", "team.deactivate", "team.reactivate"} <= set(actions)


def test_the_last_admin_cannot_be_demoted_or_stopped(app, staff_client, store):
    me = store.staff_by_email(STAFF_EMAIL)
    _agent(app, store)  # an agent does not count
    before = store.table_counts()
    response = staff_client.post(
        f"{TEAM}/{me['id']}/role",
        data={"csrf_token": csrf_for(staff_client, TEAM), "role": "agent"},
    )
    assert response.status_code == 409
    assert "at least one active" in response.get_data(as_text=True)
    assert _post(staff_client, f"{me['id']}/stop").status_code == 409
    assert store.table_counts() == before
    assert store.staff_by_email(STAFF_EMAIL)["role"] == "admin"
    assert staff_client.get(TEAM).status_code == 200  # still signed in


def test_the_store_keeps_an_active_admin_whoever_asks(app, store):
    me = add_staff(app)
    other = add_staff(app, email="second@acme.example")
    store.set_staff_active(other["id"], False)
    with pytest.raises(LastAdmin):
        store.set_staff_role(me["id"], "agent")
    with pytest.raises(LastAdmin):
        store.set_staff_active(me["id"], False)
    assert store.staff_by_email(STAFF_EMAIL)["role"] == "admin"
    # With a second active admin, either may go.
    store.set_staff_active(other["id"], True)
    assert store.set_staff_role(me["id"], "agent") is True
    with pytest.raises(LastAdmin):
        store.set_staff_active(other["id"], False)


def test_another_organisations_account_is_not_found(app, staff_client, store):
    bravo = store.create_organisation("bravo", "Bravo")
    theirs = add_staff(app, "bravo", "admin@bravo.example")
    before = store.table_counts()
    for path, data in (
        (f"{theirs['id']}/role", {"role": "agent"}),
        (f"{theirs['id']}/stop", {}),
        (f"{theirs['id']}/restore", {}),
        ("999999/stop", {}),
    ):
        response = staff_client.post(
            f"{TEAM}/{path}", data={"csrf_token": csrf_for(staff_client, TEAM), **data}
        )
        assert response.status_code == 404, path
    assert store.table_counts() == before
    assert store.set_staff_active(theirs["id"], False, organisation_id=0) is False
    assert bravo["id"] != store.organisation(ORG)["id"]


def test_a_forged_role_change_is_forbidden(app, staff_client, store):
    colleague = _agent(app, store)
    response = staff_client.post(
        f"{TEAM}/{colleague['id']}/role",
        data={"csrf_token": csrf_for(staff_client, TEAM), "role": "superuser"},
    )
    assert response.status_code == 403
    assert store.staff_by_email("agent2@acme.example")["role"] == "agent"


def test_the_team_page_lists_members_and_waiting_invitations(app, staff_client, store):
    _agent(app, store)
    _invite(staff_client)
    html = staff_client.get(TEAM).get_data(as_text=True)
    assert STAFF_EMAIL in html and "agent2@acme.example" in html
    assert COLLEAGUE in html  # waiting for an answer
    assert "Stop access" in html


def test_an_agent_sees_no_admin_link(app, client, store):
    add_staff(app, email="boss@acme.example")
    _agent(app, store, STAFF_EMAIL)
    assert sign_in(client).status_code == 303
    html = client.get(f"{STAFF}/").get_data(as_text=True)
    for path in ("/settings", "/embed"):
        assert f'href="{STAFF}{path}' not in html, path
    assert client.get(TEAM).status_code == 403


def test_the_link_names_a_stored_key_not_the_address(app, staff_client, store):
    _invite(staff_client)
    [message] = _invitations(store)
    link = _link(message)
    assert COLLEAGUE not in link and "camille" not in link
    token = link.partition("?")[0].rpartition("/")[2]
    tokens = state(app).tokens(app.config)
    organisation_id, key = tokens.read_invitation(token, team.INVITATION_LIFETIME)
    assert organisation_id == store.organisation(ORG)["id"]
    assert store.invitation(organisation_id, key, created_after=team.oldest_valid())
