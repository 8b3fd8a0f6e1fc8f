"""Receivers that misbehave at the socket level: a small HTTP/1.1 server on asyncio streams.

    server = RawServer("ok")                    # answers every request with an OCPI envelope
    await server.start()                        # 127.0.0.1:<free port>; server.origin
    server.mode = "500"                         # switch behaviour while it runs
    await server.stop()                         # listener closed and open connections aborted
    await server.start(port=server.port)        # back on the same port (flapping)

Modes (what each request gets):
    ok           HTTP 200, an OCPI envelope with status 1000 (after `delay` seconds)
    slow         like ok, but after `slow_seconds` (longer than the hub's timeout)
    hang         nothing, ever (the connection stays open)
    500          HTTP 500 with an OCPI envelope, status 3000
    html         HTTP 502 text/html, as a misconfigured proxy answers
    garbage      HTTP 200 application/json whose body is not JSON
    not_http     bytes that are not HTTP at all, then the connection is closed
    reset        a status line, headers and part of the body, then a TCP reset (SO_LINGER 0)
    split        a valid HTTP 200 OCPI reply sent in two pieces 50 ms apart (a healthy receiver
                 behind a slow network or a streaming server)

`requests` counts requests read completely, `connections` accepted connections,
`max_in_flight` the largest number of requests answered at the same time.
Traffic stays on 127.0.0.1; `stop()` ends every connection and task the server started.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
from datetime import UTC, datetime
from typing import Any

__all__ = ["MODES", "RawServer", "envelope_bytes"]

MODES = ("ok", "slow", "hang", "500", "html", "garbage", "not_http", "reset", "split")


def envelope_bytes(data: Any = None, *, status_code: int = 1000, message: str | None = None) -> bytes:
    body: dict[str, Any] = {} if data is None else {"data": data}
    body["status_code"] = status_code
    if message:
        body["status_message"] = message
    body["timestamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps(body).encode()


def _response(status: str, body: bytes, content_type: str = "application/json") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        "Connection: keep-alive\r\n\r\n"
    )
    return head.encode() + body


class _Stopped(Exception):
    """The server was stopped while a handler waited."""


class RawServer:
    def __init__(self, mode: str = "ok", *, delay: float = 0.0, slow_seconds: float = 5.0, data: Any = None) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.delay = delay
        self.slow_seconds = slow_seconds
        self.data = data if data is not None else {"id": "LOC1"}
        self.port: int | None = None
        self.requests = 0
        self.connections = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.paths: list[tuple[str, str]] = []  # (method, path) of every request read
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[Any]] = set()
        self._stopping = asyncio.Event()

    @property
    def origin(self) -> str:
        assert self.port is not None, "start the server first"
        return f"http://127.0.0.1:{self.port}"

    @property
    def listening(self) -> bool:
        return self._server is not None

    async def start(self, *, port: int | None = None) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # TCP_NODELAY
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port or 0))
        self.port = sock.getsockname()[1]
        self._stopping = asyncio.Event()
        self._server = await asyncio.start_server(self._connection, sock=sock)
        return self.origin

    async def stop(self) -> None:
        """Stop listening (connections are refused from now on) and abort every open connection."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        self._stopping.set()  # wakes handlers that wait (slow, hang, delay)
        for writer in list(self._writers):
            writer.transport.abort()
        handlers = list(self._handlers)
        if handlers:
            await asyncio.wait(handlers, timeout=2.0)
        if server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), timeout=2.0)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.add(writer)
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").split("\r\n")
                method, path, *_ = (request_line.split(" ") + ["", ""])[:3]
                length = 0
                for line in lines:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip() or 0)
                if length:
                    await reader.readexactly(length)
                self.requests += 1
                self.paths.append((method, path))
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                try:
                    keep_open = await self._answer(writer)
                finally:
                    self.in_flight -= 1
                if not keep_open:
                    return
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError, _Stopped):
            pass
        finally:
            self._writers.discard(writer)
            self._handlers.discard(task)
            if not writer.transport.is_closing():
                writer.close()

    async def _pause(self, seconds: float | None) -> None:
        """Sleep, unless the server stops first (then the connection handler ends)."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            return
        raise _Stopped

    async def _answer(self, writer: asyncio.StreamWriter) -> bool:
        """Write this mode's answer; False when the connection must end."""
        mode = self.mode
        if self.delay:
            await self._pause(self.delay)
        if mode == "hang":
            await self._pause(None)  # until stop()
        if mode == "slow":
            await self._pause(self.slow_seconds)
        if mode in ("ok", "slow"):
            writer.write(_response("200 OK", envelope_bytes(self.data)))
        elif mode == "500":
            writer.write(_response("500 Internal Server Error", envelope_bytes(status_code=3000, message="boom")))
        elif mode == "html":
            page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            writer.write(_response("502 Bad Gateway", page, "text/html"))
        elif mode == "garbage":
            writer.write(_response("200 OK", b"\x00\x13garbage{{{'status_code': 1000", "application/json"))
        elif mode == "not_http":
            writer.write(b"\x16\x03\x01garbage that is no HTTP at all\r\n\r\n")
            await writer.drain()
            return False
        elif mode == "split":
            reply = _response("200 OK", envelope_bytes(self.data))
            cut = len(reply) - 40
            writer.write(reply[:cut])
            await writer.drain()
            await self._pause(0.05)
            writer.write(reply[cut:])
        elif mode == "reset":
            body = envelope_bytes(self.data)
            head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            writer.write(head.encode() + body[: len(body) // 3])
            await writer.drain()
            await self._pause(0.01)  # let the client read the start of the reply
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()  # close with SO_LINGER 0: the peer gets a TCP reset
            return False
        await writer.drain()
        return True
