"""Sending one request to a receiver with its circuit breakers and failover URLs.

The time budget is the receiver's timeout, shared by every attempt. The primary URL is tried
first, then each alternate origin (`ocpi-hub platforms failover`): for GET, PUT and DELETE
after any failure; for POST and PATCH only when the attempt surely never reached the receiver
(the connection was refused, or its breaker is open). Routed requests are never retried
otherwise (checklist 45): the requester gets 4002 or 4003 at once.
"""

from __future__ import annotations

import time
from dataclasses import replace
from urllib.parse import urlsplit, urlunsplit

from hub.errors import HubError, ReceiverTimeout, ReceiverUnreachable
from hub.forwarding.contract import (
    Adapter,
    ConnectFailed,
    OutboundRequest,
    ReplyBroken,
    ReplyTimeout,
    UpstreamResponse,
)
from hub.forwarding.resilience import BreakerBoard

__all__ = ["IDEMPOTENT", "Delivery", "origin_of", "with_origin"]

IDEMPOTENT = frozenset({"GET", "PUT", "DELETE"})


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def with_origin(url: str, origin: str) -> str:
    new = urlsplit(origin)
    parts = urlsplit(url)
    return urlunsplit((new.scheme, new.netloc, parts.path, parts.query, parts.fragment))


class Delivery:
    def __init__(self, *, adapter: Adapter, breakers: BreakerBoard) -> None:
        self._adapter = adapter
        self._breakers = breakers

    async def send(self, request: OutboundRequest, *, alternates: tuple[str, ...], receiver: str) -> UpstreamResponse:
        """The receiver's reply, or a HubError (4002 / 4003) saying why there is none."""
        deadline = time.monotonic() + request.timeout_seconds
        urls = [request.url, *(with_origin(request.url, alt) for alt in alternates)]
        error: HubError = ReceiverUnreachable(f"Receiver {receiver} is unreachable")
        for index, url in enumerate(urls):
            more = index + 1 < len(urls)
            breaker = self._breakers.get(origin_of(url))
            permit = breaker.acquire()
            if permit is None:
                error = ReceiverUnreachable(f"Receiver {receiver} is failing: circuit open, not contacted")
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0.01:
                breaker.release(permit)  # nothing was attempted
                break
            try:
                reply = await self._adapter.send(replace(request, url=url, timeout_seconds=remaining))
            except ConnectFailed:
                breaker.record(permit, False)
                error = ReceiverUnreachable(f"Receiver {receiver} is unreachable")
                continue
            except ReplyTimeout:
                breaker.record(permit, False)
                error = ReceiverTimeout(f"Receiver {receiver} did not answer in time")
            except ReplyBroken:
                breaker.record(permit, False)
                error = ReceiverUnreachable(f"Connection to receiver {receiver} broke")
            else:
                breaker.record(permit, reply.status < 500)
                if reply.status < 500 or not (more and request.method in IDEMPOTENT):
                    return reply
                continue
            if request.method not in IDEMPOTENT:
                break
        raise error
