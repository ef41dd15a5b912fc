"""What one submission costs the server: the statements it runs, the work it skips
(traced by SQLite, or recorded on their way to PostgreSQL)."""

import pytest
from flask import session
from flask.sessions import NullSession

from ecitiz_kit.state import state

from .helpers import ALLOWED, attestation_answers, form_url, post_form, ticket_for


def _statements(app, run):
    """What ``run()`` returns, and the statements the store ran meanwhile."""
    statements = []
    if state(app).store.dialect == "postgresql":
        from ecitiz_kit.store import postgresql

        real = postgresql.Connection.execute

        def traced(self, sql, params=()):
            statements.append(sql)
            return real(self, sql, params)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(postgresql.Connection, "execute", traced)
            return run(), statements
    conn = state(app).store.db.conn
    conn.set_trace_callback(statements.append)
    try:
        result = run()
    finally:
        conn.set_trace_callback(None)
    return result, statements


def test_a_submission_from_a_direct_link_reads_no_allowed_origins(app, client):
    ticket = ticket_for(client, "attestation")
    response, statements = _statements(
        app, lambda: post_form(client, attestation_answers(), "attestation", ticket)
    )
    assert response.status_code == 303
    assert statements, "the trace saw the submission"
    assert not [s for s in statements if "allowed_origins" in s]


def test_a_framed_submission_still_checks_its_origin(app, client):
    ticket = ticket_for(client, "attestation")
    query = f"?origin={ALLOWED}&embed=ecitiz-2"
    response, statements = _statements(
        app,
        lambda: client.post(
            form_url("attestation") + query,
            data={"ticket": ticket, **attestation_answers()},
        ),
    )
    assert response.status_code == 303
    assert [s for s in statements if "allowed_origins" in s]
    assert "embed=ecitiz-2" in response.headers["Location"]

    # An origin the organisation did not allow is dropped from the receipt link.
    ticket = ticket_for(client, "attestation")
    response = client.post(
        form_url("attestation") + "?origin=https://evil.example&embed=ecitiz-2",
        data={"ticket": ticket, **attestation_answers(first_name="Lou")},
    )
    assert response.status_code == 303
    assert "origin" not in response.headers["Location"]
    assert "embed" not in response.headers["Location"]


def test_the_standalone_server_opens_no_flask_session(app):
    """The kit keeps nothing in Flask's session: no cookie to read or weigh up."""
    with app.test_request_context("/", headers={"Cookie": "session=forged"}):
        app.preprocess_request()
        assert isinstance(session._get_current_object(), NullSession)
