"""The adapter contract: an adapter is a transport (design.md §11.5).

`send(OutboundRequest) -> UpstreamResponse`, raising one of the `TransportError`s below;
breakers, rewrites, logging and envelopes wrap it from outside.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "Adapter",
    "ConnectFailed",
    "HubOutOfResources",
    "OutboundRequest",
    "ReplyBroken",
    "ReplyTimeout",
    "TransportError",
    "UpstreamResponse",
]


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    timeout_seconds: float


@dataclass(frozen=True, slots=True)
class UpstreamResponse:
    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes
    elapsed_ms: float


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
