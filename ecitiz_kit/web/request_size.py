"""How much of a request body the kit reads.

Werkzeug reads a URL-encoded body whole before splitting it, and caps multipart
text parts one by one only, so Flask's ``MAX_CONTENT_LENGTH`` (sized for uploads)
was all that stood between an unauthenticated POST and tens of megabytes parsed
in memory. Here every request to the kit's pages gets its own limits (Flask 3.1)
before anything reads its body: what is not a file, ``ECITIZ_MAX_FORM_SIZE`` in
all; files only in a multipart request to a form that asks for them. A larger
body is refused with 413 as soon as the limit is reached, whether or not it
announced its length.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Collection, Mapping
from typing import IO, Any

from flask import current_app, request
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser, MultiPartParser
from werkzeug.sansio.multipart import (
    Data,
    Epilogue,
    Field,
    File,
    MultipartDecoder,
    NeedData,
)

from ..forms.definitions import FormDefinition
from ..forms.files import largest_submission


def form_limit(config: Mapping[str, Any]) -> int:
    """The most the kit reads of a request that carries no files."""
    limit: int = config["ECITIZ_MAX_FORM_SIZE"]
    app_limit = config.get("MAX_CONTENT_LENGTH")
    return limit if app_limit is None else min(limit, app_limit)


def upload_limit(config: Mapping[str, Any]) -> int:
    """The most the kit reads of a submission with files: its text and the most
    files of the largest size; the application's own limit wins if smaller."""
    limit = largest_submission(config)
    app_limit = config.get("MAX_CONTENT_LENGTH")
    return limit if app_limit is None else min(limit, app_limit)


def body_limiter(blueprints: Collection[str]) -> Callable[[], None]:
    """A ``before_request`` function capping the bodies of requests to the named
    blueprints; the application runs it before any blueprint's own."""

    def limit_body() -> None:
        if request.blueprint not in blueprints:
            return
        limit = form_limit(current_app.config)
        _read_at_most(limit)
        # A budget for all text parts together (see TextBudgetFormParser).
        request.max_form_memory_size = limit
        request.form_data_parser_class = TextBudgetFormParser  # type: ignore[misc]

    return limit_body


def allow_uploads(definition: FormDefinition) -> None:
    """Let the current request carry the files ``definition`` asks for.

    Call it before reading ``request.form``: once the body is read, its limit no
    longer matters. Only a multipart request to a form with file fields may be
    larger than the form limit; its text parts keep the form limit, together.
    """
    if definition.has_files and request.mimetype == "multipart/form-data":
        _read_at_most(upload_limit(current_app.config))


def _read_at_most(limit: int) -> None:
    """Refuse the current request's body with 413 past ``limit`` bytes."""
    environ = request.environ
    if request.content_length is None and "wsgi.input_terminated" in environ:
        # A streamed body (chunked): Werkzeug stops reading at the limit and
        # parses what it got, so the byte after the limit must be an error.
        stream = environ["wsgi.input"]
        if not isinstance(stream, CappedStream):
            stream = environ["wsgi.input"] = CappedStream(stream)
        stream.limit = limit
        limit += 1
    request.max_content_length = limit


class CappedStream(io.RawIOBase):
    """A request body that raises :exc:`RequestEntityTooLarge` when it has more
    than ``limit`` bytes, having read at most one byte more."""

    def __init__(self, stream: IO[bytes], limit: int = 0) -> None:
        self._stream = stream
        self.limit = limit
        self._read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        wanted = min(len(buffer), self.limit + 1 - self._read)
        data = self._stream.read(wanted) if wanted > 0 else b""
        self._read += len(data)
        if self._read > self.limit:
            raise RequestEntityTooLarge()
        buffer[: len(data)] = data
        return len(data)


class TextBudgetParser(MultiPartParser):
    """Werkzeug's multipart parser, with ``max_form_memory_size`` counting every
    text part together instead of each on its own; file parts are streamed to
    their containers as usual."""

    def parse(
        self, stream: IO[bytes], boundary: bytes, content_length: int | None
    ) -> tuple[MultiDict[str, str], MultiDict[str, FileStorage]]:
        budget = self.max_form_memory_size
        decoder = MultipartDecoder(
            boundary, max_form_memory_size=budget, max_parts=self.max_form_parts
        )
        fields: list[tuple[str, str]] = []
        files: list[tuple[str, FileStorage]] = []
        text_size = 0
        part: Field | File | None = None
        chunks: list[bytes] = []
        container: IO[bytes] | None = None
        while True:
            data = stream.read(self.buffer_size)
            decoder.receive_data(data or None)
            event = decoder.next_event()
            while not isinstance(event, (Epilogue, NeedData)):
                if isinstance(event, Field):
                    part, chunks = event, []
                elif isinstance(event, File):
                    part = event
                    container = self.start_file_streaming(event, content_length)
                elif isinstance(event, Data) and isinstance(part, Field):
                    text_size += len(event.data)
                    if budget is not None and text_size > budget:
                        raise RequestEntityTooLarge()
                    chunks.append(event.data)
                    if not event.more_data:
                        charset = self.get_part_charset(part.headers)
                        fields.append(
                            (part.name, b"".join(chunks).decode(charset, "replace"))
                        )
                elif isinstance(event, Data) and isinstance(part, File):
                    assert container is not None
                    container.write(event.data)
                    if not event.more_data:
                        container.seek(0)
                        upload = FileStorage(
                            container, part.filename, part.name, headers=part.headers
                        )
                        files.append((part.name, upload))
                event = decoder.next_event()
            if not data:
                break
        return self.cls(fields), self.cls(files)


class TextBudgetFormParser(FormDataParser):
    """Werkzeug's form parser, with :class:`TextBudgetParser` for multipart."""

    def _parse_multipart(
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str],
    ) -> tuple[IO[bytes], MultiDict[str, Any], MultiDict[str, Any]]:
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        parser = TextBudgetParser(
            stream_factory=self.stream_factory,
            max_form_memory_size=self.max_form_memory_size,
            max_form_parts=self.max_form_parts,
            cls=self.cls,
        )
        form, files = parser.parse(stream, boundary, content_length)
        return stream, form, files
