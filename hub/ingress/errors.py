"""The one place errors become responses: OCPI errors as their envelope (counted by reason), a
database that is away as 3000 / HTTP 503, anything else as 3000 / HTTP 500 with nothing internal
in the message. Used by the app's exception handlers and by the functional lane alike."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from hub.errors import ClientError, OcpiError, ServerError
from hub.observability.rejections import Rejections
from hub.ocpi.envelope import error_response
from hub.ocpi.versions import is_v211_path

__all__ = ["EXCEPTION_HANDLERS", "handler_for"]

_log = structlog.get_logger("hub.app")


async def _ocpi_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OcpiError)
    rejections: Rejections | None = getattr(request.app.state, "rejections", None)
    if rejections is not None:
        rejections.note(exc, path=request.url.path)
    return error_response(exc, v211=is_v211_path(request.scope["path"]))


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Client error")
    return error_response(ClientError(message, http_status=exc.status_code))


async def _storage_down(_request: Request, exc: Exception) -> Response:
    _log.error("storage_unavailable", error=type(exc).__name__)
    return error_response(ServerError("Storage unavailable: nothing was changed, try again", http_status=503))


async def _unexpected(_request: Request, exc: Exception) -> Response:
    _log.error("unhandled_error", error=type(exc).__name__, exc_info=exc)
    return error_response(ServerError("Internal error"))


Handler = Callable[[Request, Exception], Awaitable[Response]]

EXCEPTION_HANDLERS: dict[type[Exception], Handler] = {
    OcpiError: _ocpi_error,
    HTTPException: _http_error,
    DBAPIError: _storage_down,
    ConnectionError: _storage_down,
    Exception: _unexpected,
}


def handler_for(exc: Exception) -> Handler:
    """The handler Starlette would pick for `exc`: the nearest class in its MRO."""
    for cls in type(exc).__mro__:
        if cls in EXCEPTION_HANDLERS:
            return EXCEPTION_HANDLERS[cls]
    return _unexpected
