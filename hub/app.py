"""The composition root: the only place that wires the hub together.

`create_app(settings)` builds routes, middleware and exception handlers; the lifespan builds
the shared resources (engine, HTTP client, caches, background tasks) and hands them to every
request as `request.app.state.hub`. `uvicorn --factory hub.app:create_app` calls it with no
arguments (settings from `$HUB_CONFIG` and `HUB_*`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import structlog
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from adapters.ocpi_direct import DirectOcpiAdapter
from hub.cache import AsyncTTLCache
from hub.errors import ClientError, OcpiError, ServerError
from hub.health.endpoints import health_routes
from hub.identity import Identity
from hub.ingress.auth import Authenticator
from hub.forwarding.forwarder import Forwarder
from hub.forwarding.proxies import ProxyStore
from hub.ingress.configuration import configuration_routes
from hub.ingress.forward import forward_routes
from hub.ingress.middleware import RequestContext
from hub.ocpi.envelope import error_response
from hub.registration.peer import PeerClient
from hub.registration.registrar import Registrar
from hub.registry_watch import RegistryWatcher
from hub.routing.table import RoutingTable
from hub.settings import Settings, load_settings
from hub.state import HubState
from hub.storage.db import create_engine, session_factory
from hub.tasks import TaskGroup
from hub.token_vault import TokenVault

__all__ = ["create_app"]

_log = structlog.get_logger("hub.app")


async def _ocpi_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OcpiError)
    return error_response(exc)


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Client error")
    return error_response(ClientError(message, http_status=exc.status_code))


async def _unexpected(_request: Request, exc: Exception) -> Response:
    _log.error("unhandled_error", error=type(exc).__name__, exc_info=exc)
    return error_response(ServerError("Internal error"))


def _routes() -> list[BaseRoute]:
    return [*configuration_routes(), *health_routes(), *forward_routes()]


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = create_engine(settings)
        sessions = session_factory(engine)
        vault = TokenVault(settings.secret_key)
        connector = aiohttp.TCPConnector(
            limit=settings.pool_total, limit_per_host=settings.pool_per_platform, keepalive_timeout=60
        )
        http = aiohttp.ClientSession(connector=connector, skip_auto_headers=("Accept-Encoding",))
        cache: AsyncTTLCache[str, Identity] = AsyncTTLCache(
            maxsize=settings.cache_max_entries,
            ttl=settings.cache_ttl_seconds,
            negative_ttl=settings.cache_negative_ttl_seconds,
        )
        auth = Authenticator(
            sessions=sessions, vault=vault, cache=cache, accept_raw_tokens=settings.accept_raw_tokens
        )
        tasks = TaskGroup()
        routing = RoutingTable(
            sessions=sessions,
            vault=vault,
            maxsize=settings.cache_max_entries,
            ttl=settings.cache_ttl_seconds,
            negative_ttl=settings.cache_negative_ttl_seconds,
        )
        proxies = ProxyStore(
            sessions=sessions, public_url=settings.public_url, ttl_seconds=settings.proxy_url_ttl_seconds
        )

        def invalidate() -> None:
            auth.invalidate()
            routing.invalidate()

        hub = HubState(
            settings=settings,
            engine=engine,
            sessions=sessions,
            vault=vault,
            http=http,
            auth=auth,
            registrar=Registrar(
                settings=settings,
                sessions=sessions,
                vault=vault,
                peer=PeerClient(http, timeout_seconds=settings.request_timeout_seconds),
                on_change=invalidate,
            ),
            tasks=tasks,
            routing=routing,
            proxies=proxies,
            forwarder=Forwarder(
                adapter=DirectOcpiAdapter(http),
                proxies=proxies,
                default_timeout=settings.request_timeout_seconds,
            ),
        )

        watcher = RegistryWatcher(sessions=sessions, interval=settings.registry_poll_seconds, on_change=invalidate)
        tasks.spawn(watcher.run(), name="registry-watcher")
        _log.info("hub_started", versions_url=settings.versions_url)
        app.state.hub = hub
        try:
            yield
        finally:
            await tasks.aclose()
            await http.close()
            await engine.dispose()

    return Starlette(
        routes=_routes(),
        middleware=[Middleware(RequestContext, max_body_bytes=settings.max_body_bytes)],
        exception_handlers={OcpiError: _ocpi_error, HTTPException: _http_error, Exception: _unexpected},
        lifespan=lifespan,
    )
