import json
import re

import pytest

from ecitiz_kit.passwords import verify_password
from ecitiz_kit.store import MIGRATIONS

from .helpers import ORG


def test_init_db_reports_schema(runner, store):
    result = runner.invoke(args=["ecitiz", "init-db"])
    assert result.exit_code == 0, result.output
    assert f"schema version {store.schema_target()}" in result.output
    if store.dialect == "sqlite":
        assert store.schema_target() == len(MIGRATIONS)


def test_create_org_then_duplicate_fails_in_one_line(runner, store):
    ok = runner.invoke(args=["ecitiz", "create-org", "mairie-x", "--name", "Mairie X"])
    assert ok.exit_code == 0, ok.output
    assert store.organisation("mairie-x")["name"] == "Mairie X"
    dup = runner.invoke(args=["ecitiz", "create-org", "mairie-x", "--name", "Again"])
    assert dup.exit_code == 1
    assert dup.output.strip().count("\n") == 0 and "already exists" in dup.output


@pytest.mark.parametrize("slug", ["Bad Slug", "x-", "a", "x" * 41, "é"])
def test_create_org_refuses_bad_slugs(runner, store, slug):
    result = runner.invoke(args=["ecitiz", "create-org", slug, "--name", "N"])
    assert result.exit_code == 1
    assert store.organisation(slug) is None


def test_enable_ready_made_form(runner, store):
    runner.invoke(args=["ecitiz", "create-org", "mairie-x", "--name", "Mairie X"])
    result = runner.invoke(args=["ecitiz", "enable-form", "mairie-x", "attestation"])
    assert result.exit_code == 0, result.output
    org = store.organisation("mairie-x")
    assert store.enabled_form(org["id"], "attestation")["definition"] is None


@pytest.mark.parametrize(
    ("form", "option", "kept"),
    [
        ("payment-deferral", [], 1825),  # the definition's own period
        ("adviser-appointment", [], 365),
        ("payment-deferral", ["--retention-days", "90"], 90),
        ("tests/data/definitions/membership.json", [], 400),  # ECITIZ_RETENTION_DAYS
    ],
)
def test_enable_form_keeps_requests_for_the_chosen_period(
    app, runner, store, form, option, kept
):
    app.config["ECITIZ_RETENTION_DAYS"] = 400
    runner.invoke(args=["ecitiz", "create-org", "mairie-x", "--name", "Mairie X"])
    result = runner.invoke(args=["ecitiz", "enable-form", "mairie-x", form, *option])
    assert result.exit_code == 0, result.output
    assert f"kept {kept} days after their last change" in result.output
    form_id = "membership" if form.endswith(".json") else form
    row = store.enabled_form(store.organisation("mairie-x")["id"], form_id)
    assert row["retention_days"] == kept


def test_enable_custom_form_from_file_serves_it(runner, store, client):
    path = "tests/data/definitions/membership.json"
    result = runner.invoke(args=["ecitiz", "enable-form", ORG, path])
    assert result.exit_code == 0, result.output
    form_id = json.load(open(path))["id"]
    row = store.enabled_form(store.organisation(ORG)["id"], form_id)
    assert row["definition"]
    page = client.get(f"/ecitiz/f/{ORG}/{form_id}")
    assert page.status_code == 200


def test_enable_broken_definition_names_file_and_field(runner, tmp_path, store):
    broken = tmp_path / "broken.json"
    broken.write_text(
        json.dumps(
            {
                "format": 1,
                "id": "broken-form",
                "version": 1,
                "reference_prefix": "BRK",
                "title": {"fr": "Cassé"},
                "sections": [
                    {
                        "id": "s",
                        "title": {"fr": "S"},
                        "fields": [
                            {"name": "siret", "type": "sirett", "label": {"fr": "S"}}
                        ],
                    }
                ],
            }
        )
    )
    result = runner.invoke(args=["ecitiz", "enable-form", ORG, str(broken)])
    assert result.exit_code == 1
    assert "broken.json" in result.output and "siret" in result.output
    assert store.enabled_form(store.organisation(ORG)["id"], "broken-form") is None


@pytest.mark.parametrize(
    "args",
    [
        ["enable-form", "nobody", "aid-request"],
        ["enable-form", ORG, "no-such-form"],
        ["allow-origin", "nobody", "https://x.example"],
        ["snippet", "nobody", "aid-request"],
        ["snippet", ORG, "no-such-form"],
        ["create-admin", "nobody", "a@b.example"],
    ],
)
def test_unknown_organisation_or_form_is_one_line_and_exit_1(runner, args):
    result = runner.invoke(args=["ecitiz", *args], input="a-long-password-123\n")
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert result.output.strip().count("\n") == 0


def test_allow_origin_normalises(runner, store):
    result = runner.invoke(
        args=["ecitiz", "allow-origin", ORG, "HTTPS://Shop.Example.org:443/"]
    )
    assert result.exit_code == 0, result.output
    assert "https://shop.example.org" in store.allowed_origins(
        store.organisation(ORG)["id"]
    )


@pytest.mark.parametrize(
    "url,why",
    [
        ("https://example.org/forms", "no path"),
        ("https://*.example.org", "wildcard"),
        ("example.org", "scheme"),
        ("ftp://example.org", "scheme"),
        ("https://user:pw@example.org", "user name"),
        ("https://exa mple.org", "host"),
    ],
)
def test_allow_origin_explains_refusals(runner, store, url, why):
    before = store.allowed_origins(store.organisation(ORG)["id"])
    result = runner.invoke(args=["ecitiz", "allow-origin", ORG, url])
    assert result.exit_code == 1
    assert why in result.output
    assert store.allowed_origins(store.organisation(ORG)["id"]) == before


@pytest.mark.real_hashing
def test_create_admin_reads_password_from_stdin(runner, store):
    result = runner.invoke(
        args=["ecitiz", "create-admin", ORG, "staff@acme.example"],
        input="correct horse battery staple\n",
    )
    assert result.exit_code == 0, result.output
    staff = store.staff_by_email("staff@acme.example")
    assert staff["password_hash"].startswith("scrypt:65536:8:1$")
    assert verify_password(staff["password_hash"], "correct horse battery staple")


def test_create_admin_refuses_short_password(runner, store):
    result = runner.invoke(
        args=["ecitiz", "create-admin", ORG, "staff@acme.example"], input="short\n"
    )
    assert result.exit_code == 1
    assert store.staff_by_email("staff@acme.example") is None


def test_list_forms(runner):
    result = runner.invoke(args=["ecitiz", "list-forms", "--json"])
    assert result.exit_code == 0
    ids = [row["id"] for row in json.loads(result.output)]
    assert ids == [
        "activity-declaration", "adviser-appointment", "aid-request", "attestation",
        "payment-deferral",
    ]  # fmt: skip
    lines = runner.invoke(args=["ecitiz", "list-forms"]).output.splitlines()
    assert [line.split()[0] for line in lines] == ids
    versions = [re.search(r" v[0-9]+ ", line) for line in lines]
    assert len({found.start() for found in versions}) == 1  # one column of versions


def test_snippet_uses_base_url(runner, app):
    result = runner.invoke(
        args=[
            "ecitiz",
            "snippet",
            ORG,
            "aid-request",
            "--base-url",
            "https://forms.example.org",
        ]
    )
    assert result.exit_code == 0, result.output
    assert 'href="https://forms.example.org/ecitiz/f/acme/aid-request"' in result.output
    assert 'src="https://forms.example.org/ecitiz/widget/' in result.output
    assert 'data-title="' in result.output


def test_snippet_defaults_to_public_url(runner, app):
    app.config["ECITIZ_PUBLIC_URL"] = "https://kit.example.net"
    result = runner.invoke(args=["ecitiz", "snippet", ORG, "attestation"])
    assert "https://kit.example.net/ecitiz/f/acme/attestation" in result.output


def test_snippet_with_lang_pins_the_form_language(runner):
    result = runner.invoke(
        args=["ecitiz", "snippet", ORG, "aid-request", "--lang", "en"]
    )
    assert "/ecitiz/f/acme/aid-request?lang=en" in result.output
