"""Fixtures of the fault suite (the suite-wide ones are in tests/conftest.py).

raw_server      await raw_server("500") -> a started RawServer; every one is stopped at teardown
fakes           Fakes: await fakes.start(roles, **FakePlatform kwargs) -> a served FakePlatform
                (TCP_NODELAY, see tests/faults/serving.py); fakes.stop(fake) / fakes.restart(fake)
steady          async with steady(send) as traffic: background traffic until the block ends
world           await world({"HUB_...": ...}) -> Cast: the hub as a process with that environment
                (plus JSON logs) and four fakes registered with it (tests.faults.harness.Cast)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from hub.registration.platforms import PlatformAdmin
from hub.tasks import TaskGroup
from tests.fakes.party import FakePlatform
from tests.faults.harness import (
    Cast,
    StartRaw,
    Steady,
    Traffic,
    make_cast,
)
from tests.faults.servers import RawServer
from tests.faults.serving import FakeHost
from tests.helpers import HubProcess


class Fakes:
    """Fake platforms served on 127.0.0.1 for one test."""

    def __init__(self) -> None:
        self.host = FakeHost()
        self.started: list[FakePlatform] = []

    async def start(self, roles: list[tuple[str, str, str]], **kwargs: Any) -> FakePlatform:
        fake = FakePlatform(roles, **kwargs)
        self.started.append(fake)
        await self.host.start(fake)
        return fake

    async def stop(self, fake: FakePlatform) -> None:
        """Off the network: its port refuses connections until `restart`."""
        await self.host.stop(fake)

    async def restart(self, fake: FakePlatform) -> None:
        await self.host.start(fake, port=self.host.port_of(fake))


@pytest.fixture
async def raw_server() -> AsyncIterator[StartRaw]:
    started: list[RawServer] = []

    async def start(mode: str = "ok", **kwargs: Any) -> RawServer:
        server = RawServer(mode, **kwargs)
        started.append(server)
        await server.start()
        return server

    try:
        yield start
    finally:
        for server in started:
            await server.stop()


@pytest.fixture
async def fakes() -> AsyncIterator[Fakes]:
    served = Fakes()
    try:
        yield served
    finally:
        await served.host.aclose(served.started)


@pytest.fixture
async def steady() -> AsyncIterator[Steady]:
    """`async with steady(send, workers=2, gap=0.005, cap=3000) as traffic:` sends `send(n)`
    in the background while the block runs, and stops (waiting for requests in flight) when
    it ends. `cap` bounds the number of requests."""
    tasks = TaskGroup()

    @asynccontextmanager
    async def run(
        send: Callable[[int], Awaitable[httpx.Response]], *, workers: int = 2, gap: float = 0.005, cap: int = 3000
    ) -> AsyncIterator[Traffic]:
        traffic, stop = Traffic(), asyncio.Event()
        task = tasks.spawn(traffic.run(send, count=cap, workers=workers, gap=gap, until=stop), name="steady")
        try:
            yield traffic
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=30)

    try:
        yield run
    finally:
        await tasks.aclose()


World = Callable[..., Awaitable[Cast]]


@pytest.fixture
def world(start_hub: Callable[..., Awaitable[HubProcess]], admin: PlatformAdmin, fakes: Fakes) -> World:
    async def make(env: dict[str, str] | None = None) -> Cast:
        hub = await start_hub(extra_env={"HUB_LOG_FORMAT": "json"} | (env or {}))
        return await make_cast(hub, admin, fakes.start)

    return make
