"""Readable builders of the hub's values for unit tests (design.md §11.11)."""

from __future__ import annotations

from typing import Any

import orjson

from hub.identity import Identity, PartyRef, Stage
from hub.ocpi.grammar import known_module
from hub.ocpi.request import NO_BODY, OcpiRequest, RoutingPair, parse_path, parse_query
from hub.routing.table import PlatformRoute, RouteEntry
from hub.types import ConnectionStatus, PartyKey, Role, TokenEncoding

__all__ = ["tidentity", "tplatform", "trequest", "troute"]


def trequest(
    method: str = "GET",
    module: str = "locations",
    interface: str = "sender",
    rest: str = "",
    *,
    query: tuple[tuple[str, str], ...] = (),
    to: tuple[str, str] | None = ("NL", "CPA"),
    from_: tuple[str, str] | None = ("DE", "EMS"),
    body: Any = NO_BODY,
) -> OcpiRequest:
    """An OcpiRequest parsed from a raw (percent-encoded) path remainder, as ingress would."""
    iface, path = parse_path(module=module, interface_segment=interface, rest=rest.split("/") if rest else [])
    raw = None if body is NO_BODY else orjson.dumps(body)
    return OcpiRequest(
        method=method,
        version="2.2.1",
        module=module,
        interface=iface,
        path=path,
        query=parse_query(query, module=module, known_module=known_module(module)),
        to=RoutingPair(*to) if to else None,
        from_=RoutingPair(*from_) if from_ else None,
        request_id="req-1",
        correlation_id="corr-1",
        body=raw,
        parsed=body,
    )


def tidentity(*parties: tuple[Role, str, str], platform_id: int = 3, name: str = "emsp") -> Identity:
    return Identity(
        platform_id=platform_id,
        platform_name=name,
        status=ConnectionStatus.CONNECTED,
        stage=Stage.CREDENTIALS,
        token_encoding=TokenEncoding.BASE64,
        version="2.2.1",
        parties=tuple(PartyRef(PartyKey.of(cc, pid), role) for role, cc, pid in parties or [(Role.EMSP, "DE", "EMS")]),
    )


def tplatform(
    *,
    platform_id: int = 7,
    status: ConnectionStatus = ConnectionStatus.CONNECTED,
    token: str | None = "t",
    endpoints: dict[tuple[str, str], str] | None = None,
    alternates: tuple[str, ...] = (),
) -> PlatformRoute:
    return PlatformRoute(
        platform_id=platform_id,
        name="cpo",
        status=status,
        version="2.2.1",
        endpoints=endpoints
        if endpoints is not None
        else {("locations", "SENDER"): "https://cpo.example/ocpi/2.2.1/locations/"},
        token=token,
        encoding=TokenEncoding.BASE64,
        timeout_seconds=None,
        alternates=alternates,
    )


def troute(key: tuple[str, str] = ("NL", "CPA"), role: Role = Role.CPO, **platform: Any) -> RouteEntry:
    return RouteEntry(PartyKey.of(*key), role, tplatform(**platform))
