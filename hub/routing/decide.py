"""decide(request, entries) -> Forward | Reject. Pure and table-driven; no I/O.

Spec: party-to-party routing (transport_and_format.asciidoc 517-524), hub errors
(status_codes.asciidoc 87-103) with our policy (requirements §3.7): unknown party or a party
without the module/interface -> 4001; known but not CONNECTED -> 4003.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hub.errors import OcpiError, ReceiverUnreachable, UnknownReceiver
from hub.routing.table import RouteEntry
from hub.types import ConnectionStatus, InterfaceRole, PartyKey

__all__ = ["Forward", "Reject", "RoutedRequest", "decide", "join_url"]


@dataclass(frozen=True, slots=True)
class RoutedRequest:
    method: str
    module: str
    interface: InterfaceRole
    rest: str
    query: str
    to: PartyKey
    from_: PartyKey


@dataclass(frozen=True, slots=True)
class Forward:
    target: RouteEntry
    url: str


@dataclass(frozen=True, slots=True)
class Reject:
    error: OcpiError


def join_url(base: str, rest: str, query: str) -> str:
    url = base.rstrip("/") + ("/" + rest.lstrip("/") if rest else "")
    return f"{url}?{query}" if query else url


def decide(request: RoutedRequest, entries: Sequence[RouteEntry]) -> Forward | Reject:
    if not entries:
        return Reject(UnknownReceiver(f"Unknown receiver {request.to}"))
    if not any(e.platform.status is ConnectionStatus.CONNECTED for e in entries):
        status = entries[0].platform.status.value
        return Reject(ReceiverUnreachable(f"Receiver {request.to} is not connected ({status})"))
    able = [e for e in entries if e.platform.endpoint(request.module, request.interface)]
    if not able:
        return Reject(
            UnknownReceiver(f"Receiver {request.to} does not implement {request.module} {request.interface.value}")
        )
    target = able[0]
    if target.platform.status is not ConnectionStatus.CONNECTED or target.platform.token is None:
        return Reject(ReceiverUnreachable(f"Receiver {request.to} is not connected ({target.platform.status.value})"))
    endpoint = target.platform.endpoint(request.module, request.interface)
    assert endpoint is not None
    return Forward(target=target, url=join_url(endpoint, request.rest, request.query))
