"""The status mode: an organisation's "follow my request" page, framed in its site."""

import re

import pytest

from ecitiz_kit.state import state
from ecitiz_kit.web.embedding import status_token

from .helpers import ALLOWED, ORG, aid_answers, post_form, with_file

TRACK = f"/ecitiz/t/{ORG}"


@pytest.fixture
def tracking_link(client):
    """A real request's tracking link, as its receipt shows it."""
    response = post_form(client, with_file(aid_answers()))
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    link = re.search(r'class="ecitiz-link"><a href="([^"]+)"', receipt).group(1)
    reference = re.search(r'data-ecitiz-reference="([^"]+)"', receipt).group(1)
    return link, reference


def test_tracking_page_is_framable_by_the_organisations_sites_only(client):
    response = client.get(TRACK + f"?origin={ALLOWED}&embed=ecitiz-1")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="f-link"' in html and 'method="post"' in html
    assert f'data-ecitiz-origin="{ALLOWED}"' in html
    assert f"frame-ancestors {ALLOWED}" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_tracking_page_of_unknown_organisation_is_a_404(client):
    response = client.get("/ecitiz/t/nobody")
    assert response.status_code == 404
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "shape",
    [
        lambda link: link,
        lambda link: "  " + link + "\n",
        lambda link: link.rsplit("/", 1)[1],
        lambda link: "https://www.acme.example/suivi#ecitiz=" + link.rsplit("/", 1)[1],
    ],
    ids=["link", "link-with-spaces", "bare-token", "host-page-link"],
)
def test_pasted_link_or_code_shows_the_status(client, tracking_link, shape):
    link, reference = tracking_link
    query = f"?origin={ALLOWED}&embed=ecitiz-1"
    response = client.post(
        TRACK + query,
        data={"link": shape(link)},
        headers={"Origin": "http://localhost"},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert reference in html
    assert "ecitiz-status--submitted" in html
    assert f'data-ecitiz-origin="{ALLOWED}"' in html
    assert 'data-ecitiz-scroll="top"' in html
    assert "Set-Cookie" not in response.headers


def _refused(client, pasted):
    response = client.post(TRACK + "?lang=en", data={"link": pasted})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "is not a tracking link of ACME Entraide" in html
    assert 'aria-invalid="true"' in html
    return html


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "x" * 40,
        lambda token: "",
        lambda token: "https://www.acme.example/ecitiz/r/" + token,
        lambda token: "<script>alert(1)</script>",
        lambda token: "a" * 5000,
        lambda token: "http://[",
    ],
    ids=[
        "forged",
        "random",
        "empty",
        "receipt-path",
        "markup",
        "huge",
        "broken-url",
    ],
)
def test_bad_links_all_get_the_same_answer(client, tracking_link, tamper):
    link, reference = tracking_link
    html = _refused(client, tamper(link.rsplit("/", 1)[1]))
    assert reference not in html
    assert "<script>alert" not in html


def test_another_organisations_request_is_refused_like_a_forgery(
    app, client, tracking_link
):
    link, reference = tracking_link
    with app.app_context():
        store = state(app).store
        store.create_organisation("other", "Other Org")
    response = client.post("/ecitiz/t/other", data={"link": link})
    assert response.status_code == 400
    assert reference not in response.get_data(as_text=True)


def test_revoked_link_is_refused(app, client, tracking_link):
    link, reference = tracking_link
    with app.app_context():
        store = state(app).store
        submission = store.submission_by_reference(reference)
        with store._write() as conn:
            conn.execute(
                "UPDATE submissions SET link_version = link_version + 1 WHERE id = ?",
                [submission["id"]],
            )
    _refused(client, link)


def test_lookup_from_another_site_is_refused(client, tracking_link):
    link, _ = tracking_link
    response = client.post(
        TRACK, data={"link": link}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "pasted, token",
    [
        ("https://k.example/ecitiz/s/abc.def.ghijkl", "abc.def.ghijkl"),
        ("https://k.example/ecitiz/s/abc.def.ghijkl/", "abc.def.ghijkl"),
        ("https://site.example/suivi#ecitiz=abc.def.ghijkl", "abc.def.ghijkl"),
        ("abc.def.ghijkl", "abc.def.ghijkl"),
        ("https://k.example/ecitiz/r/abc.def.ghijkl", None),
        ("https://k.example/ecitiz/s/abc def", None),
        ("short", None),
    ],
)
def test_status_token_is_found_in_what_was_pasted(pasted, token):
    assert status_token(pasted) == token


# -- tracking links that open the organisation's own page ---------------------------


def test_tracking_page_makes_links_open_the_host_page(runner, client, store):
    result = runner.invoke(
        args=["ecitiz", "tracking-page", ORG, "https://WWW.acme.example/suivi?x=1"]
    )
    assert result.exit_code == 0, result.output
    response = post_form(client, with_file(aid_answers()))
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    link = re.search(r'class="ecitiz-link"><a href="([^"]+)"', receipt).group(1)
    assert link.startswith(f"{ALLOWED}/suivi?x=1#ecitiz=")
    assert 'target="_top"' in receipt
    shown = client.post(TRACK, data={"link": link})
    assert shown.status_code == 200
    assert "ecitiz-status--submitted" in shown.get_data(as_text=True)

    result = runner.invoke(args=["ecitiz", "tracking-page", ORG, "--clear"])
    assert result.exit_code == 0, result.output
    assert store.tracking_page(store.organisation(ORG)["id"]) is None


@pytest.mark.parametrize(
    "args, why",
    [
        (["https://elsewhere.example/suivi"], "allow it first with allow-origin"),
        ([f"{ALLOWED}/suivi#here"], "leave out the '#' part"),
        (["www.acme.example/suivi"], "give the scheme too"),
        (["ftp://www.acme.example/suivi"], "give the scheme too"),
        ([], "give either the page's URL or --clear"),
        ([f"{ALLOWED}/suivi", "--clear"], "give either the page's URL or --clear"),
    ],
)
def test_tracking_page_refusals_explain_themselves(runner, store, args, why):
    result = runner.invoke(args=["ecitiz", "tracking-page", ORG, *args])
    assert result.exit_code == 1
    assert why in result.output
    assert store.tracking_page(store.organisation(ORG)["id"]) is None


def test_tracking_links_leave_a_site_that_may_no_longer_embed(runner, client, store):
    result = runner.invoke(
        args=["ecitiz", "tracking-page", ORG, "https://www.acme.example/suivi"]
    )
    assert result.exit_code == 0, result.output
    organisation_id = store.organisation(ORG)["id"]
    assert store.tracking_page(organisation_id) == f"{ALLOWED}/suivi"
    assert store.remove_allowed_origin(organisation_id, ALLOWED)
    # The site is gone from the list: links must not send codes to it any more.
    assert store.tracking_page(organisation_id) is None
    response = post_form(client, with_file(aid_answers()))
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "acme.example/suivi" not in receipt
    assert "/ecitiz/s/" in receipt
