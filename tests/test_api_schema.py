"""The API against its own OpenAPI document: schemathesis generates calls to
every endpoint from the document, makes them on the real application (through
WSGI, no server) and checks each answer: no server error, a status, headers,
content type and body the document announces, 401 without the token, 405 for
another method.

Runtime: each endpoint gets at most ``MAX_EXAMPLES`` generated calls besides
the boundary values schemathesis always tries (about 20 seconds for the six
endpoints); hypothesis keeps no example database, so every run draws afresh.
Rate limits are off in this app, so that every call gets a real answer.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from ecitiz_kit.api.openapi import document
from ecitiz_kit.domain import api
from ecitiz_kit.state import state

from .helpers import ORG, submit_attestation, submit_request

MAX_EXAMPLES = 20
API = "/ecitiz/api/v1"


@pytest.fixture
def api_app(app, client):
    """The app with requests to read (one with a file), and a token for them."""
    app.config["ECITIZ_RATELIMIT_ENABLED"] = False
    submit_request(client)
    submit_attestation(client)
    with app.app_context():
        store = state(app).store
        organisation = store.organisation(ORG)
        app.config["ecitiz_test_token"] = api.issue_token(
            store, organisation["id"], "schemathesis", actor="test"
        ).token
    under_test.app = app
    yield app
    under_test.app = None


class TestApp:
    """The WSGI application under test: each test's own (its data folder is
    the test's), behind one name the schema can hold from import on."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


under_test = TestApp()
#: The document as the test app serves it (checked below): loaded at import,
#: so that each endpoint is a test of its own.
schema = schemathesis.openapi.from_dict(document(f"http://localhost{API}"))
schema.app = under_test


def test_the_document_is_the_one_served(client):
    served = client.get(f"{API}/openapi.json")
    assert served.status_code == 200
    assert served.json == document(f"http://localhost{API}")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_the_api_keeps_to_its_openapi_document(case, api_app):
    token = api_app.config["ecitiz_test_token"]
    excluded = []
    if case.operation.path == "/requests":
        # The list's filters have rules a schema cannot say (a form the
        # organisation has, an end date not before the start, a cursor as it
        # was given): values of the right type may get the 400 the document
        # announces. Every other check applies.
        excluded.append(positive_data_acceptance)
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"}, excluded_checks=excluded
    )
