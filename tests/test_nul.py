"""NUL characters (``\\x00``) in what a request names: a clear 404 or 400 on
either backend, never a server error (PostgreSQL cannot keep a NUL in text)."""

from contextlib import nullcontext

import pytest

from ecitiz_kit.errors import TextWithNul

from .helpers import ORG, STAFF


@pytest.mark.parametrize(
    "path",
    [
        f"/ecitiz/c/{ORG}%00",
        f"/ecitiz/f/{ORG}%00/aid-request",
        f"/ecitiz/f/{ORG}/aid-request%00",
        f"/ecitiz/f/%00{ORG}/aid-request/company",
        f"/ecitiz/lost/{ORG}%00",
        f"/ecitiz/my/{ORG}%00",
        f"/ecitiz/t/{ORG}%00",
        "/ecitiz/s/abc%00def",
        "/ecitiz/api/documents/AB%00CD/status",
    ],
)
def test_a_nul_in_the_path_names_nothing(client, store, path):
    before = store.table_counts()
    response = client.get(path)
    assert response.status_code == 404
    assert "Set-Cookie" not in response.headers
    assert store.table_counts() == before


@pytest.mark.parametrize(
    "path",
    [
        f"/ecitiz/f/{ORG}/aid-request?lang=fr%00",
        f"/ecitiz/c/{ORG}?lang=%00",
        f"/ecitiz/c/{ORG}?%00=fr",
    ],
)
def test_a_nul_in_the_query_string_is_a_bad_request(client, path):
    assert client.get(path).status_code == 400


@pytest.mark.parametrize(
    ("path", "lang"),
    [
        (f"/ecitiz/f/{ORG}/aid-request?lang=en&q=%00", "en"),
        (f"/ecitiz/c/{ORG}?lang=fr&q=%00", "fr"),
        (f"/ecitiz/c/{ORG}?lang=en%00", "en"),  # the browser's, then
    ],
)
def test_the_bad_request_page_speaks_the_visitor_s_language(client, path, lang):
    response = client.get(path, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert f'<html lang="{lang}"' in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["q=Durand%00", "older=%00", "form=aid-request%00"])
def test_a_nul_in_the_staff_list_s_filters_is_a_bad_request(staff_client, query):
    assert staff_client.get(f"{STAFF}/?{query}").status_code == 400


def test_the_postgresql_store_refuses_a_nul_as_a_bad_request(store):
    # SQLite keeps a NUL and finds nothing; PostgreSQL cannot take one in text:
    # it says so as a bad request (400), never as a database failure (500).
    refused = pytest.raises(TextWithNul) if store.dialect == "postgresql" else None
    with refused or nullcontext():
        assert store.organisation(f"{ORG}\x00") is None
    with refused or nullcontext():
        assert store.submission_by_reference("\x00") is None
    assert TextWithNul.code == 400
