"""What the lifespan builds and every handler reaches through `request.app.state.hub`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from hub.authentication import Authenticator
from hub.broadcast.accept import BroadcastAcceptor
from hub.broadcast.dispatcher import Dispatcher
from hub.db.db import SessionFactory
from hub.editions.edges import Editions
from hub.forwarding.forwarder import Forwarder
from hub.forwarding.proxies import Proxies
from hub.forwarding.resilience import BreakerBoard
from hub.ingress.ratelimit import RateLimits
from hub.liveness.still_alive import SeenTracker
from hub.mirror.get_all import GetAll
from hub.mirror.writer import StoreWriter
from hub.registration.registrar import Registrar
from hub.routing.agreement_book import AgreementBook
from hub.routing.learn import RouteLearner
from hub.routing.table import RoutingTable
from hub.routing.view import RouteViews
from hub.settings import Settings
from hub.tasks import TaskGroup
from hub.token_vault import TokenVault
from hub.validation import PayloadValidator

__all__ = ["HubState", "hub_state"]


@dataclass
class HubState:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    vault: TokenVault
    http: aiohttp.ClientSession
    auth: Authenticator
    registrar: Registrar
    tasks: TaskGroup
    routing: RoutingTable
    proxies: Proxies
    views: RouteViews
    editions: Editions
    learner: RouteLearner
    forwarder: Forwarder
    broadcasts: BroadcastAcceptor
    get_all: GetAll
    validator: PayloadValidator
    agreements: AgreementBook
    store_writer: StoreWriter
    dispatcher: Dispatcher
    seen: SeenTracker
    breakers: BreakerBoard
    rate_limits: RateLimits
    on_registry_change: Callable[[], None]


def hub_state(request: Request) -> HubState:
    state: HubState = request.app.state.hub
    return state
