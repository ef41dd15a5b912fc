"""The fixtures every test may ask for; what tests share besides fixtures is in
tests/helpers.py."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import limits.storage.memory
import pytest

from ecitiz_kit import passwords, throttle
from ecitiz_kit.staff import auth as staff_auth
from ecitiz_kit.state import state

from .databases import BACKENDS, Session, open_session
from .fake_directory import FakeDirectory
from .helpers import (
    CHEAP_PASSWORD_METHOD,
    LimitsClock,
    add_staff,
    kit_app,
    open_test_organisation,
    sign_in,
)


def pytest_addoption(parser):
    parser.addoption(
        "--backend",
        default=os.environ.get("ECITIZ_TEST_BACKENDS", ",".join(BACKENDS)),
        help="comma-separated databases the store's tests run on "
        f"(default: {','.join(BACKENDS)}; env ECITIZ_TEST_BACKENDS)",
    )


def pytest_generate_tests(metafunc):
    """Every test that uses the kit's store runs once per backend."""
    if "backend" not in metafunc.fixturenames:
        return
    wanted = [b for b in metafunc.config.getoption("backend").split(",") if b]
    unknown = set(wanted) - set(BACKENDS)
    if unknown:
        raise pytest.UsageError(f"--backend: unknown {', '.join(sorted(unknown))}")
    # A test of SQLite itself (its query plans, its file) says so with the
    # ``sqlite_only`` marker; every other test of the store runs on both.
    if any(
        metafunc.definition.get_closest_marker(name)
        for name in ("browser", "sqlite_only")
    ):
        wanted = [b for b in wanted if b == "sqlite"]
    # What only PostgreSQL does (keys sealed in the database, pg_dump) says so
    # with ``postgresql_only``.
    if metafunc.definition.get_closest_marker("postgresql_only"):
        wanted = [b for b in wanted if b == "postgresql"]
    metafunc.parametrize("backend", wanted, indirect=True)


@pytest.fixture(scope="session")
def postgresql_session():
    """A PostgreSQL database for the test session, dropped at its end."""
    session = open_session()
    yield session
    session.drop()


@pytest.fixture
def fresh_database(postgresql_session):
    """An empty database of its own on the tests' PostgreSQL server (never
    migrated: no table at all), dropped after the test."""
    session = Session(postgresql_session.server)
    yield session.url
    session.drop()


@pytest.fixture
def backend(request):
    """``sqlite`` or ``postgresql``: the database of this run of the test."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def database_url(request, backend):
    """The ``ECITIZ_DATABASE_URL`` of this run (``None``: SQLite), its tables
    empty."""
    if backend != "postgresql":
        return None
    session = request.getfixturevalue("postgresql_session")
    session.empty()
    return session.url


@pytest.fixture(autouse=True)
def cheap_password_hashing(request, monkeypatch):
    """Staff passwords hashed with a cheap scrypt, except in tests marked
    ``real_hashing`` (those of the hashing itself). A check reads the method from
    the hash, so hashes of either cost still verify."""
    if request.node.get_closest_marker("real_hashing") is None:
        monkeypatch.setattr(passwords, "METHOD", CHEAP_PASSWORD_METHOD)
    # The decoy checked when an e-mail is unknown is hashed once and cached:
    # each test hashes its own, with the method in force for it.
    staff_auth._decoy_hash.cache_clear()
    yield
    staff_auth._decoy_hash.cache_clear()


@pytest.fixture
def limits_clock(monkeypatch):
    """Stop the rate limits' clock; ``limits_clock.advance(seconds)`` moves it."""
    clock = LimitsClock()
    monkeypatch.setattr(limits.storage.memory, "time", clock)
    monkeypatch.setattr(throttle, "time", clock)
    return clock


@pytest.fixture
def app(tmp_path, monkeypatch, database_url):
    for name in [n for n in os.environ if n.startswith("ECITIZ_")]:
        monkeypatch.delenv(name)
    app = kit_app(tmp_path / "data", database_url)
    open_test_organisation(app)
    yield app
    state(app).store.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def store(app):
    with app.app_context():
        yield state(app).store


@pytest.fixture
def staff_client(app):
    """A test client signed in as the organisation's staff member."""
    add_staff(app)
    client = app.test_client()
    assert sign_in(client).status_code == 303
    return client


@pytest.fixture
def company_directory(app):
    """A fake company directory on 127.0.0.1, which the kit is set to ask."""
    fake = FakeDirectory()
    app.config["ECITIZ_COMPANY_LOOKUP_URL"] = fake.url
    yield fake
    fake.stop()


#: The Redis server CI and the development machine run (for counters shared by
#: several processes); ``ECITIZ_TEST_REDIS_URL`` names another.
REDIS_URL = os.environ.get("ECITIZ_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_url():
    """The test Redis server's URL; its tests skip without one, but in CI."""
    where = urlsplit(REDIS_URL)
    try:
        socket.create_connection((where.hostname, where.port or 6379), 1).close()
    except OSError as error:
        if os.environ.get("CI"):
            pytest.fail(f"no Redis server at {REDIS_URL} in CI: {error}")
        pytest.skip(f"no Redis server at {REDIS_URL}: {error}")
    return REDIS_URL
