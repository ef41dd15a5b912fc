"""``GET /ecitiz/healthz``, for load balancers: up only with a current schema."""

import sqlite3

from ecitiz_kit.store import MIGRATIONS


def test_a_current_database_is_healthy(client):
    response = client.get("/ecitiz/healthz")
    assert (response.status_code, response.text) == (200, "ok\n")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "text/plain"
    assert "Set-Cookie" not in response.headers
    assert client.head("/ecitiz/healthz").status_code == 200


def test_a_schema_behind_or_ahead_of_the_code_is_not(client, store):
    for version in (len(MIGRATIONS) - 1, len(MIGRATIONS) + 1):
        conn = sqlite3.connect(store.path)
        conn.execute(f"PRAGMA user_version = {version}")
        conn.close()
        response = client.get("/ecitiz/healthz")
        # Nothing an outsider could use: no version, no path, no error text.
        assert (response.status_code, response.text) == (503, "unavailable\n")


def test_a_database_that_does_not_answer_is_not(client, store, monkeypatch):
    def broken():
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "answers", broken)
    response = client.get("/ecitiz/healthz")
    assert (response.status_code, response.text) == (503, "unavailable\n")
