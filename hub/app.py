"""The composition root: the only place that wires the hub together.

`create_app(settings)` builds routes, middleware and exception handlers; the lifespan builds
the shared resources (engine, HTTP client, caches, background tasks) and hands them to every
request as `request.app.state.hub`. `uvicorn --factory hub.app:create_app` calls it with no
arguments (settings from `$HUB_CONFIG` and `HUB_*`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import structlog
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from adapters import upstream_adapters
from adapters.ocpi_direct import DirectOcpiAdapter, no_resend
from hub.authentication import Authenticator
from hub.broadcast.accept import BroadcastAcceptor
from hub.broadcast.dispatcher import Dispatcher
from hub.cache import AsyncTTLCache
from hub.db.db import STORAGE_ERRORS, create_engine, session_factory
from hub.db.models import utcnow
from hub.editions.edges import Editions
from hub.egress.client import guard_middleware, guarded_connector
from hub.egress.hop import hop_marker
from hub.egress.policy import OutboundPolicy
from hub.egress.tls import outbound_ssl_context
from hub.forwarding.forwarder import Forwarder
from hub.forwarding.proxies import Proxies
from hub.forwarding.resilience import BreakerBoard, HoldDown
from hub.forwarding.send import SendPath
from hub.forwarding.store_forward import UpstreamQueue
from hub.health.endpoints import health_routes
from hub.health.metrics import metrics_routes
from hub.ingress.configuration import configuration_routes
from hub.ingress.errors import EXCEPTION_HANDLERS
from hub.ingress.functional import FunctionalLane, functional_routes
from hub.ingress.hubclientinfo import hubclientinfo_routes
from hub.ingress.middleware import RequestContext
from hub.ingress.ratelimit import RateLimits
from hub.liveness.peer import PeerClient
from hub.liveness.reachability import Reachability
from hub.liveness.still_alive import LivenessChecker, SeenTracker
from hub.mirror.get_all import GetAll
from hub.mirror.writer import StoreWriter
from hub.observability.logging import configure_logging
from hub.observability.metrics import HubMetrics
from hub.observability.rejections import Rejections
from hub.privacy.personal import PersonalData
from hub.privacy.retention import prune
from hub.registration.registrar import Registrar
from hub.registry_watch import RegistryWatcher
from hub.routing.agreement_book import AgreementBook
from hub.routing.learn import RouteLearner
from hub.routing.table import RoutingTable
from hub.routing.upstream_routes import PinBook
from hub.routing.view import RouteViews
from hub.settings import Settings, load_settings
from hub.state import HubState
from hub.tasks import TaskGroup
from hub.token_vault import TokenVault
from hub.types import PartyKey
from hub.validation import PayloadValidator

__all__ = ["create_app"]

_log = structlog.get_logger("hub.app")


def _routes() -> list[BaseRoute]:
    return [*configuration_routes(), *health_routes(), *metrics_routes(), *hubclientinfo_routes(), *functional_routes()]


async def _build(settings: Settings, metrics: HubMetrics | None = None) -> HubState:
    """Every shared resource, built once per process and handed to requests as app.state.hub."""
    engine = create_engine(settings)
    sessions = session_factory(engine)
    vault = TokenVault(settings.secret_key, previous=settings.previous_secret_keys)
    personal = PersonalData.from_settings(settings, vault)  # Tokens, sessions, CDRs sealed at rest
    policy = OutboundPolicy.from_settings(settings)
    connector = guarded_connector(
        policy,
        limit=settings.pool_total,
        limit_per_host=settings.pool_per_platform,
        keepalive_timeout=60,
        ssl=outbound_ssl_context(settings),  # CA bundle, client certificate, TLS 1.2+ (hub.egress.tls)
    )
    http = aiohttp.ClientSession(
        connector=connector,
        skip_auto_headers=("Accept-Encoding",),
        middlewares=(guard_middleware(policy, hop_marker(settings)), no_resend),
    )
    adapter = DirectOcpiAdapter(http, connect_timeout=settings.connect_timeout_seconds)
    tasks = TaskGroup()
    reachability = Reachability(
        sessions=sessions,
        tasks=tasks,
        offline_after_seconds=settings.unreachable_offline_seconds,
        refresh_seconds=settings.registry_poll_seconds,
        on_change=lambda: registry_changed(),
    )
    seen = SeenTracker(on_note=reachability.reached)
    auth = Authenticator(
        sessions=sessions,
        vault=vault,
        cache=AsyncTTLCache(
            maxsize=settings.cache_max_entries,
            ttl=settings.cache_ttl_seconds,
            negative_ttl=settings.cache_negative_ttl_seconds,
            stale_seconds=settings.degraded_max_seconds,
        ),
        accept_raw_tokens=settings.accept_raw_tokens,
        on_seen=seen.note,
    )
    routing = RoutingTable(
        sessions=sessions,
        vault=vault,
        maxsize=settings.cache_max_entries,
        ttl=settings.cache_ttl_seconds,
        negative_ttl=settings.cache_negative_ttl_seconds,
        stale_seconds=settings.degraded_max_seconds,
    )
    agreements = AgreementBook(sessions=sessions, default_allow=settings.agreements_default == "open")
    proxies = Proxies(
        secret_key=settings.secret_key,
        public_url=settings.public_url,
        ttl_seconds=settings.proxy_url_ttl_seconds,
        previous_secret_keys=settings.previous_secret_keys,
        sessions=sessions,
    )
    validator = PayloadValidator(settings)
    breakers = BreakerBoard(fail_max=settings.breaker_fail_max, reset_timeout=settings.breaker_reset_seconds)
    hold_down = HoldDown(settings.route_hold_down_seconds)
    send = SendPath(
        adapter=adapter,
        adapters=upstream_adapters(adapter, sessions=sessions, http=http, settings=settings),
        breakers=breakers,
        reachability=reachability,
        busy_retry_after=settings.busy_retry_after_seconds,
        hold_down=hold_down,
    )
    hub_party = PartyKey.of(settings.country_code, settings.party_id)
    mirror = StoreWriter(sessions=sessions, personal=personal)
    editions = Editions(sessions=sessions, personal=personal, hub_party=hub_party)
    dispatcher = Dispatcher(
        settings=settings,
        sessions=sessions,
        routing=routing,
        send=send,
        policy=agreements,
        personal=personal,
        editions=editions,
    )

    def registry_changed() -> None:
        auth.invalidate()
        routing.invalidate()
        agreements.invalidate()
        dispatcher.wake()

    return HubState(
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
            peer=PeerClient(http, timeout_seconds=settings.request_timeout_seconds, policy=policy),
            on_change=registry_changed,
        ),
        tasks=tasks,
        routing=routing,
        proxies=proxies,
        views=RouteViews(
            routing=routing,
            agreements=agreements,
            sessions=sessions,
            hub_party=hub_party,
            personal=personal,
            hold_down=hold_down,
        ),
        editions=editions,
        learner=RouteLearner(sessions=sessions, hub_party=hub_party, on_change=registry_changed),
        forwarder=Forwarder(
            send=send,
            proxies=proxies,
            validator=validator,
            mirror=mirror,
            default_timeout=settings.request_timeout_seconds,
            pins=PinBook(sessions),
            editions=editions,
            upstream_queue=UpstreamQueue(sessions=sessions, personal=personal, wake=dispatcher.wake),
            metrics=metrics,
        ),
        broadcasts=BroadcastAcceptor(
            sessions=sessions, validator=validator, hub_party=hub_party, wake=dispatcher.wake, personal=personal
        ),
        get_all=GetAll(
            sessions=sessions, agreements=agreements, settings=settings, personal=personal, editions=editions
        ),
        validator=validator,
        agreements=agreements,
        store_writer=mirror,
        dispatcher=dispatcher,
        seen=seen,
        breakers=breakers,
        rate_limits=RateLimits.from_settings(settings),
        on_registry_change=registry_changed,
    )


async def _housekeeping(hub: HubState) -> None:
    """Leader-only periodic work: still-alive checks, last-seen flushes, purging old rows."""
    checker = LivenessChecker(
        sessions=hub.sessions,
        peer=PeerClient(
            hub.http,
            timeout_seconds=hub.settings.request_timeout_seconds,
            policy=OutboundPolicy.from_settings(hub.settings),
        ),
        vault=hub.vault,
        silence_seconds=hub.settings.still_alive_seconds,
        on_change=hub.on_registry_change,
    )
    while True:
        await asyncio.sleep(hub.settings.liveness_check_seconds * random.uniform(0.8, 1.2))  # jitter
        try:
            await hub.seen.flush(hub.sessions)
            if hub.dispatcher.is_leader:
                await checker.check()
                await hub.dispatcher.purge()
                await hub.proxies.purge()
                await prune(
                    hub.sessions,
                    sessions_days=hub.settings.retention_sessions_days,
                    cdrs_days=hub.settings.retention_cdrs_days,
                    now=utcnow(),
                )
        except STORAGE_ERRORS as exc:  # the database may be away; try again next round
            _log.warning("housekeeping_failed", error=type(exc).__name__)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or load_settings()
    configure_logging(level=settings.log_level, fmt=settings.log_format, secret_key=settings.secret_key)

    metrics = HubMetrics()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        hub = await _build(settings, metrics)
        watcher = RegistryWatcher(
            sessions=hub.sessions, interval=settings.registry_poll_seconds, on_change=hub.on_registry_change
        )
        hub.tasks.spawn(watcher.run(), name="registry-watcher")
        hub.tasks.spawn(hub.store_writer.run(), name="store-writer")
        hub.tasks.spawn(hub.dispatcher.run(), name="dispatcher")
        hub.tasks.spawn(_housekeeping(hub), name="housekeeping")
        app.state.hub = hub
        # Everything built so far lives as long as the process: keep it out of the collector's
        # full passes, which otherwise walk it all and show up as latency spikes under load.
        gc.collect()
        gc.freeze()
        _log.info("hub_started", versions_url=settings.versions_url)
        try:
            yield
        finally:
            await _drain(hub)
            await hub.tasks.aclose()
            with contextlib.suppress(Exception):
                await hub.dispatcher.release()
            await hub.http.close()
            await hub.engine.dispose()

    app = Starlette(
        routes=_routes(),
        middleware=[
            Middleware(
                RequestContext,
                max_body_bytes=settings.max_body_bytes,
                max_header_bytes=settings.max_header_bytes,
                max_query_params=settings.max_query_params,
                hop=hop_marker(settings),
                body_timeout_seconds=settings.body_timeout_seconds,
                metrics=metrics,
            ),
            Middleware(FunctionalLane),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    # A path a route matches only with (or without) a trailing "/" is 404 with an envelope, never a
    # bare 307 to a URL the hub did not check (found by tests/security/test_fuzz.py).
    app.router.redirect_slashes = False
    app.state.rejections = Rejections()
    app.state.metrics = metrics
    return app


async def _drain(hub: HubState) -> None:
    """Refuse new store writes (503), write what is queued before the engine closes (bounded wait)."""
    hub.store_writer.stop()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(5.0):
            await hub.store_writer.drain()
    with contextlib.suppress(Exception):
        await hub.seen.flush(hub.sessions)
