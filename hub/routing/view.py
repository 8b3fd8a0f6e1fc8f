"""Gathers what `decide` may look at (a RouteView) from the routing table, the agreements and, for
Open Routing, the hub's mirror. The only I/O of the routing room, all through caches and
repositories it is handed.
"""

from __future__ import annotations

from hub.db.db import SessionFactory
from hub.forwarding.resilience import HoldDown
from hub.identity import Identity
from hub.mirror.repository import StoreRepository
from hub.ocpi.grammar import known_module
from hub.ocpi.request import OcpiRequest
from hub.privacy.personal import PersonalData
from hub.routing.agreement_book import PolicySource
from hub.routing.decide import RouteView
from hub.routing.open_routing import lookup_for
from hub.routing.pins import pin_key
from hub.routing.table import RouteEntry, RoutingTable
from hub.routing.upstream_routes import RouteRepository
from hub.types import PartyKey

__all__ = ["RouteViews"]


class RouteViews:
    def __init__(
        self,
        *,
        routing: RoutingTable,
        agreements: PolicySource,
        sessions: SessionFactory,
        hub_party: PartyKey,
        personal: PersonalData,
        hold_down: HoldDown | None = None,
    ) -> None:
        self._routing = routing
        self._hold_down = hold_down or HoldDown(0.0)
        self._personal = personal
        self._agreements = agreements
        self._sessions = sessions
        self._hub_party = hub_party

    async def view(self, request: OcpiRequest, sender: Identity) -> RouteView:
        receiver, open_routed = request.to_key, False
        if receiver is None:
            receiver, open_routed = await self._open_route(request), True
        entries = await self._routing.entries(receiver) if receiver and receiver != self._hub_party else ()
        from_entries: tuple[RouteEntry, ...] = ()
        if sender.upstream and request.from_ is not None:
            from_entries = await self._routing.entries(request.from_.key)
        pin, pinned, held = None, None, frozenset[int]()
        platforms = {e.platform.platform_id for e in entries}
        if len(platforms) > 1 and receiver is not None:
            held = frozenset(p for p in platforms if self._hold_down.held_down(p))
            pin = pin_key(request, receiver)
            if pin is not None:
                async with self._sessions() as session:
                    pinned = await RouteRepository(session).pinned(pin_key=pin)
        return RouteView(
            hub_party=self._hub_party,
            receiver=receiver,
            open_routed=open_routed,
            entries=entries,
            policy=await self._agreements.current(),
            sender_modules=await self._sender_modules(request, sender),
            from_entries=from_entries,
            pin=pin,
            pinned=pinned,
            held_down=held,
        )

    async def _open_route(self, request: OcpiRequest) -> PartyKey | None:
        """No OCPI-to headers: the receiver named by the request (Open Routing), if any."""
        lookup = lookup_for(request) if not request.is_list_get else None
        if lookup is None:
            return None
        if lookup.module and lookup.object_id:
            async with self._sessions() as session:
                return await StoreRepository(session, self._personal).owner_of(
                    module=lookup.module, object_id=lookup.object_id
                )
        return lookup.party

    async def _sender_modules(self, request: OcpiRequest, sender: Identity) -> frozenset[str]:
        """Custom modules are routed only when the sender's platform offers them too."""
        if known_module(request.module):
            return frozenset()
        own = await self._routing.platform(sender.platform_id)
        return frozenset(m for m, _ in own.endpoints) if own else frozenset()
