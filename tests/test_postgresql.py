"""What only the PostgreSQL backend does: migrations under an advisory lock,
synchronous commits, the organisation-scoped search index, and how its errors
read."""

from __future__ import annotations

import pytest

from ecitiz_kit.store import Store
from ecitiz_kit.store.migrations_postgresql import POSTGRESQL_MIGRATIONS

from .helpers import in_processes

HOSTS = 4


def _migrate(barrier, url):
    store = Store(url)
    barrier.wait()
    try:
        return store.migrate()
    finally:
        store.close()


def test_hosts_starting_at_once_migrate_once(fresh_database):
    versions = in_processes(_migrate, fresh_database, count=HOSTS)
    assert versions == [len(POSTGRESQL_MIGRATIONS)] * HOSTS
    store = Store(fresh_database)
    rows = store._all("SELECT version, applied_by FROM schema_version ORDER BY 1")
    assert [row["version"] for row in rows] == list(
        range(1, len(POSTGRESQL_MIGRATIONS) + 1)
    )
    assert store.schema_version() == len(POSTGRESQL_MIGRATIONS)
    store.create_organisation("acme", "ACME")
    assert store.migrate() == len(POSTGRESQL_MIGRATIONS)  # again: nothing to do
    assert store.organisation("acme")["name"] == "ACME"
    store.close()


@pytest.fixture
def pg_store(postgresql_session):
    postgresql_session.empty()
    store = Store(postgresql_session.url)
    yield store
    store.close()


def test_every_commit_is_synchronous_whatever_the_server_default(
    postgresql_session, pg_store
):
    import psycopg

    name, admin = postgresql_session.name, postgresql_session.server

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    try:
        pg_store.close()  # connections opened from now on get the new default
        [row] = pg_store._all("SHOW synchronous_commit")
        assert row["synchronous_commit"] == "on"
        with pg_store._write() as conn:
            [(value,)] = conn.execute("SHOW synchronous_commit").fetchall()
        assert value == "on"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" RESET synchronous_commit')


def _request(store, organisation_id, n, name):
    return store.create_submission(
        organisation_id=organisation_id,
        form_id="aid-request",
        form_version=1,
        answers={},
        lang="fr",
        nonce=f"n-{organisation_id}-{n}",
        attachments=[],
        make_reference=lambda: f"AID-{organisation_id}-{n:04d}",
        status="submitted",
        applicant=(name, f"{name.split()[0].lower()}{n}@example.org"),
    )


def test_a_name_common_elsewhere_is_not_in_the_organisations_index_range(pg_store):
    ours = pg_store.create_organisation("ours", "Ours")["id"]
    theirs = pg_store.create_organisation("theirs", "Theirs")["id"]
    for n in range(300):
        _request(pg_store, theirs, n, "Camille Martin")
    mine = _request(pg_store, ours, 1, "Camille Martin-Lefèvre")
    _request(pg_store, ours, 2, "Paul Durand")
    found = pg_store.request_page(ours, limit=10, search="martin lefevre")
    assert [row["id"] for row in found] == [mine["id"]]
    assert pg_store.request_page(ours, limit=10, search="cam")[0]["id"] == mine["id"]
    assert len(pg_store.request_page(theirs, limit=500, search="martin")) == 300
    # The index itself holds one organisation's words apart: read for ours
    # (no other condition), it yields our one match, none of the 300 others.
    with pg_store._write() as conn:
        conn.execute("SET LOCAL enable_seqscan = off")
        plan = conn.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) SELECT id FROM submissions"
            " WHERE search_terms @@ search_prefix(?, ?)",
            (ours, "martin"),
        ).fetchone()[0]
    scans = _nodes(plan[0]["Plan"], "Bitmap Index Scan")
    assert [scan["Index Name"] for scan in scans] == ["submissions_search"]
    assert scans[0]["Actual Rows"] == 1


def test_the_store_search_reads_the_index_under_its_organisation(pg_store):
    from ecitiz_kit.store.listing import _search_ids

    ours = pg_store.create_organisation("ours", "Ours")["id"]
    theirs = pg_store.create_organisation("theirs", "Theirs")["id"]
    for n in range(300):
        _request(pg_store, theirs, n, "Camille Martin")
        _request(pg_store, ours, n, "Paul Durand")
    mine = _request(pg_store, ours, 300, "Camille Martin-Lefèvre")
    sql, params = _search_ids("martin lef", ours, "postgresql")
    with pg_store._write() as conn:
        conn.execute("ANALYZE submissions")
        # As on a table too big to read whole (this one fits in a few pages).
        conn.execute("SET LOCAL enable_seqscan = off")
        plan = conn.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params).fetchone()
        found = conn.execute(sql, params).fetchall()
    assert [row[0] for row in found] == [mine["id"]]
    # Whichever index the planner reads, the organisation is in its condition
    # (the GIN index's words, or a btree's first column): none of the other
    # organisation's 300 Martins is read.
    root = plan[0][0]["Plan"]
    scans = _nodes(root, "Bitmap Index Scan") + _nodes(root, "Index Scan")
    assert scans, root
    for scan in scans:
        condition = scan["Index Cond"]
        assert f"o{ours}xmartin" in condition or (
            f"organisation_id = {ours}" in condition
        ), condition
        assert scan["Actual Rows"] + scan.get("Rows Removed by Filter", 0) <= 301
    # Read for the words alone, the GIN index yields our one match.
    with pg_store._write() as conn:
        conn.execute("SET LOCAL enable_seqscan = off")
        plan = conn.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) SELECT id FROM submissions"
            " WHERE search_terms @@ (search_prefix(?, ?) && search_prefix(?, ?))",
            (ours, "martin", ours, "lef"),
        ).fetchone()[0]
    [scan] = _nodes(plan[0]["Plan"], "Bitmap Index Scan")
    assert scan["Index Name"] == "submissions_search"
    assert f"o{ours}xmartin" in scan["Index Cond"], scan["Index Cond"]
    assert scan["Actual Rows"] == 1


def test_the_words_are_folded_as_sqlites_index_folds_them(pg_store):
    from ecitiz_kit.store.listing import search_words

    for text in (
        "Camille Durand-Lefèvre",
        "ZOÉ Nguyễn <zoe.nguyen+1@example.org>",
        "O’Connor  Müller  Hélène_Maël Çà",
        "",
    ):
        [row] = pg_store._all("SELECT search_words(42, ?) AS words", (text,))
        assert row["words"] == search_words(42, text), text


def _nodes(plan, kind):
    found = [plan] if plan["Node Type"] == kind else []
    for child in plan.get("Plans", ()):
        found += _nodes(child, kind)
    return found


def test_a_broken_unique_key_reads_as_sqlites(pg_store):
    import sqlite3

    pg_store.create_organisation("acme", "ACME")
    with pytest.raises(sqlite3.IntegrityError) as caught:
        pg_store.create_organisation("acme", "ACME again")
    assert "UNIQUE constraint failed: organisations.slug" in str(caught.value)
    assert pg_store.table_counts()["organisations"] == 1


def test_the_audit_log_refuses_changes(pg_store):
    import sqlite3

    org = pg_store.create_organisation("acme", "ACME")["id"]
    pg_store.record_audit(org, "staff.login", actor="admin@acme.example")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        with pg_store._write() as conn:
            conn.execute("DELETE FROM audit_log")
    assert pg_store.table_counts()["audit_log"] == 1


def test_a_write_inside_a_write_is_refused_not_left_waiting(pg_store):
    import sqlite3

    with pytest.raises(sqlite3.DatabaseError, match="already open"):
        with pg_store._write() as conn:
            conn.execute("INSERT INTO organisations (slug, name, created_at)"
                         " VALUES ('a', 'A', 'x')")  # fmt: skip
            with pg_store._write():
                pass
    assert pg_store.organisation("a") is None  # the outer one rolled back
    assert pg_store.create_organisation("acme", "ACME")["slug"] == "acme"


def test_placeholders_outside_quotes_become_psycopgs():
    from ecitiz_kit.store.postgresql import placeholders

    sql = "SELECT '?', \"a?\", ? FROM t WHERE x LIKE '50%' AND y = ?"
    assert placeholders(sql) == (
        "SELECT '?', \"a?\", %s FROM t WHERE x LIKE '50%%' AND y = %s"
    )
