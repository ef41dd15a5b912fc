"""Decision periods that act: due dates at submit, the admin page that changes
them, the list's due-date filters, the deadline rules the worker applies and the
daily digest."""

import re
from datetime import timedelta

import pytest

from ecitiz_kit.cli import deadlines as worker_pass
from ecitiz_kit.domain import request_list as listing
from ecitiz_kit.domain.request_list import Filters
from ecitiz_kit.i18n import today

from .helpers import (
    STAFF,
    STAFF_EMAIL,
    add_staff,
    aid_answers,
    csrf_for,
    post_form,
    stored_requests,
    submit_attestation,
    submit_request,
    with_file,
)

TZ = "Europe/Paris"


def _org(store):
    return store.organisation("acme")["id"]


def _request(store, reference):
    return store.submission_by_reference(reference)


def _save_periods(client, status=303, **values):
    """Post the decision periods page with every enabled form's current values
    overridden by ``values`` (``days-<form>``, ``rule-<form>``)."""
    token = csrf_for(client, f"{STAFF}/settings/deadlines")
    page = client.get(f"{STAFF}/settings/deadlines").get_data(as_text=True)
    data = {
        name: value
        for name, value in re.findall(
            r'name="(days-[a-z0-9-]+)"[^>]*value="(\d*)"', page
        )
    }
    data |= {f"rule-{name.removeprefix('days-')}": "" for name in list(data)}
    data |= {key.replace("_", "-"): value for key, value in values.items()}
    response = client.post(
        f"{STAFF}/settings/deadlines", data={"csrf_token": token, **data}
    )
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return response


def _run_worker(app, monkeypatch, on):
    """One worker pass as if the kit's local day were ``on``."""
    monkeypatch.setattr(worker_pass, "today", lambda timezone: on)
    with app.app_context():
        return worker_pass.deadlines_pass()


# -- due dates -----------------------------------------------------------------------


def test_a_request_is_due_its_forms_decision_period_after_the_day_it_arrived(
    client, store
):
    reference = submit_request(client)
    # aid-request.json sets decision_days: 30.
    expected = today(TZ) + timedelta(days=30)
    assert _request(store, reference)["due_on"] == expected.isoformat()


def test_an_admin_changes_a_period_and_due_dates_move_with_it(
    client, staff_client, store
):
    reference = submit_request(client)
    before = _request(store, reference)["due_on"]
    _save_periods(staff_client, days_aid_request="45", rule_aid_request="accept")
    row = store.enabled_form(_org(store), "aid-request")
    assert (row["decision_days"], row["deadline_rule"]) == (45, "accept")
    moved = _request(store, reference)["due_on"]
    assert moved == ((today(TZ) + timedelta(days=30 + 15)).isoformat()) != before
    [entry] = store.audit_entries(_org(store), action="form.deadlines")
    assert entry["actor"] == STAFF_EMAIL
    # A new request is due 45 days out.
    later = submit_request(client)
    assert _request(store, later)["due_on"] == moved
    page = staff_client.get(f"{STAFF}/requests/{_request(store, later)['id']}")
    assert "Sans décision d’ici là" in page.get_data(as_text=True)


def test_two_saves_at_once_move_due_dates_once_each_from_where_they_are(client, store):
    reference = submit_request(client)
    due = _request(store, reference)["due_on"]
    # Two admins both opened the page while the period was the definition's 30
    # days, and both save 20: the due dates move by ten days, not twenty.
    for _ in range(2):
        assert store.set_decision_periods(_org(store), [("aid-request", 20, None, 30)])
    expected = today(TZ) + timedelta(days=20)
    assert _request(store, reference)["due_on"] == expected.isoformat() != due
    # Then one saves 25 from a page that still said 30: five days later, not -5.
    assert store.set_decision_periods(_org(store), [("aid-request", 25, None, 30)])
    expected = today(TZ) + timedelta(days=25)
    assert _request(store, reference)["due_on"] == expected.isoformat()


@pytest.mark.parametrize(
    "values",
    [
        {"days_aid_request": "0"},
        {"days_aid_request": "731"},
        {"days_aid_request": "3.5"},
        {"days_aid_request": "٣"},  # a digit, but not one people type for days
        {"days_aid_request": ""},
        {"rule_aid_request": "approve"},
        {"days_attestation": "-1", "rule_aid_request": "accept"},
    ],
)
def test_bad_periods_are_refused_with_the_reason_and_change_nothing(
    client, staff_client, store, values
):
    reference = submit_request(client)
    before = _request(store, reference)["due_on"]
    forms_before = store.enabled_forms(_org(store))
    response = _save_periods(staff_client, status=422, **values)
    html = response.get_data(as_text=True)
    assert "ecitiz-error-summary" in html
    assert store.enabled_forms(_org(store)) == forms_before
    assert _request(store, reference)["due_on"] == before
    assert store.audit_entries(_org(store), action="form.deadlines") == []


def test_an_agent_may_not_see_or_change_the_periods(app, staff_client, store):
    add_staff(app, email="boss@acme.example")  # the organisation keeps an admin
    token = csrf_for(staff_client)
    staff = store.staff_by_email(STAFF_EMAIL)
    store.set_staff_role(staff["id"], "agent")
    assert staff_client.get(f"{STAFF}/settings/deadlines").status_code == 403
    response = staff_client.post(
        f"{STAFF}/settings/deadlines",
        data={"csrf_token": token, "days-aid-request": "5"},
    )
    assert response.status_code == 403
    assert store.enabled_form(_org(store), "aid-request")["decision_days"] is None


def test_enable_form_sets_the_period_and_the_rule(runner, store):
    result = runner.invoke(args=["ecitiz", "enable-form", "acme", "aid-request"])
    assert "due 30 days" in result.output  # the definition's, not recorded
    assert store.enabled_form(_org(store), "aid-request")["decision_days"] is None
    result = runner.invoke(
        args=["ecitiz", "enable-form", "acme", "aid-request",
              "--decision-days", "12", "--deadline-rule", "reject"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "due 12 days" in result.output
    row = store.enabled_form(_org(store), "aid-request")
    assert (row["decision_days"], row["deadline_rule"]) == (12, "reject")
    # Enabled again without them: both kept.
    result = runner.invoke(args=["ecitiz", "enable-form", "acme", "aid-request"])
    assert "due 12 days" in result.output
    row = store.enabled_form(_org(store), "aid-request")
    assert (row["decision_days"], row["deadline_rule"]) == (12, "reject")
    result = runner.invoke(
        args=["ecitiz", "enable-form", "acme", "aid-request", "--decision-days", "0"]
    )
    assert result.exit_code != 0


# -- the list by due date ----------------------------------------------------------


def test_the_list_filters_and_sorts_by_due_date_and_says_overdue_in_words(
    client, staff_client, store
):
    first = submit_request(client)
    second = submit_request(client)
    attestation, _link = submit_attestation(client)  # due in 2 days
    org = _org(store)
    # Seen 20 days later: nothing overdue yet, the attestation due soonest.
    later = today(TZ) + timedelta(days=20)
    by_due = listing.request_page(store, org, Filters(due="all"), TZ).rows
    assert [r["reference"] for r in by_due] == [attestation, first, second]
    overdue = Filters(due="overdue").for_store(TZ, today=later)
    assert [r["reference"] for r in store.request_page(org, limit=5, **overdue)] == [
        attestation
    ]
    soon = Filters(due="soon").for_store(TZ, today=later)
    assert store.request_page(org, limit=5, **soon) == []
    # Decided requests have no due date that matters.
    store.change_status(
        _request(store, first)["id"], expected="submitted", to_status="closed",
        actor="x",
    )  # fmt: skip
    by_due = listing.request_page(store, org, Filters(due="all"), TZ).rows
    assert [r["reference"] for r in by_due] == [attestation, second]
    # The page, as a person sees it.
    html = staff_client.get(f"{STAFF}/?due=soon").get_data(as_text=True)
    assert attestation in html and second not in html
    assert "Échéance la plus proche d’abord" in html


def test_an_overdue_request_is_marked_in_words(
    app, client, staff_client, store, monkeypatch
):
    attestation, _link = submit_attestation(client)
    monkeypatch.setattr(
        "ecitiz_kit.staff.list_page.today", lambda: today(TZ) + timedelta(days=3)
    )
    monkeypatch.setattr(
        "ecitiz_kit.staff.signals_panel.today", lambda: today(TZ) + timedelta(days=3)
    )
    html = staff_client.get(f"{STAFF}/").get_data(as_text=True)
    assert 'class="ecitiz-overdue"' in html and "En retard\u00a0:" in html
    detail = staff_client.get(f"{STAFF}/requests/{_request(store, attestation)['id']}")
    assert "En retard\u00a0:" in detail.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("due=late", 400),
        ("shares=bank", 400),
        ("due=overdue%00", 400),
        ("due=all&older=xx", 400),
        ("due=all&older=MjAyNi0xMi0wN1QxMDowMDowMC4wMDAwMDBafjE", 400),  # a stamp
        ("due=&shares=", 200),  # empty: no filter
    ],
)
def test_bad_due_and_signal_filters_are_refused_with_the_reason(
    client, staff_client, query, status
):
    reference = submit_request(client)
    response = staff_client.get(f"{STAFF}/?{query}")
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert (reference in html) == (status == 200)


def test_the_export_of_a_due_date_filter_lists_what_the_page_shows(
    client, staff_client, store
):
    first = submit_request(client)
    attestation, _link = submit_attestation(client)
    store.change_status(
        _request(store, first)["id"], expected="submitted", to_status="closed",
        actor="x",
    )  # fmt: skip
    export = staff_client.get(f"{STAFF}/requests.csv?due=all")
    assert export.status_code == 200
    text = export.get_data(as_text=True)
    assert attestation in text and first not in text


def test_pages_by_due_date_follow_one_another(app, client, store):
    references = [submit_request(client) for _ in range(5)]
    org = _org(store)
    seen, cursor = [], None
    while True:
        page = listing.request_page(
            store, org, Filters(due="all"), TZ, older=cursor, size=2
        )
        seen += [r["reference"] for r in page.rows]
        if not page.older:
            break
        cursor = page.older
    assert seen == references
    back = listing.request_page(
        store, org, Filters(due="all"), TZ, newer=cursor, size=2
    )
    assert [r["reference"] for r in back.rows] == references[1:3]


@pytest.mark.sqlite_only  # SQLite's query plans
def test_due_date_filters_read_the_due_date_index(store):
    org = _org(store)
    for due in ("all", "soon", "overdue"):
        selection = Filters(due=due).for_store(TZ)
        sql, params = store._select(org, **selection)
        plan = store.db.conn.execute(
            f"EXPLAIN QUERY PLAN SELECT s.id {sql} ORDER BY s.due_on, s.id LIMIT 51",
            params,
        ).fetchall()
        text = " ".join(row[-1] for row in plan)
        assert "submissions_by_org_due" in text, text
        assert "TEMP B-TREE" not in text, text
        # Counts per status: one range per status, from the index alone.
        sql, params = store._select(
            org, counting=True, statuses=("submitted", "in_review"), **selection
        )
        plan = store.db.conn.execute(
            f"EXPLAIN QUERY PLAN SELECT s.status, count(*) {sql} GROUP BY s.status",
            params,
        ).fetchall()
        text = " ".join(row[-1] for row in plan)
        assert "COVERING INDEX submissions_by_org_status_due" in text, text
        assert "TEMP B-TREE" not in text, text


# -- the rule at the due date ------------------------------------------------------


def test_silence_means_consent_accepts_overdue_requests_once_with_a_document(
    app, client, staff_client, store, monkeypatch
):
    _save_periods(staff_client, rule_attestation="accept")
    overdue, link = submit_attestation(client)
    decided_by_staff, _ = submit_attestation(client)
    store.change_status(
        _request(store, decided_by_staff)["id"], expected="submitted",
        to_status="closed", actor=STAFF_EMAIL,
    )  # fmt: skip
    before = len(store.outbox_messages())
    # On the due date itself nothing happens; the day after, the rule acts.
    due = today(TZ) + timedelta(days=2)
    report, _digests = _run_worker(app, monkeypatch, due)
    assert report.decided == 0
    report, _digests = _run_worker(app, monkeypatch, due + timedelta(days=1))
    assert report.decided == 1
    submission = _request(store, overdue)
    assert submission["status"] == "accepted"
    events = store.events(submission["id"])
    assert [(e["actor"], e["to_status"]) for e in events] == [
        ("applicant", "submitted"), ("rule", "in_review"), ("rule", "accepted")
    ]  # fmt: skip
    assert (
        "comme le prévoit cette démarche, elle est acceptée"
        in (events[-1]["public_message"])
    )
    [document] = store.documents(submission["id"])
    assert document["revoked_at"] is None
    told = store.outbox_messages()[before:]
    assert [m["recipient"] for m in told] == ["zoe@example.org"]  # one e-mail
    assert store.audit_entries(_org(store), actor="rule")
    # The applicant sees the decision and its reason.
    page = client.get(link).get_data(as_text=True)
    assert "acceptée" in page or "accepted" in page
    # Staff see who decided.
    html = staff_client.get(f"{STAFF}/requests/{submission['id']}").get_data(
        as_text=True
    )
    assert "règle d’échéance" in html
    # Never twice, and a request staff decided is left as they decided it.
    report, _ = _run_worker(app, monkeypatch, due + timedelta(days=5))
    assert report.decided == 0
    assert len(store.events(submission["id"])) == 3
    assert _request(store, decided_by_staff)["status"] == "closed"


def test_silence_means_refusal_refuses_requests_under_review(
    app, client, staff_client, store, monkeypatch
):
    _save_periods(staff_client, rule_aid_request="reject")
    reference = submit_request(client)
    submission = _request(store, reference)
    store.change_status(
        submission["id"], expected="submitted", to_status="in_review", actor="x"
    )
    report, _ = _run_worker(app, monkeypatch, today(TZ) + timedelta(days=31))
    assert report.decided == 1
    events = store.events(submission["id"])
    assert [(e["actor"], e["to_status"]) for e in events][-1] == ("rule", "rejected")
    assert _request(store, reference)["status"] == "rejected"


def test_a_request_decided_between_the_read_and_the_write_is_left_alone(
    app, client, staff_client, store, monkeypatch
):
    _save_periods(staff_client, rule_aid_request="accept")
    reference = submit_request(client)
    submission = _request(store, reference)
    real = store.submission

    def decided_meanwhile(submission_id):
        # Read as the rule found it, then closed by someone else at once.
        monkeypatch.setattr(store, "submission", real)
        row = real(submission_id)
        store.change_status(
            submission_id, expected="submitted", to_status="closed", actor="x"
        )
        return row

    monkeypatch.setattr(store, "submission", decided_meanwhile)
    report, _ = _run_worker(app, monkeypatch, today(TZ) + timedelta(days=31))
    assert (report.decided, report.left) == (0, [reference])
    assert [e["actor"] for e in store.events(submission["id"])] == ["applicant", "x"]


def test_a_request_sent_back_for_changes_waits_for_the_applicant_not_the_rule(
    app, client, staff_client, store, monkeypatch
):
    _save_periods(staff_client, rule_aid_request="accept")
    reference = submit_request(client)
    sid = _request(store, reference)["id"]
    store.change_status(sid, expected="submitted", to_status="in_review", actor="x")
    store.change_status(
        sid, expected="in_review", to_status="submitted", actor="x",
        public_message="Joignez le justificatif.",
    )  # fmt: skip
    report, _ = _run_worker(app, monkeypatch, today(TZ) + timedelta(days=31))
    assert report.decided == 0
    assert _request(store, reference)["status"] == "submitted"
    # Taken up again by staff, it is the rule's once more.
    store.change_status(sid, expected="submitted", to_status="in_review", actor="x")
    report, _ = _run_worker(app, monkeypatch, today(TZ) + timedelta(days=31))
    assert report.decided == 1


def test_forms_without_a_rule_are_left_to_staff(app, client, store, monkeypatch):
    reference = submit_request(client)
    report, _ = _run_worker(app, monkeypatch, today(TZ) + timedelta(days=400))
    assert report.decided == 0
    assert _request(store, reference)["status"] == "submitted"


# -- the daily digest --------------------------------------------------------------


def _tick_digest(client):
    token = csrf_for(client, f"{STAFF}/account")
    response = client.post(
        f"{STAFF}/account", data={"csrf_token": token, "digest": "y"}
    )
    assert response.status_code == 303


def test_staff_who_ask_get_one_digest_a_day(
    app, client, staff_client, store, monkeypatch
):
    from ecitiz_kit.store import utcnow

    submit_request(client)
    submit_attestation(client)
    _tick_digest(staff_client)
    assert 'id="f-digest"' in staff_client.get(f"{STAFF}/account").get_data(
        as_text=True
    )
    app.config["ECITIZ_DIGEST_HOUR"] = 0
    _report, queued = _run_worker(app, monkeypatch, today(TZ))
    assert queued == 1
    [digest] = [m for m in store.outbox_messages() if m["kind"] == "digest"]
    assert digest["recipient"] == STAFF_EMAIL
    assert "2 nouvelles demandes" in digest["body_text"]
    assert "1 demande en attente de décision à échéance" in digest["body_text"]
    assert "Camille" not in digest["body_text"]  # no applicant data
    _report, queued = _run_worker(app, monkeypatch, today(TZ))
    assert queued == 0
    # Not before the hour set.
    with app.app_context():
        from ecitiz_kit.domain.deadlines import send_digests
        from ecitiz_kit.web.pages import notices

        store.set_staff_digest(store.staff_by_email(STAFF_EMAIL)["id"], True)
        app.config["ECITIZ_DIGEST_HOUR"] = 23
        assert send_digests(
            store, notices().composer, utcnow().replace(hour=0) + timedelta(days=1),
            list_url=lambda q: None, account_url=None, hour=23,
        ) == 0  # fmt: skip


def test_staff_who_did_not_ask_get_no_digest(
    app, client, staff_client, store, monkeypatch
):
    submit_request(client)
    app.config["ECITIZ_DIGEST_HOUR"] = 0
    _report, queued = _run_worker(app, monkeypatch, today(TZ))
    assert queued == 0
    assert not [m for m in store.outbox_messages() if m["kind"] == "digest"]


def test_the_worker_pass_runs_in_send_mail(app, runner, client, staff_client, store):
    _tick_digest(staff_client)
    app.config["ECITIZ_DIGEST_HOUR"] = 0
    result = runner.invoke(args=["ecitiz", "send-mail"])
    assert result.exit_code == 0, result.output
    assert [m for m in store.outbox_messages() if m["kind"] == "digest"]


def test_apply_deadlines_command_reports_what_it_did(app, runner, staff_client, store):
    _tick_digest(staff_client)
    app.config["ECITIZ_DIGEST_HOUR"] = 0
    result = runner.invoke(args=["ecitiz", "apply-deadlines"])
    assert result.exit_code == 0, result.output
    assert "0 request(s) decided" in result.output
    assert "1 daily digest(s) queued" in result.output


def test_submit_through_the_form_keeps_the_due_date_in_the_same_transaction(
    client, store
):
    response = post_form(client, with_file(aid_answers()))
    assert response.status_code == 303
    [row] = stored_requests(store)
    assert row["due_on"]
