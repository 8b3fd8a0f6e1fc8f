"""Transports toward receivers (design.md §11.5): the direct OCPI adapter, and the adapters toward
upstream hubs, one per platform kind. The hub core never imports an adapter by name: the
composition root asks `upstream_adapters` for the registry the send path picks from."""

from __future__ import annotations

import aiohttp

from adapters.ocpi_upstream import OcpiUpstreamAdapter
from hub.db.db import SessionFactory
from hub.forwarding.contract import Adapter, ConnectFailed, OutboundRequest, UpstreamResponse
from hub.settings import Settings
from hub.types import PlatformKind

__all__ = ["upstream_adapters"]


def upstream_adapters(
    direct: Adapter, *, sessions: SessionFactory, http: aiohttp.ClientSession, settings: Settings
) -> dict[PlatformKind, Adapter]:
    """The adapter for each kind of upstream platform (a party's own platform uses `direct`)."""
    return {PlatformKind.OCPI_UPSTREAM: OcpiUpstreamAdapter(direct), PlatformKind.OICP_UPSTREAM: _NoOicpTransport()}


class _NoOicpTransport:
    """The OICP bridge's transport is not built yet (adapters/oicp holds the mapping): a route
    through an OICP upstream behaves as a route that cannot be reached, so the send path fails
    over to another route, or answers 4003, instead of calling the upstream with OCPI."""

    async def send(self, request: OutboundRequest) -> UpstreamResponse:
        raise ConnectFailed("the OICP bridge has no transport yet")

    async def aclose(self) -> None:
        return None
