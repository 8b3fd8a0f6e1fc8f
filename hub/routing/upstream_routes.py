"""Routes to parties behind upstream hubs, and pins of flows to routes: their rows and defaults.

`RouteRepository` queries and flushes; the caller's `session_scope` commits. Every change to
routes bumps the registry revision, so every hub process drops its routing cache.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.db import STORAGE_ERRORS, SessionFactory, session_scope
from hub.db.models import Route, RoutePin, utcnow
from hub.types import ConnectionStatus, InterfaceRole, PartyKey, PlatformKind, RouteSource

__all__ = [
    "DEFAULT_PRIORITY",
    "OBSERVED_TTL",
    "OICP_ENDPOINTS",
    "PinBook",
    "RouteRepository",
    "RouteSpec",
]

_log = structlog.get_logger("hub.routing")

# lower = preferred; a direct route is 10 (hub.routing.table.DIRECT_PRIORITY)
DEFAULT_PRIORITY = {PlatformKind.OCPI_UPSTREAM: 20, PlatformKind.OICP_UPSTREAM: 30}
OBSERVED_PRIORITY = 90
OBSERVED_TTL = timedelta(days=7)

# What an OCPI <-> OICP bridge carries (oicp-bridge.md): the OCPI interfaces an OICP upstream offers.
OICP_ENDPOINTS: tuple[tuple[str, InterfaceRole], ...] = (
    ("locations", InterfaceRole.RECEIVER),
    ("tariffs", InterfaceRole.RECEIVER),
    ("tokens", InterfaceRole.SENDER),
    ("commands", InterfaceRole.RECEIVER),
    ("sessions", InterfaceRole.RECEIVER),
    ("cdrs", InterfaceRole.RECEIVER),
)


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """A party behind an upstream, as config, a ClientInfo or observed traffic gives it."""

    key: PartyKey
    role: str
    status: ConnectionStatus = ConnectionStatus.CONNECTED
    source: RouteSource = RouteSource.CONFIG
    priority: int | None = None  # None: the upstream kind's default
    modules: tuple[str, ...] | None = None
    upstream_ids: tuple[str, ...] = ()


class RouteRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_key(self, *, key: PartyKey) -> Sequence[Route]:
        query = select(Route).where(Route.country_code == key.country_code, Route.party_id == key.party_id)
        return (await self.session.exec(query.order_by(col(Route.id)))).all()

    async def of_platform(self, *, platform_id: int) -> Sequence[Route]:
        query = select(Route).where(Route.platform_id == platform_id).order_by(col(Route.id))
        return (await self.session.exec(query)).all()

    async def all(self) -> Sequence[Route]:
        return (await self.session.exec(select(Route).order_by(col(Route.id)))).all()

    async def upsert(self, *, platform_id: int, kind: PlatformKind, spec: RouteSpec) -> tuple[Route, bool]:
        """Insert or update the route; returns it and whether its status or existence changed.
        An observed route never overrides a route from another source."""
        query = select(Route).where(
            Route.platform_id == platform_id,
            Route.country_code == spec.key.country_code,
            Route.party_id == spec.key.party_id,
            Route.role == spec.role.upper(),
        )
        route = (await self.session.exec(query)).first()
        now = utcnow()
        observed = spec.source is RouteSource.OBSERVED
        if route is not None and observed and route.source != RouteSource.OBSERVED.value:
            route.last_traffic_at = now
            self.session.add(route)
            await self.session.flush()
            return route, False
        changed = route is None or route.status != spec.status.value
        if route is None:
            route = Route(
                platform_id=platform_id,
                country_code=spec.key.country_code,
                party_id=spec.key.party_id,
                role=spec.role.upper(),
                priority=0,
                status=spec.status.value,
                source=spec.source.value,
            )
        route.priority = spec.priority or (OBSERVED_PRIORITY if observed else DEFAULT_PRIORITY.get(kind, 50))
        route.status = spec.status.value
        route.source = spec.source.value
        route.modules = list(spec.modules) if spec.modules is not None else None
        route.upstream_ids = list(spec.upstream_ids) or None
        route.expires_at = now + OBSERVED_TTL if observed else None
        route.last_traffic_at = now if observed else route.last_traffic_at
        route.updated_at = now
        self.session.add(route)
        await self.session.flush()
        return route, changed

    async def remove(self, *, platform_id: int, key: PartyKey, role: str | None = None) -> list[Route]:
        """Delete the routes to `key` (one role, or all) through the platform; returns them."""
        removed = [
            r
            for r in await self.by_key(key=key)
            if r.platform_id == platform_id and (role is None or r.role == role.upper())
        ]
        for route in removed:
            await self.session.delete(route)
        await self.session.flush()
        return removed

    async def replace_from(
        self, *, platform_id: int, kind: PlatformKind, source: RouteSource, specs: Iterable[RouteSpec]
    ) -> list[Route]:
        """Make the routes of `source` through `platform_id` exactly `specs` (config reload);
        returns the routes removed."""
        wanted = {(s.key, s.role.upper()): s for s in specs}
        removed = []
        for route in await self.of_platform(platform_id=platform_id):
            key = PartyKey.of(route.country_code, route.party_id)
            if route.source == source.value and (key, route.role) not in wanted:
                await self.session.delete(route)
                removed.append(route)
        for spec in wanted.values():
            await self.upsert(platform_id=platform_id, kind=kind, spec=spec)
        await self.session.flush()
        return removed

    # --- pins ---------------------------------------------------------------------------------

    async def pinned(self, *, pin_key: str) -> int | None:
        pin = (await self.session.exec(select(RoutePin).where(RoutePin.pin_key == pin_key))).first()
        return pin.platform_id if pin is not None else None

    async def pin(self, *, pin_key: str, platform_id: int) -> None:
        """Pin once: a flow's first route stays its route (a later pin for the key is ignored)."""
        if await self.pinned(pin_key=pin_key) is None:
            self.session.add(RoutePin(pin_key=pin_key, platform_id=platform_id))
            await self.session.flush()

    async def forget_pins(self, *, older_than: datetime) -> int:
        result = await self.session.exec(delete(RoutePin).where(col(RoutePin.created_at) < older_than))
        return int(result.rowcount or 0)


class PinBook:
    """Writes pins (`RouteRepository.pin`) in their own transaction; a pin another request or
    process wrote first wins (the unique key refuses the second)."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def pin(self, pin_key: str, platform_id: int) -> None:
        try:
            async with session_scope(self._sessions) as session:
                await RouteRepository(session).pin(pin_key=pin_key, platform_id=platform_id)
        except IntegrityError:
            return
        except STORAGE_ERRORS as exc:  # the answer stands; a later follow-up may take another route
            _log.warning("route_pin_not_stored", error=type(exc).__name__)
