"""Signing keys with PostgreSQL: sealed in the shared database, so that every
host signs with the same keys; with SQLite they stay files in the data folder."""

import re
import threading

import pytest

from ecitiz_kit.documents import signing
from ecitiz_kit.sealing import SIGNING_KEY_INFO, Sealer
from ecitiz_kit.state import state

from .helpers import (
    ORG,
    SECRET,
    STAFF,
    csrf_for,
    issue_attestation,
    kit_app,
    set_status,
    submit_attestation,
)

OTHER_SECRET = "another-secret-key-that-is-long-enough"


def _second_host(tmp_path, database_url, **config):
    """Another application on the same database, with its own data folder."""
    return kit_app(tmp_path / "second-host", database_url, **config)


def _cli(app, *args):
    """Run a command on ``app`` (its own context: the test's is another app's)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=["ecitiz", *args])


def _key_files(app):
    return sorted((state(app).data_dir / "keys").glob("*"))


@pytest.fixture
def second(app, tmp_path, database_url):
    """A second host: another data folder, the same PostgreSQL database."""
    other = _second_host(tmp_path, database_url)
    yield other
    state(other).store.close()


@pytest.mark.postgresql_only
def test_attestation_signed_on_one_host_verifies_and_signs_on_another(
    app, client, runner, store, second
):
    document = issue_attestation(client, runner, store)

    other = second.test_client()
    link = "https://forms.example.org/ecitiz/v#" + document["payload"]
    page = other.post("/ecitiz/v?lang=en", data={"code": link})
    assert 'data-verdict="valid"' in page.get_data(as_text=True)
    checked = _cli(second, "verify", document["payload"])
    assert checked.output.splitlines()[0] == "valid"

    # The second host signs with the very key the first one made.
    reference, _ = submit_attestation(other, last_name="Martin")
    for status in ("in_review", "accepted"):
        assert _cli(second, "set-status", reference, status).exit_code == 0
    with second.app_context():
        second_store = state(second).store
        submission = second_store.submission_by_reference(reference)
        [signed] = second_store.documents(submission["id"])
    assert signed["kid"] == document["kid"]
    assert _key_files(app) == [] and _key_files(second) == []


@pytest.mark.postgresql_only
def test_the_database_holds_no_private_key_in_clear(app, client, runner, store, second):
    document = issue_attestation(client, runner, store)
    key = state(app).keyring.files.load(document["kid"])
    raw = signing.private_key_der(key)
    seed = raw[-32:]
    [row] = store.sealed_signing_keys()
    assert row["kid"] == document["kid"]
    dump = repr(row)
    assert "PRIVATE KEY" not in dump
    assert raw not in row["sealed_key"].encode()
    for text in (seed.hex(), signing.encode_b64url(seed), signing.encode_b64url(raw)):
        assert text not in dump


@pytest.mark.postgresql_only
def test_another_secret_key_cannot_open_them_but_a_fallback_can(
    app, client, runner, store, second, tmp_path, database_url
):
    document = issue_attestation(client, runner, store)
    reference, _ = submit_attestation(client, last_name="Martin")

    rotated = _second_host(tmp_path / "rotated", database_url, SECRET_KEY=OTHER_SECRET)
    review = _cli(rotated, "set-status", reference, "in_review")
    assert review.exit_code == 0, review.output
    refused = _cli(rotated, "set-status", reference, "accepted")
    assert refused.exit_code == 1
    assert "SECRET_KEY_FALLBACKS" in refused.output
    assert isinstance(refused.exception, SystemExit)  # a message, no traceback
    with rotated.app_context():
        assert (
            state(rotated).store.documents(
                state(rotated).store.submission_by_reference(reference)["id"]
            )
            == []
        )
    state(rotated).store.close()

    kept = _second_host(
        tmp_path / "kept",
        database_url,
        SECRET_KEY=OTHER_SECRET,
        SECRET_KEY_FALLBACKS=[SECRET],
    )
    result = _cli(kept, "set-status", reference, "accepted")
    assert result.exit_code == 0, result.output
    with kept.app_context():
        kept_store = state(kept).store
        [signed] = kept_store.documents(
            kept_store.submission_by_reference(reference)["id"]
        )
    assert signed["kid"] == document["kid"]
    state(kept).store.close()


@pytest.mark.postgresql_only
def test_two_hosts_making_the_first_key_at_once_share_one(app, store, second):
    organisation = store.organisation(ORG)["id"]
    keyrings = [state(app).keyring, state(second).keyring]
    made = [None, None]
    start = threading.Barrier(2)

    def make(index):
        start.wait()
        made[index] = keyrings[index].signing_key(organisation)

    threads = [threading.Thread(target=make, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert made[0][0] == made[1][0]
    assert signing.public_key_bytes(made[0][1]) == signing.public_key_bytes(made[1][1])
    assert [row["kid"] for row in store.sealed_signing_keys()] == [made[0][0]]
    assert store.signing_key_ids() == [made[0][0]]


@pytest.mark.postgresql_only
def test_a_kid_is_never_overwritten(app, store, second):
    sealed = state(app).keyring.files
    key = signing.generate_private_key()
    sealed.save("K7Q2", key)
    with pytest.raises(signing.KeyFileError, match="already exists"):
        sealed.save("K7Q2", signing.generate_private_key())
    assert signing.public_key_bytes(sealed.load("K7Q2")) == signing.public_key_bytes(
        key
    )


@pytest.mark.postgresql_only
def test_key_files_written_before_keys_were_sealed_move_to_the_database(
    app, store, second
):
    organisation = store.organisation(ORG)["id"]
    key = signing.generate_private_key()
    legacy = signing.KeyFiles(state(app).data_dir / "keys")
    legacy.save("K7Q2", key)
    store.add_signing_key("K7Q2", organisation, signing.public_key_bytes(key))

    kid, loaded = state(app).keyring.signing_key(organisation)
    assert kid == "K7Q2"
    # The second host has no file: it opens the copy sealed on first use.
    _, shared = state(second).keyring.signing_key(organisation)
    assert signing.public_key_bytes(shared) == signing.public_key_bytes(key)


@pytest.mark.sqlite_only  # the files SQLite deployments keep
def test_sqlite_keeps_signing_keys_in_files(app, client, runner, store):
    document = issue_attestation(client, runner, store)
    files = _key_files(app)
    assert [path.name for path in files] == [f"{document['kid']}.key"]
    assert re.match(rb"-----BEGIN PRIVATE KEY-----", files[0].read_bytes())


@pytest.mark.postgresql_only
def test_staff_are_told_when_the_key_cannot_be_opened(
    app, client, runner, store, staff_client, second
):
    issue_attestation(client, runner, store)
    reference, _ = submit_attestation(client, last_name="Martin")
    assert set_status(runner, reference, "in_review").exit_code == 0
    # As on a host whose SECRET_KEY changed without the old one in the fallbacks.
    state(app).keyring.files.sealer = lambda: Sealer([OTHER_SECRET], SIGNING_KEY_INFO)

    submission = store.submission_by_reference(reference)
    response = staff_client.post(
        f"{STAFF}/requests/{submission['id']}/status",
        data={
            "csrf_token": csrf_for(staff_client),
            "to_status": "accepted",
            "expected": "in_review",
            "public_message": "",
            "private_note": "",
        },
    )
    assert response.status_code == 503
    assert "SECRET_KEY_FALLBACKS" in response.get_data(as_text=True)
    assert store.submission(submission["id"])["status"] == "in_review"
    assert store.documents(submission["id"]) == []
