"""``flask ecitiz doctor``: one line per problem and exit 1, or a short "ok"."""

import socket
import socketserver
import sqlite3
import threading

import pytest

from ecitiz_kit.cli.doctor import server_workers
from ecitiz_kit.state import state

from .helpers import ORG


@pytest.fixture
def deployed(request, app, monkeypatch):
    """The test app, set up as a deployment should be (one worker; with
    PostgreSQL, counters in the Redis every host shares)."""
    for name in ("WEB_CONCURRENCY", "GUNICORN_CMD_ARGS"):
        monkeypatch.delenv(name, raising=False)
    app.config["ECITIZ_PUBLIC_URL"] = "https://forms.example.org"
    if app.config["ECITIZ_DATABASE_URL"]:
        redis = request.getfixturevalue("redis_url")
        app.config["ECITIZ_RATELIMIT_STORAGE_URI"] = redis
    return app


def doctor(app, *args, env=None):
    return app.test_cli_runner().invoke(args=["ecitiz", "doctor", *args], env=env)


def problems(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("problem:")]


def test_a_sound_deployment_gets_ok(deployed):
    result = doctor(deployed)
    assert result.exit_code == 0, result.output
    assert problems(result) == []
    assert result.output.splitlines()[-1].startswith("ok: 9 checks passed")


# -- secret key ---------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "dev", "changeme", "CHANGE-ME", "short"])
def test_a_missing_or_weak_secret_key_is_a_problem(deployed, key):
    deployed.config["SECRET_KEY"] = key
    result = doctor(deployed)
    assert result.exit_code == 1
    [line] = problems(result)
    assert line.startswith("problem: secret key: SECRET_KEY is missing")


# -- public URL ---------------------------------------------------------------------


@pytest.mark.parametrize("url", [None, "http://forms.example.org"])
def test_a_public_url_missing_or_not_https_is_a_problem(deployed, url):
    deployed.config["ECITIZ_PUBLIC_URL"] = url
    result = doctor(deployed)
    assert result.exit_code == 1
    [line] = problems(result)
    assert line.startswith("problem: public URL: ECITIZ_PUBLIC_URL")


@pytest.mark.parametrize(
    "url", ["http://localhost:5000", "http://127.0.0.1:5000", "http://[::1]:8000"]
)
def test_plain_http_on_this_machine_is_only_a_warning(deployed, url):
    deployed.config["ECITIZ_PUBLIC_URL"] = url
    result = doctor(deployed)
    assert result.exit_code == 0, result.output
    assert f"warning: public URL: ECITIZ_PUBLIC_URL is {url}" in result.output


# -- database -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "version,said", [(1, "the kit needs"), (10_000, "newer than this kit")]
)
def test_a_schema_out_of_step_is_a_problem(deployed, monkeypatch, version, said):
    monkeypatch.setattr(state(deployed).store, "schema_version", lambda: version)
    result = doctor(deployed)
    assert result.exit_code == 1
    [line] = problems(result)
    assert line.startswith("problem: database:") and said in line


def test_an_unreadable_database_is_a_problem(deployed, monkeypatch):
    def broken():
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(state(deployed).store, "schema_version", broken)
    result = doctor(deployed)
    assert result.exit_code == 1
    assert "problem: database: the database cannot be read" in result.output


# -- rate limits --------------------------------------------------------------------


@pytest.mark.parametrize(
    "args,env",
    [
        (["--workers", "3"], {}),
        ([], {"WEB_CONCURRENCY": "4"}),
        ([], {"GUNICORN_CMD_ARGS": "--bind 0.0.0.0:8000 -w 3"}),
        ([], {"GUNICORN_CMD_ARGS": "--workers=2 --timeout 30"}),
    ],
)
def test_counters_per_process_with_several_workers_are_a_problem(deployed, args, env):
    deployed.config["ECITIZ_RATELIMIT_STORAGE_URI"] = "memory://"
    result = doctor(deployed, *args, env=env)
    assert result.exit_code == 1
    [line] = problems(result)
    assert line.startswith("problem: rate limits: rate-limit counters are kept in")
    assert "ECITIZ_RATELIMIT_STORAGE_URI" in line


@pytest.mark.sqlite_only  # PostgreSQL: any number of hosts (next test)
def test_counters_per_process_with_one_worker_are_fine(deployed):
    result = doctor(deployed, "--workers", "1", env={"WEB_CONCURRENCY": "4"})
    assert result.exit_code == 0, result.output
    assert "for 1 worker(s) (--workers)" in result.output


@pytest.mark.postgresql_only
def test_counters_per_process_with_postgresql_are_a_problem_even_for_one_worker(
    deployed,
):
    deployed.config["ECITIZ_RATELIMIT_STORAGE_URI"] = "memory://"
    result = doctor(deployed, "--workers", "1")
    assert result.exit_code == 1
    [line] = problems(result)
    assert "per process, while the database is PostgreSQL" in line
    assert "ECITIZ_RATELIMIT_STORAGE_URI" in line


def test_limits_turned_off_are_a_warning_whatever_the_workers(deployed):
    deployed.config["ECITIZ_RATELIMIT_ENABLED"] = False
    result = doctor(deployed, "--workers", "4")
    assert result.exit_code == 0, result.output
    assert "warning: rate limits: rate limits are off" in result.output


def test_a_shared_storage_that_cannot_be_used_is_a_problem(deployed):
    deployed.config["ECITIZ_RATELIMIT_STORAGE_URI"] = "redis://:hunter2@127.0.0.1:1"
    result = doctor(deployed, "--workers", "4")
    assert result.exit_code == 1
    [line] = problems(result)
    assert line.startswith("problem: rate limits: rate-limit storage redis://")
    assert "hunter2" not in result.output


@pytest.mark.parametrize(
    "environ,found",
    [
        ({}, (1, "default")),
        ({"WEB_CONCURRENCY": "5"}, (5, "WEB_CONCURRENCY")),
        ({"WEB_CONCURRENCY": "many"}, (1, "default")),
        ({"GUNICORN_CMD_ARGS": "-w 6"}, (6, "GUNICORN_CMD_ARGS")),
        ({"GUNICORN_CMD_ARGS": "-w7 --reload"}, (7, "GUNICORN_CMD_ARGS")),
        ({"GUNICORN_CMD_ARGS": "--workers 8"}, (8, "GUNICORN_CMD_ARGS")),
        ({"GUNICORN_CMD_ARGS": "--workers"}, (1, "default")),
        ({"GUNICORN_CMD_ARGS": "'unbalanced"}, (1, "default")),
    ],
)
def test_workers_are_read_from_the_environment(environ, found):
    assert server_workers(environ) == found


# -- SMTP ---------------------------------------------------------------------------


class _FakeSMTP(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"220 mail.example.org ESMTP\r\n")
        for line in self.rfile:
            if line.upper().startswith(b"QUIT"):
                self.wfile.write(b"221 bye\r\n")
                return
            self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _FakeSMTP)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_reachable_smtp_server_passes(deployed, smtp_server):
    deployed.config.update(ECITIZ_SMTP_HOST="127.0.0.1", ECITIZ_SMTP_PORT=smtp_server)
    result = doctor(deployed)
    assert result.exit_code == 0, result.output
    assert "e-mail" not in result.output


def test_an_unreachable_smtp_server_is_a_problem(deployed):
    port = _closed_port()
    deployed.config.update(ECITIZ_SMTP_HOST="127.0.0.1", ECITIZ_SMTP_PORT=port)
    result = doctor(deployed, "--timeout", "2")
    assert result.exit_code == 1
    [line] = problems(result)
    assert line.startswith(f"problem: e-mail: the SMTP server 127.0.0.1:{port}")


def test_no_smtp_server_is_a_warning(deployed):
    result = doctor(deployed)
    assert result.exit_code == 0
    assert "warning: e-mail: ECITIZ_SMTP_HOST is not set" in result.output


# -- signing keys and origins -----------------------------------------------------


@pytest.mark.sqlite_only  # key files (PostgreSQL seals keys in the database)
def test_a_signing_key_file_gone_is_a_problem(deployed):
    kit = state(deployed)
    with deployed.app_context():
        organisation_id = kit.store.organisation(ORG)["id"]
        kid, _key = kit.keyring.signing_key(organisation_id)
    assert doctor(deployed).exit_code == 0
    kit.keyring.files.path(kid).unlink()
    result = doctor(deployed)
    assert result.exit_code == 1
    [line] = problems(result)
    assert line.startswith(f"problem: signing keys: the signing key of {ORG}")


@pytest.mark.postgresql_only
def test_a_signing_key_the_secret_key_cannot_open_is_a_problem(deployed):
    kit = state(deployed)
    with deployed.app_context():
        kit.keyring.signing_key(kit.store.organisation(ORG)["id"])
    assert doctor(deployed).exit_code == 0
    deployed.config["SECRET_KEY_FALLBACKS"] = [deployed.config["SECRET_KEY"]]
    deployed.config["SECRET_KEY"] = "another-secret-key-that-is-long-enough"
    assert doctor(deployed).exit_code == 0  # the former key is a fallback
    deployed.config["SECRET_KEY_FALLBACKS"] = []
    result = doctor(deployed)
    assert result.exit_code == 1
    [line] = problems(result)
    assert line.startswith(f"problem: signing keys: the signing key of {ORG}")
    assert "SECRET_KEY_FALLBACKS" in line


def test_an_organisation_with_forms_but_no_origin_is_a_problem(deployed):
    store = state(deployed).store
    with deployed.app_context():
        lonely = store.create_organisation("lonely", "Lonely")
        store.create_organisation("idle", "No forms, no origin")
        store.enable_form(lonely["id"], "aid-request", 1, None, 730)
    result = doctor(deployed)
    assert result.exit_code == 1
    [line] = problems(result)
    assert line.startswith("problem: allowed origins: lonely has forms enabled")
    assert "flask ecitiz allow-origin lonely" in line


# -- the demo -----------------------------------------------------------------------


def test_the_demo_passes_with_one_worker_and_fails_with_several(tmp_path, monkeypatch):
    import demo_site

    for name in ("WEB_CONCURRENCY", "GUNICORN_CMD_ARGS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ECITIZ_DATA_DIR", str(tmp_path / "demo"))
    app = demo_site.create_app()
    result = doctor(app)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith("ok:")
    several = doctor(app, "--workers", "2")
    assert several.exit_code == 1
    assert problems(several)[0].startswith("problem: rate limits:")


# -- company lookup -----------------------------------------------------------------


def _warnings(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("warning:")]


def test_a_company_directory_that_answers_is_fine(deployed, company_directory):
    result = doctor(deployed)
    assert result.exit_code == 0, result.output
    assert not [w for w in _warnings(result) if "company lookup:" in w]
    assert company_directory.queries == [
        "73282932000074"
    ]  # a sample SIRET, nothing else


def test_a_company_directory_that_does_not_answer_is_a_warning(
    deployed, company_directory
):
    company_directory.down = True
    result = doctor(deployed)
    assert result.exit_code == 0, result.output  # forms still work without it
    [line] = [w for w in _warnings(result) if "company lookup" in w]
    assert "gives no usable answer (HTTP 503)" in line


def test_a_company_directory_over_plain_http_elsewhere_is_a_warning(deployed):
    deployed.config["ECITIZ_COMPANY_LOOKUP_URL"] = "http://192.0.2.1:9"
    kit = state(deployed)
    with deployed.app_context():
        kit.company_directory(deployed.config).timeout = 0.2
    result = doctor(deployed)
    lines = [w for w in _warnings(result) if "company lookup" in w]
    assert any("plain http" in line for line in lines), result.output
    assert any("no usable answer" in line for line in lines), result.output
