"""The ``ecitiz`` console command: the ``flask ecitiz`` commands on the standalone
server, plus ``serve`` (a production server) and ``worker`` (e-mails and documents).

The application is built only when a command needs it, by the loader the caller
gives (see :func:`ecitiz_kit.app.main`); a configuration error then ends the
command with one line on standard error, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from flask import Flask
from flask.cli import ScriptInfo

from ..errors import ConfigurationError
from .commands import group
from .mail import send_mail

#: ``load_app(serving)``: the standalone application; ``serving`` is true for
#: ``serve``, which must not run on a key made up for a first try.
AppLoader = Callable[[bool], Flask]

SERVER_MISSING = (
    "the production server is not installed: "
    'pip install "ecitiz-kit[server]" (it brings gunicorn)'
)


class ConfigurationProblem(click.ClickException):
    """A setting the kit cannot run with: one line, exit code 2."""

    exit_code = 2


def one_line(message: str) -> str:
    return " ".join(message.split())


class Console(click.Group):
    """The ``ecitiz`` group: every ``flask ecitiz`` command, on an app that is
    built by ``load_app`` the first time a command asks for it."""

    def __init__(self, load_app: AppLoader) -> None:
        super().__init__(
            "ecitiz",
            help="Run and manage a standalone ecitiz-kit server. Settings come "
            "from FLASK_* and ECITIZ_* environment variables.",
        )
        self.load_app = load_app
        for name, command in group.commands.items():
            self.add_command(command, name)
        self.add_command(serve)
        self.add_command(worker)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        if "obj" not in extra:
            info = ScriptInfo(
                create_app=lambda: self.load_app(False), set_debug_flag=False
            )
            info.data["load_app"] = self.load_app
            extra["obj"] = info
        return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigurationError as exc:
            raise ConfigurationProblem(one_line(str(exc))) from None


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    envvar="WEB_CONCURRENCY",
    help="Worker processes, else WEB_CONCURRENCY; several need shared rate-limit "
    "counters (ECITIZ_RATELIMIT_STORAGE_URI).",
)
@click.pass_obj
def serve(info: ScriptInfo, host: str, port: int, workers: int) -> None:
    """Serve the kit with gunicorn (the ``server`` extra).

    Needs a secret key: FLASK_SECRET_KEY, or the one a first ``ecitiz`` command
    kept in the data folder.
    """
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:
        raise click.ClickException(SERVER_MISSING) from None
    load_app: AppLoader = info.data["load_app"]
    # Once here, so a bad setting stops the command in one line before any
    # worker starts; each worker then builds its own application.
    load_app(True)

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)

        def load(self) -> Flask:
            return load_app(True)

    click.echo(f"Serving on http://{host}:{port} with {workers} worker(s).", err=True)
    Server().run()


@click.command("worker")
@click.option(
    "--interval",
    type=click.FloatRange(0.1, 3600),
    default=10.0,
    show_default=True,
    help="Seconds between two passes.",
)
@click.pass_context
def worker(ctx: click.Context, interval: float) -> None:
    """Keep sending queued e-mails, rendering issued documents and, hourly,
    removing requests past their retention period (``send-mail --loop``);
    Ctrl-C stops."""
    ctx.invoke(send_mail, loop=True, interval=interval, retry_failed=False)


def run(load_app: AppLoader, args: list[str] | None = None) -> None:
    """Run the ``ecitiz`` command line."""
    Console(load_app).main(args=args, prog_name="ecitiz")
