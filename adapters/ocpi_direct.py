"""The default adapter: OCPI straight to the receiver's endpoint over one shared aiohttp session.

aiohttp is the hub's outbound client (about 5x less CPU per forwarded request than httpx here).
Keep-alive pools are bounded per receiving host (`pool_per_platform`).
"""

from __future__ import annotations

import time

import aiohttp
from yarl import URL

from hub.forwarding.contract import (
    ConnectFailed,
    OutboundRequest,
    ReplyBroken,
    ReplyTimeout,
    UpstreamResponse,
)

__all__ = ["ConnectionBroke", "DirectOcpiAdapter", "no_resend"]

_MAX_REPLY_BYTES = 16 * 1024 * 1024


class ConnectionBroke(aiohttp.ClientConnectionError):
    """The connection broke after the request may have been sent: never re-sent (checklist 45)."""


async def no_resend(request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType) -> aiohttp.ClientResponse:
    """Client middleware: aiohttp re-sends GET, PUT and DELETE once when a connection breaks, inside
    the loop this middleware runs in; turning the two errors it retries on into `ConnectionBroke`
    stops that (a client middleware is aiohttp's supported hook; there is no public switch).
    A refused connection (nothing sent) passes unchanged, so failover may still try another route."""
    try:
        return await handler(request)
    except aiohttp.ClientConnectorError:
        raise
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
        raise ConnectionBroke(str(exc)) from exc


_BROKE = (ConnectionBroke, aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientOSError)


class DirectOcpiAdapter:
    def __init__(self, http: aiohttp.ClientSession, *, connect_timeout: float | None = None) -> None:
        self._http = http
        self._connect_timeout = connect_timeout

    async def send(self, request: OutboundRequest) -> UpstreamResponse:
        started = time.perf_counter()
        timeout = aiohttp.ClientTimeout(total=request.timeout_seconds, sock_connect=self._connect_timeout)
        try:
            # The hub built and encoded the URL (hub.ocpi.urls): yarl must not re-encode or resolve it.
            async with self._http.request(
                request.method,
                URL(request.url, encoded=True),
                headers=request.headers,
                data=request.body,
                timeout=timeout,
                allow_redirects=False,
            ) as reply:
                if (reply.content_length or 0) > _MAX_REPLY_BYTES:
                    raise ReplyBroken("reply too large")
                # read() waits for the whole body; a body cut short raises ClientPayloadError (4003).
                body = await reply.read()
                headers = {k.lower(): ", ".join(reply.headers.getall(k)) for k in reply.headers.keys()}
                status = reply.status
        except TimeoutError as exc:
            raise ReplyTimeout("no reply in time") from exc
        except (aiohttp.ClientConnectorError, aiohttp.InvalidURL) as exc:
            raise ConnectFailed("connection failed") from exc
        except (
            ConnectionBroke,
            aiohttp.ServerDisconnectedError,
            aiohttp.ClientPayloadError,
            aiohttp.ClientOSError,
        ) as exc:
            raise ReplyBroken("connection broke during the exchange") from exc
        except aiohttp.ClientError as exc:
            raise ReplyBroken(type(exc).__name__) from exc
        return UpstreamResponse(
            status=status, headers=headers, body=body, elapsed_ms=(time.perf_counter() - started) * 1000
        )

    async def aclose(self) -> None:
        await self._http.close()
