"""The default adapter: OCPI straight to the receiver's endpoint over one shared aiohttp session.

aiohttp is the hub's outbound client (about 5x less CPU per forwarded request than httpx here).
Keep-alive pools are bounded per receiving host (`pool_per_platform`) and in total (`pool_total`).

The adapter keeps those two limits itself (`OutboundSlots`, the connector's own numbers), so a
request waiting for a connection waits in the hub's queue, not inside aiohttp: when the time
budget runs out there, or the process has no descriptor or port left to connect with, that is
`HubOutOfResources` (the hub's own shortage, HTTP 503 for the caller), never a receiver's timeout
or failure counted against its breaker.
"""

from __future__ import annotations

import asyncio
import errno
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import aiohttp
from yarl import URL

from hub.forwarding.contract import (
    ConnectFailed,
    HubOutOfResources,
    OutboundRequest,
    ReplyBroken,
    ReplyTimeout,
    UpstreamResponse,
)

__all__ = ["ConnectionBroke", "DirectOcpiAdapter", "OutboundSlots", "aiohttp_failures", "no_resend"]

_MAX_REPLY_BYTES = 16 * 1024 * 1024
# connect() failing with these is the hub's own shortage (descriptors, buffers, ephemeral ports)
_OWN_SHORTAGE = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM, errno.EADDRNOTAVAIL})


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


@contextmanager
def aiohttp_failures() -> Iterator[None]:
    """aiohttp's exceptions inside the block as the adapter contract's: a timeout is
    `ReplyTimeout`; a connection that could not be made `ConnectFailed` (nothing was sent), or
    `HubOutOfResources` when the hub itself lacks descriptors or ports; one that broke, or any
    other client error, `ReplyBroken`. Shared by every adapter that speaks HTTP with aiohttp."""
    try:
        yield
    except TimeoutError as exc:
        raise ReplyTimeout("no reply in time") from exc
    except aiohttp.ClientConnectorError as exc:
        if exc.os_error.errno in _OWN_SHORTAGE:
            raise HubOutOfResources(f"no resource to connect: {errno.errorcode.get(exc.os_error.errno)}") from exc
        raise ConnectFailed("connection failed") from exc
    except aiohttp.InvalidURL as exc:
        raise ConnectFailed("connection failed") from exc
    except _BROKE as exc:
        raise ReplyBroken("connection broke during the exchange") from exc
    except aiohttp.ClientError as exc:
        raise ReplyBroken(type(exc).__name__) from exc


@dataclass(slots=True)
class _Origin:
    slots: asyncio.Semaphore
    users: int = 0


class OutboundSlots:
    """Outbound connection slots: `total` in all, `per_origin` per receiving origin (0 = no
    limit). `acquire` waits at most `timeout` seconds, else raises HubOutOfResources."""

    def __init__(self, *, total: int, per_origin: int) -> None:
        self._total = asyncio.Semaphore(total) if total else None
        self._per_origin = per_origin
        self._origins: dict[str, _Origin] = {}

    async def acquire(self, origin: str, timeout: float) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        entry = None
        if self._per_origin:
            entry = self._origins.get(origin)
            if entry is None:
                entry = self._origins[origin] = _Origin(asyncio.Semaphore(self._per_origin))
            entry.users += 1
        try:
            if entry is not None:
                await _take(entry.slots, deadline)
            if self._total is not None:
                try:
                    await _take(self._total, deadline)
                except BaseException:
                    if entry is not None:
                        entry.slots.release()
                    raise
        except BaseException:
            self._forget(origin, entry)
            raise

    def release(self, origin: str) -> None:
        if self._total is not None:
            self._total.release()
        entry = self._origins.get(origin)
        if entry is not None:
            entry.slots.release()
            self._forget(origin, entry)

    def _forget(self, origin: str, entry: _Origin | None) -> None:
        if entry is not None:
            entry.users -= 1
            if entry.users == 0:
                del self._origins[origin]


async def _take(slots: asyncio.Semaphore, deadline: float) -> None:
    """One slot, waiting until `deadline` (event loop time) at most."""
    if not slots.locked():
        await slots.acquire()  # free: taken at once, without suspending
        return
    try:
        async with asyncio.timeout_at(deadline):
            await slots.acquire()
    except TimeoutError:
        raise HubOutOfResources("no outbound connection slot in time") from None


def _origin(url: str) -> str:
    """`scheme://authority` of an absolute URL, cheaply (the hub built the URL)."""
    return "/".join(url.split("/", 3)[:3])


class DirectOcpiAdapter:
    def __init__(self, http: aiohttp.ClientSession, *, connect_timeout: float | None = None) -> None:
        self._http = http
        self._connect_timeout = connect_timeout
        connector = http.connector
        self._slots = OutboundSlots(
            total=connector.limit if connector is not None else 0,
            per_origin=connector.limit_per_host if connector is not None else 0,
        )

    async def send(self, request: OutboundRequest) -> UpstreamResponse:
        started = time.perf_counter()
        origin = _origin(request.url)
        await self._slots.acquire(origin, request.timeout_seconds)
        try:
            return await self._send(request, started)
        finally:
            self._slots.release(origin)

    async def _send(self, request: OutboundRequest, started: float) -> UpstreamResponse:
        budget = request.timeout_seconds - (time.perf_counter() - started)
        if budget <= 0:
            raise HubOutOfResources("no outbound connection slot in time")
        timeout = aiohttp.ClientTimeout(total=budget, sock_connect=self._connect_timeout)
        with aiohttp_failures():
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
        return UpstreamResponse(
            status=status, headers=headers, body=body, elapsed_ms=(time.perf_counter() - started) * 1000
        )

    async def aclose(self) -> None:
        await self._http.close()
