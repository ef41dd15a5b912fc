"""What the audit log records as staff work, and the pages where admins read and
export it."""

import csv
import io

import pytest

from .helpers import (
    ORG,
    STAFF,
    STAFF_EMAIL,
    add_staff,
    attestation_answers,
    csrf_for,
    post_form,
    sign_in,
    stored_requests,
    submit_request,
)

AUDIT = f"{STAFF}/settings/audit"


def _entries(store, **filters):
    return store.audit_entries(store.organisation(ORG)["id"], **filters)


def _actions(store):
    return [entry["action"] for entry in _entries(store)]


@pytest.fixture
def request_id(client, store):
    reference = submit_request(client)
    return store.submission_by_reference(reference)["id"]


# -- what is recorded ----------------------------------------------------------


def test_sign_ins_and_failed_sign_ins_of_accounts_are_recorded(app, store):
    add_staff(app)
    client = app.test_client()
    refused = sign_in(client, password="not the password", address="192.0.2.9")
    assert refused.status_code == 401
    # Recorded once the answer is sent (as a server closes it), so that an
    # existing account's answer takes no longer than an unknown one's.
    assert _entries(store) == []
    refused.close()
    unknown = sign_in(client, email="nobody@acme.example")
    assert unknown.status_code == 401
    unknown.close()
    assert sign_in(client, address="192.0.2.10").status_code == 303
    entries = _entries(store)
    assert [(e["action"], e["actor"], e["address"]) for e in entries] == [
        ("auth.sign_in", STAFF_EMAIL, "192.0.2.10"),
        ("auth.sign_in_failed", STAFF_EMAIL, "192.0.2.9"),
    ]  # an unknown address belongs to no organisation's log


def test_a_full_iban_shown_is_recorded_each_time(staff_client, store, request_id):
    reference = store.submission(request_id)["reference"]
    before = _actions(store).count("iban.view")
    for _ in range(2):
        assert staff_client.get(f"{STAFF}/requests/{request_id}").status_code == 200
    views = _entries(store, action="iban.view")
    assert len(views) == before + 2
    assert views[0]["subject"] == reference
    assert views[0]["detail"] == {"fields": ["iban"]}


def test_a_request_without_a_masked_answer_records_no_iban_view(
    client, staff_client, store
):
    assert post_form(client, attestation_answers(), "attestation").status_code == 303
    [row] = stored_requests(store, form_id="attestation")
    assert staff_client.get(f"{STAFF}/requests/{row['id']}").status_code == 200
    assert "iban.view" not in _actions(store)


def test_downloads_exports_and_status_changes_are_recorded(
    staff_client, store, request_id
):
    reference = store.submission(request_id)["reference"]
    [attachment] = store.attachments(request_id)
    base = f"{STAFF}/requests/{request_id}"
    assert staff_client.get(f"{base}/files/{attachment['id']}").status_code == 200
    assert staff_client.get(f"{base}/receipt.pdf").status_code == 200
    export = staff_client.get(f"{STAFF}/requests.csv?status=submitted&q=camille")
    assert export.status_code == 200
    export.get_data()
    response = staff_client.post(
        f"{base}/status",
        data={
            "csrf_token": csrf_for(staff_client, base),
            "to_status": "in_review",
            "expected": "submitted",
        },
    )
    assert response.status_code == 303
    by_action = {e["action"]: e for e in _entries(store)}
    assert by_action["file.download"]["subject"] == reference
    assert by_action["file.download"]["detail"] == {"file": attachment["filename"]}
    assert by_action["pdf.download"]["detail"] == {"document": "receipt"}
    assert by_action["export.csv"]["detail"] == {"status": "submitted", "q": "camille"}
    assert by_action["request.status"]["detail"] == {
        "from": "submitted",
        "to": "in_review",
    }
    assert all(e["actor"] == STAFF_EMAIL for e in by_action.values())


def test_refused_actions_record_nothing(staff_client, store, request_id):
    before = _entries(store)
    base = f"{STAFF}/requests/{request_id}"
    assert staff_client.get(f"{base}/files/999999").status_code == 404
    assert staff_client.get(f"{STAFF}/requests.csv?from=never").status_code == 400
    response = staff_client.post(
        f"{base}/status",
        data={
            "csrf_token": csrf_for(staff_client, f"{STAFF}/"),
            "to_status": "accepted",
            "expected": "submitted",
        },
    )
    assert response.status_code == 409
    assert _entries(store) == before


# -- the log page --------------------------------------------------------------


def _fill(store, count):
    acme = store.organisation(ORG)["id"]
    for n in range(count):
        store.record_audit(
            acme,
            "file.download" if n % 2 else "request.status",
            actor="a@acme.example" if n % 3 else "b@acme.example",
            subject=f"AID-{n:04d}",
        )


def test_admins_read_the_log_newest_first_a_page_at_a_time(staff_client, store):
    _fill(store, 150)
    first = staff_client.get(AUDIT)
    html = first.get_data(as_text=True)
    assert first.status_code == 200
    assert html.index("AID-0149") < html.index("AID-0148")
    assert "AID-0050" in html and "AID-0049" not in html
    older = store.audit_entries(store.organisation(ORG)["id"])[99]["id"]
    assert f"before={older}" in html
    second = staff_client.get(f"{AUDIT}?before={older}").get_data(as_text=True)
    assert "AID-0049" in second and "AID-0000" in second and "AID-0050" not in second


def test_the_log_filters_by_action_and_person(staff_client, store):
    _fill(store, 12)
    html = staff_client.get(
        f"{AUDIT}?action=file.download&person=b%40acme.example"
    ).get_data(as_text=True)
    # n odd and a multiple of 3: 3 and 9.
    shown = {f"AID-{n:04d}" for n in range(12) if f"AID-{n:04d}<" in html}
    assert shown == {"AID-0003", "AID-0009"}


@pytest.mark.parametrize(
    "query",
    ["before=abc", "before=-1", "before=99999999999999999999", "action=DROP TABLE",
     "action=" + "a" * 80, "person=" + "x" * 300],
)  # fmt: skip
def test_bad_log_addresses_are_refused(staff_client, store, query):
    response = staff_client.get(f"{AUDIT}?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_the_log_is_exported_as_csv_streamed_and_inert(staff_client, store):
    acme = store.organisation(ORG)["id"]
    store.record_audit(
        acme, "request.status", actor="a@acme.example", subject="=HYPERLINK(1)",
        detail={"to": "accepted"}, address="192.0.2.1",
    )  # fmt: skip
    _fill(store, 3)
    response = staff_client.get(f"{AUDIT}.csv?lang=en")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["Date", "Person", "Action", "Subject", "Details", "IP address"]
    # Newest first: the export's own entry, the three, the one, the sign-in.
    assert [row[2] for row in rows[1:]] == [
        "audit.export",
        "request.status",
        "file.download",
        "request.status",
        "request.status",
        "auth.sign_in",
    ]
    assert rows[-2][1:] == [
        "a@acme.example",
        "request.status",
        "'=HYPERLINK(1)",
        '{"to": "accepted"}',
        "192.0.2.1",
    ]
    filtered = staff_client.get(f"{AUDIT}.csv?lang=en&action=file.download")
    lines = list(csv.reader(io.StringIO(filtered.get_data(as_text=True))))
    assert [row[2] for row in lines[1:]] == ["file.download"]


def test_nothing_in_the_log_can_be_changed_from_the_dashboard(staff_client, store):
    _fill(store, 2)
    before = _entries(store)
    token = csrf_for(staff_client, AUDIT)
    for path in (AUDIT, f"{AUDIT}.csv", f"{AUDIT}/1", f"{AUDIT}/1/delete"):
        response = staff_client.post(path, data={"csrf_token": token})
        assert response.status_code in (404, 405), path
    assert _entries(store) == before


def test_agents_cannot_read_the_log(app, client, store):
    add_staff(app, email="boss@acme.example")
    me = add_staff(app)
    store.set_staff_role(me["id"], "agent")
    assert sign_in(client).status_code == 303
    for path in (AUDIT, f"{AUDIT}.csv"):
        response = client.get(f"{path}?lang=en")
        assert response.status_code == 403
        assert "administrators" in response.get_data(as_text=True)
