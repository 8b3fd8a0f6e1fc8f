"""Pure ASGI middleware (BaseHTTPMiddleware would break contextvars, design.md §9).

`RequestContext`: every response echoes `X-Request-ID` and `X-Correlation-ID` (made up when the
caller sent none, so the response still carries one), the ids are bound to the log context for
the whole request, one `http_request` event is logged, and bodies over `max_body_bytes` are
refused with HTTP 413 and an OCPI envelope before the app reads them.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.errors import ClientError
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


def _log_path(path: str) -> str:
    # Only the module level: deeper segments may carry token uids or other personal ids.
    return "/".join(path.split("/")[:5])


class RequestContext:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _header(scope, b"x-request-id") or new_message_id()
        correlation_id = _header(scope, b"x-correlation-id") or new_message_id()
        scope["hub.ids"] = (request_id, correlation_id)
        id_headers = [(b"x-request-id", request_id.encode("latin-1")), (b"x-correlation-id", correlation_id.encode("latin-1"))]
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
            if self._too_large(scope):
                await _refuse_too_large(send_with_ids, self.max_body_bytes)
            else:
                await self.app(scope, _limited(receive, self.max_body_bytes), send_with_ids)
        finally:
            _log.info(
                "http_request",
                method=scope["method"],
                path=_log_path(scope["path"]),
                status=status["code"],
                ms=round((time.perf_counter() - started) * 1000, 2),
            )
            structlog.contextvars.unbind_contextvars("request_id", "correlation_id")

    def _too_large(self, scope: Scope) -> bool:
        length = _header(scope, b"content-length")
        return bool(length and length.isdigit() and int(length) > self.max_body_bytes)


class BodyTooLarge(ClientError):
    http_status = 413
    default_message = "Request body too large"


def _limited(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(f"Request body exceeds {limit} bytes")
        return message

    return wrapped


async def _refuse_too_large(send: Send, limit: int) -> None:
    body = envelope_bytes(status_code=2000, status_message=f"Request body exceeds {limit} bytes")
    headers: list[Any] = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
