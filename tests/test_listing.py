import base64
import json
import random
from datetime import date

import pytest
from werkzeug.exceptions import BadRequest

from ecitiz_kit.domain import request_list as listing
from ecitiz_kit.domain.request_list import BadCursor, FilterError, Filters
from ecitiz_kit.forms.loading import load_catalog, parse_definition
from ecitiz_kit.state import state
from ecitiz_kit.store import Store
from ecitiz_kit.store.listing import _search_ids, match_expression

from .helpers import (
    ORG,
    TZ,
    add_request,
    aid_answers,
    at,
    migrated_before,
    post_form,
    with_file,
)

FORMS = ("aid-request", "attestation")


@pytest.fixture
def org(store):
    return store.organisation(ORG)["id"]


@pytest.fixture
def other(store):
    other = store.create_organisation("globex", "Globex")
    store.enable_form(other["id"], "aid-request", 1, None, 730)
    return other["id"]


def walk(store, org_id, filters=None, size=5):
    """Every page of the list, following the 'older' links from the first."""
    filters = filters or Filters()
    pages = [listing.request_page(store, org_id, filters, TZ, size=size)]
    while pages[-1].older:
        pages.append(
            listing.request_page(
                store, org_id, filters, TZ, older=pages[-1].older, size=size
            )
        )
    return pages


def ids(rows):
    return [row["id"] for row in rows]


# -- pagination --------------------------------------------------------------------


def test_pages_cover_every_request_once_newest_first_even_with_equal_times(store, org):
    made = []
    for n in range(17):
        made.append(add_request(store, org, at(f"2026-11-{1 + n % 9:02d} 10:00")))
    # Seven requests stored in the same microsecond, across page boundaries.
    for _ in range(7):
        made.append(add_request(store, org, at("2026-11-05 10:00")))
    pages = walk(store, org)
    seen = [i for page in pages for i in ids(page.rows)]
    expected = [
        r["id"]
        for r in sorted(made, key=lambda r: (r["created_at"], r["id"]), reverse=True)
    ]
    assert seen == expected
    assert len(set(seen)) == len(made) == 24
    assert [len(page.rows) for page in pages] == [5, 5, 5, 5, 4]
    assert pages[0].newer is None and pages[-1].older is None


def test_newer_links_walk_back_through_the_same_pages(store, org):
    for n in range(12):
        add_request(store, org, at(f"2026-11-{1 + n // 3:02d} 09:00"))
    pages = walk(store, org)
    back = [pages[-1]]
    while back[-1].newer:
        back.append(
            listing.request_page(
                store, org, Filters(), TZ, newer=back[-1].newer, size=5
            )
        )
    assert [ids(p.rows) for p in reversed(back)] == [ids(p.rows) for p in pages]
    assert back[-1].newer is None  # back on the first page


def test_empty_list_has_no_links(store, org):
    page = listing.request_page(store, org, Filters(), TZ)
    assert page.rows == [] and page.older is None and page.newer is None


def test_another_organisations_requests_never_appear(store, org, other):
    mine = add_request(store, org, at("2026-11-02 10:00"), last="Martin")
    theirs = add_request(store, other, at("2026-11-03 10:00"), last="Martin")
    for filters in (Filters(), Filters(search="martin"), Filters(status="submitted")):
        page = listing.request_page(store, org, filters, TZ)
        assert ids(page.rows) == [mine["id"]]
        assert listing.status_counts(store, org, filters, TZ)["submitted"] == 1
    # Even through a cursor positioned after the other organisation's request.
    cursor = listing.encode_cursor(
        theirs | {"created_at": "2026-12-01T00:00:00.000000Z"}
    )
    page = listing.request_page(store, org, Filters(), TZ, older=cursor)
    assert ids(page.rows) == [mine["id"]]
    exported = store.iter_requests(org, **Filters().for_store(TZ))
    assert [row["id"] for row in exported] == [mine["id"]]
    days = listing.daily_counts(store, org, TZ, today=date(2026, 11, 10))
    assert sum(day.total for day in days) == 1


# -- filters -----------------------------------------------------------------------


def test_filters_by_status_form_and_local_dates(store, org):
    # 23:30 UTC on 28 November is 00:30 on the 29th in Paris.
    late = add_request(store, org, at("2026-11-28 23:30"), status="in_review")
    early = add_request(store, org, at("2026-11-28 22:30"), status="in_review")
    att = add_request(store, org, at("2026-11-29 10:00"), form_id="attestation")
    add_request(store, org, at("2026-11-30 23:10"), status="accepted")  # 1 Dec

    def found(**kw):
        return ids(listing.request_page(store, org, Filters(**kw), TZ).rows)

    assert found(status="in_review") == [late["id"], early["id"]]
    assert found(form_id="attestation") == [att["id"]]
    assert found(date_from=date(2026, 11, 29), date_to=date(2026, 11, 30)) == [
        att["id"],
        late["id"],
    ]
    assert found(date_to=date(2026, 11, 28)) == [early["id"]]
    assert found(status="in_review", date_from=date(2026, 11, 29)) == [late["id"]]
    assert found(form_id="attestation", status="in_review") == []


def test_counts_per_status_follow_every_filter_but_the_status(store, org):
    add_request(store, org, at("2026-11-02 10:00"), status="accepted")
    add_request(store, org, at("2026-11-03 10:00"), status="accepted", last="Petit")
    add_request(store, org, at("2026-11-04 10:00"), form_id="attestation")
    add_request(store, org, at("2026-10-01 10:00"), status="closed")
    add_request(store, org, at("2026-10-02 10:00"), status="paid")
    counts = listing.status_counts(store, org, Filters(status="accepted"), TZ)
    assert counts == {
        "submitted": 1, "in_review": 0, "accepted": 2, "rejected": 0, "closed": 1,
        "paid": 1,
    }  # fmt: skip
    november = Filters(date_from=date(2026, 11, 1), form_id="aid-request")
    assert listing.status_counts(store, org, november, TZ)["accepted"] == 2
    assert sum(listing.status_counts(store, org, november, TZ).values()) == 2
    petit = listing.status_counts(store, org, Filters(search="petit"), TZ)
    assert petit["accepted"] == 1 and sum(petit.values()) == 1


@pytest.mark.parametrize(
    "search",
    ["durand", "DURAND", "lefevre", "Lefèvre", "durand-lef", "camille durand",
     "durand camille", "dur", "camille.durand@exa", "camille.durand@example.org"],
)  # fmt: skip
def test_search_finds_the_applicant_by_any_word_of_name_or_address(store, org, search):
    wanted = add_request(
        store, org, at("2026-11-02 10:00"),
        last="Durand-Lefèvre", email="camille.durand@example.org",
    )  # fmt: skip
    add_request(store, org, at("2026-11-03 10:00"), first="Zoé", last="Martin",
                email="zoe@example.net")  # fmt: skip
    page = listing.request_page(store, org, Filters(search=search), TZ)
    assert ids(page.rows) == [wanted["id"]]


def test_search_by_reference_prefix_in_any_case(store, org):
    wanted = add_request(store, org, at("2026-11-02 10:00"), reference="AID-7K3F-9Q2M")
    add_request(store, org, at("2026-11-03 10:00"), reference="AID-7K4A-2222")
    for search in ("AID-7K3F-9Q2M", "aid-7k3f", "AID-7K3"):
        page = listing.request_page(store, org, Filters(search=search), TZ)
        assert ids(page.rows) == [wanted["id"]], search
    assert len(listing.request_page(store, org, Filters(search="aid-7k"), TZ).rows) == 2


def test_search_combines_with_filters_and_pages(store, org):
    for n in range(8):
        add_request(store, org, at(f"2026-11-{n + 1:02d} 10:00"), last="Moreau",
                    status="accepted" if n % 2 else "submitted")  # fmt: skip
    add_request(store, org, at("2026-11-20 10:00"), last="Roux", status="accepted")
    filters = Filters(search="moreau", status="accepted")
    pages = walk(store, org, filters, size=3)
    rows = [row for page in pages for row in page.rows]
    assert len(rows) == 4 and len({row["id"] for row in rows}) == 4
    assert all(
        r["status"] == "accepted" and "Moreau" in r["applicant_name"] for r in rows
    )


HOSTILE = [
    '"', '""', "'", "*", "-", "+", "^", ":", "(", ")", "NEAR(", "a OR b", "AND",
    "NOT durand", 'durand" OR "zzz', "applicant_name:durand", "{applicant_email}: x",
    "' OR 1=1 --", "%", "_", "\\", "durand*", "d*r", "\x00durand", "🙂", "٣",
    "ǅ", "a" * 100, "- - -", "AID-", "AID-~", "~", "é́́́", "\u200b", "NEAR(a b, 2)",
]  # fmt: skip


@pytest.mark.parametrize("search", HOSTILE)
def test_hostile_searches_find_nothing_wrong_and_never_fail(store, org, search):
    add_request(store, org, at("2026-11-02 10:00"), last="Durand")
    filters = listing.parse_filters({"q": search}, FORMS)
    page = listing.request_page(store, org, filters, TZ)
    counts = listing.status_counts(store, org, filters, TZ)
    assert len(page.rows) == sum(counts.values()) <= 1
    # Operators are searched as words, never run: "a OR b" is not "anything".
    if search in ("a OR b", "NOT durand", 'durand" OR "zzz', "' OR 1=1 --"):
        assert page.rows == []


def test_random_searches_never_fail(store, org):
    add_request(store, org, at("2026-11-02 10:00"))
    alphabet = "aé\"'*-+^:()NEAROT {}~%_\\@.\t\x00😀ǅ٣\u0301"
    rng = random.Random(4)
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 20)))
        filters = listing.parse_filters({"q": text}, FORMS)
        listing.request_page(store, org, filters, TZ)
        listing.status_counts(store, org, filters, TZ)


def test_match_expression_asks_for_the_organisations_words_only():
    assert match_expression('Durand "x" OR', 7) == (
        '"o7xdurand"* AND "o7xx"* AND "o7xor"*'
    )
    assert match_expression("Lefèvre-Nguyễn", 42) == '"o42xlefevre o42xnguyen"*'
    assert match_expression("*** --", 7) is None


def test_parse_filters_reads_a_valid_query():
    filters = listing.parse_filters(
        {"form": "attestation", "status": "closed", "from": "2026-01-31",
         "to": "2026-02-01", "q": "  Zoé \t Nguyễn  ", "other": "ignored"},
        FORMS,
    )  # fmt: skip
    assert filters == Filters(
        "attestation", "closed", date(2026, 1, 31), date(2026, 2, 1), "Zoé Nguyễn"
    )
    assert listing.parse_filters({"form": "", "status": "", "from": " "}, FORMS) == (
        Filters()
    )
    assert listing.parse_filters(filters.query(), FORMS) == filters


@pytest.mark.parametrize(
    "args, field",
    [
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-02-30"}, "from"),
        ({"to": "31/01/2026"}, "to"),
        ({"to": "2026-1-5"}, "to"),
        ({"from": "20260131"}, "from"),
        ({"from": "0001-01-01"}, "from"),
        ({"to": "9999-12-31"}, "to"),
        ({"from": "2026-01-31T10:00"}, "from"),
        ({"from": "２０２６-01-31"}, "from"),
        ({"from": "2026-03-01", "to": "2026-02-28"}, "to"),
        ({"status": "deleted"}, "status"),
        ({"status": "SUBMITTED"}, "status"),
        ({"form": "unknown-form"}, "form"),
        ({"form": "../attestation"}, "form"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_bad_filters_are_refused_with_a_message(args, field):
    with pytest.raises(FilterError) as caught:
        listing.parse_filters(args, FORMS)
    assert isinstance(caught.value, BadRequest) and caught.value.code == 400
    assert list(caught.value.problems) == [field]
    assert caught.value.problems[field].endswith(".")


def test_every_bad_filter_is_reported_at_once_in_french(app):
    with app.test_request_context("/?lang=fr"):
        from flask import g

        g.ecitiz_lang = "fr"
        with pytest.raises(FilterError) as caught:
            listing.parse_filters({"from": "hier", "status": "x", "form": "y"}, FORMS)
    assert set(caught.value.problems) == {"from", "status", "form"}
    assert "Choisissez" in caught.value.problems["status"]


def test_control_characters_in_a_search_become_spaces():
    assert listing.parse_filters({"q": "du\x00rand\x1b"}, FORMS).search == "du rand"


# -- cursors -----------------------------------------------------------------------


def test_cursor_round_trip():
    row = {"created_at": "2026-11-29T14:03:22.123456Z", "id": 42}
    assert listing.decode_cursor(listing.encode_cursor(row)) == (row["created_at"], 42)


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage", "====", "%%%", "\x00", "é", b64("2026-11-29T14:03:22.123456Z"),
        b64("2026-11-29T14:03:22.123456Z~0"), b64("2026-11-29T14:03:22.123456Z~-4"),
        b64("2026-11-29T14:03:22.123456Z~9223372036854775808"),
        b64("2026-11-29T14:03:22Z~5"), b64("2026-13-40T25:03:22.123456Z~5"),
        b64("2026-11-29T14:03:22.123456Z~5~6"), b64("' OR 1=1 --~5"),
        b64("2026-11-29T14:03:22.123456Z~٣"), base64.b64encode(b"\xff\xfe").decode(),
    ],
)  # fmt: skip
def test_forged_cursors_are_refused(store, org, cursor):
    with pytest.raises(BadCursor) as caught:
        listing.request_page(store, org, Filters(), TZ, older=cursor)
    assert caught.value.code == 400
    assert "première page" in caught.value.description


def test_a_page_cannot_go_both_ways(store, org):
    cursor = listing.encode_cursor(
        {"created_at": "2026-11-29T14:03:22.123456Z", "id": 1}
    )
    with pytest.raises(BadCursor):
        listing.request_page(store, org, Filters(), TZ, older=cursor, newer=cursor)


# -- requests per day --------------------------------------------------------------


def test_daily_counts_cut_days_in_the_kits_time_zone(store, org):
    add_request(store, org, at("2026-11-28 23:30"), status="accepted")  # 29th Paris
    add_request(store, org, at("2026-11-28 22:59"))  # 28th in Paris
    add_request(store, org, at("2026-11-29 10:00"))
    add_request(store, org, at("2026-10-30 22:59"))  # 30 Oct in Paris: too old
    add_request(store, org, at("2026-10-30 23:00"))  # 31 Oct: the first day
    days = listing.daily_counts(store, org, TZ, today=date(2026, 11, 29))
    assert len(days) == 30
    assert days[0].day == date(2026, 10, 31) and days[-1].day == date(2026, 11, 29)
    assert days[-1].counts == {"accepted": 1, "submitted": 1}
    assert days[-2].counts == {"submitted": 1}
    assert days[0].counts == {"submitted": 1}
    assert sum(d.total for d in days) == 4


def test_daily_counts_in_a_half_hour_time_zone(store, org):
    # Midnight in Kolkata (UTC+5:30) is 18:30 UTC the day before.
    add_request(store, org, at("2026-11-28 18:29"))
    add_request(store, org, at("2026-11-28 18:31"))
    days = listing.daily_counts(store, org, "Asia/Kolkata", today=date(2026, 11, 29))
    assert days[-1].total == 1 and days[-2].total == 1


def test_daily_counts_follow_the_form_filter(store, org):
    add_request(store, org, at("2026-11-29 10:00"))
    add_request(store, org, at("2026-11-29 11:00"), form_id="attestation")
    days = listing.daily_counts(
        store, org, TZ, form_id="attestation", today=date(2026, 11, 29)
    )
    assert days[-1].total == 1


# -- the query plans -------------------------------------------------------------


def _plans(store, run):
    statements = []
    conn = store.db.conn
    conn.set_trace_callback(statements.append)
    try:
        run()
    finally:
        conn.set_trace_callback(None)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    return {
        sql: [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
        for sql in selects
    }


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(status="accepted"),
        Filters(form_id="attestation"),
        Filters(form_id="attestation", status="closed"),
        Filters(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30)),
        Filters(status="submitted", date_from=date(2026, 11, 1)),
        Filters(form_id="aid-request", date_to=date(2026, 11, 30)),
        Filters(search="durand"),
        Filters(search="AID-7K3F", status="accepted"),
        Filters(assignee="1"),
        Filters(assignee=listing.UNASSIGNED),
        Filters(assignee="1", status="in_review"),
        Filters(assignee=listing.UNASSIGNED, status="submitted"),
        Filters(assignee="1", date_from=date(2026, 11, 1)),
    ],
)
@pytest.mark.sqlite_only  # SQLite's query plans and FTS5 table
def test_every_list_query_reads_an_index_never_the_whole_table(store, org, filters):
    for n in range(30):
        add_request(store, org, at(f"2026-11-{n % 28 + 1:02d} 10:00"))

    def one_page():
        first = listing.request_page(store, org, filters, TZ, size=5)
        if first.older:
            listing.request_page(store, org, filters, TZ, older=first.older, size=5)
        listing.status_counts(store, org, filters, TZ)
        listing.daily_counts(store, org, TZ, form_id=filters.form_id)
        list(store.iter_requests(org, batch_size=10, **filters.for_store(TZ)))

    # Indexing the new requests for search is a write (FTS5's own statements):
    # done first, the search then only checks that nothing is left to index.
    store.index_for_search()
    plans = _plans(store, one_page)
    assert len(plans) >= 3
    for sql, plan in plans.items():
        for line in plan:
            # The only scans allowed: FTS5's own index and the ids it found.
            assert not line.startswith("SCAN") or line.startswith(
                ("SCAN submission_search VIRTUAL TABLE INDEX", "SCAN found")
            ), (sql, plan)
        assert any(
            "USING INDEX" in line or "USING COVERING INDEX" in line
            or "PRIMARY KEY" in line for line in plan
        ), (sql, plan)  # fmt: skip
        if filters.search:
            continue
        # Rows come out of the index in list order: nothing is sorted.
        assert not any("FOR ORDER BY" in line for line in plan), (sql, plan)
        # And the index narrows the rows down by every filter: none is checked
        # row by row over the whole organisation.
        (search,) = [line for line in plan if line.startswith("SEARCH s")]
        if filters.form_id:
            assert "form_id=?" in search, (sql, search)
        if search.startswith("SEARCH submission_tallies"):
            continue  # a handful of rows per organisation
        if filters.status:
            assert "status=?" in search, (sql, search)
        if filters.date_from or filters.date_to:
            assert "created_at" in search, (sql, search)
        if filters.assignee:
            assert "assigned_to=?" in search or "assigned_to IS ?" in search, (
                sql,
                search,
            )


# -- the applicant's name and address --------------------------------------------


def test_applicant_contact_reads_the_fields_the_definition_marks():
    aid = load_catalog("aid-request")
    assert aid.applicant_contact(aid_answers()) == (
        "Camille Durand-Lefèvre",
        "camille@example.org",
    )
    assert aid.applicant_contact({}) == ("", "")
    custom = parse_definition(
        {"format": 1, "id": "club", "version": 1, "reference_prefix": "CLB",
         "title": "Club",
         "sections": [{"id": "s", "title": "S", "fields": [
             {"name": "who", "type": "text", "label": "Nom",
              "autocomplete": "section-club name"},
             {"name": "mail", "type": "email", "label": "E-mail"},
             {"name": "mail2", "type": "email", "label": "Autre", "required": False},
         ]}]},
        "club.json",
    )  # fmt: skip
    answers = {"who": " Zoé Nguyễn ", "mail": "zoe@example.org", "mail2": "x@y.fr"}
    assert custom.applicant_contact(answers) == ("Zoé Nguyễn", "zoe@example.org")


def test_a_submitted_form_is_searchable_by_its_applicant(app, client):
    response = post_form(client, with_file(aid_answers(last_name="Ōtsuka-Lefèvre")))
    assert response.status_code == 303
    with app.app_context():
        store = state(app).store
        org = store.organisation(ORG)["id"]
        page = listing.request_page(store, org, Filters(search="otsuka"), TZ)
        assert [row["applicant_name"] for row in page.rows] == [
            "Camille Ōtsuka-Lefèvre"
        ]
        assert page.rows[0]["applicant_email"] == "camille@example.org"


def test_requests_stored_before_the_columns_are_filled_at_start_up(
    tmp_path, monkeypatch
):
    from ecitiz_kit import create_app
    from ecitiz_kit.store.migrations import MIGRATIONS

    path = tmp_path / "data" / "ecitiz.sqlite3"
    old, _ = migrated_before(path, monkeypatch, "applicant_name")
    org = old.create_organisation("acme", "ACME")["id"]
    old.enable_form(org, "aid-request", 1, None, 730)
    conn = old.db.conn
    for n, (form_id, last) in enumerate([("aid-request", "Roux"), ("gone", "Blanc")]):
        conn.execute(
            "INSERT INTO submissions (organisation_id, form_id, form_version,"
            " reference, status, answers, lang, nonce, created_at, updated_at)"
            " VALUES (?, ?, 1, ?, 'submitted', ?, 'fr', ?, ?, ?)",
            (org, form_id, f"AID-AAAA-000{n}",
             json.dumps({"first_name": "Léa", "last_name": last,
                         "email": "lea@example.org"}),
             f"n{n}", "2026-11-02T10:00:00.000000Z", "2026-11-02T10:00:00.000000Z"),
        )  # fmt: skip
    old.close()
    monkeypatch.undo()

    app = create_app({"SECRET_KEY": "k" * 32, "ECITIZ_DATA_DIR": str(path.parent)})
    with app.app_context():
        store = state(app).store
        assert store.schema_version() == len(MIGRATIONS)
        assert store.submissions_without_applicant(10) == []
        _search_matches_the_columns(store)
        page = listing.request_page(store, org, Filters(search="roux"), TZ)
        assert [(r["applicant_name"], r["applicant_email"]) for r in page.rows] == [
            ("Léa Roux", "lea@example.org")
        ]
        # A form that is gone leaves its requests found by reference only.
        gone = listing.request_page(store, org, Filters(search="AID-AAAA-0001"), TZ)
        assert [(r["applicant_name"], r["applicant_email"]) for r in gone.rows] == [
            ("", "")
        ]


@pytest.mark.parametrize("searched_before", [False, True])
def test_changing_the_applicant_columns_keeps_the_search_in_step(
    store, org, searched_before
):
    row = add_request(store, org, at("2026-11-02 10:00"), last="Bonnet")
    if searched_before:  # indexed before the change, or only after it
        found = listing.request_page(store, org, Filters(search="bonnet"), TZ).rows
        assert ids(found) == [row["id"]]
    store.set_applicants([(row["id"], "Léa Fontaine", "lea@example.org")])
    assert listing.request_page(store, org, Filters(search="bonnet"), TZ).rows == []
    found = listing.request_page(store, org, Filters(search="fontaine"), TZ).rows
    assert ids(found) == [row["id"]]
    _search_matches_the_columns(store)


def _indexed(store):
    return store.db.conn.execute(
        "SELECT count(*) FROM submission_search_docsize"
    ).fetchone()[0]


@pytest.mark.sqlite_only  # SQLite's query plans and FTS5 table
def test_submitting_leaves_the_search_index_to_the_next_search(store, org):
    first = add_request(store, org, at("2026-11-02 10:00"), last="Garnier")
    # The submit path writes the request only, not the search index.
    assert _indexed(store) == 0
    found = listing.request_page(store, org, Filters(search="garnier"), TZ).rows
    assert ids(found) == [first["id"]]
    assert _indexed(store) == 1
    # Each search first indexes what came in since the last one.
    second = add_request(store, org, at("2026-11-03 10:00"), last="Garnier")
    counts = listing.status_counts(store, org, Filters(search="garnier"), TZ)
    assert counts["submitted"] == 2
    found = listing.request_page(store, org, Filters(search="garnier"), TZ).rows
    assert ids(found) == [second["id"], first["id"]]
    assert _indexed(store) == 2
    _search_matches_the_columns(store)


@pytest.mark.sqlite_only  # SQLite's query plans and FTS5 table
def test_a_request_replacing_a_deleted_newest_one_is_found(store, org):
    kept = add_request(store, org, at("2026-11-02 10:00"), last="Blanc")
    gone = add_request(store, org, at("2026-11-03 10:00"), last="Blanc")
    unindexed = add_request(store, org, at("2026-11-04 10:00"), last="Blanc")
    listing.request_page(store, org, Filters(search="blanc"), TZ)
    # The newest rows go: SQLite gives the next request the id of the last one.
    with store._write() as conn:
        for row in (gone, unindexed):
            conn.execute("DELETE FROM events WHERE submission_id = ?", (row["id"],))
            conn.execute("DELETE FROM submissions WHERE id = ?", (row["id"],))
    again = add_request(store, org, at("2026-11-05 10:00"), last="Blanc")
    assert again["id"] == gone["id"]
    found = listing.request_page(store, org, Filters(search="blanc"), TZ).rows
    assert ids(found) == [again["id"], kept["id"]]
    _search_matches_the_columns(store)


def test_a_request_deleted_before_any_search_leaves_no_trace(store, org):
    kept = add_request(store, org, at("2026-11-02 10:00"), last="Roux")
    listing.request_page(store, org, Filters(search="roux"), TZ)
    gone = add_request(store, org, at("2026-11-03 10:00"), last="Roux")
    later = add_request(store, org, at("2026-11-04 10:00"), last="Roux")
    with store._write() as conn:
        conn.execute("DELETE FROM events WHERE submission_id = ?", (gone["id"],))
        conn.execute("DELETE FROM submissions WHERE id = ?", (gone["id"],))
    found = listing.request_page(store, org, Filters(search="roux"), TZ).rows
    assert ids(found) == [later["id"], kept["id"]]
    _search_matches_the_columns(store)


def test_an_upgraded_database_finds_its_requests_and_new_ones(tmp_path, monkeypatch):
    import ecitiz_kit.store.sqlite as base
    from ecitiz_kit.store.migrations import MIGRATIONS

    path = tmp_path / "ecitiz.sqlite3"
    old, _ = migrated_before(path, monkeypatch, "search_indexed")
    # Today's code also writes columns added later: they are there while the old
    # rows are written, and gone before the upgrade adds them.
    later = ("applicant_key", "due_on", "siret_key", "iban_key")
    for column in later:
        old.db.execute(f"ALTER TABLE submissions ADD COLUMN {column} TEXT")
    # It also looks for webhook endpoints to tell, in tables added later too.
    hooks = next(m for m in MIGRATIONS if "CREATE TABLE webhooks" in m)
    for statement in base.statements(hooks):
        old.db.execute(statement)
    org = old.create_organisation("acme", "ACME")["id"]
    before = [
        add_request(old, org, at(f"2026-11-0{n + 1} 10:00"), last=last)
        for n, last in enumerate(["Roux", "Blanc", "Roux"])
    ]
    for column in later:
        old.db.execute(f"ALTER TABLE submissions DROP COLUMN {column}")
    for table in ("webhook_deliveries", "webhooks"):
        old.db.execute(f"DROP TABLE {table}")
    old.close()
    monkeypatch.undo()

    store = Store(path)
    assert store.migrate() == len(MIGRATIONS)
    # Indexed by the old triggers: nothing to catch up, nothing indexed twice.
    assert _indexed(store) == 3
    _search_matches_the_columns(store)
    after = add_request(store, org, at("2026-11-09 10:00"), last="Roux")
    found = listing.request_page(store, org, Filters(search="roux"), TZ).rows
    assert ids(found) == [after["id"], before[2]["id"], before[0]["id"]]
    _search_matches_the_columns(store)
    pages = walk(store, org, size=2)
    assert [i for page in pages for i in ids(page.rows)] == [
        after["id"], *reversed(ids(before))
    ]  # fmt: skip
    for index in ("submissions_by_org_date", "submissions_by_org_status_date"):
        columns = store.db.conn.execute(f"PRAGMA index_xinfo({index})").fetchall()
        assert not any(column[3] for column in columns)  # no DESC column


def test_counts_kept_by_the_store_match_the_requests_after_every_change(store, org):
    made = [
        add_request(store, org, at(f"2026-11-{n + 1:02d} 10:00"),
                    form_id=FORMS[n % 2])
        for n in range(9)
    ]  # fmt: skip
    for row in made[:5]:
        store.change_status(row["id"], expected="submitted", to_status="in_review",
                            actor="agent")  # fmt: skip
    store.change_status(made[0]["id"], expected="in_review", to_status="accepted",
                        actor="agent")  # fmt: skip
    for form_id in (None, *FORMS):
        kept = listing.status_counts(store, org, Filters(form_id=form_id), TZ)
        # With a date the store counts the rows themselves.
        counted = listing.status_counts(
            store, org, Filters(form_id=form_id, date_from=date(2000, 1, 1)), TZ
        )
        assert kept == counted
    assert listing.status_counts(store, org, Filters(), TZ) == {
        "submitted": 4, "in_review": 4, "accepted": 1, "rejected": 0, "closed": 0,
        "paid": 0,
    }  # fmt: skip


def test_a_deleted_request_leaves_the_search_and_the_counts(store, org):
    kept = add_request(store, org, at("2026-11-02 10:00"), last="Blanc")
    gone = add_request(store, org, at("2026-11-03 10:00"), last="Blanc")
    # No page deletes requests yet; a retention purge would, in one transaction.
    with store._write() as conn:
        conn.execute("DELETE FROM events WHERE submission_id = ?", (gone["id"],))
        conn.execute("DELETE FROM submissions WHERE id = ?", (gone["id"],))
    found = listing.request_page(store, org, Filters(search="blanc"), TZ).rows
    assert ids(found) == [kept["id"]]
    assert listing.status_counts(store, org, Filters(), TZ)["submitted"] == 1
    _search_matches_the_columns(store)


def _search_matches_the_columns(store):
    if store.dialect != "sqlite":
        return  # PostgreSQL's search column is generated from the row itself
    # FTS5 raises "database disk image is malformed" if its index and the
    # columns it was built from disagree (rank 1: check against the columns).
    store.db.conn.execute(
        "INSERT INTO submission_search (submission_search, rank)"
        " VALUES ('integrity-check', 1)"
    )


@pytest.mark.sqlite_only  # SQLite's query plans and FTS5 table
def test_reference_search_reads_only_the_organisations_references(store, org):
    add_request(store, org, at("2026-11-02 10:00"))
    plans = _plans(
        store,
        lambda: listing.request_page(store, org, Filters(search="AID-"), TZ, size=5),
    )
    reference_parts = [
        line for plan in plans.values() for line in plan if "reference" in line
    ]
    assert reference_parts, plans
    assert all("submissions_by_org_reference" in line for line in reference_parts)


# -- the assignee filter -----------------------------------------------------------


def test_the_assignee_filter_reads_me_nobody_or_a_member_of_the_team():
    for raw in ("me", "none", "7"):
        filters = listing.parse_filters({"assignee": raw}, FORMS, [7])
        assert filters == Filters(assignee=raw)
        assert listing.parse_filters(filters.query(), FORMS, [7]) == filters
    assert Filters(assignee="me").for_store(TZ, me=3)["assigned_to"] == 3
    assert Filters(assignee="7").for_store(TZ)["assigned_to"] == 7
    nobody = Filters(assignee="none").for_store(TZ)
    assert nobody["unassigned"] and nobody["assigned_to"] is None
    for raw in ("8", "07", "-7", "7.0", "moi", "٧"):
        with pytest.raises(FilterError) as refused:
            listing.parse_filters({"assignee": raw}, FORMS, [7])
        assert set(refused.value.problems) == {"assignee"}


# -- a name common in another organisation ----------------------------------------


COMMON_ELSEWHERE = 2000


def test_a_name_common_in_another_organisation_finds_ours_only(store, org, other):
    for n in range(COMMON_ELSEWHERE):
        add_request(store, other, at(f"2026-11-{n % 28 + 1:02d} 10:00"),
                    last="Martin", email=f"camille.martin{n}@example.org")  # fmt: skip
    mine = add_request(store, org, at("2026-11-02 10:00"), last="Martin-Lefèvre")
    add_request(store, org, at("2026-11-03 10:00"), last="Durand")
    for search in ("martin", "MARTIN lefevre", "camille mart", "Martin-Lef"):
        page = listing.request_page(store, org, Filters(search=search), TZ)
        assert ids(page.rows) == [mine["id"]], search
        counts = listing.status_counts(store, org, Filters(search=search), TZ)
        assert sum(counts.values()) == counts["submitted"] == 1, search
        # The ids the index itself yields, before the organisation's own
        # condition on the requests: ours, none of the other's 2,000.
        sql, params = _search_ids(search, org, store.dialect)
        with store._read() as conn:
            found = conn.execute(sql, params).fetchall()
        assert [row[0] for row in found] == [mine["id"]], search
    theirs = listing.status_counts(store, other, Filters(search="martin"), TZ)
    assert theirs["submitted"] == COMMON_ELSEWHERE
    assert listing.request_page(store, org, Filters(search="kowalczyk"), TZ).rows == []


def _words(store):
    return dict(store.db.conn.execute("SELECT id, words FROM search_words"))


@pytest.mark.sqlite_only  # SQLite's FTS5 table and its content
def test_a_changed_applicant_leaves_the_index_at_once(store, org):
    row = add_request(store, org, at("2026-11-02 10:00"), last="Bonnet")
    listing.request_page(store, org, Filters(search="bonnet"), TZ)
    assert _words(store) == {
        row["id"]: f"o{org}xcamille o{org}xbonnet o{org}xcamille o{org}xexample"
        f" o{org}xorg"
    }
    # Anonymised or corrected: the old words go in the same transaction, the
    # new ones with the next search.
    store.set_applicants([(row["id"], "Léa Fontaine", "lea@example.org")])
    assert _words(store) == {}
    _search_matches_the_columns(store)
    found = listing.request_page(store, org, Filters(search="fontaine"), TZ).rows
    assert ids(found) == [row["id"]]
    assert _words(store)[row["id"]].startswith(f"o{org}xlea o{org}xfontaine")
    _search_matches_the_columns(store)


@pytest.mark.sqlite_only  # SQLite's migrations and FTS5 table
def test_an_upgrade_indexes_every_request_with_its_organisation(tmp_path, monkeypatch):
    from ecitiz_kit.store.migrations import MIGRATIONS

    path = tmp_path / "ecitiz.sqlite3"
    old, mine = migrated_before(path, monkeypatch, "search_stale")
    acme = old.create_organisation("acme", "ACME")["id"]
    globex = old.create_organisation("globex", "Globex")["id"]
    ours = add_request(old, acme, at("2026-11-02 10:00"), last="Roux")
    theirs = [
        add_request(old, globex, at(f"2026-11-0{n + 3} 10:00"), last="Roux")
        for n in range(3)
    ]
    # Indexed the old way, words without their organisation.
    old.db.execute(
        "INSERT INTO submission_search (rowid, applicant_name, applicant_email)"
        " SELECT id, applicant_name, applicant_email FROM submissions"
    )
    old.db.execute(
        "UPDATE search_indexed SET last_id = (SELECT max(id) FROM submissions)"
    )
    old.close()
    monkeypatch.undo()
    # Indexed in transactions of two requests: other writers pass in between.
    monkeypatch.setattr("ecitiz_kit.store.listing._INDEX_BATCH", 2)
    commits = []
    store = Store(path)
    store.db.conn.set_trace_callback(
        lambda sql: commits.append(sql) if sql == "COMMIT" else None
    )
    assert store.migrate() == len(MIGRATIONS) == mine + 1
    assert len(commits) == 1 + 2  # the schema, then two batches
    # Indexed again as the upgrade ends, before any search.
    assert _indexed(store) == 4
    assert _words(store)[ours["id"]].startswith(f"o{acme}xcamille o{acme}xroux")
    _search_matches_the_columns(store)
    found = listing.request_page(store, acme, Filters(search="roux"), TZ).rows
    assert ids(found) == [ours["id"]]
    found = listing.request_page(store, globex, Filters(search="roux"), TZ).rows
    assert ids(found) == ids(reversed(theirs))
    later = add_request(store, acme, at("2026-11-09 10:00"), last="Roux")
    found = listing.request_page(store, acme, Filters(search="roux"), TZ).rows
    assert ids(found) == [later["id"], ours["id"]]
    _search_matches_the_columns(store)
