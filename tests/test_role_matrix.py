"""The role matrix: every staff route, as the application maps it, is either an
admin page (an agent gets 403 and nothing changes; an admin gets through), a page
for every member of the team, or open before signing in. A new route that is not
in the matrix fails the first test, so none can be forgotten."""

import pytest

from ecitiz_kit.cli.exports import run_exports
from ecitiz_kit.domain import api, webhooks
from ecitiz_kit.forms.loading import catalog_ids
from ecitiz_kit.state import state

from .helpers import (
    ALLOWED,
    ORG,
    PASSWORD,
    STAFF_EMAIL,
    add_staff,
    attestation_answers,
    csrf_for,
    post_form,
    sign_in,
    stored_requests,
    submit_request,
)

ADMIN_EMAIL = "boss@acme.example"
COLLEAGUE = "colleague@acme.example"

#: (endpoint, method): (URL values, form data); {placeholders} name the world's
#: objects. Admin pages: the team, the settings, the embedding and its origins,
#: the audit log.
ADMIN = {
    ("ecitiz_staff.settings", "GET"): ({}, None),
    ("ecitiz_staff.save_settings", "POST"): ({}, {"contact_email": ""}),
    ("ecitiz_staff.embed", "GET"): ({}, None),
    ("ecitiz_staff.add_origin", "POST"): ({}, {"origin": "https://new.example"}),
    ("ecitiz_staff.remove_origin", "POST"): ({}, {"origin": ALLOWED}),
    ("ecitiz_staff.team_page", "GET"): ({}, None),
    ("ecitiz_staff.invite", "POST"): (
        {},
        {"email": "new@acme.example", "role": "agent"},
    ),
    ("ecitiz_staff.change_role", "POST"): (
        {"staff_id": "{colleague}"},
        {"role": "admin"},
    ),
    ("ecitiz_staff.stop_access", "POST"): ({"staff_id": "{colleague}"}, {}),
    ("ecitiz_staff.restore_access", "POST"): ({"staff_id": "{stopped}"}, {}),
    ("ecitiz_staff.deadlines", "GET"): ({}, None),
    ("ecitiz_staff.save_deadlines", "POST"): (
        {},
        {f"days-{form_id}": "30" for form_id in catalog_ids()},
    ),
    ("ecitiz_staff.api_tokens", "GET"): ({}, None),
    ("ecitiz_staff.create_api_token", "POST"): ({}, {"name": "Compta"}),
    ("ecitiz_staff.revoke_api_token", "POST"): ({"token_id": "{api_token}"}, {}),
    ("ecitiz_staff.audit_log", "GET"): ({}, None),
    ("ecitiz_staff.audit_csv", "GET"): ({}, None),
    ("ecitiz_staff.webhooks_page", "GET"): ({}, None),
    ("ecitiz_staff.create_webhook", "POST"): (
        {},
        {"url": "https://93.184.215.14/hooks", "events": "request.submitted"},
    ),
    ("ecitiz_staff.webhook_deliveries", "GET"): ({"webhook_id": "{webhook}"}, None),
    ("ecitiz_staff.enable_webhook", "POST"): ({"webhook_id": "{webhook}"}, {}),
    ("ecitiz_staff.delete_webhook", "POST"): ({"webhook_id": "{webhook}"}, {}),
    ("ecitiz_staff.payment_account", "GET"): ({}, None),
    ("ecitiz_staff.save_payment_account", "POST"): (
        {},
        {"name": "ACME", "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP"},
    ),
}

#: Pages every signed-in member of the team may use.
MEMBER = {
    ("ecitiz_staff.request_list", "GET"): ({}, None),
    ("ecitiz_staff.export_csv", "GET"): ({}, None),
    ("ecitiz_staff.export_xlsx", "GET"): ({}, None),
    ("ecitiz_staff.export_zip", "GET"): ({}, None),
    ("ecitiz_staff.export_start", "POST"): (
        {},
        {"key": "role-matrix-export-key", "kind": "export.xlsx"},
    ),
    ("ecitiz_staff.export_result", "GET"): ({"job_id": "{export}"}, None),
    ("ecitiz_staff.export_file", "GET"): ({"job_id": "{export}"}, None),
    ("ecitiz_staff.request_detail", "GET"): ({"submission_id": "{sid}"}, None),
    ("ecitiz_staff.change_request_status", "POST"): (
        {"submission_id": "{sid}"},
        {"to_status": "in_review", "expected": "submitted"},
    ),
    ("ecitiz_staff.attachment", "GET"): (
        {"submission_id": "{sid}", "attachment_id": "{attachment}"},
        None,
    ),
    ("ecitiz_staff.receipt_pdf", "GET"): ({"submission_id": "{sid}"}, None),
    ("ecitiz_staff.attestation_pdf", "GET"): (
        {"submission_id": "{attestation_sid}"},
        None,
    ),
    ("ecitiz_staff.request_version", "GET"): (
        {"submission_id": "{amended}", "number": 1},
        None,
    ),
    ("ecitiz_staff.assign_request", "POST"): (
        {"submission_id": "{sid}"},
        {"assignee": "me", "expected": ""},
    ),
    ("ecitiz_staff.add_comment", "POST"): (
        {"submission_id": "{sid}"},
        {"body": "Pièces à vérifier."},
    ),
    ("ecitiz_staff.next_request", "GET"): ({"submission_id": "{sid}"}, None),
    ("ecitiz_staff.bulk_start", "POST"): (
        {},
        {"key": "role-matrix-bulk-key", "action": "assign:me", "id": "{sid}"},
    ),
    ("ecitiz_staff.bulk_result", "GET"): ({"job_id": "{job}"}, None),
    ("ecitiz_staff.payments_page", "GET"): ({}, None),
    ("ecitiz_staff.create_payment_file", "POST"): (
        {},
        {"key": "role-matrix-payment-key", "id": "{payable}"},
    ),
    ("ecitiz_staff.payment_batch", "GET"): ({"batch_id": "{batch}"}, None),
    ("ecitiz_staff.payment_file", "GET"): ({"batch_id": "{batch}"}, None),
    ("ecitiz_staff.mark_payment_paid", "POST"): ({"batch_id": "{batch}"}, {}),
    ("ecitiz_staff.cancel_payment", "POST"): ({"batch_id": "{batch}"}, {}),
    ("ecitiz_staff.account", "GET"): ({}, None),
    ("ecitiz_staff.account", "POST"): ({}, {"notify": "y"}),
    ("ecitiz_staff.password", "GET"): ({}, None),
    ("ecitiz_staff.password", "POST"): (
        {},
        {"current": PASSWORD, "new": "x" * 20, "confirm": "x" * 20},
    ),
}

#: Open before signing in, so no role applies: signing in and out, joining
#: through an invitation (the link is the credential), and the dashboard's 404.
OPEN = {
    ("ecitiz_staff.login", "GET"),
    ("ecitiz_staff.login", "POST"),
    ("ecitiz_staff.logout", "POST"),
    ("ecitiz_staff.invitation", "GET"),
    ("ecitiz_staff.invitation", "POST"),
    ("ecitiz_staff.unknown_page", "GET"),
    ("ecitiz_staff.unknown_page", "POST"),
}


def _staff_routes(app):
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("ecitiz_staff.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_staff_route_is_in_the_matrix(app):
    routes = _staff_routes(app)
    known = set(ADMIN) | set(MEMBER) | OPEN
    assert routes - known == set(), "add these routes to the role matrix"
    assert known - routes == set(), "these rows name no route any more"


@pytest.fixture
def world(app, client):
    """An admin, an agent, an agent colleague and a stopped one; a request with
    a file and an earlier version, and an attestation."""
    with app.app_context():
        store = state(app).store
        acme = store.organisation(ORG)
        store.enable_form(acme["id"], "attestation", 1, None, 730, issue_on_submit=True)
    add_staff(app, email=ADMIN_EMAIL)
    ids = {}
    with app.app_context():
        store = state(app).store
        for email, key in ((STAFF_EMAIL, "agent"), (COLLEAGUE, "colleague")):
            ids[key] = add_staff(app, email=email)["id"]
            store.set_staff_role(ids[key], "agent")
        ids["stopped"] = add_staff(app, email="gone@acme.example")["id"]
        store.set_staff_role(ids["stopped"], "agent")
        store.set_staff_active(ids["stopped"], False)
    with app.app_context():
        # An endpoint that failed once too often: disabled, so it can be enabled.
        store = state(app).store
        webhook = webhooks.register(
            store, state(app).sealer(app.config), store.organisation(ORG)["id"],
            url="https://93.184.215.14/hooks", events=["request.submitted"],
            include_answers=False, allow_private=False, actor="cli",
        ).id  # fmt: skip
    sid = _sid(app, submit_request(client))
    with app.app_context():
        delivery = state(app).store.claim_webhook_delivery("matrix", 60)
        state(app).store.webhook_not_delivered(
            delivery["id"], "matrix", error="refused", response_status=500,
            retry_at=None, max_failures=1, messages=lambda endpoint: [],
        )  # fmt: skip
    amended = _sid(app, submit_request(client))
    assert post_form(client, attestation_answers(), "attestation").status_code == 303
    with app.app_context():
        store = state(app).store
        store.change_status(
            amended, expected="submitted", to_status="in_review", actor="a"
        )
        store.change_status(
            amended, expected="in_review", to_status="submitted", actor="a",
            public_message="Précisez le montant.",
        )  # fmt: skip
        answers = store.submission(amended)["answers"] | {"amount_requested": 4000}
        store.amend_submission(
            amended, answers=answers, form_version=1, nonce="matrix-nonce",
            attachments=[], replaced_fields=[],
        )  # fmt: skip
        [attachment] = store.attachments(sid)
        [attestation] = stored_requests(store, form_id="attestation")
        store.set_debtor_account(
            acme["id"], "ACME", "FR7630006000011234567890189", "AGRIFRPP"
        )
        accepted = []
        for _ in range(2):
            accepted.append(_sid(app, submit_request(client)))
            for before, after in (
                ("submitted", "in_review"),
                ("in_review", "accepted"),
            ):
                store.change_status(
                    accepted[-1], expected=before, to_status=after, actor="a",
                    granted_cents=500000,
                )  # fmt: skip
        batch, _made = store.create_batch(
            acme["id"], key="the-world-s-payment-file", message_id="world",
            items=[(accepted[0], 500000)], xml=b"<Document/>", actor="a",
        )  # fmt: skip
    with app.app_context():
        issued = api.issue_token(
            state(app).store, state(app).store.organisation(ORG)["id"], "matrix",
            actor="cli",
        )  # fmt: skip
    boss = _signed_in(app, ADMIN_EMAIL)
    started = boss.post(
        "/ecitiz/staff/bulk",
        data={
            "csrf_token": csrf_for(boss),
            "key": "the-world-s-bulk-action",
            "action": "assign:none",
            "id": str(sid),
        },
    )
    assert started.status_code == 303, started.status_code
    exported = boss.post(
        "/ecitiz/staff/exports",
        data={
            "csrf_token": csrf_for(boss),
            "key": "the-world-s-export-job",
            "kind": "export.zip",
        },
    )
    assert exported.status_code == 303, exported.status_code
    with app.test_request_context():
        assert run_exports() == 1
    return {
        **ids,
        "api_token": issued.id,
        "webhook": webhook,
        "job": int(started.headers["Location"].rstrip("/").rsplit("/", 1)[1]),
        "export": int(exported.headers["Location"].rsplit("/", 1)[1]),
        "sid": sid,
        "amended": amended,
        "attachment": attachment["id"],
        "attestation_sid": attestation["id"],
        "batch": batch,
        "payable": accepted[1],
    }


def _sid(app, reference):
    with app.app_context():
        return state(app).store.submission_by_reference(reference)["id"]


def _call(app, client, endpoint, method, row, world):
    values, data = row
    values = {
        key: int(value.format(**world)) if isinstance(value, str) else value
        for key, value in values.items()
    }
    data = {
        key: value.format(**world) if str(value).startswith("{") else value
        for key, value in (data or {}).items()
    }
    url = app.url_map.bind("localhost").build(endpoint, values)
    if method == "GET":
        return client.get(url)
    token = csrf_for(client)
    return client.post(url, data={"csrf_token": token, **(data or {})})


def _signed_in(app, email):
    client = app.test_client()
    assert sign_in(client, email=email).status_code == 303
    return client


def _counts(app):
    with app.app_context():
        counts = state(app).store.table_counts()
    counts.pop("staff_sessions")
    return counts


@pytest.mark.parametrize("route", sorted(ADMIN), ids="-".join)
def test_an_agent_gets_403_on_admin_pages_and_an_admin_gets_through(app, world, route):
    endpoint, method = route
    agent = _signed_in(app, STAFF_EMAIL)
    before = _counts(app)
    response = _call(app, agent, endpoint, method, ADMIN[route], world)
    assert response.status_code == 403, route
    assert _counts(app) == before
    admin = _signed_in(app, ADMIN_EMAIL)
    response = _call(app, admin, endpoint, method, ADMIN[route], world)
    assert response.status_code in (200, 303), (route, response.status_code)


@pytest.mark.parametrize("route", sorted(MEMBER), ids="-".join)
def test_an_agent_uses_every_other_page(app, world, route):
    endpoint, method = route
    agent = _signed_in(app, STAFF_EMAIL)
    response = _call(app, agent, endpoint, method, MEMBER[route], world)
    assert response.status_code in (200, 303), (route, response.status_code)
