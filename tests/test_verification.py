"""Checking attestations: published keys, the verify API and page, the CLI, the
life cycle that issues and revokes documents."""

import base64
import json
import re
from datetime import date, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ecitiz_kit.documents import signing
from ecitiz_kit.public import verify_page as verification
from ecitiz_kit.state import state

from .helpers import (
    HOLDER,
    ORG,
    accept_request,
    documents_of,
    forge_signature,
    issue_attestation,
    set_status,
    submit_attestation,
)

# -- helpers ---------------------------------------------------------------------------


def _verify(client, payload):
    response = client.post("/ecitiz/api/verify", json={"payload": payload})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _keys(client):
    response = client.get("/.well-known/ecitiz-keys.json")
    assert response.status_code == 200
    return {key["kid"]: key for key in response.get_json()["keys"]}


def _replace_field(payload, index, value):
    parts = payload.split(".")
    parts[index] = value
    return ".".join(parts)


def _other_code_char(char):
    return "2" if char != "2" else "3"


def _other_end_date(end, start):
    """A valid end date, not before ``start``, one character away from ``end``."""
    for index in range(7, 3, -1):
        for digit in "0123456789":
            candidate = end[:index] + digit + end[index + 1 :]
            try:
                datetime.strptime(candidate, "%Y%m%d")
            except ValueError:
                continue
            if candidate != end and candidate >= start:
                return candidate
    raise AssertionError(end)


def _org_signing_key(app):
    keyring = state(app).keyring
    return keyring.signing_key(keyring.store.organisation(ORG)["id"])


def _claims(kid, valid_from, valid_to, serial=None):
    return signing.Claims(
        kid=kid,
        serial=serial or signing.new_serial(),
        type="ATT",
        holder=HOLDER,
        valid_from=valid_from,
        valid_to=valid_to,
    )


def _b64decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# -- published keys --------------------------------------------------------------------


def test_published_keys_list_the_organisations_key_for_anyone(client, runner, store):
    assert _keys(client) == {}  # a key is made when the first document is signed
    document = issue_attestation(client, runner, store)

    response = client.get("/.well-known/ecitiz-keys.json")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert body["format"] == 1
    [key] = body["keys"]
    assert key["kid"] == document["kid"]
    assert key["alg"] == "Ed25519"
    assert key["issuer"] == "ACME Entraide"
    assert key["retired"] is None and key["published_until"] is None
    # The published half really checks the document's signature.
    public = Ed25519PublicKey.from_public_bytes(_b64decode(key["public_key"]))
    unsigned, _, signature = document["payload"].rpartition(".")
    public.verify(_b64decode(signature), unsigned.encode("ascii"))


# -- the verify API --------------------------------------------------------------------


def test_api_says_valid_for_a_real_payload_or_its_whole_link(client, runner, store):
    document = issue_attestation(client, runner, store)
    answer = _verify(client, document["payload"])
    assert answer == {
        "verdict": "valid",
        "serial": document["serial"],
        "holder": HOLDER,
        "issuer": "ACME Entraide",
        "valid_from": document["valid_from"],
        "valid_to": document["valid_to"],
    }
    link = "https://forms.example.org/ecitiz/v#" + document["payload"]
    assert _verify(client, link)["verdict"] == "valid"


@pytest.mark.parametrize("field", [2, 6, 7], ids=["serial", "valid_to", "signature"])
def test_api_says_forged_when_one_character_changes(client, runner, store, field):
    payload = issue_attestation(client, runner, store)["payload"]
    value = payload.split(".")[field]
    if field == 7:
        forged = forge_signature(payload)
    elif field == 6:  # another well-formed end date, so only the signature can tell
        forged = _replace_field(
            payload, 6, _other_end_date(value, payload.split(".")[5])
        )
    else:
        forged = _replace_field(payload, 2, _other_code_char(value[0]) + value[1:])
    assert sum(a != b for a, b in zip(forged, payload, strict=True)) == 1
    answer = _verify(client, forged)
    assert answer["verdict"] == "forged"
    assert answer["holder"] is None and answer["serial"] is None


def test_api_says_revoked_after_the_revoke_command(client, runner, store):
    document = issue_attestation(client, runner, store)
    typed = signing.format_serial(document["serial"]).lower()  # as typed by hand
    result = runner.invoke(args=["ecitiz", "revoke", typed, "--reason", "error"])
    assert result.exit_code == 0, result.output
    assert _verify(client, document["payload"])["verdict"] == "revoked"

    status = client.get(f"/ecitiz/api/documents/{document['serial']}/status")
    assert status.get_json() == {
        "serial": document["serial"],
        "revoked": True,
        "revoked_on": store.document(document["serial"])["revoked_at"][:10],
    }
    assert status.headers["Cache-Control"] == "no-store"
    again = runner.invoke(args=["ecitiz", "revoke", document["serial"]])
    assert "already revoked" in again.output


def test_document_status_answers_with_the_serial_only(client, runner, store):
    document = issue_attestation(client, runner, store)
    response = client.get(f"/ecitiz/api/documents/{document['serial']}/status")
    assert response.get_json() == {"serial": document["serial"], "revoked": False}
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    unknown = client.get("/ecitiz/api/documents/2222233333/status")
    assert unknown.status_code == 404
    assert unknown.get_json() == {"error": "unknown serial"}
    assert unknown.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "start, end, verdict",
    [(-40, -10, "expired"), (10, 20, "not-yet-valid"), (-1, 1, "valid")],
)
def test_api_judges_the_dates_signed_by_the_organisation(
    client, app, store, start, end, verdict
):
    with app.app_context():
        kid, key = _org_signing_key(app)
        today = verification.today()
    claims = _claims(kid, today + timedelta(days=start), today + timedelta(days=end))
    answer = _verify(client, signing.sign(claims, key))
    assert answer["verdict"] == verdict
    assert answer["holder"] == HOLDER  # the signature verified


def test_api_says_unknown_key_for_a_key_the_kit_never_published(client, app, store):
    with app.app_context():
        kid, _key = _org_signing_key(app)
    stranger = next(k for k in ("ZZZZ", "YYYY") if k != kid)
    today = date.today()
    claims = _claims(stranger, today, today + timedelta(days=3))
    payload = signing.sign(claims, signing.generate_private_key())
    answer = _verify(client, payload)
    assert answer["verdict"] == "unknown-key"
    assert answer["holder"] is None


def test_api_refuses_a_key_of_the_kit_used_by_another_signer(client, app, store):
    with app.app_context():
        kid, _key = _org_signing_key(app)
    today = date.today()
    claims = _claims(kid, today, today + timedelta(days=3))
    payload = signing.sign(claims, signing.generate_private_key())
    assert _verify(client, payload)["verdict"] == "forged"


# -- the CLI ---------------------------------------------------------------------------


def test_cli_verify_prints_the_verdict_first_and_exits_0_only_when_valid(
    client, runner, store
):
    document = issue_attestation(client, runner, store)
    valid = runner.invoke(args=["ecitiz", "verify", document["payload"]])
    assert valid.exit_code == 0
    lines = valid.output.splitlines()
    assert lines[0] == "valid"
    assert f"holder: {HOLDER}" in lines
    assert f"serial: {signing.format_serial(document['serial'])}" in lines

    forged = runner.invoke(
        args=["ecitiz", "verify", forge_signature(document["payload"])]
    )
    assert forged.exit_code == 1
    assert forged.output.splitlines() == ["forged"]  # nothing unverified is printed

    runner.invoke(args=["ecitiz", "revoke", document["serial"]])
    revoked = runner.invoke(args=["ecitiz", "verify", document["payload"]])
    assert revoked.exit_code == 1
    assert revoked.output.splitlines()[0] == "revoked"


def test_accepting_a_request_issues_one_attestation_linked_from_tracking(
    client, runner, store
):
    reference, tracking = submit_attestation(client)
    assert "attestation.pdf" not in client.get(tracking).get_data(as_text=True)

    assert set_status(runner, reference, "in_review").exit_code == 0
    assert documents_of(store, reference) == []
    result = set_status(runner, reference, "accepted")
    assert result.exit_code == 0, result.output

    [document] = documents_of(store, reference)
    assert document["revoked_at"] is None
    assert document["holder"] == HOLDER
    assert signing.format_serial(document["serial"]) in result.output
    html = client.get(tracking).get_data(as_text=True)
    [link] = re.findall(r'href="([^"]*/attestation\.pdf[^"]*)"', html)
    pdf = client.get(link.replace("&amp;", "&"))
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")


def test_accepting_without_review_is_refused_and_changes_nothing(client, runner, store):
    reference, _ = submit_attestation(client)
    before = store.submission_by_reference(reference)
    events = store.events(before["id"])

    result = set_status(runner, reference, "accepted")
    assert result.exit_code == 1
    assert "submitted" in result.output
    after = store.submission_by_reference(reference)
    assert after["status"] == "submitted"
    assert store.events(after["id"]) == events
    assert store.documents(after["id"]) == []
    assert _keys(client) == {}


def test_reopening_an_accepted_request_revokes_its_attestation(client, runner, store):
    reference, tracking = submit_attestation(client)
    accept_request(runner, reference)
    [first] = documents_of(store, reference)

    assert set_status(runner, reference, "in_review").exit_code == 0
    [revoked] = documents_of(store, reference)
    assert revoked["revoked_at"] is not None
    assert _verify(client, first["payload"])["verdict"] == "revoked"
    assert "attestation.pdf" not in client.get(tracking).get_data(as_text=True)

    # Accepted again: a new document, the old one stays revoked.
    assert set_status(runner, reference, "accepted").exit_code == 0
    old, new = documents_of(store, reference)
    assert old["serial"] == first["serial"] and old["revoked_at"] is not None
    assert new["revoked_at"] is None and new["serial"] != first["serial"]
    assert _verify(client, new["payload"])["verdict"] == "valid"


# -- key rotation ----------------------------------------------------------------------


def test_rotation_keeps_old_documents_valid_and_signs_new_ones_with_the_new_key(
    client, runner, store
):
    old = issue_attestation(client, runner, store)
    result = runner.invoke(args=["ecitiz", "keygen", ORG])
    assert result.exit_code == 0, result.output
    new_kid = re.search(r"New signing key ([2-9A-HJ-NP-Z]{4})", result.output).group(1)
    assert new_kid != old["kid"]

    assert _verify(client, old["payload"])["verdict"] == "valid"
    keys = _keys(client)
    assert set(keys) == {old["kid"], new_kid}
    assert keys[old["kid"]]["retired"] is not None
    assert keys[old["kid"]]["published_until"] == old["valid_to"]
    assert keys[new_kid]["retired"] is None

    new = issue_attestation(client, runner, store, last_name="Martin")
    assert new["kid"] == new_kid
    assert _verify(client, new["payload"])["verdict"] == "valid"


def test_retired_key_disappears_once_its_documents_have_expired(
    client, runner, store, monkeypatch
):
    old = issue_attestation(client, runner, store)
    runner.invoke(args=["ecitiz", "keygen", ORG])
    [new_kid] = set(_keys(client)) - {old["kid"]}

    last_day = date.fromisoformat(old["valid_to"])
    monkeypatch.setattr(verification, "today", lambda: last_day)
    assert set(_keys(client)) == {old["kid"], new_kid}  # still needed on its last day
    assert _verify(client, old["payload"])["verdict"] == "valid"

    monkeypatch.setattr(verification, "today", lambda: date(2999, 1, 1))
    assert set(_keys(client)) == {new_kid}  # the signing key always stays
    assert _verify(client, old["payload"])["verdict"] == "unknown-key"
    page = client.get("/ecitiz/v").get_data(as_text=True)
    assert old["kid"] not in page and new_kid in page


# -- the page without JavaScript -------------------------------------------------------


def test_page_embeds_keys_and_texts_and_allows_only_its_own_script(
    client, runner, store
):
    document = issue_attestation(client, runner, store)
    response = client.get("/ecitiz/v?lang=en")
    html = response.get_data(as_text=True)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert 'data-verdict="' not in html

    keys = re.search(r'id="ecitiz-keys">(.*?)</script>', html, re.S).group(1)
    assert [k["kid"] for k in json.loads(keys)] == [document["kid"]]
    texts = re.search(r'id="ecitiz-texts">(.*?)</script>', html, re.S).group(1)
    assert json.loads(texts)["valid"].startswith("Valid")
    script = re.search(r'<script src="([^"]+verify\.js)"', html).group(1)
    asset = client.get(script)
    assert asset.status_code == 200
    assert "javascript" in asset.mimetype
    assert asset.get_data(as_text=True).lstrip().startswith("/*")


def test_page_post_checks_a_pasted_code_on_the_server(client, runner, store):
    document = issue_attestation(client, runner, store)
    link = "https://forms.example.org/ecitiz/v#" + document["payload"]
    response = client.post("/ecitiz/v?lang=en", data={"code": link})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-verdict="valid"' in html
    assert HOLDER in html
    assert signing.format_serial(document["serial"]) in html
    assert re.search(r'<dl id="claims"[^>]*>', html).group(0).count("hidden") == 0

    forged = client.post(
        "/ecitiz/v", data={"code": forge_signature(document["payload"])}
    )
    html = forged.get_data(as_text=True)
    assert 'data-verdict="forged"' in html
    assert HOLDER not in html  # never show what the signature does not vouch for
    assert "hidden" in re.search(r'<dl id="claims"[^>]*>', html).group(0)


HOSTILE = [
    "x" * 1_000_000,
    "1." + "A" * 2000,
    "\x00\xff\ufffd" * 300,
    "1.AAAA.2222222222.ATT.\u00e9.20260101.20260102." + "A" * 86,
    "...........",
]


@pytest.mark.parametrize("code", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_pasted_code_is_forged_or_refused_never_a_crash(client, code):
    response = client.post("/ecitiz/v", data={"code": code})
    assert response.status_code in (200, 400, 413)
    if response.status_code == 200:
        assert 'data-verdict="forged"' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"x" * 1_000_000, "application/json"),
        (json.dumps({"payload": "A" * 1_000_000}).encode(), "application/json"),
        (bytes(range(256)) * 64, "application/json"),
        (b"payload=1.AAAA", "application/x-www-form-urlencoded"),
        (b"not json", "text/plain"),
        (b'["1.AAAA"]', "application/json"),
        (b'{"payload": 12}', "application/json"),
        (b'{"payload": null}', "application/json"),
        (json.dumps({"payload": "\x00\ud800"}).encode(), "application/json"),
        (json.dumps({"payload": "1." + "." * 600}).encode(), "application/json"),
    ],
    ids=range(10),
)
def test_hostile_api_requests_get_a_4xx_or_forged_never_a_crash(
    client, body, content_type
):
    response = client.post("/ecitiz/api/verify", data=body, content_type=content_type)
    assert response.status_code in (200, 400, 413, 415)
    if response.status_code == 200:
        assert response.get_json()["verdict"] == "forged"
    else:
        assert response.status_code != 400 or "payload" in response.get_json()["error"]
