"""Transports toward receivers (design.md §11.5): the direct OCPI adapter, and the adapters toward
upstream hubs, one per platform kind. The hub core never imports an adapter by name: the
composition root asks `upstream_adapters` for the registry the send path picks from."""

from __future__ import annotations

import aiohttp

from adapters.ocpi_upstream import OcpiUpstreamAdapter
from adapters.oicp_upstream import OicpUpstreamAdapter, StoreDirectory
from hub.db.db import SessionFactory
from hub.forwarding.contract import Adapter
from hub.settings import Settings
from hub.types import PlatformKind

__all__ = ["upstream_adapters"]


def upstream_adapters(
    direct: Adapter, *, sessions: SessionFactory, http: aiohttp.ClientSession, settings: Settings
) -> dict[PlatformKind, Adapter]:
    """The adapter for each kind of upstream platform (a party's own platform uses `direct`)."""
    oicp = OicpUpstreamAdapter(
        http, directory=StoreDirectory(sessions, settings), connect_timeout=settings.connect_timeout_seconds
    )
    return {PlatformKind.OCPI_UPSTREAM: OcpiUpstreamAdapter(direct), PlatformKind.OICP_UPSTREAM: oicp}
