"""The embed widget on the server side: the scripts, the snippet, how a framed
page learns its embedding origin, theme and prefill."""

import base64
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from ecitiz_kit import __version__
from ecitiz_kit.colours import contrast_ratio
from ecitiz_kit.forms.loading import load_catalog
from ecitiz_kit.web.embedding import parse_embed, parse_theme
from ecitiz_kit.web.frame_heights import fitting_height
from ecitiz_kit.web.scripts import SCRIPTS
from ecitiz_kit.web.snippets import script_snippet

from .helpers import (
    ALLOWED,
    ORG,
    aid_answers,
    aid_page,
    form_url,
    post_form,
    with_file,
)

ROOT = Path(__file__).resolve().parent.parent
WIDGETS = ROOT / "widgets"
LOADER = f"/ecitiz/widget/{__version__}/ecitiz.js"
BUDGET = 2560


# -- the scripts -------------------------------------------------------------------


def test_node_unit_tests_pass():
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is required in CI to run widgets/*.test.js")
        pytest.skip("node is not installed (apt-get install nodejs)")
    # Files named explicitly: newer node versions read arguments as globs.
    files = sorted(str(p) for p in WIDGETS.glob("*.test.js"))
    assert len(files) >= 2
    result = subprocess.run(
        [node, "--test", *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^# pass [1-9]", result.stdout, re.MULTILINE)
    assert re.search(r"^# fail 0$", result.stdout, re.MULTILINE)


@pytest.mark.parametrize("name", ["ecitiz.js", "frame.js"])
def test_scripts_fit_the_byte_budget(name):
    size = len(gzip.compress((WIDGETS / name).read_bytes(), compresslevel=9))
    assert size <= BUDGET, f"{name} is {size} bytes gzipped (budget {BUDGET})"


def test_versioned_loader_is_cacheable_forever_and_readable_anywhere(client):
    response = client.get(LOADER)
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    cache = response.headers["Cache-Control"]
    assert "public" in cache and "max-age=31536000" in cache and "immutable" in cache
    assert response.data == (WIDGETS / "ecitiz.js").read_bytes()
    assert "Set-Cookie" not in response.headers


def test_unversioned_alias_is_cached_briefly(client):
    response = client.get("/ecitiz/widget/ecitiz.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert "max-age=300" in response.headers["Cache-Control"]
    assert "immutable" not in response.headers["Cache-Control"]
    assert response.data == (WIDGETS / "ecitiz.js").read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/ecitiz/widget/0.0.1/ecitiz.js",  # never released
        "/ecitiz/widget/0.1.1/ecitiz.js",
        "/ecitiz/widget/99.0.0/ecitiz.js",
        "/ecitiz/widget/0.1.0/ecitiz.test.js",
        "/ecitiz/widget/0.1.0/manifest.json",
        "/ecitiz/widget/released/manifest.json",
        "/ecitiz/widget/released/0.1.0/ecitiz.js",
        "/ecitiz/widget/manifest.json",
        "/ecitiz/widget/0.1.0%2F..%2F0.0.1/ecitiz.js",
        f"/ecitiz/widget/{__version__}/ecitiz.test.js",
        f"/ecitiz/widget/{__version__}/..%2Fsetup.cfg",
        "/ecitiz/widget/frame.test.js",
    ],
)
def test_only_known_scripts_are_served(client, path):
    assert client.get(path).status_code == 404


# -- released scripts --------------------------------------------------------------

RELEASED = WIDGETS / "released"
MANIFEST = json.loads((RELEASED / "manifest.json").read_text())
RELEASED_SCRIPTS = [(v, name) for v, files in MANIFEST.items() for name in files]
# What `flask ecitiz snippet acme aid-request` printed with the kit 0.1.0, which
# host pages hold: KIT_BASE stands for the kit's address.
SNIPPET_0_1_0 = (ROOT / "tests" / "data" / "snippets" / "0.1.0.html").read_text()


def _version(text):
    return tuple(int(part) for part in text.split("."))


def test_every_release_keeps_both_scripts_and_nothing_else():
    assert "0.1.0" in MANIFEST
    folders = {p.name for p in RELEASED.iterdir() if p.is_dir()}
    assert folders == set(MANIFEST)
    for version, files in MANIFEST.items():
        assert sorted(files) == ["ecitiz.js", "frame.js"], version
        assert sorted(p.name for p in (RELEASED / version).iterdir()) == sorted(files)


@pytest.mark.parametrize("version, name", RELEASED_SCRIPTS)
def test_released_scripts_keep_their_recorded_bytes(version, name):
    data = (RELEASED / version / name).read_bytes()
    assert _sri(data) == MANIFEST[version][name], (
        f"widgets/released/{version}/{name} changed: host pages pin it by its hash"
    )


@pytest.mark.parametrize("version, name", RELEASED_SCRIPTS)
def test_released_scripts_stay_served_byte_for_byte(client, version, name):
    response = client.get(f"/ecitiz/widget/{version}/{name}")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in response.headers
    assert response.data == (RELEASED / version / name).read_bytes()
    assert _sri(response.data) == MANIFEST[version][name]


@pytest.mark.parametrize("version", list(MANIFEST))
def test_a_release_is_never_newer_than_the_running_kit(version):
    # Releasing freezes the running scripts: after that, changing them takes a
    # new version number.
    assert _version(version) <= _version(__version__)
    if version == __version__:
        for name in SCRIPTS:
            frozen = (RELEASED / version / name).read_bytes()
            assert (WIDGETS / name).read_bytes() == frozen


def test_the_0_1_0_snippet_still_matches_what_is_served(client):
    src = re.search(r'src="KIT_BASE([^"]+)"', SNIPPET_0_1_0).group(1)
    integrity = re.search(r'integrity="([^"]+)"', SNIPPET_0_1_0).group(1)
    assert src == "/widget/0.1.0/ecitiz.js"
    response = client.get("/ecitiz" + src)
    assert response.status_code == 200
    assert _sri(response.data) == integrity


@pytest.mark.parametrize("path", [f"/f/{ORG}/aid-request", f"/t/{ORG}"])
def test_frame_addresses_made_by_the_0_1_0_loader_are_honoured(client, path):
    """The kit side of the loader's protocol (README, "Upgrades and pasted
    snippets"): the frame's address, exactly as the 0.1.0 loader builds it."""
    query = (
        "lang=en&primary=%23004080&radius=12&font=serif"
        "&origin=https%3A%2F%2Fwww.acme.example&embed=ecitiz-3"
    )
    response = client.get(f"/ecitiz{path}?{query}")
    assert response.status_code == 200
    html = _body(response)
    assert '<html lang="en">' in html
    assert ORIGIN_ATTR.search(html).group(1) == ALLOWED
    assert 'data-ecitiz-embed="ecitiz-3"' in html
    assert f'src="/ecitiz/widget/{__version__}/frame.js"' in html
    css = re.search(r"<style nonce=\"[^\"]+\">([^<]*)</style>", html).group(1)
    assert "--ecitiz-primary:#004080" in css and "--ecitiz-radius:12px" in css
    assert "--ecitiz-font:Georgia" in css
    assert f"frame-ancestors {ALLOWED}" in response.headers["Content-Security-Policy"]


def test_snippet_pins_the_running_version(client):
    snippet = str(script_snippet(ORG, "aid-request", "Aide", "https://k.example/x"))
    src = re.search(r'src="([^"]+)"', snippet).group(1)
    assert src == f"https://k.example/x/widget/{__version__}/ecitiz.js"
    integrity = re.search(r'integrity="([^"]+)"', snippet).group(1)
    assert integrity == _sri(client.get(LOADER).data)


# -- the snippet -------------------------------------------------------------------


def _sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def test_snippet_prints_placeholder_fallback_link_and_pinned_loader(runner, client):
    result = runner.invoke(
        args=[
            "ecitiz",
            "snippet",
            ORG,
            "aid-request",
            "--base-url",
            "https://k.example",
        ]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().split("\n")
    assert len(lines) == 2
    placeholder, script = lines
    assert placeholder.startswith('<div data-ecitiz-form="acme/aid-request" ')
    assert 'href="https://k.example/ecitiz/f/acme/aid-request"' in placeholder
    assert placeholder.endswith("</a></div>")
    src = re.search(r'src="([^"]+)"', script).group(1)
    assert src == f"https://k.example{LOADER}"
    integrity = re.search(r'integrity="([^"]+)"', script).group(1)
    assert integrity == _sri(client.get(LOADER).data)
    assert 'crossorigin="anonymous"' in script and " async " in script


def test_snippet_iframe_variant_is_a_plain_titled_frame(runner):
    result = runner.invoke(
        args=["ecitiz", "snippet", ORG, "attestation", "--iframe", "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        '<iframe class="ecitiz-frame"'
        ' src="http://127.0.0.1:5000/ecitiz/f/acme/attestation?lang=en" title="'
    )
    # The height is an attribute (a strict CSP drops style attributes), fitted
    # to the form; the style only widens the frame and removes its border.
    height = fitting_height(load_catalog("attestation"))
    assert f' height="{height}" style="width:100%;border:0">' in result.output
    assert "<script" not in result.output


def test_plain_frame_heights_follow_the_form_and_its_heading():
    aid, attestation = load_catalog("aid-request"), load_catalog("attestation")
    # The aid request is longer than the attestation, and both are far longer
    # than one screen.
    assert fitting_height(aid) > fitting_height(attestation) > 2000
    assert fitting_height(attestation, heading=False) < fitting_height(attestation)
    # A label long enough to wrap takes more room than a short one.
    section = attestation.sections[0]
    first = replace(section.fields[0], label="Prénom " * 40)
    longer = replace(
        attestation,
        sections=(replace(section, fields=(first, *section.fields[1:])),),
    )
    shorter = replace(attestation, sections=(section,))
    assert fitting_height(longer) > fitting_height(shorter)


def test_snippet_status_mode(runner):
    result = runner.invoke(args=["ecitiz", "snippet", ORG, "--status"])
    assert result.exit_code == 0, result.output
    assert '<div data-ecitiz-status="acme"' in result.output
    assert 'href="http://127.0.0.1:5000/ecitiz/t/acme"' in result.output
    assert 'integrity="sha384-' in result.output


@pytest.mark.parametrize(
    "args, why",
    [
        ([ORG], "give the FORM"),
        ([ORG, "aid-request", "--status"], "--status takes no FORM"),
        ([ORG, "aid-request", "--base-url", "https://k.example/x"], "no path"),
    ],
)
def test_snippet_refusals_explain_themselves(runner, args, why):
    result = runner.invoke(args=["ecitiz", "snippet", *args])
    assert result.exit_code == 1
    assert why in result.output


# -- embedding origin ------------------------------------------------------------------

ORIGIN_ATTR = re.compile(r'<body[^>]* data-ecitiz-origin="([^"]*)"')


def _body(response) -> str:
    return response.get_data(as_text=True)


def test_frame_gets_an_allowed_origin_to_post_to(client):
    response = client.get(form_url() + f"?origin={ALLOWED}&embed=ecitiz-0")
    html = _body(response)
    assert ORIGIN_ATTR.search(html).group(1) == ALLOWED
    assert 'data-ecitiz-embed="ecitiz-0"' in html
    assert f'src="/ecitiz/widget/{__version__}/frame.js"' in html
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    assert f"frame-ancestors {ALLOWED}" in csp
    assert "X-Frame-Options" not in response.headers


@pytest.mark.parametrize(
    "query",
    [
        "origin=https://evil.example&embed=ecitiz-0",
        "origin=https://www.acme.example.evil.example&embed=ecitiz-0",
        "origin=http://www.acme.example&embed=ecitiz-0",  # another scheme
        "origin=*&embed=ecitiz-0",
        "origin=null&embed=ecitiz-0",
        f"origin={ALLOWED}&embed=%22%3E%3Cscript%3E",
        f"origin={ALLOWED}",
        "embed=ecitiz-0",
    ],
)
def test_frame_of_an_origin_not_allowed_posts_nothing(client, query):
    html = _body(client.get(form_url() + "?" + query))
    assert "data-ecitiz-origin" not in html
    assert "data-ecitiz-embed" not in html
    assert "<script>" not in html


def test_origin_is_normalised_before_the_check():
    embed = parse_embed(
        {"origin": "HTTPS://WWW.Acme.Example:443", "embed": "e"}, [ALLOWED]
    )
    assert embed.origin == ALLOWED and embed.messaging


def test_embedding_survives_errors_and_reaches_the_receipt(client, store):
    query = f"?origin={ALLOWED}&embed=ecitiz-3&primary=%23004080"
    page = _body(client.get(form_url() + query))
    action = re.search(r'<form method="post" action="([^"]+)"', page).group(1)
    assert "origin=https" in action and "embed=ecitiz-3" in action
    assert "primary=%23004080" in action
    assert "origin=https" in re.search(r'href="([^"]*lang=en[^"]*)"', page).group(1)

    # The aid request comes in steps: its pages post to ".../step"; every answer
    # at once goes to the form's own address, with the same arguments.
    assert "/aid-request/step?" in action
    url = action.replace("&amp;", "&").replace("/step?", "?")
    ticket = re.search(r'name="ticket" value="([^"]+)"', page).group(1)
    data = {"ticket": ticket, **with_file(aid_answers(siret="73282932000075"))}
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    html = _body(response)
    assert ORIGIN_ATTR.search(html).group(1) == ALLOWED
    assert 'data-ecitiz-event="error"' in html
    assert 'data-ecitiz-scroll="error-summary"' in html

    data = {"ticket": ticket, **with_file(aid_answers())}
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert "origin=https" in location and "embed=ecitiz-3" in location
    receipt = _body(client.get(location))
    reference = re.search(r'data-ecitiz-reference="([^"]+)"', receipt).group(1)
    assert 'data-ecitiz-event="submitted"' in receipt
    assert f'<p class="ecitiz-reference">{reference}</p>' in receipt
    assert store.table_counts()["submissions"] == 1
    assert ORIGIN_ATTR.search(receipt).group(1) == ALLOWED


def test_receipt_outside_a_frame_tells_nobody(client):
    response = post_form(client, with_file(aid_answers()))
    receipt = _body(client.get(response.headers["Location"]))
    assert "data-ecitiz-origin" not in receipt


# -- theme -------------------------------------------------------------------------


def test_theme_applies_through_a_nonced_style(client):
    response = client.get(form_url() + "?primary=%23004080&radius=12&font=serif")
    html = _body(response)
    style = re.search(r'<style nonce="([^"]+)">([^<]*)</style>', html)
    assert style, html[:800]
    nonce, css = style.groups()
    assert (
        f"style-src 'self' 'nonce-{nonce}'"
        in response.headers["Content-Security-Policy"]
    )
    assert "--ecitiz-primary:#004080" in css
    assert "--ecitiz-radius:12px" in css
    assert "--ecitiz-font:Georgia" in css
    other = client.get(form_url() + "?primary=%23004080")
    assert nonce not in other.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "query",
    [
        "primary=red",
        "primary=%23ff0",  # white on yellow is unreadable
        "primary=%230040801",
        "primary=%23004080;background:url(x)",
        "radius=25",
        "radius=-1",
        "radius=1e1",
        "font=Comic%20Sans",
        "font=serif;}body{display:none",
        "primary=%23fff%0A",  # a line break after a valid-looking value
        "radius=12%0A",
        "embed=ecitiz-1%0A&origin=https://www.acme.example",
    ],
)
def test_invalid_theme_values_are_ignored(client, query):
    response = client.get(form_url() + "?" + query)
    assert response.status_code == 200
    assert "<style" not in _body(response)
    assert "nonce" not in response.headers["Content-Security-Policy"]


def test_theme_parsing_keeps_the_valid_values_only():
    theme = parse_theme({"primary": "#ABC", "radius": "99", "font": "mono"})
    assert (theme.primary, theme.radius, theme.font) == (None, None, "mono")
    theme = parse_theme({"primary": "#1D4ED8", "radius": "0"})
    assert (theme.primary, theme.radius) == ("#1d4ed8", 0)
    assert round(contrast_ratio("#000"), 1) == 21.0
    assert round(contrast_ratio("#fff"), 1) == 1.0


# -- hiding parts of the frame -------------------------------------------------------


def test_an_embed_can_hide_the_heading_and_the_language_links(client):
    shown = _body(client.get(form_url()))
    assert '<h1 class="ecitiz-title">' in shown
    assert 'class="ecitiz-languages"' in shown
    assert "ecitiz-no-heading" not in shown
    html = _body(client.get(form_url() + "?heading=hidden&languages=hidden"))
    # Visually hidden only: screen readers still hear the form's title.
    assert re.search(r'<body class="ecitiz ecitiz-no-heading"', html)
    assert '<h1 class="ecitiz-title">' in html
    assert "<title>" in html and "</title>" in html
    assert 'class="ecitiz-languages"' not in html
    action = re.search(r'<form method="post" action="([^"]+)"', html).group(1)
    assert "heading=hidden" in action and "languages=hidden" in action


def test_the_status_mode_can_hide_its_heading(client):
    html = _body(client.get(f"/ecitiz/t/{ORG}?heading=hidden"))
    assert re.search(r'<body class="ecitiz ecitiz-no-heading"', html)
    assert '<h1 class="ecitiz-title">' in html


def test_the_heading_is_hidden_by_css_that_keeps_it_readable(client):
    css = (ROOT / "static" / "ecitiz.css").read_text()
    rule = re.search(
        r"([^{}]*)\{([^}]*)\}", css[css.index(".ecitiz-no-heading") - 40 :]
    )
    assert ".ecitiz-no-heading .ecitiz-title" in rule.group(1)
    assert "clip:" in rule.group(2) and "display" not in rule.group(2)


@pytest.mark.parametrize(
    "query", ["heading=none", "heading=hidden%0A", "languages=1", "heading="]
)
def test_other_hiding_values_are_ignored(client, query):
    html = _body(client.get(form_url() + "?" + query))
    assert "ecitiz-no-heading" not in html
    assert 'class="ecitiz-languages"' in html


def test_parse_embed_reads_what_to_hide():
    embed = parse_embed({"heading": "hidden", "languages": "hidden"}, [])
    assert (embed.hide_heading, embed.hide_languages) == (True, True)
    assert embed.args == {"heading": "hidden", "languages": "hidden"}
    embed = parse_embed({"heading": "shown", "languages": "HIDDEN"}, [])
    assert (embed.hide_heading, embed.hide_languages, embed.args) == (False, False, {})


def test_snippet_flags_hide_the_heading_and_the_language_switch(runner):
    result = runner.invoke(
        args=[
            "ecitiz",
            "snippet",
            ORG,
            "aid-request",
            "--no-heading",
            "--no-language-switch",
        ]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        '<div data-ecitiz-form="acme/aid-request" data-title="'
    )
    assert ' data-heading="hidden" data-languages="hidden">' in result.output
    plain = runner.invoke(args=["ecitiz", "snippet", ORG, "--status", "--no-heading"])
    assert ' data-heading="hidden">' in plain.output
    assert "data-languages" not in plain.output


def test_iframe_snippet_flags_reach_the_frame_but_not_the_link(runner):
    result = runner.invoke(
        args=["ecitiz", "snippet", ORG, "attestation", "--iframe", "--lang", "en"]
        + ["--no-heading", "--no-language-switch"]
    )
    assert result.exit_code == 0, result.output
    url = "http://127.0.0.1:5000/ecitiz/f/acme/attestation?lang=en"
    assert f' src="{url}&amp;heading=hidden&amp;languages=hidden"' in result.output
    assert f'<a href="{url}" target="_blank"' in result.output


# -- prefill -----------------------------------------------------------------------


def test_only_fields_marked_prefillable_accept_prefill(client, app):
    html = "".join(
        aid_page(client, page.id) for page in load_catalog("aid-request").pages
    )
    marked = set(re.findall(r'name="([a-z_]+)" data-ecitiz-prefill', html))
    expected = {f.name for f in load_catalog("aid-request").fields if f.prefill}
    assert marked == expected
    assert {"siret", "email", "legal_name"} <= marked
    assert not marked & {"iban", "documents", "declaration", "privacy"}


def test_prefilled_values_are_validated_like_typed_ones(client, store):
    # Prefill happens in the browser; a prefilled bad SIRET is just a bad answer.
    response = post_form(client, with_file(aid_answers(siret="12345678901234")))
    assert response.status_code == 422
    assert store.table_counts()["submissions"] == 0
