"""A procedure's opening and closing times: the form page, the refusals, the
tickets issued before closing, and the commands that set them."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from ecitiz_kit.domain.opening import (
    CLOSED,
    OPEN,
    UPCOMING,
    BadSchedule,
    Opening,
    parse_moment,
)
from ecitiz_kit.tokens import Tokens

from .helpers import (
    ORG,
    SECRET,
    aid_answers,
    form_url,
    hidden_inputs,
    post_form,
    stored_requests,
    ticket_for,
    uploaded_files,
    with_file,
)

#: 09:00 in Paris (winter time); 23:59 in Paris (summer time).
OPENS = datetime(2099, 3, 1, 8, 0, tzinfo=UTC)
CLOSED_AT = datetime(2020, 3, 31, 21, 59, tzinfo=UTC)


def _now():
    return datetime.now(UTC)


def _schedule(store, opens=None, closes=None, form_id="aid-request"):
    org = store.organisation(ORG)["id"]
    assert store.set_form_schedule(org, form_id, (opens, closes)) is not None


def _ticket_issued(client, monkeypatch, seconds_ago):
    """A genuine ticket of the aid form, issued ``seconds_ago``."""
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - seconds_ago)
    ticket = ticket_for(client)
    monkeypatch.setattr(time, "time", real)
    return ticket


def _nothing_stored(store, app):
    counts = store.table_counts()
    assert counts["submissions"] == counts["events"] == counts["attachments"] == 0
    assert uploaded_files(app) == []


def _refused(response):
    html = response.get_data(as_text=True)
    assert response.status_code == 403, html[:500]
    assert "Votre demande n’a pas été envoyée." in html
    assert 'data-ecitiz-reason="closed"' in html
    assert 'name="ticket"' not in html
    return html


# -- the form page -------------------------------------------------------------------


def test_before_opening_the_page_says_when_and_shows_no_form(client, store):
    _schedule(store, opens=OPENS)
    response = client.get(form_url())
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Cette démarche ouvre le 1 mars 2099, 09:00" in html
    assert "<form" not in html and 'name="ticket"' not in html
    english = client.get(form_url() + "?lang=en").get_data(as_text=True)
    assert "This procedure opens on 1 March 2099, 09:00" in english


def test_after_closing_the_page_says_until_when_and_shows_no_form(client, store):
    _schedule(store, closes=CLOSED_AT)
    html = client.get(form_url()).get_data(as_text=True)
    assert "Cette démarche a fermé le 31 mars 2020, 23:59" in html
    assert "<form" not in html
    # It leads to the organisation's other procedures.
    assert f'href="/ecitiz/c/{ORG}?lang=fr"' in html


def test_an_open_form_says_until_when_it_can_be_sent(client, store):
    closes = datetime(2099, 7, 14, 20, 30, tzinfo=UTC)
    _schedule(store, opens=CLOSED_AT, closes=closes)
    html = client.get(form_url()).get_data(as_text=True)
    assert 'name="ticket"' in html
    assert "Vous pouvez envoyer ce formulaire jusqu’au 14 juillet 2099, 22:30." in html


def test_a_form_without_times_says_nothing_of_them(client):
    html = client.get(form_url()).get_data(as_text=True)
    assert "jusqu’au" not in html and 'name="ticket"' in html


# -- sending -------------------------------------------------------------------------


def test_a_request_sent_before_opening_is_refused_and_nothing_kept(client, store, app):
    ticket = ticket_for(client)
    _schedule(store, opens=OPENS)
    response = post_form(client, with_file(aid_answers()), ticket=ticket)
    html = _refused(response)
    assert "ouvre le 1 mars 2099" in html
    _nothing_stored(store, app)


def test_a_form_shown_after_closing_cannot_be_sent(client, store, app):
    # A genuine ticket, but issued once the procedure had closed.
    _schedule(store, closes=_now() - timedelta(minutes=5))
    org = store.organisation(ORG)["id"]
    ticket = Tokens([SECRET]).form_ticket(org, "aid-request")
    response = post_form(client, with_file(aid_answers()), ticket=ticket)
    assert "a fermé le" in _refused(response)
    _nothing_stored(store, app)


def test_a_form_shown_before_closing_is_taken_after_it(client, store, monkeypatch):
    ticket = _ticket_issued(client, monkeypatch, seconds_ago=600)
    _schedule(store, closes=_now() - timedelta(minutes=5))
    response = post_form(client, with_file(aid_answers()), ticket=ticket)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    [row] = stored_requests(store)
    assert row["status"] == "submitted"
    # Sent twice, it still leads to the one receipt.
    again = post_form(client, with_file(aid_answers()), ticket=ticket)
    assert again.headers["Location"] == response.headers["Location"]
    assert len(stored_requests(store)) == 1


def test_an_expired_ticket_from_before_closing_is_refused(
    client, store, app, monkeypatch
):
    # Older than ECITIZ_FORM_TICKET_MAX_AGE (4 hours): honoured no longer.
    ticket = _ticket_issued(client, monkeypatch, seconds_ago=5 * 3600)
    _schedule(store, closes=_now() - timedelta(hours=1))
    _refused(post_form(client, with_file(aid_answers()), ticket=ticket))
    _nothing_stored(store, app)


@pytest.mark.parametrize("ticket", ["forged", "", "a.b.c"])
def test_a_forged_ticket_after_closing_is_refused(client, store, app, ticket):
    _schedule(store, closes=_now() - timedelta(minutes=5))
    _refused(post_form(client, with_file(aid_answers()), ticket=ticket))
    _nothing_stored(store, app)


def test_a_ticket_from_before_opening_is_refused_after_closing(
    client, store, app, monkeypatch
):
    # Shown before the procedure opened, sent after it closed: never open then.
    ticket = _ticket_issued(client, monkeypatch, seconds_ago=600)
    _schedule(
        store,
        opens=_now() - timedelta(minutes=5),
        closes=_now() - timedelta(minutes=1),
    )
    _refused(post_form(client, with_file(aid_answers()), ticket=ticket))
    _nothing_stored(store, app)


def test_a_ticket_of_the_form_reopened_later_waits_for_the_opening(client, store, app):
    ticket = ticket_for(client)
    _schedule(store, opens=_now() + timedelta(hours=1))
    _refused(post_form(client, with_file(aid_answers()), ticket=ticket))
    _nothing_stored(store, app)


def test_other_forms_of_the_organisation_stay_open(client, store):
    _schedule(store, closes=CLOSED_AT)
    html = client.get(form_url("attestation")).get_data(as_text=True)
    assert hidden_inputs(html)["ticket"]


# -- the rules -----------------------------------------------------------------------


def test_opening_states_at_their_boundaries():
    opening = Opening(OPENS, OPENS + timedelta(days=30))
    assert opening.state(OPENS - timedelta(microseconds=1)) == UPCOMING
    assert opening.state(OPENS) == OPEN
    assert opening.state(OPENS + timedelta(days=30)) == CLOSED
    assert Opening().state(_now()) == OPEN


def test_a_closed_procedure_admits_only_forms_shown_while_it_was_open():
    opening = Opening(OPENS, OPENS + timedelta(days=1))
    after = OPENS + timedelta(days=2)
    assert opening.admits(after, OPENS + timedelta(hours=23))
    assert not opening.admits(after, OPENS + timedelta(days=1))
    assert not opening.admits(after, OPENS - timedelta(seconds=1))
    assert not opening.admits(after, None)
    assert not opening.admits(OPENS - timedelta(hours=1), OPENS - timedelta(hours=2))
    assert opening.admits(OPENS, None)


def test_times_are_read_in_the_kit_time_zone_unless_they_say_otherwise():
    paris = "Europe/Paris"
    assert parse_moment("2026-03-01T09:00", paris, "--opens") == datetime(
        2026, 3, 1, 8, 0, tzinfo=UTC
    )
    assert parse_moment(" 2026-07-01 09:00:30 ", paris, "--opens") == datetime(
        2026, 7, 1, 7, 0, 30, tzinfo=UTC
    )
    assert parse_moment("2026-03-01T09:00Z", paris, "--opens") == datetime(
        2026, 3, 1, 9, 0, tzinfo=UTC
    )
    assert parse_moment("2026-03-01T09:00-05:00", paris, "--opens").hour == 14


@pytest.mark.parametrize(
    "value, why",
    [
        ("2026-03-01", "write a date and a time such as 2026-03-01T09:00"),
        ("2026-02-30T09:00", "write a date and a time"),
        ("01/03/2026 09:00", "write a date and a time"),
        ("2026-03-01T25:00", "write a date and a time"),
        ("tomorrow", "write a date and a time"),
        ("2026-03-29T02:30", "does not exist in Europe/Paris"),
        ("2026-03-01T09:00" + "0" * 5000, "write a date and a time"),
    ],
)
def test_bad_times_are_refused_with_the_reason(value, why):
    with pytest.raises(BadSchedule) as refused:
        parse_moment(value, "Europe/Paris", "--closes")
    assert why in str(refused.value)
    assert str(refused.value).startswith("--closes")


def test_a_ticket_says_when_its_form_was_shown(monkeypatch):
    tokens = Tokens([SECRET])
    before = int(time.time())
    ticket = tokens.read_form_ticket(tokens.form_ticket(7, "aid-request"), 60)
    assert before <= ticket.issued_at.timestamp() <= time.time()
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 7200)
    old = tokens.form_ticket(7, "aid-request")
    monkeypatch.setattr(time, "time", real)
    expired = tokens.read_form_ticket(old, 60)
    assert expired.expired
    assert abs(expired.issued_at.timestamp() - (real() - 7200)) < 5


# -- the commands --------------------------------------------------------------------


def _row(store, form_id="aid-request"):
    return store.enabled_form(store.organisation(ORG)["id"], form_id)


def _schedule_command(runner, *args):
    return runner.invoke(args=["ecitiz", "schedule", ORG, "aid-request", *args])


def test_schedule_sets_both_times_in_the_kit_time_zone(runner, store):
    result = _schedule_command(
        runner, "--opens", "2026-03-01T09:00", "--closes", "2026-03-31T23:59"
    )
    assert result.exit_code == 0, result.output
    row = _row(store)
    assert row["opens_at"] == "2026-03-01T08:00:00.000000Z"
    assert row["closes_at"] == "2026-03-31T21:59:00.000000Z"
    assert "opens 2026-03-01T09:00 and closes 2026-03-31T23:59" in result.output
    assert "Europe/Paris" in result.output
    # Without options it tells the schedule.
    shown = _schedule_command(runner)
    assert shown.exit_code == 0
    assert "closes 2026-03-31T23:59" in shown.output
    assert _row(store)["closes_at"] == row["closes_at"]


def test_schedule_changes_one_side_and_keeps_the_other(runner, store):
    _schedule_command(
        runner, "--opens", "2026-03-01T09:00", "--closes", "2026-04-01T00:00"
    )
    result = _schedule_command(runner, "--closes", "2026-05-01T00:00")
    assert result.exit_code == 0, result.output
    row = _row(store)
    assert row["opens_at"] == "2026-03-01T08:00:00.000000Z"
    assert row["closes_at"] == "2026-04-30T22:00:00.000000Z"
    assert _schedule_command(runner, "--opens", "none").exit_code == 0
    assert _row(store)["opens_at"] is None
    assert _row(store)["closes_at"] == "2026-04-30T22:00:00.000000Z"


def test_schedule_clear_opens_the_procedure_with_no_end(runner, store, client):
    _schedule_command(runner, "--closes", "2020-01-01T00:00")
    assert 'name="ticket"' not in client.get(form_url()).get_data(as_text=True)
    result = _schedule_command(runner, "--clear")
    assert result.exit_code == 0, result.output
    assert "open, with no opening or closing time" in result.output
    row = _row(store)
    assert row["opens_at"] is None and row["closes_at"] is None
    assert 'name="ticket"' in client.get(form_url()).get_data(as_text=True)


@pytest.mark.parametrize(
    "args, why",
    [
        (["--opens", "2026-03-01"], "write a date and a time such as"),
        (["--closes", "31/03/2026 23:59"], "--closes '31/03/2026 23:59'"),
        (
            ["--opens", "2026-03-02T09:00", "--closes", "2026-03-01T09:00"],
            "the closing time (2026-03-01T09:00) must come after the opening time"
            " (2026-03-02T09:00)",
        ),
        (["--opens", "2026-03-01T09:00", "--closes", "2026-03-01T09:00"], "must come"),
        (["--clear", "--closes", "2026-03-01T09:00"], "--clear takes no"),
        (["--opens", "2026-03-29T02:30"], "does not exist"),
    ],
)
def test_schedule_refusals_say_why_and_change_nothing(runner, store, args, why):
    result = _schedule_command(runner, *args)
    assert result.exit_code == 1
    assert why in result.output
    assert len(result.output.strip().splitlines()) == 1
    row = _row(store)
    assert row["opens_at"] is None and row["closes_at"] is None


def test_schedule_refuses_a_closing_before_the_kept_opening(runner, store):
    _schedule_command(runner, "--opens", "2026-03-10T09:00")
    result = _schedule_command(runner, "--closes", "2026-03-01T09:00")
    assert result.exit_code == 1
    assert "opening time (2026-03-10T09:00)" in result.output
    assert _row(store)["closes_at"] is None


@pytest.mark.parametrize(
    "org, form, why",
    [
        ("nobody", "aid-request", "no organisation 'nobody'"),
        (ORG, "nope", "not enabled"),
    ],
)
def test_schedule_of_an_unknown_form_or_organisation(runner, org, form, why):
    result = runner.invoke(args=["ecitiz", "schedule", org, form, "--clear"])
    assert result.exit_code == 1
    assert why in result.output


def test_enable_form_can_set_the_times_at_once_and_keeps_them_after(runner, store):
    result = runner.invoke(
        args=[
            "ecitiz", "enable-form", ORG, "aid-request",
            "--opens", "2099-03-01T09:00", "--closes", "2099-03-31T23:59",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Schedule: opens 2099-03-01T09:00" in result.output
    assert "not open yet" in result.output
    row = _row(store)
    assert row["opens_at"] == "2099-03-01T08:00:00.000000Z"
    assert row["closes_at"] == "2099-03-31T21:59:00.000000Z"
    # Enabled again (e.g. retitled), the procedure keeps its times.
    again = runner.invoke(
        args=["ecitiz", "enable-form", ORG, "aid-request", "--title", "Aide"]
    )
    assert again.exit_code == 0, again.output
    assert _row(store)["opens_at"] == row["opens_at"]
    bad = runner.invoke(
        args=["ecitiz", "enable-form", ORG, "attestation", "--closes", "soon"]
    )
    assert bad.exit_code == 1 and "--closes 'soon'" in bad.output
    assert _row(store, "attestation")["closes_at"] is None


def test_times_survive_the_store_round_trip(store):
    _schedule(store, opens=OPENS, closes=OPENS + timedelta(days=1))
    assert Opening.of(_row(store)) == Opening(OPENS, OPENS + timedelta(days=1))
