"""Rate limits counted in a shared storage hold across workers: two applications
on one data folder stand for two gunicorn workers, counting in the Redis server
CI and the development machine run (``ECITIZ_TEST_REDIS_URL`` names another)."""

import secrets

from ecitiz_kit import create_app

from .helpers import SECRET, aid_answers, post_form, with_file


def worker(app, storage):
    """Another process serving the same deployment as ``app``."""
    other = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET,
            "ECITIZ_DATA_DIR": app.config["ECITIZ_DATA_DIR"],
            "ECITIZ_DATABASE_URL": app.config["ECITIZ_DATABASE_URL"],
        }
    )
    for each in (app, other):
        each.config["ECITIZ_RATELIMIT_STORAGE_URI"] = storage
        each.config["ECITIZ_SUBMIT_LIMIT"] = "3 per hour"
        # Counted per client address only: the organisation and the recipients
        # are the same from run to run, and the server keeps their counts.
        each.config["ECITIZ_SUBMIT_LIMIT_PER_ORGANISATION"] = None
        each.config["ECITIZ_SUBMIT_LIMIT_PER_RECIPIENT"] = None
    return other


def submit_from_both(app, other):
    # A client address of its own, so that counts left in the server by an
    # earlier run, or a run alongside, never meet this one's.
    address = f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"
    clients = [app.test_client(), other.test_client()]
    return [
        post_form(
            clients[n % 2],
            with_file(aid_answers(email=f"p{n}@example.org")),
            environ_base={"REMOTE_ADDR": address},
        ).status_code
        for n in range(5)
    ]


def test_two_workers_count_together_in_a_shared_storage(app, redis_url):
    assert submit_from_both(app, worker(app, redis_url)) == [303, 303, 303, 429, 429]


def test_two_workers_count_apart_in_memory(app):
    # What the start-up warning and `flask ecitiz doctor` are about.
    assert submit_from_both(app, worker(app, "memory://")) == [303] * 5


def test_doctor_accepts_a_shared_storage_with_several_workers(app, redis_url):
    app.config["ECITIZ_PUBLIC_URL"] = "https://forms.example.org"
    app.config["ECITIZ_RATELIMIT_STORAGE_URI"] = redis_url
    result = app.test_cli_runner().invoke(args=["ecitiz", "doctor", "--workers", "4"])
    assert "rate limits" not in result.output, result.output
    assert result.exit_code == 0, result.output
