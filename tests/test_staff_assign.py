"""Who handles a request: assigning from the request page, the list's filters on
the assignee, the timeline, and refusals that change nothing."""

import re

import pytest

from ecitiz_kit.state import state

from .helpers import (
    STAFF,
    STAFF_EMAIL,
    add_request,
    add_staff,
    at,
    csrf_for,
    sign_in,
    submit_request,
)

COLLEAGUE = "paul@acme.example"


@pytest.fixture
def team(app, staff_client):
    """The signed-in agent's id and a colleague's."""
    with app.app_context():
        me = state(app).store.staff_by_email(STAFF_EMAIL)["id"]
    return me, add_staff(app, email=COLLEAGUE)["id"]


@pytest.fixture
def request_id(client, store):
    return store.submission_by_reference(submit_request(client))["id"]


def assign(client, submission_id, assignee, expected="", **query):
    return client.post(
        f"{STAFF}/requests/{submission_id}/assign",
        query_string=query,
        data={
            "csrf_token": csrf_for(client),
            "assignee": assignee,
            "expected": expected,
        },
    )


def test_assign_to_me_is_one_button_and_shows_in_the_timeline(
    staff_client, store, team, request_id
):
    me, _paul = team
    html = staff_client.get(f"{STAFF}/requests/{request_id}").get_data(as_text=True)
    assert "Me l’attribuer" in html
    response = assign(staff_client, request_id, "me")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("done=assigned#assignment")
    assert store.submission(request_id)["assigned_to"] == me
    html = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"La demande est maintenant attribuée à {STAFF_EMAIL}." in html
    assert f"Attribuée à {STAFF_EMAIL}" in html  # the timeline
    assert "Me l’attribuer" not in html  # already mine
    [entry] = store.audit_entries(store.organisation("acme")["id"])
    assert entry["action"] == "request.assign"
    assert entry["actor"] == STAFF_EMAIL
    assert entry["subject"] == store.submission(request_id)["reference"]
    assert entry["detail"] == {"to": STAFF_EMAIL, "previous": None}


def test_a_request_is_given_to_a_colleague_then_to_nobody(
    staff_client, store, team, request_id
):
    me, paul = team
    assert assign(staff_client, request_id, str(paul)).status_code == 303
    assert store.submission(request_id)["assigned_to"] == paul
    response = assign(staff_client, request_id, "", expected=str(paul))
    assert response.status_code == 303
    assert store.submission(request_id)["assigned_to"] is None
    html = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "La demande n’est maintenant attribuée à personne." in html
    # Newest first: unassigned, then given to the colleague.
    history = html[html.index("Historique") :]
    assert history.index("N’est plus attribuée") < history.index(
        f"Attribuée à {COLLEAGUE}"
    )
    actions = [
        (e["action"], e["detail"])
        for e in store.audit_entries(store.organisation("acme")["id"])
    ]
    assert actions == [
        ("request.assign", {"to": None, "previous": COLLEAGUE}),
        ("request.assign", {"to": COLLEAGUE, "previous": None}),
    ]


def test_a_colleagues_change_in_between_is_refused_and_kept(
    staff_client, store, team, request_id
):
    me, paul = team
    # The page was shown while nobody held it; a colleague took it since.
    store.assign_submission(
        store.organisation("acme")["id"], request_id, paul, actor=COLLEAGUE
    )
    response = assign(staff_client, request_id, "me", expected="")
    assert response.status_code == 409
    assert (
        f"elle est maintenant attribuée à {COLLEAGUE}. Rien n’a été modifié"
        in response.get_data(as_text=True)
    )
    assert store.submission(request_id)["assigned_to"] == paul
    assert len(store.assignment_history(request_id)) == 1
    assert store.audit_entries(store.organisation("acme")["id"]) == []


@pytest.mark.parametrize(
    "assignee",
    ["other", "-1", "0", "99999", "1e3", "٣", "9" * 40, "me\x00"],
)
def test_a_forged_assignee_is_refused_and_changes_nothing(
    staff_client, store, team, request_id, assignee
):
    response = assign(staff_client, request_id, assignee)
    assert response.status_code == 400
    assert "Choisissez un membre actif de votre équipe" in response.get_data(
        as_text=True
    )
    assert store.submission(request_id)["assigned_to"] is None
    assert store.assignment_history(request_id) == []


def test_another_organisations_person_or_a_stopped_one_cannot_be_given_a_request(
    app, staff_client, store, team, request_id
):
    _me, paul = team
    store.create_organisation("globex", "Globex")
    stranger = add_staff(app, "globex", "eve@globex.example")["id"]
    assert assign(staff_client, request_id, str(stranger)).status_code == 400
    store.set_staff_active(paul, False)
    assert assign(staff_client, request_id, str(paul)).status_code == 400
    html = staff_client.get(f"{STAFF}/requests/{request_id}").get_data(as_text=True)
    assert f">{COLLEAGUE}</option>" not in html  # only active members are offered
    assert store.submission(request_id)["assigned_to"] is None


def test_another_organisations_request_is_not_found(app, staff_client, store, team):
    globex = store.create_organisation("globex", "Globex")
    store.enable_form(globex["id"], "aid-request", 1, None, 730)
    theirs = add_request(store, globex["id"], at("2026-11-20 10:00"))
    assert assign(staff_client, theirs["id"], "me").status_code == 404
    assert store.submission(theirs["id"])["assigned_to"] is None


# -- the list ------------------------------------------------------------------


def _references(html):
    return re.findall(r">(AID-[2-9A-Z]{4}-[2-9A-Z]{4})</a>", html)


def test_the_list_filters_mine_unassigned_and_a_person(
    app, client, staff_client, store, team
):
    me, paul = team
    acme = store.organisation("acme")["id"]
    mine, theirs, nobodys = (submit_request(client) for _ in range(3))
    for reference, person in ((mine, me), (theirs, paul)):
        store.assign_submission(
            acme, store.submission_by_reference(reference)["id"], person, actor="x"
        )

    def listed(assignee):
        response = staff_client.get(f"{STAFF}/", query_string={"assignee": assignee})
        assert response.status_code == 200
        return response.get_data(as_text=True)

    assert _references(listed("me")) == [mine]
    assert _references(listed("none")) == [nobodys]
    assert _references(listed(str(paul))) == [theirs]
    assert sorted(_references(listed(""))) == sorted([mine, theirs, nobodys])
    # Counts follow the filter too.
    assert "1 demande correspond" in listed("me")
    # The list shows who holds each request.
    everything = listed("")
    assert COLLEAGUE in everything and "personne" in everything
    # The colleague signed in sees their own requests under "me".
    colleague = app.test_client()
    sign_in(colleague, COLLEAGUE)
    html = colleague.get(f"{STAFF}/?assignee=me").get_data(as_text=True)
    assert _references(html) == [theirs]


@pytest.mark.parametrize("assignee", ["someone", "-3", "0", "123456", "1" * 30])
def test_an_unknown_assignee_filter_is_a_clear_error(staff_client, team, assignee):
    response = staff_client.get(f"{STAFF}/", query_string={"assignee": assignee})
    assert response.status_code == 400
    assert "Choisissez une personne dans la liste." in response.get_data(as_text=True)
    export = staff_client.get(
        f"{STAFF}/requests.csv", query_string={"assignee": assignee}
    )
    assert export.status_code == 400


def test_the_export_keeps_the_assignee_filter(staff_client, client, store, team):
    me, _paul = team
    mine, other = submit_request(client), submit_request(client)
    store.assign_submission(
        store.organisation("acme")["id"],
        store.submission_by_reference(mine)["id"],
        me,
        actor="x",
    )
    text = staff_client.get(f"{STAFF}/requests.csv?assignee=me").get_data(as_text=True)
    assert mine in text and other not in text
