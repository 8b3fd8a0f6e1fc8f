"""Runs a Forward: builds the outbound request from the request value, sends it through the one
send path, and shapes the reply.

Per request (requirements §3.3): the URL is the receiver's registered endpoint plus the checked
path parameters and query (`hub.ocpi.urls`); OCPI-to/from are the values ingress checked; the body
goes byte for byte unless a `response_url` must be replaced by a hub URL. The reply keeps the
receiver's HTTP status and envelope whatever the status (an eMSP's 404 with 2004 reaches the CPO as
such), goes back with the requester's X-Request-ID, and has its `Link` / `Location` replaced by hub
URLs. Transport failures become 4002 / 4003, replies that are no OCPI envelope 4000; nothing is
retried, except that a push through an upstream hub that no route could take is stored and
queued for that upstream (`hub.forwarding.store_forward`). A push changes the hub's mirror only
once the receiver accepted it (1xxx), or the hub queued it, and its success reaches the pusher
only once that change is committed (else 3000, HTTP 503).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import orjson
import structlog
from starlette.responses import Response

from hub.editions.edges import Editions, bridges_v211, edition_of
from hub.egress.origins import same_origin_url
from hub.egress.policy import origin_of
from hub.errors import HubError, OcpiError, ReceiverTimeout, ReceiverUnreachable, ServerError
from hub.forwarding.contract import RouteContext, UpstreamResponse
from hub.forwarding.outbound import outbound_request
from hub.forwarding.proxies import Proxies, ProxyKind, ProxyTarget
from hub.forwarding.rewrite import CALLBACK_MODULES, body_response_url, next_link, replace_next_link
from hub.forwarding.send import RouteAttempt, SendPath
from hub.forwarding.store_forward import UpstreamQueue
from hub.identity import Identity
from hub.mirror.updates import store_update_for
from hub.mirror.writer import StoreRefused, StoreWriteFailed, StoreWriter
from hub.observability.metrics import HubMetrics
from hub.ocpi.envelope import error_response, ocpi_response, parse_envelope
from hub.ocpi.headers import routing_headers
from hub.ocpi.request import OcpiRequest
from hub.ocpi.urls import build_url, encode_path
from hub.ocpi.versions import PIVOT, V211
from hub.routing.decide import Forward
from hub.routing.table import RouteEntry
from hub.routing.upstream_routes import PinBook
from hub.validation import PayloadValidator, ValidationContext

__all__ = ["Forwarder"]

_log = structlog.get_logger("hub.route")
_PASS_HEADERS = (
    "x-total-count",
    "x-limit",
    "ocpi-to-country-code",
    "ocpi-to-party-id",
    "ocpi-from-country-code",
    "ocpi-from-party-id",
)


@dataclass(frozen=True, slots=True)
class _Prepared:
    url: str
    body: bytes | None
    parsed: Any = None  # the body as sent, parsed (None: no body)


class Forwarder:
    def __init__(
        self,
        *,
        send: SendPath,
        proxies: Proxies,
        validator: PayloadValidator,
        mirror: StoreWriter,
        default_timeout: float,
        pins: PinBook | None = None,
        upstream_queue: UpstreamQueue | None = None,
        metrics: HubMetrics | None = None,
        editions: Editions | None = None,
    ) -> None:
        self._send = send
        self._editions = editions
        self._metrics = metrics
        self._queue = upstream_queue
        self._pins = pins
        self._proxies = proxies
        self._validator = validator
        self._mirror = mirror
        self._default_timeout = default_timeout

    async def run(
        self, request: OcpiRequest, forward: Forward, caller: Identity, *, started: float, checked: bool = True
    ) -> Response:
        """Send `request` as `forward` says and answer the caller. `checked=False` for hub URLs
        being followed (their payloads are not module payloads of a known path)."""
        ids = {"X-Request-ID": request.request_id, "X-Correlation-ID": request.correlation_id}
        # built for every checked request: what the hub will store is checked whatever the mode
        validation = _validation(request, caller, forward) if checked else None
        queue = self._queue if checked and self._queue is not None and self._queue.carries(request, forward) else None
        try:
            if _unsupported_command(request, forward):  # 2.1.1 has no CANCEL_RESERVATION (checklist 77)
                self._audit(request, forward, started, status=200, ocpi_status=1000)
                return ocpi_response({"result": "NOT_SUPPORTED", "timeout": 0}, headers=ids)
            if validation is not None and request.body is not None:
                self._validator.check_request(validation, request.parsed)
            if queue is not None and await queue.waiting(request, forward):
                return await self._queued(queue, request, forward, started, why="has pushes of this module waiting")
            first, *alternates = [
                await self._attempt(request, forward, caller, entry, endpoint, checked)
                for entry, endpoint in ((forward.route, forward.endpoint), *forward.alternates)
            ]
            reply = await self._send.send(
                first.request, platform=first.platform, receiver=str(forward.receiver), alternates=alternates
            )
            if reply.via:
                forward = _served(forward, reply.via)
            envelope = parse_envelope(reply.body)
            if queue is not None and (envelope is None or reply.status >= 500):
                return await self._queued(queue, request, forward, started, why=f"answered HTTP {reply.status}")
            if envelope is None:
                raise HubError(
                    f"Receiver {forward.receiver} sent a reply that is not an OCPI response (HTTP {reply.status})"
                )
            foreign = edition_of(forward.route.platform.version) is not PIVOT
            if validation is not None and not foreign:
                self._validator.check_reply(validation, envelope)
            translated = None
            if self._editions is not None and (foreign or request.version != PIVOT.number):
                translated = await self._editions.reply(
                    request, envelope, receiver_version=forward.route.platform.version, receiver=forward.receiver
                )
        except OcpiError as refused:
            if queue is not None and isinstance(refused, (ReceiverUnreachable, ReceiverTimeout)):
                why = "did not answer in time" if isinstance(refused, ReceiverTimeout) else "cannot be reached"
                return await self._queued(queue, request, forward, started, why=why)
            self._audit(request, forward, started, status=refused.http_status, ocpi_status=refused.status_code)
            return error_response(refused, headers=ids, v211=request.version == V211.number)
        ocpi_status: int = envelope["status_code"]
        accepted = 1000 <= ocpi_status < 2000 and reply.status < 300
        if accepted:
            await self._pin(forward, caller)
            if self._metrics is not None:
                self._metrics.business(
                    module=request.module,
                    method=request.method,
                    path=request.path.values,
                    body=request.parsed if request.body is not None else None,
                    data=envelope.get("data"),
                    sender=str(forward.sender),
                    receiver=str(forward.receiver),
                )
        if checked and accepted:
            update = store_update_for(
                request, forward.sender, memo=bridges_v211(request.version, forward.route.platform.version)
            )
            if update is not None:
                try:  # durable before the answer (hub.mirror.writer)
                    await self._mirror.write(update)
                except StoreWriteFailed as failed:
                    why = "refused by the hub's store" if isinstance(failed, StoreRefused) else "not stored by the hub"
                    unstored = ServerError(
                        f"Accepted by receiver {forward.receiver} but {why}: send it again", http_status=503
                    )
                    self._audit(request, forward, started, status=503, ocpi_status=unstored.status_code)
                    return error_response(unstored, headers=ids, v211=request.version == V211.number)
        headers = self._reply_headers(request, forward, caller, reply, ids)
        self._audit(request, forward, started, status=reply.status, ocpi_status=ocpi_status, reply=reply)
        body = reply.body if translated is None else orjson.dumps(translated)
        return Response(body, status_code=reply.status, headers=headers, media_type="application/json")

    async def _queued(
        self, queue: UpstreamQueue, request: OcpiRequest, forward: Forward, started: float, *, why: str
    ) -> Response:
        """The push stored and queued on its upstream route (`hub.forwarding.store_forward`)."""
        reply = await queue.put(request, forward, why=why)
        self._audit(request, forward, started, status=reply.status_code, ocpi_status=1000)
        return reply

    async def _attempt(
        self, request: OcpiRequest, forward: Forward, caller: Identity, entry: RouteEntry, endpoint: str, checked: bool
    ) -> RouteAttempt:
        """The request as sent through one route (its own URL, token and hub callback URLs)."""
        routed = forward if entry is forward.route else replace(forward, route=entry, endpoint=endpoint)
        prepared = (
            await self._prepare(request, routed, caller)
            if checked
            else _Prepared(endpoint, request.body, request.parsed if request.body is not None else None)
        )
        outbound = outbound_request(
            platform=entry.platform,
            method=request.method,
            url=prepared.url,
            body=prepared.body,
            correlation_id=request.correlation_id,
            routing=_routing(request, forward),
            default_timeout=self._default_timeout,
            context=_context(request, routed, prepared) if entry.platform.upstream else None,
        )
        return RouteAttempt(entry.platform, outbound)

    async def _pin(self, forward: Forward, caller: Identity) -> None:
        """Keep the flow on the route that carried it (hub.routing.pins)."""
        if self._pins is None:
            return
        if forward.pin is not None:
            await self._pins.pin(forward.pin, forward.route.platform.platform_id)
        if forward.learned_pin is not None:
            await self._pins.pin(forward.learned_pin, caller.platform_id)

    async def _prepare(self, request: OcpiRequest, forward: Forward, caller: Identity) -> _Prepared:
        """The URL and body to send: a response_url the receiver would call directly becomes a hub URL
        that leads back to the requester with TO = requester, FROM = receiver (checklist F 61-62)."""
        query = list(request.query)
        parsed, changed = request.parsed, False
        if request.module in CALLBACK_MODULES:
            query = [
                (k, await self._callback(request, forward, caller, v) if k == "response_url" else v) for k, v in query
            ]
            original = body_response_url(parsed)
            if original:
                parsed, changed = (
                    {**parsed, "response_url": await self._callback(request, forward, caller, original)},
                    True,
                )
        edition = edition_of(forward.route.platform.version)
        if self._editions is not None and request.body is not None and edition is not PIVOT:
            parsed, changed = (
                await self._editions.to_receiver(
                    edition.number,
                    module=request.module,
                    interface=request.interface,
                    method=request.method,
                    path=request.path,
                    body=parsed,
                ),
                True,
            )
            if edition is V211:
                query = [(k, v) for k, v in query if k != "type"]  # 2.1.1 token URLs take no type
        body = orjson.dumps(parsed) if changed else request.body
        return _Prepared(build_url(forward.endpoint, request.path.values, query), body, parsed if body else None)

    async def _callback(self, request: OcpiRequest, forward: Forward, caller: Identity, original: str) -> str:
        target = ProxyTarget(
            kind=ProxyKind.CALLBACK,
            module=request.module,
            target_url=original,
            target_platform_id=caller.platform_id,
            caller_platform_id=forward.route.platform.platform_id,
            to=forward.sender,
            from_=forward.receiver,
        )
        # in the receiver's URL space: it calls the hub URL in its own edition (raw token for 2.1.1)
        version = edition_of(forward.route.platform.version).number
        return await self._proxies.mint_short(target, version=version)

    def _reply_headers(
        self, request: OcpiRequest, forward: Forward, caller: Identity, reply: UpstreamResponse, ids: dict[str, str]
    ) -> dict[str, str]:
        headers = dict(ids)
        for name in _PASS_HEADERS:
            if name in reply.headers:
                headers[name] = reply.headers[name]
        headers.setdefault("ocpi-to-country-code", forward.sender.country_code)
        headers.setdefault("ocpi-to-party-id", forward.sender.party_id)
        headers.setdefault("ocpi-from-country-code", forward.receiver.country_code)
        headers.setdefault("ocpi-from-party-id", forward.receiver.party_id)
        link = reply.headers.get("link")
        following = next_link(link)
        if link and following and (sealed := self._follow(request, forward, caller, ProxyKind.PAGE, following)):
            headers["link"] = replace_next_link(link, sealed)
        location = reply.headers.get("location")
        if location and request.module == "cdrs" and request.method == "POST":
            if sealed := self._follow(request, forward, caller, ProxyKind.LOCATION, location):
                headers["location"] = sealed
        return headers

    def _follow(self, request: OcpiRequest, forward: Forward, caller: Identity, kind: str, url: str) -> str | None:
        """A hub URL for a receiver's Link / Location; None (the header is dropped) unless it is at
        the origin of the endpoint called or of one of the receiver's failover origins."""
        allowed = frozenset(o for o in map(origin_of, (forward.endpoint, *forward.route.platform.alternates)) if o)
        absolute = same_origin_url(url, forward.endpoint, allowed)
        if absolute is None:
            _log.warning("foreign_url_dropped", kind=kind, receiver=forward.route.platform.name, module=request.module)
            return None
        target = ProxyTarget(
            kind=kind,
            module=request.module,
            target_url=absolute,
            target_platform_id=forward.route.platform.platform_id,
            caller_platform_id=caller.platform_id,
            to=forward.receiver,
            from_=forward.sender,
        )
        return self._proxies.mint(target, version=request.version)

    def _audit(
        self,
        request: OcpiRequest,
        forward: Forward,
        started: float,
        *,
        status: int,
        ocpi_status: int | None,
        reply: UpstreamResponse | None = None,
    ) -> None:
        total_ms = (time.perf_counter() - started) * 1000
        receiver_ms = reply.elapsed_ms if reply is not None else None
        if self._metrics is not None:
            self._metrics.routed_request(
                module=request.module,
                method=request.method,
                ocpi_status=ocpi_status,
                sender=str(forward.sender),
                receiver=str(forward.receiver),
                receiver_name=forward.route.platform.name,
                receiver_ms=receiver_ms,
            )
        _log.info(
            "routed",
            from_party=str(forward.sender),
            to_party=str(forward.receiver),
            module=request.module,
            method=request.method,
            receiver=forward.route.platform.name,
            status=status,
            ocpi_status=ocpi_status,
            hub_ms=round(total_ms - (receiver_ms or 0.0), 3),
            receiver_ms=round(receiver_ms, 3) if receiver_ms is not None else None,
        )


def _served(forward: Forward, platform_id: int) -> Forward:
    """The decision as carried out: the alternate route whose platform answered."""
    for entry, endpoint in forward.alternates:
        if entry.platform.platform_id == platform_id:
            return replace(forward, route=entry, endpoint=endpoint)
    return forward


def _context(request: OcpiRequest, forward: Forward, prepared: _Prepared) -> RouteContext:
    platform = forward.route.platform
    return RouteContext(
        module=request.module,
        interface=request.interface.value,
        path=request.path.values,
        query=tuple(request.query),
        parsed=prepared.parsed,
        sender=(forward.sender.country_code, forward.sender.party_id),
        receiver=(forward.receiver.country_code, forward.receiver.party_id),
        version=request.version,
        platform_id=platform.platform_id,
        profile=platform.profile,
        options=platform.options,
        upstream_ids=forward.route.upstream_ids,
    )


def _routing(request: OcpiRequest, forward: Forward) -> dict[str, str]:
    """OCPI-to/from as ingress checked them (checklist C.31); the hub's own values where it
    inferred FROM or chose TO (Open Routing)."""
    return routing_headers(to=request.to or forward.receiver, from_=request.from_ or forward.sender)


def _unsupported_command(request: OcpiRequest, forward: Forward) -> bool:
    return (
        request.module == "commands"
        and request.path.get("command") == "CANCEL_RESERVATION"
        and edition_of(forward.route.platform.version) is V211
    )


def _validation(request: OcpiRequest, caller: Identity, forward: Forward) -> ValidationContext:
    return ValidationContext(
        sender_platform=caller.platform_name,
        receiver_platform=forward.route.platform.name,
        version=PIVOT.number,  # bodies are 2.2.1 past ingress (hub.editions)
        module=request.module,
        interface=request.interface,
        method=request.method,
        rest=encode_path(request.path.values),
    )
