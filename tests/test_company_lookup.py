"""Company details from the SIRET: the directory connector against a local fake,
the form's lookup with and without JavaScript, what a request stores of the
register, the worker's retries, and what staff see."""

import json
import re
from datetime import timedelta

import pytest

from ecitiz_kit import ConfigurationError, create_app
from ecitiz_kit.company_directory import (
    CompanyDirectory,
    DirectoryUnavailable,
    read_answer,
)
from ecitiz_kit.domain.companies import next_try
from ecitiz_kit.errors import DefinitionError
from ecitiz_kit.forms.loading import definition_to_json, load_catalog, parse_definition
from ecitiz_kit.store import utcnow

from . import fake_directory as fake
from .helpers import (
    STAFF,
    aid_answers,
    aid_page,
    csrf_for,
    form_url,
    hidden_inputs,
    post_form,
    status_url_in,
    stored_requests,
    ticket_for,
    walk_to,
    with_file,
)


@pytest.fixture(autouse=True)
def english(app):
    """Pages in English, so that the tests read what they say."""
    app.config["ECITIZ_DEFAULT_LANGUAGE"] = "en"


# -- the connector ---------------------------------------------------------------


@pytest.fixture
def service():
    server = fake.FakeDirectory()
    yield server
    server.stop()


def test_a_known_siret_gives_the_register_record(service):
    company = CompanyDirectory(service.url).lookup("732 829 320 00074")
    assert company.legal_name == fake.FOUND_NAME
    assert company.address == "12 RUE DES LILAS 75011 PARIS"
    assert (company.postal_code, company.town) == ("75011", "PARIS")
    assert company.activity_code == "10.71C"
    assert company.active is True
    assert service.queries == [fake.FOUND]  # the SIRET, compact, and nothing else
    assert service.server.queries[0][0] == "/search"


def test_an_unknown_siret_is_none(service):
    assert CompanyDirectory(service.url).lookup(fake.UNKNOWN) is None


def test_a_ceased_company_is_not_active(service):
    company = CompanyDirectory(service.url).lookup(fake.CEASED)
    assert company.legal_name == "ANCIENNE MERCERIE"
    assert company.active is False


def test_a_slow_directory_is_unavailable(service):
    with pytest.raises(DirectoryUnavailable):
        CompanyDirectory(service.url, timeout=0.3).lookup(fake.SLOW)


def test_a_directory_that_timed_out_is_left_alone_a_while(service):
    company_directory = CompanyDirectory(service.url, timeout=0.3, pause=3600)
    for siret in (fake.SLOW, fake.FOUND, fake.UNKNOWN):
        with pytest.raises(DirectoryUnavailable):
            company_directory.lookup(siret)
    assert service.queries == [fake.SLOW]  # the others waited for nothing
    again = CompanyDirectory(service.url, timeout=0.3, pause=0)
    with pytest.raises(DirectoryUnavailable):
        again.lookup(fake.SLOW)
    assert again.lookup(fake.FOUND).legal_name == fake.FOUND_NAME


@pytest.mark.parametrize(
    "siret",
    [fake.BROKEN, fake.HTML, fake.GARBAGE, fake.ODD_SHAPE, fake.REDIRECT, fake.HUGE],
)
def test_a_broken_answer_is_unavailable_never_shown(service, siret):
    with pytest.raises(DirectoryUnavailable) as raised:
        CompanyDirectory(service.url).lookup(siret)
    assert "<" not in str(raised.value)  # not the page it sent


def test_a_directory_that_does_not_listen_is_unavailable(service):
    url = service.url
    service.stop()
    with pytest.raises(DirectoryUnavailable):
        CompanyDirectory(url, timeout=0.5).lookup(fake.FOUND)


def test_an_invalid_siret_is_never_sent(service):
    company_directory = CompanyDirectory(service.url)
    for hostile in ("73282932000075", "1", "x" * 5000, "7328293200007&q=*", ""):
        with pytest.raises(ValueError):
            company_directory.lookup(hostile)
    assert service.queries == []


def test_register_texts_are_one_short_line_without_control_characters(service):
    company = CompanyDirectory(service.url).lookup(fake.HOSTILE)
    assert len(company.legal_name) <= 200
    assert not re.search(r"[\x00-\x1f\u202e]", company.legal_name + company.address)
    assert company.address == "<b>1 rue</b> du Code"  # text; pages escape it


def test_answers_are_reused_a_while_but_failures_are_not(service):
    company_directory = CompanyDirectory(service.url)
    company_directory.lookup(fake.FOUND)
    company_directory.lookup(fake.FOUND)
    for _ in range(2):
        with pytest.raises(DirectoryUnavailable):
            company_directory.lookup(fake.BROKEN)
    assert service.queries == [fake.FOUND, fake.BROKEN, fake.BROKEN]


def test_an_establishment_other_than_the_head_office_is_found():
    other = "73282932000082"
    answer = {"results": [fake.unit(fake.FOUND, "ACME")]}
    assert read_answer(answer, other) is None
    answer["results"][0]["matching_etablissements"] = [
        {"siret": other, "adresse": "1 PLACE X 69001 LYON", "code_postal": "69001",
         "libelle_commune": "LYON", "etat_administratif": "F"},
    ]  # fmt: skip
    company = read_answer(answer, other)
    assert (company.town, company.active) == ("LYON", False)


def test_retries_wait_longer_each_time_up_to_a_day():
    now = utcnow()
    waits = [next_try(n, now) - now for n in (1, 2, 3, 30)]
    assert waits[0] == timedelta(minutes=1)
    assert waits[0] < waits[1] < waits[2] < waits[3] == timedelta(days=1)


@pytest.mark.parametrize(
    "url",
    ["recherche-entreprises.api.gouv.fr", "file:///etc/passwd", "https://x.org/?q", 1],
)
def test_a_directory_address_that_is_not_http_is_refused(tmp_path, url):
    with pytest.raises(ConfigurationError, match="ECITIZ_COMPANY_LOOKUP_URL"):
        create_app(
            {"SECRET_KEY": "k" * 40, "ECITIZ_DATA_DIR": str(tmp_path),
             "ECITIZ_COMPANY_LOOKUP_URL": url}
        )  # fmt: skip


# -- definitions -----------------------------------------------------------------


def _with_fills(fills, **extra):
    data = json.loads(definition_to_json(load_catalog("aid-request")))
    business = next(s for s in data["sections"] if s["id"] == "business")
    siret = next(f for f in business["fields"] if f["name"] == "siret")
    siret["fills"] = fills
    siret.update(extra)
    return data


def test_a_siret_field_names_the_fields_it_fills():
    definition = load_catalog("aid-request")
    assert dict(definition.company_field.fills) == {
        "legal_name": "legal_name",
        "postal_code": "postal_code",
        "town": "town",
    }
    again = parse_definition(json.loads(definition_to_json(definition)), "again")
    assert again.company_field.fills == definition.company_field.fills


@pytest.mark.parametrize(
    ("fills", "problem"),
    [
        ({"legal_name": "nowhere"}, "there is no field 'nowhere'"),
        ({"legal_name": "headcount"}, "is a number field"),
        ({"turnover": "legal_name"}, "the register does not give"),
        ({"legal_name": "town", "town": "town"}, "fills one field twice"),
        ({}, "non-empty object"),
        (["legal_name"], "non-empty object"),
    ],
)
def test_a_wrong_fills_is_refused_with_its_reason(fills, problem):
    with pytest.raises(DefinitionError, match=problem):
        parse_definition(_with_fills(fills), "test")


def test_only_a_siret_field_fills_others():
    data = _with_fills({"legal_name": "legal_name"})
    town = data["sections"][1]["fields"][-1]
    town["fills"] = {"legal_name": "legal_name"}
    with pytest.raises(DefinitionError, match="fills"):
        parse_definition(data, "test")


# -- the form page ---------------------------------------------------------------


def test_without_a_directory_the_form_offers_no_lookup(client):
    html = aid_page(client, "business")
    assert "company_lookup" not in html and "company.js" not in html
    # The page's scripts ask the kit only to send its files one by one.
    assert "uploads.js" in html
    without_files = client.get(form_url("attestation"))
    assert "connect-src" not in without_files.headers["Content-Security-Policy"]
    assert client.get(form_url() + f"/company?siret={fake.FOUND}").status_code == 404
    refused = client.post(form_url() + "/company", data=aid_answers())
    assert refused.status_code == 404


def test_with_a_directory_the_siret_gets_a_lookup_button(client, company_directory):
    page = client.get(form_url())
    html = aid_page(client, "business")
    button = re.search(r"<button[^>]*name=\"company_lookup\"[^>]*>", html).group(0)
    assert 'formaction="/ecitiz/f/acme/aid-request/company' in button
    assert "formnovalidate" in button
    assert 'role="status"' in html and "company.js" in html
    assert "connect-src 'self'" in page.headers["Content-Security-Policy"]
    # A form without a SIRET linked to other fields offers none.
    assert "company_lookup" not in client.get(form_url("attestation")).get_data(
        as_text=True
    )
    unlinked = client.get(form_url("attestation") + f"/company?siret={fake.FOUND}")
    assert unlinked.status_code == 404
    assert company_directory.queries == []


def _ask(client, siret, **headers):
    return client.get(form_url() + "/company", query_string={"siret": siret}, headers={
        "Sec-Fetch-Site": "same-origin", **headers})  # fmt: skip


def test_the_script_gets_the_values_of_the_fields_to_fill(client, company_directory):
    answer = _ask(client, "732 829 320 00074")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.json == {
        "state": "found",
        "name": fake.FOUND_NAME,
        "active": True,
        "fields": {
            "legal_name": fake.FOUND_NAME,
            "postal_code": "75011",
            "town": "PARIS",
        },
    }
    assert _ask(client, fake.CEASED).json["active"] is False
    assert _ask(client, fake.UNKNOWN).json == {"state": "unknown"}
    assert _ask(client, fake.BROKEN).json == {"state": "unavailable"}
    assert _ask(client, fake.HTML).json == {"state": "unavailable"}


def test_a_hostile_register_record_fills_only_what_fits(client, company_directory):
    answer = _ask(client, fake.HOSTILE).json
    assert "postal_code" not in answer["fields"]  # "<i>" is no postal code
    assert answer["fields"]["town"] == "PARIS"  # the rest is filled
    assert len(answer["fields"]["legal_name"]) <= 200


def test_the_script_may_ask_only_about_a_valid_siret(client, company_directory):
    for hostile in ("73282932000075", "abc", "1" * 500, "http://evil.example/"):
        answer = _ask(client, hostile)
        assert answer.status_code == 400
        assert answer.json == {"error": "not a valid SIRET"}
    assert company_directory.queries == []


def test_other_sites_may_not_ask(client, company_directory):
    for site in ("cross-site", "same-site"):
        assert _ask(client, fake.FOUND, **{"Sec-Fetch-Site": site}).status_code == 403
    assert company_directory.queries == []


def test_lookups_are_rate_limited(app, client, company_directory, limits_clock):
    app.config["ECITIZ_COMPANY_LOOKUP_LIMIT"] = "2 per minute"
    assert [_ask(client, fake.FOUND).status_code for _ in range(3)] == [200, 200, 429]
    refused = client.post(form_url() + "/company", data=aid_answers())
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    limits_clock.advance(61)
    assert _ask(client, fake.FOUND).status_code == 200


def _look_up(client, **answers):
    ticket = ticket_for(client)
    data = {"ticket": ticket, "company_lookup": "siret", **aid_answers(**answers)}
    return ticket, client.post(form_url() + "/company", data=data)


def _value(html, name):
    found = re.search(rf'<input id="f-{name}" name="{name}"[^>]* value="([^"]*)"', html)
    return found.group(1)


def test_the_lookup_button_fills_the_company_and_keeps_the_rest(
    client, company_directory
):
    ticket, page = _look_up(client, legal_name="", town="Pariss")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _value(html, "legal_name") == fake.FOUND_NAME
    assert _value(html, "town") == "PARIS"
    # The answers of the other pages travel with the page of the SIRET.
    assert 'name="email" value="camille@example.org"' in html
    assert _value(html, "siret") == "732 829 320 00074"
    assert "from the register: check them" in html
    assert 'data-ecitiz-scroll="c-siret-said"' in html
    # Nothing was sent; the form's ticket still sends the request.
    assert stored_requests(client.application.extensions["ecitiz"].store) == []
    assert post_form(client, with_file(aid_answers()), ticket=ticket).status_code == 303


def test_the_lookup_button_keeps_the_files_a_refused_answer_kept(
    client, company_directory
):
    refused = post_form(client, with_file(aid_answers(siret=fake.FOUND, iban="FR76")))
    assert refused.status_code == 422
    inputs = hidden_inputs(refused.get_data(as_text=True))
    page = client.post(
        form_url() + "/company",
        data={**inputs, **aid_answers(legal_name=""), "company_lookup": "siret"},
    )
    html = page.get_data(as_text=True)
    assert _value(html, "legal_name") == fake.FOUND_NAME
    # The same ticket, still holding the file: it is listed, not asked again.
    assert hidden_inputs(html)["ticket"] == inputs["ticket"]
    kept = r'<li><span>justificatif.pdf</span> <input[^>]*name="remove:'
    assert re.search(kept, walk_to(client, html, "documents"))
    sent = post_form(client, aid_answers(), ticket=inputs["ticket"])
    assert sent.status_code == 303, sent.get_data(as_text=True)[:2000]
    store = client.application.extensions["ecitiz"].store
    [request] = stored_requests(store)
    assert [a["filename"] for a in store.attachments(request["id"])] == [
        "justificatif.pdf"
    ]


@pytest.mark.parametrize(
    ("siret", "said"),
    [
        (fake.UNKNOWN, "not in the company register"),
        (fake.BROKEN, "cannot be reached just now"),
        (fake.GARBAGE, "cannot be reached just now"),
    ],
)
def test_a_lookup_that_finds_nothing_leaves_the_fields_to_type(
    client, company_directory, siret, said
):
    _ticket, page = _look_up(client, siret=siret, legal_name="Ma boutique")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert said in html
    assert _value(html, "legal_name") == "Ma boutique"
    assert "Maintenance" not in html


def test_the_lookup_button_with_a_wrong_siret_says_so(client, company_directory):
    _ticket, page = _look_up(client, siret="732 829 320 00075")
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "Enter the 14 digits of your SIRET" in html
    assert company_directory.queries == []


def test_a_lookup_posted_from_another_site_is_refused(client, company_directory):
    ticket = ticket_for(client)
    refused = client.post(
        form_url() + "/company",
        data={"ticket": ticket, **aid_answers()},
        headers={"Origin": "https://evil.example"},
    )
    assert refused.status_code == 403
    assert company_directory.queries == []


def test_register_texts_are_escaped_on_the_page(client, company_directory):
    _ticket, page = _look_up(client, siret=fake.HOSTILE)
    html = page.get_data(as_text=True)
    assert '<script>alert("x")' not in html
    assert "&lt;script&gt;alert(" in html


# -- what a request stores -------------------------------------------------------


def _submit(client, **answers):
    response = post_form(client, with_file(aid_answers(**answers)))
    assert response.status_code == 303, response.get_data(as_text=True)[:1000]
    return response


def _check_of_last(store):
    [latest, *_] = stored_requests(store)
    return latest, store.company_check(latest["id"])


def test_a_request_stores_what_the_register_says(client, store, company_directory):
    _submit(client)
    _row, check = _check_of_last(store)
    assert check["state"] == "found"
    assert check["siret"] == fake.FOUND
    assert check["register"]["legal_name"] == fake.FOUND_NAME
    assert check["register"]["active"] is True


def test_an_unknown_siret_is_stored_as_unknown(client, store, company_directory):
    _submit(client, siret=fake.UNKNOWN)
    assert _check_of_last(store)[1]["state"] == "unknown"


def test_without_a_directory_nothing_is_stored_or_asked(client, store):
    _submit(client)
    assert _check_of_last(store)[1] is None


def test_a_directory_slower_than_its_timeout_marks_a_check(
    client, store, company_directory
):
    _submit(client, siret=fake.SLOW)
    _row, check = _check_of_last(store)
    assert (check["state"], check["siret"]) == ("pending", fake.SLOW)
    # Left alone meanwhile: the next request does not wait for it either.
    _submit(client)
    assert _check_of_last(store)[1]["state"] == "pending"
    assert company_directory.queries == [fake.SLOW]


def test_a_failed_lookup_marks_the_request_for_a_check(
    client, store, company_directory
):
    company_directory.down = True
    _submit(client)
    _row, check = _check_of_last(store)
    assert check["state"] == "pending" and check["register"] is None
    assert [c["submission_id"] for c in store.company_checks_due(10)] == [_row["id"]]


def test_the_worker_fills_a_pending_check_once_the_register_answers(
    app, client, store, runner, company_directory
):
    company_directory.down = True
    _submit(client)
    row, _check = _check_of_last(store)
    result = runner.invoke(args=["ecitiz", "check-companies"])
    assert "0 request(s) checked, 1 to try again later" in result.output
    check = store.company_check(row["id"])
    assert (check["state"], check["attempts"]) == ("pending", 1)
    assert store.company_checks_due(10) == []  # not before its next try
    later = utcnow() + timedelta(minutes=3)
    assert len(store.company_checks_due(10, now=later)) == 1

    company_directory.down = False
    store.postpone_company_check(row["id"], utcnow(), "due now, for the test")
    result = runner.invoke(args=["ecitiz", "send-mail"])  # the worker's pass
    assert result.exit_code == 0, result.output
    check = store.company_check(row["id"])
    assert check["state"] == "found"
    assert check["register"]["legal_name"] == fake.FOUND_NAME
    assert store.company_checks_due(10, now=later) == []


def test_an_amended_siret_is_checked_again(
    client, staff_client, store, company_directory
):
    sent = _submit(client)
    row, _check = _check_of_last(store)
    receipt = client.get(sent.headers["Location"]).get_data(as_text=True)
    status_path = status_url_in(receipt)
    for to_status, expected, message in (
        ("in_review", "submitted", ""),
        ("submitted", "in_review", "Le SIRET est celui d’un autre établissement."),
    ):
        moved = staff_client.post(
            f"{STAFF}/requests/{row['id']}/status",
            data={"csrf_token": csrf_for(staff_client), "to_status": to_status,
                  "expected": expected, "public_message": message},
        )  # fmt: skip
        assert moved.status_code == 303
    page = client.get(status_path + "/amend").get_data(as_text=True)
    amended = client.post(
        status_path + "/amend",
        data={"ticket": hidden_inputs(page)["ticket"],
              **aid_answers(siret=fake.CEASED)},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert amended.status_code == 303, amended.get_data(as_text=True)[-500:]
    check = store.company_check(row["id"])
    assert (check["siret"], check["register"]["active"]) == (fake.CEASED, False)


def test_a_pass_stops_at_the_first_check_the_register_cannot_answer(
    client, store, runner, company_directory
):
    company_directory.down = True
    for siret in (fake.FOUND, fake.CEASED):
        _submit(client, siret=siret)
    result = runner.invoke(args=["ecitiz", "check-companies"])
    assert "0 request(s) checked, 1 to try again later" in result.output
    [still_due] = store.company_checks_due(10)
    assert still_due["attempts"] == 0
    # Both at submit; then the pass asked about the first only.
    assert company_directory.queries == [fake.FOUND, fake.CEASED, fake.FOUND]


def test_check_companies_says_when_lookups_are_off(runner):
    result = runner.invoke(args=["ecitiz", "check-companies"])
    assert result.exit_code == 1
    assert "ECITIZ_COMPANY_LOOKUP_URL" in result.output


@pytest.mark.parametrize("after", ["delete", "anonymise"])
def test_a_request_past_retention_takes_its_check_along(
    client, store, company_directory, after
):
    _submit(client)
    row, _check = _check_of_last(store)
    files = store.purge_request(
        row["id"], row["updated_at"], after, kept_answers=dict, now=utcnow()
    )
    assert files is not None
    assert store.company_check(row["id"]) is None


# -- the staff page --------------------------------------------------------------


def _staff_page(staff_client, store):
    [latest, *_] = stored_requests(store)
    return staff_client.get(f"{STAFF}/requests/{latest['id']}").get_data(as_text=True)


def test_staff_see_the_register_and_where_it_differs(
    client, staff_client, store, company_directory
):
    _submit(client)  # typed "Boulangerie Durand"; the register says DUPONT
    html = _staff_page(staff_client, store)
    section = html[html.index('id="register-title"') :].split("</section>")[0]
    assert fake.FOUND_NAME in section
    assert "12 RUE DES LILAS 75011 PARIS" in section and "10.71C" in section
    assert "Differs:" in section
    assert "Boulangerie Durand" in section
    assert "Active" in section and "ceased" not in section


def test_staff_see_no_difference_when_the_answers_match(
    client, staff_client, store, company_directory
):
    _submit(client, legal_name="Boulangerie  dupont", town="paris")
    html = _staff_page(staff_client, store)
    assert fake.FOUND_NAME in html and "Differs:" not in html


def test_staff_are_warned_of_a_ceased_company(
    client, staff_client, store, company_directory
):
    _submit(client, siret=fake.CEASED)
    html = _staff_page(staff_client, store)
    assert "the register says this company has ceased" in html
    assert "Ceased" in html


def test_staff_see_a_pending_check(client, staff_client, store, company_directory):
    company_directory.down = True
    _submit(client)
    html = _staff_page(staff_client, store)
    assert "Not checked yet" in html


def test_staff_see_register_texts_as_text(
    client, staff_client, store, company_directory
):
    _submit(client, siret=fake.HOSTILE)
    html = _staff_page(staff_client, store)
    assert "<b>1 rue</b>" not in html and '<script>alert("x")' not in html
    assert "&lt;b&gt;1 rue&lt;/b&gt; du Code" in html


def test_staff_of_a_request_without_a_check_see_no_register(
    client, staff_client, store
):
    _submit(client)
    assert 'id="register-title"' not in _staff_page(staff_client, store)


def test_the_lookup_page_keeps_other_fields_of_a_plain_form(client, company_directory):
    page = _look_up(client)[1].get_data(as_text=True)
    assert hidden_inputs(page)["ticket"]
