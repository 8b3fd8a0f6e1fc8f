"""`SimServer` with optional TLS, remembering each connection's client-certificate common name
(looked up by the ASGI scope's `client` address), so the app can identify the partner."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Callable
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from simulators.oicp_hub.tls import common_name
from simulators.serving import SimServer, _Server

__all__ = ["PeerNames", "TlsSimServer"]

PeerNames = dict[tuple[str, int], str | None]  # client (host, port) -> certificate common name
_STARTUP_SECONDS = 10.0


def _protocol(peers: PeerNames) -> type[H11Protocol]:
    class PeerCertProtocol(H11Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if self.client is not None:
                peers[self.client] = common_name(transport.get_extra_info("peercert"))

        def connection_lost(self, exc: Exception | None) -> None:
            if self.client is not None:
                peers.pop(self.client, None)
            super().connection_lost(exc)

    return PeerCertProtocol


class TlsSimServer(SimServer):
    """Serves `app` over HTTPS when `ssl_context` returns a context (plain HTTP otherwise)."""

    def __init__(
        self, app: Any, *, ssl_context: Callable[[], ssl.SSLContext] | None = None, name: str = "oicp-hub"
    ) -> None:
        super().__init__(app, name=name)
        self.ssl_context = ssl_context
        self.peers: PeerNames = {}

    @property
    def url(self) -> str:
        return super().url.replace("http://", "https://", 1) if self.ssl_context else super().url

    async def start(self) -> str:
        if self._server is not None:
            return self.url
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        factory = self.ssl_context
        config = uvicorn.Config(
            self.app,
            http=_protocol(self.peers),
            lifespan="off",
            log_config=None,
            log_level="warning",
            access_log=False,
            ws="none",
            timeout_graceful_shutdown=2,
            ssl_context_factory=(lambda _config, _default: factory()) if factory else None,
        )
        server = _Server(config)
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
