"""The adapter contract: an adapter is a transport (design.md §11.5).

`send(OutboundRequest) -> UpstreamResponse`, raising one of the `TransportError`s below;
breakers, rewrites, logging and envelopes wrap it from outside.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = [
    "Adapter",
    "ConnectFailed",
    "HubOutOfResources",
    "OutboundRequest",
    "RouteContext",
    "ReplyBroken",
    "ReplyTimeout",
    "TransportError",
    "UpstreamResponse",
]


@dataclass(frozen=True, slots=True)
class RouteContext:
    """What an upstream adapter needs beyond the HTTP request: what the request means, and the
    route it takes. The direct adapter ignores it; an upstream adapter rewrites headers, checks
    data quality or translates to another protocol from it."""

    module: str
    interface: str  # SENDER | RECEIVER
    path: tuple[str, ...]  # the checked path values after the module's endpoint (owner, ids)
    query: tuple[tuple[str, str], ...]
    parsed: Any  # the request body as parsed JSON (None without a body)
    sender: tuple[str, str]  # (country_code, party_id) of OCPI-from
    receiver: tuple[str, str]  # (country_code, party_id) of OCPI-to (the final receiver)
    version: str = "2.2.1"
    platform_id: int = 0  # the platform (party or upstream hub) the request goes to
    profile: str | None = None  # the upstream adapter's profile (ocpi upstream: spec | gireve)
    options: Mapping[str, Any] = field(default_factory=dict)  # the upstream's adapter options
    upstream_ids: tuple[str, ...] = ()  # the receiver's ids at the upstream (eMI3 / OICP operator ids)


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    timeout_seconds: float
    context: RouteContext | None = None


@dataclass(frozen=True, slots=True)
class UpstreamResponse:
    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes
    elapsed_ms: float
    via: int = 0  # the platform whose route answered (set by the send path)


class TransportError(Exception):
    """The receiver could not be used; subclasses say how."""


class ConnectFailed(TransportError):
    """Nothing reached the receiver (refused, DNS, TLS): safe to say 4003."""


class ReplyTimeout(TransportError):
    """Sent, but no complete reply in time: 4002."""


class ReplyBroken(TransportError):
    """The connection broke after sending (reset, closed mid-reply): 4003."""


class HubOutOfResources(TransportError):
    """The hub itself was short of a resource before anything was sent: file descriptors or
    ephemeral ports (EMFILE, ENFILE, ENOBUFS, ENOMEM, EADDRNOTAVAIL), or no outbound connection
    slot within the time budget. Says nothing about the receiver: 3000 / HTTP 503 (HubBusy),
    never counted against its breaker."""


class Adapter(Protocol):
    """A transport toward receivers.

    >>> reply = await adapter.send(OutboundRequest("GET", url, headers, None, 10.0))
    """

    async def send(self, request: OutboundRequest) -> UpstreamResponse: ...

    async def aclose(self) -> None: ...
