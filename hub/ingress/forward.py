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

from hub.errors import InvalidParameters, MethodNotAllowed, NotFound, ReceiverUnreachable
from hub.forwarding.forwarder import UNPARSED, Call
from hub.forwarding.proxies import ProxyKind
from hub.identity import Identity
from hub.ingress.body import parse_json
from hub.ingress.middleware import scope_ids
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
from hub.state import HubState, hub_state
from hub.types import ConnectionStatus, InterfaceRole, PartyKey

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
    if headers.to is None:
        raise InvalidParameters("OCPI-to-country-code and OCPI-to-party-id are required (open routing comes later)")
    if headers.to == PartyKey.of(hub.settings.country_code, hub.settings.party_id):
        raise InvalidParameters("Requests addressed to the hub itself (Broadcast, GET All) are not supported yet")
    if module not in edition.functional_modules:
        await _require_custom_module(hub, identity, module)
    raw, parsed = await _body(request)
    rest = request.path_params.get("rest", "")
    if needs_body_check(request.method, module, interface):
        if parsed is UNPARSED:
            raise InvalidParameters(f"{request.method} needs a JSON body")
        check_push(method=request.method, module=module, interface=interface, rest=rest, body=parsed, sender=sender)
    routed = RoutedRequest(
        method=request.method,
        module=module,
        interface=interface,
        rest=rest,
        query=request.url.query,
        to=headers.to,
        from_=sender,
    )
    decision = decide(routed, await hub.routing.entries(headers.to))
    if isinstance(decision, Reject):
        raise decision.error
    request_id, correlation_id = scope_ids(request.scope)
    call = Call(
        method=request.method,
        module=module,
        url=decision.url,
        to=headers.to,
        from_=sender,
        routing_headers=_routing_headers(request, sender),
        target=decision.target.platform,
        caller_platform_id=identity.platform_id,
        request_id=request_id,
        correlation_id=correlation_id,
        body=raw,
        parsed=parsed,
        version=edition.number,
        started=started,
    )
    return await hub.forwarder.run(call)


def _routing_headers(request: Request, sender: PartyKey) -> dict[str, str]:
    """The OCPI-to/from values exactly as received (checklist C.31); FROM filled in if inferred."""
    h = request.headers
    return {
        "OCPI-to-country-code": h[TO_COUNTRY],
        "OCPI-to-party-id": h[TO_PARTY],
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
