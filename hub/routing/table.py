"""The routing table: party key -> the platforms that can receive for it, from a cache.

Entries carry everything the forwarder needs (endpoint URLs, the receiver's token, its
encoding and timeout), so a routed request needs no database read while the cache is warm.
The cache is cleared when the registry changes (this process, the CLI or another process:
`hub.registry_watch`).
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.cache import AsyncTTLCache
from hub.db.db import SessionFactory
from hub.db.repositories import RegistryRepository
from hub.token_vault import TokenVault
from hub.types import ConnectionStatus, InterfaceRole, PartyKey, Role, TokenEncoding

__all__ = ["PlatformRoute", "RouteEntry", "RoutingTable"]


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

    def endpoint(self, module: str, interface: InterfaceRole) -> str | None:
        return self.endpoints.get((module, interface.value))


@dataclass(frozen=True, slots=True)
class RouteEntry:
    """A party (key + role) and the platform serving it."""

    key: PartyKey
    role: Role
    platform: PlatformRoute


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
        entries = []
        for party in parties:
            platform = await self.platform(party.platform_id)
            if platform is not None:
                entries.append(RouteEntry(key=key, role=Role(party.role), platform=platform))
        return tuple(entries) or None

    async def _load_platform(self, platform_id: int) -> PlatformRoute | None:
        async with self._sessions() as session:
            repo = RegistryRepository(session)
            platform = await repo.get(platform_id=platform_id)
            if platform is None:
                return None
            endpoints = await repo.endpoints(platform_id=platform_id)
        token = self._vault.decrypt(platform.outbound_token_enc) if platform.outbound_token_enc else None
        return PlatformRoute(
            platform_id=platform_id,
            name=platform.name,
            status=ConnectionStatus(platform.status),
            version=platform.version,
            endpoints={(e.module, e.interface_role): e.url for e in endpoints},
            token=token,
            encoding=TokenEncoding(platform.token_encoding),
            timeout_seconds=platform.timeout_seconds,
            alternates=tuple(platform.alternate_origins or ()),
        )
