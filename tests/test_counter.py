"""The counter: an organisation's procedures on one embeddable page, its
snippets, and its place on the staff embed page."""

import html as htmlmod
import re
from datetime import UTC, datetime

import pytest

from ecitiz_kit.forms.loading import load_catalog
from ecitiz_kit.web.frame_heights import counter_height
from ecitiz_kit.web.snippets import counter_iframe_snippet, counter_snippet

from .helpers import ALLOWED, ORG, STAFF, execute

COUNTER = f"/ecitiz/c/{ORG}"
LATER = datetime(2099, 3, 1, 8, 0, tzinfo=UTC)  # 09:00 in Paris
EARLIER = datetime(2020, 3, 31, 21, 59, tzinfo=UTC)  # 23:59 in Paris


@pytest.fixture(autouse=True)
def two_procedures(app, store):
    """ACME offers only the aid request and the attestation here, whatever else
    the catalogue holds, so that the counter's order and contents are known."""
    execute(
        store, "DELETE FROM forms WHERE form_id NOT IN ('aid-request', 'attestation')"
    )


def _org(store):
    return store.organisation(ORG)["id"]


def _items(html):
    """Each procedure's block, in page order."""
    return html.split('<li class="ecitiz-procedure')[1:]


def _titles(html):
    return re.findall(r"<h2>([^<]+)</h2>", html)


def test_counter_lists_each_procedure_with_what_it_takes(client):
    response = client.get(COUNTER)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<h1 class="ecitiz-title">Démarches en ligne</h1>' in html
    assert "ACME Entraide" in html
    aid, attestation = _items(html)
    assert "Demande d’aide exceptionnelle aux entreprises" in htmlmod.unescape(aid)
    assert "Environ 15 minutes" in aid
    assert "<dt>À préparer</dt>" in aid
    assert "Le numéro SIRET de votre établissement" in htmlmod.unescape(aid)
    assert f'href="/ecitiz/f/{ORG}/aid-request?lang=fr"' in aid
    assert f'href="/ecitiz/f/{ORG}/attestation?lang=fr"' in attestation
    # Each start link names its procedure for screen readers.
    assert re.search(
        r">Commencer<span class=\"ecitiz-visually-hidden\"> – Demande", aid
    )


def test_counter_in_english(client):
    html = client.get(COUNTER + "?lang=en").get_data(as_text=True)
    assert "Online procedures" in html
    assert "About 15 minutes" in html and "Have at hand" in html
    assert f'href="/ecitiz/f/{ORG}/aid-request?lang=en"' in html
    assert 'href="/ecitiz/c/acme?lang=fr" hreflang="fr"' in html


def test_counter_shows_the_organisation_s_own_title(client, store):
    store.enable_form(_org(store), "attestation", 1, None, 730, "Attestation Acme")
    assert "Attestation Acme" in _titles(client.get(COUNTER).get_data(as_text=True))


def test_counter_links_keep_the_frame_parameters(client):
    query = f"?origin={ALLOWED}&embed=ecitiz-3&primary=%23004080&heading=hidden"
    html = client.get(COUNTER + query).get_data(as_text=True)
    assert f'data-ecitiz-origin="{ALLOWED}" data-ecitiz-embed="ecitiz-3"' in html
    link = re.search(r'href="(/ecitiz/f/acme/aid-request[^"]*)"', html).group(1)
    link = htmlmod.unescape(link)
    for kept in ("lang=fr", "origin=https", "embed=ecitiz-3", "primary=%23004080"):
        assert kept in link
    assert "heading=hidden" in link


def test_counter_framed_by_a_site_not_allowed_posts_nothing(client):
    html = client.get(COUNTER + "?origin=https://evil.example&embed=ecitiz-0").get_data(
        as_text=True
    )
    assert "data-ecitiz-origin" not in html
    assert "evil.example" not in html


def test_counter_says_when_procedures_open_and_until_when_they_were_open(client, store):
    org = _org(store)
    store.set_form_schedule(org, "aid-request", (LATER, None))
    store.set_form_schedule(org, "attestation", (None, EARLIER))
    html = client.get(COUNTER).get_data(as_text=True)
    upcoming, closed = _items(html)
    assert "ecitiz-procedure--upcoming" in upcoming
    assert "Ouverture le 1 mars 2099, 09:00." in upcoming
    assert "ecitiz-procedure--closed" in closed
    assert "Fermée\u00a0: elle était ouverte jusqu’au 31 mars 2020, 23:59." in closed
    # Neither can be started.
    assert "/ecitiz/f/" not in html


def test_counter_orders_open_then_opening_soon_then_closed(client, store):
    org = _org(store)
    store.set_form_schedule(org, "aid-request", (None, EARLIER))
    store.set_form_schedule(org, "attestation", (None, LATER))
    html = client.get(COUNTER).get_data(as_text=True)
    open_item, closed_item = _items(html)
    assert "Ouverte jusqu’au 1 mars 2099, 09:00." in open_item
    assert "/ecitiz/f/acme/attestation" in open_item
    assert "Fermée" in closed_item
    store.set_form_schedule(org, "attestation", (LATER, None))
    html = client.get(COUNTER).get_data(as_text=True)
    assert [("--upcoming" in i, "--closed" in i) for i in _items(html)] == [
        (True, False),
        (False, True),
    ]


def test_counter_of_an_organisation_without_procedures_says_so(client, store):
    store.create_organisation("vide", "Association Vide")
    response = client.get("/ecitiz/c/vide")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (
        "Association Vide ne propose aucune démarche en ligne pour le moment." in html
    )
    assert '<ul class="ecitiz-procedures">' not in html


@pytest.mark.parametrize(
    "path",
    ["/ecitiz/c/nobody", "/ecitiz/c/" + "a" * 300, "/ecitiz/c/ACME", "/ecitiz/c/%00"],
)
def test_unknown_counter_is_a_plain_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Set-Cookie" not in response.headers


def test_counter_may_be_framed_by_the_organisation_s_sites_only(client):
    response = client.get(COUNTER)
    policy = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors {ALLOWED} 'self'" in policy
    assert "X-Frame-Options" not in response.headers
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_counter_has_no_script_of_its_own_and_works_without_one(client):
    html = client.get(COUNTER).get_data(as_text=True)
    # The only script is the frame helper; starting a procedure is a plain link.
    assert re.findall(r"<script[^>]*>", html) == [
        '<script src="/ecitiz/widget/0.2.0/frame.js" defer>'
    ]


# -- snippets ------------------------------------------------------------------------


def test_counter_snippet_is_a_placeholder_with_a_fallback_link():
    html = str(counter_snippet(ORG, "https://k.example/ecitiz", lang="en"))
    assert html.startswith(
        '<div data-ecitiz-counter="acme" data-title="Online procedures" data-lang="en">'
        '<a href="https://k.example/ecitiz/c/acme?lang=en">'
        "See our online procedures</a></div>\n<script async src="
    )
    hidden = str(counter_snippet(ORG, "https://k.example/ecitiz", heading=False))
    assert ' data-heading="hidden"' in hidden


def test_counter_iframe_snippet_is_a_plain_titled_frame():
    html = str(
        counter_iframe_snippet(
            ORG,
            "https://k.example/ecitiz",
            lang="fr",
            height=900,
            language_switch=False,
        )
    )
    assert ' src="https://k.example/ecitiz/c/acme?lang=fr&amp;languages=hidden"' in html
    assert 'title="Démarches en ligne"' in html and ' height="900" ' in html
    assert '<a href="https://k.example/ecitiz/c/acme?lang=fr" target="_blank"' in html
    assert "<script" not in html


def test_snippet_command_prints_the_counter(runner):
    result = runner.invoke(args=["ecitiz", "snippet", ORG, "--counter"])
    assert result.exit_code == 0, result.output
    assert '<div data-ecitiz-counter="acme"' in result.output
    assert 'href="http://127.0.0.1:5000/ecitiz/c/acme"' in result.output
    assert 'integrity="sha384-' in result.output
    plain = runner.invoke(
        args=["ecitiz", "snippet", ORG, "--counter", "--iframe", "--lang", "en"]
    )
    assert plain.exit_code == 0, plain.output
    assert ' src="http://127.0.0.1:5000/ecitiz/c/acme?lang=en"' in plain.output
    assert "<script" not in plain.output
    # The frame's height follows the procedures the counter lists.
    listed = [load_catalog("aid-request"), load_catalog("attestation")]
    assert f' height="{counter_height(listed)}" ' in plain.output
    assert counter_height(listed) > counter_height(listed[:1])


@pytest.mark.parametrize(
    "args", [[ORG, "aid-request", "--counter"], [ORG, "--counter", "--status"]]
)
def test_snippet_command_refuses_a_counter_with_a_form_or_status(runner, args):
    result = runner.invoke(args=["ecitiz", "snippet", *args])
    assert result.exit_code == 1
    assert "--counter takes no FORM and no --status." in result.output


def test_staff_embed_page_gives_the_counter_snippet(staff_client):
    page = staff_client.get(f"{STAFF}/embed").get_data(as_text=True)
    text = htmlmod.unescape(page)
    assert "<h2>Présenter toutes vos démarches sur une page</h2>" in text
    assert '<div data-ecitiz-counter="acme"' in text
    assert 'href="/ecitiz/c/acme?lang=fr" target="_blank"' in text


def test_closed_procedure_page_leads_to_the_counter_inside_the_frame(client, store):
    store.set_form_schedule(_org(store), "aid-request", (None, EARLIER))
    query = f"?origin={ALLOWED}&embed=ecitiz-0"
    html = client.get(f"/ecitiz/f/{ORG}/aid-request{query}").get_data(as_text=True)
    link = htmlmod.unescape(re.search(r'href="(/ecitiz/c/acme[^"]*)"', html).group(1))
    assert "embed=ecitiz-0" in link and "origin=https" in link


def test_counter_holds_the_my_requests_form(client):
    html = client.get(COUNTER + "?lang=en").get_data(as_text=True)
    assert 'id="f-my-requests-email"' in html
    assert f'action="/ecitiz/my/{ORG}?lang=en"' in html
