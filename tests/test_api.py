"""The read-only API: tokens, the request list, one request and its files, the
event feed, isolation between organisations, refusals and rate limits."""

from __future__ import annotations

import hashlib
import re
import shlex
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ecitiz_kit.domain import api
from ecitiz_kit.domain.request_list import PAGE_SIZE
from ecitiz_kit.state import state
from ecitiz_kit.tokens import API_TOKEN_SHAPE

from .helpers import (
    ORG,
    PDF,
    accept_request,
    add_request,
    at,
    dump_text,
    submit_attestation,
    submit_request,
)

API = "/ecitiz/api/v1"


def make_token(store, org: str = ORG, name: str = "crm") -> str:
    organisation = store.organisation(org)
    return api.issue_token(store, organisation["id"], name, actor="test").token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def token(store):
    return make_token(store)


@pytest.fixture
def other_org(store):
    """A second organisation with a request of its own, and its token."""
    other = store.create_organisation("other", "Autre asso")
    store.enable_form(other["id"], "aid-request", 1, None, 730)
    row = add_request(store, other["id"], at("2026-11-20 10:00"), first="Paul")
    return {"id": other["id"], "request": row, "token": make_token(store, "other")}


# -- tokens ------------------------------------------------------------------------


def test_a_token_is_stored_only_as_its_sha256(app, store, token):
    assert API_TOKEN_SHAPE.fullmatch(token)
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    assert store.active_api_token(token_hash)["name"] == "crm"
    if store.dialect == "postgresql":
        data = dump_text(store).encode()
    else:
        store.close()  # everything written is in the files read below
        data = b"".join(
            path.read_bytes()
            for path in state(app).data_dir.glob("ecitiz.sqlite3*")
            if path.is_file()
        )
    assert token.encode() not in data
    assert token_hash.encode() in data


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer ecz_" + "A" * 43,  # the right shape, but no such token
        "Bearer not-a-token",
        "Bearer " + "x" * 5000,
    ],
)
def test_no_valid_token_gets_401_with_a_bearer_challenge(client, token, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get(f"{API}/requests", headers=headers)
    assert response.status_code == 401
    assert response.is_json and response.json["error"]
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="ecitiz"')
    # RFC 6750: the error code only when a token was sent.
    assert ("invalid_token" in challenge) == bool(header)


def test_the_scheme_is_case_insensitive(client, token):
    response = client.get(
        f"{API}/requests", headers={"Authorization": f"bearer {token}"}
    )
    assert response.status_code == 200


def test_a_revoked_token_is_refused_at_once(client, store, token):
    assert client.get(f"{API}/requests", headers=bearer(token)).status_code == 200
    organisation_id = store.organisation(ORG)["id"]
    [row] = store.api_tokens(organisation_id)
    assert api.revoke_token(store, organisation_id, row["id"], actor="test")
    response = client.get(f"{API}/requests", headers=bearer(token))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_the_api_never_reads_nor_sets_a_cookie(app, client, staff_client, token):
    # A signed-in staff member's cookie opens nothing here...
    assert staff_client.get(f"{API}/requests").status_code == 401
    # ...and no answer sets one.
    for path in ("/requests", "/requests/1", "/events", "/nowhere", "/openapi.json"):
        response = client.get(API + path, headers=bearer(token))
        assert "Set-Cookie" not in response.headers, path
        assert response.headers["Cache-Control"] == "no-store"


def test_last_use_is_recorded_at_most_once_a_minute(client, store, token):
    organisation_id = store.organisation(ORG)["id"]
    [row] = store.api_tokens(organisation_id)
    assert row["last_used_at"] is None
    client.get(f"{API}/requests", headers=bearer(token))
    [row] = store.api_tokens(organisation_id)
    first = row["last_used_at"]
    assert first is not None
    client.get(f"{API}/events", headers=bearer(token))
    assert store.api_tokens(organisation_id)[0]["last_used_at"] == first


def test_calls_are_rate_limited_per_token(app, client, store, token, limits_clock):
    app.config["ECITIZ_API_LIMIT"] = "3 per minute"
    other = make_token(store, name="other")
    for _ in range(3):
        assert client.get(f"{API}/events", headers=bearer(token)).status_code == 200
    refused = client.get(f"{API}/events", headers=bearer(token))
    assert refused.status_code == 429
    assert refused.is_json
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    # Another token of the same organisation has its own budget.
    assert client.get(f"{API}/events", headers=bearer(other)).status_code == 200
    limits_clock.advance(61)
    assert client.get(f"{API}/events", headers=bearer(token)).status_code == 200


# -- the list ----------------------------------------------------------------------


def test_the_list_pages_with_the_dashboards_filters(client, store, token):
    organisation_id = store.organisation(ORG)["id"]
    start = at("2026-11-01 09:00")
    for n in range(PAGE_SIZE + 5):
        add_request(store, organisation_id, start + timedelta(hours=n))
    add_request(
        store, organisation_id, start, form_id="attestation", status="in_review",
        first="Zoé", last="Nguyen", email="zoe@example.org",
    )  # fmt: skip
    first = client.get(f"{API}/requests", headers=bearer(token)).json
    assert len(first["requests"]) == PAGE_SIZE
    assert first["newer"] is None and first["older"]
    second = client.get(
        f"{API}/requests", query_string={"older": first["older"]}, headers=bearer(token)
    ).json
    assert len(second["requests"]) == 6
    assert second["older"] is None and second["newer"]
    seen = [r["id"] for r in first["requests"] + second["requests"]]
    assert len(set(seen)) == PAGE_SIZE + 6
    times = [r["created_at"] for r in first["requests"] + second["requests"]]
    assert times == sorted(times, reverse=True)

    found = client.get(
        f"{API}/requests",
        query_string={"status": "in_review", "q": "nguyen", "form": "attestation"},
        headers=bearer(token),
    ).json["requests"]
    assert [(r["applicant_name"], r["status"]) for r in found] == [
        ("Zoé Nguyen", "in_review")
    ]
    small = client.get(
        f"{API}/requests", query_string={"limit": 7}, headers=bearer(token)
    ).json
    assert len(small["requests"]) == 7
    assert small["requests"][0]["url"] == (
        f"http://localhost{API}/requests/{small['requests'][0]['id']}"
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "paid-twice"}, "status"),
        ({"form": "no-such-form"}, "form"),
        ({"from": "2026-02-30"}, "from"),
        ({"from": "2026-12-02", "to": "2026-12-01"}, "to"),
        ({"q": "x" * 101}, "q"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": " 5"}, "limit"),
        ({"stauts": "submitted"}, "stauts"),  # a misspelt filter
        ({"assignee": "me"}, "assignee"),  # a token is nobody of the team
        ({"assignee": "999999"}, "assignee"),
        ({"due": "yesterday"}, "due"),
        ({"shares": "password"}, "shares"),
    ],
)
def test_bad_filters_get_400_saying_which(client, store, token, query, field):
    before = store.table_counts()
    response = client.get(f"{API}/requests", query_string=query, headers=bearer(token))
    assert response.status_code == 400
    assert field in response.json["problems"]
    assert store.table_counts() == before


def test_a_damaged_cursor_gets_400(client, token):
    response = client.get(
        f"{API}/requests", query_string={"older": "not-a-cursor"}, headers=bearer(token)
    )
    assert response.status_code == 400 and response.json["error"]


# -- one request, its files and documents ----------------------------------------------


def test_one_request_with_its_answers_files_and_documents(client, store, token):
    reference = submit_request(client)
    submission = store.submission_by_reference(reference)
    detail = client.get(
        f"{API}/requests/{submission['id']}", headers=bearer(token)
    ).json
    assert detail["reference"] == reference
    assert detail["answers"]["email"] == submission["answers"]["email"]
    assert detail["answers"]["iban"] == submission["answers"]["iban"]
    assert [e["to_status"] for e in detail["events"]] == ["submitted"]
    [attachment] = detail["attachments"]
    file = client.get(attachment["url"], headers=bearer(token))
    assert file.status_code == 200
    assert file.data == PDF
    assert attachment["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert file.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in file.headers["Content-Security-Policy"]
    assert [d["kind"] for d in detail["documents"]] == ["receipt"]
    receipt = client.get(detail["documents"][0]["url"], headers=bearer(token))
    assert receipt.status_code == 200 and receipt.data.startswith(b"%PDF")
    # Downloads need the token like everything else.
    assert client.get(attachment["url"]).status_code == 401


def test_an_attestation_is_listed_once_issued(client, runner, store, token):
    reference, _ = submit_attestation(client)
    sid = store.submission_by_reference(reference)["id"]
    url = f"{API}/requests/{sid}/attestation.pdf"
    assert client.get(url, headers=bearer(token)).status_code == 404
    accept_request(runner, reference)
    detail = client.get(f"{API}/requests/{sid}", headers=bearer(token)).json
    [attestation] = [d for d in detail["documents"] if d["kind"] == "attestation"]
    assert attestation["serial"] and attestation["url"].endswith(url)
    pdf = client.get(url, headers=bearer(token))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_another_organisations_ids_are_not_found(client, store, token, other_org):
    mine = submit_request(client)
    my_id = store.submission_by_reference(mine)["id"]
    [attachment] = store.attachments(my_id)
    theirs = other_org["request"]["id"]
    for path in (
        f"/requests/{theirs}",
        f"/requests/{theirs}/receipt.pdf",
        f"/requests/{theirs}/attestation.pdf",
        f"/requests/{theirs}/files/{attachment['id']}",
        f"/requests/{my_id}/files/99999",
        f"/requests/{2**63}",
        f"/requests/{my_id}/files/{2**64}",
    ):
        response = client.get(API + path, headers=bearer(token))
        assert response.status_code == 404, path
        assert response.is_json
    # Their token reaches neither my request nor my file, the same way.
    for path in (f"/requests/{my_id}", f"/requests/{my_id}/files/{attachment['id']}"):
        assert (
            client.get(API + path, headers=bearer(other_org["token"])).status_code
            == 404
        )
    # Nor does my list show theirs.
    listed = client.get(f"{API}/requests", headers=bearer(token)).json["requests"]
    assert [r["id"] for r in listed] == [my_id]


def test_reading_a_request_is_in_the_audit_log(client, store, token):
    reference = submit_request(client)
    sid = store.submission_by_reference(reference)["id"]
    client.get(f"{API}/requests/{sid}", headers=bearer(token))
    client.get(f"{API}/requests", headers=bearer(token))
    organisation_id = store.organisation(ORG)["id"]
    reads = store.audit_entries(organisation_id, action="api.read")
    assert [(e["subject"], e["detail"]) for e in reads] == [
        (reference, {"what": "answers"})
    ]
    assert re.fullmatch(r"api-token:\d+ \(crm\)", reads[0]["actor"])


# -- events ---------------------------------------------------------------------------


def test_events_since_a_cursor(client, runner, store, token, other_org):
    first = submit_request(client)
    feed = client.get(f"{API}/events", headers=bearer(token)).json
    assert [(e["reference"], e["to_status"]) for e in feed["events"]] == [
        (first, "submitted")
    ]
    cursor = feed["next"]
    accept_request(runner, first)
    feed = client.get(
        f"{API}/events", query_string={"after": cursor}, headers=bearer(token)
    ).json
    assert [(e["from_status"], e["to_status"]) for e in feed["events"]] == [
        ("submitted", "in_review"),
        ("in_review", "accepted"),
    ]
    assert all(e["id"] > cursor for e in feed["events"])
    assert feed["next"] == feed["events"][-1]["id"]
    # Nothing new: the same cursor again.
    again = client.get(
        f"{API}/events", query_string={"after": feed["next"]}, headers=bearer(token)
    ).json
    assert again == {"events": [], "next": feed["next"]}
    # The other organisation's feed holds only its own request's event.
    theirs = client.get(f"{API}/events", headers=bearer(other_org["token"])).json
    assert {e["request_id"] for e in theirs["events"]} == {other_org["request"]["id"]}


def test_events_are_limited(client, store, token):
    organisation_id = store.organisation(ORG)["id"]
    for n in range(3):
        add_request(store, organisation_id, at("2026-11-01 09:00") + timedelta(hours=n))
    feed = client.get(
        f"{API}/events", query_string={"limit": 2}, headers=bearer(token)
    ).json
    assert len(feed["events"]) == 2
    rest = client.get(
        f"{API}/events", query_string={"after": feed["next"]}, headers=bearer(token)
    ).json
    assert len(rest["events"]) == 1


@pytest.mark.parametrize("after", ["-1", "x", "1e3", str(2**63), "1.5"])
def test_a_bad_event_cursor_gets_400(client, token, after):
    response = client.get(
        f"{API}/events", query_string={"after": after}, headers=bearer(token)
    )
    assert response.status_code == 400
    assert "after" in response.json["problems"]


# -- every answer is JSON -------------------------------------------------------------


def test_other_methods_and_addresses_answer_json(client, token):
    posted = client.post(f"{API}/requests", headers=bearer(token))
    assert posted.status_code == 405 and posted.is_json
    assert posted.headers["Allow"] == "GET, HEAD, OPTIONS"
    options = client.options(f"{API}/requests/1", headers=bearer(token))
    assert options.status_code == 204
    assert options.headers["Allow"] == "GET, HEAD, OPTIONS"
    for path in ("/nowhere", "/", "/requests/abc", "/requests/1/files"):
        missing = client.get(API + path, headers=bearer(token))
        assert missing.status_code == 404 and missing.is_json, path


def test_a_server_error_is_json_with_an_incident(app, client, token, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(state(app).store, "organisation_events", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get(f"{API}/events", headers=bearer(token))
    assert response.status_code == 500
    assert response.is_json and response.json["incident"]
    assert "fire" not in response.get_data(as_text=True)


def test_errors_are_in_the_callers_language(client, token):
    english = client.get(
        f"{API}/requests",
        query_string={"status": "nope"},
        headers={**bearer(token), "Accept-Language": "en"},
    )
    french = client.get(
        f"{API}/requests",
        query_string={"status": "nope"},
        headers={**bearer(token), "Accept-Language": "fr"},
    )
    assert english.json["problems"]["status"] == "Choose a status from the list."
    assert french.json["problems"]["status"] != english.json["problems"]["status"]


# -- the README's examples ------------------------------------------------------------


def _readme_curls() -> list[str]:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("\n## API\n", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("curl ")]


def test_the_readmes_curl_examples_work(app, client, runner, store):
    made = runner.invoke(args=["ecitiz", "api-token", ORG, "crm"])
    [token] = re.findall(r"ecz_[\w-]{43}", made.output)
    organisation_id = store.organisation(ORG)["id"]
    for n in range(42):  # the examples read request 42
        add_request(
            store, organisation_id, at("2026-11-02 09:00") + timedelta(hours=n),
            status="accepted" if n % 2 else "submitted",
        )  # fmt: skip
    curls = _readme_curls()
    assert len(curls) == 5
    answers = []
    for line in curls:
        words = shlex.split(line.replace("$ECITIZ_TOKEN", token))
        headers = dict(
            words[i + 1].split(": ", 1) for i, w in enumerate(words) if w == "-H"
        )
        url = urlsplit(words[-1])
        assert url.netloc == "forms.example.org", line
        response = client.get(url.path, query_string=url.query, headers=headers)
        assert response.status_code == 200, (line, response.get_data(as_text=True))
        answers.append(response)
        if "-OJ" in words:
            assert response.headers["Content-Disposition"].startswith("attachment")
            assert response.data.startswith(b"%PDF")
        else:
            assert response.is_json
    # The first example's filters were applied: only the accepted ones.
    accepted = answers[0].json["requests"]
    assert len(accepted) == 21 and {r["status"] for r in accepted} == {"accepted"}


def test_every_endpoint_but_the_document_needs_a_token(app, client):
    rules = [
        r for r in app.url_map.iter_rules() if r.endpoint.startswith("ecitiz_api.")
    ]
    assert len(rules) == 9  # six endpoints, the document, two catch-alls
    for rule in rules:
        path = re.sub(r"<[^>]+>", "1", rule.rule)
        response = client.get(path)
        if rule.endpoint == "ecitiz_api.openapi":
            assert response.status_code == 200
        else:
            assert response.status_code == 401, rule.rule
