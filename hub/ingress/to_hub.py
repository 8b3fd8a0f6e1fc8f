"""Functional-module requests addressed to the hub itself (OCPI-to = the hub's party).

- A push (PUT, PATCH, POST, DELETE) of locations, tariffs or tokens to the RECEIVER interface is
  a Broadcast Push (transport_and_format.asciidoc 426-457); other modules are party-specific
  (sessions and CDRs are personal data) and get 2001:
  accepted in one transaction (the store, and a `broadcast` row the dispatcher fans out),
  answered at once with 1000, TO = pusher, FROM = hub.
- A list GET on a SENDER interface is GET All via the hub (476-487): the combined list from
  the store, paginated, filtered by what the requester may see.
- Anything else (a GET of one object addressed to the hub) is 2001 (checklist D.51).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import Response

from hub.broadcast.outbox import enqueue_broadcast
from hub.broadcast.targets import audience, pusher_role
from hub.db.db import session_scope
from hub.errors import InvalidParameters
from hub.forwarding.forwarder import UNPARSED
from hub.identity import Identity
from hub.ingress.middleware import scope_ids
from hub.mirror.merge import STORED_MODULES, Outcome
from hub.mirror.repository import StoreRepository
from hub.mirror.updates import store_update_for
from hub.ocpi.envelope import ocpi_response
from hub.ocpi.pagination import Page, PageRequest
from hub.routing.open_routing import is_list_get
from hub.state import HubState
from hub.types import InterfaceRole, PartyKey, Role
from hub.validation import ValidationContext

__all__ = ["Incoming", "addressed_to_hub"]

_log = structlog.get_logger("hub.broadcast")
_PUSHES = frozenset({"PUT", "PATCH", "POST", "DELETE"})


@dataclass(frozen=True, slots=True)
class Incoming:
    """A functional-module request after authentication and the checks every path shares."""

    method: str
    module: str
    interface: InterfaceRole
    rest: str
    query: str
    sender: PartyKey
    identity: Identity
    raw: bytes | None
    parsed: Any
    version: str


def _hub_headers(hub: HubState, to: PartyKey) -> dict[str, str]:
    return {
        "OCPI-to-country-code": to.country_code,
        "OCPI-to-party-id": to.party_id,
        "OCPI-from-country-code": hub.settings.country_code,
        "OCPI-from-party-id": hub.settings.party_id,
    }


async def addressed_to_hub(hub: HubState, request: Request, incoming: Incoming) -> Response:
    if incoming.method in _PUSHES:
        return await _broadcast(hub, request, incoming)
    if is_list_get(incoming.method, incoming.interface, incoming.rest):
        return await _get_all(hub, request, incoming)
    raise InvalidParameters("A GET of one object cannot be addressed to the hub: address its owner")


def _roles_of(identity: Identity, key: PartyKey) -> set[Role]:
    return {p.role for p in identity.parties if p.key == key}


async def _broadcast(hub: HubState, request: Request, incoming: Incoming) -> Response:
    if incoming.module not in STORED_MODULES or incoming.interface is not InterfaceRole.RECEIVER:
        # Sessions, CDRs and commands are meant for one party (personal data, transport_and_format 449-452).
        raise InvalidParameters(
            f"{incoming.module} {incoming.interface.value} cannot be broadcast: address the receiving party"
        )
    parsed = None if incoming.parsed is UNPARSED else incoming.parsed
    if parsed is not None:
        hub.validator.check_request(
            ValidationContext(
                sender_platform=incoming.identity.platform_name,
                receiver_platform="(broadcast)",
                version=incoming.version,
                module=incoming.module,
                interface=incoming.interface,
                method=incoming.method,
                rest=incoming.rest,
            ),
            parsed,
        )
    _, correlation_id = scope_ids(request.scope)
    role = pusher_role(_roles_of(incoming.identity, incoming.sender), incoming.module)
    update = store_update_for(
        module=incoming.module, interface=incoming.interface, method=incoming.method, rest=incoming.rest, body=parsed
    )
    async with session_scope(hub.sessions) as session:
        outcome = await StoreRepository(session).apply(update) if update is not None else None
        if outcome is Outcome.STALE:
            _log.info("broadcast_stale_not_sent", module=incoming.module, pusher=str(incoming.sender))
        else:
            await enqueue_broadcast(
                session,
                module=incoming.module,
                interface=incoming.interface,
                method=incoming.method,
                rest=incoming.rest,
                query=incoming.query,
                body=incoming.raw,
                pusher=incoming.sender,
                role=role,
                platform_id=incoming.identity.platform_id,
                correlation_id=correlation_id,
            )
    hub.dispatcher.wake()
    message = "Older than the stored object: not broadcast" if outcome is Outcome.STALE else None
    return ocpi_response(status_message=message, headers=_hub_headers(hub, incoming.sender))


async def _get_all(hub: HubState, request: Request, incoming: Incoming) -> Response:
    if incoming.module not in STORED_MODULES:
        raise InvalidParameters("GET All via the hub serves locations, tariffs and tokens")
    page = PageRequest.parse(request.query_params, max_limit=hub.settings.page_limit)
    owner_role = Role.EMSP if incoming.module == "tokens" else Role.CPO
    allowed_roles = audience(owner_role, hub.settings.broadcast_extra_roles)
    may_see = bool(_roles_of(incoming.identity, incoming.sender) & allowed_roles)
    policy = await hub.agreements.current()
    async with hub.sessions() as session:
        repo = StoreRepository(session)
        listing = await repo.listing(module=incoming.module, date_from=page.date_from, date_to=page.date_to)
        visible = [
            row_id
            for row_id, cc, pid in listing
            if may_see
            and PartyKey.of(cc, pid) != incoming.sender
            and policy.allows(PartyKey.of(cc, pid), incoming.sender, incoming.module)
        ]
        data = await repo.data_of(visible[page.offset : page.offset + page.limit])
    base = f"{hub.settings.public_url}/ocpi/{incoming.version}/sender/{incoming.module}"
    headers = Page(total=len(visible), request=page).headers(base, request.query_params)
    return ocpi_response(data, headers=headers | _hub_headers(hub, incoming.sender))
