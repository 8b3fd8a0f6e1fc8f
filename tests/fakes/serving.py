"""Serve any ASGI app on a real loopback socket, inside the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any, Literal

import uvicorn

from hub.tasks import TaskGroup

__all__ = ["free_port", "serve_asgi"]

_STARTUP_SECONDS = 10.0


def free_port() -> int:
    """A TCP port that was free a moment ago (for processes that must bind it themselves)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _Server(uvicorn.Server):
    """uvicorn.Server for tests: it leaves signal handlers alone (Ctrl-C stays pytest's, and
    servers started in one test may stop in any order; uvicorn restores handlers LIFO), and it
    stops as soon as asked instead of at its next 0.1 s tick."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.stop_requested = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def main_loop(self) -> None:
        await self.on_tick(0)  # sets the Date and Server headers once
        await self.stop_requested.wait()


@asynccontextmanager
async def serve_asgi(
    app: Any,
    *,
    lifespan: Literal["auto", "on", "off"] = "auto",
    port: int | None = None,
    config: uvicorn.Config | None = None,
    **options: Any,
) -> AsyncIterator[str]:
    """Run `app` with uvicorn on 127.0.0.1 and yield its base URL (`http://127.0.0.1:<port>`,
    `https://` when served with TLS).

    `options` are further uvicorn.Config arguments (e.g. `ssl_certfile`, `ssl_keyfile`); `config`
    serves a Config built elsewhere instead (e.g. `hub.server.server_config(settings, app=...)`).
    The socket is bound before uvicorn starts, so the port cannot be taken by someone else;
    the server runs as a background task with a kept reference and is shut down cleanly.
    """
    # IPPROTO_TCP (not 0): asyncio sets TCP_NODELAY only on sockets of that proto, and without it each
    # reply on a kept-alive connection waits ~40 ms for a delayed ACK (Nagle)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port or 0))
    port = sock.getsockname()[1]
    if config is None:
        config = uvicorn.Config(
            app,
            lifespan=lifespan,
            log_config=None,  # leave the test process's logging alone
            log_level="warning",
            access_log=False,
            ws="none",
            timeout_graceful_shutdown=5,
            **options,
        )
    server = _Server(config)
    tasks = TaskGroup()
    task = tasks.spawn(server.serve(sockets=[sock]), name=f"uvicorn:{port}")
    try:
        async with asyncio.timeout(_STARTUP_SECONDS):
            while not server.started:
                if task.done():
                    task.result()  # raises what stopped the server
                    raise RuntimeError("uvicorn exited before it started")
                await asyncio.sleep(0.005)
        yield f"{'https' if config.is_ssl else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        server.stop_requested.set()
        try:
            async with asyncio.timeout(10):
                await task
        finally:
            await tasks.aclose()
            sock.close()
