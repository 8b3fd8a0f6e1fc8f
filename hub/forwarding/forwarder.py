"""Runs a Forward: the one place that sends routed traffic and shapes the reply.

Per request (requirements §3.3): the receiver's token encoded for its version, a new
X-Request-ID, the same X-Correlation-ID, OCPI-to/from unchanged, the body byte for byte unless
a `response_url` must be replaced. The reply keeps the receiver's HTTP status and envelope,
goes back with the requester's X-Request-ID, and has its `Link` / `Location` replaced by hub
URLs. Transport failures become 4002 / 4003 (`delivery`), non-OCPI replies 4000; nothing is retried.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import orjson
import structlog
from starlette.responses import Response

from hub.errors import HubError, OcpiError
from hub.forwarding.contract import OutboundRequest, UpstreamResponse
from hub.forwarding.delivery import Delivery
from hub.forwarding.proxies import ProxyKind, ProxyStore, ProxyTarget
from hub.forwarding.rewrite import (
    CALLBACK_MODULES,
    body_response_url,
    next_link,
    query_response_url,
    replace_next_link,
    with_query_response_url,
)
from hub.ocpi.envelope import error_response, parse_envelope
from hub.ocpi.headers import authorization_header, new_message_id
from hub.routing.table import PlatformRoute
from hub.types import PartyKey
from hub.validation import PayloadValidator, ValidationContext

__all__ = ["Call", "Forwarder", "UNPARSED"]

_log = structlog.get_logger("hub.route")
UNPARSED: Any = object()
_PASS_HEADERS = (
    "x-total-count",
    "x-limit",
    "ocpi-to-country-code",
    "ocpi-to-party-id",
    "ocpi-from-country-code",
    "ocpi-from-party-id",
)


@dataclass(frozen=True, slots=True)
class Call:
    """One request the hub is about to send on behalf of a party."""

    method: str
    module: str
    url: str
    to: PartyKey
    from_: PartyKey
    routing_headers: dict[str, str]
    target: PlatformRoute
    caller_platform_id: int
    request_id: str
    correlation_id: str
    body: bytes | None
    parsed: Any
    version: str
    started: float
    validation: ValidationContext | None = None


class Forwarder:
    def __init__(
        self, *, delivery: Delivery, proxies: ProxyStore, validator: PayloadValidator, default_timeout: float
    ) -> None:
        self._delivery = delivery
        self._proxies = proxies
        self._validator = validator
        self._default_timeout = default_timeout

    async def run(self, call: Call) -> Response:
        ids = {"X-Request-ID": call.request_id, "X-Correlation-ID": call.correlation_id}
        try:
            call = await self._rewrite_callbacks(call)
            reply = await self._delivery.send(
                self._outbound(call), alternates=call.target.alternates, receiver=str(call.to)
            )
        except OcpiError as refused:
            self._audit(call, status=refused.http_status, ocpi_status=refused.status_code, receiver_ms=None)
            return error_response(refused, headers=ids)
        envelope = parse_envelope(reply.body)
        if envelope is None:
            bad = HubError(f"Receiver {call.to} sent a reply that is not an OCPI response (HTTP {reply.status})")
            self._audit(call, status=reply.status, ocpi_status=4000, receiver_ms=reply.elapsed_ms)
            return error_response(bad, headers=ids)
        ocpi_status: int = envelope["status_code"]
        if call.validation is not None:
            try:
                self._validator.check_reply(call.validation, envelope)
            except OcpiError as invalid:
                self._audit(
                    call, status=invalid.http_status, ocpi_status=invalid.status_code, receiver_ms=reply.elapsed_ms
                )
                return error_response(invalid, headers=ids)
        headers = await self._reply_headers(call, reply, ids)
        self._audit(call, status=reply.status, ocpi_status=ocpi_status, receiver_ms=reply.elapsed_ms)
        return Response(reply.body, status_code=reply.status, headers=headers, media_type="application/json")

    def _outbound(self, call: Call) -> OutboundRequest:
        assert call.target.token is not None
        headers = {
            "Authorization": authorization_header(call.target.token, call.target.encoding),
            "X-Request-ID": new_message_id(),
            "X-Correlation-ID": call.correlation_id,
            **call.routing_headers,
        }
        if call.body:
            headers["Content-Type"] = "application/json"
        return OutboundRequest(
            method=call.method,
            url=call.url,
            headers=headers,
            body=call.body or None,
            timeout_seconds=call.target.timeout_seconds or self._default_timeout,
        )

    async def _rewrite_callbacks(self, call: Call) -> Call:
        """A response_url the receiver would call directly becomes a hub URL that leads back to
        the requester with TO = requester, FROM = receiver (checklist F 61-62)."""
        if call.module not in CALLBACK_MODULES:
            return call
        base, _, query = call.url.partition("?")
        original = query_response_url(query) if query else None
        if original:
            hub_url = await self._callback(call, original)
            call = replace(call, url=f"{base}?{with_query_response_url(query, hub_url)}")
        original = body_response_url(call.parsed)
        if original:
            hub_url = await self._callback(call, original)
            call = replace(call, body=orjson.dumps({**call.parsed, "response_url": hub_url}))
        return call

    async def _callback(self, call: Call, original: str) -> str:
        target = ProxyTarget(
            kind=ProxyKind.CALLBACK,
            module=call.module,
            target_url=original,
            target_platform_id=call.caller_platform_id,
            caller_platform_id=call.target.platform_id,
            to=call.from_,
            from_=call.to,
        )
        return await self._proxies.create(target, version=call.version)

    async def _reply_headers(self, call: Call, reply: UpstreamResponse, ids: dict[str, str]) -> dict[str, str]:
        headers = dict(ids)
        for name in _PASS_HEADERS:
            if name in reply.headers:
                headers[name] = reply.headers[name]
        headers.setdefault("ocpi-to-country-code", call.from_.country_code)
        headers.setdefault("ocpi-to-party-id", call.from_.party_id)
        headers.setdefault("ocpi-from-country-code", call.to.country_code)
        headers.setdefault("ocpi-from-party-id", call.to.party_id)
        link = reply.headers.get("link")
        following = next_link(link)
        if link and following:
            headers["link"] = replace_next_link(link, await self._follow(call, ProxyKind.PAGE, following))
        location = reply.headers.get("location")
        if location and call.module == "cdrs" and call.method == "POST":
            headers["location"] = await self._follow(call, ProxyKind.LOCATION, location)
        return headers

    async def _follow(self, call: Call, kind: str, url: str) -> str:
        target = ProxyTarget(
            kind=kind,
            module=call.module,
            target_url=url,
            target_platform_id=call.target.platform_id,
            caller_platform_id=call.caller_platform_id,
            to=call.to,
            from_=call.from_,
        )
        return await self._proxies.create(target, version=call.version)

    def _audit(self, call: Call, *, status: int, ocpi_status: int | None, receiver_ms: float | None) -> None:
        total_ms = (time.perf_counter() - call.started) * 1000
        _log.info(
            "routed",
            from_party=str(call.from_),
            to_party=str(call.to),
            module=call.module,
            method=call.method,
            receiver=call.target.name,
            status=status,
            ocpi_status=ocpi_status,
            hub_ms=round(total_ms - (receiver_ms or 0.0), 3),
            receiver_ms=round(receiver_ms, 3) if receiver_ms is not None else None,
        )
