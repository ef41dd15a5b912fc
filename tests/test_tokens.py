import base64
import json

import pytest
from itsdangerous import URLSafeTimedSerializer

from ecitiz_kit.tokens import (
    RECEIPT_SALT,
    STATUS_LINK_SALT,
    TOKEN_SHAPE,
    InvalidToken,
    SubmissionRef,
    Tokens,
)


def _payload(token: str):
    body = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_status_link_carries_only_ids():
    token = Tokens(["k" * 32]).status_link("Zq3v0cO2Kx8l1uN6pVb9Ag", 3)
    assert _payload(token) == ["Zq3v0cO2Kx8l1uN6pVb9Ag", 3]


@pytest.mark.parametrize("purpose", ["receipt", "status_link"])
def test_tokens_name_the_public_id(purpose):
    tokens = Tokens(["k" * 32])
    token = getattr(tokens, purpose)("Zq3v0cO2Kx8l1uN6pVb9Ag", 2)
    read = getattr(tokens, f"read_{purpose}")(token, max_age=60)
    assert read == SubmissionRef("Zq3v0cO2Kx8l1uN6pVb9Ag", None, 2)


@pytest.mark.parametrize(
    ("salt", "read"),
    [(RECEIPT_SALT, "read_receipt"), (STATUS_LINK_SALT, "read_status_link")],
)
def test_tokens_issued_with_the_row_id_still_read(salt, read):
    key = "k" * 32
    # As tokens were made before they carried the public id.
    token = URLSafeTimedSerializer([key], salt=salt).dumps([42, 3])
    assert getattr(Tokens([key]), read)(token, max_age=60) == SubmissionRef(None, 42, 3)


@pytest.mark.parametrize(
    "payload", [["abc"], ["abc", "1"], [1.5, 1], [True, 1], ["abc", 1, 2], {"a": 1}]
)
def test_tokens_of_another_shape_are_refused(payload):
    key = "k" * 32
    token = URLSafeTimedSerializer([key], salt=STATUS_LINK_SALT).dumps(payload)
    with pytest.raises(InvalidToken):
        Tokens([key]).read_status_link(token, max_age=60)


def test_tokens_of_one_purpose_fail_for_another():
    tokens = Tokens(["k" * 32])
    with pytest.raises(InvalidToken):
        tokens.read_status_link(tokens.receipt("abc", 1), max_age=60)
    with pytest.raises(InvalidToken):
        tokens.read_receipt(tokens.status_link("abc", 1), max_age=60)


def test_form_ticket_round_trip_and_unique_nonces():
    tokens = Tokens(["k" * 32])
    a = tokens.read_form_ticket(tokens.form_ticket(7, "aid-request"), max_age=60)
    b = tokens.read_form_ticket(tokens.form_ticket(7, "aid-request"), max_age=60)
    assert (a.organisation_id, a.form_id, a.expired) == (7, "aid-request", False)
    assert a.nonce != b.nonce and len(a.nonce) >= 20


def test_expired_form_ticket_comes_back_marked_expired(monkeypatch):
    import time

    tokens = Tokens(["k" * 32])
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 3600)
    token = tokens.form_ticket(7, "aid-request")
    monkeypatch.setattr(time, "time", real)
    ticket = tokens.read_form_ticket(token, max_age=60)
    assert (ticket.organisation_id, ticket.form_id, ticket.expired) == (
        7,
        "aid-request",
        True,
    )


def test_staff_cookie_and_csrf_tokens_round_trip_and_stay_apart():
    tokens = Tokens(["k" * 32])
    cookie = tokens.staff_cookie("session-key", "seed")
    assert tokens.read_staff_cookie(cookie, max_age=60) == ("session-key", "seed")
    csrf = tokens.staff_csrf("seed")
    assert tokens.read_staff_csrf(csrf, max_age=60) == "seed"
    with pytest.raises(InvalidToken):
        tokens.read_staff_csrf(cookie, max_age=60)
    with pytest.raises(InvalidToken):
        tokens.read_staff_cookie(csrf, max_age=60)


def test_tampered_token_is_refused():
    tokens = Tokens(["k" * 32])
    token = tokens.status_link("abc", 1)
    forged = base64.urlsafe_b64encode(b'["abd",1]').decode().rstrip("=")
    with pytest.raises(InvalidToken):
        tokens.read_status_link(forged + token[token.index(".") :], max_age=60)


def test_old_key_still_reads_until_removed():
    old = Tokens(["old" * 11])
    token = old.status_link("abc", 1)
    rotated = Tokens(["old" * 11, "new" * 11])
    assert rotated.read_status_link(token, max_age=60).public_id == "abc"
    newest_only = Tokens(["new" * 11])
    assert newest_only.read_status_link(rotated.status_link("abc", 1), max_age=60)
    with pytest.raises(InvalidToken):
        Tokens(["new" * 11]).read_status_link(token, max_age=60)


def test_every_token_has_the_shape_logs_leave_out():
    tokens = Tokens(["k" * 40])
    made = [
        tokens.form_ticket(7, "aid-request"),
        tokens.receipt("Jw3x0nT9a5kq_Vb2ZrLm4Q", 1),
        tokens.status_link("Jw3x0nT9a5kq_Vb2ZrLm4Q", 12),
        tokens.my_requests_ticket(7),
        tokens.my_requests_link(7, "Jw3x0nT9a5kq_Vb2ZrLm4Q"),
        tokens.my_requests_link(2**40, "Jw3x0nT9a5kq_Vb2ZrLm4Q"),
        tokens.staff_cookie("s" * 43, "c" * 43),
        tokens.staff_csrf("c" * 43),
    ]
    for token in made:
        assert TOKEN_SHAPE.fullmatch(token), token
        assert TOKEN_SHAPE.search(f"GET /ecitiz/s/{token} HTTP/1.1")
    # Neither a reference nor a word is taken for a token.
    assert not TOKEN_SHAPE.search("AID-2345-6789 sent to camille@example.org.")


def test_a_my_requests_link_names_its_organisation_and_key_only():
    tokens = Tokens(["k" * 40])
    token = tokens.my_requests_link(7, "Jw3x0nT9a5kq_Vb2ZrLm4Q")
    assert tokens.read_my_requests_link(token, max_age=60) == (
        7,
        "Jw3x0nT9a5kq_Vb2ZrLm4Q",
    )
    assert "@" not in base64url_payload(token)
    # One salt per purpose: no other token reads as one, nor it as another.
    for other in (
        tokens.status_link("Jw3x0nT9a5kq_Vb2ZrLm4Q", 7),
        tokens.my_requests_ticket(7),
    ):
        with pytest.raises(InvalidToken):
            tokens.read_my_requests_link(other, max_age=60)
    with pytest.raises(InvalidToken):
        tokens.read_status_link(token, max_age=60)
    with pytest.raises(InvalidToken):
        tokens.read_my_requests_link(token[:-2] + "xx", max_age=60)


def base64url_payload(token):
    part = token.split(".")[0]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode()
