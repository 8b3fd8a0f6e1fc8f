"""The one endpoint of functional (and custom) modules, and the hub URLs that stand in for
unreachable ones. A request reads straight through:

    authenticate -> parse once (hub.ocpi.request) -> gather the view -> decide -> execute

`/ocpi/{version}/{sender|receiver}/{module}/{params...}`: the decision is executed by the room that
owns it: Forward by the forwarder, Broadcast by the broadcast room, AnswerFromStore by the mirror.
`/ocpi/{version}/proxy/{sealed}`: follow a Link / Location / response_url the hub replaced.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.editions.edges import edition_of
from hub.egress.origins import check_response_url
from hub.errors import InvalidParameters, MethodNotAllowed, NotFound, ReceiverUnreachable
from hub.forwarding.proxies import ProxyKind
from hub.ingress.body import parse_json
from hub.ingress.errors import handler_for
from hub.ingress.middleware import scope_ids
from hub.ingress.ratelimit import admit, rate_limits
from hub.ocpi.grammar import known_module
from hub.ocpi.request import NO_BODY, OcpiRequest, PathParams, RoutingPair, parse_path, parse_query, parse_routing
from hub.ocpi.versions import EDITIONS, PIVOT
from hub.routing.decide import AnswerFromStore, Broadcast, Forward, Reject, decide
from hub.routing.table import RouteEntry, RoutingTable
from hub.state import hub_state
from hub.types import ConnectionStatus, InterfaceRole, PartyKey

__all__ = ["FunctionalLane", "functional_routes", "read_request"]

# functional and custom modules; configuration modules (hubclientinfo) keep their own routes
_FUNCTIONAL = re.compile(
    r"^/ocpi/[^/]+/(?:sender|receiver)/(?!(?:hubclientinfo|credentials|versions)(?:/|$))[^/]+(?:/|$)"
)
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
_ALL = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _version(version: str) -> str:
    if version not in EDITIONS:
        raise NotFound("Unknown OCPI version")
    return version


def _raw_segments(request: Request) -> list[str]:
    """The path as sent (still percent-encoded), split into segments; decoding happens once, per
    segment, in hub.ocpi.request. The prefix must be plain: `/ocpi/{version}/{interface}/{module}`
    with nothing encoded (a router matches the decoded path, so `sender%2Flocations` gets here)."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    segments = raw.decode("latin-1").split("?", 1)[0].split("/")  # "", "ocpi", version, interface, module, ...
    if len(segments) < 5 or segments[1] != "ocpi" or any("%" in s for s in segments[2:5]):
        raise NotFound("Unknown module endpoint")
    return segments


def _query_pairs(request: Request) -> list[tuple[str, str]]:
    query: bytes = request.scope.get("query_string", b"")
    if not query:
        return []
    try:
        return parse_qsl(query.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidParameters("Malformed query string") from exc


async def _body(request: Request) -> tuple[bytes | None, Any]:
    if request.method not in _WITH_BODY:
        return None, NO_BODY
    raw = await request.body()
    if not raw.strip():
        return None, NO_BODY
    return raw, parse_json(raw, max_depth=hub_state(request).settings.max_json_depth)


def _module_of(request: Request) -> str:
    """The module segment of `/ocpi/{version}/{interface}/{module}/...` (checked later, by read_request)."""
    parts = request.scope["path"].split("/", 5)
    return parts[4] if len(parts) > 4 else ""


async def read_request(request: Request) -> OcpiRequest:
    """The request value: path, query, routing headers and body, each checked once."""
    segments = _raw_segments(request)
    version, module = _version(segments[2]), segments[4]
    interface, path = parse_path(module=module, interface_segment=segments[3], rest=segments[5:])
    query = parse_query(_query_pairs(request), module=module, known_module=known_module(module))
    to, from_ = parse_routing(request.headers, "to"), parse_routing(request.headers, "from")
    body, parsed = await _body(request)
    request_id, correlation_id = scope_ids(request.scope)
    return OcpiRequest(
        method=request.method,
        version=version,
        module=module,
        interface=interface,
        path=path,
        query=query,
        to=to,
        from_=from_,
        request_id=request_id,
        correlation_id=correlation_id,
        body=body,
        parsed=parsed,
    )


async def functional(request: Request) -> Response:
    started = time.perf_counter()
    hub = hub_state(request)
    identity, _ = await admit(request, _module_of(request))  # authentication and rate limits
    value = await hub.editions.inbound(await read_request(request), identity)  # 2.2.1 from here on
    view = await hub.views.view(value, identity)
    decision = decide(value, identity, view)
    if isinstance(decision, Reject):
        raise decision.error
    if identity.upstream:  # a party behind an upstream hub that no route leads back to yet
        await hub.learner.observed(value, identity, view)
    if isinstance(decision, Forward):
        await check_response_url(value, identity, hub.routing)  # 2001 unless at the sender's own origins
        return await hub.forwarder.run(value, decision, identity, started=started)
    if isinstance(decision, Broadcast):
        return await hub.broadcasts.accept(value, decision, identity)
    assert isinstance(decision, AnswerFromStore)
    return await hub.get_all.answer(value, decision)


async def follow(request: Request) -> Response:
    """Follow a hub URL that stands in for a Link, a Location or a response_url."""
    started = time.perf_counter()
    hub = hub_state(request)
    version = _version(str(request.path_params["version"]))
    identity, _ = await admit(request, None)  # the module's bucket once the seal is open
    target = await hub.proxies.open_url(str(request.path_params["sealed"]), caller_platform_id=identity.platform_id)
    if target is None:
        raise NotFound("Unknown or expired hub URL")
    rate_limits(request).check(identity, target.module)
    if (target.kind == ProxyKind.CALLBACK) == (request.method == "GET"):
        raise MethodNotAllowed(f"{request.method} is not allowed on this hub URL")
    if request.scope.get("query_string"):
        raise InvalidParameters("A hub URL takes no query parameters")
    route = await _route_to(hub.routing, target.target_platform_id, target.to)
    body, parsed = await _body(request)
    interface = InterfaceRole.SENDER if target.kind == ProxyKind.CALLBACK else InterfaceRole.RECEIVER
    if parsed is not NO_BODY and (version != PIVOT.number or edition_of(route.platform.version) is not PIVOT):
        parsed = await hub.editions.relay(
            version,
            route.platform.version,
            module=target.module,
            interface=interface,
            method=request.method,
            body=parsed,
        )
        body = orjson.dumps(parsed)
    request_id, correlation_id = scope_ids(request.scope)
    value = OcpiRequest(
        method=request.method,
        version=version,
        module=target.module,
        interface=interface,
        path=PathParams(),
        query=(),
        to=RoutingPair(target.to.country_code, target.to.party_id),
        from_=RoutingPair(target.from_.country_code, target.from_.party_id),
        request_id=request_id,
        correlation_id=correlation_id,
        body=body,
        parsed=parsed,
    )
    forward = Forward(route=route, endpoint=target.target_url, sender=target.from_, receiver=target.to)
    return await hub.forwarder.run(value, forward, identity, started=started, checked=False)


async def _route_to(routing: RoutingTable, platform_id: int, key: PartyKey) -> RouteEntry:
    for entry in await routing.entries(key):
        if entry.platform.platform_id == platform_id:
            if entry.platform.status is not ConnectionStatus.CONNECTED or entry.platform.token is None:
                break
            return entry
    raise ReceiverUnreachable(f"Receiver {key} is not connected")


class FunctionalLane:
    """Pure ASGI: functional-module requests go straight to `functional`, past Starlette's router
    and exception middleware (about a tenth of a routed request's CPU); errors are rendered by the
    same handlers (`hub.ingress.errors`). Everything else continues to the router, which still
    has the same routes (so the app works without this lane)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _FUNCTIONAL.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await functional(request)
        except Exception as exc:  # the lane is this request's outermost boundary: the app's handlers render it
            response = await handler_for(exc)(request, exc)
        await response(scope, receive, send)


def functional_routes() -> list[Route]:
    return [
        Route("/ocpi/{version}/proxy/{sealed}", follow, methods=_ALL),
        Route("/ocpi/{version}/{interface}/{module}", functional, methods=_ALL),
        Route("/ocpi/{version}/{interface}/{module}/{rest:path}", functional, methods=_ALL),
    ]
