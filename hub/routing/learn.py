"""Learning the parties behind an upstream hub from what it says (upstream reference §3.2).

`RouteLearner.client_info(upstream, info)`: a ClientInfo an upstream pushed to our hubclientinfo
RECEIVER endpoint. CONNECTED / OFFLINE / PLANNED set the route's status, SUSPENDED removes it.

`RouteLearner.observed(request, sender, view)`: a request an upstream hub sent on behalf of a
party it has no route for here (§3.2 item 4: an upstream that announces nothing, Gireve-style)
gives that party an `observed` route through the upstream, so that replies and follow-ups reach
it: lowest priority (90), expires 7 days after it was last learned (`OBSERVED_TTL`), never
overrides a route from another source, not announced downstream (it is unconfirmed). Its role
comes from what the request is: a push to a RECEIVER interface of CPO data (locations, sessions,
cdrs, tariffs) comes from a CPO, of tokens or commands from an eMSP; a GET from a SENDER interface
of CPO data from an eMSP, of tokens (and a real-time authorization) from a CPO. Anything else
teaches nothing.
Loop guard: a claim for a party some platform connects directly, for this hub itself or for the
upstream's own party is ignored (answered, never stored). A change is re-announced to our party
platforms (`hub.liveness.clientinfo.enqueue_route_change`) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError

from hub.db.db import STORAGE_ERRORS, SessionFactory, session_scope
from hub.db.repositories import RegistryRepository
from hub.errors import InvalidParameters
from hub.identity import Identity
from hub.liveness.clientinfo import enqueue_route_change
from hub.ocpi.request import OcpiRequest
from hub.routing.decide import RouteView
from hub.routing.upstream_routes import RouteRepository, RouteSpec
from hub.types import ConnectionStatus, InterfaceRole, PartyKey, PlatformKind, Role, RouteSource

__all__ = ["RouteLearner", "observed_role", "parse_client_info"]

_log = structlog.get_logger("hub.routing")
_CPO_DATA = frozenset({"locations", "sessions", "cdrs", "tariffs"})


def observed_role(module: str, interface: InterfaceRole) -> Role | None:
    """The role of a party that sends this request (None: the request does not tell)."""
    if interface is InterfaceRole.RECEIVER:
        return Role.CPO if module in _CPO_DATA else Role.EMSP if module in ("tokens", "commands") else None
    return Role.EMSP if module in _CPO_DATA else Role.CPO if module == "tokens" else None


def parse_client_info(body: Any, key: PartyKey) -> tuple[Role, ConnectionStatus]:
    """The role and status of a ClientInfo object whose URL names `key` (2001 if it is not one)."""
    if not isinstance(body, dict):
        raise InvalidParameters("ClientInfo must be a JSON object", http_status=200)
    for field, want in (("country_code", key.country_code), ("party_id", key.party_id)):
        if not isinstance(body.get(field), str) or body[field].upper() != want:
            raise InvalidParameters(f"ClientInfo {field} differs from the URL", http_status=200)
    try:
        role = Role(str(body.get("role")))
        status = ConnectionStatus(str(body.get("status")))
    except ValueError:
        raise InvalidParameters("ClientInfo role or status is not a known value", http_status=200) from None
    if not isinstance(body.get("last_updated"), str):
        raise InvalidParameters("ClientInfo last_updated is required", http_status=200)
    return role, status


class RouteLearner:
    def __init__(self, *, sessions: SessionFactory, hub_party: PartyKey, on_change: Callable[[], None]) -> None:
        self._sessions = sessions
        self._hub_party = hub_party
        self._on_change = on_change

    async def client_info(self, *, platform_id: int, key: PartyKey, body: Any) -> bool:
        """Store what an upstream hub says of `key`; False if the claim was ignored (loop guard)."""
        role, status = parse_client_info(body, key)
        if key == self._hub_party or role is Role.HUB:
            return False
        async with session_scope(self._sessions) as session:
            registry = RegistryRepository(session)
            upstream = await registry.get(platform_id=platform_id)
            if upstream is None or upstream.kind == PlatformKind.PARTY.value:
                raise InvalidParameters("Only an upstream hub may tell this hub about parties", http_status=200)
            if await registry.parties_by_key(key=key):
                _log.warning("upstream_claim_ignored", upstream=upstream.name, party=str(key))
                return False
            routes = RouteRepository(session)
            if status is ConnectionStatus.SUSPENDED:
                rows = await routes.remove(platform_id=platform_id, key=key, role=role.value)
                changed = bool(rows)
            else:
                spec = RouteSpec(key=key, role=role.value, status=status, source=RouteSource.HUBCLIENTINFO)
                row, changed = await routes.upsert(platform_id=platform_id, kind=PlatformKind(upstream.kind), spec=spec)
                rows = [row]
            if changed:
                for changed_row in rows:  # a removed route: announced with the best status left
                    await enqueue_route_change(session, route=changed_row, upstream=upstream)
                await registry.bump_revision()
        if changed:
            self._on_change()
            _log.info("upstream_route_learned", upstream=upstream.name, party=str(key), status=status.value)
        return True

    async def observed(self, request: OcpiRequest, sender: Identity, view: RouteView) -> None:
        """Learn the route back to the party an upstream hub sent this request for, if it has none."""
        key = request.from_.key if request.from_ is not None else None
        if not sender.upstream or key is None or sender.serves(key):
            return
        if any(e.platform.platform_id == sender.platform_id for e in view.from_entries):
            return
        role = observed_role(request.module, request.interface)
        if role is None:
            return
        spec = RouteSpec(key=key, role=role.value, source=RouteSource.OBSERVED)
        try:
            async with session_scope(self._sessions) as session:
                await RouteRepository(session).upsert(platform_id=sender.platform_id, kind=sender.kind, spec=spec)
                await RegistryRepository(session).bump_revision()
        except IntegrityError:  # another request learned it first
            return
        except STORAGE_ERRORS as exc:  # the request goes on; the next one from the party tries again
            _log.warning("observed_route_not_stored", error=type(exc).__name__)
            return
        self._on_change()
        _log.info("upstream_route_observed", upstream=sender.platform_name, party=str(key), role=role.value)
