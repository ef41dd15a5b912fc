"""How much of a request body the kit reads: the non-file part of any request is
refused with 413 once past ``ECITIZ_MAX_FORM_SIZE``, before the rest is read."""

import io

import pytest
from flask import Response
from werkzeug.test import EnvironBuilder, run_wsgi_app

from .helpers import (
    ALLOWED,
    PDF,
    STAFF,
    aid_answers,
    attestation_answers,
    csrf_for,
    form_url,
    hidden_inputs,
    post_form,
    status_url_in,
    stored_requests,
    ticket_for,
    uploaded_files,
    with_file,
)

CAP = 512 * 1024  # ECITIZ_MAX_FORM_SIZE's default
HUGE = 20 * 1024 * 1024


class Body(io.RawIOBase):
    """A request body of ``size`` bytes repeating ``pattern``, counting what the
    application reads of it."""

    def __init__(self, size: int, pattern: bytes = b"a=1&", head: bytes = b"") -> None:
        self.size = size
        self.pattern = pattern
        self.head = head
        self.read_bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.size - self.read_bytes)
        start = self.read_bytes
        chunk = bytearray()
        if start < len(self.head):
            chunk += self.head[start : start + n]
        while len(chunk) < n:
            offset = (start + len(chunk) - len(self.head)) % len(self.pattern)
            chunk += self.pattern[offset:]
        buffer[:n] = chunk[:n]
        self.read_bytes += n
        return n


def send(app, path, body, content_type, *, chunked=False, client=None, headers=()):
    """POST ``body`` to ``path``, with its length or streamed (chunked)."""
    environ = EnvironBuilder(
        path=path, method="POST", content_type=content_type, headers=list(headers)
    ).get_environ()
    environ["wsgi.input"] = body
    environ["CONTENT_TYPE"] = content_type  # with its own multipart boundary
    if chunked:
        # What a WSGI server that decodes chunked bodies says (gunicorn, Werkzeug).
        environ.pop("CONTENT_LENGTH", None)
        environ["wsgi.input_terminated"] = True
    else:
        environ["CONTENT_LENGTH"] = str(body.size)
    if client is not None:
        client._add_cookies_to_wsgi(environ)
    app_iter, status, response_headers = run_wsgi_app(app, environ, buffered=True)
    return Response(b"".join(app_iter), status=status, headers=response_headers)


def nothing_stored(store, app):
    assert stored_requests(store) == []
    assert uploaded_files(app) == []


URLENCODED = "application/x-www-form-urlencoded"
PUBLIC_POSTS = [
    form_url(),
    form_url("attestation"),
    "/ecitiz/t/acme",
    "/ecitiz/my/acme",
    "/ecitiz/v",
    "/ecitiz/staff/login",
]


@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
@pytest.mark.parametrize("path", PUBLIC_POSTS)
def test_huge_urlencoded_body_is_refused_before_it_is_read(app, store, path, chunked):
    body = Body(HUGE)
    response = send(app, path, body, URLENCODED, chunked=chunked)
    assert response.status_code == 413
    # With a length, nothing is read; streamed, one byte past the limit at most.
    assert body.read_bytes == (CAP + 1 if chunked else 0)
    nothing_stored(store, app)


@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
def test_huge_json_body_to_the_verify_api_gets_a_json_413(app, chunked):
    body = Body(HUGE, pattern=b"A", head=b'{"payload": "')
    response = send(
        app, "/ecitiz/api/verify", body, "application/json", chunked=chunked
    )
    assert response.status_code == 413
    assert response.is_json and response.get_json()["error"]
    assert body.read_bytes <= CAP + 1


@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
def test_huge_staff_post_is_refused_on_a_staff_page(app, staff_client, chunked):
    body = Body(HUGE, pattern=b"message=" + b"x" * 1000 + b"&")
    response = send(
        app,
        f"{STAFF}/requests/1/status",
        body,
        URLENCODED,
        chunked=chunked,
        client=staff_client,
        headers=[("Accept-Language", "fr")],
    )
    assert response.status_code == 413
    assert body.read_bytes <= CAP + 1
    html = response.get_data(as_text=True)
    assert "Envoi trop volumineux" in html and "rien n’a été modifié" in html
    assert response.headers["X-Frame-Options"] == "DENY"


def test_body_just_under_the_limit_is_read_and_answered(app, store):
    body = Body(CAP - 100)
    response = send(app, form_url(), body, URLENCODED, chunked=True)
    # Read whole, then refused for what it says (no ticket), not for its size.
    assert response.status_code == 400
    assert body.read_bytes == CAP - 100
    nothing_stored(store, app)


@pytest.mark.parametrize(
    "lang, title", [("fr", "Envoi trop volumineux"), ("en", "Too much data sent")]
)
def test_413_of_a_form_is_a_page_its_site_may_frame(app, lang, title):
    response = send(
        app, form_url(), Body(HUGE), URLENCODED, headers=[("Accept-Language", lang)]
    )
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert f"<h1>{title}</h1>" in html and f'lang="{lang}"' in html
    assert ALLOWED in response.headers["Content-Security-Policy"]


def test_text_parts_together_past_the_limit_are_refused(client, store, app):
    # Each part is under the limit; together they are not.
    answers = aid_answers(
        explanation="x" * (CAP // 2), account_holder="y" * (CAP // 2), town="z" * 1000
    )
    response = post_form(client, with_file(answers))
    assert response.status_code == 413
    nothing_stored(store, app)


def test_files_are_refused_on_a_form_without_file_fields(client, store, app):
    data = {
        **attestation_answers(),
        "documents": (io.BytesIO(PDF + b"0" * CAP), "a.pdf"),
    }
    response = post_form(client, data, form_id="attestation")
    assert response.status_code == 413
    nothing_stored(store, app)


def test_upload_larger_than_the_form_limit_is_accepted_streamed_or_not(
    client, store, app
):
    big_pdf = PDF + b"%" + b"0" * (2 * CAP)
    first = post_form(client, with_file(aid_answers(), big_pdf))
    assert first.status_code == 303

    # The same request, streamed: the raised limit holds without a length.
    data = {"ticket": ticket_for(client), **with_file(aid_answers(), big_pdf)}
    encoded = EnvironBuilder(method="POST", data=data).get_environ()
    content = encoded["wsgi.input"].read()
    body = Body(len(content), head=content)
    response = send(app, form_url(), body, encoded["CONTENT_TYPE"], chunked=True)
    assert response.status_code == 303
    assert len(stored_requests(store)) == 2
    assert all(f.read_bytes() == big_pdf for f in uploaded_files(app))


def test_amendment_may_carry_a_file_larger_than_the_form_limit(
    app, client, staff_client, store
):
    sent = post_form(client, with_file(aid_answers()))
    receipt = client.get(sent.headers["Location"]).get_data(as_text=True)
    status_path = status_url_in(receipt)
    [request] = stored_requests(store)
    for to_status, expected in (("in_review", "submitted"), ("submitted", "in_review")):
        moved = staff_client.post(
            f"{STAFF}/requests/{request['id']}/status",
            data={
                "csrf_token": csrf_for(staff_client),
                "to_status": to_status,
                "expected": expected,
                "public_message": "Le justificatif est illisible.",
            },
        )
        assert moved.status_code == 303

    def amend(data):
        page = client.get(status_path + "/amend").get_data(as_text=True)
        return client.post(
            status_path + "/amend",
            data={"ticket": hidden_inputs(page)["ticket"], **data},
            content_type="multipart/form-data",
        )

    too_long = amend(aid_answers(explanation="x" * (CAP + 1)))
    assert too_long.status_code == 413
    assert len(store.attachments(request["id"])) == 1

    big_pdf = PDF + b"%" + b"0" * (2 * CAP)
    assert amend(with_file(aid_answers(), big_pdf, "scan.pdf")).status_code == 303
    assert [a["filename"] for a in store.attachments(request["id"])] == [
        "justificatif.pdf",
        "scan.pdf",
    ]
