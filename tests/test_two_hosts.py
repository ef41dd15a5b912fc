"""Several hosts on one PostgreSQL database and one Redis server, each with its own
data folder and nothing else shared, set up, served and worked with the commands
and settings of the README's guide "When one machine is not enough": the guide's
blocks are read from the README and run as written, only the addresses, folders
and sizes being this test's own. A missing server fails these tests in CI."""

from __future__ import annotations

import email
import io
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from .databases import SERVER, Session
from .helpers import PDF, aid_answers, attestation_answers, hidden_inputs

ROOT = Path(__file__).resolve().parent.parent
REDIS = os.environ.get("ECITIZ_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PUBLIC = "https://forms.example.org"
ORG = "val-fleuri"
ADMIN = "agent@val-fleuri.example"
PASSWORD = "correct horse battery staple"
REFERENCE = re.compile(r"\bAID-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b")

pytestmark = pytest.mark.slow


# -- the guide ---------------------------------------------------------------------


def guide() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## When one machine is not enough\n")
    return readme[start : readme.index("\n## ", start + 1)]


def blocks(language: str) -> list[str]:
    """The guide's fenced blocks in ``language``, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```$", guide(), re.M | re.S)


def replaced(script: str, *pairs: tuple[str, str]) -> str:
    """``script`` with each written value replaced by this test's own; a value
    the guide no longer writes fails the test, so guide and test cannot drift."""
    for written, here in pairs:
        assert written in script, f"the guide no longer says {written!r}"
        script = script.replace(written, here)
    return script


def guide_block(first_words: str) -> str:
    """The one shell block of the guide that starts with ``first_words``."""
    [block] = [b for b in blocks("sh") if b.startswith(first_words)]
    return block


#: How each shell block of the guide begins; each is run by a test below.
RUN = (
    "python -c 'import secrets",  # the shared secret key
    "export FLASK_SECRET_KEY=",  # the settings, before every other block
    'python -m pip install "',  # once: install, schema, organisation, doctor
    "gunicorn ",  # each host
    "ecitiz worker",  # the workers
    "curl ",  # the load balancer's health check
    "pg_dump ",  # backups
    "pg_restore ",
    "python -m pip install --upgrade ",  # upgrades
    "ecitiz copy-db ",  # moving up from SQLite
)


def test_every_shell_block_of_the_guide_is_one_the_tests_run():
    found = blocks("sh")
    assert sorted(next(w for w in RUN if b.startswith(w)) for b in found) == sorted(
        RUN
    ), found
    assert len(blocks("python")) == 1  # the WSGI module with ProxyFix


# -- the deployment ------------------------------------------------------------------


def required(reason: str) -> None:
    # In CI the deployment must run: a missing server is a failure, not a skip.
    if os.environ.get("CI"):
        pytest.fail(f"the multi-host tests must run in CI, but {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def spare_redis_database():
    """A Redis database of its own (an empty one of 1 to 15), as a client."""
    try:
        import redis
    except ImportError:
        required("the redis package is not installed (pip install -e '.[test]')")
    where = urlsplit(REDIS)
    for number in range(15, 0, -1):
        client = redis.Redis(where.hostname, where.port or 6379, db=number)
        try:
            if client.dbsize() == 0:
                return client, f"redis://{where.hostname}:{where.port or 6379}/{number}"
        except redis.RedisError as error:
            required(f"no Redis server at {REDIS}: {error}")
    required(f"no empty database on the Redis server at {REDIS}")


def fresh_database() -> Session:
    try:
        import psycopg
    except ImportError:
        required("psycopg is not installed (pip install -e '.[test]')")
    try:
        return Session(SERVER)
    except psycopg.OperationalError as error:
        required(f"PostgreSQL cannot be reached at {SERVER}: {error}")


@dataclass
class Deployment:
    root: Path
    database: Session
    redis_url: str
    environ: dict
    hosts: dict = field(default_factory=dict)  # name: (port, process)

    def data_dir(self, host: str) -> Path:
        return self.root / host

    def settings(self, host: str) -> str:
        """The guide's settings, for ``host``'s data folder."""
        return replaced(
            guide_block("export FLASK_SECRET_KEY="),
            ("/etc/ecitiz", str(self.root / "etc")),
            (
                "postgresql://ecitiz:PASSWORD@db.internal:5432/ecitiz",
                self.database.url,
            ),
            ("redis://cache.internal:6379/0", self.redis_url),
            ("/var/lib/ecitiz", str(self.data_dir(host))),
        )

    def shell(self, host: str, script: str, **options) -> subprocess.Popen:
        """``script`` in bash, after the guide's settings for ``host``."""
        return subprocess.Popen(
            ["bash", "-euc", f"{self.settings(host)}\n{script}"],
            cwd=self.root,
            env=self.environ,
            start_new_session=True,  # its own process group, to stop or kill it
            text=True,
            **options,
        )

    def run(self, host: str, script: str, stdin: str = "") -> str:
        shell = self.shell(
            host,
            script,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        output, _ = shell.communicate(stdin, timeout=120)
        assert shell.returncode == 0, output
        return output

    def serve(self, *hosts: str) -> None:
        """Start ``hosts`` as the guide serves them, and wait until each answers
        the load balancer's health check."""
        for host in hosts:
            port = free_port()
            command = replaced(
                guide_block("gunicorn "),
                ("/etc/ecitiz", str(self.root / "etc")),
                ("--workers 4", "--workers 2"),
                ("0.0.0.0:8000", f"127.0.0.1:{port}"),
            )
            log = open(self.root / f"{host}.log", "w")  # noqa: SIM115
            process = self.shell(host, f"exec {command}", stdout=log, stderr=log)
            self.hosts[host] = (port, process)
        for host in hosts:
            self.wait_healthy(host)

    def wait_healthy(self, host: str) -> None:
        port, process = self.hosts[host]
        health = replaced(guide_block("curl "), ("127.0.0.1:8000", f"127.0.0.1:{port}"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, (self.root / f"{host}.log").read_text()
            check = subprocess.run(
                ["bash", "-c", health], capture_output=True, text=True
            )
            if check.returncode == 0:
                assert check.stdout == "ok\n"
                return
            time.sleep(0.2)
        raise AssertionError(f"{host} did not answer /healthz within 60 s")

    def url(self, host: str, path: str) -> str:
        return f"http://127.0.0.1:{self.hosts[host][0]}{path}"

    def kill(self, host: str) -> None:
        """``kill -9`` of the host's whole process group: gunicorn and workers."""
        _port, process = self.hosts[host]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def query(self, sql: str, *params) -> list[tuple]:
        with self.database.psycopg.connect(self.database.url) as conn:
            return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    if not shutil.which("curl"):
        required("curl is not installed (the guide's health check uses it)")
    redis_client, redis_url = spare_redis_database()
    database = fresh_database()
    root = tmp_path_factory.mktemp("deployment")
    (root / "etc").mkdir()
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ECITIZ_", "FLASK_", "GUNICORN_", "WEB_CONCURRENCY"))
    }
    # `ecitiz`, gunicorn and python of the environment running the tests first,
    # as once it is activated.
    environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environ['PATH']}"
    deployment = Deployment(root, database, redis_url, environ)
    try:
        # The secret key, made once and shared.
        subprocess.run(
            ["bash", "-euc", replaced(
                guide_block("python -c 'import secrets"),
                ("/etc/ecitiz", str(root / "etc")),
            )],
            check=True,
        )  # fmt: skip
        assert (root / "etc" / "secret_key").stat().st_mode & 0o777 == 0o600
        # Once, from the first host: the install (checked, not done: this
        # environment has the kit already), the schema, the organisation.
        report = root / "install.json"
        once = replaced(
            guide_block('python -m pip install "'),
            (
                'python -m pip install "ecitiz-kit[',
                f'python -m pip install --dry-run --quiet --report {report} "{ROOT}[',
            ),
        )
        output = deployment.run("host1", once, stdin=PASSWORD + "\n")
        assert "Created staff account" in output, output
        assert "problem:" not in output, output
        # Every requirement of the extras the guide names is here already.
        assert '"name": "ecitiz-kit"' in report.read_text()
        assert report.read_text().count('"metadata"') == 1, report.read_text()
        # A form that issues its attestation at once, for the signing test.
        deployment.run(
            "host1", f"ecitiz enable-form {ORG} attestation --issue-on-submit"
        )
        [wsgi] = blocks("python")
        (root / "etc" / "ecitiz_wsgi.py").write_text(wsgi)
        deployment.serve("host1", "host2")
        yield deployment
    finally:
        for _port, process in deployment.hosts.values():
            deployment.stop(process)
        database.drop()
        redis_client.flushdb()
        redis_client.close()


# -- a visitor behind the load balancer ------------------------------------------------


class Visitor:
    """A browser behind the load balancer: it reaches the hosts directly, with
    the headers the load balancer adds (its address, https, the public host)."""

    def __init__(self, deployment: Deployment, address: str | None = None) -> None:
        self.deployment = deployment
        self.address = address or (
            f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}:{secrets.token_hex(2)}"
        )
        self.cookies: dict[str, str] = {}

    def request(self, method: str, host: str, path: str, **options):
        headers = {
            "Host": urlsplit(PUBLIC).netloc,
            "X-Forwarded-For": self.address,
            "X-Forwarded-Proto": "https",
            **options.pop("headers", {}),
        }
        if method == "POST":
            headers.setdefault("Origin", PUBLIC)
        response = requests.request(
            method,
            self.deployment.url(host, path),
            headers=headers,
            # Sent by hand: the kit's staff cookie is Secure (https is public),
            # which requests would keep from a plain-http loopback address.
            cookies=dict(self.cookies),
            allow_redirects=False,
            timeout=30,
            **options,
        )
        self.cookies.update(response.cookies.get_dict())
        return response

    def get(self, host: str, path: str, **options):
        return self.request("GET", host, path, **options)

    def post(self, host: str, path: str, **options):
        return self.request("POST", host, path, **options)


def form_path(form_id: str = "aid-request") -> str:
    return f"/ecitiz/f/{ORG}/{form_id}"


def ticket(visitor: Visitor, host: str, form_id: str = "aid-request") -> str:
    page = visitor.get(host, form_path(form_id))
    assert page.status_code == 200, page.text[:300]
    return hidden_inputs(page.text)["ticket"]


def pdf_file() -> bytes:
    """A PDF that no other upload of the test has."""
    return PDF.replace(b"%%EOF", b"%" + secrets.token_hex(16).encode() + b"\n%%EOF")


def send(visitor, host, answers, ticket_, files=None, form_id="aid-request"):
    return visitor.post(
        host,
        form_path(form_id),
        data={"ticket": ticket_, **answers},
        files=files
        or {"documents": ("justificatif.pdf", pdf_file(), "application/pdf")},
    )


def receipt_reference(visitor: Visitor, host: str, location: str) -> str:
    page = visitor.get(host, urlsplit(location).path)
    assert page.status_code == 200, page.status_code
    return REFERENCE.search(page.text).group(0)


def requests_from(deployment: Deployment, address: str) -> list[str]:
    """The references of the requests that give ``address``."""
    return [
        row[0]
        for row in deployment.query(
            "SELECT reference FROM submissions WHERE applicant_email = %s", address
        )
    ]


def signed_in(deployment: Deployment, host: str) -> Visitor:
    staff = Visitor(deployment)
    page = staff.get(host, "/ecitiz/staff/login")
    answer = staff.post(
        host,
        "/ecitiz/staff/login",
        data={
            "csrf_token": hidden_inputs(page.text)["csrf_token"],
            "email": ADMIN,
            "password": PASSWORD,
        },
    )
    assert answer.status_code == 303, answer.text[:300]
    return staff


# -- the tests ------------------------------------------------------------------------


def test_a_ticket_from_one_host_is_spent_once_on_any(deployment):
    visitor = Visitor(deployment)
    address = f"ticket-{secrets.token_hex(4)}@example.org"
    answers = aid_answers(email=address)
    ticket_ = ticket(visitor, "host1")
    files = {"documents": ("justificatif.pdf", pdf_file(), "application/pdf")}
    first = send(visitor, "host2", answers, ticket_, files)
    assert first.status_code == 303, first.text[:500]
    again = send(visitor, "host1", answers, ticket_, files)
    assert again.status_code == 303, again.text[:500]
    reference = receipt_reference(visitor, "host2", first.headers["Location"])
    assert receipt_reference(visitor, "host1", again.headers["Location"]) == reference
    assert requests_from(deployment, address) == [reference]


def test_a_file_sent_through_one_host_downloads_from_another(deployment):
    visitor = Visitor(deployment)
    address = f"file-{secrets.token_hex(4)}@example.org"
    content = pdf_file()
    sent = send(
        visitor,
        "host1",
        aid_answers(email=address),
        ticket(visitor, "host1"),
        {"documents": ("justificatif.pdf", content, "application/pdf")},
    )
    assert sent.status_code == 303, sent.text[:500]
    [(request_id, attachment_id)] = deployment.query(
        "SELECT s.id, a.id FROM submissions s JOIN attachments a"
        " ON a.submission_id = s.id WHERE s.applicant_email = %s",
        address,
    )
    staff = signed_in(deployment, "host2")
    page = staff.get("host2", f"/ecitiz/staff/requests/{request_id}")
    link = f"/ecitiz/staff/requests/{request_id}/files/{attachment_id}"
    assert link in page.text
    download = staff.get("host2", link)
    assert download.status_code == 200, download.status_code
    assert download.content == content
    # Neither host keeps the file: it is in the database they share.
    for host in ("host1", "host2"):
        kept = [
            path
            for path in deployment.data_dir(host).rglob("*")
            if path.is_file() and "mail" not in path.parts
        ]
        assert kept == []


def _attestation_from_host1(deployment, visitor, label: str) -> tuple[str, str]:
    """Ask host 1 for an attestation (issued at once) as ``visitor``; the
    applicant's address and the signed payload its QR code carries."""
    address = f"{label}-{secrets.token_hex(4)}@example.org"
    sent = visitor.post(
        "host1",
        form_path("attestation"),
        data={
            "ticket": ticket(visitor, "host1", "attestation"),
            **attestation_answers(email=address),
        },
    )
    assert sent.status_code == 303, sent.text[:500]
    [(payload,)] = deployment.query(
        "SELECT d.payload FROM documents d JOIN submissions s"
        " ON s.id = d.submission_id WHERE s.applicant_email = %s",
        address,
    )
    return address, payload


def test_an_attestation_signed_on_one_host_verifies_on_another(deployment):
    visitor = Visitor(deployment)
    _, payload = _attestation_from_host1(deployment, visitor, "holder")
    forged = payload[:-3] + ("AAA" if not payload.endswith("AAA") else "BBB")
    # The page, without JavaScript: the code pasted and checked by host 2.
    for code, verdict in [(payload, "valid"), (forged, "forged")]:
        page = visitor.post("host2", "/ecitiz/v", data={"code": code})
        assert page.status_code == 200
        assert f'data-verdict="{verdict}"' in page.text
    # The JSON API.
    for code, verdict in [(payload, "valid"), (forged, "forged")]:
        answer = visitor.post("host2", "/ecitiz/api/verify", json={"payload": code})
        assert answer.status_code == 200
        assert answer.json()["verdict"] == verdict
    # The command, in host 2's environment.
    output = deployment.run("host2", f"ecitiz verify '{payload}'")
    assert output.splitlines()[0] == "valid", output
    shell = deployment.shell(
        "host2", f"ecitiz verify '{forged}'", stdout=subprocess.PIPE
    )
    assert shell.communicate(timeout=60)[0].splitlines()[0] == "forged"
    assert shell.returncode == 1
    # No key was written in either host's folder: both use the database's.
    for host in ("host1", "host2"):
        assert not (deployment.data_dir(host) / "keys").exists()


def test_failed_sign_ins_are_counted_across_hosts(deployment):
    def attempt(visitor: Visitor, host: str) -> int:
        page = visitor.get(host, "/ecitiz/staff/login")
        return visitor.post(
            host,
            "/ecitiz/staff/login",
            data={
                "csrf_token": hidden_inputs(page.text)["csrf_token"],
                "email": ADMIN,
                "password": "not the password at all",
            },
        ).status_code

    guesser = Visitor(deployment)
    hosts = ["host1", "host2"] * 6
    # ECITIZ_LOGIN_LIMIT: 10 failures per account from one address, wherever
    # they land; the 11th and 12th are refused by either host.
    assert [attempt(guesser, host) for host in hosts] == [401] * 10 + [429, 429]
    # Counted per address: someone else still gets an answer on their password.
    assert attempt(Visitor(deployment), "host1") == 401


def test_workers_on_two_hosts_deliver_each_message_once(deployment):
    addresses = [f"mail-{n}-{secrets.token_hex(3)}@example.org" for n in range(40)]
    for address in addresses:
        visitor = Visitor(deployment)
        answer = send(
            visitor, "host1", aid_answers(email=address), ticket(visitor, "host1")
        )
        assert answer.status_code == 303, answer.text[:300]
    command = replaced(
        guide_block("ecitiz worker"),
        ("ecitiz worker", "exec ecitiz worker --interval 0.2"),
    )
    workers = {
        host: deployment.shell(
            host,
            command,
            stdout=subprocess.DEVNULL,
            stderr=open(deployment.root / f"{host}-worker.log", "w"),  # noqa: SIM115
        )
        for host in ("host1", "host2")
    }
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not deployment.query(
                "SELECT 1 FROM outbox WHERE status <> 'sent' LIMIT 1"
            ):
                break
            time.sleep(0.2)
    finally:
        for process in workers.values():
            deployment.stop(process)
    [(sent,)] = deployment.query("SELECT count(*) FROM outbox WHERE status = 'sent'")
    files = [
        path
        for host in workers
        for path in (deployment.data_dir(host) / "mail").glob("*.eml")
    ]
    assert len(files) == sent
    assert len({path.name for path in files}) == sent  # none written twice
    recipients = [email.message_from_bytes(path.read_bytes())["To"] for path in files]
    for address in addresses:
        receipts = [r for r in recipients if r == address]
        assert len(receipts) == 1, (address, receipts)


def test_a_large_export_built_by_one_hosts_worker_downloads_from_another(deployment):
    # More requests than a page builds at once: the worker builds the ZIP.
    [(count,)] = deployment.query("SELECT count(*) FROM submissions")
    for _n in range(max(0, 60 - count)):
        visitor = Visitor(deployment)
        address = f"export-{secrets.token_hex(4)}@example.org"
        answer = send(
            visitor, "host1", aid_answers(email=address), ticket(visitor, "host1")
        )
        assert answer.status_code == 303, answer.text[:300]
    staff = signed_in(deployment, "host2")
    offer = staff.get("host2", "/ecitiz/staff/requests.zip")
    assert offer.status_code == 200 and "/ecitiz/staff/exports" in offer.text
    started = staff.post(
        "host2", "/ecitiz/staff/exports", data=hidden_inputs(offer.text)
    )
    assert started.status_code == 303, started.text[:300]
    page = urlsplit(started.headers["Location"]).path
    worker = deployment.shell(
        "host1",
        replaced(
            guide_block("ecitiz worker"),
            ("ecitiz worker", "exec ecitiz worker --interval 0.2"),
        ),
        stdout=subprocess.DEVNULL,
        stderr=open(deployment.root / "export-worker.log", "w"),  # noqa: SIM115
    )
    try:
        deadline = time.monotonic() + 60
        while f"{page}/file" not in staff.get("host2", f"{page}?still=1").text:
            assert time.monotonic() < deadline, "the export was not built in 60 s"
            time.sleep(0.3)
    finally:
        deployment.stop(worker)
    download = staff.get("host2", f"{page}/file")
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
    references = {
        row[0] for row in deployment.query("SELECT reference FROM submissions")
    }
    assert references and all(any(r in name for name in names) for r in references)
    # Built on host 1, served by host 2 from the database: no file left behind.
    for host in ("host1", "host2"):
        left = [
            p for p in (deployment.data_dir(host) / "exports").rglob("*") if p.is_file()
        ]
        assert left == []


def test_a_host_killed_under_load_loses_no_acknowledged_request(deployment):
    deployment.serve("doomed")
    run = secrets.token_hex(3)
    acknowledged: list[str] = []
    unanswered: list[tuple] = []  # (answers, ticket, file) of posts cut short
    refused: list[int] = []
    lock = threading.Lock()
    sent = iter(range(300))

    def post_one(n: int) -> bool:
        """Send one request; False once the host is gone."""
        visitor = Visitor(deployment)
        answers = aid_answers(email=f"load-{run}-{n}@example.org")
        files = {"documents": ("justificatif.pdf", pdf_file(), "application/pdf")}
        try:
            page = visitor.get("doomed", form_path())
        except requests.RequestException:
            return False
        ticket_ = hidden_inputs(page.text)["ticket"]
        try:
            answer = send(visitor, "doomed", answers, ticket_, files)
        except requests.RequestException:
            with lock:
                unanswered.append((answers, ticket_, files))
            return False
        with lock:
            if answer.status_code == 303:
                acknowledged.append(answers["email"])
            else:
                refused.append(answer.status_code)
        return True

    def client() -> None:
        try:
            while True:
                with lock:
                    n = next(sent, None)
                if n is None or not post_one(n):
                    return
        except Exception as error:  # noqa: BLE001 - reported by the test below
            refused.append(repr(error))

    clients = [threading.Thread(target=client) for _ in range(4)]
    for each in clients:
        each.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 60 and time.monotonic() < deadline:
        time.sleep(0.01)
    deployment.kill("doomed")
    for each in clients:
        each.join(timeout=60)
    assert len(acknowledged) >= 60 and not refused, refused
    assert next(sent, None) is not None  # killed mid-load, not after it
    stored = [
        row[0]
        for row in deployment.query(
            "SELECT applicant_email FROM submissions WHERE applicant_email LIKE %s",
            f"load-{run}-%",
        )
    ]
    assert len(stored) == len(set(stored))  # none twice
    assert set(acknowledged) <= set(stored)  # every acknowledged one kept
    # The posts the kill cut short, sent again to the host that is left: each
    # ends with one request, whether the first post had been stored or not.
    for answers, ticket_, files in unanswered:
        again = send(Visitor(deployment), "host2", answers, ticket_, files)
        assert again.status_code == 303, again.text[:300]
    stored = [
        row[0]
        for row in deployment.query(
            "SELECT applicant_email FROM submissions WHERE applicant_email LIKE %s",
            f"load-{run}-%",
        )
    ]
    assert len(stored) == len(set(stored))
    assert set(stored) == set(acknowledged) | {a["email"] for a, _t, _f in unanswered}
    # Each with its file, written in the same transaction.
    assert not deployment.query(
        "SELECT s.reference FROM submissions s"
        " LEFT JOIN attachments a ON a.submission_id = s.id"
        " LEFT JOIN stored_files f ON f.stored_name = a.stored_name"
        " WHERE s.applicant_email LIKE %s AND f.stored_name IS NULL",
        f"load-{run}-%",
    )


def test_a_dump_restored_into_an_empty_database_serves_the_same_requests(deployment):
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        required("pg_dump and pg_restore are not installed (postgresql-client)")
    visitor = Visitor(deployment)
    address, payload = _attestation_from_host1(deployment, visitor, "kept")
    deployment.run("host1", guide_block("pg_dump "))
    assert (deployment.root / "ecitiz.dump").stat().st_size > 0
    restored = fresh_database()
    try:
        deployment.run(
            "host2",
            replaced(
                guide_block("pg_restore "),
                (
                    "postgresql://ecitiz:PASSWORD@db.internal:5432/ecitiz_restored",
                    restored.url,
                ),
            ),
        )
        with restored.psycopg.connect(restored.url) as conn:
            [(count,)] = conn.execute(
                "SELECT count(*) FROM submissions WHERE applicant_email = %s",
                (address,),
            ).fetchall()
        assert count == 1
        # The restored database, on its own: the schema is current, and the
        # attestation verifies against the keys it carries.
        output = deployment.run(
            "host2",
            f"export ECITIZ_DATABASE_URL={restored.url}\n"
            f"ecitiz doctor --workers 4\necitiz verify '{payload}'",
        )
        assert "problem:" not in output and "\nvalid\n" in output, output
    finally:
        restored.drop()


def test_an_upgrade_as_the_guide_says_leaves_the_schema_current(deployment):
    report = deployment.root / "upgrade.json"
    output = deployment.run(
        "host1",
        replaced(
            guide_block("python -m pip install --upgrade "),
            (
                'python -m pip install --upgrade "ecitiz-kit[',
                f"python -m pip install --dry-run --quiet --report {report} "
                f'--upgrade "{ROOT}[',
            ),
        ),
    )
    assert '"name": "ecitiz-kit"' in report.read_text(), output
    answer = requests.get(deployment.url("host2", "/ecitiz/healthz"), timeout=10)
    assert answer.status_code == 200 and answer.text == "ok\n"
    # A database migrated further by a newer version takes the hosts still on
    # this one out of the load balancer's rotation.
    [(version,)] = deployment.query("SELECT max(version) FROM schema_version")
    with deployment.database.psycopg.connect(deployment.database.url) as conn:
        conn.execute(
            "INSERT INTO schema_version (version, applied_by) VALUES (%s, %s)",
            (version + 1, "a newer version"),
        )
    try:
        answer = requests.get(deployment.url("host2", "/ecitiz/healthz"), timeout=10)
        assert answer.status_code == 503 and answer.text == "unavailable\n"
    finally:
        with deployment.database.psycopg.connect(deployment.database.url) as conn:
            conn.execute(
                "DELETE FROM schema_version WHERE version = %s", (version + 1,)
            )
    answer = requests.get(deployment.url("host2", "/ecitiz/healthz"), timeout=10)
    assert answer.status_code == 200


def test_a_sqlite_instance_moves_up_with_copy_db(deployment):
    single = "single"
    # A one-machine instance: the guide's settings less the database's.
    deployment.run(
        single,
        "unset ECITIZ_DATABASE_URL\n"
        "ecitiz create-org bourg --name 'Mairie du Bourg'\n"
        "ecitiz enable-form bourg aid-request",
    )
    target = fresh_database()
    try:
        output = deployment.run(
            single,
            "unset ECITIZ_DATABASE_URL\n"
            + replaced(
                guide_block("ecitiz copy-db "),
                ("postgresql://ecitiz:PASSWORD@db.internal:5432/ecitiz", target.url),
            ),
        )
        assert "Copied to" in output, output
        with target.psycopg.connect(target.url) as conn:
            names = [row[0] for row in conn.execute("SELECT slug FROM organisations")]
        assert names == ["bourg"]
    finally:
        target.drop()
