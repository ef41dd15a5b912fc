"""The embed page: snippets, previews and the allowed websites, with refusals."""

import html as htmlmod

import pytest

from ecitiz_kit import __version__
from ecitiz_kit.forms.loading import load_catalog
from ecitiz_kit.web.frame_heights import fitting_height
from ecitiz_kit.web.scripts import integrity

from .helpers import ALLOWED, ORG, STAFF, csrf_for, form_url


def _origins(store):
    return store.allowed_origins(store.organisation(ORG)["id"])


def _post(client, path, **data):
    return client.post(f"{STAFF}{path}", data={"csrf_token": csrf_for(client), **data})


def test_embed_page_gives_a_snippet_and_a_preview_per_form(staff_client):
    response = staff_client.get(f"{STAFF}/embed")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    text = htmlmod.unescape(page)
    for form_id in ("aid-request", "attestation"):
        # The snippet to paste: a placeholder with its fallback link, the loader
        # with its integrity hash, and the plain frame for builders that strip
        # scripts.
        assert f'<div data-ecitiz-form="{ORG}/{form_id}"' in text
        assert f'<a href="http://localhost{form_url(form_id)}?lang=fr">' in text
        assert f' src="http://localhost{form_url(form_id)}?lang=fr" title=' in text
        assert f'height="{fitting_height(load_catalog(form_id))}"' in text
        assert f'class="ecitiz-preview" src="{form_url(form_id)}?lang=fr"' in page
    loader = f"http://localhost/ecitiz/widget/{__version__}/ecitiz.js"
    assert f'src="{loader}" integrity="{integrity()}"' in text
    assert f'<div data-ecitiz-status="{ORG}"' in text
    assert ALLOWED in page
    assert "frame-src 'self'" in response.headers["Content-Security-Policy"]


def test_form_pages_let_the_kit_frame_them_for_the_preview(client):
    csp = client.get(form_url()).headers["Content-Security-Policy"]
    assert f"frame-ancestors {ALLOWED} 'self'" in csp


def test_adding_an_origin_normalises_it_and_lets_it_frame_the_forms(
    staff_client, client, store
):
    response = _post(staff_client, "/embed/origins", origin="HTTPS://Shop.Example:443/")
    assert response.status_code == 303
    assert "https://shop.example" in _origins(store)
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "https://shop.example peut maintenant afficher vos formulaires." in page
    csp = client.get(form_url()).headers["Content-Security-Policy"]
    assert "https://shop.example" in csp


@pytest.mark.parametrize(
    "origin,message",
    [
        ("", "Saisissez l’adresse d’un site web"),
        ("https://*.example.org", "ne sont pas acceptées"),
        ("www.example.org", "Commencez l’adresse par https://"),
        ("https://www.example.org/contact", "sans page"),
        ("https://user:secret@www.example.org", "Retirez le nom d’utilisateur"),
        ("https://exa mple.org", "Le nom du site n’est pas valide"),
        ("https://" + "a" * 300 + ".org", "Saisissez l’adresse d’un site web"),
        ("javascript:alert(1)", "Commencez l’adresse par"),
    ],
)
def test_bad_origins_are_refused_with_the_reason(staff_client, store, origin, message):
    before = store.table_counts(), _origins(store)
    response = _post(staff_client, "/embed/origins", origin=origin)
    assert response.status_code == 422
    page = htmlmod.unescape(response.get_data(as_text=True))
    assert message in page
    assert 'aria-invalid="true"' in page
    assert (store.table_counts(), _origins(store)) == before


def test_removing_an_origin_stops_it_framing_the_forms(staff_client, client, store):
    response = _post(staff_client, "/embed/origins/remove", origin=ALLOWED)
    assert response.status_code == 303
    assert ALLOWED not in _origins(store)
    csp = client.get(form_url()).headers["Content-Security-Policy"]
    assert ALLOWED not in csp


@pytest.mark.parametrize("origin", ["https://never.example", "", "x" * 400])
def test_removing_an_origin_not_in_the_list_is_404(staff_client, store, origin):
    before = store.table_counts(), _origins(store)
    response = _post(staff_client, "/embed/origins/remove", origin=origin)
    assert response.status_code == 404
    assert (store.table_counts(), _origins(store)) == before


def test_origin_changes_need_a_csrf_token(staff_client, store):
    before = _origins(store)
    add = staff_client.post(
        f"{STAFF}/embed/origins", data={"origin": "https://a.example"}
    )
    remove = staff_client.post(
        f"{STAFF}/embed/origins/remove", data={"origin": ALLOWED, "csrf_token": "x"}
    )
    assert add.status_code == remove.status_code == 400
    assert _origins(store) == before


def test_embed_options_regenerate_every_snippet_without_javascript(staff_client, store):
    forms = len(store.enabled_forms(store.organisation(ORG)["id"]))
    plain = htmlmod.unescape(staff_client.get(f"{STAFF}/embed").get_data(as_text=True))
    assert 'data-heading="hidden"' not in plain and "heading=hidden" not in plain
    page = staff_client.get(f"{STAFF}/embed?heading=hidden&languages=hidden&lang=en")
    text = htmlmod.unescape(page.get_data(as_text=True))
    # The language link keeps the options chosen.
    assert 'href="?heading=hidden&languages=hidden&lang=fr"' in text
    # Each form's snippet and its plain frame, the status snippet and the
    # counter's.
    main = text[text.index("<main") :]
    assert main.count('data-heading="hidden" data-languages="hidden"') == forms + 2
    assert main.count("heading=hidden&languages=hidden") == forms
    # The options stay ticked, and the page stays in the chosen language.
    assert 'name="heading" value="hidden" checked' in text
    assert 'name="languages" value="hidden" checked' in text
    assert '<input type="hidden" name="lang" value="en">' in text
    only = staff_client.get(f"{STAFF}/embed?languages=hidden").get_data(as_text=True)
    only = htmlmod.unescape(only)
    assert 'data-languages="hidden"' in only and 'data-heading="hidden"' not in only


def test_embed_page_shows_the_tracking_page_and_links_to_the_settings(
    staff_client, store
):
    page = htmlmod.unescape(staff_client.get(f"{STAFF}/embed").get_data(as_text=True))
    assert "flask ecitiz" not in page
    assert "Votre page de suivi : non renseignée" in page.replace("\u00a0", " ")
    assert f'href="{STAFF}/settings"' in page
    store.set_tracking_page(store.organisation(ORG)["id"], ALLOWED + "/suivi")
    page = htmlmod.unescape(staff_client.get(f"{STAFF}/embed").get_data(as_text=True))
    assert f"Votre page de suivi\u00a0: {ALLOWED}/suivi" in page
