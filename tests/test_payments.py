"""From decision to money: the amount granted on acceptance, SEPA credit-transfer
files made from accepted requests, and the ``paid`` status they lead to."""

import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from importlib import resources

import pytest
from sepaxml.validation import try_valid_xml

from ecitiz_kit.errors import DefinitionError
from ecitiz_kit.forms.checks import Checker
from ecitiz_kit.state import state
from ecitiz_kit.store import AlreadyInBatch, utcnow

from .helpers import (
    IBAN,
    STAFF,
    add_request,
    add_staff,
    csrf_for,
    execute,
    hidden_inputs,
    sign_in,
)

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
DEBTOR = ("Ville de Test", "FR7630006000011234567890189", "AGRIFRPP")
PAYEES = [
    ("Boulangerie Durand", IBAN, "BNPAFRPP", "5000.00"),
    ("Salon Martin", "FR7630001007941234567890185", "BDFEFRPP", "1200.50"),
    ("Atelier Roux", "DE89370400440532013000", "COBADEFFXXX", "300.00"),
]


@pytest.fixture
def org(store):
    return store.organisation("acme")


def _aid(store, org, holder, iban, bic, amount, status="in_review", n=0):
    return add_request(
        store,
        org["id"],
        utcnow() - timedelta(hours=1, minutes=n),
        status=status,
        amount_requested=amount,
        iban=iban,
        bic=bic,
        account_holder=holder,
    )


def _move(client, sid, to_status, expected, **data):
    return client.post(
        f"{STAFF}/requests/{sid}/status",
        data={
            "csrf_token": csrf_for(client),
            "to_status": to_status,
            "expected": expected,
            **data,
        },
    )


def _accepted(staff_client, store, org, payees=PAYEES):
    ids = []
    for n, (holder, iban, bic, amount) in enumerate(payees):
        sid = _aid(store, org, holder, iban, bic, amount, n=n)["id"]
        assert _move(staff_client, sid, "accepted", "in_review").status_code == 303
        ids.append(sid)
    return ids


def _prepare(client, ids):
    html = client.get(f"{STAFF}/").get_data(as_text=True)
    form = html[html.index('id="bulk"') :]
    data = hidden_inputs(form[: form.index("</form>")])
    return client.post(f"{STAFF}/payments", data={**data, "id": [str(i) for i in ids]})


def _transfers(xml: bytes) -> list[dict]:
    root = ET.fromstring(xml)
    return [
        {
            "end_to_end": tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS),
            "amount": tx.findtext("p:Amt/p:InstdAmt", namespaces=NS),
            "bic": tx.findtext("p:CdtrAgt/p:FinInstnId/p:BIC", namespaces=NS),
            "name": tx.findtext("p:Cdtr/p:Nm", namespaces=NS),
            "iban": tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS),
        }
        for tx in root.iter(f"{{{NS['p']}}}CdtTrfTxInf")
    ]


# -- the amount granted ------------------------------------------------------------


def test_accepting_grants_the_amount_requested_by_default(
    staff_client, client, store, org
):
    sid = _aid(store, org, *PAYEES[1])["id"]
    html = staff_client.get(f"{STAFF}/requests/{sid}").get_data(as_text=True)
    assert 'name="granted_amount"' in html and 'value="1200.50"' in html
    assert _move(staff_client, sid, "accepted", "in_review").status_code == 303
    assert store.submission(sid)["granted_cents"] == 120050


def test_staff_may_grant_less_and_the_applicant_sees_it(staff_client, store, org):
    sid = _aid(store, org, *PAYEES[0])["id"]
    response = _move(
        staff_client, sid, "accepted", "in_review", granted_amount="3 500,25 €"
    )
    assert response.status_code == 303
    assert store.submission(sid)["granted_cents"] == 350025
    html = staff_client.get(f"{STAFF}/requests/{sid}").get_data(as_text=True)
    assert "3\u202f500,25\u00a0€" in html


@pytest.mark.parametrize("typed", ["100 000,01", "0", "abc", "12.345", "-5"])
def test_an_amount_above_the_ceiling_or_unreadable_changes_nothing(
    staff_client, store, org, typed
):
    sid = _aid(store, org, *PAYEES[0])["id"]
    before = store.table_counts()
    response = _move(staff_client, sid, "accepted", "in_review", granted_amount=typed)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert store.submission(sid)["status"] == "in_review"
    assert store.submission(sid)["granted_cents"] is None
    assert store.table_counts() == before


def test_reopening_drops_the_amount_granted(staff_client, store, org):
    [sid] = _accepted(staff_client, store, org, PAYEES[:1])
    assert _move(staff_client, sid, "in_review", "accepted").status_code == 303
    assert store.submission(sid)["granted_cents"] is None


# -- payment files -----------------------------------------------------------------


def test_a_payment_file_pays_each_request_then_marking_it_paid_tells_applicants(
    app, staff_client, store, org
):
    store.set_debtor_account(org["id"], *DEBTOR)
    ids = _accepted(staff_client, store, org)
    response = _prepare(staff_client, ids)
    assert response.status_code == 303
    batch_page = response.headers["Location"]
    batch_id = int(batch_page.rstrip("/").rsplit("/", 1)[1])
    download = staff_client.get(f"{STAFF}/payments/{batch_id}/transfers.xml")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == (
        f'attachment; filename="virements-{batch_id}.xml"'
    )
    assert download.headers["Cache-Control"] == "no-store"
    try_valid_xml(download.data, "pain.001.001.03")  # sepaxml's own schema check
    root = ET.fromstring(download.data)
    assert root.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == DEBTOR[1]
    assert root.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS) == "3"
    assert root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "6500.50"
    references = {sid: store.submission(sid)["reference"] for sid in ids}
    expected = sorted(
        (references[sid], amount, bic, holder, iban)
        for sid, (holder, iban, bic, amount) in zip(ids, PAYEES, strict=True)
    )
    found = sorted(
        (t["end_to_end"], t["amount"], t["bic"], t["name"], t["iban"])
        for t in _transfers(download.data)
    )
    assert found == expected
    actions = [e["action"] for e in store.audit_entries(org["id"])]
    assert actions[:2] == ["payment.download", "payment.prepare"]

    before = len(store.outbox_messages())
    paid = staff_client.post(
        f"{STAFF}/payments/{batch_id}/paid", data={"csrf_token": csrf_for(staff_client)}
    )
    assert paid.status_code == 303
    assert {store.submission(sid)["status"] for sid in ids} == {"paid"}
    assert store.payment_batch(org["id"], batch_id)["state"] == "paid"
    assert len(store.outbox_messages()) == before + 3
    assert [e["to_status"] for e in store.events(ids[0])][-1] == "paid"
    # Marked paid twice: refused, nothing moves again.
    again = staff_client.post(
        f"{STAFF}/payments/{batch_id}/paid", data={"csrf_token": csrf_for(staff_client)}
    )
    assert again.status_code == 409
    assert len(store.outbox_messages()) == before + 3


def test_posting_the_same_form_twice_makes_one_file(staff_client, store, org):
    store.set_debtor_account(org["id"], *DEBTOR)
    ids = _accepted(staff_client, store, org, PAYEES[:2])
    html = staff_client.get(f"{STAFF}/").get_data(as_text=True)
    form = html[html.index('id="bulk"') :]
    data = {**hidden_inputs(form[: form.index("</form>")]), "id": [str(i) for i in ids]}
    first = staff_client.post(f"{STAFF}/payments", data=data)
    second = staff_client.post(f"{STAFF}/payments", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert len(store.payment_batches(org["id"])) == 1


def test_requests_that_cannot_be_paid_are_left_out_with_the_reason(
    staff_client, store, org
):
    store.set_debtor_account(org["id"], *DEBTOR)
    good, bad_iban, over = _accepted(staff_client, store, org)
    # An IBAN that no longer validates; an amount now too high.
    answers = store.submission(bad_iban)["answers"]
    answers["iban"] = "FR7630001007941234567890180"
    execute(
        store,
        "UPDATE submissions SET answers = ? WHERE id = ?",
        (json.dumps(answers, ensure_ascii=False), bad_iban),
    )
    execute(
        store, "UPDATE submissions SET granted_cents = 10000001 WHERE id = ?", (over,)
    )
    waiting = _aid(store, org, *PAYEES[0], n=9)["id"]
    response = _prepare(staff_client, [good, bad_iban, over, waiting])
    assert response.status_code == 303
    batch_id = int(response.headers["Location"].rsplit("/", 1)[1])
    xml = store.payment_batch_xml(org["id"], batch_id)
    try_valid_xml(xml, "pain.001.001.03")
    assert [t["end_to_end"] for t in _transfers(xml)] == [
        store.submission(good)["reference"]
    ]
    html = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    left_out = html[html.index('id="left-out"') :]
    assert left_out.count('<th scope="row">') == 3
    assert "Son IBAN n’est pas valide" in html and "dépasse le plafond" in html
    assert "n’est pas acceptée" in html


def test_nothing_payable_makes_no_file_and_says_why(staff_client, store, org):
    store.set_debtor_account(org["id"], *DEBTOR)
    waiting = _aid(store, org, *PAYEES[0])["id"]
    before = store.table_counts()
    response = _prepare(staff_client, [waiting])
    assert response.status_code == 422
    assert "n’est pas acceptée" in response.get_data(as_text=True)
    assert store.table_counts() == before


def test_no_file_without_a_debtor_account(staff_client, store, org):
    ids = _accepted(staff_client, store, org, PAYEES[:1])
    before = store.table_counts()
    assert _prepare(staff_client, ids).status_code == 409
    assert store.table_counts() == before


def test_ids_that_are_not_numbers_or_not_ours_find_nothing(staff_client, store, org):
    store.set_debtor_account(org["id"], *DEBTOR)
    _accepted(staff_client, store, org, PAYEES[:1])
    before = store.table_counts()
    html = staff_client.get(f"{STAFF}/").get_data(as_text=True)
    form = html[html.index('id="bulk"') :]
    data = hidden_inputs(form[: form.index("</form>")])
    response = staff_client.post(f"{STAFF}/payments", data={**data, "id": ["1 OR 1"]})
    assert response.status_code == 404
    bad_key = staff_client.post(f"{STAFF}/payments", data={**data, "key": "<x>"})
    assert bad_key.status_code == 400
    assert store.table_counts() == before


def test_a_request_is_never_in_two_open_files(staff_client, store, org):
    store.set_debtor_account(org["id"], *DEBTOR)
    [sid] = _accepted(staff_client, store, org, PAYEES[:1])
    store.create_batch(
        org["id"], key="k1", message_id="m1", items=[(sid, 100)], xml=b"<x/>",
        actor="test",
    )  # fmt: skip
    before = store.table_counts()
    with pytest.raises(AlreadyInBatch):  # the store's own constraint
        store.create_batch(
            org["id"], key="k2", message_id="m2", items=[(sid, 100)], xml=b"<x/>",
            actor="test",
        )  # fmt: skip
    assert store.table_counts() == before
    # Through the page: left out, with the reason.
    response = _prepare(staff_client, [sid])
    assert response.status_code == 422
    assert "déjà dans un autre fichier" in response.get_data(as_text=True)


def test_a_request_in_an_open_file_moves_only_with_it(staff_client, store, org):
    store.set_debtor_account(org["id"], *DEBTOR)
    [sid] = _accepted(staff_client, store, org, PAYEES[:1])
    batch_id = int(_prepare(staff_client, [sid]).headers["Location"].rsplit("/", 1)[1])
    for to_status in ("in_review", "paid"):
        response = _move(staff_client, sid, to_status, "accepted", public_message="x")
        assert response.status_code == 409
        assert store.submission(sid)["status"] == "accepted"
    cancelled = staff_client.post(
        f"{STAFF}/payments/{batch_id}/cancel",
        data={"csrf_token": csrf_for(staff_client)},
    )
    assert cancelled.status_code == 303
    assert store.payment_batch(org["id"], batch_id)["state"] == "cancelled"
    # Cancelled: free again, and a cancelled file cannot be marked paid.
    paid = staff_client.post(
        f"{STAFF}/payments/{batch_id}/paid", data={"csrf_token": csrf_for(staff_client)}
    )
    assert paid.status_code == 409
    assert store.submission(sid)["status"] == "accepted"
    assert _move(staff_client, sid, "paid", "accepted").status_code == 303
    assert store.submission(sid)["status"] == "paid"
    assert store.submission(sid)["granted_cents"] == 500000


def test_paid_is_final(staff_client, store, org):
    [sid] = _accepted(staff_client, store, org, PAYEES[:1])
    assert _move(staff_client, sid, "paid", "accepted").status_code == 303
    html = staff_client.get(f"{STAFF}/requests/{sid}").get_data(as_text=True)
    assert 'name="to_status"' not in html
    assert _move(staff_client, sid, "in_review", "paid").status_code == 409


def test_a_form_without_payment_never_becomes_paid(staff_client, store, org):
    from .helpers import attestation_answers

    answers = {
        k: v
        for k, v in attestation_answers().items()
        if k not in ("first_name", "last_name", "email")
    }
    sid = add_request(
        store, org["id"], utcnow(), form_id="attestation", status="accepted", **answers
    )["id"]
    html = staff_client.get(f"{STAFF}/requests/{sid}").get_data(as_text=True)
    assert 'value="paid"' not in html
    assert _move(staff_client, sid, "paid", "accepted").status_code == 409
    assert store.submission(sid)["status"] == "accepted"


def test_another_organisations_file_is_not_found(app, staff_client, store, org):
    store.set_debtor_account(org["id"], *DEBTOR)
    [sid] = _accepted(staff_client, store, org, PAYEES[:1])
    batch = _prepare(staff_client, [sid]).headers["Location"]
    other = store.create_organisation("other", "Other")
    add_staff(app, "other", "someone@other.example")
    stranger = app.test_client()
    assert sign_in(stranger, "someone@other.example").status_code == 303
    assert stranger.get(batch).status_code == 404
    assert stranger.get(f"{batch}/transfers.xml").status_code == 404
    response = stranger.post(f"{batch}/paid", data={"csrf_token": csrf_for(stranger)})
    assert response.status_code == 404
    assert store.submission(sid)["status"] == "accepted"
    assert other["id"] != org["id"]


# -- the debtor account ------------------------------------------------------------


def _admin(app):
    member = add_staff(app, "acme", "boss@acme.example")
    with app.app_context():
        state(app).store.set_staff_role(member["id"], "admin")
    admin = app.test_client()
    assert sign_in(admin, "boss@acme.example").status_code == 303
    return admin


@pytest.mark.parametrize(
    "field,values",
    [
        ("iban", ("Ville", "FR7630006000011234567890180", "AGRIFRPP")),
        ("bic", ("Ville", DEBTOR[1], "AGRI")),
        ("name", ("   ", DEBTOR[1], "AGRIFRPP")),
        ("name", ("x" * 71, DEBTOR[1], "AGRIFRPP")),
    ],
)
def test_a_bad_debtor_account_is_refused_and_nothing_saved(
    app, store, org, field, values
):
    admin = _admin(app)
    name, iban, bic = values
    response = admin.post(
        f"{STAFF}/payments/account",
        data={"csrf_token": csrf_for(admin), "name": name, "iban": iban, "bic": bic},
    )
    assert response.status_code == 422
    assert f'id="f-{field}"' in response.get_data(as_text=True)
    assert store.organisation("acme")["debtor_iban"] is None


def test_an_admin_sets_the_debtor_account(app, store, org):
    admin = _admin(app)
    response = admin.post(
        f"{STAFF}/payments/account",
        data={
            "csrf_token": csrf_for(admin),
            "name": " Ville  de Test ",
            "iban": "fr76 3000 6000 0112 3456 7890 189",
            "bic": "agrifrpp",
        },
    )
    assert response.status_code == 303
    saved = store.organisation("acme")
    assert (saved["debtor_name"], saved["debtor_iban"], saved["debtor_bic"]) == DEBTOR


def test_the_command_sets_the_debtor_account_with_the_same_rules(runner, store):
    bad = runner.invoke(
        args=["ecitiz", "payment-account", "acme", "--name", "Ville",
              "--iban", "FR00", "--bic", "AGRIFRPP"]
    )  # fmt: skip
    assert bad.exit_code != 0 and "--iban" in bad.output
    assert store.organisation("acme")["debtor_iban"] is None
    good = runner.invoke(
        args=["ecitiz", "payment-account", "acme", "--name", DEBTOR[0],
              "--iban", DEBTOR[1], "--bic", DEBTOR[2]]
    )  # fmt: skip
    assert good.exit_code == 0, good.output
    assert store.organisation("acme")["debtor_iban"] == DEBTOR[1]


# -- the form definition ------------------------------------------------------------


def _definition(**payment):
    catalog = resources.files("ecitiz_kit.forms.catalog")
    data = json.loads(catalog.joinpath("aid-request.json").read_text("utf-8"))
    data["payment"].update(payment)
    return data


@pytest.mark.parametrize(
    "payment,problem",
    [
        ({"amount": "town"}, "'amount' must name a required money field"),
        ({"iban": "nowhere"}, "'iban' names no field of this form"),
        ({"ceiling": 0}, "'ceiling' must be an amount"),
        ({"ceiling": "12.345"}, "'ceiling' must be an amount"),
        ({"ceiling": True}, "'ceiling' must be an amount"),
        ({"extra": 1}, "unknown key 'extra'"),
    ],
)
def test_a_payment_that_does_not_fit_the_form_is_refused_at_load(payment, problem):
    with pytest.raises(DefinitionError, match=problem):
        Checker("aid.json").definition(_definition(**payment))


def test_the_ready_made_aid_request_describes_its_payment():
    definition = Checker("aid.json").definition(_definition())
    assert definition.payment.amount == "amount_requested"
    assert str(definition.payment.ceiling) == "100000"


def test_the_applicant_sees_the_amount_then_paid_and_is_emailed(
    client, staff_client, store
):
    from .helpers import aid_answers, post_form, status_url_in, with_file

    receipt = client.get(
        post_form(client, with_file(aid_answers(amount_requested="2 500"))).headers[
            "Location"
        ]
    ).get_data(as_text=True)
    tracking = status_url_in(receipt)
    sid = max(r["id"] for r in store.iter_requests(store.organisation("acme")["id"]))
    store.change_status(sid, expected="submitted", to_status="in_review", actor="a")
    before = len(store.outbox_messages())
    _move(staff_client, sid, "accepted", "in_review", granted_amount="2000")
    [accepted] = store.outbox_messages()[before:]
    assert "Montant accordé\u00a0: 2\u202f000,00\u00a0€" in accepted["body_text"]
    assert "2\u202f000,00\u00a0€" in accepted["body_html"]
    html = client.get(tracking).get_data(as_text=True)
    assert "Montant accordé" in html and "2\u202f000,00\u00a0€" in html
    before = len(store.outbox_messages())
    assert _move(staff_client, sid, "paid", "accepted").status_code == 303
    html = client.get(tracking).get_data(as_text=True)
    assert "Payée" in html and "a été versé" in html
    [mail] = store.outbox_messages()[before:]
    assert "Payée" in mail["subject"] and mail["recipient"] == "camille@example.org"


def test_a_file_cancelled_meanwhile_pays_nothing(app, staff_client, store, org):
    from ecitiz_kit.domain import payments
    from ecitiz_kit.store import BatchClosed
    from ecitiz_kit.web.pages import notices

    store.set_debtor_account(org["id"], *DEBTOR)
    ids = _accepted(staff_client, store, org, PAYEES[:2])
    batch_id = int(_prepare(staff_client, ids).headers["Location"].rsplit("/", 1)[1])
    batch = store.payment_batch(org["id"], batch_id)  # read before the cancel
    store.close_batch(org["id"], batch_id, "cancelled", actor="someone else")
    kit = state(app)
    with app.test_request_context():
        with pytest.raises(BatchClosed):
            payments.mark_paid(
                store, kit.forms, kit.keyring, batch, actor="t", notices=notices()
            )
    assert {store.submission(sid)["status"] for sid in ids} == {"accepted"}


def test_a_bulk_acceptance_grants_each_request_its_amount_requested(
    staff_client, store, org
):
    ids = [_aid(store, org, *payee, n=n)["id"] for n, payee in enumerate(PAYEES)]
    html = staff_client.get(f"{STAFF}/").get_data(as_text=True)
    form = html[html.index('id="bulk"') :]
    data = hidden_inputs(form[: form.index("</form>")])
    response = staff_client.post(
        f"{STAFF}/bulk",
        data={**data, "action": "status:accepted", "id": [str(i) for i in ids]},
    )
    assert response.status_code == 303
    granted = [store.submission(sid)["granted_cents"] for sid in ids]
    assert granted == [500000, 120050, 30000]


def test_a_bulk_action_cannot_mark_requests_paid(staff_client, store, org):
    [sid] = _accepted(staff_client, store, org, PAYEES[:1])
    html = staff_client.get(f"{STAFF}/").get_data(as_text=True)
    form = html[html.index('id="bulk"') :]
    assert 'value="status:paid"' not in form
    data = hidden_inputs(form[: form.index("</form>")])
    before = store.table_counts()
    response = staff_client.post(
        f"{STAFF}/bulk", data={**data, "action": "status:paid", "id": str(sid)}
    )
    assert response.status_code == 400
    assert store.submission(sid)["status"] == "accepted"
    assert store.table_counts() == before


def test_a_selection_larger_than_one_file_takes_is_refused(
    staff_client, store, org, monkeypatch
):
    from ecitiz_kit.domain import payments

    store.set_debtor_account(org["id"], *DEBTOR)
    ids = _accepted(staff_client, store, org, PAYEES[:2])
    monkeypatch.setattr(payments, "PAYMENT_CAP", 1)
    before = store.table_counts()
    response = _prepare(staff_client, ids)
    assert response.status_code == 400
    assert "2 demandes sont sélectionnées" in response.get_data(as_text=True)
    assert store.table_counts() == before


def test_the_api_gives_the_amount_granted_once_accepted(
    client, staff_client, store, org
):
    from .test_api import API, bearer, make_token

    token = make_token(store)
    sid = _aid(store, org, *PAYEES[1])["id"]
    url = f"{API}/requests/{sid}"
    assert client.get(url, headers=bearer(token)).json["granted_amount"] is None
    _move(staff_client, sid, "accepted", "in_review", granted_amount="999,9")
    assert client.get(url, headers=bearer(token)).json["granted_amount"] == "999.90"
