"""Serving fake platforms for latency measurements: like `tests.fakes.serving.serve_asgi`, but
the listening socket is created with proto IPPROTO_TCP.

asyncio sets TCP_NODELAY on accepted connections only when the listening socket's `proto` is
IPPROTO_TCP (asyncio.base_events._set_nodelay); `socket.socket(AF_INET, SOCK_STREAM)` has
proto 0, so every reply after the first on a keep-alive connection waits for the peer's delayed
ACK (~40 ms on Linux). That would hide the hub's latency behind the fakes' own, so the fault
suite serves its fakes here. A fake can be stopped (its port then refuses connections) and
started again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn

from hub.tasks import TaskGroup
from tests.fakes.party import FakePlatform

__all__ = ["FakeHost"]


class _Server(uvicorn.Server):
    """No signal handlers (pytest keeps Ctrl-C), and it stops as soon as asked."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.stop_requested = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def main_loop(self) -> None:
        await self.on_tick(0)
        await self.stop_requested.wait()


@dataclass
class _Running:
    server: _Server
    task: asyncio.Task[Any]
    sock: socket.socket


class FakeHost:
    """`await host.start(fake)` serves a FakePlatform on 127.0.0.1 (sets `fake.base_url`);
    `await host.stop(fake)` takes it off the network; `await host.start(fake, port=...)` brings
    it back where the hub knows it. `aclose()` stops everything (fixture teardown)."""

    def __init__(self) -> None:
        self._tasks = TaskGroup()
        self._running: dict[int, _Running] = {}
        self.ports: dict[int, int] = {}

    def port_of(self, fake: FakePlatform) -> int:
        return self.ports[id(fake)]

    async def start(self, fake: FakePlatform, *, port: int | None = None) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port or 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            fake.app,
            lifespan="off",
            log_config=None,
            log_level="warning",
            access_log=False,
            ws="none",
            timeout_graceful_shutdown=2,
        )
        server = _Server(config)
        task = self._tasks.spawn(server.serve(sockets=[sock]), name=f"fake:{port}")
        self._running[id(fake)] = _Running(server, task, sock)
        self.ports[id(fake)] = port
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("uvicorn exited before it started")
                await asyncio.sleep(0.005)
        fake.base_url = f"http://127.0.0.1:{port}"
        return fake.base_url

    async def stop(self, fake: FakePlatform) -> None:
        running = self._running.pop(id(fake), None)
        if running is None:
            return
        running.server.should_exit = True
        running.server.stop_requested.set()
        try:
            async with asyncio.timeout(10):
                await running.task
        finally:
            running.sock.close()

    async def aclose(self, fakes: list[FakePlatform]) -> None:
        for fake in fakes:
            await self.stop(fake)
            await fake.aclose()
        await self._tasks.aclose()
