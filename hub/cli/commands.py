"""The commands that manage the registry and the hub's data (everything but `serve` and `demo`).

Imported by hub.cli.main only when such a command runs: the hub's machinery stays out of `--help`.
Each command returns its exit status; mistakes raise (hub.errors.InvalidParameters, CliError) and
hub.cli.main prints them in one line.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from hub.admin.agreements import AgreementAdmin
from hub.admin.outbox import OutboxAdmin
from hub.cli.output import confirm, print_json, print_record, print_table
from hub.db.db import SessionFactory, create_engine, session_factory
from hub.egress.client import guarded_session
from hub.egress.policy import OutboundPolicy
from hub.errors import InvalidParameters
from hub.liveness.peer import PeerClient
from hub.privacy.erase import erase_token
from hub.privacy.personal import PersonalData
from hub.privacy.rekey import reencrypt_store
from hub.privacy.retention import prune
from hub.registration.platforms import PlatformAdmin, parse_role
from hub.registration.registrar import Registrar
from hub.registration.rotation import TokenRotation, reseal_tokens
from hub.registration.upstreams import UpstreamAdmin, UpstreamView, parse_route
from hub.settings import Settings
from hub.token_vault import TokenVault
from hub.types import PartyKey, TokenEncoding

__all__ = ["agreements", "keys", "outbox", "platforms", "privacy", "upstreams", "validate"]


def validate(args: argparse.Namespace) -> None:
    """Refuse malformed input (roles, routes, options) before the database is even looked at."""
    if args.command == "platforms" and args.action == "add":
        for role in args.role:
            parse_role(role)
    if args.command == "upstreams" and args.action in ("add", "routes"):
        for route in args.route:
            parse_route(route)
        _options(getattr(args, "option", []))


def _vault(settings: Settings) -> TokenVault:
    return TokenVault(settings.secret_key, previous=settings.previous_secret_keys)


def _admin(settings: Settings) -> tuple[PlatformAdmin, Callable[[], Awaitable[None]]]:
    engine = create_engine(settings)
    admin = PlatformAdmin(settings=settings, sessions=session_factory(engine), vault=_vault(settings))
    return admin, engine.dispose


def _parties(platform: dict[str, Any]) -> str:
    return ", ".join(f"{x['role']}:{x['country_code']}:{x['party_id']}" for x in platform["parties"])


# -- agreements, outbox ---------------------------------------------------------------------------


async def agreements(settings: Settings, args: argparse.Namespace) -> int:
    engine = create_engine(settings)
    admin = AgreementAdmin(sessions=session_factory(engine))
    try:
        if args.action in ("allow", "deny"):
            row = await admin.set(a=args.party_a, b=args.party_b, module=args.module, allow=args.action == "allow")
            print(f"Agreement {row.id}: {row.sender} <-> {row.receiver}, {row.module}: {args.action}")
        elif args.action == "list":
            found = await admin.list()
            if args.json:
                print_json(found)
            else:
                headers = list(found[0]) if found else ["id"]
                print_table(headers, [list(a.values()) for a in found], empty="no agreements")
        elif not await admin.remove(agreement_id=args.id):
            raise InvalidParameters(f"No agreement with id {args.id}")
        else:
            print(f"Agreement {args.id} removed")
        return 0
    finally:
        await engine.dispose()


async def outbox(settings: Settings, args: argparse.Namespace) -> int:
    engine = create_engine(settings)
    admin = OutboxAdmin(sessions=session_factory(engine))
    try:
        if args.action == "status":
            counts = await admin.counts()
            if args.json:
                print_json(counts)
            else:
                print_table(["status", "messages"], sorted(counts.items()), empty="outbox empty")
        elif args.action == "list":
            messages = await admin.messages(status=args.status)
            if args.json:
                print_json(messages)
            else:
                headers = list(messages[0]) if messages else ["id"]
                print_table(headers, [list(m.values()) for m in messages], empty=f"no {args.status} messages")
        else:
            print(f"{await admin.replay_dead(message_id=args.id)} message(s) queued again")
        return 0
    finally:
        await engine.dispose()


# -- upstreams ------------------------------------------------------------------------------------


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


async def upstreams(settings: Settings, args: argparse.Namespace) -> int:
    admin, close = _admin(settings)
    upstream = UpstreamAdmin(admin, admin.sessions)
    try:
        if args.action == "add":
            added = await upstream.add(
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
        if args.action == "list":
            found = [_upstream_json(v) for v in await upstream.list()]
            if args.json:
                print_json(found)
            else:
                rows = [
                    [u["platform_id"], u["name"], u["kind"], u["profile"], u["status"], u["last_seen_at"],
                     [f"{r['party']} {r['status']}" for r in u["routes"]]]
                    for u in found
                ]  # fmt: skip
                print_table(
                    ["id", "name", "kind", "profile", "status", "last seen", "routes"], rows, empty="no upstream hubs"
                )
            return 0
        platform_id = await admin.resolve(args.platform)
        if args.action == "show":
            # JSON with or without --json: tests/upstream read it so (a record view can follow them)
            print_json(_upstream_json(await upstream.show(platform_id=platform_id)))
            return 0
        if args.action == "routes":
            routes = await upstream.set_routes(platform_id=platform_id, routes=[parse_route(r) for r in args.route])
            print(f"Upstream {platform_id}: {len(routes)} route(s)")
            return 0
        await upstream.show(platform_id=platform_id)  # an upstream, not a party's platform
        await admin.remove(platform_id=platform_id)
        print(f"Upstream {platform_id} removed")
        return 0
    finally:
        await close()


# -- platforms ------------------------------------------------------------------------------------


async def platforms(settings: Settings, args: argparse.Namespace) -> int:
    admin, close = _admin(settings)
    try:
        return await _platform_action(settings, admin, args)
    finally:
        await close()


def _platform_row(p: dict[str, Any]) -> list[Any]:
    return [p["platform_id"], p["name"], p["status"], p["version"], p["last_seen_at"], _parties(p)]


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
    if args.action == "list":
        found = await admin.describe()
        if args.json:
            print_json(found)
        else:
            print_table(
                ["id", "name", "status", "version", "last seen", "parties"],
                [_platform_row(p) for p in found],
                empty="no platforms: add one with `ocpi-hub platforms add`",
            )
        return 0
    if args.action == "apply":
        created = await admin.apply_file(args.file)
        print(f"Created: {', '.join(created) or 'nothing (all present)'}")
        return 0
    platform_id = await admin.resolve(args.platform)
    if args.action == "show":
        return await _show(admin, platform_id, as_json=args.json)
    if args.action == "update":
        if args.name is None and args.timeout is None and not args.default_timeout and args.token_encoding is None:
            raise InvalidParameters("Nothing to update: give --name, --timeout, --default-timeout or --token-encoding")
        await admin.update(
            platform_id=platform_id,
            name=args.name,
            timeout_seconds=args.timeout,
            default_timeout=args.default_timeout,
            token_encoding=None if args.token_encoding is None else TokenEncoding(args.token_encoding),
        )
        if args.json:
            return await _show(admin, platform_id, as_json=True)
        print(f"Platform {platform_id} updated")
        return 0
    if args.action in ("suspend", "resume"):
        changed = await (admin.suspend if args.action == "suspend" else admin.resume)(platform_id=platform_id)
        print(f"Platform {platform_id} ({changed.name}) is {changed.status}")
        return 0
    if args.action == "remove":
        name = (await admin.describe(platform_id=platform_id))[0]["name"]
        confirm(
            f"Remove platform {platform_id} ({name}), its parties and the data they stored at the hub?",
            yes=args.yes,
            refusal=f"not removing platform {platform_id} ({name}) without --yes (no terminal to ask)",
        )
        if not await admin.remove(platform_id=platform_id):
            raise InvalidParameters(f"No platform with id {platform_id}")
        print(f"Platform {platform_id} ({name}) removed")
        return 0
    if args.action == "token-a":
        print(await admin.issue_token_a(platform_id=platform_id))
        return 0
    if args.action == "failover":
        origins = await admin.set_alternates(platform_id=platform_id, origins=args.origins)
        print(f"Platform {platform_id} failover: {', '.join(origins) or 'none'}")
        return 0
    if args.action == "rotate-token":
        return await _rotate_token(settings, platform_id)
    if args.action == "pin-cert":
        stored = await admin.pin_client_cert(platform_id, None if args.clear else args.sha256)
        print(f"Platform {platform_id} client certificate: {stored or 'not pinned'}")
        return 0
    return await _register(settings, platform_id, args)


async def _show(admin: PlatformAdmin, platform_id: int, *, as_json: bool) -> int:
    found = await admin.describe(platform_id=platform_id)
    if not found:
        raise InvalidParameters(f"No platform with id {platform_id}")
    shown = found[0]
    if as_json:
        print_json(shown)
        return 0
    counters = shown["counters"]
    print_record(
        [
            ("id", shown["platform_id"]),
            ("name", shown["name"]),
            ("kind", shown["kind"]),
            ("status", shown["status"]),
            ("since", shown["status_changed_at"]),
            ("OCPI version", shown["version"]),
            ("versions URL", shown["versions_url"]),
            ("registered", shown["registered"]),
            ("last seen", shown["last_seen_at"]),
            ("token encoding", shown["token_encoding"]),
            ("timeout", f"{shown['timeout_seconds']:g} s" if shown["timeout_seconds"] else "default"),
            ("from config", shown["from_config"]),
            ("failover", shown["alternate_origins"]),
            ("client cert", shown["client_cert_sha256"]),
            ("parties", _parties(shown)),
            ("outbox to it", counters["outbox"] or "empty"),
            ("stored objects", counters["stored_objects"] or "none"),
            ("created", shown["created_at"]),
        ]
    )
    if shown["endpoints"]:
        print()
        print_table(["module", "role", "url"], [list(e.values()) for e in shown["endpoints"]])
    print("\n(circuit breakers live in each hub process: see the hub's metrics, not the database)")
    return 0


@asynccontextmanager
async def _outbound(settings: Settings) -> AsyncIterator[tuple[SessionFactory, PeerClient]]:
    """The database and the client the hub uses toward platforms, for a command that calls one
    (the outbound policy applies to the CLI too)."""
    engine = create_engine(settings)
    try:
        async with guarded_session(settings) as http:
            peer = PeerClient(
                http, timeout_seconds=settings.request_timeout_seconds, policy=OutboundPolicy.from_settings(settings)
            )
            yield session_factory(engine), peer
    finally:
        await engine.dispose()


async def _rotate_token(settings: Settings, platform_id: int) -> int:
    """`platforms rotate-token PLATFORM`: hub.registration.rotation (new token, credentials PUT)."""
    async with _outbound(settings) as (sessions, peer):
        rotation = TokenRotation(
            settings=settings,
            sessions=sessions,
            vault=_vault(settings),
            peer=peer,
            on_change=lambda: None,  # hub processes see the revision within registry_poll_seconds
        )
        rotated = await rotation.rotate_token(platform_id=platform_id)
    print(
        f"Platform {rotated.platform_id} ({rotated.name}) has a new token; the old one is refused by every hub "
        f"process within {settings.registry_poll_seconds:g} s"
    )
    return 0


async def _register(settings: Settings, platform_id: int, args: argparse.Namespace) -> int:
    async with _outbound(settings) as (sessions, peer):
        registrar = Registrar(
            settings=settings, sessions=sessions, vault=_vault(settings), peer=peer, on_change=lambda: None
        )
        platform = await registrar.register_with(
            platform_id=platform_id, versions_url=args.versions_url, token_a=args.token_a
        )
    print(
        f"Registered with platform {platform.id} ({platform.name}), OCPI {platform.version}, status {platform.status}"
    )
    return 0


# -- keys, privacy --------------------------------------------------------------------------------


async def keys(settings: Settings, args: argparse.Namespace) -> int:
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
        print(
            "ocpi-hub: some tokens open under no configured key: those platforms must register again", file=sys.stderr
        )
        return 1
    return 0


async def privacy(settings: Settings, args: argparse.Namespace) -> int:
    engine = create_engine(settings)
    sessions = session_factory(engine)
    try:
        if args.action == "erase-token":
            personal = PersonalData.from_settings(settings, _vault(settings))
            owner = PartyKey.of(*args.party)
            report = await erase_token(sessions, personal, owner=owner, uid=args.uid)
            print(json.dumps(dataclasses.asdict(report)))
        else:
            pruned = await prune(
                sessions,
                sessions_days=settings.retention_sessions_days,
                cdrs_days=settings.retention_cdrs_days,
                now=datetime.now(UTC),
            )
            print(json.dumps(pruned))
        return 0
    finally:
        await engine.dispose()
