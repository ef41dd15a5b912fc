"""Staff sign-in: cookies, sessions ended on the server, throttling, CSRF, headers."""

import re
import threading
import time

import pytest

from ecitiz_kit import create_app
from ecitiz_kit.staff import auth as staff_auth
from ecitiz_kit.state import state

from .helpers import (
    PASSWORD,
    SECRET,
    STAFF,
    STAFF_EMAIL,
    add_staff,
    csrf_for,
    csrf_from,
    password_hash,
    sign_in,
)


@pytest.fixture
def staff(app):
    return add_staff(app)


def _set_cookie_headers(response) -> list[str]:
    return response.headers.getlist("Set-Cookie")


# -- signing in ------------------------------------------------------------------


def test_pages_need_a_signed_in_person(client, staff):
    response = client.get(f"{STAFF}/")
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"{STAFF}/login?next=")


def test_sign_in_lands_on_the_request_list(client, staff):
    response = sign_in(client)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{STAFF}/"
    page = client.get(f"{STAFF}/")
    assert page.status_code == 200
    assert "ACME Entraide" in page.get_data(as_text=True)


def test_sign_in_goes_back_to_the_page_asked_for_but_never_elsewhere(client, staff):
    token = csrf_for(client, f"{STAFF}/login")
    data = {"csrf_token": token, "email": STAFF_EMAIL, "password": PASSWORD}
    ok = client.post(f"{STAFF}/login?next={STAFF}/password", data=data)
    assert ok.headers["Location"] == f"{STAFF}/password"
    client.post(f"{STAFF}/logout", data={"csrf_token": csrf_for(client)})
    for target in (
        "https://evil.example/",
        "//evil.example/x",
        "/elsewhere",
        f"{STAFF}/\r\nX-Injected: yes",
    ):
        token = csrf_for(client, f"{STAFF}/login")
        response = client.post(
            f"{STAFF}/login", query_string={"next": target},
            data={**data, "csrf_token": token},
        )  # fmt: skip
        assert response.headers["Location"] == f"{STAFF}/", target
        client.post(f"{STAFF}/logout", data={"csrf_token": csrf_for(client)})


def test_wrong_password_and_unknown_account_get_the_same_answer(client, staff):
    wrong = sign_in(client, password="not the password at all")
    unknown = sign_in(client, email="nobody@acme.example")
    assert wrong.status_code == unknown.status_code == 401
    text = wrong.get_data(as_text=True)
    assert "Adresse e-mail ou mot de passe incorrect" in text

    def page(response):
        html = response.get_data(as_text=True).replace("nobody@acme.example", "X")
        return re.sub(
            r'name="csrf_token" value="[^"]+"', "", html.replace(STAFF_EMAIL, "X")
        )

    assert page(wrong) == page(unknown)
    assert client.get(f"{STAFF}/").status_code == 303


def test_empty_sign_in_form_says_what_is_missing(client, staff):
    token = csrf_for(client, f"{STAFF}/login")
    response = client.post(f"{STAFF}/login", data={"csrf_token": token})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Saisissez votre adresse e-mail." in text
    assert 'aria-invalid="true"' in text


def test_eleventh_failure_is_refused_without_checking_the_password(
    client, staff, store, monkeypatch, limits_clock
):
    calls = []
    real = staff_auth.verify_password

    def counting(hash_, password):
        calls.append(password)
        return real(hash_, password)

    monkeypatch.setattr(staff_auth, "verify_password", counting)
    for attempt in range(10):
        assert sign_in(client, password=f"wrong {attempt}").status_code == 401
    assert len(calls) == 10
    refused = sign_in(client)  # the right password, but too late
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "901"  # 15 minutes, then a second
    assert "Trop de tentatives" in refused.get_data(as_text=True)
    assert len(calls) == 10, "the password must not even be checked"
    assert client.get(f"{STAFF}/").status_code == 303
    assert store.session_count(staff["id"]) == 0


def test_unknown_accounts_are_throttled_like_known_ones(client, staff, monkeypatch):
    calls = []
    monkeypatch.setattr(
        staff_auth, "verify_password", lambda h, p: calls.append(p) or False
    )
    for _ in range(10):
        assert sign_in(client, email="ghost@acme.example").status_code == 401
    assert len(calls) == 10, "unknown accounts cost a password check too"
    assert sign_in(client, email="ghost@acme.example").status_code == 429
    assert len(calls) == 10


def test_the_owner_gets_in_from_elsewhere_after_30_failures_by_someone_else(app, staff):
    attacker = app.test_client()
    answers = [
        sign_in(attacker, password=f"guess {n}", address="203.0.113.7").status_code
        for n in range(30)
    ]
    assert answers == [401] * 10 + [429] * 20
    owner = app.test_client()
    assert sign_in(owner, address="198.51.100.20").status_code == 303


def test_failures_spread_over_addresses_stay_below_the_account_ceiling(app, staff):
    # 30 failures counted against the account, from three addresses: the owner,
    # somewhere else, is still let in.
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        for n in range(10):
            sign_in(app.test_client(), password=f"guess {n}", address=address)
    assert sign_in(app.test_client(), address="198.51.100.20").status_code == 303


def test_the_guesser_stays_stopped_at_their_address(app, staff, limits_clock):
    guesser = app.test_client()
    for n in range(10):
        sign_in(guesser, password=f"guess {n}", address="203.0.113.7")
    limits_clock.advance(14 * 60)
    refused = sign_in(guesser, address="203.0.113.7")  # even the right password
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "61"
    assert re.search(r"attendez 2\s+minutes", refused.get_data(as_text=True))
    limits_clock.advance(61)
    assert sign_in(guesser, address="203.0.113.7").status_code == 303


def test_failures_on_one_account_do_not_block_others_at_the_same_address(app, staff):
    # An office behind one address: one person's mistakes block nobody else.
    add_staff(app, email="colleague@acme.example")
    for n in range(10):
        sign_in(app.test_client(), password=f"guess {n}", address="192.0.2.10")
    assert sign_in(app.test_client(), address="192.0.2.10").status_code == 429
    colleague = app.test_client()
    response = sign_in(colleague, email="colleague@acme.example", address="192.0.2.10")
    assert response.status_code == 303


def test_the_account_ceiling_stops_a_guesser_on_many_addresses_then_expires(
    app, staff, limits_clock, monkeypatch
):
    with monkeypatch.context() as patch:
        patch.setattr(staff_auth, "verify_password", lambda h, p: False)
        answers = [
            sign_in(app.test_client(), address=f"203.0.113.{n}").status_code
            for n in range(1, 52)
        ]
    assert answers == [401] * 50 + [429]
    owner = app.test_client()
    refused = sign_in(owner, address="198.51.100.20")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "301"  # sooner than the 15 minutes
    limits_clock.advance(301)
    assert sign_in(owner, address="198.51.100.20").status_code == 303


def test_limits_on_signing_in_follow_the_settings(app, staff):
    app.config["ECITIZ_LOGIN_LIMIT"] = "3 per hour"
    for n in range(3):
        page = sign_in(app.test_client(), password=f"guess {n}")
        assert page.status_code == 401
    assert "3 tentatives" in page.get_data(as_text=True)
    assert re.search(r"pendant 60\s+minutes", page.get_data(as_text=True))
    assert sign_in(app.test_client()).status_code == 429


def test_success_forgets_the_owners_own_failures(app, client, staff):
    for n in range(9):
        assert sign_in(client, password=f"typo {n}").status_code == 401
    assert sign_in(client).status_code == 303
    other_device = app.test_client()  # the same address
    answers = [
        sign_in(other_device, password=f"typo {n}").status_code for n in range(11)
    ]
    assert answers == [401] * 10 + [429]


def test_signing_in_often_is_never_throttled(app, staff):
    # Only failures count: 60 sign-ins in a row, from one address, all succeed.
    answers = {sign_in(app.test_client()).status_code for _ in range(60)}
    assert answers == {303}


def test_turning_limits_off_lets_every_attempt_through(app, staff):
    app.config["ECITIZ_RATELIMIT_ENABLED"] = False
    client = app.test_client()
    answers = {sign_in(client, password=f"guess {n}").status_code for n in range(60)}
    assert answers == {401}
    assert sign_in(client).status_code == 303


def test_parallel_attempts_cannot_pass_the_limit(app, staff, monkeypatch):
    # Each attempt is counted before its password check: attempts racing each
    # other still get ten password checks between them, no more.
    checked = []

    def slow_wrong(hash_, password):
        checked.append(password)
        time.sleep(0.05)
        return False

    monkeypatch.setattr(staff_auth, "verify_password", slow_wrong)
    clients = [app.test_client() for _ in range(20)]
    pages = [c.get(f"{STAFF}/login").get_data(as_text=True) for c in clients]
    answers = []

    def attempt(client, page):
        answers.append(
            client.post(
                f"{STAFF}/login",
                data={
                    "csrf_token": csrf_from(page),
                    "email": STAFF_EMAIL,
                    "password": "wrong password!",
                },
            ).status_code
        )

    threads = [
        threading.Thread(target=attempt, args=pair)
        for pair in zip(clients, pages, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [401] * 10 + [429] * 10
    assert len(checked) == 10


# -- cookies -------------------------------------------------------------------


def test_cookie_over_http_is_httponly_lax_and_scoped_to_the_dashboard(client, staff):
    response = sign_in(client)
    [cookie] = _set_cookie_headers(response)
    assert cookie.startswith("ecitiz_staff=")
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "secure" not in attributes
    assert "path=/ecitiz/staff" in attributes


@pytest.fixture
def https_app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET,
            "ECITIZ_DATA_DIR": str(tmp_path / "https"),
            "ECITIZ_PUBLIC_URL": "https://forms.example.org",
        }
    )
    with app.app_context():
        state(app).store.create_organisation("acme", "ACME Entraide")
    add_staff(app)
    return app


def test_cookie_over_https_is_secure_with_the_host_prefix(https_app):
    client = https_app.test_client()
    response = sign_in(client)
    assert response.status_code == 303
    [cookie] = _set_cookie_headers(response)
    assert cookie.startswith("__Host-ecitiz_staff=")
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "samesite=lax", "path=/"} <= attributes
    assert not any(a.startswith("domain=") for a in attributes)


def test_request_scheme_https_also_makes_the_cookie_secure(app, staff):
    client = app.test_client()
    page = client.get(f"{STAFF}/login", base_url="https://localhost")
    [cookie] = _set_cookie_headers(page)
    assert cookie.startswith("__Host-ecitiz_staff=") and "Secure" in cookie


def test_kit_leaves_the_host_session_alone(client, staff):
    sign_in(client)
    client.get(f"{STAFF}/")
    assert client.get_cookie("session") is None


# -- sessions ended on the server ------------------------------------------------


def _cookie(client):
    return client.get_cookie("ecitiz_staff", path="/ecitiz/staff").value


def _replay(app, value):
    other = app.test_client()
    other.set_cookie("ecitiz_staff", value, path="/ecitiz/staff")
    return other.get(f"{STAFF}/")


def test_replaying_the_cookie_after_logout_lands_on_login(app, client, staff):
    sign_in(client)
    old = _cookie(client)
    assert _replay(app, old).status_code == 200
    response = client.post(f"{STAFF}/logout", data={"csrf_token": csrf_for(client)})
    assert response.status_code == 303
    replayed = _replay(app, old)
    assert replayed.status_code == 303
    assert replayed.headers["Location"].startswith(f"{STAFF}/login")


def test_logout_ends_only_this_device(app, staff):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop)
    sign_in(phone)
    laptop.post(f"{STAFF}/logout", data={"csrf_token": csrf_for(laptop)})
    assert laptop.get(f"{STAFF}/").status_code == 303
    assert phone.get(f"{STAFF}/").status_code == 200


def test_password_change_ends_every_other_session(app, staff, store):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop)
    sign_in(phone)
    old = _cookie(laptop)
    new_password = "an entirely new passphrase"
    response = laptop.post(
        f"{STAFF}/password",
        data={
            "csrf_token": csrf_for(laptop, f"{STAFF}/password"),
            "current": PASSWORD,
            "new": new_password,
            "confirm": new_password,
        },
    )
    assert response.status_code == 200
    assert "a été modifié" in response.get_data(as_text=True)
    assert laptop.get(f"{STAFF}/").status_code == 200  # this device goes on
    assert phone.get(f"{STAFF}/").status_code == 303
    assert _replay(app, old).status_code == 303
    assert store.session_count(staff["id"]) == 1
    fresh = app.test_client()
    assert sign_in(fresh).status_code == 401
    assert sign_in(fresh, password=new_password).status_code == 303


@pytest.mark.parametrize(
    "current,new,confirm,message",
    [
        ("wrong current password", "a long new password", "a long new password",
         "n’est pas votre mot de passe actuel"),
        (PASSWORD, "short", "short", "Choisissez un mot de passe de 12"),
        (PASSWORD, "a long new password", "another long one!", "diffèrent"),
    ],
)  # fmt: skip
def test_refused_password_change_changes_nothing(
    app, client, staff, store, current, new, confirm, message
):
    sign_in(client)
    response = client.post(
        f"{STAFF}/password",
        data={
            "csrf_token": csrf_for(client, f"{STAFF}/password"),
            "current": current, "new": new, "confirm": confirm,
        },
    )  # fmt: skip
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert store.staff_by_email(STAFF_EMAIL)["password_hash"] == password_hash()
    assert client.get(f"{STAFF}/").status_code == 200


def test_reset_password_command_sets_it_and_ends_sessions(app, staff, runner):
    client = app.test_client()
    sign_in(client)
    result = runner.invoke(
        args=["ecitiz", "reset-password", "acme", STAFF_EMAIL],
        input="a brand new passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "1" in result.output
    assert client.get(f"{STAFF}/").status_code == 303
    assert (
        sign_in(app.test_client(), password="a brand new passphrase").status_code == 303
    )


@pytest.mark.parametrize(
    "args,stdin,message",
    [
        (
            ["acme", "nobody@acme.example"],
            "a brand new passphrase\n",
            "no staff account",
        ),
        (["nowhere", STAFF_EMAIL], "a brand new passphrase\n", "no organisation"),
        (["acme", STAFF_EMAIL], "short\n", "at least 12"),
    ],
)
def test_reset_password_command_refuses_bad_input(
    app, staff, runner, args, stdin, message
):
    result = runner.invoke(args=["ecitiz", "reset-password", *args], input=stdin)
    assert result.exit_code == 1
    assert message in result.output
    with app.app_context():
        assert state(app).store.staff_by_email(STAFF_EMAIL)["password_hash"] == (
            password_hash()
        )


# -- CSRF ----------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "forged.token.value"])
def test_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(
    client, staff, store, token
):
    sign_in(client)
    data = {} if token is None else {"csrf_token": token}
    response = client.post(f"{STAFF}/logout", data=data)
    assert response.status_code == 400
    assert "rien n’a été modifié" in response.get_data(as_text=True)
    assert client.get(f"{STAFF}/").status_code == 200  # still signed in
    assert store.session_count(staff["id"]) == 1


def test_csrf_token_of_another_browser_is_refused(app, staff):
    mine, theirs = app.test_client(), app.test_client()
    sign_in(mine)
    sign_in(theirs)
    response = mine.post(f"{STAFF}/logout", data={"csrf_token": csrf_for(theirs)})
    assert response.status_code == 400
    assert mine.get(f"{STAFF}/").status_code == 200


def test_login_post_without_csrf_is_refused(client, staff, store):
    response = client.post(
        f"{STAFF}/login", data={"email": STAFF_EMAIL, "password": PASSWORD}
    )
    assert response.status_code == 400
    assert store.session_count(staff["id"]) == 0


# -- headers -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/", "/password", "/requests/999"])
def test_staff_pages_are_never_framed_nor_cached(client, staff, path):
    if path != "/login":
        sign_in(client)
    response = client.get(STAFF + path)
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'none'" in csp and "frame-src 'self'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_staff_pages_follow_the_language_asked_for(client, staff):
    assert "Se connecter" in client.get(f"{STAFF}/login").get_data(as_text=True)
    english = client.get(f"{STAFF}/login?lang=en").get_data(as_text=True)
    assert "Sign in to the dashboard" in english
    by_browser = client.get(f"{STAFF}/login", headers={"Accept-Language": "en"})
    assert "Sign in to the dashboard" in by_browser.get_data(as_text=True)


def test_signing_in_again_replaces_this_device_session(app, client, staff, store):
    sign_in(client)
    old = _cookie(client)
    data = {"csrf_token": csrf_for(client), "email": STAFF_EMAIL, "password": PASSWORD}
    assert client.post(f"{STAFF}/login", data=data).status_code == 303
    assert store.session_count(staff["id"]) == 1
    assert _replay(app, old).status_code == 303


def test_password_change_attempts_are_throttled_too(client, staff, monkeypatch):
    sign_in(client)
    calls = []
    monkeypatch.setattr(
        staff_auth, "verify_password", lambda h, p: calls.append(p) or False
    )
    for n in range(11):
        response = client.post(
            f"{STAFF}/password",
            data={
                "csrf_token": csrf_for(client, f"{STAFF}/password"),
                "current": f"guess number {n}",
                "new": "a long new password",
                "confirm": "a long new password",
            },
        )
    assert response.status_code == 429
    assert len(calls) == 10


def test_a_chosen_language_stays_from_page_to_page(client, staff):
    response = sign_in(client)
    page = client.get(f"{STAFF}/?lang=en").get_data(as_text=True)
    assert f'href="{STAFF}/account?lang=en"' in page
    assert "Change my password" in client.get(f"{STAFF}/password?lang=en").get_data(
        as_text=True
    )
    assert response.headers["Location"] == f"{STAFF}/"
    # The cookie's path never carries the language.
    assert client.get_cookie("ecitiz_staff", path="/ecitiz/staff") is not None


def test_signing_in_in_english_keeps_the_cookie_path_and_language(client, staff):
    page = client.get(f"{STAFF}/login?lang=en").get_data(as_text=True)
    assert f'action="{STAFF}/login?lang=en"' in page
    data = {"csrf_token": csrf_from(page), "email": STAFF_EMAIL, "password": PASSWORD}
    response = client.post(f"{STAFF}/login?lang=en", data=data)
    assert response.headers["Location"] == f"{STAFF}/?lang=en"
    [cookie] = _set_cookie_headers(response)
    assert "Path=/ecitiz/staff;" in cookie or cookie.endswith("Path=/ecitiz/staff")
