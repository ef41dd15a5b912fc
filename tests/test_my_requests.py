""" "My requests": an address gets a short-lived link to the list of the requests
it sent to one organisation, and the page asking tells nobody anything."""

import re
import time
from datetime import timedelta
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest

from ecitiz_kit import lifecycle
from ecitiz_kit.domain.notices import Notices
from ecitiz_kit.forms.loading import load_catalog
from ecitiz_kit.i18n import text
from ecitiz_kit.state import state
from ecitiz_kit.store import utcnow
from ecitiz_kit.store.base import Base
from ecitiz_kit.store.migrations import MIGRATIONS

from .helpers import (
    ALLOWED,
    ORG,
    REFERENCE,
    add_request,
    aid_answers,
    at,
    execute,
    form_url,
    hidden_inputs,
    migrated_before,
    post_form,
    send_mail,
    with_file,
)

MINE = f"/ecitiz/my/{ORG}"


@pytest.fixture
def unlimited(app):
    app.config["ECITIZ_LOST_LINK_LIMIT"] = None
    return app


def ask(client, email, org=ORG, **kw):
    page = client.get(f"/ecitiz/my/{org}")
    ticket = hidden_inputs(page.get_data(as_text=True))["ticket"]
    return client.post(
        f"/ecitiz/my/{org}", data={"ticket": ticket, "email": email}, **kw
    )


def my_mails(store):
    return [m for m in store.outbox_messages() if m["kind"] == "my-requests"]


def asks(store):
    return store._all("SELECT * FROM lost_link_requests ORDER BY id")


def list_path(mail):
    return urlsplit(re.search(r"https?://\S+", mail["body_text"]).group(0)).path


def org_id(store, slug=ORG):
    return store.organisation(slug)["id"]


@pytest.fixture
def globex(store):
    """Another organisation offering the same form."""
    org = store.create_organisation("globex", "Globex")
    definition = load_catalog("aid-request")
    store.enable_form(org["id"], "aid-request", definition.version, None, 730)
    return org


# -- the list --------------------------------------------------------------------------


def test_every_request_of_the_address_is_listed_and_nothing_else(
    unlimited, client, store, globex
):
    acme = org_id(store)
    older = add_request(
        store, acme, at("2026-11-02 10:00"), email="camille@example.org"
    )
    newer = add_request(
        store, acme, at("2026-11-05 09:30"), email="Camille@Example.ORG",
        form_id="attestation",
    )  # fmt: skip
    someone_else = add_request(
        store, acme, at("2026-11-03 10:00"), email="dominique@example.org"
    )
    elsewhere = add_request(
        store, globex["id"], at("2026-11-04 10:00"), email="camille@example.org"
    )

    assert ask(client, "  CAMILLE@example.org ").status_code == 200
    [mail] = my_mails(store)
    assert mail["recipient"] == "Camille@Example.ORG"  # as last written, not as typed
    assert mail["lang"] == "fr" and mail["subject"] == "Vos demandes à ACME Entraide"
    assert mail["submission_id"] is None
    page = client.get(list_path(mail))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Set-Cookie" not in page.headers
    assert page.headers["Cache-Control"] == "no-store"
    # Newest first: procedure, reference, status in words, date, tracking link.
    items = html.split("<li>")[1:]
    assert len(items) == 2
    for item, request, form_id, day in (
        (items[0], newer, "attestation", "5 nov. 2026"),
        (items[1], older, "aid-request", "2 nov. 2026"),
    ):
        assert f"<h2>{text(load_catalog(form_id).title, 'fr')}</h2>" in item
        assert f'class="ecitiz-reference">{request["reference"]}<' in item
        assert f">{lifecycle.status_name('submitted', 'fr')}</strong>" in item
        assert day in item
    assert REFERENCE.findall(html) == [older["reference"]] * 2  # shown, linked
    assert someone_else["reference"] not in html
    assert elsewhere["reference"] not in html
    links = re.findall(r'href="(/ecitiz/s/[^"]+)"', html)
    assert len(links) == 2
    for link, request in zip(links, (newer, older), strict=True):
        tracking = client.get(link.replace("&amp;", "&"))
        assert tracking.status_code == 200
        assert request["reference"] in tracking.get_data(as_text=True)


def test_the_status_is_in_the_tracking_pages_words(unlimited, client, store):
    request = add_request(store, org_id(store), at("2026-11-02 10:00"))
    store.change_status(
        request["id"], expected="submitted", to_status="in_review", actor="staff"
    )
    ask(client, "camille@example.org")
    path = list_path(my_mails(store)[0])
    for lang in ("fr", "en"):
        html = client.get(f"{path}?lang={lang}").get_data(as_text=True)
        shown = re.search(r'ecitiz-status--in_review">([^<]+)<', html).group(1)
        tracking = re.search(r'href="(/ecitiz/s/[^"]+)"', html).group(1)
        status = client.get(tracking.replace("&amp;", "&")).get_data(as_text=True)
        assert f'ecitiz-status--in_review">{shown}<' in status
    assert shown == lifecycle.status_name("in_review", "en")


def test_the_mail_is_in_the_page_language_with_a_working_link(unlimited, client, store):
    add_request(store, org_id(store), at("2026-11-02 10:00"))
    ask(client, "camille@example.org", headers={"Accept-Language": "en"})
    [mail] = my_mails(store)
    assert mail["lang"] == "en" and mail["subject"] == "Your requests to ACME Entraide"
    assert "This link works for 60 minutes" in mail["body_text"]
    path = list_path(mail)
    assert path in mail["body_html"]
    assert "camille" not in path.casefold()  # the link carries no address
    assert client.get(path).status_code == 200
    assert "IBAN" not in mail["body_text"] and "Boulangerie" not in mail["body_text"]


def test_the_embed_parameters_are_kept_on_the_lists_links(unlimited, client, store):
    add_request(store, org_id(store), at("2026-11-02 10:00"))
    ask(client, "camille@example.org")
    framed = f"{list_path(my_mails(store)[0])}?origin={ALLOWED}&embed=e1&lang=en"
    page = client.get(framed)
    assert f"frame-ancestors {ALLOWED}" in page.headers["Content-Security-Policy"]
    html = page.get_data(as_text=True)
    for link in re.findall(r'href="(/ecitiz/(?:s|my)/[^"]+)"', html):
        query = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
        assert query["origin"] == [ALLOWED] and query["embed"] == ["e1"], link
        assert query["lang"] == ["en"]


def test_a_request_whose_form_is_gone_is_not_listed(unlimited, client, store):
    kept = add_request(store, org_id(store), at("2026-11-02 10:00"))
    gone = add_request(
        store, org_id(store), at("2026-11-03 10:00"), form_id="attestation"
    )
    execute(
        store,
        "DELETE FROM forms WHERE organisation_id = ? AND form_id = 'attestation'",
        (org_id(store),),
    )
    ask(client, "camille@example.org")
    html = client.get(list_path(my_mails(store)[0])).get_data(as_text=True)
    assert kept["reference"] in html and gone["reference"] not in html


# -- telling nobody anything -----------------------------------------------------------


def test_an_address_with_requests_and_one_without_get_the_same_answer(
    unlimited, client, store
):
    add_request(store, org_id(store), at("2026-11-02 10:00"))
    known = ask(client, "camille@example.org")
    unknown = ask(client, "nobody@example.org")
    for response in (known, unknown):
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
    assert known.get_data() == unknown.get_data()
    assert known.headers == unknown.headers
    # Only the known address gets an e-mail; every ask did one write.
    [mail] = my_mails(store)
    assert mail["recipient"] == "camille@example.org"
    assert [r["matched"] for r in asks(store)] == [1, 0]
    assert store.table_counts()["applicant_links"] == 1


def test_another_organisations_requests_are_not_found(unlimited, client, store, globex):
    add_request(store, org_id(store), at("2026-11-02 10:00"))
    response = ask(client, "camille@example.org", org="globex")
    assert response.status_code == 200
    assert my_mails(store) == []
    assert asks(store)[0]["organisation_id"] == globex["id"]


def test_a_known_address_costs_the_same_work_as_an_unknown_one(
    unlimited, client, store, monkeypatch
):
    """What would let an asker tell the two apart by the time the page takes:
    a message composed for one only, or a write transaction (a commit that
    waits for the disk) for one only. Both do the same, so neither shows."""
    add_request(store, org_id(store), at("2026-11-02 10:00"))
    work: list[str] = []
    compose, write = Notices.my_requests, Base._write

    def composing(self, *args, **kwargs):
        work.append("compose")
        return compose(self, *args, **kwargs)

    def writing(self, *args, **kwargs):
        work.append("commit")
        return write(self, *args, **kwargs)

    monkeypatch.setattr(Notices, "my_requests", composing)
    monkeypatch.setattr(Base, "_write", writing)
    done = {}
    for name, email in (("known", "camille@example.org"), ("unknown", "x@example.org")):
        ticket = hidden_inputs(client.get(MINE).get_data(as_text=True))["ticket"]
        work.clear()
        response = client.post(MINE, data={"ticket": ticket, "email": email})
        assert response.status_code == 200
        done[name] = sorted(work)
    assert done["known"] == done["unknown"] == ["commit", "compose"], done
    # The known address was found (a message queued), the other not.
    assert [m["recipient"] for m in my_mails(store)] == ["camille@example.org"]


# -- bad links -------------------------------------------------------------------------


def a_link(client, store):
    add_request(store, org_id(store), at("2026-11-02 10:00"))
    ask(client, "camille@example.org")
    return list_path(my_mails(store)[-1])


def not_found_page(client):
    response = client.get("/ecitiz/s/forged")
    assert response.status_code == 404
    return response.get_data()


def test_a_tampered_link_is_not_found(unlimited, client, store):
    path = a_link(client, store)
    expected = not_found_page(client)
    for bad in (path[:-3] + "abc", path + "x", f"{MINE}/forged", f"{MINE}/a.b.c"):
        response = client.get(bad)
        assert response.status_code == 404, bad
        assert response.get_data() == expected


def test_another_organisations_link_is_not_found(unlimited, client, store, globex, app):
    path = a_link(client, store)
    expected = not_found_page(client)
    token = path.rsplit("/", 1)[1]
    # Under another organisation's address.
    response = client.get(f"/ecitiz/my/globex/{token}")
    assert response.status_code == 404 and response.get_data() == expected
    # Signed for the other organisation, naming this one's stored link.
    [link] = store._all("SELECT key FROM applicant_links")
    with app.test_request_context():
        forged = (
            state(app).tokens(app.config).my_requests_link(globex["id"], link["key"])
        )
    response = client.get(f"/ecitiz/my/globex/{forged}")
    assert response.status_code == 404 and response.get_data() == expected


def test_an_expired_link_is_not_found(unlimited, client, store):
    path = a_link(client, store)
    expected = not_found_page(client)
    assert client.get(path).status_code == 200
    later = time.time() + 3601
    # The token's own age...
    with mock.patch("itsdangerous.timed.time.time", return_value=later):
        response = client.get(path)
    assert response.status_code == 404 and response.get_data() == expected
    # ...and the stored link's, should a token outlive it.
    later = utcnow() + timedelta(seconds=3601)
    with mock.patch("ecitiz_kit.domain.my_requests.utcnow", return_value=later):
        response = client.get(path)
    assert response.status_code == 404 and response.get_data() == expected
    assert client.get(path).status_code == 200


def test_expired_links_are_deleted_by_the_next_ask(unlimited, client, store):
    a_link(client, store)
    assert store.table_counts()["applicant_links"] == 1
    later = utcnow() + timedelta(hours=2)
    with mock.patch("ecitiz_kit.domain.my_requests.utcnow", return_value=later):
        ask(client, "nobody@example.org")
    assert store.table_counts()["applicant_links"] == 0


# -- the form, where it sits -----------------------------------------------------------


def test_the_form_is_on_the_tracking_page_and_linked_from_the_others(
    app, client, store
):
    tracking = client.get(f"/ecitiz/t/{ORG}?lang=en").get_data(as_text=True)
    assert f'action="{MINE}?lang=en"' in tracking
    assert 'id="f-my-requests-email"' in tracking
    assert "ticket" in hidden_inputs(tracking)
    assert MINE in client.get(form_url()).get_data(as_text=True)
    response = post_form(client, with_file(aid_answers()))
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert MINE in receipt
    send_mail(app)
    text = store.outbox_messages()[0]["body_text"]
    status = next(word for word in text.split() if "/ecitiz/s/" in word)
    assert MINE in client.get(urlsplit(status).path).get_data(as_text=True)
    page = client.get(MINE)
    assert page.status_code == 200 and "Set-Cookie" not in page.headers


def test_the_forms_ticket_from_the_tracking_page_is_accepted(unlimited, client, store):
    add_request(store, org_id(store), at("2026-11-02 10:00"))
    tracking = client.get(f"/ecitiz/t/{ORG}").get_data(as_text=True)
    ticket = hidden_inputs(tracking)["ticket"]
    data = {"ticket": ticket, "email": "camille@example.org"}
    assert client.post(MINE, data=data).status_code == 200
    assert len(my_mails(store)) == 1


@pytest.mark.parametrize(
    "path,method,status",
    [
        (f"/ecitiz/lost/{ORG}?lang=en", "get", 301),
        (f"/ecitiz/lost/{ORG}?lang=en", "post", 303),
    ],
)
def test_the_old_lost_link_address_leads_to_the_form(client, path, method, status):
    response = getattr(client, method)(path, data={"reference": "AID-2222-2222"})
    assert response.status_code == status
    assert response.headers["Location"] == f"{MINE}?lang=en"
    assert client.get(response.headers["Location"]).status_code == 200
    assert client.get("/ecitiz/lost/nobody").status_code == 404


# -- rate limits -----------------------------------------------------------------------


def test_too_many_asks_for_one_address_get_429_and_a_clear_page(app, client, store):
    app.config["ECITIZ_LOST_LINK_LIMIT"] = "2 per hour"
    add_request(store, org_id(store), at("2026-11-02 10:00"))
    for address in ("192.0.2.1", "192.0.2.2"):
        ask(client, "camille@example.org", environ_base={"REMOTE_ADDR": address})
    before = store.table_counts()
    refused = ask(
        client, "Camille@Example.org", environ_base={"REMOTE_ADDR": "192.0.2.3"}
    )
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "3600"
    html = refused.get_data(as_text=True)
    assert "Trop de tentatives" in html
    assert hidden_inputs(html)["email"] == "Camille@Example.org"
    assert "Set-Cookie" not in refused.headers
    assert store.table_counts() == before  # refused before any lookup or message
    assert len(my_mails(store)) == 2


def test_too_many_asks_from_one_client_get_429(app, client):
    app.config["ECITIZ_LOST_LINK_LIMIT"] = "3 per hour"
    statuses = [ask(client, f"p{n}@example.org").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_limit_can_be_turned_off(unlimited, client):
    statuses = {ask(client, "a@example.org").status_code for _ in range(12)}
    assert statuses == {200}


# -- bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "",
        "   ",
        "x" * 5000 + "@example.org",
        "not-an-address",
        "<script>alert(1)</script>",
        "camille@example.org\r\nBcc: victim@example.org",
        "camille@example.org\x00",
    ],
)
def test_bad_input_is_refused_with_the_form_and_changes_nothing(
    unlimited, client, store, email
):
    before = store.table_counts()
    response = ask(client, email)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="ecitiz-error"' in html and 'aria-invalid="true"' in html
    assert "<script>" not in html.lower()
    assert len(html) < 20000  # an overlong value is not echoed in full
    assert store.table_counts() == before


def test_unknown_organisation_is_404(unlimited, client, store):
    before = store.table_counts()
    assert client.get("/ecitiz/my/nobody").status_code == 404
    assert client.post("/ecitiz/my/nobody", data={}).status_code == 404
    assert client.get("/ecitiz/my/" + "x" * 3000).status_code == 404
    assert client.get("/ecitiz/my/nobody/a.b.c").status_code == 404
    assert store.table_counts() == before


def test_missing_forged_or_foreign_ticket_is_refused(unlimited, client, store, app):
    before = store.table_counts()
    data = {"email": "camille@example.org"}
    assert client.post(MINE, data=data).status_code == 400
    forged = client.post(MINE, data={**data, "ticket": "x.y.z"})
    assert forged.status_code == 400
    assert 'name="ticket"' in forged.get_data(as_text=True)  # a fresh one to retry
    with app.test_request_context():
        tokens = state(app).tokens(app.config)
        other_ticket = tokens.my_requests_ticket(999)
        link = tokens.my_requests_link(org_id(store), "x" * 22)
    assert client.post(MINE, data={**data, "ticket": other_ticket}).status_code == 400
    # Neither a form ticket nor a list link is a ticket (one salt per purpose).
    page = client.get(form_url()).get_data(as_text=True)
    form_ticket = hidden_inputs(page)["ticket"]
    assert client.post(MINE, data={**data, "ticket": form_ticket}).status_code == 400
    assert client.post(MINE, data={**data, "ticket": link}).status_code == 400
    assert store.table_counts() == before


def test_cross_site_post_is_refused(unlimited, client, store):
    before = store.table_counts()
    for headers in (
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
    ):
        assert ask(client, "a@example.org", headers=headers).status_code == 403
    assert store.table_counts() == before


def test_the_pages_may_be_framed_by_the_organisations_sites_only(client):
    csp = client.get(MINE).headers["Content-Security-Policy"]
    assert f"frame-ancestors {ALLOWED}" in csp


# -- the store -------------------------------------------------------------------------


@pytest.mark.sqlite_only  # SQLite's query plans
def test_the_list_reads_one_organisations_index_range(store):
    plan = store._all(
        "EXPLAIN QUERY PLAN SELECT id FROM submissions"
        " WHERE organisation_id = ? AND applicant_key = ?"
        " ORDER BY created_at DESC, id DESC LIMIT 200",
        (1, "camille@example.org"),
    )
    details = " ".join(row["detail"] for row in plan)
    assert "submissions_by_org_applicant" in details
    assert "TEMP B-TREE" not in details


def test_an_amended_address_moves_the_request_to_its_new_list(unlimited, client, store):
    request = add_request(store, org_id(store), at("2026-11-02 10:00"))
    for expected, to_status in (("submitted", "in_review"), ("in_review", "submitted")):
        store.change_status(
            request["id"], expected=expected, to_status=to_status, actor="staff"
        )
    store.amend_submission(
        request["id"],
        answers={**request["answers"], "email": "Nouvelle@Example.org"},
        form_version=1,
        nonce="amend-1",
        attachments=[],
        replaced_fields=[],
        applicant=("Camille Durand", "Nouvelle@Example.org"),
    )
    ask(client, "nouvelle@example.org")
    ask(client, "camille@example.org")
    assert [m["recipient"] for m in my_mails(store)] == ["Nouvelle@Example.org"]


def test_an_upgraded_database_lists_the_requests_it_held(tmp_path, monkeypatch):
    import ecitiz_kit.store.sqlite as base
    from ecitiz_kit.domain.request_list import fill_applicants
    from ecitiz_kit.store import Store

    path = tmp_path / "ecitiz.sqlite3"
    old, _ = migrated_before(path, monkeypatch, "applicant_links")
    # Today's code also writes the new columns: they are there while the old
    # rows are written, and gone before the upgrade adds them.
    later = ("applicant_key", "due_on", "siret_key", "iban_key")
    for column in later:
        old.db.execute(f"ALTER TABLE submissions ADD COLUMN {column} TEXT")
    # It also looks for webhook endpoints to tell, in tables added later too.
    hooks = next(m for m in MIGRATIONS if "CREATE TABLE webhooks" in m)
    for statement in base.statements(hooks):
        old.db.execute(statement)
    org = old.create_organisation("acme", "ACME")["id"]
    ascii_one = add_request(old, org, at("2026-11-02 10:00"), email="Camille@X.org")
    accented = add_request(old, org, at("2026-11-03 10:00"), email="ÉLODIE@x.org")
    for column in later:
        old.db.execute(f"ALTER TABLE submissions DROP COLUMN {column}")
    for table in ("webhook_deliveries", "webhooks"):
        old.db.execute(f"DROP TABLE {table}")
    old.close()
    monkeypatch.undo()

    store = Store(path)
    assert store.migrate() == len(MIGRATIONS)

    def listed(key):
        return [r["reference"] for r in store.applicant_requests(org, key)]

    assert listed("camille@x.org") == [ascii_one["reference"]]
    # Non-ASCII addresses are folded by Python at start-up, names and all.
    assert listed("élodie@x.org") == []
    fill_applicants(store, lambda o, f: load_catalog(f))
    [found] = store.applicant_requests(org, "élodie@x.org")
    assert found["reference"] == accented["reference"]
    assert store.submission(accented["id"])["applicant_name"] == "Camille Durand"
