"""Time of ``flask ecitiz copy-db`` for a benchmark-sized SQLite instance.

It fills a temporary data folder as ``bench/staff_list.py`` does (two
organisations, ``--rows`` requests, no uploaded file), makes a new database on
the PostgreSQL server at ``--server``, times the command into it (snapshot,
copy, check, commit), and drops the database.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
import staff_list  # noqa: E402
from psycopg import conninfo  # noqa: E402

from ecitiz_kit import create_app  # noqa: E402

SECRET = "bench-" * 8


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument(
        "--server", default="postgresql://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    name = f"ecitiz_bench_{secrets.token_hex(4)}"
    params = {**conninfo.conninfo_to_dict(args.server), "dbname": name}
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        store, _orgs = staff_list.populate(Path(folder), args.rows)
        with store._write() as conn:
            # A due date each, so the kit's start-up has no request to fill
            # (minutes of work at this size, and not what is measured here).
            conn.execute(
                "UPDATE submissions SET due_on = substr(created_at, 1, 10)"
                " WHERE due_on IS NULL"
            )
        store.close()
        print(f"filled {args.rows} requests in {time.perf_counter() - started:.0f} s")
        app = create_app(
            {
                "SECRET_KEY": SECRET,
                "ECITIZ_DATA_DIR": folder,
                "ECITIZ_RATELIMIT_ENABLED": False,
            }
        )
        with psycopg.connect(args.server, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            postgresql_url = _url(params)
            runner = app.test_cli_runner()
            started = time.perf_counter()
            with app.app_context():
                result = runner.invoke(args=["ecitiz", "copy-db", postgresql_url])
            took = time.perf_counter() - started
            print(result.output, end="")
            print(f"copy-db took {took:.1f} s ({args.rows / took:,.0f} requests/s)")
            return result.exit_code
        finally:
            with psycopg.connect(args.server, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _url(params: dict) -> str:
    user = params.get("user") or "postgres"
    password = f":{params['password']}" if params.get("password") else ""
    host, port = params.get("host") or "127.0.0.1", params.get("port") or "5432"
    return f"postgresql://{user}{password}@{host}:{port}/{params['dbname']}"


if __name__ == "__main__":
    sys.exit(main())
