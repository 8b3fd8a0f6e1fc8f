"""`SimServer` with optional TLS, remembering each connection's client-certificate common name
(looked up by the ASGI scope's `client` address), so the app can identify the partner."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from simulators.oicp_hub.tls import common_name
from simulators.serving import SimServer

__all__ = ["PeerNames", "TlsSimServer"]

PeerNames = dict[tuple[str, int], str | None]  # client (host, port) -> certificate common name


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

    def config(self) -> uvicorn.Config:
        factory = self.ssl_context
        return uvicorn.Config(
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
