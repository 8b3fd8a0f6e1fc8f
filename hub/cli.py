"""`ocpi-hub` (also `python -m hub`): serve the hub and manage its registry.

The CLI talks to the same database as the server, so a running hub sees its changes within
`registry_poll_seconds` (a rotated token, too: the old one is refused by every hub process
within that time).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from hub.admin.agreements import AgreementAdmin
from hub.admin.outbox import OutboxAdmin
from hub.db.db import create_engine, session_factory
from hub.db.migrate import upgrade
from hub.egress.client import guarded_session
from hub.egress.policy import OutboundPolicy
from hub.errors import InvalidParameters, OcpiError
from hub.liveness.peer import PeerClient
from hub.observability.logging import configure_logging
from hub.privacy.erase import erase_token
from hub.privacy.personal import PersonalData
from hub.privacy.rekey import reencrypt_store
from hub.privacy.retention import prune
from hub.registration.platforms import PlatformAdmin, parse_role
from hub.registration.registrar import Registrar
from hub.registration.rotation import TokenRotation, reseal_tokens
from hub.registration.upstreams import UpstreamAdmin, UpstreamView, parse_route
from hub.settings import Settings, load_settings
from hub.token_vault import TokenVault
from hub.types import PartyKey, TokenEncoding

__all__ = ["main"]


def _rate_limit(text: str) -> tuple[float, int | None]:
    """`--rate-limit 200/400` -> (200.0, 400); `200` keeps the configured burst; `off` -> (0, None)."""
    if text.strip().lower() == "off":
        return 0.0, None
    rate, _, burst = text.partition("/")
    try:
        parsed = float(rate), int(burst) if burst else None
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: use RATE/BURST (e.g. 200/400) or off") from None
    if parsed[0] < 0 or (parsed[1] is not None and parsed[1] < 1):
        raise argparse.ArgumentTypeError(f"{text!r}: RATE must be >= 0 and BURST >= 1")
    return parsed


def _party_key(text: str) -> PartyKey:
    cc, _, pid = text.strip().partition(":")
    if len(cc) != 2 or not cc.isalpha() or len(pid) != 3 or not pid.isalnum():
        raise argparse.ArgumentTypeError(f"{text!r}: use CC:PID, e.g. NL:EMS")
    return PartyKey.of(cc, pid)


def _vault(settings: Settings) -> TokenVault:
    return TokenVault(settings.secret_key, previous=settings.previous_secret_keys)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ocpi-hub", description="OCPI roaming hub")
    parser.add_argument("--config", help="TOML settings file (default: $HUB_CONFIG)")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the hub")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.add_argument("--no-migrate", action="store_true", help="do not apply pending migrations at start")
    serve.add_argument(
        "--rate-limit",
        type=_rate_limit,
        metavar="RATE/BURST",
        help="requests per second and bucket size per platform and module, e.g. 200/400; off = unlimited",
    )

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
    rotate = psub.add_parser(
        "rotate-token", help="issue a new token for a registered platform and hand it over (credentials PUT)"
    )
    rotate.add_argument("id", type=int)
    pin = psub.add_parser("pin-cert", help="mutual TLS: the client certificate a platform must present")
    pin.add_argument("id", type=int)
    pinned = pin.add_mutually_exclusive_group(required=True)
    pinned.add_argument("--sha256", metavar="HEX", help="SHA-256 of the DER certificate (colons allowed)")
    pinned.add_argument("--clear", action="store_true", help="lift the pin")
    failover = psub.add_parser("failover", help="alternate base URLs tried when the primary fails")
    failover.add_argument("id", type=int)
    failover.add_argument("origins", nargs="*", help="e.g. https://backup.example.com (none: clear)")
    apply = psub.add_parser("apply", help="create the platforms declared in a TOML file")
    apply.add_argument("file")

    upstreams = sub.add_parser("upstreams", help="upstream hubs (OCPI: spec or gireve profile; OICP) and their routes")
    usub = upstreams.add_subparsers(dest="action", required=True)
    uadd = usub.add_parser("add", help="declare an upstream hub (an OCPI one gets a token A to register with)")
    uadd.add_argument("--name", required=True)
    uadd.add_argument("--kind", choices=["ocpi", "oicp"], required=True)
    uadd.add_argument("--profile", help="ocpi: spec (default) or gireve; oicp: hubject")
    uadd.add_argument("--hub-role", required=True, help="the upstream's own party, e.g. HUB:FR:007")
    uadd.add_argument("--route", action="append", default=[], help="ROLE:CC:PID[=ID,ID] reachable through it")
    uadd.add_argument("--option", action="append", default=[], help="KEY=VALUE adapter option (repeatable)")
    uadd.add_argument("--timeout", type=float, help="seconds to wait for its replies")
    uadd.add_argument("--json", action="store_true")
    ulist = usub.add_parser("list", help="upstream hubs with their routes")
    ulist.add_argument("--json", action="store_true")
    ushow = usub.add_parser("show", help="one upstream hub, its routes with status, source and last traffic")
    ushow.add_argument("id", type=int)
    uroutes = usub.add_parser("routes", help="set the configured routes through an upstream hub")
    uroutes.add_argument("id", type=int)
    uroutes.add_argument("--route", action="append", default=[], help="ROLE:CC:PID[=ID,ID] (none: clear)")
    uremove = usub.add_parser("remove", help="remove an upstream hub and its routes")
    uremove.add_argument("id", type=int)

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

    outbox = sub.add_parser(
        "outbox", help="deliveries the hub owes (broadcasts, HubClientInfo, pushes queued for upstream hubs)"
    )
    osub = outbox.add_subparsers(dest="action", required=True)
    osub.add_parser("status", help="messages per status")
    olist = osub.add_parser("list", help="messages in one status")
    olist.add_argument("--status", default="dead", choices=["pending", "delivered", "rejected", "skipped", "dead"])
    replay = osub.add_parser("replay", help="queue dead messages again")
    replay.add_argument("id", type=int, nargs="?", help="one message (default: all dead)")

    keys = sub.add_parser("keys", help="the key that seals tokens and personal data at rest")
    ksub = keys.add_subparsers(dest="action", required=True)
    ksub.add_parser(
        "rotate", help="re-encrypt everything sealed under previous_secret_keys with secret_key (while serving)"
    )

    privacy = sub.add_parser("privacy", help="personal data the hub keeps")
    prsub = privacy.add_subparsers(dest="action", required=True)
    erase = prsub.add_parser("erase-token", help="erase one token's personal data (GDPR), keeping an audit trail")
    erase.add_argument("--party", required=True, type=_party_key, metavar="CC:PID", help="the token's owner (eMSP)")
    erase.add_argument("--uid", required=True, help="the token's uid")
    prsub.add_parser("prune", help="delete stored sessions and CDRs older than their retention now")

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
    admin = PlatformAdmin(settings=settings, sessions=session_factory(engine), vault=_vault(settings))
    return admin, engine.dispose


def _options(pairs: Sequence[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidParameters(f"Option {pair!r} must look like KEY=VALUE")
        options[key.strip()] = value.strip()
    return options


def _upstream_json(view: UpstreamView) -> dict[str, Any]:
    platform = view.platform
    return {
        "platform_id": platform.id,
        "name": platform.name,
        "kind": platform.kind,
        "profile": platform.profile,
        "status": platform.status,
        "last_seen_at": platform.last_seen_at.isoformat() if platform.last_seen_at else None,
        "routes": [
            {
                "party": f"{r.role}:{r.country_code}:{r.party_id}",
                "status": r.status if platform.status == "CONNECTED" else platform.status,
                "source": r.source,
                "priority": r.priority,
                "upstream_ids": r.upstream_ids or [],
                "last_traffic_at": r.last_traffic_at.isoformat() if r.last_traffic_at else None,
            }
            for r in view.routes
        ],
    }


async def _upstreams(settings: Settings, args: argparse.Namespace) -> int:
    admin, close = _admin(settings)
    upstreams = UpstreamAdmin(admin, admin.sessions)
    try:
        if args.action == "add":
            added = await upstreams.add(
                name=args.name,
                kind=args.kind,
                profile=args.profile,
                hub_role=args.hub_role,
                routes=[parse_route(r) for r in args.route],
                options=_options(args.option),
                timeout_seconds=args.timeout,
            )
            result: dict[str, Any] = {"platform_id": added.platform.id, "versions_url": settings.versions_url}
            if args.kind == "ocpi":
                result["token_a"] = added.token_a
            if args.json:
                print(json.dumps(result))
            else:
                print(f"Upstream {added.platform.id} ({args.name}) added: {args.kind}, {len(args.route)} route(s).")
                if args.kind == "ocpi":
                    print(f"Give the upstream hub our versions URL {settings.versions_url} and token A")
                    print(f"  {added.token_a}\nor let the hub register there: ocpi-hub platforms register ...")
            return 0
        if args.action in ("list", "show"):
            views = await upstreams.list() if args.action == "list" else [await upstreams.show(platform_id=args.id)]
            found = [_upstream_json(v) for v in views]
            if getattr(args, "json", False) or args.action == "show":
                print(json.dumps(found if args.action == "list" else found[0], indent=2))
            else:
                for u in found:
                    routes = ", ".join(f"{r['party']} {r['status']}" for r in u["routes"]) or "no routes"
                    print(f"{u['platform_id']:>4}  {u['name']:<20} {u['kind']:<14} {u['status']:<10} {routes}")
            return 0
        if args.action == "routes":
            rows = await upstreams.set_routes(platform_id=args.id, routes=[parse_route(r) for r in args.route])
            print(f"Upstream {args.id}: {len(rows)} route(s)")
            return 0
        await upstreams.show(platform_id=args.id)  # an upstream, not a party's platform
        await admin.remove(platform_id=args.id)
        print(f"Upstream {args.id} removed")
        return 0
    finally:
        await close()


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
    if args.action == "rotate-token":
        return await _rotate_token(settings, args)
    if args.action == "pin-cert":
        stored = await admin.pin_client_cert(args.id, None if args.clear else args.sha256)
        print(f"Platform {args.id} client certificate: {stored or 'not pinned'}")
        return 0
    return await _register(settings, args)


async def _rotate_token(settings: Settings, args: argparse.Namespace) -> int:
    """`platforms rotate-token ID`: hub.registration.rotation (new token, credentials PUT)."""
    engine = create_engine(settings)
    try:
        async with guarded_session(settings) as http:  # the outbound policy applies to the CLI too
            rotation = TokenRotation(
                settings=settings,
                sessions=session_factory(engine),
                vault=_vault(settings),
                peer=PeerClient(
                    http,
                    timeout_seconds=settings.request_timeout_seconds,
                    policy=OutboundPolicy.from_settings(settings),
                ),
                on_change=lambda: None,  # hub processes see the revision within registry_poll_seconds
            )
            rotated = await rotation.rotate_token(platform_id=args.id)
    finally:
        await engine.dispose()
    print(
        f"Platform {rotated.platform_id} ({rotated.name}) has a new token; the old one is refused by every hub "
        f"process within {settings.registry_poll_seconds:g} s"
    )
    return 0


async def _keys(settings: Settings, args: argparse.Namespace) -> int:
    """`keys rotate`: everything sealed under a previous key is sealed again under secret_key."""
    engine = create_engine(settings)
    sessions = session_factory(engine)
    vault = _vault(settings)
    try:
        tokens = await reseal_tokens(sessions, vault)
        personal = await reencrypt_store(sessions, PersonalData.from_settings(settings, vault))
    finally:
        await engine.dispose()
    print(
        f"Platform tokens: {tokens.resealed} re-encrypted, {tokens.current} already under the current key, "
        f"{tokens.unreadable} unreadable\nPersonal data: {personal} row(s) re-encrypted"
    )
    print(
        "Tokens the hub accepts are stored as keyed hashes: each moves to the current key when its platform "
        "next calls. Keep previous_secret_keys until every platform has called since (or rotate-token it)."
    )
    if tokens.unreadable:
        print("Some tokens open under no configured key: those platforms must register again", file=sys.stderr)
        return 1
    return 0


async def _privacy(settings: Settings, args: argparse.Namespace) -> int:
    engine = create_engine(settings)
    sessions = session_factory(engine)
    try:
        if args.action == "erase-token":
            personal = PersonalData.from_settings(settings, _vault(settings))
            report = await erase_token(sessions, personal, owner=args.party, uid=args.uid)
            print(json.dumps(dataclasses.asdict(report)))
        else:
            print(
                json.dumps(
                    await prune(
                        sessions,
                        sessions_days=settings.retention_sessions_days,
                        cdrs_days=settings.retention_cdrs_days,
                        now=datetime.now(UTC),
                    )
                )
            )
        return 0
    finally:
        await engine.dispose()


async def _register(settings: Settings, args: argparse.Namespace) -> int:
    engine = create_engine(settings)
    async with guarded_session(settings) as http:  # the outbound policy applies to the CLI too
        registrar = Registrar(
            settings=settings,
            sessions=session_factory(engine),
            vault=_vault(settings),
            peer=PeerClient(
                http, timeout_seconds=settings.request_timeout_seconds, policy=OutboundPolicy.from_settings(settings)
            ),
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

    from hub.server import server_config

    config = server_config(settings)  # timeouts, connection cap, TLS (hub.server)
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
        if args.rate_limit is not None:
            overrides |= {"rate_limit_per_second": args.rate_limit[0], "rate_limit_burst": args.rate_limit[1]}
    try:
        settings = load_settings(args.config, **overrides)
    except Exception as exc:
        print(f"ocpi-hub: invalid settings: {exc}", file=sys.stderr)
        return 2
    configure_logging(level=settings.log_level, fmt=settings.log_format, secret_key=settings.secret_key)
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
        if args.command == "upstreams":
            return asyncio.run(_upstreams(settings, args))
        if args.command == "outbox":
            return asyncio.run(_outbox(settings, args))
        if args.command == "keys":
            return asyncio.run(_keys(settings, args))
        if args.command == "privacy":
            return asyncio.run(_privacy(settings, args))
        return asyncio.run(_platforms(settings, args))
    except OcpiError as exc:
        print(f"ocpi-hub: {exc.message} (OCPI status {exc.status_code})", file=sys.stderr)
        return 1
