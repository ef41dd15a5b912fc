"""Headers a browser or a cache acts on: asset lifetimes, and the protection of
the staff pages on every answer under the kit's prefix, errors included."""

import re

import pytest
from flask import Flask

from ecitiz_kit import EcitizKit, __version__
from ecitiz_kit.staff import list_page

from .helpers import STAFF, form_url


def directives(response) -> set[str]:
    return {d.strip() for d in response.headers["Cache-Control"].split(",")}


def test_versioned_asset_is_cached_for_a_year_and_nothing_else(client):
    html = client.get(form_url()).get_data(as_text=True)
    href = re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)
    assert f"/{__version__}/" in href
    response = client.get(href)
    assert response.status_code == 200
    assert directives(response) == {"public", "max-age=31536000", "immutable"}


def test_asset_under_another_version_is_checked_at_each_use(client):
    response = client.get("/ecitiz/assets/0.0.0-old/ecitiz.css")
    assert response.status_code == 200
    assert directives(response) == {"no-cache"}
    assert response.headers["ETag"]


def assert_staff_headers(response):
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("GET", f"{STAFF}/no-such-page", 404),
        ("GET", f"{STAFF}/requests/1/no-such-page", 404),
        ("PUT", f"{STAFF}/login", 405),
        ("GET", STAFF, 308),  # to the address with a slash
        ("GET", "/ecitiz/no-such-page", 404),
        ("POST", "/ecitiz/widget/loader.js", 405),
    ],
)
def test_unknown_address_under_the_prefix_has_the_staff_headers(
    client, method, path, status
):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert_staff_headers(response)


@pytest.mark.parametrize(
    "lang, said", [("fr", "Page introuvable"), ("en", "Page not found")]
)
def test_unknown_staff_address_gets_the_dashboards_own_404_page(client, lang, said):
    response = client.get(f"{STAFF}/requests/1/no-such-page?lang={lang}")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert f'<html lang="{lang}"' in page and said in page


def test_staff_error_pages_have_the_staff_headers(app, staff_client, monkeypatch):
    not_found = staff_client.get(f"{STAFF}/requests/999999")
    assert not_found.status_code == 404
    assert_staff_headers(not_found)

    def broken(*args, **kwargs):
        raise RuntimeError("the list broke")

    monkeypatch.setattr(list_page, "render_template", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    failed = staff_client.get(f"{STAFF}/")
    assert failed.status_code == 500
    assert_staff_headers(failed)


def test_host_apps_own_pages_keep_their_headers(tmp_path):
    host = Flask("host")
    host.config.update(SECRET_KEY="k" * 40, ECITIZ_DATA_DIR=str(tmp_path))

    @host.get("/about")
    def about():
        return "about us"

    EcitizKit(host)
    client = host.test_client()
    for path, status in (("/about", 200), ("/no-such-page", 404)):
        response = client.get(path)
        assert response.status_code == status
        assert "Content-Security-Policy" not in response.headers
        assert "X-Frame-Options" not in response.headers
