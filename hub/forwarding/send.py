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
from dataclasses import replace
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

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
from hub.forwarding.resilience import BreakerBoard
from hub.routing.table import PlatformRoute

__all__ = ["IDEMPOTENT", "BreakerOpen", "Reachability", "SendPath", "origin_of", "with_origin"]

IDEMPOTENT = frozenset({"GET", "PUT", "DELETE"})


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
    ) -> None:
        self._adapter = adapter
        self._breakers = breakers
        self._reachability = reachability or _Unobserved()
        self._busy_retry_after = busy_retry_after

    async def send(self, request: OutboundRequest, *, platform: PlatformRoute, receiver: str) -> UpstreamResponse:
        """The receiver's reply, or a HubError (4002 / 4003) saying why there is none."""
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
                reply = await self._adapter.send(attempt)
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
        raise error
