"""The routing table: party key -> the routes that can reach it, from a cache.

A route is a party (key + role) and the platform that carries requests to it: the party's own
platform (a direct route: the `party` table, from the credentials handshake), or an upstream hub
(the `route` table: from config, HubClientInfo, an upstream's credentials roles, or observed
traffic). Entries come sorted by priority (lower first: direct 10, OCPI upstream 20, OICP
upstream 30 by default). Loop guard: a party some platform registered directly is never reached
through an upstream; upstream routes for its key and role are dropped here.

Entries carry everything the forwarder needs (endpoint URLs, the receiver's token, its
encoding and timeout), so a routed request needs no database read while the cache is warm.
The cache is cleared when the registry changes (this process, the CLI or another process:
`hub.registry_watch`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hub.cache import AsyncTTLCache
from hub.db.db import SessionFactory
from hub.db.models import utcnow
from hub.db.repositories import RegistryRepository
from hub.routing.upstream_routes import OICP_ENDPOINTS, RouteRepository
from hub.token_vault import TokenVault
from hub.types import ConnectionStatus, InterfaceRole, PartyKey, PlatformKind, Role, RouteSource, TokenEncoding

__all__ = ["DIRECT_PRIORITY", "DIRECT_SOURCE", "PlatformRoute", "RouteEntry", "RoutingTable"]

DIRECT_PRIORITY = 10
DIRECT_SOURCE = "handshake"


@dataclass(frozen=True, slots=True)
class PlatformRoute:
    """One receiving platform as the forwarder sees it."""

    platform_id: int
    name: str
    status: ConnectionStatus
    version: str | None
    endpoints: dict[tuple[str, str], str]
    token: str | None
    encoding: TokenEncoding
    timeout_seconds: float | None
    alternates: tuple[str, ...] = ()
    kind: PlatformKind = PlatformKind.PARTY
    profile: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def endpoint(self, module: str, interface: InterfaceRole) -> str | None:
        return self.endpoints.get((module, interface.value))

    @property
    def usable(self) -> bool:
        """CONNECTED, and able to authenticate to it (an OICP upstream needs no OCPI token)."""
        if self.status is not ConnectionStatus.CONNECTED:
            return False
        return self.token is not None or self.kind is PlatformKind.OICP_UPSTREAM

    @property
    def upstream(self) -> bool:
        return self.kind is not PlatformKind.PARTY


@dataclass(frozen=True, slots=True)
class RouteEntry:
    """A party (key + role) and the platform that carries requests to it."""

    key: PartyKey
    role: Role
    platform: PlatformRoute
    priority: int = DIRECT_PRIORITY
    source: str = DIRECT_SOURCE
    status: ConnectionStatus | None = None  # the route's own status (ClientInfo of an upstream); None: direct
    modules: frozenset[str] | None = None  # the modules the route carries; None: every module
    upstream_ids: tuple[str, ...] = ()

    @property
    def connected(self) -> bool:
        return self.platform.usable and self.status in (None, ConnectionStatus.CONNECTED)

    @property
    def effective_status(self) -> ConnectionStatus:
        if self.platform.status is not ConnectionStatus.CONNECTED or self.status is None:
            return self.platform.status
        return self.status

    def carries(self, module: str, interface: InterfaceRole) -> str | None:
        """The endpoint URL for (module, interface) if this route carries it."""
        if self.modules is not None and module not in self.modules:
            return None
        return self.platform.endpoint(module, interface)


class RoutingTable:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        vault: TokenVault,
        maxsize: int,
        ttl: float,
        negative_ttl: float,
        stale_seconds: float = 0.0,
    ) -> None:
        self._sessions = sessions
        self._vault = vault
        self._by_key: AsyncTTLCache[PartyKey, tuple[RouteEntry, ...]] = AsyncTTLCache(
            maxsize=maxsize, ttl=ttl, negative_ttl=negative_ttl, stale_seconds=stale_seconds
        )
        self._by_platform: AsyncTTLCache[int, PlatformRoute] = AsyncTTLCache(
            maxsize=maxsize, ttl=ttl, negative_ttl=negative_ttl, stale_seconds=stale_seconds
        )

    def invalidate(self) -> None:
        self._by_key.clear()
        self._by_platform.clear()

    async def entries(self, key: PartyKey) -> tuple[RouteEntry, ...]:
        return await self._by_key.get(key, self._load_entries) or ()

    async def platform(self, platform_id: int) -> PlatformRoute | None:
        return await self._by_platform.get(platform_id, self._load_platform)

    async def _load_entries(self, key: PartyKey) -> tuple[RouteEntry, ...] | None:
        async with self._sessions() as session:
            parties = await RegistryRepository(session).parties_by_key(key=key)
            routes = await RouteRepository(session).by_key(key=key)
        entries = []
        direct_roles = set()
        for party in parties:
            platform = await self.platform(party.platform_id)
            if platform is not None and platform.kind is PlatformKind.PARTY:
                entries.append(RouteEntry(key=key, role=Role(party.role), platform=platform))
                direct_roles.add(party.role)
        now = utcnow()
        for route in routes:
            if route.role in direct_roles:  # loop guard: a party we connect directly
                continue
            if route.expires_at is not None and route.expires_at <= now:
                continue
            platform = await self.platform(route.platform_id)
            if platform is None or platform.kind is PlatformKind.PARTY:
                continue
            entries.append(
                RouteEntry(
                    key=key,
                    role=Role(route.role),
                    platform=platform,
                    priority=route.priority,
                    source=route.source,
                    status=ConnectionStatus(route.status),
                    modules=frozenset(route.modules) if route.modules is not None else None,
                    upstream_ids=tuple(route.upstream_ids or ()),
                )
            )
        entries.sort(key=lambda e: (e.priority, e.source == RouteSource.OBSERVED.value))
        return tuple(entries) or None

    async def _load_platform(self, platform_id: int) -> PlatformRoute | None:
        async with self._sessions() as session:
            repo = RegistryRepository(session)
            platform = await repo.get(platform_id=platform_id)
            if platform is None:
                return None
            endpoints = await repo.endpoints(platform_id=platform_id)
        token = self._vault.decrypt(platform.outbound_token_enc) if platform.outbound_token_enc else None
        kind = PlatformKind(platform.kind)
        options = dict(platform.options or {})
        urls = {(e.module, e.interface_role): e.url for e in endpoints}
        if kind is PlatformKind.OICP_UPSTREAM:
            base = str(options.get("base_url", "")).rstrip("/")
            urls = (
                {(m, i.value): f"{base}/ocpi-bridge/{m}/{i.value.lower()}" for m, i in OICP_ENDPOINTS} if base else {}
            )
        return PlatformRoute(
            platform_id=platform_id,
            name=platform.name,
            status=ConnectionStatus(platform.status),
            version=platform.version,
            endpoints=urls,
            token=token,
            encoding=TokenEncoding(platform.token_encoding),
            timeout_seconds=platform.timeout_seconds,
            alternates=tuple(platform.alternate_origins or ()),
            kind=kind,
            profile=platform.profile,
            options=options,
        )
