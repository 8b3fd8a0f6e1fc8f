"""What the lifespan builds and every handler reaches through `request.app.state.hub`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from hub.ingress.auth import Authenticator
from hub.registration.registrar import Registrar
from hub.settings import Settings
from hub.storage.db import SessionFactory
from hub.tasks import TaskGroup
from hub.token_vault import TokenVault

if TYPE_CHECKING:
    from hub.routing.table import RoutingTable
    from hub.forwarding.forwarder import Forwarder

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
    routing: RoutingTable | None = None
    forwarder: Forwarder | None = None
    extras: dict[str, object] = field(default_factory=dict)


def hub_state(request: Request) -> HubState:
    state: HubState = request.app.state.hub
    return state
