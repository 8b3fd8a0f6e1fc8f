"""The outbound policy wired into aiohttp, for every connection of the hub's shared session.

Three checks, each at the last moment it can be made:
- `guard_middleware` (a client middleware, aiohttp's supported per-request hook): the URL as
  sent (scheme, userinfo, host literal, the hub's own origin); it also stamps the hop marker;
- `GuardedResolver`: every address DNS gives for a name (any refused address refuses the name,
  so a rebinding answer mixing public and private addresses gets nowhere);
- `guarded_socket_factory` (TCPConnector's `socket_factory`, which aiohappyeyeballs calls with
  the final address of every connection attempt, IP literals included: aiohttp's resolver is
  skipped for literals).

A refusal raises `EgressRefused` (an OcpiError, not an OSError nor an aiohttp.ClientError), so
aiohttp passes it through untouched and the caller sees the hub's policy, never a connection
failure of the receiver.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

import aiohttp
import structlog
from aiohappyeyeballs import AddrInfoType, SocketFactoryType
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from hub.egress.hop import HOP_HEADER, HopMarker, hop_marker
from hub.egress.policy import EgressRefused, OutboundPolicy
from hub.egress.tls import outbound_ssl_context

if TYPE_CHECKING:
    from hub.settings import Settings

__all__ = ["GuardedResolver", "guard_middleware", "guarded_connector", "guarded_session", "guarded_socket_factory"]

_log = structlog.get_logger("hub.egress")
_CACHE_MAX = 4096


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, refusing a name when any address it resolves to is refused."""

    def __init__(self, policy: OutboundPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            reason = self._policy.address_refusal(result["host"], port)
            if reason is not None:
                _log.warning("egress_refused", stage="dns", host=host[:100], reason=reason)
                raise EgressRefused(reason)
        return results

    async def close(self) -> None:
        await self._inner.close()


def guarded_socket_factory(policy: OutboundPolicy) -> SocketFactoryType:
    def factory(addr_info: AddrInfoType) -> socket.socket:
        family, type_, proto, _, address = addr_info
        reason = policy.address_refusal(str(address[0]), int(address[1]))
        if reason is not None:
            _log.warning("egress_refused", stage="connect", reason=reason)
            raise EgressRefused(reason)
        return socket.socket(family=family, type=type_, proto=proto)

    return factory


def guarded_connector(policy: OutboundPolicy, **kwargs: Any) -> aiohttp.TCPConnector:
    """A TCPConnector (kwargs as aiohttp's) whose every connection obeys `policy`."""
    return aiohttp.TCPConnector(
        resolver=GuardedResolver(policy), socket_factory=guarded_socket_factory(policy), **kwargs
    )


def guard_middleware(policy: OutboundPolicy, hop: HopMarker) -> aiohttp.ClientMiddlewareType:
    """Client middleware: refuse a URL the policy refuses (cached per scheme and authority: the
    check depends on nothing else) and stamp the hop marker on everything the hub sends."""
    verdicts: dict[tuple[str, str], str | None] = {}

    async def egress_guard(
        request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        key = (request.url.scheme, request.url.raw_authority)
        if key not in verdicts:
            if len(verdicts) >= _CACHE_MAX:
                verdicts.clear()
            try:
                policy.check_url(str(request.url))
                verdicts[key] = None
            except EgressRefused as refused:
                verdicts[key] = refused.detail
        reason = verdicts[key]
        if reason is not None:
            _log.warning("egress_refused", stage="url", origin=f"{key[0]}://{key[1]}"[:100], reason=reason)
            raise EgressRefused(reason)
        request.headers[HOP_HEADER] = hop.outbound()
        return await handler(request)

    return egress_guard


def guarded_session(settings: Settings, **connector_kwargs: Any) -> aiohttp.ClientSession:
    """A ClientSession that obeys the outbound policy of `settings` (for the CLI and tools; the
    hub's own session is built in `hub.app` with its pool limits and `no_resend`)."""
    policy = OutboundPolicy.from_settings(settings)
    connector_kwargs.setdefault("ssl", outbound_ssl_context(settings))  # the same TLS trust as the hub's
    return aiohttp.ClientSession(
        connector=guarded_connector(policy, **connector_kwargs),
        middlewares=(guard_middleware(policy, hop_marker(settings)),),
    )
