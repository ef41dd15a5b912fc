"""The ``ecitiz`` console command: the kit's commands on the standalone app, a
kept secret key for a first try, one line per configuration error, ``serve`` and
``worker``."""

import os
import stat
import sys

import pytest
from click.testing import CliRunner
from flask import Flask
from gunicorn.app.base import BaseApplication

from ecitiz_kit import app as standalone
from ecitiz_kit.cli import console, mail
from ecitiz_kit.store import Store

from .helpers import SECRET


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A first try: no key given, no ``ECITIZ_*`` setting but the data folder."""
    for name in [n for n in os.environ if n.startswith(("ECITIZ_", "FLASK_"))]:
        monkeypatch.delenv(name)
    folder = tmp_path / "data"
    monkeypatch.setenv("ECITIZ_DATA_DIR", str(folder))
    return folder


def ecitiz(*args, **env):
    command = console.Console(standalone.console_app)
    return CliRunner().invoke(command, list(args), env=env, prog_name="ecitiz")


def assert_one_line_error(result, code, *words):
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ")
    for word in words:
        assert word in line


def test_first_command_keeps_a_secret_key_and_says_so_once(data_dir):
    first = ecitiz("create-org", "acme", "--name", "ACME")
    assert first.exit_code == 0, first.output
    key_file = data_dir / standalone.KEPT_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text()
    assert len(key.strip()) == 64
    assert first.stderr.count(str(key_file)) == 1
    again = ecitiz("enable-form", "acme", "aid-request")
    assert again.exit_code == 0, again.output
    assert str(key_file) not in again.stderr
    assert key_file.read_text() == key
    assert Store(data_dir / "ecitiz.sqlite3").organisation("acme")["name"] == "ACME"


def test_a_given_key_is_used_and_none_is_kept(data_dir):
    result = ecitiz("create-org", "acme", "--name", "ACME", FLASK_SECRET_KEY=SECRET)
    assert result.exit_code == 0, result.output
    assert not (data_dir / standalone.KEPT_KEY_FILE).exists()


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"ECITIZ_URL_PREFIX": "forms/"}, "ECITIZ_URL_PREFIX"),
        ({"ECITIZ_MAX_FILES": "0"}, "ECITIZ_MAX_FILES"),
        ({"ECITIZ_MAX_FLIES": "3"}, "ECITIZ_MAX_FLIES"),
        ({"ECITIZ_SMTP_HOST": "smtp.example"}, "ECITIZ_MAIL_FROM"),
        ({"FLASK_SECRET_KEY": "short"}, "FLASK_SECRET_KEY"),
        (
            {"ECITIZ_DATABASE_URL": "mysql://db/ecitiz", "FLASK_SECRET_KEY": SECRET},
            "ECITIZ_DATABASE_URL",
        ),
        # Hosts sharing a database cannot each keep a key of their own.
        (
            {"ECITIZ_DATABASE_URL": "postgresql://127.0.0.1:5432/ecitiz"},
            "FLASK_SECRET_KEY",
        ),
        # Nothing listens on port 1: refused at once.
        (
            {
                "ECITIZ_DATABASE_URL": "postgresql://kit:s3cr3tpw@127.0.0.1:1/ecitiz",
                "FLASK_SECRET_KEY": SECRET,
            },
            "ECITIZ_DATABASE_URL",
        ),
        (
            {
                "ECITIZ_DATABASE_URL": "postgresql://127.0.0.1:notaport/ecitiz",
                "FLASK_SECRET_KEY": SECRET,
            },
            "ECITIZ_DATABASE_URL",
        ),
    ],
)
def test_configuration_error_is_one_line_and_changes_nothing(data_dir, env, setting):
    result = ecitiz("create-org", "acme", "--name", "ACME", **env)
    assert_one_line_error(result, 2, setting)
    assert not data_dir.exists()
    assert "s3cr3tpw" not in result.stderr  # a password is never shown


def test_help_needs_no_application(data_dir):
    result = ecitiz("--help", ECITIZ_URL_PREFIX="broken")
    assert result.exit_code == 0
    for name in ("create-org", "snippet", "serve", "worker", "send-mail"):
        assert name in result.stdout
    assert not data_dir.exists()


@pytest.fixture
def server_runs(monkeypatch):
    """Record the gunicorn server ``serve`` would run instead of running it."""
    started = []
    monkeypatch.setattr(BaseApplication, "run", lambda self: started.append(self))
    return started


@pytest.mark.parametrize("debug", [None, "1"])
def test_serve_refuses_to_start_without_a_key_and_keeps_none(
    data_dir, server_runs, debug
):
    result = ecitiz("serve", FLASK_DEBUG=debug)
    assert_one_line_error(result, 2, "FLASK_SECRET_KEY")
    assert not (data_dir / standalone.KEPT_KEY_FILE).exists()
    assert server_runs == []


def test_serve_runs_gunicorn_with_the_kept_key(data_dir, server_runs):
    assert ecitiz("init-db").exit_code == 0
    result = ecitiz("serve", "--host", "0.0.0.0", "--port", "8123", "--workers", "3")
    assert result.exit_code == 0, result.output
    [server] = server_runs
    assert server.cfg.bind == ["0.0.0.0:8123"]
    assert server.cfg.workers == 3
    app = server.load()
    assert isinstance(app, Flask)
    key = (data_dir / standalone.KEPT_KEY_FILE).read_text().strip()
    assert app.config["SECRET_KEY"] == key


def test_serve_without_the_server_extra_says_what_to_install(
    data_dir, monkeypatch, server_runs
):
    monkeypatch.setitem(sys.modules, "gunicorn.app.base", None)
    result = ecitiz("serve", FLASK_SECRET_KEY=SECRET)
    assert_one_line_error(result, 1, "ecitiz-kit[server]")


def test_worker_runs_the_send_mail_loop(data_dir, monkeypatch):
    passes = []

    def one_loop(one_pass, interval, stop, report):
        passes.append((interval, one_pass()))

    monkeypatch.setattr(mail, "run_loop", one_loop)
    result = ecitiz("worker", "--interval", "2.5", FLASK_SECRET_KEY=SECRET)
    assert result.exit_code == 0, result.output
    [(interval, outcome)] = passes
    assert interval == 2.5
    assert outcome is not None


def test_hints_name_the_ecitiz_command(data_dir):
    result = ecitiz("snippet", "acme", "aid-request", FLASK_SECRET_KEY=SECRET)
    assert_one_line_error(result, 1, "create it with: ecitiz create-org acme")
    ecitiz("create-org", "acme", "--name", "ACME", FLASK_SECRET_KEY=SECRET)
    result = ecitiz("snippet", "acme", "aid-request", FLASK_SECRET_KEY=SECRET)
    assert_one_line_error(result, 1, "enable it with: ecitiz enable-form acme")
    ecitiz("enable-form", "acme", "aid-request", FLASK_SECRET_KEY=SECRET)
    result = ecitiz("doctor", FLASK_SECRET_KEY=SECRET)
    assert "run ecitiz allow-origin acme https://" in result.output


@pytest.mark.parametrize("key", [None, SECRET])
def test_a_data_folder_that_is_a_file_is_one_line(data_dir, key):
    data_dir.write_text("not a folder")
    result = ecitiz("list-forms", ECITIZ_DATA_DIR=str(data_dir), FLASK_SECRET_KEY=key)
    assert_one_line_error(result, 2, "ECITIZ_DATA_DIR", str(data_dir))
    assert data_dir.read_text() == "not a folder"
