"""HubClientInfo push (mod_hub_client_info.asciidoc 50-60): on every status change of a
platform, the hub PUTs the ClientInfo of each of its parties to every other CONNECTED
platform that implements the hubclientinfo RECEIVER interface; a platform that becomes
CONNECTED also receives the ClientInfo of every other party. No routing headers (a
configuration module). Written as outbox rows in the caller's transaction.

Ordering: the rows a status change causes must be written after every change that committed
before it, or a newcomer registering while another platform registers could be told the other
one's old status (PLANNED) and never its CONNECTED. `enqueue_status_change` therefore takes a
lock before it reads who is CONNECTED: on PostgreSQL a transaction-scoped advisory lock (READ
COMMITTED: every statement after it sees what the previous holder committed); SQLite has one
writer, and every caller has written (the status) before it calls here, so it holds that lock
already. Rows to one receiver are delivered in id order, so the last ClientInfo a platform gets
about a party is the party's status as of the latest change.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.models import OutboxMessage, Party, Platform, Route
from hub.db.repositories import RegistryRepository
from hub.ocpi.envelope import ocpi_timestamp
from hub.ocpi.headers import new_message_id
from hub.routing.upstream_routes import RouteRepository
from hub.types import ConnectionStatus, InterfaceRole, PartyKey, PlatformKind

__all__ = ["client_info", "enqueue_route_change", "enqueue_status_change", "platform_queue"]

MODULE = "hubclientinfo"
_LOCK_KEY = 0x6F637069_0064  # pg_advisory_xact_lock key of "status changes and their ClientInfo rows"


def platform_queue(platform_id: int) -> str:
    """The outbox queue (`receiver_key`) of messages to a platform as a whole (not to one party)."""
    return f"platform:{platform_id}"


def client_info(party: Party, platform: Platform) -> dict[str, Any]:
    return {
        "party_id": party.party_id,
        "country_code": party.country_code,
        "role": party.role,
        "status": platform.status,
        "last_updated": ocpi_timestamp(platform.status_changed_at),
    }


async def _receivers(repo: RegistryRepository, *, exclude: int) -> list[Platform]:
    found = []
    for platform in await repo.all_platforms():
        if platform.id == exclude or platform.status != ConnectionStatus.CONNECTED.value:
            continue
        if platform.id is None or not platform.outbound_token_enc:
            continue
        endpoints = await repo.endpoints(platform_id=platform.id)
        if any(e.module == MODULE and e.interface_role == InterfaceRole.RECEIVER.value for e in endpoints):
            found.append(platform)
    return found


def _message(receiver_id: int, party: Party | Route, body: dict[str, Any]) -> OutboxMessage:
    return OutboxMessage(
        kind="clientinfo",
        receiver_key=platform_queue(receiver_id),
        receiver_platform_id=receiver_id,
        module=MODULE,
        interface_role=InterfaceRole.RECEIVER.value,
        method="PUT",
        rest=f"{party.country_code}/{party.party_id}",
        body=orjson.dumps(body).decode(),
        correlation_id=new_message_id(),
    )


async def enqueue_status_change(session: AsyncSession, *, platform: Platform) -> int:
    """Queue the ClientInfo PUTs a status change of `platform` causes; returns how many."""
    assert platform.id is not None
    await _serialize(session)
    repo = RegistryRepository(session)
    parties = list(await repo.parties(platform_id=platform.id))
    receivers = await _receivers(repo, exclude=platform.id)
    count = 0
    for receiver in receivers:
        assert receiver.id is not None
        for party in parties:
            session.add(_message(receiver.id, party, client_info(party, platform)))
            count += 1
    if platform.kind != PlatformKind.PARTY.value:  # the parties behind it follow its status
        for route in await RouteRepository(session).of_platform(platform_id=platform.id):
            count += await _announce_route(session, route, upstream=platform)
    if platform.status == ConnectionStatus.CONNECTED.value and any(
        e.module == MODULE and e.interface_role == InterfaceRole.RECEIVER.value
        for e in await repo.endpoints(platform_id=platform.id)
    ):
        others = {p.id: p for p in await repo.all_platforms() if p.id != platform.id}
        for party in await repo.all_parties():
            other = others.get(party.platform_id)
            if other is not None:
                session.add(_message(platform.id, party, client_info(party, other)))
                count += 1
        if platform.kind == PlatformKind.PARTY.value:  # parties behind upstream hubs, to party platforms
            for route in await RouteRepository(session).all():
                if route.platform_id in others:
                    status = await _best_status(session, PartyKey.of(route.country_code, route.party_id))
                    session.add(_message(platform.id, route, _route_info(route, status)))
                    count += 1
    await session.flush()
    return count


async def enqueue_route_change(session: AsyncSession, *, route: Route, upstream: Platform) -> int:
    """Re-announce a party reachable through an upstream hub (upstream reference §3.2.7) to the
    party platforms, with the best status of its routes (OFFLINE only when every route is down).
    Never to upstream hubs: a party learned from one hub is not offered to another (no loops)."""
    await _serialize(session)
    count = await _announce_route(session, route, upstream=upstream)
    await session.flush()
    return count


async def _announce_route(session: AsyncSession, route: Route, *, upstream: Platform) -> int:
    repo = RegistryRepository(session)
    key = PartyKey.of(route.country_code, route.party_id)
    if await repo.parties_by_key(key=key):
        return 0  # a party connected directly is announced by its own platform
    status = await _best_status(session, key)
    count = 0
    for receiver in await _receivers(repo, exclude=upstream.id or 0):
        if receiver.kind == PlatformKind.PARTY.value:
            assert receiver.id is not None
            session.add(_message(receiver.id, route, _route_info(route, status)))
            count += 1
    return count


async def _best_status(session: AsyncSession, key: PartyKey) -> str:
    """CONNECTED if any route to the party is; else the status of the first route."""
    repo = RegistryRepository(session)
    statuses = []
    for route in await RouteRepository(session).by_key(key=key):
        platform = await repo.get(platform_id=route.platform_id)
        if platform is not None:
            connected = platform.status == ConnectionStatus.CONNECTED.value
            statuses.append(route.status if connected else platform.status)
    if ConnectionStatus.CONNECTED.value in statuses:
        return ConnectionStatus.CONNECTED.value
    return statuses[0] if statuses else ConnectionStatus.SUSPENDED.value


def _route_info(route: Route, status: str) -> dict[str, Any]:
    return {
        "party_id": route.party_id,
        "country_code": route.country_code,
        "role": route.role,
        "status": status,
        "last_updated": ocpi_timestamp(route.updated_at),
    }


async def _serialize(session: AsyncSession) -> None:
    """One status change at a time writes its rows (see the module docstring)."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
