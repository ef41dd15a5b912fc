"""The public pages an applicant meets: form, receipt and tracking."""

import base64
import json
import re
from html.parser import HTMLParser

import pytest

from ecitiz_kit import __version__
from ecitiz_kit.state import state
from ecitiz_kit.store import submissions

from .helpers import (
    ALLOWED,
    IBAN,
    ORG,
    PDF,
    REFERENCE,
    SIRET,
    aid_answers,
    attestation_answers,
    form_url,
    hidden_inputs,
    post_form,
    stored_requests,
    ticket_for,
    uploaded_files,
    with_file,
)


def _submit_ok(client, data=None, **kw):
    response = post_form(client, with_file(data or aid_answers()), **kw)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return response


def _status_url(receipt_html: str) -> str:
    return re.search(r'href="http://localhost(/ecitiz/s/[^"]+)"', receipt_html).group(1)


# -- the form page -------------------------------------------------------------


class _Controls(HTMLParser):
    """Collects controls, labels and ids to check the page's accessibility."""

    def __init__(self):
        super().__init__()
        self.controls, self.labels, self.ids = [], set(), set()
        self.resources = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "label" and "for" in a:
            self.labels.add(a["for"])
        # A submit input is labelled by its value.
        if tag in ("input", "select", "textarea") and a.get("type") not in (
            "hidden",
            "submit",
        ):
            self.controls.append(a)
        for key in ("src", "href"):
            if key in a and tag in ("link", "script", "img", "iframe"):
                self.resources.append(a[key])


@pytest.mark.parametrize("form_id, most", [("attestation", 14), ("aid-request", 4)])
def test_form_page_labels_every_control_and_loads_nothing_external(
    client, form_id, most
):
    response = client.get(form_url(form_id))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="fr">' in html
    page = _Controls()
    page.feed(html)
    assert len(page.controls) > most  # the aid request shows its first page
    for control in page.controls:
        assert control["id"] in page.labels, control
    for resource in page.resources:
        assert resource.startswith("/ecitiz/"), resource
    assert 'autocomplete="email"' in html and 'autocomplete="family-name"' in html


def test_form_page_headers_allow_only_the_organisations_sites(client):
    response = client.get(form_url())
    csp = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors {ALLOWED}" in csp
    assert "X-Frame-Options" not in response.headers
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_redirect_to_the_receipt_lists_no_site_that_may_frame_it(client):
    # Nothing shows before the browser follows it, so the organisation's list of
    # sites is not even read (the receipt page sends its own).
    response = post_form(client, with_file(aid_answers()))
    assert response.status_code == 303
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and ALLOWED not in csp
    receipt = client.get(response.headers["Location"])
    assert f"frame-ancestors {ALLOWED}" in receipt.headers["Content-Security-Policy"]


def test_form_page_of_unknown_organisation_or_form_is_a_404_page(client):
    for url in (form_url(org="nobody"), form_url("no-such-form")):
        response = client.get(url)
        assert response.status_code == 404
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert "<h1>" in response.get_data(as_text=True)


def test_language_follows_query_then_browser(client):
    english = client.get(form_url() + "?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "Step 1 of 7" in english
    browser = client.get(form_url(), headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert '<html lang="en">' in browser.get_data(as_text=True)
    french = client.get(form_url(), headers={"Accept-Language": "de"})
    assert '<html lang="fr">' in french.get_data(as_text=True)


def test_static_stylesheet_is_served_and_cached(client):
    html = client.get(form_url()).get_data(as_text=True)
    href = re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)
    response = client.get(href)
    assert response.status_code == 200
    assert b".ecitiz-page" in response.data
    assert "immutable" in response.headers["Cache-Control"]


# -- submitting ----------------------------------------------------------------


def test_valid_submission_redirects_to_a_receipt_and_stores_everything(
    client, store, app
):
    response = _submit_ok(client)
    assert response.headers["Location"].startswith("/ecitiz/r/")
    receipt = client.get(response.headers["Location"])
    html = receipt.get_data(as_text=True)
    reference = REFERENCE.search(html).group(0)

    counts = store.table_counts()
    assert (counts["submissions"], counts["events"], counts["attachments"]) == (1, 1, 1)
    [submission] = stored_requests(store)
    assert submission["reference"] == reference
    answers = json.loads(submission["answers"])
    assert answers["siret"] == "73282932000074"
    assert answers["iban"] == IBAN
    assert answers["loss_percent"] == "62.5"
    [attachment] = store.attachments(submission["id"])
    assert attachment["filename"] == "justificatif.pdf"
    [stored] = uploaded_files(app)
    assert stored.read_bytes() == PDF and stored.name == attachment["stored_name"]

    assert IBAN not in html and "2606" in html  # masked but for the last 4
    assert "Camille" in html and "62,5" in html
    assert _status_url(html)
    assert receipt.headers["Cache-Control"] == "no-store"


def test_refresh_of_the_receipt_shows_the_same_reference(client):
    location = _submit_ok(client).headers["Location"]
    first = REFERENCE.search(client.get(location).get_data(as_text=True)).group(0)
    again = REFERENCE.search(client.get(location).get_data(as_text=True)).group(0)
    assert first == again


def test_double_submit_returns_first_receipt(client, store, app):
    ticket = ticket_for(client)
    first = post_form(client, with_file(aid_answers()), ticket=ticket)
    second = post_form(client, with_file(aid_answers()), ticket=ticket)
    assert second.status_code == 303
    ref = lambda r: REFERENCE.search(  # noqa: E731
        client.get(r.headers["Location"]).get_data(as_text=True)
    ).group(0)
    assert ref(first) == ref(second)
    assert store.table_counts()["submissions"] == 1
    assert len(uploaded_files(app)) == 1


def _nothing_stored(store, app):
    counts = store.table_counts()
    assert counts["submissions"] == counts["events"] == counts["attachments"] == 0
    # The files that passed their checks are kept for the next try, nothing else.
    assert len(uploaded_files(app)) == counts["kept_uploads"]
    assert all(store.kept_upload_exists(p.name) for p in uploaded_files(app))


def test_invalid_siret_and_iban_keep_values_and_store_nothing(client, store, app):
    data = aid_answers(siret="732 829 320 00075", iban=IBAN[:-1] + "7")
    response = post_form(client, with_file(data))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    # The aid request comes in steps: the first page with a problem shows,
    # the other answers travel with it.
    assert 'value="732 829 320 00075"' in html
    assert 'name="last_name" value="Durand-Lefèvre"' in html
    assert 'value="Fermeture administrative pendant six semaines."' in html
    assert f'name="iban" value="{IBAN[:-1]}7"' in html
    assert 'id="e-siret"' in html
    assert re.search(r'id="f-siret"[^>]*aria-describedby="[^"]*e-siret', html)
    assert 'href="#f-siret"' in html
    assert 'role="alert"' in html
    assert "SIRET" in re.search(r'id="e-siret">(.*?)</p>', html).group(1)
    # The file passed its checks: it is kept for the documents page.
    assert store.table_counts()["kept_uploads"] == 1
    _nothing_stored(store, app)
    # A form on one page shows every error at once.
    refused = post_form(
        client,
        attestation_answers(siret="732 829 320 00075", email="x"),
        "attestation",
    )
    assert refused.status_code == 422
    assert 'href="#f-siret"' in refused.text and 'href="#f-email"' in refused.text


def test_errors_come_in_the_page_language(client):
    response = post_form(client, with_file(aid_answers(email="not-an-email")))
    french = re.search(r'id="e-email">(.*?)</p>', response.get_data(as_text=True))
    ticket = ticket_for(client)
    response = client.post(
        form_url() + "?lang=en",
        data=with_file({"ticket": ticket, **aid_answers(email="not-an-email")}),
        content_type="multipart/form-data",
    )
    english = re.search(r'id="e-email">(.*?)</p>', response.get_data(as_text=True))
    assert french.group(1) != english.group(1)
    assert "e-mail" in english.group(1).lower()


@pytest.mark.parametrize(
    "overrides",
    [
        {"revenue_reference": "-5000"},
        {"amount_requested": "1" * 40},
        {"headcount": "-3"},
        {"postal_code": "00100"},
        {"declaration": None},
        {"explanation": "x" * 30_000},
    ],
)
def test_absurd_values_are_refused(client, store, app, overrides):
    response = post_form(client, with_file(aid_answers(**overrides)))
    assert response.status_code == 422
    _nothing_stored(store, app)


def test_year_9999_and_reversed_periods_are_refused(client, store, app):
    for overrides in (
        {"valid_to": "9999-01-01"},
        {"birth_date": "9999-12-31"},
        {"valid_from": "2026-12-20", "valid_to": "2026-12-10"},
    ):
        response = post_form(client, attestation_answers(**overrides), "attestation")
        assert response.status_code == 422, overrides
    _nothing_stored(store, app)


def test_attestation_goes_through(client, store):
    response = post_form(client, attestation_answers(), "attestation")
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r"\bATT-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b", html)


def test_missing_or_forged_ticket_keeps_values_and_stores_nothing(client, store, app):
    for ticket in (False, "forged.ticket.value"):
        response = post_form(client, with_file(aid_answers()), ticket=ticket)
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert 'value="Durand-Lefèvre"' in html
        assert hidden_inputs(html)["ticket"]
    _nothing_stored(store, app)


def test_ticket_for_another_form_is_refused(client, store, app):
    ticket = ticket_for(client, "attestation")
    response = post_form(client, with_file(aid_answers()), ticket=ticket)
    assert response.status_code == 400
    _nothing_stored(store, app)


def test_expired_ticket_reshows_form_with_values_and_a_fresh_ticket(
    client, store, app, monkeypatch
):
    import time

    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 5 * 3600)
    old_ticket = ticket_for(client)
    monkeypatch.setattr(time, "time", real)

    response = post_form(client, with_file(aid_answers()), ticket=old_ticket)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="Boulangerie Durand"' in html
    fresh = hidden_inputs(html)["ticket"]
    assert fresh and fresh != old_ticket
    assert 'class="ecitiz-notice"' in html
    assert "resté ouvert longtemps" in html  # told why, not "could not check"
    _nothing_stored(store, app)
    assert post_form(client, with_file(aid_answers()), ticket=fresh).status_code == 303


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_cross_site_post_is_refused(client, store, app, headers):
    response = post_form(client, with_file(aid_answers()), headers=headers)
    assert response.status_code == 403
    _nothing_stored(store, app)


def test_same_origin_post_is_accepted(client):
    _submit_ok(
        client, headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    )


def test_filled_honeypot_looks_like_success_but_stores_nothing(client, store, app):
    response = post_form(client, with_file(aid_answers(website="http://spam.example")))
    assert response.status_code == 200
    assert REFERENCE.search(response.get_data(as_text=True))
    _nothing_stored(store, app)


# -- files ---------------------------------------------------------------------


def test_html_named_pdf_is_refused_by_content(client, store, app):
    html_bytes = b"<!doctype html><html><script>alert(1)</script></html>"
    response = post_form(client, with_file(aid_answers(), html_bytes, "facture.pdf"))
    assert response.status_code == 422
    assert 'id="e-documents"' in response.get_data(as_text=True)
    _nothing_stored(store, app)


def test_missing_file_is_a_field_error(client, store, app):
    response = post_form(client, aid_answers())
    assert response.status_code == 422
    assert 'id="e-documents"' in response.get_data(as_text=True)
    _nothing_stored(store, app)


def test_file_name_with_path_and_control_characters_is_only_display_text(
    client, store, app
):
    response = post_form(
        client, with_file(aid_answers(), PDF, "../../etc/pa\x1bss\x7f.php%00.pdf")
    )
    assert response.status_code == 303
    [submission] = stored_requests(store)
    [attachment] = store.attachments(submission["id"])
    assert "/" not in attachment["filename"] and ".." not in attachment["filename"]
    assert not re.search(r"[\x00-\x1f\x7f]", attachment["filename"])
    assert re.fullmatch(r"[0-9a-f]{32}", attachment["stored_name"])
    [stored] = uploaded_files(app)
    assert stored.name == attachment["stored_name"]


def test_too_many_files_is_refused(client, store, app):
    import io

    data = {
        **aid_answers(),
        "documents": [(io.BytesIO(PDF), f"{i}.pdf") for i in range(6)],
    }
    response = post_form(client, data)
    assert response.status_code == 422
    _nothing_stored(store, app)


def test_oversized_request_gets_413_and_stores_nothing(client, store, app):
    app.config["MAX_CONTENT_LENGTH"] = 200_000
    big = PDF + b"0" * 300_000
    response = post_form(client, with_file(aid_answers(), big))
    assert response.status_code == 413
    assert "<h1>" in response.get_data(as_text=True)
    _nothing_stored(store, app)


def test_ten_megabyte_text_field_is_refused(client, store, app):
    response = post_form(client, with_file(aid_answers(explanation="x" * 10_000_000)))
    assert response.status_code == 413
    _nothing_stored(store, app)


def test_failure_while_storing_leaves_no_row_and_no_file(
    client, store, app, monkeypatch
):
    def broken_insert(*args):
        raise OSError("disk full")

    monkeypatch.setattr(submissions, "insert_attachments", broken_insert)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = post_form(client, with_file(aid_answers()))
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Traceback" not in html and "disk full" not in html
    assert re.search(r"\b[0-9A-F]{8}\b", html)  # an incident code to quote
    _nothing_stored(store, app)


# -- tracking ------------------------------------------------------------------


def test_tracking_page_shows_status_and_timeline(client):
    receipt = client.get(_submit_ok(client).headers["Location"])
    status_url = _status_url(receipt.get_data(as_text=True))
    response = client.get(status_url)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert REFERENCE.search(html)
    assert "ecitiz-status--submitted" in html
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "same-origin"
    english = client.get(status_url + "?lang=en").get_data(as_text=True)
    assert "Received, waiting to be examined" in english


def test_tracking_token_holds_no_personal_data(client, app):
    receipt = client.get(_submit_ok(client).headers["Location"])
    token = _status_url(receipt.get_data(as_text=True)).rsplit("/", 1)[1]
    body = token.split(".")[0]
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert payload == [state(app).store.submission(1)["public_id"], 1]


def test_bad_tracking_tokens_all_get_the_same_404(client, app, monkeypatch):
    receipt = client.get(_submit_ok(client).headers["Location"])
    good = _status_url(receipt.get_data(as_text=True))
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    with app.app_context():
        public_id = state(app).store.submission(1)["public_id"]
        unknown = state(app).tokens(app.config).status_link(public_id[::-1], 1)
        revoked = state(app).tokens(app.config).status_link(public_id, 2)
    import time

    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 401 * 24 * 3600)
    expired = client.get(good)
    monkeypatch.setattr(time, "time", real)

    answers = [expired] + [
        client.get(url)
        for url in (
            tampered,
            f"/ecitiz/s/{unknown}",
            f"/ecitiz/s/{revoked}",
            "/ecitiz/s/x",
        )
    ]
    assert {r.status_code for r in answers} == {404}
    assert len({r.data for r in answers}) == 1


def test_tracking_link_survives_key_rotation_until_key_removed(client, app):
    receipt = client.get(_submit_ok(client).headers["Location"])
    status_url = _status_url(receipt.get_data(as_text=True))
    old_key = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "a-brand-new-secret-key-for-rotation"
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    assert client.get(status_url).status_code == 200
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get(status_url).status_code == 404


# -- cookies -------------------------------------------------------------------


def test_no_public_response_sets_a_cookie(client, app, company_directory):
    seen = []
    form = client.get(form_url())
    seen.append(form)
    seen.append(client.get(form_url("attestation") + "?lang=en"))
    seen.append(client.get(form_url(org="nobody")))
    seen.append(post_form(client, with_file(aid_answers(siret="1"))))
    seen.append(post_form(client, with_file(aid_answers()), ticket=False))
    seen.append(post_form(client, with_file(aid_answers(website="x"))))
    seen.append(
        post_form(client, aid_answers(), headers={"Origin": "https://x.example"})
    )
    ok = _submit_ok(client)
    seen.append(ok)
    receipt = client.get(ok.headers["Location"])
    seen.append(receipt)
    seen.append(client.get(_status_url(receipt.get_data(as_text=True))))
    seen.append(client.get("/ecitiz/s/nope"))
    seen.append(client.get("/ecitiz/r/nope"))
    css = re.search(r'href="(/ecitiz/assets/[^"]+)"', form.get_data(as_text=True))
    seen.append(client.get(css.group(1)))
    status_url = _status_url(receipt.get_data(as_text=True))
    seen.append(client.get(ok.headers["Location"].split("?")[0] + "/receipt.pdf"))
    seen.append(client.get(status_url + "/receipt.pdf"))
    seen.append(client.get(status_url + "/attestation.pdf"))
    seen.append(client.get(status_url + "/amend"))
    seen.append(client.post(status_url + "/amend", data={"ticket": "x"}))
    seen.append(client.get("/ecitiz/v"))
    seen.append(client.post("/ecitiz/v", data={"code": "1.AAAA.x"}))
    seen.append(client.post("/ecitiz/api/verify", json={"payload": "1.AAAA.x"}))
    seen.append(client.get("/ecitiz/api/documents/23456789AB/status"))
    seen.append(client.get("/.well-known/ecitiz-keys.json"))
    seen.append(client.get("/ecitiz/t/acme?origin=https://www.acme.example&embed=e"))
    seen.append(client.post("/ecitiz/t/acme", data={"link": status_url}))
    seen.append(client.post("/ecitiz/t/acme", data={"link": "nope"}))
    seen.append(client.get("/ecitiz/widget/ecitiz.js"))
    seen.append(client.get(f"/ecitiz/widget/{__version__}/frame.js"))
    mine = client.get(f"/ecitiz/my/{ORG}")
    seen.append(mine)
    seen.append(client.get(f"/ecitiz/c/{ORG}"))
    seen.append(
        client.post(
            f"/ecitiz/my/{ORG}",
            data={**hidden_inputs(mine.get_data(as_text=True)), "email": "a@b.org"},
        )
    )
    seen.append(client.get(f"/ecitiz/my/{ORG}/nope"))
    seen.append(client.get(f"/ecitiz/lost/{ORG}"))
    seen.append(client.get("/ecitiz/healthz"))
    seen.append(client.get(form_url() + f"/company?siret={SIRET}"))
    seen.append(
        client.post(form_url() + "/company", data={**aid_answers(), "ticket": "x"})
    )
    saved = client.post(
        form_url() + "/later",
        data=with_file({"ticket": ticket_for(client), **aid_answers()}),
        content_type="multipart/form-data",
    )
    seen.append(saved)
    draft = re.search(r'id="draft-link">http://localhost([^<]+)<', saved.text)
    seen.append(client.get(draft.group(1)))
    seen.append(client.get("/ecitiz/d/nope"))
    seen.append(client.post(form_url() + "/remove", data={"remove:nope": "Remove"}))
    seen.append(client.post(form_url() + "/upload", data={"field": "documents"}))
    first = hidden_inputs(form.get_data(as_text=True))
    seen.append(
        client.post(
            form_url() + "/step",
            data={**first, **aid_answers(), "_go": "next"},
            content_type="multipart/form-data",
        )
    )
    public_rules = {
        r.endpoint
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith(
            (
                "ecitiz.",
                "ecitiz_verify.",
                "ecitiz_keys.",
                "ecitiz_track.",
                "ecitiz_counter.",
                "ecitiz_widget.",
                "ecitiz_health.",
            )
        )
    }
    assert public_rules == {
        "ecitiz.asset",
        "ecitiz.form_page",
        "ecitiz.submit_form",
        "ecitiz.receipt",
        "ecitiz.status",
        "ecitiz.receipt_pdf",
        "ecitiz.attestation_pdf",
        "ecitiz.amend_form",
        "ecitiz.amend_submit",
        "ecitiz.save_draft",
        "ecitiz.remove_kept_file",
        "ecitiz.upload_file",
        "ecitiz.draft",
        "ecitiz.form_step",
        "ecitiz_verify.verify_page",
        "ecitiz_verify.verify_api",
        "ecitiz_verify.document_status",
        "ecitiz_keys.published_keys",
        "ecitiz_track.lookup",
        "ecitiz_track.show",
        "ecitiz_counter.counter",
        "ecitiz_widget.versioned",
        "ecitiz_widget.alias",
        "ecitiz.my_requests_ask",
        "ecitiz.my_requests_post",
        "ecitiz.my_requests",
        "ecitiz.lost_link",
        "ecitiz_health.healthz",
        "ecitiz.company_lookup",
        "ecitiz.company_lookup_page",
    }, "a new public route must be added to this walk"
    for response in seen:
        assert "Set-Cookie" not in response.headers, response.request.path
    assert not client.get_cookie("session")


def test_form_issued_on_submit_accepts_at_once_with_its_attestation(client, store):
    org = store.organisation(ORG)
    store.enable_form(org["id"], "attestation", 1, None, 730, issue_on_submit=True)
    response = post_form(client, attestation_answers(), "attestation")
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    [submission] = stored_requests(store)
    assert submission["status"] == "accepted"
    [document] = store.documents(submission["id"])
    assert document["holder"] == "NGUYỄN Z."
    link = re.search(r'href="([^"]+/attestation\.pdf[^"]*)"', html).group(1)
    pdf = client.get(link.replace("&amp;", "&"))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"].startswith("attachment;")
