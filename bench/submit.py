"""Submit rate of the kit against a bare Flask endpoint storing one row, side by side.

Run by hand, not in CI::

    python bench/submit.py [--rounds 5] [--seconds 5] [--clients 4] [--multipart]
                           [--stored 0,50000,200000] [--database URL]

Both servers run under gunicorn with 2 sync workers and store with the same
durability; see ``bench/bare_app.py`` for the baseline. With ``--database``, a
PostgreSQL server's URL, both store in fresh databases made on that server for the
run (and dropped after it), the baseline being ``bench/bare_pg_app.py``; the kit on
SQLite is loaded in the same rounds too, and compared with the kit on PostgreSQL.
Rounds interleave bare and kit load so that drift on the machine (heat, other
jobs) hits both alike. Besides requests per second, the table gives the workers'
CPU time per request (read from Linux's ``/proc``): when other jobs share the
machine, rates swing but that figure holds. Exits non-zero on any answer other
than 303, or if a server's row count differs from the number of 303 answers it
gave.

``--stored`` repeats the whole measure on databases that already hold that many
requests (written through the kit's own migrations, indexes and triggers, as
``bench/staff_list.py`` does), then sums up how the CPU per request moves with
the number of stored requests.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import bare_app  # noqa: E402
import staff_list  # noqa: E402

from ecitiz_kit import create_app  # noqa: E402
from ecitiz_kit.forms.loading import load_catalog  # noqa: E402
from ecitiz_kit.state import state  # noqa: E402
from ecitiz_kit.store import Store  # noqa: E402
from ecitiz_kit.tokens import Tokens  # noqa: E402

SECRET_KEY = "bench-only-secret-key-7c1e0f5a9b2d4e68"
ORG = "bench"
FORM = "attestation"
#: Where each server takes submissions; bare runs first in every round. With
#: ``--database``, "bare" and "kit" store in PostgreSQL and "sqlite" is the kit
#: on SQLite, loaded last.
PATHS = {"bare": "/submit", "kit": f"/ecitiz/f/{ORG}/{FORM}"}
PG_PATHS = {**PATHS, "sqlite": PATHS["kit"]}
WORKERS = 2
WARMUP_SECONDS = 1.0
#: Tickets are minted before each load for this many requests per second; far
#: above what 2 workers reach here. A client that runs out reports it as an error.
MAX_RATE = 2500
BOUNDARY = "bench-boundary-5f3a"
TARGET_RATIO = 0.6


def answers() -> dict[str, str]:
    """Valid answers to the attestation form (the kit's test fixture's values)."""
    today = date.today()
    return {
        "first_name": "Zoé",
        "last_name": "Nguyễn",
        "birth_date": "1990-04-12",
        "address": "12 rue de l'Œillet",
        "postal_code": "69003",
        "town": "Lyon",
        "email": "zoe@example.org",
        "siret": "73282932000074",
        "organisation_name": "Boulangerie Durand",
        "purpose": "work",
        "purpose_details": "",
        "valid_from": today.isoformat(),
        "valid_to": (today + timedelta(days=7)).isoformat(),
        "declaration": "y",
    }


def luhn_completed(digits: str) -> str:
    """``digits`` followed by the check digit that makes them pass Luhn's test."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return digits + str(-total % 10)


def applicant_of_its_own() -> dict[str, str]:
    """A SIRET (valid, as its SIREN) and an e-mail address no other post bears."""
    siren = luhn_completed(f"{secrets.randbelow(10**8):08d}")
    return {
        "siret": luhn_completed(f"{siren}{secrets.randbelow(10**4):04d}"),
        "email": f"zoe.{secrets.token_hex(6)}@example.org",
    }


def encode(fields: dict[str, str], multipart: bool) -> bytes:
    if not multipart:
        return urlencode(fields).encode()
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        f"{value}\r\n"
        for name, value in fields.items()
    ]
    return ("".join(parts) + f"--{BOUNDARY}--\r\n").encode()


def content_type(multipart: bool) -> str:
    if multipart:
        return f"multipart/form-data; boundary={BOUNDARY}"
    return "application/x-www-form-urlencoded"


# -- setup and servers ---------------------------------------------------------------


def prepare_environ(data_dir: Path) -> None:
    """Leave only our settings for the kit, here and in the gunicorn children.

    The kit refuses unknown ``ECITIZ_*`` variables, and a stray ``FLASK_DEBUG`` or
    the like would change what is measured.
    """
    for name in [n for n in os.environ if n.startswith(("ECITIZ_", "FLASK_"))]:
        del os.environ[name]
    os.environ["ECITIZ_DATA_DIR"] = str(data_dir / "kit")
    # Every post comes from 127.0.0.1: the rate limits would refuse nearly all.
    os.environ["ECITIZ_RATELIMIT_ENABLED"] = "false"
    os.environ["FLASK_SECRET_KEY"] = SECRET_KEY
    os.environ["BENCH_BARE_DB"] = str(data_dir / "bare.sqlite3")


def setup_kit(
    stored: int = 0, config: dict[str, str] | None = None
) -> tuple[int, Store]:
    """Create the organisation and enable the form, with ``stored`` requests
    already in; return its id and the store. ``config`` adds to the environment's
    settings (a database URL)."""
    app = create_app(config)
    store = state(app).store
    organisation = store.create_organisation(ORG, "Bench")
    definition = load_catalog(FORM)
    store.enable_form(organisation["id"], FORM, definition.version, None, 730)
    if stored:
        staff_list.fill_requests(store, [organisation["id"]], stored, forms=(FORM,))
        # Else each worker would start by filling in their due dates (and, as
        # they all bear the same SIRET, their signals: for minutes).
        staff_list.set_due_dates(store)
        # As a server that has been running: the write-ahead log folded in.
        staff_list.settle(store)
    return organisation["id"], store


def setup_bare(path: str, stored: int = 0) -> None:
    """The baseline's table, with ``stored`` rows already in."""
    bare_app.init_db(path)
    if stored:
        conn = bare_app.connect(path)
        payload = json.dumps(answers(), ensure_ascii=False, separators=(",", ":"))
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO submissions (ticket, answers, created_at) VALUES (?, ?, ?)",
            ((f"ticket-{n}", payload, "2026-01-01T00:00:00.000000Z")
             for n in range(stored)),
        )  # fmt: skip
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Server:
    port: int
    pid: int  # gunicorn's master; its children are the workers
    database: str | None = None  # the PostgreSQL database it stores in

    def database_cpu(self) -> dict[int, float]:
        """CPU seconds used so far by each PostgreSQL backend serving this
        server's database (the server's own background processes, such as the
        WAL writer, are left out); empty for SQLite."""
        if self.database is None:
            return {}
        import psycopg

        with psycopg.connect(self.database, autocommit=True) as conn:
            pids = [
                row[0]
                for row in conn.execute(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ]
        return {pid: cpu for pid in pids if (cpu := process_cpu(pid)) is not None}

    def workers_cpu(self) -> float:
        """CPU seconds the workers have used so far (Linux ``/proc``)."""
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # Fields after the command name: state, ppid, ... utime, stime.
                values = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # a process that just ended
                continue
            if int(values[1]) == self.pid:
                ticks += int(values[11]) + int(values[12])
        return ticks / os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float | None:
    """CPU seconds process ``pid`` has used so far, or None if it is gone."""
    try:
        values = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(values[11]) + int(values[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def gunicorn(
    app_spec: str,
    log: Path,
    env: dict[str, str] | None = None,
    database: str | None = None,
    workers: int = WORKERS,
) -> Iterator[Server]:
    """Serve ``app_spec`` with gunicorn until the block ends, with ``env`` added
    to the environment; ``database`` is the PostgreSQL database it stores in."""
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "-w", str(workers),
        "-b", f"127.0.0.1:{port}", "--pythonpath", str(BENCH_DIR),
        "--log-level", "warning", app_spec,
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    try:
        wait_until_serving(process, port, log)
        yield Server(port, process.pid, database)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_serving(process: subprocess.Popen, port: int, log: Path) -> None:
    # The master accepts connections before its workers have booted, so wait
    # for an HTTP answer rather than an open port.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn stopped:\n{log.read_text()}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
        finally:
            conn.close()
    sys.exit(f"gunicorn did not answer within 60 s:\n{log.read_text()}")


# -- load ----------------------------------------------------------------------------


@dataclass
class Load:
    """What one timed load got back."""

    acknowledged: int = 0
    seconds: float = 0.0
    cpu: float = 0.0  # CPU seconds the server's workers used
    database_cpu: float = 0.0  # CPU seconds its PostgreSQL backends used
    errors: Counter = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.acknowledged / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_request(self) -> float:
        """Milliseconds of server CPU per acknowledged request."""
        return 1000 * self.cpu / self.acknowledged if self.acknowledged else 0.0

    @property
    def database_cpu_per_request(self) -> float:
        """Milliseconds of PostgreSQL backend CPU per acknowledged request."""
        if not self.acknowledged:
            return 0.0
        return 1000 * self.database_cpu / self.acknowledged


def client(
    port: int,
    path: str,
    bodies: list[bytes],
    multipart: bool,
    start_at: float,
    seconds: float,
    results: multiprocessing.Queue,
) -> None:
    """Post ``bodies`` one at a time until the time is up; report to ``results``."""
    # One HTTPConnection reopens by itself after gunicorn's sync workers close
    # each connection, and would keep it alive with a server that allows it.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": content_type(multipart)}
    acknowledged, errors = 0, Counter()
    time.sleep(max(0.0, start_at - time.monotonic()))
    stop_at = start_at + seconds
    for body in bodies:
        if time.monotonic() >= stop_at:
            break
        try:
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
            response.read()  # redirects are counted, never followed
            status: int | str = response.status
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            status = type(exc).__name__
        if status == 303:
            acknowledged += 1
        else:
            errors[str(status)] += 1
    else:
        errors["out of tickets (raise MAX_RATE)"] += 1
    conn.close()
    results.put((acknowledged, time.monotonic() - start_at, errors))


def run_load(
    server: Server,
    path: str,
    mint: Tokens,
    org_id: int,
    seconds: float,
    args: argparse.Namespace,
) -> Load:
    """``args.clients`` processes posting fresh tickets to ``path`` for ``seconds``."""
    per_client = math.ceil(MAX_RATE * seconds / args.clients)
    fields = answers()
    results: multiprocessing.Queue = multiprocessing.Queue()
    # Tickets and bodies are made before the clock starts, so minting is not
    # measured; each process gets its own, so no ticket is sent twice.
    batches = [
        [
            encode(
                {
                    "ticket": mint.form_ticket(org_id, FORM),
                    **fields,
                    **(applicant_of_its_own() if args.distinct else {}),
                },
                args.multipart,
            )
            for _ in range(per_client)
        ]
        for _ in range(args.clients)
    ]
    # A common start, late enough for every process to be up and waiting.
    start_at = time.monotonic() + 0.2 + 0.05 * args.clients
    processes = [
        multiprocessing.Process(
            target=client,
            args=(
                server.port,
                path,
                bodies,
                args.multipart,
                start_at,
                seconds,
                results,
            ),
        )
        for bodies in batches
    ]
    cpu_before = server.workers_cpu()
    database_before = server.database_cpu()
    for process in processes:
        process.start()
    load = Load()
    for _ in processes:
        acknowledged, elapsed, errors = results.get()
        load.acknowledged += acknowledged
        load.seconds = max(load.seconds, elapsed)
        load.errors.update(errors)
    load.cpu = server.workers_cpu() - cpu_before
    load.database_cpu = sum(
        cpu - database_before.get(pid, 0.0)
        for pid, cpu in server.database_cpu().items()
    )
    for process in processes:
        process.join()
    return load


# -- report --------------------------------------------------------------------------


@dataclass
class Results:
    stored: int  # requests in each database before the first load
    rounds: list[dict[str, Load]]  # timed loads only
    totals: dict[str, Load]  # every load, warm-up included: what the rows reflect
    rows: dict[str, int]
    logs: dict[str, str]


def measure(args: argparse.Namespace, stored: int = 0) -> Results:
    """Set up the servers in a temporary folder (each database holding ``stored``
    requests), load them in turn, count rows."""
    with ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        prepare_environ(data_dir)
        paths = PG_PATHS if args.database else PATHS
        servers: dict[str, Server] = {}
        rows: dict[str, Callable[[], int]] = {}
        if args.database:
            import bare_pg_app

            urls = stack.enter_context(
                staff_list.fresh_databases(args.database, "kit", "bare")
            )
            kit_url, bare_url = urls["kit"], urls["bare"]
            org_id, kit_store = setup_kit(
                stored,
                {
                    "ECITIZ_DATABASE_URL": kit_url,
                    "ECITIZ_DATA_DIR": str(data_dir / "kit-pg"),
                },
            )
            payload = json.dumps(answers(), ensure_ascii=False, separators=(",", ":"))
            bare_pg_app.init_db(bare_url, stored, payload)
            sqlite_org, sqlite_store = setup_kit(stored)
            if sqlite_org != org_id:  # one set of tickets serves both kits
                sys.exit("the two kits gave the organisation different ids")
            servers["bare"] = stack.enter_context(
                gunicorn(
                    "bare_pg_app:create_app()",
                    data_dir / "bare.log",
                    {"BENCH_BARE_DATABASE_URL": bare_url},
                    bare_url,
                    args.workers,
                )
            )
            servers["kit"] = stack.enter_context(
                gunicorn(
                    "ecitiz_kit:create_app()",
                    data_dir / "kit.log",
                    {
                        "ECITIZ_DATABASE_URL": kit_url,
                        "ECITIZ_DATA_DIR": str(data_dir / "kit-pg"),
                    },
                    kit_url,
                    args.workers,
                )
            )
            servers["sqlite"] = stack.enter_context(
                gunicorn(
                    "ecitiz_kit:create_app()",
                    data_dir / "sqlite.log",
                    workers=args.workers,
                )
            )
            rows["bare"] = lambda: bare_pg_app.row_count(bare_url)
            rows["kit"] = kit_store.submission_count
            rows["sqlite"] = sqlite_store.submission_count
        else:
            org_id, kit_store = setup_kit(stored)
            bare_db = os.environ["BENCH_BARE_DB"]
            setup_bare(bare_db, stored)
            servers["bare"] = stack.enter_context(
                gunicorn(
                    "bare_app:create_app()", data_dir / "bare.log", workers=args.workers
                )
            )
            servers["kit"] = stack.enter_context(
                gunicorn(
                    "ecitiz_kit:create_app()",
                    data_dir / "kit.log",
                    workers=args.workers,
                )
            )
            rows["bare"] = lambda: bare_app.row_count(bare_db)
            rows["kit"] = kit_store.submission_count
        mint = Tokens([SECRET_KEY])

        results = Results(stored, [], {name: Load() for name in paths}, {}, {})
        # Round 0 warms the workers up: not reported, but its rows count.
        for number in range(args.rounds + 1):
            seconds = WARMUP_SECONDS if number == 0 else args.seconds
            loads = {
                name: run_load(servers[name], path, mint, org_id, seconds, args)
                for name, path in paths.items()
            }
            for name, load in loads.items():
                results.totals[name].acknowledged += load.acknowledged
                results.totals[name].errors.update(load.errors)
            if number:
                results.rounds.append(loads)

        for name, count in rows.items():
            results.rows[name] = count() - stored
        for name in paths:
            results.logs[name] = (data_dir / f"{name}.log").read_text()
        kit_store.close()
    return results


def errors_text(errors: Counter) -> str:
    return ", ".join(f"{n}× {what}" for what, n in sorted(errors.items())) or "0"


def report(results: Results) -> tuple[bool, list[float]]:
    """Print the table and the checks; return whether every check passed, and
    the medians of the table's columns (and, with PostgreSQL, of the second
    table's: the kit on PostgreSQL against the kit on SQLite)."""
    # The rate ratio is what the goal is about; the CPU ratio (bare's server CPU
    # per request over the kit's) barely moves when other jobs share the machine.
    on_postgresql = "sqlite" in results.totals
    line = "{:>6} {:>10} {:>10} {:>9} {:>12} {:>12} {:>9}  {}"
    where = " (both on PostgreSQL)" if on_postgresql else ""
    print(f"--- {results.stored:,} requests stored before the first load{where} ---")
    print(line.format("", "bare", "kit", "kit/bare", "bare CPU", "kit CPU",
                      "bare/kit", ""))  # fmt: skip
    print(line.format("round", "req/s", "req/s", "rate", "ms/req", "ms/req",
                      "CPU", "errors"))  # fmt: skip
    columns: list[list[float]] = []
    for number, loads in enumerate(results.rounds, start=1):
        bare, kit = loads["bare"], loads["kit"]
        row = [
            bare.rate,
            kit.rate,
            _ratio(kit.rate, bare.rate),
            bare.cpu_per_request,
            kit.cpu_per_request,
            _ratio(bare.cpu_per_request, kit.cpu_per_request),
        ]
        columns.append(row)
        errors = sum((load.errors for load in loads.values()), Counter())
        print(line.format(number, *_figures(row), errors_text(errors)))
    medians = [statistics.median(column) for column in zip(*columns, strict=True)]
    print(line.format("median", *_figures(medians), ""))
    verdict = "met" if medians[2] >= TARGET_RATIO else "NOT met"
    print(f"\ntarget kit/bare rate >= {TARGET_RATIO}: {verdict}")
    if on_postgresql:
        medians += compare_backends(results)

    passed = True
    for name, total in results.totals.items():
        rows = results.rows[name]
        same = rows == total.acknowledged
        passed &= same and not total.errors
        print(
            f"{name}: {total.acknowledged} answered 303, {rows} rows "
            f"({'match' if same else 'MISMATCH'}), errors: {errors_text(total.errors)}"
        )
        if total.errors and results.logs[name].strip():
            print(f"--- {name} gunicorn log (end) ---\n{results.logs[name][-3000:]}")
    print()
    return passed, medians


def compare_backends(results: Results) -> list[float]:
    """Print the kit on PostgreSQL against the kit on SQLite, and the CPU the
    PostgreSQL backends took per request; return the medians."""
    line = "{:>6} {:>10} {:>10} {:>9} {:>10} {:>10} {:>9} {:>10} {:>10}"
    print("\nthe kit on PostgreSQL (pg) against the kit on SQLite (lite), same rounds;")
    print("db: CPU of the PostgreSQL backends serving the kit and the bare app")
    print(line.format("", "pg", "lite", "pg/lite", "pg CPU", "lite CPU",
                      "pg/lite", "kit db", "bare db"))  # fmt: skip
    print(line.format("round", "req/s", "req/s", "rate", "ms/req", "ms/req",
                      "CPU", "ms/req", "ms/req"))  # fmt: skip
    columns: list[list[float]] = []
    for number, loads in enumerate(results.rounds, start=1):
        kit, lite, bare = loads["kit"], loads["sqlite"], loads["bare"]
        row = [
            kit.rate,
            lite.rate,
            _ratio(kit.rate, lite.rate),
            kit.cpu_per_request,
            lite.cpu_per_request,
            _ratio(kit.cpu_per_request, lite.cpu_per_request),
            kit.database_cpu_per_request,
            bare.database_cpu_per_request,
        ]
        columns.append(row)
        print(line.format(number, *_backend_figures(row)))
    medians = [statistics.median(column) for column in zip(*columns, strict=True)]
    print(line.format("median", *_backend_figures(medians)) + "\n")
    return medians


def _ratio(top: float, bottom: float) -> float:
    return top / bottom if bottom else 0.0


def _figures(row: list[float]) -> list[str]:
    rate_bare, rate_kit, ratio, cpu_bare, cpu_kit, cpu_ratio = row
    return [f"{rate_bare:.1f}", f"{rate_kit:.1f}", f"{ratio:.2f}",
            f"{cpu_bare:.2f}", f"{cpu_kit:.2f}", f"{cpu_ratio:.2f}"]  # fmt: skip


def _backend_figures(row: list[float]) -> list[str]:
    rate_pg, rate_lite, ratio, cpu_pg, cpu_lite, cpu_ratio, db_kit, db_bare = row
    return [f"{rate_pg:.1f}", f"{rate_lite:.1f}", f"{ratio:.2f}", f"{cpu_pg:.2f}",
            f"{cpu_lite:.2f}", f"{cpu_ratio:.2f}", f"{db_kit:.2f}",
            f"{db_bare:.2f}"]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument(
        "--workers",
        type=int,
        default=WORKERS,
        help=f"gunicorn sync workers per server (default {WORKERS})",
    )
    parser.add_argument(
        "--distinct",
        action="store_true",
        help="give each post a SIRET and an e-mail address of its own (by default"
        " all bear the same, so each post's duplicate signals read all before it)",
    )
    parser.add_argument(
        "--multipart",
        action="store_true",
        help="post multipart/form-data (default: urlencoded, as the form page does)",
    )
    parser.add_argument(
        "--stored",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[0],
        metavar="N[,N...]",
        help="requests already stored in each database (default 0); several"
        " numbers measure each in turn",
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        help="a PostgreSQL server (postgresql://user@host:port/dbname, a database"
        " to connect to): the kit and a bare Flask + psycopg app store in fresh"
        " databases made there for the run, and the kit on SQLite is loaded too",
    )
    args = parser.parse_args()
    print(
        f"{args.rounds} rounds of {args.seconds:g} s per server, {args.clients} "
        f"clients, {args.workers} gunicorn workers each, "
        f"{'multipart' if args.multipart else 'urlencoded'} bodies"
        f"{', PostgreSQL' if args.database else ''}\n"
    )
    passed, summary = True, {}
    for stored in args.stored:
        ok, medians = report(measure(args, stored))
        passed &= ok
        summary[stored] = medians
    if len(summary) > 1:
        print("medians by requests stored before the load:")
        line = "{:>9} {:>9} {:>12} {:>12} {:>9}"
        print(line.format("stored", "kit/bare", "bare CPU", "kit CPU", "bare/kit"))
        print(line.format("requests", "rate", "ms/req", "ms/req", "CPU"))
        for stored, medians in summary.items():
            _rate_bare, _rate_kit, ratio, cpu_bare, cpu_kit, cpu_ratio = medians[:6]
            print(
                line.format(
                    f"{stored:,}", f"{ratio:.2f}", f"{cpu_bare:.2f}",
                    f"{cpu_kit:.2f}", f"{cpu_ratio:.2f}",
                )
            )  # fmt: skip
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
