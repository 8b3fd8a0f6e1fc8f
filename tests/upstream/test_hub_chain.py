"""Chains of hubs (checklist item 44): two hubs of this project, each with its own parties,
connected to each other as upstream OCPI hubs (profile `spec`), on real loopback sockets.

Hub A (NL*HUB) connects the CPO NL*CPA, hub B (DE*HBB) the eMSP DE*MS1. B registers at A with
the token A that A's operator issued; each learns the other's parties from its HubClientInfo
pushes, and requests cross both hubs with TO / FROM unchanged end to end.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from starlette.applications import Starlette

from hub.db.db import SessionFactory, create_engine, session_factory
from hub.db.migrate import upgrade
from hub.registration.platforms import PlatformAdmin, parse_role
from hub.registration.upstreams import UpstreamAdmin
from hub.settings import Settings
from hub.token_vault import TokenVault
from hub.types import PartyKey
from tests.conftest import PG_DSN
from tests.fakes.party import FakePlatform
from tests.fakes.serving import free_port, serve_asgi
from tests.flows.test_routing import location
from tests.helpers import running_app

STAMP = "2026-12-05T10:00:00Z"


@dataclass
class Hub:
    app: Starlette
    url: str
    settings: Settings
    sessions: SessionFactory

    @property
    def versions_url(self) -> str:
        return f"{self.url}/ocpi/versions"

    @property
    def platforms(self) -> PlatformAdmin:
        return PlatformAdmin(settings=self.settings, sessions=self.sessions, vault=TokenVault(self.settings.secret_key))

    @property
    def upstreams(self) -> UpstreamAdmin:
        return UpstreamAdmin(self.platforms, self.sessions)

    async def routes_to(self, key: PartyKey) -> list[Any]:
        return list(await self.app.state.hub.routing.entries(key))


async def _wait(predicate: Callable[[], Any], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@pytest.fixture
async def two_hubs(hub_settings: Settings, tmp_path: Path) -> AsyncIterator[tuple[Hub, Hub]]:
    async with AsyncExitStack() as stack:
        hubs = []
        for name, cc, pid in (("a", "NL", "HUB"), ("b", "DE", "HBB")):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            values: dict[str, Any] = {"public_url": url, "country_code": cc, "party_id": pid}
            if hub_settings.database_url.startswith("sqlite"):
                values["database_url"] = f"sqlite+aiosqlite:///{tmp_path / f'hub-{name}.db'}"
            else:
                schema = f"test_{uuid.uuid4().hex[:16]}"
                values["database_schema"] = schema
                stack.push_async_callback(_drop_schema, schema)
            settings = hub_settings.model_copy(update=values)
            await upgrade(settings)
            app = await stack.enter_async_context(running_app(settings))
            await stack.enter_async_context(serve_asgi(app, lifespan="off", port=port))
            engine = create_engine(settings)
            stack.push_async_callback(engine.dispose)
            hubs.append(Hub(app=app, url=url, settings=settings, sessions=session_factory(engine)))
        yield hubs[0], hubs[1]


async def _drop_schema(schema: str) -> None:
    connection = await asyncpg.connect(PG_DSN, timeout=10)
    try:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE', timeout=30)
    finally:
        await connection.close(timeout=10)


async def _party(hub: Hub, role: str, cc: str, pid: str, stack: AsyncExitStack) -> FakePlatform:
    fake = FakePlatform([(role, cc, pid)], name=f"{role} {cc}*{pid}")
    await stack.enter_async_context(fake.serve())
    added = await hub.platforms.add(name=f"{role}-{cc}-{pid}".lower(), roles=[parse_role(f"{role}:{cc}:{pid}")])
    await fake.register_with_hub(hub.versions_url, added.token_a)
    return fake


async def _chain(a: Hub, b: Hub) -> None:
    """A's operator declares B an upstream and gives B's operator a token A; B's operator declares
    A an upstream and lets B register at A with that token."""
    at_a = await a.upstreams.add(name="hub-b", kind="ocpi", profile="spec", hub_role="HUB:DE:HBB")
    at_b = await b.upstreams.add(name="hub-a", kind="ocpi", profile="spec", hub_role="HUB:NL:HUB")
    assert at_b.platform.id is not None
    await b.app.state.hub.registrar.register_with(
        platform_id=at_b.platform.id, versions_url=a.versions_url, token_a=at_a.token_a
    )


async def test_two_hubs_route_to_each_others_parties(two_hubs: tuple[Hub, Hub]) -> None:
    a, b = two_hubs
    async with AsyncExitStack() as stack:
        cpo = await _party(a, "CPO", "NL", "CPA", stack)
        emsp = await _party(b, "EMSP", "DE", "MS1", stack)
        await _chain(a, b)
        # each hub learns the other's party from the other's HubClientInfo push
        msp, cpa = PartyKey.of("DE", "MS1"), PartyKey.of("NL", "CPA")

        async def learned() -> bool:
            return bool(await a.routes_to(msp)) and bool(await b.routes_to(cpa))

        await _wait(learned)
        (route,) = await a.routes_to(msp)
        assert (route.platform.name, route.source) == ("hub-b", "hubclientinfo")

        # CPO on A -> hub A -> hub B -> eMSP on B, TO / FROM unchanged on every hop
        url = f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC1"
        reply = await cpo.request_hub("PUT", url, json=location(), to=("DE", "MS1"))
        assert reply.json()["status_code"] == 1000, reply.text
        (got,) = [r for r in emsp.requests if "/locations/" in r.path]
        assert [got.headers.get(h) for h in ("ocpi-to-country-code", "ocpi-to-party-id")] == ["DE", "MS1"]
        assert [got.headers.get(h) for h in ("ocpi-from-country-code", "ocpi-from-party-id")] == ["NL", "CPA"]
        assert got.path.endswith("/NL/CPA/LOC1")
        # the answer comes back through both hubs with TO = the CPO, FROM = the eMSP
        assert (reply.headers["ocpi-to-party-id"], reply.headers["ocpi-from-party-id"]) == ("CPA", "MS1")

        # and the other way: the eMSP on B reads the CPO's location on A
        cpo.add_object("locations", location())
        back = await emsp.request_hub("GET", f"{emsp.hub_url('locations', 'SENDER')}/LOC1", to=("NL", "CPA"))
        assert back.json()["status_code"] == 1000, back.text
        assert back.json()["data"]["id"] == "LOC1"
        (asked,) = [r for r in cpo.requests if r.method == "GET" and r.path.endswith("/LOC1")]
        assert [asked.headers.get(h) for h in ("ocpi-to-party-id", "ocpi-from-party-id")] == ["CPA", "MS1"]

        # A re-announced DE*MS1 to its CPO; when B says it is gone (SUSPENDED), A drops the route,
        # tells its CPO so, and a request to DE*MS1 is 4001
        def client_infos(status: str) -> list[Any]:
            return [r for r in cpo.requests if r.path.endswith("/DE/MS1") and status.encode() in r.body]

        assert client_infos("CONNECTED")
        hub_b = next(p for p in await _platforms(a) if p.name == "hub-b")
        gone = {"country_code": "DE", "party_id": "MS1", "role": "EMSP", "status": "SUSPENDED", "last_updated": STAMP}
        assert await a.app.state.hub.learner.client_info(platform_id=hub_b.id, key=msp, body=gone)
        await cpo.wait_for(lambda: client_infos("SUSPENDED"))
        assert await a.routes_to(msp) == []
        refused = await cpo.request_hub("PUT", url, json=location(), to=("DE", "MS1"))
        assert refused.json()["status_code"] == 4001, refused.text


async def test_a_hub_never_learns_its_own_party_back_from_an_upstream(two_hubs: tuple[Hub, Hub]) -> None:
    a, b = two_hubs
    async with AsyncExitStack() as stack:
        await _party(a, "CPO", "NL", "CPA", stack)
        await _chain(a, b)
        cpa = PartyKey.of("NL", "CPA")

        async def b_learned() -> bool:
            return bool(await b.routes_to(cpa))

        await _wait(b_learned)
        # B announces what it learned only to its own party platforms, never back to A; and were
        # it to claim NL*CPA, A keeps its direct route only (the loop guard)
        routes = await a.routes_to(cpa)
        assert [r.platform.name for r in routes] == ["cpo-nl-cpa"]
        hub_b = next(p for p in await _platforms(a) if p.name == "hub-b")
        stored = await a.app.state.hub.learner.client_info(
            platform_id=hub_b.id,
            key=cpa,
            body={"country_code": "NL", "party_id": "CPA", "role": "CPO", "status": "CONNECTED", "last_updated": STAMP},
        )
        assert stored is False
        assert [r.platform.name for r in await a.routes_to(cpa)] == ["cpo-nl-cpa"]


async def _platforms(hub: Hub) -> list[Any]:
    from hub.db.repositories import RegistryRepository

    async with hub.sessions() as session:
        return list(await RegistryRepository(session).all_platforms())
