"""The ready-made procedures beyond aid and attestations: each one goes through the
public form, gets a receipt numbered with its own prefix, and tells the applicant how
long the decision should take; wrong answers are refused and store nothing."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from ecitiz_kit.forms import catalog

from .helpers import (
    ORG,
    PDF,
    aid_answers,
    appointment_answers,
    declaration_answers,
    deferral_answers,
    post_form,
    set_status,
    status_url_in,
    stored_requests,
    uploaded_files,
    with_file,
)

CATALOG = resources.files(catalog)
PROCEDURES = {
    "payment-deferral": ("DEF", deferral_answers, 30),
    "adviser-appointment": ("RDV", appointment_answers, 3),
    "activity-declaration": ("ACT", declaration_answers, 5),
}
ANSWER_WITHIN = {
    "fr": "Nous nous efforçons de vous répondre dans un délai de {} jours",
    "en": "We aim to answer within {} days of receiving your request.",
}


def _receipt(client, form_id, answers, lang="fr"):
    response = post_form(client, answers, form_id, query_string={"lang": lang})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("form_id", PROCEDURES)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_procedure_goes_through_and_says_when_to_expect_an_answer(
    client, store, form_id, lang
):
    prefix, answers, days = PROCEDURES[form_id]
    receipt = _receipt(client, form_id, answers(), lang)
    reference = re.search(
        rf"\b{prefix}-[2-9A-HJ-NP-Z]{{4}}-[2-9A-HJ-NP-Z]{{4}}\b", receipt
    )
    assert reference, receipt[:2000]
    assert ANSWER_WITHIN[lang].format(days) in receipt
    [row] = stored_requests(store, form_id=form_id)
    assert row["reference"] == reference.group(0)
    stored = json.loads(row["answers"])
    assert stored["first_name"] and stored["email"].endswith("@example.org")


def test_deferral_keeps_the_sum_and_the_optional_bill(app, client, store):
    receipt = _receipt(client, "payment-deferral", with_file(deferral_answers()))
    assert "240,00" in receipt and "Payer en plusieurs mensualités" in receipt
    [row] = stored_requests(store, form_id="payment-deferral")
    answers = json.loads(row["answers"])
    assert (answers["amount_due"], answers["months"], answers["siret"]) == (
        "1240.00",
        6,
        "73282932000074",
    )
    [upload] = uploaded_files(app)
    assert upload.read_bytes() == PDF


def test_declaration_records_what_customers_can_do(client, store):
    _receipt(client, "activity-declaration", declaration_answers())
    [row] = stored_requests(store, form_id="activity-declaration")
    answers = json.loads(row["answers"])
    assert (answers["delivery"], answers["collection"], answers["publish"]) == (
        False,
        True,
        True,
    )
    assert answers["shop_phone"] == "0240000000"


@pytest.mark.parametrize(
    ("form_id", "overrides", "field"),
    [
        ("payment-deferral", {"months": "25"}, "months"),
        ("payment-deferral", {"amount_due": "-10"}, "amount_due"),
        ("payment-deferral", {"kind": "lottery"}, "kind"),
        ("payment-deferral", {"siret": "73282932000075"}, "siret"),
        ("payment-deferral", {"declaration": None}, "declaration"),
        ("adviser-appointment", {"siret": "123"}, "siret"),
        ("adviser-appointment", {"topic": None}, "topic"),
        ("adviser-appointment", {"question": "x" * 2001}, "question"),
        ("activity-declaration", {"until_date": "2020-01-01"}, "until_date"),
        ("activity-declaration", {"postal_code": "00000"}, "postal_code"),
        ("activity-declaration", {"change": "<script>"}, "change"),
    ],
)
def test_wrong_answers_are_named_and_store_nothing(
    client, store, form_id, overrides, field
):
    _prefix, answers, _days = PROCEDURES[form_id]
    response = post_form(client, answers(**overrides), form_id)
    assert response.status_code == 422
    assert f'id="e-{field}"' in response.get_data(as_text=True)
    assert stored_requests(store) == []


def test_declaration_end_date_before_start_is_refused(client, store):
    answers = declaration_answers(from_date="2030-01-10", until_date="2030-01-09")
    response = post_form(client, answers, "activity-declaration")
    assert response.status_code == 422
    assert 'id="e-until_date"' in response.get_data(as_text=True)
    assert stored_requests(store) == []


def test_tracking_page_gives_the_delay_until_a_decision(client, runner):
    receipt = _receipt(client, "adviser-appointment", appointment_answers(), "en")
    reference = re.search(r"\bRDV-\w{4}-\w{4}\b", receipt).group(0)
    tracking = status_url_in(receipt) + "?lang=en"
    assert ANSWER_WITHIN["en"].format(3) in client.get(tracking).get_data(as_text=True)
    assert set_status(runner, reference, "in_review").exit_code == 0
    assert ANSWER_WITHIN["en"].format(3) in client.get(tracking).get_data(as_text=True)
    sent_back = ["ecitiz", "set-status", reference, "submitted", "--message", "RIB ?"]
    assert runner.invoke(args=sent_back).exit_code == 0
    waiting_for_changes = client.get(tracking).get_data(as_text=True)
    assert "Change my request" in waiting_for_changes
    assert "We aim to answer" not in waiting_for_changes  # the applicant has to act
    assert set_status(runner, reference, "in_review").exit_code == 0
    assert set_status(runner, reference, "accepted").exit_code == 0
    decided = client.get(tracking).get_data(as_text=True)
    assert "accepted" in decided and "We aim to answer" not in decided


def test_a_form_without_decision_days_promises_nothing(client, runner, tmp_path):
    local = json.loads(CATALOG.joinpath("aid-request.json").read_text("utf-8"))
    del local["decision_days"]
    local["id"] = "local-aid"
    path = tmp_path / "local-aid.json"
    path.write_text(json.dumps(local), encoding="utf-8")
    result = runner.invoke(args=["ecitiz", "enable-form", ORG, str(path)])
    assert result.exit_code == 0, result.output
    receipt = _receipt(client, "local-aid", with_file(aid_answers()), "en")
    assert "Request received" in receipt and "We aim to answer" not in receipt
    receipt = _receipt(client, "aid-request", with_file(aid_answers()), "en")
    assert ANSWER_WITHIN["en"].format(30) in receipt
