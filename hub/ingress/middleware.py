"""Pure ASGI middleware (BaseHTTPMiddleware would break contextvars, design.md §9).

`RequestContext`: every response echoes `X-Request-ID` and `X-Correlation-ID` (made up when the
caller sent none, so the response still carries one), the ids are bound to the log context for
the whole request, one `http_request` debug event is logged, and bodies over `max_body_bytes` are
refused with HTTP 413 and an OCPI envelope before the app reads them; so are requests whose
headers or query string are larger than the limits (HTTP 400, 2001). JSON nesting deeper than
orjson's limit (1024) fails to parse: HTTP 400, 2001. A request carrying this hub's own hop
marker (`hub.egress.hop`: the hub sent it, so it went round in a loop) is HTTP 508, 2000.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.egress.hop import HopMarker
from hub.errors import ClientError
from hub.observability.logging import module_path
from hub.observability.metrics import HubMetrics
from hub.ocpi.envelope import envelope_bytes
from hub.ocpi.headers import new_message_id

__all__ = ["RequestContext", "scope_ids"]

_log = structlog.get_logger("hub.http")
_MAX_ID = 255


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            text: str = value.decode("latin-1").strip()
            return text[:_MAX_ID] if text else None
    return None


def scope_ids(scope: Scope) -> tuple[str, str]:
    ids: tuple[str, str] = scope["hub.ids"]
    return ids


class RequestContext:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_header_bytes: int = 16_384,
        max_query_params: int = 64,
        hop: HopMarker | None = None,
        body_timeout_seconds: float | None = None,
        metrics: HubMetrics | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.body_timeout_seconds = body_timeout_seconds
        self.hop = hop  # the loop guard (hub.egress.hop): a request carrying our own marker is 508
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes
        self.max_query_params = max_query_params

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _header(scope, b"x-request-id") or new_message_id()
        correlation_id = _header(scope, b"x-correlation-id") or new_message_id()
        scope["hub.ids"] = (request_id, correlation_id)
        id_headers = [
            (b"x-request-id", request_id.encode("latin-1")),
            (b"x-correlation-id", correlation_id.encode("latin-1")),
        ]
        status: dict[str, int] = {"code": 0}
        started = time.perf_counter()

        async def send_with_ids(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [h for h in id_headers if h[0] not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
                status["code"] = message["status"]
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id, correlation_id=correlation_id)
        try:
            refusal = self._over_limit(scope)
            if refusal is not None:
                await _refuse(send_with_ids, *refusal)
            else:
                receive = _limited(receive, self.max_body_bytes, self.body_timeout_seconds)
                await self.app(scope, receive, send_with_ids)
        finally:
            # Routed requests have their own audit event (`routed`); this one is for debugging.
            seconds = time.perf_counter() - started
            _log.debug(
                "http_request",
                method=scope["method"],
                path=module_path(scope["path"]),
                status=status["code"],
                ms=round(seconds * 1000, 2),
            )
            if self.metrics is not None:
                self.metrics.http_request(
                    method=scope["method"], path=scope["path"], status=status["code"], seconds=seconds
                )
            structlog.contextvars.unbind_contextvars("request_id", "correlation_id")

    def _over_limit(self, scope: Scope) -> tuple[int, str] | None:
        """Cheap checks before the app runs: body size (413), header size and query size (400)."""
        length = _header(scope, b"content-length")
        if length and length.isdigit() and int(length) > self.max_body_bytes:
            return 413, f"Request body exceeds {self.max_body_bytes} bytes"
        if sum(len(k) + len(v) for k, v in scope["headers"]) > self.max_header_bytes:
            return 400, f"Request headers exceed {self.max_header_bytes} bytes"
        query: bytes = scope.get("query_string", b"")
        if query and query.count(b"&") + 1 > self.max_query_params:
            return 400, f"More than {self.max_query_params} query parameters"
        if self.hop is not None and self.hop.loops(scope):
            return 508, "Loop detected: this request was sent by this hub"
        return None


class BodyTooLarge(ClientError):
    http_status = 413
    default_message = "Request body too large"


class BodyTimeout(ClientError):
    http_status = 408
    default_message = "Request body not received in time"


class BodyIncomplete(ClientError):
    default_message = "Request body incomplete: the connection closed"


def _limited(receive: Receive, limit: int, timeout: float | None = None) -> Receive:
    """`receive` with the body limits: at most `limit` bytes (413), complete within `timeout`
    seconds of the request's start (408; `hub.server` closes the connection if the app is not
    reading), and a connection closed before the body's end is a client error, not a crash."""
    seen = 0
    complete = False
    deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout

    async def wrapped() -> Message:
        nonlocal seen, complete
        if complete or deadline is None:
            message = await receive()
        else:
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout(f"Request body not received within {timeout:g} s") from None
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(f"Request body exceeds {limit} bytes")
            complete = not message.get("more_body", False)
        elif message["type"] == "http.disconnect" and not complete:
            raise BodyIncomplete()
        return message

    return wrapped


async def _refuse(send: Send, status: int, message: str) -> None:
    body = envelope_bytes(status_code=2000 if status in (413, 508) else 2001, status_message=message)
    headers: list[Any] = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
