"""The request the hub sends to a receiver, for routed requests and outbox deliveries alike.

Per request (requirements §3.3): the receiver's token encoded as the receiver expects (Base64 or
raw), a new X-Request-ID, the given X-Correlation-ID, the routing headers (none for configuration
modules such as hubclientinfo, transport_and_format 400-403), and Content-Type on a body.
"""

from __future__ import annotations

from hub.forwarding.contract import OutboundRequest, RouteContext
from hub.ocpi.headers import authorization_header, new_message_id
from hub.routing.table import PlatformRoute

__all__ = ["outbound_request"]


def outbound_request(
    *,
    platform: PlatformRoute,
    method: str,
    url: str,
    body: bytes | None,
    correlation_id: str,
    routing: dict[str, str] | None,
    default_timeout: float,
    context: RouteContext | None = None,
) -> OutboundRequest:
    headers = {"X-Request-ID": new_message_id(), "X-Correlation-ID": correlation_id}
    if platform.token is not None:  # decide() forwards only to platforms it can authenticate to
        headers["Authorization"] = authorization_header(platform.token, platform.encoding)
    if routing:
        headers.update(routing)
    if body:
        headers["Content-Type"] = "application/json"
    return OutboundRequest(
        method=method,
        url=url,
        headers=headers,
        body=body or None,
        timeout_seconds=platform.timeout_seconds or default_timeout,
        context=context,
    )
