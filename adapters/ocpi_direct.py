"""The default adapter: OCPI straight to the receiver's endpoint over one shared aiohttp session.

aiohttp is the hub's outbound client (about 5x less CPU per forwarded request than httpx here).
Keep-alive pools are bounded per receiving host (`pool_per_platform`).
"""

from __future__ import annotations

import time

import aiohttp

from hub.forwarding.contract import (
    ConnectFailed,
    OutboundRequest,
    ReplyBroken,
    ReplyTimeout,
    UpstreamResponse,
)

__all__ = ["DirectOcpiAdapter"]

_MAX_REPLY_BYTES = 16 * 1024 * 1024


class DirectOcpiAdapter:
    def __init__(self, http: aiohttp.ClientSession, *, connect_timeout: float | None = None) -> None:
        self._http = http
        self._connect_timeout = connect_timeout

    async def send(self, request: OutboundRequest) -> UpstreamResponse:
        started = time.perf_counter()
        timeout = aiohttp.ClientTimeout(total=request.timeout_seconds, sock_connect=self._connect_timeout)
        try:
            async with self._http.request(
                request.method,
                request.url,
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
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientOSError) as exc:
            raise ReplyBroken("connection broke during the exchange") from exc
        except aiohttp.ClientError as exc:
            raise ReplyBroken(type(exc).__name__) from exc
        return UpstreamResponse(
            status=status, headers=headers, body=body, elapsed_ms=(time.perf_counter() - started) * 1000
        )

    async def aclose(self) -> None:
        await self._http.close()
