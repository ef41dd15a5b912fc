"""Receipt and tracking links name a request by a random public id: they tell
nobody how many requests there are, and links issued before keep working."""

import base64
import json
import re

from itsdangerous import URLSafeTimedSerializer

from ecitiz_kit import create_app
from ecitiz_kit.state import state
from ecitiz_kit.tokens import RECEIPT_SALT, STATUS_LINK_SALT

from .helpers import (
    SECRET,
    aid_answers,
    execute,
    migrated_before,
    post_form,
    status_url_in,
    with_file,
)


def _payload(token):
    body = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def _tokens_of_new_request(client):
    receipt = post_form(client, with_file(aid_answers())).headers["Location"]
    html = client.get(receipt).get_data(as_text=True)
    receipt_token = re.search(r"/ecitiz/r/([^/?]+)", receipt).group(1)
    status_token = status_url_in(html).rsplit("/", 1)[1]
    return receipt_token, status_token


def test_links_do_not_count_the_requests(client, store):
    first = _tokens_of_new_request(client)
    second = _tokens_of_new_request(client)
    ids = [_payload(token)[0] for token in (*first, *second)]
    assert ids[0] == ids[1] and ids[2] == ids[3]
    assert ids[0] != ids[2]
    for public_id, row_id in ((ids[0], 1), (ids[2], 2)):
        assert isinstance(public_id, str) and len(public_id) >= 22
        assert store.submission(row_id)["public_id"] == public_id
        assert store.submission_by_public_id(public_id)["id"] == row_id


def _legacy(salt, submission_id, link_version=1):
    """A token as the kit made them when they carried the row id."""
    return URLSafeTimedSerializer([SECRET], salt=salt).dumps(
        [submission_id, link_version]
    )


def test_links_issued_with_the_row_id_still_open_their_request(client, store):
    _tokens_of_new_request(client)
    reference = store.submission(1)["reference"]
    status = client.get(f"/ecitiz/s/{_legacy(STATUS_LINK_SALT, 1)}")
    assert status.status_code == 200
    assert reference in status.get_data(as_text=True)
    receipt = client.get(f"/ecitiz/r/{_legacy(RECEIPT_SALT, 1)}")
    assert receipt.status_code == 200
    assert reference in receipt.get_data(as_text=True)
    # Revoking a link still works for them, and unknown ones stay unknown.
    assert client.get(f"/ecitiz/s/{_legacy(STATUS_LINK_SALT, 1, 2)}").status_code == 404
    assert client.get(f"/ecitiz/s/{_legacy(STATUS_LINK_SALT, 2)}").status_code == 404


def test_requests_stored_before_get_a_public_id_and_keep_their_links(
    tmp_path, monkeypatch
):
    data = tmp_path / "data"
    old, _ = migrated_before(data / "ecitiz.sqlite3", monkeypatch, "public_id TEXT")
    org = old.create_organisation("acme", "ACME")["id"]
    old.enable_form(org, "aid-request", 1, None, 730)
    for n in range(3):
        old.db.conn.execute(
            "INSERT INTO submissions (organisation_id, form_id, form_version,"
            " reference, status, answers, lang, nonce, created_at, updated_at)"
            " VALUES (?, 'aid-request', 1, ?, 'submitted', ?, 'fr', ?, ?, ?)",
            (org, f"AID-AAAA-000{n}",
             json.dumps({"first_name": "Léa", "last_name": "Roux",
                         "email": "lea@example.org"}),
             f"n{n}", "2026-11-02T10:00:00.000000Z", "2026-11-02T10:00:00.000000Z"),
        )  # fmt: skip
    old.close()
    monkeypatch.undo()

    app = create_app({"SECRET_KEY": SECRET, "ECITIZ_DATA_DIR": str(data)})
    store = state(app).store
    ids = [store.submission(n)["public_id"] for n in (1, 2, 3)]
    assert all(re.fullmatch("[0-9a-f]{32}", i) for i in ids)
    assert len(set(ids)) == 3
    client = app.test_client()
    page = client.get(f"/ecitiz/s/{_legacy(STATUS_LINK_SALT, 2)}")
    assert page.status_code == 200
    assert "AID-AAAA-0001" in page.get_data(as_text=True)
    # The receipt gives the request's tracking link anew, by its public id.
    receipt = client.get(f"/ecitiz/r/{_legacy(RECEIPT_SALT, 2)}")
    new_link = status_url_in(receipt.get_data(as_text=True))
    assert _payload(new_link.rsplit("/", 1)[1]) == [ids[1], 1]
    assert client.get(new_link).status_code == 200


def test_rows_inserted_without_a_public_id_get_one(store):
    org = store.organisation("acme")["id"]
    execute(
        store,
        "INSERT INTO submissions (organisation_id, form_id, form_version,"
        " reference, status, answers, lang, nonce, created_at, updated_at)"
        " VALUES (?, 'aid-request', 1, 'AID-AAAA-0000', 'submitted', '{}', 'fr',"
        " 'n', 'x', 'x')",
        (org,),
    )
    assert re.fullmatch("[0-9a-f]{32}", store.submission(1)["public_id"])
