"""How the hub meets its clients: uvicorn's Config built from Settings, and the HTTP protocol that
guards every connection.

uvicorn (httptools) has a keep-alive timeout and nothing else: a connection that sends nothing,
half a request line, or a body a byte at a time is held for as long as the client likes, and
about a thousand of them exhaust the process's file descriptors. `HubHttpProtocol` gives each
connection one deadline for the phase it is in:

    idle     a new connection: its first request's headers are due within header_timeout_seconds;
             after a response (keep-alive): closed after keepalive_timeout_seconds without a request
    headers  a request began: its headers are due by header_timeout_seconds (counted from the
             connection, or from the request's first byte after a keep-alive pause); else HTTP 408
             with an OCPI envelope and the connection is closed
    body     the app answers 408 itself when the body is late (`hub.ingress.middleware`, deadline
             body_timeout_seconds from the headers); the protocol closes the connection a moment
             later if the app is not reading it, and right after a response sent before the body
             was complete (a client must not trickle an unread body into a kept-alive connection)
    app      the request is with the app, whose own timeouts bound it

and caps the connections of a process (`max_connections`). At the cap a new connection first
takes the place of one that carries no request (closed: a slow client never holds a place a
well-behaved one needs): the longest waiting of those in the middle of their headers, else of
those that never sent a byte, else of those kept alive; only when every connection carries a
request does the
new one get HTTP 503, `Retry-After` and an OCPI envelope (3000, hub busy) at once, its write side
closed so the answer is read before the socket goes.

The cap must stay below the process's descriptor limit with room for the outbound pool
(`pool_total`), the database pool and the process's own files: `connection_limits` raises
RLIMIT_NOFILE's soft limit to the hard limit and lowers the cap (with a warning) if it would not
fit. `server_config` is what `ocpi-hub serve` (and every test that starts a hub process) runs.

TLS: with tls_cert_file/tls_key_file the hub serves HTTPS (TLS 1.2 minimum); with
tls_client_ca_file it asks for client certificates (optional: a platform is held to one only when
it is pinned, `hub.authentication`). uvicorn puts no peer certificate in the ASGI scope; the
protocol puts its SHA-256 in `scope["extensions"]["tls"]["client_cert_sha256"]`.

Not covered here: the TLS handshake itself happens before a connection reaches the protocol and is
bounded by the event loop's handshake timeout (60 s), not by header_timeout_seconds.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import resource
import ssl
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import structlog
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from hub.ocpi.envelope import envelope_bytes
from hub.settings import Settings

__all__ = [
    "ConnectionLimits",
    "HubConfig",
    "HubHttpProtocol",
    "connection_limits",
    "raise_fd_limit",
    "server_config",
    "server_ssl_context",
]

_log = structlog.get_logger("hub.server")

# Descriptors kept free besides the outbound pool: the database pool (up to 20 on PostgreSQL),
# the listening socket, log files, DNS, the event loop's own.
_FD_RESERVE = 64
# The app answers a late body itself at body_timeout_seconds; the protocol acts this much later.
_BODY_GRACE = 1.0
# How long a refused (over the cap) connection may take to read its 503 before it is closed.
_REFUSED_LINGER = 1.0
_LOG_EVERY = 10.0

_IDLE, _HEADERS, _BODY, _APP = "idle", "headers", "body", "app"


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """What `HubHttpProtocol` enforces per connection and per process."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keepalive_timeout: float = 5.0
    max_connections: int = 1000
    retry_after: int = 1


def raise_fd_limit() -> int:
    """Raise RLIMIT_NOFILE's soft limit to the hard limit; the soft limit in force afterwards."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return int(soft) if soft != resource.RLIM_INFINITY else 1 << 20


def connection_limits(settings: Settings, *, fd_limit: int | None = None) -> ConnectionLimits:
    """The limits of `settings`, with max_connections lowered to fit the descriptor limit
    (raised first to the hard limit): cap + pool_total + a reserve of 64 <= RLIMIT_NOFILE."""
    fds = raise_fd_limit() if fd_limit is None else fd_limit
    room = max(fds - settings.pool_total - _FD_RESERVE, fds // 4, 1)
    cap = min(settings.max_connections, room)
    if cap < settings.max_connections:
        _log.warning(
            "max_connections_lowered",
            configured=settings.max_connections,
            effective=cap,
            fd_limit=fds,
            pool_total=settings.pool_total,
        )
    return ConnectionLimits(
        header_timeout=settings.header_timeout_seconds,
        body_timeout=settings.body_timeout_seconds,
        keepalive_timeout=settings.keepalive_timeout_seconds,
        max_connections=cap,
        retry_after=settings.busy_retry_after_seconds,
    )


def server_ssl_context(cert_file: str, key_file: str, client_ca_file: str | None) -> ssl.SSLContext:
    """The hub's server TLS: TLS 1.2 minimum; client certificates requested (not required) when a
    client CA is configured, so that only pinned platforms are held to one."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    if client_ca_file:
        context.load_verify_locations(cafile=client_ca_file)
        context.verify_mode = ssl.CERT_OPTIONAL
    return context


def _ssl_factory(cert_file: str, key_file: str, client_ca_file: str | None, *_: Any) -> ssl.SSLContext:
    """uvicorn's ssl_context_factory(config, default_factory): ours, picklable for workers > 1."""
    return server_ssl_context(cert_file, key_file, client_ca_file)


class HubConfig(uvicorn.Config):
    """uvicorn's Config carrying the connection limits to every protocol instance (and, pickled,
    to every worker process)."""

    def __init__(self, app: Any, *, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.hub_limits = limits


def server_config(settings: Settings, *, app: Any = None, **overrides: Any) -> HubConfig:
    """The uvicorn Config `ocpi-hub serve` runs: `app` defaults to the factory
    `partial(create_app, settings)`; `overrides` are further uvicorn.Config arguments (tests)."""
    if app is None:
        from hub.app import create_app

        app = functools.partial(create_app, settings)
        overrides.setdefault("factory", True)
    limits = connection_limits(settings)
    kwargs: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "workers": settings.workers,
        "log_level": settings.log_level.lower(),
        "access_log": False,
        "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
        "timeout_keep_alive": settings.keepalive_timeout_seconds,
        "loop": "uvloop",
        "http": HubHttpProtocol,
        "ws": "none",
    }
    if settings.tls_cert_file and settings.tls_key_file:
        kwargs["ssl_context_factory"] = functools.partial(
            _ssl_factory, settings.tls_cert_file, settings.tls_key_file, settings.tls_client_ca_file
        )
    return HubConfig(app, limits=limits, **(kwargs | overrides))


def tls_extension(transport: asyncio.BaseTransport) -> dict[object, object] | None:
    """The ASGI `tls` extension for a TLS connection (None for plain HTTP): the protocol version
    and the SHA-256 (hex) of the client's certificate in DER, None when it sent none."""
    ssl_object = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    return {
        "tls_version": ssl_object.version(),
        "client_cert_sha256": hashlib.sha256(der).hexdigest() if der else None,
    }


def raw_response(status: int, ocpi_status: int, message: str, *, headers: tuple[tuple[str, str], ...] = ()) -> bytes:
    """A complete HTTP/1.1 answer with an OCPI envelope, written by the protocol itself (no app
    involved) and followed by closing the connection."""
    body = envelope_bytes(status_code=ocpi_status, status_message=message)
    lines = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        "content-type: application/json",
        f"content-length: {len(body)}",
        "connection: close",
        *(f"{name}: {value}" for name, value in headers),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


class _Counts:
    """Connections shed or refused at the cap, logged at most every `_LOG_EVERY` seconds."""

    shed = 0
    refused = 0
    logged_at = 0.0

    @classmethod
    def note(cls, *, shed: int = 0, refused: int = 0, cap: int) -> None:
        cls.shed += shed
        cls.refused += refused
        now = time.monotonic()
        if now - cls.logged_at >= _LOG_EVERY:
            cls.logged_at = now
            _log.warning("connections_at_cap", max_connections=cap, shed=cls.shed, refused=cls.refused)


class HubHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with per-phase deadlines, the connection cap and the TLS
    extension (see the module docstring)."""

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        limits = getattr(config, "hub_limits", None)
        self.limits = limits if isinstance(limits, ConnectionLimits) else ConnectionLimits()
        self.phase = _IDLE
        self.waiting_since = 0.0  # when it began waiting for a request: the longest waiting is shed first
        self.requests_begun = 0
        self.refused = False
        self._deadline: asyncio.TimerHandle | None = None
        self._tls: dict[object, object] | None = None

    # Connection
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.limits.max_connections and not self._make_room():
            self._refuse(transport)
            return
        super().connection_made(transport)
        self._tls = tls_extension(transport)
        self.waiting_since = self.loop.time()
        self._arm(self.limits.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self.refused:
            return
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return  # read and dropped: the 503 is on its way
        super().data_received(data)

    def eof_received(self) -> None:
        if self.refused and not self.transport.is_closing():
            self.transport.close()

    def _make_room(self) -> bool:
        """At the cap: close one connection that carries no request, or False when every one
        does. First choice, the longest waiting of: those in the middle of their headers; then
        those that never sent a byte; last, those kept alive after a response (a well-behaved
        client may be reusing one at this very moment)."""
        chosen: HubHttpProtocol | None = None
        chosen_rank = (3, 0.0)
        for other in self.connections:
            if (
                not isinstance(other, HubHttpProtocol)
                or other.phase not in (_IDLE, _HEADERS)
                or (other.cycle is not None and not other.cycle.response_complete)
                or other.transport.is_closing()
            ):
                continue
            rank = (0 if other.phase == _HEADERS else 1 if not other.requests_begun else 2, other.waiting_since)
            if rank < chosen_rank:
                chosen, chosen_rank = other, rank
        if chosen is None:
            return False
        chosen._disarm()
        chosen.transport.close()
        self.connections.discard(chosen)
        _Counts.note(shed=1, cap=self.limits.max_connections)
        return True

    def _refuse(self, transport: asyncio.Transport) -> None:
        """Over the cap with no room: 503 at once, write side closed, the socket closed when the
        client has read it (EOF) or after a short linger."""
        self.refused = True
        self.transport = transport
        retry = str(self.limits.retry_after)
        transport.write(
            raw_response(
                503,
                3000,
                f"Hub busy: too many connections, retry after {retry} s",
                headers=(("retry-after", retry),),
            )
        )
        if transport.can_write_eof():
            transport.write_eof()
        self._deadline = self.loop.call_later(_REFUSED_LINGER, transport.close)
        _Counts.note(refused=1, cap=self.limits.max_connections)

    # Parser callbacks
    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._tls is not None:
            self.scope["extensions"] = {"tls": self._tls}
        if self.phase != _IDLE or self.requests_begun:
            # a later request (kept alive or pipelined): its headers are due from its first byte
            self._arm(self.limits.header_timeout)
        self.phase = _HEADERS
        self.requests_begun += 1

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self.phase = _BODY
        self._arm(self.limits.body_timeout + _BODY_GRACE)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()
        self.phase = _APP

    def on_response_complete(self) -> None:
        pipelined = bool(self.pipeline)
        super().on_response_complete()
        if self.transport.is_closing() or pipelined:
            return
        self._unset_keepalive_if_required()  # uvicorn's keep-alive timer: ours replaces it
        if self.phase == _BODY:  # answered before the body arrived: do not read the rest
            self._disarm()
            self.transport.close()
        elif self.phase == _APP:
            self.phase = _IDLE
            self.waiting_since = self.loop.time()
            self._arm(self.limits.keepalive_timeout)

    # Deadlines
    def _arm(self, seconds: float) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        busy = cycle is not None and not cycle.response_complete
        if self.phase == _IDLE:
            self.transport.close()
        elif self.phase == _HEADERS:
            if busy:  # pipelined behind a request the app still works on: reading is paused by us
                self._arm(self.limits.header_timeout)
                return
            self._answer(408, 2000, "Request headers not received in time")
        elif self.phase == _BODY and cycle is not None:
            if self.flow.read_paused or cycle.waiting_for_100_continue:
                self._arm(self.limits.body_timeout)  # the hub, not the client, holds the body up
            elif cycle.response_started:
                self.transport.close()
            else:
                self._answer(408, 2000, "Request body not received in time")
                cycle.disconnected = True
                cycle.message_event.set()

    def _answer(self, status: int, ocpi_status: int, message: str) -> None:
        self.transport.write(raw_response(status, ocpi_status, message))
        self.transport.close()
