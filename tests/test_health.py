"""``GET /ecitiz/healthz``, for load balancers: up only with a current schema."""

import sqlite3

from .helpers import execute


def test_a_current_database_is_healthy(client):
    response = client.get("/ecitiz/healthz")
    assert (response.status_code, response.text) == (200, "ok\n")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "text/plain"
    assert "Set-Cookie" not in response.headers
    assert client.head("/ecitiz/healthz").status_code == 200


def _set_schema_version(store, version):
    if store.dialect == "sqlite":
        conn = sqlite3.connect(store.path)
        conn.execute(f"PRAGMA user_version = {version}")
        conn.close()
        return
    execute(store, "DELETE FROM schema_version WHERE version > ?", (version,))
    execute(
        store,
        "INSERT INTO schema_version (version, applied_by) VALUES (?, 'test')"
        " ON CONFLICT DO NOTHING",
        (version,),
    )


def test_a_schema_behind_or_ahead_of_the_code_is_not(client, store):
    target = store.schema_target()
    try:
        for version in (target - 1, target + 1):
            _set_schema_version(store, version)
            response = client.get("/ecitiz/healthz")
            # Nothing an outsider could use: no version, no path, no error text.
            assert (response.status_code, response.text) == (503, "unavailable\n")
    finally:  # the PostgreSQL database serves the other tests too
        _set_schema_version(store, target)
    assert client.get("/ecitiz/healthz").status_code == 200


def test_a_database_that_does_not_answer_is_not(client, store, monkeypatch):
    def broken():
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "answers", broken)
    response = client.get("/ecitiz/healthz")
    assert (response.status_code, response.text) == (503, "unavailable\n")
