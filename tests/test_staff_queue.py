"""Working through a queue: the list's filters travel with each request, and
"next request" opens the one after it, then the list at the end."""

import html as html_module
import re
from urllib.parse import parse_qs, urlsplit

from .helpers import STAFF, add_request, at, csrf_from


def _href(html, text):
    """The address of the link saying ``text``."""
    found = re.search(r'<a[^>]*href="([^"]+)"[^>]*>' + re.escape(text) + "<", html)
    assert found, text
    return html_module.unescape(found.group(1))


def _decide(client, detail_url, to_status):
    page = client.get(detail_url).get_data(as_text=True)
    action = html_module.unescape(
        re.search(r'<form method="post" action="([^"]+/status[^"]*)"', page).group(1)
    )
    return client.post(
        action,
        data={
            "csrf_token": csrf_from(page),
            "to_status": to_status,
            "expected": "submitted",
        },
    )


def test_a_queue_is_worked_through_without_going_back_to_the_list(staff_client, store):
    acme = store.organisation("acme")["id"]
    oldest, middle, newest = (
        add_request(store, acme, at(f"2026-11-{day} 10:00"))["id"]
        for day in (10, 11, 12)
    )
    # Between the newest and the middle one, but not in the list filtered on
    # "submitted".
    add_request(store, acme, at("2026-11-11 12:00"), status="accepted")
    listing = staff_client.get(f"{STAFF}/?status=submitted").get_data(as_text=True)
    first = _href(listing, store.submission(newest)["reference"])
    assert parse_qs(urlsplit(first).query) == {"status": ["submitted"]}

    # Decide the newest: the page says so and offers the next one of the list.
    response = _decide(staff_client, first, "in_review")
    assert response.status_code == 303
    assert "status=submitted" in response.headers["Location"]
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    following = staff_client.get(_href(page, "Demande suivante"))
    assert following.status_code == 303
    target = following.headers["Location"]
    assert urlsplit(target).path == f"{STAFF}/requests/{middle}"
    assert parse_qs(urlsplit(target).query) == {"status": ["submitted"]}

    response = _decide(staff_client, target, "in_review")
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    target = staff_client.get(_href(page, "Demande suivante")).headers["Location"]
    assert urlsplit(target).path == f"{STAFF}/requests/{oldest}"

    # The end of the queue: back to the list, with its filter, saying so.
    response = _decide(staff_client, target, "in_review")
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    end = staff_client.get(_href(page, "Demande suivante"))
    location = end.headers["Location"]
    assert urlsplit(location).path == f"{STAFF}/"
    assert parse_qs(urlsplit(location).query) == {
        "status": ["submitted"],
        "end": ["1"],
    }
    listing = staff_client.get(location).get_data(as_text=True)
    assert "Vous êtes arrivé au bout de cette liste" in listing
    assert "Aucune demande ne correspond à ces filtres." in listing


def test_the_queue_of_my_requests_follows_my_assignments(app, staff_client, store):
    acme = store.organisation("acme")["id"]
    me = store.staff_by_email("agent@acme.example")["id"]
    first, _not_mine, second = (
        add_request(store, acme, at(f"2026-11-{day} 10:00"))["id"]
        for day in (12, 11, 10)
    )
    for submission_id in (first, second):
        store.assign_submission(acme, submission_id, me, actor="x")
    response = staff_client.get(
        f"{STAFF}/requests/{first}/next", query_string={"assignee": "me"}
    )
    assert urlsplit(response.headers["Location"]).path == (f"{STAFF}/requests/{second}")


def test_filters_that_no_longer_hold_make_the_queue_the_whole_list(staff_client, store):
    acme = store.organisation("acme")["id"]
    older = add_request(store, acme, at("2026-11-10 10:00"))["id"]
    newer = add_request(store, acme, at("2026-11-11 10:00"))["id"]
    page = staff_client.get(
        f"{STAFF}/requests/{newer}", query_string={"form": "gone", "assignee": "x"}
    )
    assert page.status_code == 200
    response = staff_client.get(
        f"{STAFF}/requests/{newer}/next", query_string={"status": "nonsense"}
    )
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == (f"{STAFF}/requests/{older}")


def test_next_of_another_organisations_request_is_not_found(staff_client, store):
    globex = store.create_organisation("globex", "Globex")
    store.enable_form(globex["id"], "aid-request", 1, None, 730)
    theirs = add_request(store, globex["id"], at("2026-11-20 10:00"))["id"]
    assert staff_client.get(f"{STAFF}/requests/{theirs}/next").status_code == 404
    assert staff_client.get(f"{STAFF}/requests/99999999/next").status_code == 404
