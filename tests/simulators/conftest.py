"""Fixtures for the simulators' tests.

sim_hub         the hub app in this process on a fresh SQLite file, payload validation strict
                (a simulator payload the hub's models reject fails the test); SQLite only: these
                tests are about the simulators, the hub's storage backends are tested elsewhere
hub_transport   {"http://hub.test": ASGITransport(sim_hub.app)} for the simulators' HTTP client
make_cpo/make_emsp  started simulators reaching the in-process hub (stopped at teardown)
connect         await connect(cpo, emsp, ...): declare at the hub and register each one
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from hub.db.db import create_engine, session_factory
from hub.db.migrate import upgrade
from hub.registration.platforms import PlatformAdmin, parse_role
from hub.settings import Settings
from hub.token_vault import TokenVault
from simulators import SimulatedCpo, SimulatedEmsp
from simulators.platform import OcpiPlatform
from tests.helpers import HUB_URL, HUB_VERSIONS_URL, TEST_SECRET, running_app


@dataclass
class SimHub:
    app: Starlette
    settings: Settings
    admin: PlatformAdmin

    def transport(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(mounts={HUB_URL: httpx.ASGITransport(app=self.app)}, timeout=10.0)


@pytest.fixture
async def sim_hub(tmp_path: Path) -> AsyncIterator[SimHub]:
    settings = Settings(
        public_url=HUB_URL,
        secret_key=TEST_SECRET,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}",
        registry_poll_seconds=0.2,
        dispatcher_poll_seconds=0.1,
        validation_mode="strict",
        outbound_allow_loopback=True,  # the simulators listen on loopback (development policy)
    )
    await upgrade(settings)
    engine = create_engine(settings)
    try:
        async with running_app(settings) as app:
            yield SimHub(
                app,
                settings,
                PlatformAdmin(
                    settings=settings, sessions=session_factory(engine), vault=TokenVault(settings.secret_key)
                ),
            )
    finally:
        await engine.dispose()


MakeSim = Callable[..., Awaitable[Any]]


@pytest.fixture
async def started() -> AsyncIterator[list[OcpiPlatform]]:
    platforms: list[OcpiPlatform] = []
    try:
        yield platforms
    finally:
        for platform in platforms:
            await platform.stop()


@pytest.fixture
def make_cpo(sim_hub: SimHub, started: list[OcpiPlatform]) -> MakeSim:
    async def make(**kwargs: Any) -> SimulatedCpo:
        kwargs.setdefault("client", sim_hub.transport())
        cpo = SimulatedCpo(**kwargs)
        await cpo.start()
        started.append(cpo)
        return cpo

    return make


@pytest.fixture
def make_emsp(sim_hub: SimHub, started: list[OcpiPlatform]) -> MakeSim:
    async def make(**kwargs: Any) -> SimulatedEmsp:
        kwargs.setdefault("client", sim_hub.transport())
        emsp = SimulatedEmsp(**kwargs)
        await emsp.start()
        started.append(emsp)
        return emsp

    return make


@pytest.fixture
def connect(sim_hub: SimHub) -> Callable[..., Awaitable[None]]:
    async def run(*platforms: OcpiPlatform, timeout_seconds: float | None = None) -> None:
        for platform in platforms:
            roles = [parse_role(f"{p.role.value}:{p.key.country_code}:{p.key.party_id}") for p in platform.parties]
            added = await sim_hub.admin.add(name=platform.name, roles=roles, timeout_seconds=timeout_seconds)
            await platform.register(HUB_VERSIONS_URL, added.token_a)

    return run
