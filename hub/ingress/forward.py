"""The generic forward path for functional (and custom) modules, and the hub URLs that stand in
for unreachable ones.

`/ocpi/{version}/{sender|receiver}/{module}/{rest}`: authenticate the sender, check its FROM,
check the push, decide, forward (requirements §3.2-3.3, checklist C).
`/ocpi/{version}/proxy/{id}`: follow a Link / Location / response_url replaced by the hub.
"""

from __future__ import annotations

import re
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.errors import InvalidParameters, MethodNotAllowed, NotFound, ReceiverUnreachable, UnknownReceiver
from hub.forwarding.forwarder import UNPARSED, Call
from hub.forwarding.proxies import ProxyKind
from hub.identity import Identity
from hub.ingress.body import parse_json
from hub.ingress.middleware import scope_ids
from hub.ingress.to_hub import Incoming, addressed_to_hub
from hub.mirror.repository import StoreRepository
from hub.mirror.updates import store_update_for
from hub.ocpi.headers import (
    FROM_COUNTRY,
    FROM_PARTY,
    TO_COUNTRY,
    TO_PARTY,
    RoutingHeaders,
)
from hub.ocpi.versions import EDITIONS, Edition
from hub.routing.checks import check_push, needs_body_check
from hub.routing.decide import Reject, RoutedRequest, decide
from hub.routing.open_routing import is_list_get, lookup_for
from hub.state import HubState, hub_state
from hub.types import ConnectionStatus, InterfaceRole, PartyKey
from hub.validation import ValidationContext

__all__ = ["forward_routes"]

_INTERFACES = {"sender": InterfaceRole.SENDER, "receiver": InterfaceRole.RECEIVER}
_MODULE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def _edition(request: Request) -> Edition:
    edition = EDITIONS.get(request.path_params["version"])
    if edition is None:
        raise NotFound("Unknown OCPI version")
    return edition


def _sender_party(identity: Identity, headers: RoutingHeaders) -> PartyKey:
    """FROM must be one of the sender platform's parties; inferred if it has exactly one."""
    if headers.from_partial or headers.to_partial:
        raise InvalidParameters("Routing headers come in pairs: country code and party id")
    if headers.from_ is None:
        keys = identity.party_keys
        if len(keys) != 1:
            raise InvalidParameters("OCPI-from-country-code and OCPI-from-party-id are required")
        return next(iter(keys))
    if not identity.serves(headers.from_):
        raise InvalidParameters(f"OCPI-from {headers.from_} is not one of your registered parties")
    return headers.from_


async def _body(request: Request) -> tuple[bytes | None, Any]:
    if request.method not in _WITH_BODY:
        return None, UNPARSED
    raw = await request.body()
    if not raw.strip():
        return raw, UNPARSED
    return raw, parse_json(raw)


async def forward(request: Request) -> Response:
    started = time.perf_counter()
    hub = hub_state(request)
    edition = _edition(request)
    interface = _INTERFACES.get(request.path_params["interface"])
    module = request.path_params["module"]
    if interface is None or not _MODULE_ID.match(module):
        raise NotFound("Unknown module endpoint")
    identity = await hub.auth.require(request)
    headers = RoutingHeaders.parse(request.headers)
    sender = _sender_party(identity, headers)
    if module not in edition.functional_modules:
        await _require_custom_module(hub, identity, module)
    raw, parsed = await _body(request)
    rest = _raw_rest(request)  # percent-encoded; hub.ocpi.paths.segments decodes per segment
    if needs_body_check(request.method, module, interface):
        if parsed is UNPARSED:
            raise InvalidParameters(f"{request.method} needs a JSON body")
        check_push(method=request.method, module=module, interface=interface, rest=rest, body=parsed, sender=sender)
    incoming = Incoming(
        request.method, module, interface, rest, request.url.query, sender, identity, raw, parsed, edition.number
    )
    if headers.to == PartyKey.of(hub.settings.country_code, hub.settings.party_id):
        return await addressed_to_hub(hub, request, incoming)
    receiver = headers.to or await _open_route(hub, incoming)
    routed = RoutedRequest(
        method=request.method,
        module=module,
        interface=interface,
        rest=rest,
        query=incoming.query,
        to=receiver,
        from_=sender,
    )
    decision = decide(routed, await hub.routing.entries(receiver))
    if isinstance(decision, Reject):
        raise decision.error
    if not (await hub.agreements.current()).allows(sender, receiver, module):
        raise UnknownReceiver(f"No agreement lets {sender} and {receiver} exchange {module}")
    validation = ValidationContext(
        sender_platform=identity.platform_name,
        receiver_platform=decision.target.platform.name,
        version=edition.number,
        module=module,
        interface=interface,
        method=request.method,
        rest=rest,
    )
    if parsed is not UNPARSED:
        hub.validator.check_request(validation, parsed)
    update = store_update_for(module=module, interface=interface, method=request.method, rest=rest, body=parsed)
    if update is not None:
        hub.store_writer.submit(update)
    request_id, correlation_id = scope_ids(request.scope)
    call = Call(
        method=request.method,
        module=module,
        url=decision.url,
        to=receiver,
        from_=sender,
        routing_headers=_routing_headers(request, sender, receiver),
        target=decision.target.platform,
        caller_platform_id=identity.platform_id,
        request_id=request_id,
        correlation_id=correlation_id,
        body=raw,
        parsed=parsed,
        version=edition.number,
        started=started,
        validation=validation,
    )
    return await hub.forwarder.run(call)


def _raw_rest(request: Request) -> str:
    """The path after the module, still percent-encoded, so ids like `A%2FB` reach the receiver
    as they were sent (checklist 42): the decoded form would split or end the path."""
    raw = request.scope.get("raw_path")
    if not raw:
        return str(request.path_params.get("rest", ""))
    parts = raw.decode("latin-1").split("?", 1)[0].split("/")
    return "/".join(parts[5:])  # "", "ocpi", version, interface, module, rest...


async def _open_route(hub: HubState, incoming: Incoming) -> PartyKey:
    """No OCPI-to headers: find the receiver from the request (Open Routing)."""
    if is_list_get(incoming.method, incoming.interface, incoming.rest):
        raise InvalidParameters("OCPI-to headers are required for a list GET (GET All is never open-routed)")
    lookup = lookup_for(
        module=incoming.module,
        interface=incoming.interface,
        method=incoming.method,
        rest=incoming.rest,
        body=None if incoming.parsed is UNPARSED else incoming.parsed,
    )
    found = lookup.party if lookup else None
    if lookup is not None and lookup.module and lookup.object_id:
        async with hub.sessions() as session:
            found = await StoreRepository(session).owner_of(module=lookup.module, object_id=lookup.object_id)
    if found is None:
        raise UnknownReceiver("No OCPI-to headers, and the hub cannot tell the receiver from the request")
    return found


def _routing_headers(request: Request, sender: PartyKey, receiver: PartyKey) -> dict[str, str]:
    """The OCPI-to/from values exactly as received (checklist C.31); filled in where the hub
    inferred FROM or chose TO (Open Routing)."""
    h = request.headers
    return {
        "OCPI-to-country-code": h.get(TO_COUNTRY) or receiver.country_code,
        "OCPI-to-party-id": h.get(TO_PARTY) or receiver.party_id,
        "OCPI-from-country-code": h.get(FROM_COUNTRY) or sender.country_code,
        "OCPI-from-party-id": h.get(FROM_PARTY) or sender.party_id,
    }


async def _require_custom_module(hub: HubState, identity: Identity, module: str) -> None:
    """Custom modules are routed only when the sender advertises them too (the receiver is
    checked by `decide`)."""
    own = await hub.routing.platform(identity.platform_id)
    if own is None or not any(m == module for m, _ in own.endpoints):
        raise NotFound(f"Unknown module {module}")


async def follow(request: Request) -> Response:
    """Follow a hub URL that stands in for a Link, a Location or a response_url."""
    started = time.perf_counter()
    hub = hub_state(request)
    edition = _edition(request)
    identity = await hub.auth.require(request)
    target = await hub.proxies.resolve(request.path_params["proxy_id"], caller_platform_id=identity.platform_id)
    if target is None:
        raise NotFound("Unknown or expired hub URL")
    if (target.kind == ProxyKind.CALLBACK) == (request.method == "GET"):
        raise MethodNotAllowed(f"{request.method} is not allowed on this hub URL")
    platform = await hub.routing.platform(target.target_platform_id)
    if platform is None or platform.status is not ConnectionStatus.CONNECTED or platform.token is None:
        raise ReceiverUnreachable(f"Receiver {target.to} is not connected")
    raw, parsed = await _body(request)
    request_id, correlation_id = scope_ids(request.scope)
    call = Call(
        method=request.method,
        module=target.module,
        url=target.target_url,
        to=target.to,
        from_=target.from_,
        routing_headers={
            "OCPI-to-country-code": target.to.country_code,
            "OCPI-to-party-id": target.to.party_id,
            "OCPI-from-country-code": target.from_.country_code,
            "OCPI-from-party-id": target.from_.party_id,
        },
        target=platform,
        caller_platform_id=identity.platform_id,
        request_id=request_id,
        correlation_id=correlation_id,
        body=raw,
        parsed=parsed,
        version=edition.number,
        started=started,
    )
    return await hub.forwarder.run(call)


_ALL = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def forward_routes() -> list[Route]:
    return [
        Route("/ocpi/{version}/proxy/{proxy_id}", follow, methods=_ALL),
        Route("/ocpi/{version}/{interface}/{module}", forward, methods=_ALL),
        Route("/ocpi/{version}/{interface}/{module}/{rest:path}", forward, methods=_ALL),
    ]
