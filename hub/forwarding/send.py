"""The one way a request leaves the hub: an adapter, wrapped once in resilience.

Routed requests (the forwarder) and outbox deliveries (the broadcast dispatcher) both call
`SendPath.send`. Per call:
- a circuit breaker per receiving URL origin (`hub.forwarding.resilience`): an open breaker
  refuses at once, without a connection attempt;
- failover between the receiver's origins (`ocpi-hub platforms failover`): the primary first,
  then each alternate; GET, PUT and DELETE after any failure, POST and PATCH only when the
  attempt surely never reached the receiver (connection refused, or its breaker open): never
  double-start a session or double-post a CDR;
- one time budget (the receiver's timeout) shared by every attempt;
- failover between routes to the same party (upstream reference §3.4): the routes `decide`
  ordered (a direct route, upstream hubs); the next route is tried when nothing reached the
  previous one (connect error, breaker open), when an upstream hub answers 4001 / 4003 (it does
  not know or cannot reach the party), and after a timeout, break or 5xx only for calls that are
  safe to repeat (GET, PUT, DELETE, POST tokens/{uid}/authorize); each route has its own time
  budget; a route that could not be reached is held down (`HoldDown`);
- no other retry (checklist 45): the caller gets 4002 or 4003 at once;
- reachability: a receiver none of whose routes could be reached is reported `unreachable`,
  one that answered `reached` (the liveness room turns that into ClientInfo OFFLINE / CONNECTED);
- the hub's own shortages (`HubOutOfResources`: no descriptor, no outbound slot in time) and its
  own refusals (an OcpiError from the adapter, e.g. the outbound policy's `EgressRefused`) say
  nothing about the receiver: the breaker's permit is handed back unused, reachability is not
  told, no alternate is tried; a shortage is HubBusy (3000, HTTP 503, Retry-After).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import orjson

from hub.errors import HubBusy, HubError, OcpiError, ReceiverTimeout, ReceiverUnreachable
from hub.forwarding.contract import (
    Adapter,
    ConnectFailed,
    HubOutOfResources,
    OutboundRequest,
    ReplyBroken,
    ReplyTimeout,
    UpstreamResponse,
)
from hub.forwarding.resilience import BreakerBoard, HoldDown
from hub.routing.table import PlatformRoute
from hub.types import PlatformKind

__all__ = ["IDEMPOTENT", "BreakerOpen", "Reachability", "RouteAttempt", "SendPath", "origin_of", "with_origin"]

IDEMPOTENT = frozenset({"GET", "PUT", "DELETE"})
_NOT_THERE = frozenset({4001, 4003})  # an upstream hub does not know, or cannot reach, the party


@dataclass(frozen=True, slots=True)
class RouteAttempt:
    """One more route to try: the platform and the request as built for it."""

    platform: PlatformRoute
    request: OutboundRequest


class _Failed(Exception):
    """Every origin of one route failed; `reached`: something may have reached the receiver."""

    def __init__(self, error: HubError, *, reached: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.reached = reached


def _replayable(request: OutboundRequest) -> bool:
    """Safe to send again through another route: idempotent, or a real-time authorization."""
    if request.method in IDEMPOTENT:
        return True
    context = request.context
    return context is not None and context.module == "tokens" and context.path[-1:] == ("authorize",)


def _upstream_not_there(platform: PlatformRoute, reply: UpstreamResponse) -> bool:
    if not platform.upstream:
        return False
    try:
        envelope = orjson.loads(reply.body)
    except orjson.JSONDecodeError:
        return False
    return isinstance(envelope, dict) and envelope.get("status_code") in _NOT_THERE


class BreakerOpen(ReceiverUnreachable):
    """4003 without a connection attempt: every route's breaker is open."""


class Reachability(Protocol):
    """Told what the send path learns about a platform (see `hub.liveness`)."""

    def unreachable(self, platform_id: int) -> None: ...

    def reached(self, platform_id: int) -> None: ...


class _Unobserved:
    def unreachable(self, platform_id: int) -> None:
        return None

    def reached(self, platform_id: int) -> None:
        return None


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def with_origin(url: str, origin: str) -> str:
    new = urlsplit(origin)
    parts = urlsplit(url)
    return urlunsplit((new.scheme, new.netloc, parts.path, parts.query, parts.fragment))


class SendPath:
    def __init__(
        self,
        *,
        adapter: Adapter,
        breakers: BreakerBoard,
        reachability: Reachability | None = None,
        busy_retry_after: int = 1,
        adapters: dict[PlatformKind, Adapter] | None = None,
        hold_down: HoldDown | None = None,
    ) -> None:
        self._adapter = adapter
        self._adapters = adapters or {}
        self._breakers = breakers
        self._reachability = reachability or _Unobserved()
        self._busy_retry_after = busy_retry_after
        self._hold_down = hold_down or HoldDown(0.0)

    async def send(
        self,
        request: OutboundRequest,
        *,
        platform: PlatformRoute,
        receiver: str,
        alternates: Sequence[RouteAttempt] = (),
    ) -> UpstreamResponse:
        """The receiver's reply, or a HubError (4002 / 4003) saying why there is none."""
        routes = [RouteAttempt(platform, request), *alternates]
        for index, route in enumerate(routes):
            more = index + 1 < len(routes)
            try:
                reply = await self._send_route(route.request, platform=route.platform, receiver=receiver)
            except _Failed as failed:
                if not failed.reached:
                    self._hold_down.failed(route.platform.platform_id)
                if more and (not failed.reached or _replayable(route.request)):
                    continue
                raise failed.error from None
            if more and _upstream_not_there(route.platform, reply):
                continue
            if more and reply.status >= 500 and _replayable(route.request):
                continue
            return replace(reply, via=route.platform.platform_id) if index else reply
        raise AssertionError("unreachable: the last route returns or raises")

    async def _send_route(
        self, request: OutboundRequest, *, platform: PlatformRoute, receiver: str
    ) -> UpstreamResponse:
        """One route: the platform's primary origin, then its alternates (`_Failed` if none answered)."""
        adapter = self._adapters.get(platform.kind, self._adapter)
        deadline = time.monotonic() + request.timeout_seconds
        urls = [request.url, *(with_origin(request.url, alt) for alt in platform.alternates)]
        error: HubError = BreakerOpen(f"Receiver {receiver} is failing: circuit open, not contacted")
        reached = False  # something reached the receiver: a reply, or a timeout or break after sending
        failed_reply: UpstreamResponse | None = None  # a 5xx an idempotent call failed over from
        for index, url in enumerate(urls):
            more = index + 1 < len(urls)
            breaker = self._breakers.get(origin_of(url))
            permit = breaker.acquire()
            if permit is None:
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0.01:
                breaker.release(permit)  # nothing was attempted: the time budget is spent
                error = ReceiverTimeout(f"Receiver {receiver} did not answer in time")
                break
            try:
                attempt = request if index == 0 else replace(request, url=url, timeout_seconds=remaining)
                reply = await adapter.send(attempt)
            except ConnectFailed:
                breaker.record(permit, False)
                if not reached:
                    error = ReceiverUnreachable(f"Receiver {receiver} is unreachable")
                continue
            except ReplyTimeout:
                error = ReceiverTimeout(f"Receiver {receiver} did not answer in time")
            except ReplyBroken:
                error = ReceiverUnreachable(f"Connection to receiver {receiver} broke")
            except HubOutOfResources:
                breaker.release(permit)
                raise HubBusy(
                    "Hub busy: no outbound connection available, try again shortly",
                    retry_after=self._busy_retry_after,
                ) from None
            except OcpiError:
                breaker.release(permit)  # the hub's own refusal (outbound policy): not the receiver's doing
                raise
            else:
                breaker.record(permit, reply.status < 500)
                self._reachability.reached(platform.platform_id)
                if reply.status < 500 or not (more and request.method in IDEMPOTENT):
                    return reply
                failed_reply, reached = reply, True
                continue
            breaker.record(permit, False)
            reached = True
            if request.method not in IDEMPOTENT:
                break
        if failed_reply is not None:
            return failed_reply  # no alternate did better: the caller gets the receiver's own answer
        if not reached:
            self._reachability.unreachable(platform.platform_id)
        raise _Failed(error, reached=reached)
