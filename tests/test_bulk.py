"""Bulk actions from the request list: each request moved as if alone, the ones
that cannot be left alone and listed, once only, in the background when large."""

import re
from datetime import timedelta
from unittest import mock

import pytest

from ecitiz_kit.domain import bulk
from ecitiz_kit.state import state
from ecitiz_kit.store import StaleStatus, utcnow
from ecitiz_kit.store import jobs as store_jobs
from ecitiz_kit.web.pages import notices

from .helpers import (
    STAFF,
    STAFF_EMAIL,
    add_request,
    add_staff,
    attestation_answers,
    csrf_for,
    hidden_inputs,
    sign_in,
)


@pytest.fixture
def org(store):
    return store.organisation("acme")


def _attestations(store, org, count, status="in_review", start=None, **kw):
    """``count`` attestation requests, oldest first, in ``status``."""
    start = start or utcnow() - timedelta(days=1)
    return [
        add_request(
            store,
            org["id"],
            start + timedelta(minutes=n),
            form_id="attestation",
            status=status,
            **{
                k: v
                for k, v in attestation_answers().items()
                if k not in ("first_name", "last_name", "email")
            },
            **kw,
        )["id"]
        for n in range(count)
    ]


def _form(client, path=f"{STAFF}/"):
    """The bulk form's hidden fields, as the list page gives them."""
    html = client.get(path).get_data(as_text=True)
    form = html[html.index('id="bulk"') :]
    return hidden_inputs(form[: form.index("</form>")])


def _bulk(client, ids=(), action="status:accepted", message="", note="", **extra):
    data = {**_form(client), "action": action, "public_message": message}
    data.update(private_note=note, **extra)
    data["id"] = [str(i) for i in ids]
    return client.post(f"{STAFF}/bulk", data=data)


def _result(client, response):
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    page = client.get(response.headers["Location"])
    return page, page.get_data(as_text=True)


def _worker_pass(app):
    """One pass of the background worker, as ``ecitiz worker`` runs it."""
    result = app.test_cli_runner().invoke(args=["ecitiz", "send-mail"])
    assert result.exit_code == 0, result.output


def _to_status(store, submission_id):
    return [e["to_status"] for e in store.events(submission_id)]


def test_ticked_requests_are_accepted_each_with_event_email_and_document(
    staff_client, store, org
):
    ids = _attestations(store, org, 3)
    before = len(store.outbox_messages())
    response = _bulk(staff_client, ids, message="Votre attestation est prête.")
    page, html = _result(staff_client, response)
    assert "3 traitées, 0 laissées de côté" in html
    assert "Refresh" not in page.headers
    for sid in ids:
        assert store.submission(sid)["status"] == "accepted"
        (event,) = [e for e in store.events(sid) if e["to_status"] == "accepted"]
        assert event["actor"] == STAFF_EMAIL
        assert event["public_message"] == "Votre attestation est prête."
        assert len(store.documents(sid)) == 1
    messages = store.outbox_messages()[before:]
    assert len(messages) == 3
    assert all("Votre attestation est prête." in m["body_text"] for m in messages)


def test_requests_the_life_cycle_does_not_allow_are_left_alone_and_listed(
    staff_client, store, org
):
    moved = _attestations(store, org, 2)
    (waiting,) = _attestations(store, org, 1, status="submitted")
    reference = store.submission(waiting)["reference"]
    page, html = _result(staff_client, _bulk(staff_client, [*moved, waiting]))
    assert "2 traitées, 1 laissées de côté" in html
    assert reference in html
    assert (
        "Une demande «\u00a0Reçue, en attente d’examen\u00a0» ne peut pas passer"
        in html
    )
    assert store.submission(waiting)["status"] == "submitted"
    assert _to_status(store, waiting) == ["submitted"]


def test_double_submit_runs_the_action_once(staff_client, store, org):
    ids = _attestations(store, org, 2)
    data = {**_form(staff_client), "action": "status:accepted", "id": ids}
    first = staff_client.post(f"{STAFF}/bulk", data=data)
    second = staff_client.post(f"{STAFF}/bulk", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    for sid in ids:
        assert _to_status(store, sid).count("accepted") == 1
    assert len(store.audit_entries(org["id"], action="bulk.run")) == 1


def test_another_organisations_ids_are_not_found_and_nothing_moves(
    staff_client, store, org
):
    ids = _attestations(store, org, 2)
    other = store.create_organisation("autre", "Autre")
    (foreign,) = _attestations(store, other, 1)
    counts = store.table_counts()
    response = _bulk(staff_client, [*ids, foreign])
    assert response.status_code == 404
    assert store.table_counts() == counts
    response = _bulk(staff_client, [*ids, 99999999999])
    assert response.status_code == 404
    assert store.table_counts() == counts


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"id": []}, "Cochez au moins une demande"),
        ({"action": "status:paid"}, "Choisissez une action"),
        ({"action": "assign:999"}, "Choisissez une action"),
        ({"action": "assign:me", "message": "Bonjour"}, "Un message accompagne"),
        ({"action": "status:submitted"}, "Dites aux demandeurs"),
        ({"message": "x" * 2001}, "Écrivez au plus 2000 caractères"),
        ({"key": "short"}, "Ce formulaire est abîmé"),
        ({"all": "1", "seen": "yesterday"}, "Ce formulaire est abîmé"),
    ],
)
def test_bad_input_gets_a_clear_error_and_changes_nothing(
    staff_client, store, org, change, expected
):
    change = dict(change)  # the parameter is shared by each backend's run
    ids = _attestations(store, org, 2)
    data = {
        **_form(staff_client),
        "action": "status:accepted",
        "public_message": "",
        "id": [str(i) for i in ids],
    }
    if "message" in change:
        data["public_message"] = change.pop("message")
    data.update(change)
    counts = store.table_counts()
    response = staff_client.post(f"{STAFF}/bulk", data=data)
    assert response.status_code == 400
    assert expected in response.get_data(as_text=True)
    assert store.table_counts() == counts


@pytest.mark.parametrize("ids", [["abc"], ["-1"], ["1e3"], [str(2**63)]])
def test_ids_that_are_not_numbers_are_not_found(staff_client, store, org, ids):
    _attestations(store, org, 1)
    counts = store.table_counts()
    response = staff_client.post(
        f"{STAFF}/bulk",
        data={**_form(staff_client), "action": "status:accepted", "id": ids},
    )
    assert response.status_code == 404
    assert store.table_counts() == counts


def test_all_matching_the_filters_takes_every_page_but_not_later_arrivals(
    staff_client, store, org
):
    ids = _attestations(store, org, 60)
    others = _attestations(store, org, 3, status="submitted")
    form = _form(staff_client, f"{STAFF}/?status=in_review")
    html = staff_client.get(f"{STAFF}/?status=in_review").get_data(as_text=True)
    assert "Sélectionner les 60 demandes correspondant à ces filtres" in html
    # Arrived after the list was shown: not among what the person saw.
    (late,) = _attestations(store, org, 1, start=utcnow() + timedelta(seconds=1))
    data = {**form, "all": "1", "action": "status:accepted", "id": [str(ids[0])]}
    with mock.patch.object(bulk, "BACKGROUND_THRESHOLD", 100):
        page, html = _result(
            staff_client, staff_client.post(f"{STAFF}/bulk", data=data)
        )
    assert "60 traitées, 0 laissées de côté" in html
    assert all(store.submission(sid)["status"] == "accepted" for sid in ids)
    assert all(store.submission(sid)["status"] == "submitted" for sid in others)
    assert store.submission(late)["status"] == "in_review"


def test_all_matching_mine_takes_only_the_requests_assigned_to_me(
    staff_client, store, org
):
    mine = _attestations(store, org, 2)
    others = _attestations(store, org, 2)
    me = store.staff_by_email(STAFF_EMAIL)
    for sid in mine:
        assert store.assign_submission(org["id"], sid, me["id"], actor="t")
    form = _form(staff_client, f"{STAFF}/?assignee=me")
    assert form["assignee"] == "me"
    data = {**form, "all": "1", "action": "status:accepted"}
    _page, html = _result(staff_client, staff_client.post(f"{STAFF}/bulk", data=data))
    assert "2 traitées, 0 laissées de côté" in html
    assert [store.submission(s)["status"] for s in mine + others] == [
        "accepted",
        "accepted",
        "in_review",
        "in_review",
    ]


def test_a_selection_above_the_cap_is_refused(staff_client, store, org, monkeypatch):
    ids = _attestations(store, org, 4)
    monkeypatch.setattr(bulk, "BULK_CAP", 3)
    counts = store.table_counts()
    response = _bulk(staff_client, ids)
    assert response.status_code == 400
    assert "4 demandes sont sélectionnées" in response.get_data(as_text=True)
    data = {**_form(staff_client), "all": "1", "action": "status:accepted"}
    response = staff_client.post(f"{STAFF}/bulk", data=data)
    assert response.status_code == 400
    assert "3" in response.get_data(as_text=True)
    assert store.table_counts() == counts


def test_a_control_character_in_a_bulk_message_moves_nothing(staff_client, store, org):
    ids = _attestations(store, org, 2)
    counts = store.table_counts()
    response = _bulk(staff_client, ids, message="Accordé.\x00")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Supprimez les caractères invisibles (caractères de contrôle)" in html
    assert store.table_counts() == counts


def test_the_documented_cap_and_threshold():
    assert bulk.BULK_CAP >= 5000
    assert 0 < bulk.BACKGROUND_THRESHOLD < bulk.BULK_CAP


def test_large_selection_runs_in_the_worker_while_the_page_shows_progress(
    app, staff_client, store, org, monkeypatch
):
    monkeypatch.setattr(bulk, "BACKGROUND_THRESHOLD", 2)
    ids = _attestations(store, org, 3)
    page, html = _result(staff_client, _bulk(staff_client, ids, message="Accordé."))
    assert page.headers["Refresh"] == "3"
    assert "0 sur 3 demandes traitées" in html
    assert '<progress id="bulk-progress" max="3" value="0">' in html
    assert all(store.submission(sid)["status"] == "in_review" for sid in ids)
    still = staff_client.get(page.request.path + "?still=1")
    assert "Refresh" not in still.headers
    _worker_pass(app)
    done = staff_client.get(page.request.path)
    assert "Refresh" not in done.headers
    assert "3 traitées, 0 laissées de côté" in done.get_data(as_text=True)
    for sid in ids:
        assert _to_status(store, sid) == ["in_review", "accepted"]
        assert len(store.documents(sid)) == 1
    sent = [m for m in store.outbox_messages() if "Accordé." in (m["body_text"] or "")]
    assert len(sent) == 3
    assert all("http://localhost/ecitiz/s/" in m["body_text"] for m in sent)


def test_a_request_changed_before_the_worker_came_is_left_alone(
    app, staff_client, store, org, monkeypatch
):
    monkeypatch.setattr(bulk, "BACKGROUND_THRESHOLD", 1)
    ids = _attestations(store, org, 3)
    page, _html = _result(staff_client, _bulk(staff_client, ids))
    store.change_status(ids[1], expected="in_review", to_status="rejected", actor="x")
    _worker_pass(app)
    html = staff_client.get(page.request.path).get_data(as_text=True)
    assert "2 traitées, 1 laissées de côté" in html
    assert "Son statut a changé après sa sélection." in html
    assert _to_status(store, ids[1]) == ["in_review", "rejected"]


def _background_job(staff_client, store, org, ids, monkeypatch):
    monkeypatch.setattr(bulk, "BACKGROUND_THRESHOLD", 1)
    response = _bulk(staff_client, ids)
    job_id = int(response.headers["Location"].rsplit("/", 1)[1].split("?")[0])
    return store.job(org["id"], job_id)


def test_two_workers_never_hold_the_same_job(staff_client, store, org, monkeypatch):
    _background_job(staff_client, store, org, _attestations(store, org, 2), monkeypatch)
    assert store.claim_job("worker-a") is not None
    assert store.claim_job("worker-b") is None


def test_a_job_whose_worker_died_is_resumed_after_its_lease_without_moving_twice(
    app, staff_client, store, org, monkeypatch
):
    ids = _attestations(store, org, 5)
    job = _background_job(staff_client, store, org, ids, monkeypatch)
    monkeypatch.setattr(bulk, "BATCH", 2)

    class Killed(BaseException):
        pass

    renew = store.job_progress
    calls = []

    def dies_after_first_batch(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise Killed()  # the worker is killed between two batches
        return renew(*args, **kwargs)

    with (
        app.test_request_context(),
        mock.patch.object(store, "job_progress", dies_after_first_batch),
    ):
        claimed = store.claim_job("worker-a", bulk.LEASE_SECONDS)
        with pytest.raises(Killed):
            bulk.run(
                store, state().forms, state().keyring, claimed, "worker-a", notices()
            )
    assert [store.submission(s)["status"] for s in ids].count("accepted") == 2
    # Another worker finds it held until the lease runs out, then takes it over.
    assert store.claim_job("worker-b") is None
    later = utcnow() + timedelta(seconds=bulk.LEASE_SECONDS + 1)
    with mock.patch.object(store_jobs, "utcnow", return_value=later):
        _worker_pass(app)
    finished = store.job(org["id"], job["id"])
    assert finished["finished_at"] and finished["moved"] == 5
    assert finished["attempts"] == 2
    for sid in ids:
        assert _to_status(store, sid) == ["in_review", "accepted"]
        assert len(store.documents(sid)) == 1
    entries = store.audit_entries(org["id"], action="request.status")
    assert sorted(e["subject"] for e in entries) == sorted(
        store.submission(s)["reference"] for s in ids
    )
    # The first worker, back from the dead, can no longer write anything.
    assert not store.job_progress(job["id"], "worker-a", ("request.status", {}))


def test_a_request_marked_done_is_never_moved_again(store, org, staff_client):
    (sid,) = _attestations(store, org, 1)
    job_id, _created = store.create_job(
        org["id"], bulk.KIND, "k" * 20, actor="a", staff_id=None, address=None,
        params={}, items=[(sid, "in_review", None)],
    )  # fmt: skip
    store.change_status(
        sid,
        expected="in_review",
        to_status="accepted",
        actor="a",
        job_item=(job_id, sid),
    )
    store.change_status(sid, expected="accepted", to_status="in_review", actor="b")
    with pytest.raises(StaleStatus):
        store.change_status(
            sid,
            expected="in_review",
            to_status="accepted",
            actor="a",
            job_item=(job_id, sid),
        )
    assert _to_status(store, sid) == ["in_review", "accepted", "in_review"]


def test_bulk_assignment_to_me_and_to_a_colleague(app, staff_client, store, org):
    ids = _attestations(store, org, 3)
    me = store.staff_by_email(STAFF_EMAIL)
    colleague = add_staff(app, email="collegue@acme.example")
    _result(staff_client, _bulk(staff_client, ids[:2], action="assign:me"))
    assert [store.submission(s)["assigned_to"] for s in ids] == [me["id"]] * 2 + [None]
    html = staff_client.get(f"{STAFF}/").get_data(as_text=True)
    assert f'value="assign:{colleague["id"]}"' in html
    page, html = _result(
        staff_client, _bulk(staff_client, ids, action=f"assign:{colleague['id']}")
    )
    assert "3 traitées, 0 laissées de côté" in html
    assert all(store.submission(s)["assigned_to"] == colleague["id"] for s in ids)
    assert len(store.assignment_history(ids[0])) == 2
    _page, html = _result(staff_client, _bulk(staff_client, ids, action="assign:none"))
    assert all(store.submission(s)["assigned_to"] is None for s in ids)
    assigned = store.audit_entries(org["id"], action="request.assign")
    assert len(assigned) == 2 + 3 + 3
    # As a change made alone records it: to whom, from whom.
    last = {e["subject"]: e["detail"] for e in assigned[:3]}
    first = store.submission(ids[0])["reference"]
    assert last[first]["to"] is None
    assert last[first]["previous"] == "collegue@acme.example"
    first_moves = [e for e in assigned if e["subject"] == first]
    assert first_moves[-1]["detail"]["to"] == STAFF_EMAIL
    assert first_moves[-1]["detail"]["previous"] is None
    assert first_moves[1]["detail"]["previous"] == STAFF_EMAIL


def test_the_audit_log_has_the_bulk_run_and_each_change(staff_client, store, org):
    ids = _attestations(store, org, 2)
    (left,) = _attestations(store, org, 1, status="accepted")
    _result(staff_client, _bulk(staff_client, [*ids, left], note="lot du lundi"))
    (run,) = store.audit_entries(org["id"], action="bulk.run")
    assert run["actor"] == STAFF_EMAIL and run["detail"]["count"] == 3
    assert run["detail"]["to"] == "accepted"
    changes = store.audit_entries(org["id"], action="request.status")
    assert sorted(e["subject"] for e in changes) == sorted(
        store.submission(s)["reference"] for s in ids
    )
    assert all(e["detail"]["to"] == "accepted" for e in changes)
    for sid in ids:
        assert store.events(sid)[-1]["private_note"] == "lot du lundi"


def test_the_list_offers_the_bulk_form_with_a_checkbox_per_row(
    staff_client, store, org
):
    ids = _attestations(store, org, 2)
    html = staff_client.get(f"{STAFF}/?lang=en").get_data(as_text=True)
    for sid in ids:
        # Named by the column's title and the row's reference: "Select ATT-…".
        assert re.search(
            rf'<input type="checkbox" class="ecitiz-pick-one" form="bulk" name="id"'
            rf' value="{sid}" id="pick-{sid}" aria-labelledby="pick-title ref-{sid}">',
            html,
        )
        assert f'<th scope="row" id="ref-{sid}">' in html
    assert '<span class="ecitiz-visually-hidden" id="pick-title">Select</span>' in html
    assert '<details class="ecitiz-bulk-actions">' in html
    # Everything shown fits on the page: no "all matching" choice.
    assert 'name="all"' not in html


def test_another_organisations_job_is_not_found(app, staff_client, store, org):
    ids = _attestations(store, org, 1)
    page, _html = _result(staff_client, _bulk(staff_client, ids))
    other = store.create_organisation("autre", "Autre")
    add_staff(app, org_slug="autre", email="x@autre.example")
    intruder = app.test_client()
    sign_in(intruder, email="x@autre.example")
    assert intruder.get(page.request.path).status_code == 404
    assert other["id"] != org["id"]
    assert staff_client.get(f"{STAFF}/bulk/99999").status_code == 404


def test_csrf_is_required(staff_client, store, org):
    ids = _attestations(store, org, 1)
    data = {**_form(staff_client), "action": "status:accepted", "id": ids}
    data["csrf_token"] = csrf_for(staff_client)[:-2]
    counts = store.table_counts()
    assert staff_client.post(f"{STAFF}/bulk", data=data).status_code == 400
    assert store.table_counts() == counts
