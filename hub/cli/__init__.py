"""`ocpi-hub` (also `python -m hub`): serve the hub and manage its registry.

The CLI talks to the same database as the server, so a running hub sees its changes within
`registry_poll_seconds` (a rotated token, too: the old one is refused by every hub process
within that time).

Layout: hub.cli.parser (commands, options, help; standard library only, so `--help` is instant),
hub.cli.config (settings, the default data directory, the derived public URL), hub.cli.database
(is the database there and migrated?), hub.cli.failures (one line for each operator mistake),
hub.cli.commands (the registry and data commands), hub.cli.serve, hub.cli.output (tables, JSON).
Nothing heavy is imported before a command runs.

An operator never sees a traceback: a mistake is one line on stderr saying what to do, exit 1
(2 for bad arguments or settings); an error the CLI cannot explain is one line too, exit 1, and
`--traceback` prints the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hub.cli.parser import build_parser

if TYPE_CHECKING:
    from hub.settings import Settings

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    database_url: str | None = None
    try:
        settings = _settings(args)
        database_url = settings.database_url
        from hub.observability.logging import configure_logging

        configure_logging(level=settings.log_level, fmt=settings.log_format, secret_key=settings.secret_key)
        return _run(settings, args)
    except KeyboardInterrupt:
        print("ocpi-hub: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place every error becomes one line
        return _fail(exc, database_url, show_traceback=args.traceback)


def _settings(args: argparse.Namespace) -> Settings:
    from hub.cli.config import load

    overrides: dict[str, Any] = {}
    if args.command == "serve":
        overrides = {"host": args.host, "port": args.port, "workers": args.workers}
        if args.rate_limit is not None:
            overrides |= {"rate_limit_per_second": args.rate_limit[0], "rate_limit_burst": args.rate_limit[1]}
    return load(args.config, overrides)


def _run(settings: Settings, args: argparse.Namespace) -> int:
    if args.command == "demo":
        from simulators.demo import main as demo_main  # its own hub (temporary SQLite) and simulators

        return demo_main(keep_running=args.keep_running, via_upstream=args.via_upstream, cpo_version=args.cpo_version)
    from hub.cli.failures import database_path

    database_path(settings.database_url)  # a malformed or unsupported URL: one line before anything else
    if args.command == "serve":
        from hub.cli.serve import serve

        return serve(settings, args)
    if args.command == "db":
        from hub.db.migrate import upgrade

        asyncio.run(upgrade(settings))
        print("Database is at the latest revision")
        return 0

    # every other command needs a database that exists and is migrated: only `db upgrade` and
    # `serve` create one (and its folder)
    from hub.cli import commands
    from hub.cli.database import check_database

    command = getattr(commands, args.command)
    commands.validate(args)

    async def checked() -> int:
        await check_database(settings)
        result: int = await command(settings, args)
        return result

    return asyncio.run(checked())


def _fail(exc: Exception, database_url: str | None, *, show_traceback: bool) -> int:
    from hub.cli.failures import CliError, explain

    message = explain(exc, database_url)
    if show_traceback:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    if message is None:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        message = f"unexpected error: {type(exc).__name__}{': ' + detail if detail else ''}"
        if not show_traceback:
            message += " (run again with --traceback for the details, and report it)"
    print(f"ocpi-hub: {message}", file=sys.stderr)
    return exc.code if isinstance(exc, CliError) else 1
