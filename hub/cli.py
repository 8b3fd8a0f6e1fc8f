"""`ocpi-hub` (also `python -m hub`): serve the hub and manage its registry.

The CLI talks to the same database as the server, so a running hub sees its changes within
`registry_poll_seconds`.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp

from hub.admin.agreements import AgreementAdmin
from hub.admin.outbox import OutboxAdmin
from hub.db.db import create_engine, session_factory
from hub.db.migrate import upgrade
from hub.errors import OcpiError
from hub.liveness.peer import PeerClient
from hub.observability.logging import configure_logging
from hub.registration.platforms import PlatformAdmin, parse_role
from hub.registration.registrar import Registrar
from hub.settings import Settings, load_settings
from hub.token_vault import TokenVault
from hub.types import TokenEncoding

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ocpi-hub", description="OCPI roaming hub")
    parser.add_argument("--config", help="TOML settings file (default: $HUB_CONFIG)")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the hub")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.add_argument("--no-migrate", action="store_true", help="do not apply pending migrations at start")

    db = sub.add_parser("db", help="database")
    db.add_argument("action", choices=["upgrade"])

    platforms = sub.add_parser("platforms", help="platforms (OCPI connections) and their parties")
    psub = platforms.add_subparsers(dest="action", required=True)
    add = psub.add_parser("add", help="declare a platform and issue its token A")
    add.add_argument("--name", required=True)
    add.add_argument("--role", action="append", required=True, help="ROLE:CC:PID, e.g. CPO:NL:ABC (repeatable)")
    add.add_argument("--token-encoding", choices=[e.value for e in TokenEncoding], default="base64")
    add.add_argument("--timeout", type=float, help="seconds to wait for this platform's replies")
    add.add_argument("--json", action="store_true")
    lst = psub.add_parser("list")
    lst.add_argument("--json", action="store_true")
    show = psub.add_parser("show")
    show.add_argument("id", type=int)
    remove = psub.add_parser("remove")
    remove.add_argument("id", type=int)
    token = psub.add_parser("token-a", help="issue a new token A for a platform (e.g. to register again)")
    token.add_argument("id", type=int)
    register = psub.add_parser("register", help="register the hub at a platform that gave us a token A")
    register.add_argument("id", type=int)
    register.add_argument("--versions-url", required=True)
    register.add_argument("--token-a", required=True)
    failover = psub.add_parser("failover", help="alternate base URLs tried when the primary fails")
    failover.add_argument("id", type=int)
    failover.add_argument("origins", nargs="*", help="e.g. https://backup.example.com (none: clear)")
    apply = psub.add_parser("apply", help="create the platforms declared in a TOML file")
    apply.add_argument("file")

    agreements = sub.add_parser("agreements", help="which parties may exchange which modules")
    asub = agreements.add_subparsers(dest="action", required=True)
    for verb in ("allow", "deny"):
        rule = asub.add_parser(verb, help=f"{verb} two parties (CC:PID or *) to exchange a module (or *)")
        rule.add_argument("party_a")
        rule.add_argument("party_b")
        rule.add_argument("--module", default="*")
    asub.add_parser("list")
    aremove = asub.add_parser("remove")
    aremove.add_argument("id", type=int)

    outbox = sub.add_parser("outbox", help="deliveries the hub owes (broadcasts, HubClientInfo)")
    osub = outbox.add_subparsers(dest="action", required=True)
    osub.add_parser("status", help="messages per status")
    olist = osub.add_parser("list", help="messages in one status")
    olist.add_argument("--status", default="dead", choices=["pending", "delivered", "rejected", "skipped", "dead"])
    replay = osub.add_parser("replay", help="queue dead messages again")
    replay.add_argument("id", type=int, nargs="?", help="one message (default: all dead)")

    demo = sub.add_parser("demo", help="play a charging session through a hub with a simulated CPO and eMSP")
    demo.add_argument("--keep-running", action="store_true", help="leave the hub and simulators up until Ctrl-C")
    return parser


def _demo(args: argparse.Namespace) -> int:
    """`ocpi-hub demo`: its own hub (temporary SQLite) and simulators; see simulators.demo."""
    from simulators.demo import main as demo_main

    return demo_main(keep_running=args.keep_running)


async def _agreements(settings: Settings, args: argparse.Namespace) -> int:
    engine = create_engine(settings)
    admin = AgreementAdmin(sessions=session_factory(engine))
    try:
        if args.action in ("allow", "deny"):
            row = await admin.set(a=args.party_a, b=args.party_b, module=args.module, allow=args.action == "allow")
            print(f"Agreement {row.id}: {row.sender} <-> {row.receiver}, {row.module}: {args.action}")
        elif args.action == "list":
            print(json.dumps(await admin.list(), indent=2))
        elif not await admin.remove(agreement_id=args.id):
            print(f"No agreement with id {args.id}", file=sys.stderr)
            return 1
        return 0
    finally:
        await engine.dispose()


async def _outbox(settings: Settings, args: argparse.Namespace) -> int:
    engine = create_engine(settings)
    admin = OutboxAdmin(sessions=session_factory(engine))
    try:
        if args.action == "status":
            print(json.dumps(await admin.counts(), indent=2))
        elif args.action == "list":
            print(json.dumps(await admin.messages(status=args.status), indent=2))
        else:
            print(f"{await admin.replay_dead(message_id=args.id)} message(s) queued again")
        return 0
    finally:
        await engine.dispose()


def _admin(settings: Settings) -> tuple[PlatformAdmin, Callable[[], Awaitable[None]]]:
    engine = create_engine(settings)
    admin = PlatformAdmin(settings=settings, sessions=session_factory(engine), vault=TokenVault(settings.secret_key))
    return admin, engine.dispose


async def _platforms(settings: Settings, args: argparse.Namespace) -> int:
    admin, close = _admin(settings)
    try:
        return await _platform_action(settings, admin, args)
    finally:
        await close()


async def _platform_action(settings: Settings, admin: PlatformAdmin, args: argparse.Namespace) -> int:
    if args.action == "add":
        added = await admin.add(
            name=args.name,
            roles=[parse_role(r) for r in args.role],
            token_encoding=TokenEncoding(args.token_encoding),
            timeout_seconds=args.timeout,
        )
        result = {"platform_id": added.platform.id, "token_a": added.token_a, "versions_url": settings.versions_url}
        if args.json:
            print(json.dumps(result))
        else:
            print(f"Platform {added.platform.id} ({args.name}) added, status PLANNED.")
            print(f"Give the platform, over a secure channel:\n  versions URL: {settings.versions_url}")
            print(f"  token A:      {added.token_a}\n(token A is shown once and dies when used)")
        return 0
    if args.action in ("list", "show"):
        found = await admin.describe(platform_id=getattr(args, "id", None))
        if args.action == "show" and not found:
            print(f"No platform with id {args.id}", file=sys.stderr)
            return 1
        if getattr(args, "json", False) or args.action == "show":
            print(json.dumps(found if args.action == "list" else found[0], indent=2))
        else:
            for p in found:
                parties = ", ".join(f"{x['role']}:{x['country_code']}:{x['party_id']}" for x in p["parties"])
                print(f"{p['platform_id']:>4}  {p['name']:<24} {p['status']:<10} {p['version'] or '-':<6} {parties}")
        return 0
    if args.action == "remove":
        if not await admin.remove(platform_id=args.id):
            print(f"No platform with id {args.id}", file=sys.stderr)
            return 1
        print(f"Platform {args.id} removed")
        return 0
    if args.action == "token-a":
        print(await admin.issue_token_a(platform_id=args.id))
        return 0
    if args.action == "failover":
        origins = await admin.set_alternates(platform_id=args.id, origins=args.origins)
        print(f"Platform {args.id} failover: {', '.join(origins) or 'none'}")
        return 0
    if args.action == "apply":
        created = await admin.apply_file(args.file)
        print(f"Created: {', '.join(created) or 'nothing (all present)'}")
        return 0
    return await _register(settings, args)


async def _register(settings: Settings, args: argparse.Namespace) -> int:
    engine = create_engine(settings)
    async with aiohttp.ClientSession() as http:
        registrar = Registrar(
            settings=settings,
            sessions=session_factory(engine),
            vault=TokenVault(settings.secret_key),
            peer=PeerClient(http, timeout_seconds=settings.request_timeout_seconds),
            on_change=lambda: None,
        )
        try:
            platform = await registrar.register_with(
                platform_id=args.id, versions_url=args.versions_url, token_a=args.token_a
            )
        finally:
            await engine.dispose()
    print(
        f"Registered with platform {platform.id} ({platform.name}), OCPI {platform.version}, status {platform.status}"
    )
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    if settings.migrate_on_start and not args.no_migrate:
        asyncio.run(upgrade(settings))
    if settings.platforms_file:
        admin, close = _admin(settings)

        async def apply() -> list[str]:
            try:
                return await admin.apply_file(settings.platforms_file or "")
            finally:
                await close()

        asyncio.run(apply())
    print(f"OCPI hub on http://{settings.host}:{settings.port}  versions URL: {settings.versions_url}", flush=True)
    print("Add a party:  ocpi-hub platforms add --name my-cpo --role CPO:NL:ABC", flush=True)
    return _run_server(settings)


def _run_server(settings: Settings) -> int:
    """Serve `create_app(settings)` with uvicorn; the settings travel with the app, not in os.environ.

    The app is the factory `partial(create_app, settings)`. With one worker uvicorn calls it here;
    with more, uvicorn's supervisor pickles the Config (factory and settings included) into each
    spawned worker, which calls it there. So `--config` and the command-line overrides reach every
    worker without the CLI touching its own environment, and a worker's environment is exactly the
    one the CLI was started with. `uvicorn.run()` refuses anything but an import string when
    workers > 1, so this does what it does (Config, Server, Multiprocess) without that check.
    """
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    from hub.app import create_app

    config = uvicorn.Config(
        functools.partial(create_app, settings),
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level.lower(),
        access_log=False,
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,  # type: ignore[arg-type]
        loop="uvloop",
        http="httptools",
    )
    server = uvicorn.Server(config)
    try:
        if config.workers > 1:
            Multiprocess(config, sockets=[config.bind_socket()]).run()
            return 0
        server.run()
    except KeyboardInterrupt:
        pass
    return 0 if server.started else STARTUP_FAILURE


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides: dict[str, Any] = {}
    if args.command == "serve":
        overrides = {"host": args.host, "port": args.port, "workers": args.workers}
    try:
        settings = load_settings(args.config, **overrides)
    except Exception as exc:
        print(f"ocpi-hub: invalid settings: {exc}", file=sys.stderr)
        return 2
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    try:
        if args.command == "demo":
            return _demo(args)
        if args.command == "serve":
            return _serve(settings, args)
        if args.command == "db":
            asyncio.run(upgrade(settings))
            print("Database is at the latest revision")
            return 0
        if args.command == "agreements":
            return asyncio.run(_agreements(settings, args))
        if args.command == "outbox":
            return asyncio.run(_outbox(settings, args))
        return asyncio.run(_platforms(settings, args))
    except OcpiError as exc:
        print(f"ocpi-hub: {exc.message} (OCPI status {exc.status_code})", file=sys.stderr)
        return 1
