"""The baseline for ``bench/submit.py``: the least a Flask app can do per submission.

One POST endpoint reads the posted fields and stores them as one row, with the
kit's durability (WAL, ``synchronous=FULL``, ``BEGIN IMMEDIATE``, busy timeout),
then answers 303 like the kit. No validation, no ticket check: the gap between
this and the kit is the price of what the kit adds.

Served with ``gunicorn --pythonpath bench "bare_app:create_app()"``; the database
path comes from ``BENCH_BARE_DB``.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import UTC, datetime

from flask import Flask, redirect, request

BUSY_TIMEOUT_MS = 5000  # the kit's default ECITIZ_SQLITE_BUSY_TIMEOUT
SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
    ticket TEXT NOT NULL,
    answers TEXT NOT NULL,
    created_at TEXT NOT NULL
)
"""


def connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def init_db(path: str) -> None:
    """Create the table and switch the file to WAL (which sticks to the file)."""
    conn = connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(SCHEMA)
    conn.close()


def row_count(path: str) -> int:
    conn = connect(path)
    try:
        return conn.execute("SELECT count(*) FROM submissions").fetchone()[0]
    finally:
        conn.close()


def create_app() -> Flask:
    app = Flask(__name__)
    path = os.environ["BENCH_BARE_DB"]
    # Opened on first use, so each gunicorn worker gets its own connection.
    conns: list[sqlite3.Connection] = []

    @app.post("/submit")
    def submit():
        if not conns:
            conns.append(connect(path))
        conn = conns[0]
        fields = request.form.to_dict()
        ticket = fields.pop("ticket", "")
        answers = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        conn.execute("BEGIN IMMEDIATE")
        try:
            cursor = conn.execute(
                "INSERT INTO submissions (ticket, answers, created_at)"
                " VALUES (?, ?, ?)",
                (ticket, answers, stamp),
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return redirect(f"/receipt/{cursor.lastrowid}", 303)

    return app
