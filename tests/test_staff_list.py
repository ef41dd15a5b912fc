import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from ecitiz_kit.domain import exports
from ecitiz_kit.state import state

from .helpers import ORG, STAFF, add_request, add_staff, sign_in

REF = re.compile(r"\b(?:AID|ATT)-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b")


@pytest.fixture
def agent(app, client):
    add_staff(app)
    assert sign_in(client).status_code == 303
    return client


@pytest.fixture
def requests_made(app):
    """120 requests of ACME, one every 5 hours back from now, newest first."""
    now = datetime.now(UTC).replace(microsecond=0)
    made = []
    with app.app_context():
        store = state(app).store
        org = store.organisation(ORG)["id"]
        for n in range(120):
            made.append(
                add_request(
                    store, org, now - timedelta(hours=5 * n),
                    status=("submitted", "accepted", "rejected")[n % 3],
                    last=f"Moreau{n}" if n % 10 == 0 else "Durand",
                    form_id="attestation" if n % 4 == 0 else "aid-request",
                )
            )  # fmt: skip
    return made


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = {}
        self._href = None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data):
        if self._href and data.strip():
            self.links.setdefault(data.strip(), self._href.replace("&amp;", "&"))

    def handle_endtag(self, tag):
        if tag == "a":
            self._href = None


def links(html):
    parser = Links()
    parser.feed(html)
    return parser.links


def rows_of(html):
    body = html.split("<tbody>")[-1]
    return REF.findall(body.split("</tbody>")[0]) if "<tbody>" in html else []


def test_list_pages_through_every_request_newest_first(agent, requests_made):
    page = agent.get(f"{STAFF}/?lang=en").get_data(as_text=True)
    seen = rows_of(page)
    assert len(seen) == 50
    while "Older requests" in links(page):
        page = agent.get(links(page)["Older requests"]).get_data(as_text=True)
        seen += rows_of(page)
    assert seen == [r["reference"] for r in requests_made]
    # And back up with the "newer" links.
    back = rows_of(page)
    while "Newer requests" in links(page):
        page = agent.get(links(page)["Newer requests"]).get_data(as_text=True)
        back = rows_of(page) + back
    assert back == seen
    assert "?lang=en" in agent.get(f"{STAFF}/?lang=en").get_data(as_text=True)


def test_list_shows_counts_chart_and_table_alternative(agent, requests_made):
    response = agent.get(f"{STAFF}/?lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "120 requests match" in html
    for status, count in (("submitted", 40), ("accepted", 40), ("rejected", 40)):
        assert re.search(
            rf'status={status}[^"]*"[^>]*>.*?<span class="ecitiz-count">{count}</span>',
            html,
        ), status
    svg = ET.fromstring(re.search(r"<svg[^>]*class=\"ecitiz-chart\".*?</svg>", html,
                                  re.S).group(0))  # fmt: skip
    assert svg.get("role") == "img"
    drawn = sum(
        int(r.get("data-count")) for r in svg.iter("{http://www.w3.org/2000/svg}rect")
    )
    # The table gives the same figures as the chart, day by day.
    table = html.split('class="ecitiz-chart-data"')[1].split("</table>")[0]
    totals = [int(t) for t in re.findall(r"<td>(\d+)</td></tr>", table)]
    assert len(totals) == 30 and sum(totals) == drawn
    # 30 days at one request every 5 hours: 144 or 145 requests.
    assert drawn == len([r for r in requests_made if r["created_at"] >= _days_ago(29)])
    assert "Durand" in html and "camille@example.org" in html


def _days_ago(days):
    from zoneinfo import ZoneInfo

    from ecitiz_kit.domain.request_list import day_start

    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    return day_start(today - timedelta(days=days), "Europe/Paris")


def test_filters_search_and_export_link_keep_each_other(agent, requests_made):
    html = agent.get(f"{STAFF}/?status=submitted&q=moreau&lang=en").get_data(
        as_text=True
    )
    expected = [
        r["reference"]
        for r in requests_made
        if r["status"] == "submitted" and "Moreau" in r["answers"]["last_name"]
    ]
    assert rows_of(html) == expected and expected
    export = links(html)["Export these requests (CSV)"]
    assert "status=submitted" in export and "q=moreau" in export
    assert 'value="moreau"' in html and '<option value="submitted" selected>' in html
    text = agent.get(export).get_data(as_text=True)
    refs = [row[0] for row in csv.reader(io.StringIO(text[1:]))][1:]
    assert refs == expected


def test_the_language_link_keeps_the_filters(agent, requests_made):
    html = agent.get(f"{STAFF}/?status=submitted&q=mor%C3%A9&lang=en").text
    french = links(html)["Français"]
    assert french == "?status=submitted&q=mor%C3%A9&lang=fr"
    page = agent.get(f"{STAFF}/{french}").text
    assert 'value="moré"' in page and '<option value="submitted" selected>' in page
    assert '<html lang="fr"' in page


@pytest.mark.parametrize(
    "query, field, message",
    [
        ("from=yesterday", "from", "Enter a date as year-month-day"),
        ("to=2026-02-30", "to", "Enter a date as year-month-day"),
        ("from=2026-03-02&to=2026-03-01", "to", "must not be before"),
        ("status=deleted", "status", "Choose a status"),
        ("form=../../etc/passwd", "form", "Choose a form"),
        ("q=" + "x" * 101, "q", "100 characters at most"),
    ],
)
def test_bad_filters_get_400_with_the_form_and_what_to_fix(
    agent, requests_made, query, field, message
):
    response = agent.get(f"{STAFF}/?{query}&lang=en")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and 'role="alert"' in html
    assert f'href="#filter-{field}"' in html and 'aria-invalid="true"' in html
    assert rows_of(html) == []  # no rows for filters that mean nothing
    export = agent.get(f"{STAFF}/requests.csv?{query}&lang=en")
    assert export.status_code == 400 and message in export.get_data(as_text=True)
    assert not export.headers["Content-Type"].startswith("text/csv")


@pytest.mark.parametrize(
    "cursor", ["older=garbage", "newer=~", "older=MjAyNn4x", "older=a&newer=b"]
)
def test_forged_page_links_get_400_with_a_message(agent, requests_made, cursor):
    response = agent.get(f"{STAFF}/?{cursor}&lang=en")
    assert response.status_code == 400
    assert "This page link is damaged" in response.get_data(as_text=True)


def test_export_is_a_streamed_utf8_csv_attachment(app, agent, requests_made):
    response = agent.get(f"{STAFF}/requests.csv?form=aid-request", buffered=False)
    assert response.status_code == 200
    assert response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="acme-requests-\d{4}-\d{2}-\d{2}\.csv"',
                        disposition)  # fmt: skip
    assert response.headers["X-Frame-Options"] == "DENY"
    body = b"".join(response.response)
    response.close()
    assert body.startswith(exports.BOM.encode("utf-8"))
    table = list(csv.reader(io.StringIO(body.decode("utf-8")[1:]), delimiter=";"))
    header, rows = table[0], table[1:]
    assert header[:5] == [
        "Numéro de dossier", "Formulaire", "Statut", "Reçue le",
        "Dernière modification",
    ]  # fmt: skip
    assert "Motif du déplacement" not in header  # one form: only its columns
    aid = [r["reference"] for r in requests_made if r["form_id"] == "aid-request"]
    assert [row[0] for row in rows] == aid


def test_export_reads_the_store_while_it_is_sent(
    app, agent, requests_made, monkeypatch
):
    from ecitiz_kit.store import listing as store_listing

    monkeypatch.setattr(store_listing, "EXPORT_BATCH", 10)
    monkeypatch.setattr(exports, "ROWS_PER_CHUNK", 10)
    store = state(app).store
    calls = []
    real = store.request_page

    def spy(*args, **kwargs):
        rows = real(*args, **kwargs)
        calls.append(len(rows))
        return rows

    monkeypatch.setattr(store, "request_page", spy)
    response = agent.get(f"{STAFF}/requests.csv", buffered=False)
    # Flask runs the body up to its first piece to send; the rest waits.
    assert calls == [10]
    stream = iter(response.response)
    first = next(stream)
    assert first.startswith(exports.BOM.encode()) and calls == [10]
    rest = b"".join(stream)
    response.close()
    assert calls == [10] * 12 + [0]
    assert (first + rest).count(b"\r\n") == 121


def test_english_export_has_english_headers_and_commas(agent, requests_made):
    text = agent.get(
        f"{STAFF}/requests.csv?lang=en&status=rejected&form=aid-request"
    ).get_data(as_text=True)
    header = next(csv.reader(io.StringIO(text[1:])))
    assert header[:5] == ["Reference", "Form", "Status", "Received", "Last change"]
    assert header[5] == "First name"


def test_list_and_export_need_a_signed_in_agent(client, requests_made):
    for path in ("/", "/requests.csv"):
        response = client.get(STAFF + path)
        assert response.status_code in (302, 303)
        assert "/staff/login" in response.headers["Location"]


def test_an_empty_page_reached_by_a_link_leads_back_to_the_newest(agent, requests_made):
    oldest = requests_made[-1]
    from ecitiz_kit.domain.request_list import encode_cursor

    html = agent.get(f"{STAFF}/?older={encode_cursor(oldest)}&lang=en").get_data(
        as_text=True
    )
    assert rows_of(html) == [] and "There is no request on this page." in html
    assert links(html)["Newest requests"].startswith(f"{STAFF}/")
