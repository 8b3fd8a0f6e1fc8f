"""Operator actions on upstream hubs: add one (an OCPI hub, profile `spec` or `gireve`, or an OICP
hub), declare the parties reachable through it, list and show them with route health, remove.

An upstream is a platform of kind `ocpi_upstream` / `oicp_upstream` whose own party has role HUB.
An OCPI upstream connects by the credentials handshake like any platform (with the token A
printed here, or `ocpi-hub platforms register` for the hub to initiate); an OICP upstream has no
handshake: it is CONNECTED once its `base_url` is set. Parties declared here are routes with
source `config`; others come from the upstream's HubClientInfo (`hub.ingress.hubclientinfo`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hub.db.db import SessionFactory, session_scope
from hub.db.models import Platform, Route
from hub.db.repositories import PartySpec, RegistryRepository
from hub.errors import InvalidParameters
from hub.liveness.clientinfo import enqueue_route_change
from hub.registration.platforms import Added, PlatformAdmin, parse_role
from hub.routing.upstream_routes import RouteRepository, RouteSpec
from hub.types import ConnectionStatus, PlatformKind, RouteSource

__all__ = ["UpstreamAdmin", "UpstreamView", "parse_route"]

_KINDS = {"ocpi": PlatformKind.OCPI_UPSTREAM, "oicp": PlatformKind.OICP_UPSTREAM}
_PROFILES = {PlatformKind.OCPI_UPSTREAM: ("spec", "gireve"), PlatformKind.OICP_UPSTREAM: ("hubject",)}


def parse_route(text: str) -> RouteSpec:
    """`EMSP:DE:MS1` or `CPO:FR:AB1=FR*AB1,FR*AB2` (the party's ids at the upstream after `=`)."""
    party, _, ids = text.partition("=")
    spec = parse_role(party)
    upstream_ids = tuple(i.strip() for i in ids.split(",") if i.strip())
    return RouteSpec(key=spec.key, role=spec.role, upstream_ids=upstream_ids)


@dataclass(frozen=True, slots=True)
class UpstreamView:
    platform: Platform
    routes: list[Route]


class UpstreamAdmin:
    def __init__(self, platforms: PlatformAdmin, sessions: SessionFactory) -> None:
        self._platforms = platforms
        self._sessions = sessions

    async def add(
        self,
        *,
        name: str,
        kind: str,
        hub_role: str,
        profile: str | None = None,
        routes: list[RouteSpec] | None = None,
        options: dict[str, Any] | None = None,
        timeout_seconds: float | None = None,
    ) -> Added:
        platform_kind = _KINDS.get(kind)
        if platform_kind is None:
            raise InvalidParameters(f"Upstream kind must be one of {', '.join(_KINDS)}")
        profiles = _PROFILES[platform_kind]
        profile = profile or profiles[0]
        if profile not in profiles:
            raise InvalidParameters(f"Profile of a {kind} upstream must be one of {', '.join(profiles)}")
        hub = parse_role(hub_role, allow_hub=True)
        if hub.role != "HUB":
            raise InvalidParameters("The upstream's own party must have role HUB, e.g. HUB:FR:007")
        options = dict(options or {})
        if platform_kind is PlatformKind.OICP_UPSTREAM:
            base = str(options.get("base_url", ""))
            if not base.startswith(("https://", "http://")):
                raise InvalidParameters("An OICP upstream needs --option base_url=https://...")
        await self._check_not_direct(routes or [])  # before anything is stored
        options.setdefault("hub_country_code", hub.country_code)
        options.setdefault("hub_party_id", hub.party_id)
        added = await self._platforms.add(
            name=name,
            roles=[PartySpec(role="HUB", country_code=hub.country_code, party_id=hub.party_id)],
            kind=platform_kind,
            profile=profile,
            options=options,
            timeout_seconds=timeout_seconds,
        )
        assert added.platform.id is not None
        if platform_kind is PlatformKind.OICP_UPSTREAM:
            await self._connect_oicp(added.platform.id)
        await self.set_routes(platform_id=added.platform.id, routes=routes or [])
        return added

    async def _connect_oicp(self, platform_id: int) -> None:
        async with session_scope(self._sessions) as session:
            repo = RegistryRepository(session)
            platform = await repo.get(platform_id=platform_id)
            assert platform is not None
            platform.token_a_hash = None
            platform.set_status(ConnectionStatus.CONNECTED)
            await repo.save(platform)
            await repo.bump_revision()

    async def set_routes(self, *, platform_id: int, routes: list[RouteSpec]) -> list[Route]:
        """Make the configured routes through this upstream exactly `routes` (parties another
        platform connects directly are refused: the loop guard)."""
        async with session_scope(self._sessions) as session:
            registry = RegistryRepository(session)
            platform = await self._upstream(registry, platform_id)
            await self._check_not_direct(routes, registry)
            repo = RouteRepository(session)
            kind = PlatformKind(platform.kind)
            removed = await repo.replace_from(
                platform_id=platform_id, kind=kind, source=RouteSource.CONFIG, specs=routes
            )
            # removed routes are announced with the best status left (SUSPENDED when none is)
            for row in [*removed, *await repo.of_platform(platform_id=platform_id)]:
                await enqueue_route_change(session, route=row, upstream=platform)
            await registry.bump_revision()
            return list(await repo.of_platform(platform_id=platform_id))

    async def list(self) -> list[UpstreamView]:
        async with self._sessions() as session:
            platforms = [p for p in await RegistryRepository(session).all_platforms() if p.kind != PlatformKind.PARTY]
            repo = RouteRepository(session)
            return [UpstreamView(p, list(await repo.of_platform(platform_id=p.id or 0))) for p in platforms]

    async def show(self, *, platform_id: int) -> UpstreamView:
        async with self._sessions() as session:
            platform = await self._upstream(RegistryRepository(session), platform_id)
            return UpstreamView(platform, list(await RouteRepository(session).of_platform(platform_id=platform_id)))

    async def _check_not_direct(self, routes: Sequence[RouteSpec], registry: RegistryRepository | None = None) -> None:
        """Loop guard: a party some platform connects directly is never routed through an upstream."""
        if registry is None:
            async with self._sessions() as session:
                return await self._check_not_direct(routes, RegistryRepository(session))
        owners = await registry.owners_of(keys=[r.key for r in routes])
        for route in routes:
            if route.key in owners:
                raise InvalidParameters(f"Party {route.key} is connected to this hub directly")
        return None

    @staticmethod
    async def _upstream(repo: RegistryRepository, platform_id: int) -> Platform:
        platform = await repo.get(platform_id=platform_id)
        if platform is None or platform.kind == PlatformKind.PARTY.value:
            raise InvalidParameters(f"No upstream hub with id {platform_id}")
        return platform
