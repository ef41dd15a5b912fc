"""The settings page: contact address, tracking page and theme, saved together
or not at all, with each refusal explained; and the same rules on the command line."""

import html as htmlmod

import pytest

from .helpers import (
    ALLOWED,
    ORG,
    STAFF,
    STAFF_EMAIL,
    add_staff,
    aid_answers,
    csrf_for,
    form_url,
    post_form,
    sign_in,
    with_file,
)

GOOD = {
    "contact_email": "accueil@acme.example",
    "tracking_page": ALLOWED + "/suivi?x=1",
    "primary": "#7C2D12",
    "radius": "8",
    "font": "serif",
}


def _settings(store, org=ORG):
    organisation = store.organisation(org)
    return (
        organisation["contact_email"],
        store.tracking_page(organisation["id"]),
        organisation["theme_primary"],
        organisation["theme_radius"],
        organisation["theme_font"],
    )


def _save(client, lang="fr", **values):
    data = {"csrf_token": csrf_for(client, f"{STAFF}/settings"), **GOOD, **values}
    return client.post(f"{STAFF}/settings?lang={lang}", data=data)


def test_settings_are_saved_together_and_shown_again(staff_client, store):
    response = _save(staff_client)
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"{STAFF}/settings?")
    assert _settings(store) == (
        "accueil@acme.example",
        ALLOWED + "/suivi?x=1",
        "#7c2d12",
        8,
        "serif",
    )
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Les réglages ont été enregistrés." in htmlmod.unescape(page)
    assert 'value="accueil@acme.example"' in page
    assert 'value="#7c2d12"' in page
    assert '<option value="serif" selected>' in page


def test_empty_values_go_back_to_the_defaults(staff_client, store):
    _save(staff_client)
    response = _save(
        staff_client, contact_email="", tracking_page="", primary="", radius="", font=""
    )
    assert response.status_code == 303
    assert _settings(store) == (None, None, None, None, None)


@pytest.mark.parametrize(
    "field,value,fr,en",
    [
        ("primary", "red", "Indiquez une couleur", "Give a colour as #"),
        ("primary", "#12345g", "Indiquez une couleur", "Give a colour as #"),
        ("primary", "#fff", "difficile à lire", "hard to read"),
        ("primary", "#1d4ed8;x" + "0" * 300, "Indiquez une couleur", "Give a colour"),
        ("radius", "-1", "de 0 à 24", "from 0 to 24"),
        ("radius", "25", "de 0 à 24", "from 0 to 24"),
        ("radius", "8px", "de 0 à 24", "from 0 to 24"),
        ("font", "comic", "Choisissez une des polices", "Choose one of the fonts"),
        ("tracking_page", "javascript:alert(1)", "Indiquez l’adresse", "starting with"),
        ("tracking_page", "/suivi", "Indiquez l’adresse", "starting with https://"),
        (
            "tracking_page",
            "https://evil.example/suivi",
            "https://evil.example ne fait pas partie des sites",
            "https://evil.example is not among the websites",
        ),
        ("tracking_page", ALLOWED + "/suivi#top", "partie après #", "part from #"),
        (
            "tracking_page",
            ALLOWED + '/a"><script>alert(1)</script>',
            "ni guillemets",
            "quotes and angle brackets",
        ),
        ("tracking_page", ALLOWED + "/a b", "ni espaces", "check it for spaces"),
        (
            "tracking_page",
            ALLOWED + "/" + "a" * 600,
            "trop longue",
            "too long",
        ),
        ("contact_email", "not an address", "adresse e-mail", "e-mail address"),
        (
            "contact_email",
            "a@" + "b" * 260 + ".org",
            "adresse e-mail",
            "e-mail address",
        ),
    ],
)
def test_a_refused_value_saves_nothing_and_says_why_in_both_languages(
    staff_client, store, field, value, fr, en
):
    before = _settings(store)
    for lang, message in (("fr", fr), ("en", en)):
        response = _save(staff_client, lang=lang, **{field: value})
        assert response.status_code == 422
        page = htmlmod.unescape(response.get_data(as_text=True))
        assert message in page
        assert 'class="ecitiz-error-summary"' in page
        assert f'href="#f-{field}"' in page  # the summary leads to the field
        assert page.count('aria-invalid="true"') == 1
        assert _settings(store) == before


def test_several_refusals_are_all_listed(staff_client, store):
    response = _save(staff_client, lang="en", primary="#fff", radius="99", font="x")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "There are 3 problems" in page
    assert _settings(store) == (None, None, None, None, None)


def test_a_post_without_the_csrf_token_changes_nothing(staff_client, store):
    response = staff_client.post(f"{STAFF}/settings", data=GOOD)
    assert response.status_code == 400
    assert _settings(store) == (None, None, None, None, None)


def test_only_signed_in_staff_reach_the_settings(client, store):
    assert client.get(f"{STAFF}/settings").status_code == 303
    response = client.post(f"{STAFF}/settings", data=GOOD)
    assert response.status_code in (303, 400)
    assert _settings(store) == (None, None, None, None, None)


def test_staff_of_another_organisation_neither_read_nor_change_them(
    app, staff_client, store
):
    _save(staff_client)
    acme = _settings(store)
    other = store.create_organisation("globex", "Globex")
    store.add_allowed_origin(other["id"], "https://globex.example")
    add_staff(app, "globex", "boss@globex.example")
    intruder = app.test_client()
    sign_in(intruder, email="boss@globex.example")
    page = intruder.get(f"{STAFF}/settings").get_data(as_text=True)
    assert "accueil@acme.example" not in page and "#7c2d12" not in page
    response = _save(intruder, tracking_page="https://globex.example/t")
    assert response.status_code == 303
    assert _settings(store) == acme
    assert _settings(store, "globex")[:3] == (
        "accueil@acme.example",
        "https://globex.example/t",
        "#7c2d12",
    )
    # Acme's allowed site is not Globex's.
    assert _save(intruder, tracking_page=ALLOWED + "/suivi").status_code == 422


def test_an_agent_may_not_read_or_change_the_settings(app, staff_client, store):
    add_staff(app, email="boss@acme.example")  # the organisation keeps an admin
    staff = store.staff_by_email(STAFF_EMAIL)
    token = csrf_for(staff_client, f"{STAFF}/")
    store.set_staff_role(staff["id"], "agent")
    assert staff_client.get(f"{STAFF}/settings").status_code == 403
    response = staff_client.post(
        f"{STAFF}/settings", data={"csrf_token": token, **GOOD}
    )
    assert response.status_code == 403
    assert _settings(store) == (None, None, None, None, None)
    store.set_staff_role(staff["id"], "admin")
    assert staff_client.get(f"{STAFF}/settings").status_code == 200


# -- the saved theme on the public pages -----------------------------------------


def test_the_saved_theme_styles_the_form_and_an_embed_overrides_it(
    staff_client, client
):
    _save(staff_client)
    page = client.get(form_url()).get_data(as_text=True)
    assert "--ecitiz-primary:#7c2d12" in page
    assert "--ecitiz-radius:8px" in page
    assert "Georgia" in page
    embedded = client.get(
        form_url() + f"?origin={ALLOWED}&embed=ecitiz-0&primary=%23b91c1c"
    )
    text = embedded.get_data(as_text=True)
    assert "--ecitiz-primary:#b91c1c" in text and "#7c2d12" not in text
    assert "--ecitiz-radius:8px" in text  # the values it did not set stay
    # The style is allowed by its nonce, nothing broader.
    nonce = text.split('<style nonce="', 1)[1].split('"', 1)[0]
    assert (
        f"style-src 'self' 'nonce-{nonce}'"
        in embedded.headers["Content-Security-Policy"]
    )


def test_the_saved_theme_styles_the_other_public_pages_too(runner, client):
    runner.invoke(args=["ecitiz", "theme", ORG, "--primary", "#7c2d12"])
    receipt = post_form(client, with_file(aid_answers()))
    for url in (
        receipt.headers["Location"],
        f"/ecitiz/t/{ORG}",
        f"/ecitiz/my/{ORG}",
        f"/ecitiz/c/{ORG}",
        form_url() + "?origin=https://evil.example&embed=x",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "--ecitiz-primary:#7c2d12" in response.get_data(as_text=True), url
    # A page of an unknown organisation has no theme to take.
    assert "<style" not in client.get("/ecitiz/t/nobody").get_data(as_text=True)


def test_a_page_without_a_saved_theme_has_no_style_element(client):
    assert "<style" not in client.get(form_url()).get_data(as_text=True)


# -- the same rules on the command line --------------------------------------------


def test_theme_command_sets_and_clears_the_theme(runner, store):
    result = runner.invoke(
        args=["ecitiz", "theme", ORG, "--primary", "#7C2D12", "--radius", "8"]
    )
    assert result.exit_code == 0, result.output
    assert _settings(store)[2:] == ("#7c2d12", 8, None)
    result = runner.invoke(args=["ecitiz", "theme", ORG, "--clear"])
    assert result.exit_code == 0, result.output
    assert _settings(store)[2:] == (None, None, None)


@pytest.mark.parametrize(
    "args,message",
    [
        (["--primary", "red"], "#rgb or #rrggbb"),
        (["--primary", "#fff"], "contrast"),
        (["--radius", "25"], "0 to 24"),
        (["--radius", "8px"], "0 to 24"),
        (["--font", "comic"], "choose a font among"),
        ([], "give --primary"),
        (["--clear", "--font", "serif"], "give --primary"),
    ],
)
def test_theme_command_refuses_bad_values_in_one_line(runner, store, args, message):
    runner.invoke(args=["ecitiz", "theme", ORG, "--font", "mono"])
    result = runner.invoke(args=["ecitiz", "theme", ORG, *args])
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert _settings(store)[2:] == (None, None, "mono")


def test_contact_command_sets_refuses_and_clears(runner, store):
    result = runner.invoke(args=["ecitiz", "contact", ORG, " accueil@acme.example "])
    assert result.exit_code == 0, result.output
    assert _settings(store)[0] == "accueil@acme.example"
    result = runner.invoke(args=["ecitiz", "contact", ORG, "not an address"])
    assert result.exit_code == 1 and "is not an e-mail address" in result.output
    assert _settings(store)[0] == "accueil@acme.example"
    result = runner.invoke(args=["ecitiz", "contact", ORG, "--clear"])
    assert result.exit_code == 0, result.output
    assert _settings(store)[0] is None


def test_tracking_page_command_names_the_reason(runner, store):
    result = runner.invoke(
        args=["ecitiz", "tracking-page", ORG, "https://evil.example/suivi"]
    )
    assert result.exit_code == 1
    assert "may not embed" in result.output
    assert _settings(store)[1] is None


# -- one's own account: new-request e-mails --------------------------------------


def test_staff_turn_new_request_emails_on_and_off_on_their_account_page(
    app, staff_client, store
):
    org = store.organisation(ORG)
    add_staff(app, email="other@acme.example")
    page = staff_client.get(f"{STAFF}/account").get_data(as_text=True)
    assert 'id="f-notify"' in page and 'id="f-notify" name="notify" value="y"' in page
    assert "checked" not in page
    token = csrf_for(staff_client, f"{STAFF}/account")
    response = staff_client.post(
        f"{STAFF}/account", data={"csrf_token": token, "notify": "y"}
    )
    assert response.status_code == 303
    assert store.staff_to_notify(org["id"]) == ["agent@acme.example"]
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Vous recevrez un e-mail pour chaque nouvelle demande." in page
    assert " checked>" in page
    # An unticked box is not sent at all: off.
    response = staff_client.post(f"{STAFF}/account", data={"csrf_token": token})
    assert response.status_code == 303
    assert store.staff_to_notify(org["id"]) == []


def test_the_account_page_refuses_a_post_without_the_csrf_token(staff_client, store):
    response = staff_client.post(f"{STAFF}/account", data={"notify": "y"})
    assert response.status_code == 400
    assert store.staff_to_notify(store.organisation(ORG)["id"]) == []
