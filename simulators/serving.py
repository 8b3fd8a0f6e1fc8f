"""Serve an ASGI app with uvicorn on a loopback port inside the running event loop, and stop
listening on demand (the `refuse_connections` fault) without giving the port up."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import uvicorn

from hub.tasks import TaskGroup

__all__ = ["SimServer", "free_port"]

_STARTUP_SECONDS = 10.0


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (for a process that binds it itself)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class _Server(uvicorn.Server):
    """uvicorn.Server that leaves signal handlers to its host program (it runs inside another
    program's event loop) and stops as soon as asked rather than at its next 0.1 s tick."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.stop_requested = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def main_loop(self) -> None:
        await self.on_tick(0)  # sets the Date and Server headers once
        await self.stop_requested.wait()


class SimServer:
    """One app on `http://127.0.0.1:<port>`; `pause()` closes the listening socket (clients get
    "connection refused"), `resume()` listens again on the same port."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0, name: str = "simulator") -> None:
        self.app = app
        self.host = host
        self.port = port
        self.name = name
        self._server: _Server | None = None
        self._socket: socket.socket | None = None
        self._tasks = TaskGroup()
        self._task: asyncio.Task[Any] | None = None

    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError("not started")
        return f"http://{self.host}:{self.port}"

    @property
    def listening(self) -> bool:
        return self._server is not None

    async def start(self) -> str:
        """Bind (a free port the first time, the same port afterwards) and serve; returns the URL."""
        if self._server is not None:
            return self.url
        # proto IPPROTO_TCP and TCP_NODELAY: asyncio sets TCP_NODELAY on accepted connections only
        # when the listening socket says it is TCP; without it every keep-alive request waits ~40 ms
        # for a delayed ACK (Nagle).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        server = _Server(self.config())
        task = self._tasks.spawn(server.serve(sockets=[sock]), name=f"{self.name}:{self.port}")
        try:
            async with asyncio.timeout(_STARTUP_SECONDS):
                while not server.started:
                    if task.done():
                        task.result()
                        raise RuntimeError(f"{self.name}: uvicorn exited before it started")
                    await asyncio.sleep(0.005)
        except BaseException:
            server.should_exit = True
            server.stop_requested.set()
            sock.close()
            raise
        self._server, self._socket, self._task = server, sock, task
        return self.url

    def config(self) -> uvicorn.Config:
        """The uvicorn configuration (a subclass may serve TLS or use another protocol class)."""
        return uvicorn.Config(
            self.app,
            lifespan="off",
            log_config=None,  # leave the host program's logging alone
            log_level="warning",
            access_log=False,
            ws="none",
            timeout_graceful_shutdown=2,
            backlog=2048,
        )

    async def pause(self) -> None:
        """Stop listening (and close idle connections); the port is kept for `resume`."""
        server, sock, task = self._server, self._socket, self._task
        if server is None or task is None:
            return
        self._server = self._socket = self._task = None
        server.should_exit = True
        server.stop_requested.set()
        try:
            async with asyncio.timeout(10):
                await task
        except TimeoutError:
            task.cancel()
        finally:
            if sock is not None:
                sock.close()

    async def resume(self) -> str:
        return await self.start()

    async def stop(self) -> None:
        await self.pause()
        await self._tasks.aclose()
