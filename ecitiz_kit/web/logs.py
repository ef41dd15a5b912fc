"""What the logs the kit writes to may show: never a token.

Receipt and tracking links carry their token in the path, so a server's access
log, Flask's "Exception on <path>" line or an SMTP server's reply quoting an
e-mail's link would keep, in plain text, what lets anyone read a request. A
filter on each of those loggers replaces anything shaped like one of the kit's
tokens before a handler sees it.
"""

from __future__ import annotations

import logging

from flask import Flask

from ..tokens import TOKEN_SHAPE

REDACTED = "[token]"

#: The servers' loggers: Werkzeug's development server (``flask run``, the demo)
#: and gunicorn, whose access log shows each request's path.
SERVER_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def redact(text: str) -> str:
    """``text`` with every token replaced by ``[token]``."""
    return TOKEN_SHAPE.sub(REDACTED, text)


class RedactTokens(logging.Filter):
    """Rewrite a log record so that neither its message nor its traceback shows
    a token; the record is always kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit: left to logging
            return True
        if TOKEN_SHAPE.search(message):
            record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            # Formatters use exc_text when it is set.
            record.exc_text = redact(
                logging.Formatter().formatException(record.exc_info)
            )
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_redact_tokens = RedactTokens()


def keep_tokens_out_of_logs(app: Flask) -> None:
    """Filter the records of ``app``'s logger, of the kit's own modules and of
    the WSGI servers' loggers (a filter applies to the records of its logger,
    not of its children, hence one per logger)."""
    names = [
        name
        for name in logging.root.manager.loggerDict
        if name == "ecitiz_kit" or name.startswith("ecitiz_kit.")
    ]
    for name in (*names, *SERVER_LOGGERS):
        logging.getLogger(name).addFilter(_redact_tokens)
    app.logger.addFilter(_redact_tokens)
