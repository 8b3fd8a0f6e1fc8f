"""Receivers (and a sender) that misbehave, and a hub that stays up (checklist C.37, C.38, C.41, C.45;
requirements §3.7; status_codes 87-103).

Misbehaviour at the socket level comes from small asyncio servers on 127.0.0.1 written here: the
bad platform registers normally (a FakePlatform), then its endpoint rows point at such a server
and the hub is told its registry changed. After every failure a routed request to another,
healthy receiver must still succeed.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from types import TracebackType
from typing import Any

import pytest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.responses import Response

from hub.db.db import SessionFactory
from hub.registration.platforms import PlatformAdmin, parse_role
from tests.conftest import StartFake
from tests.fakes.ocpi import RecordedRequest, dumps
from tests.fakes.party import FakePlatform
from tests.fakes.serving import free_port
from tests.flows.test_routing import (
    CPO,
    EMSP,
    STAMP,
    answer,
    connect_pair,
    functional,
    location,
    only_functional,
    sent_ids,
)
from tests.helpers import HUB_VERSIONS_URL

BAD = ("DE", "BAD")


class RawReceiver:
    """An HTTP/1.1 'server' that reads each request whole and then misbehaves as told:

    hang      never answers
    stall     sends the status line and headers, then nothing
    close     closes the connection without answering
    truncate  answers a Content-Length of 400, sends 20 bytes of body, closes 0.2 s later
    reset     resets the connection (RST) instead of answering
    """

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.requests: list[bytes] = []
        self.url = ""
        self._release = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> RawReceiver:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._release.set()
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            self.requests.append(head + await reader.readexactly(length))
            if self.behaviour == "hang":
                await self._release.wait()
            elif self.behaviour == "stall":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
                await writer.drain()
                await self._release.wait()
            elif self.behaviour == "truncate":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n")
                writer.write(b'{"status_code": 1000')
                await writer.drain()
                await asyncio.sleep(0.2)
            elif self.behaviour == "reset":
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def point_endpoints_at(
    db: SessionFactory, hub_app: Starlette, fake: FakePlatform, base: str, module: str = "locations"
) -> None:
    """Make the hub send what it routes to `fake`'s `module` endpoints to `base` instead (same paths)."""
    assert fake.base_url and fake.platform_id is not None
    async with db() as s:
        connection = await s.connection()
        for endpoint in fake.endpoints():
            if endpoint["identifier"] == module:
                await connection.execute(
                    text(
                        "UPDATE endpoint SET url = :url WHERE platform_id = :id AND module = :m AND interface_role = :r"
                    ),
                    {
                        "url": endpoint["url"].replace(fake.base_url, base),
                        "id": fake.platform_id,
                        "m": module,
                        "r": endpoint["role"],
                    },
                )
        await s.commit()
    hub_app.state.hub.on_registry_change()


async def three_platforms(connect_fake: StartFake) -> tuple[FakePlatform, FakePlatform, FakePlatform]:
    """CPO NL*CPA (the sender), eMSP DE*EMS (healthy) and eMSP DE*BAD (about to misbehave)."""
    cpo, healthy = await connect_pair(connect_fake)
    bad = await connect_fake([("EMSP", *BAD)], name="bad")
    return cpo, healthy, bad


async def push(cpo: FakePlatform, to: tuple[str, str], loc_id: str = "LOC1") -> Any:
    return await cpo.request_hub(
        "PUT", f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/{loc_id}", json=location(loc_id), to=to
    )


async def assert_still_serving(cpo: FakePlatform, healthy: FakePlatform) -> None:
    before = len(functional(healthy))
    loc_id = f"OK{before}"
    reply = await push(cpo, EMSP, loc_id)
    assert (reply.status_code, reply.json()["status_code"]) == (201, 1000), reply.text
    assert len(functional(healthy)) == before + 1
    assert healthy.store["locations"][("NL", "CPA", loc_id)]["id"] == loc_id


def assert_hub_error(reply: Any, code: int) -> None:
    assert (reply.status_code, reply.json()["status_code"]) == (200, code), reply.text
    assert reply.json()["status_message"]
    assert (reply.headers["x-request-id"], reply.headers["x-correlation-id"]) == sent_ids(reply)


# --- a sender that lies -----------------------------------------------------------------------


async def test_sender_posing_as_another_platforms_party_is_2001_and_nothing_forwarded(connect_fake: StartFake) -> None:
    cpo, healthy, bad = await three_platforms(connect_fake)
    url = f"{cpo.hub_url('locations', 'RECEIVER')}/DE/EMS/LOC1"
    # the CPO pretends to be the eMSP DE*EMS, pushing "its" location to DE*BAD
    reply = await cpo.request_hub("PUT", url, json=location(owner=EMSP), to=BAD, from_=EMSP)
    assert reply.json()["status_code"] == 2001, reply.text
    assert reply.status_code in (200, 400)
    assert not functional(bad) and not functional(healthy)
    await assert_still_serving(cpo, healthy)


# --- receivers that fail at the socket level ------------------------------------------------


SOCKET_FAILURES = [
    ("refused", 4003),  # connection refused
    ("close", 4003),  # closed without an answer
    ("reset", 4003),  # connection reset
    ("truncate", 4003),  # closed mid-reply (Content-Length not reached)
    ("hang", 4002),  # no answer in time
    ("stall", 4002),  # status line and headers, then silence
]


@pytest.mark.hub_settings(request_timeout_seconds=0.5)
async def test_receiver_failing_at_the_socket_level(
    connect_fake: StartFake, db: SessionFactory, hub_app: Starlette
) -> None:
    cpo, healthy, bad = await three_platforms(connect_fake)
    for behaviour, code in SOCKET_FAILURES:
        async with RawReceiver(behaviour) as raw:
            target = f"http://127.0.0.1:{free_port()}" if behaviour == "refused" else raw.url
            await point_endpoints_at(db, hub_app, bad, target)
            started = time.monotonic()
            reply = await push(cpo, BAD)
            elapsed = time.monotonic() - started
            assert reply.json()["status_code"] == code, (behaviour, reply.text)
            assert_hub_error(reply, code)
            if code == 4002:
                assert elapsed >= 0.45, (behaviour, elapsed)  # the hub's timeout (0.5 s) ran out...
            assert elapsed < 5.0, (behaviour, elapsed)  # ...and nothing waited longer
            if behaviour != "refused":
                assert raw.requests, behaviour  # it arrived (how often: test_item_45_broken_connection_...)
                put = b"PUT /ocpi/2.2.1/receiver/locations/NL/CPA/LOC1 HTTP/1.1"
                assert all(r.startswith(put) for r in raw.requests)
            if code == 4002:
                assert len(raw.requests) == 1  # a timeout is answered at once, never retried
            await assert_still_serving(cpo, healthy)
    assert not functional(bad)


async def broken_connection_case(
    db: SessionFactory, hub_app: Starlette, cpo: FakePlatform, emsp: FakePlatform, behaviour: str, method: str
) -> None:
    """One request through the hub to a receiver that takes it and then breaks the connection."""
    module = "locations" if method != "POST" else "commands"
    async with RawReceiver(behaviour) as raw:
        if method == "POST":
            await point_endpoints_at(db, hub_app, cpo, raw.url, module="commands")
            body = {"response_url": f"{emsp.endpoint_url('commands', 'SENDER')}/STOP_SESSION/1", "session_id": "S1"}
            url = f"{emsp.hub_url('commands', 'RECEIVER')}/STOP_SESSION"
            reply = await emsp.request_hub("POST", url, json=body, to=CPO)
        elif method == "GET":
            await point_endpoints_at(db, hub_app, cpo, raw.url)
            reply = await emsp.request_hub("GET", f"{emsp.hub_url('locations', 'SENDER')}/LOC1", to=CPO)
        else:
            await point_endpoints_at(db, hub_app, emsp, raw.url)
            reply = await push(cpo, EMSP)
        assert_hub_error(reply, 4003)
        lines = [r.split(b"\r\n", 1)[0] for r in raw.requests]
        assert len(lines) == 1, (behaviour, method, lines)
        assert f"/{module}/".encode() in lines[0]


async def test_item_45_broken_connection_is_not_retried(
    connect_fake: StartFake, db: SessionFactory, hub_app: Starlette
) -> None:
    """Idempotent or not, a request the receiver took before breaking the connection is not sent again
    (aiohttp re-sends GET/PUT/DELETE once on a broken kept-alive connection unless told not to)."""
    cpo, emsp = await connect_pair(connect_fake)
    for behaviour, method in (("close", "PUT"), ("reset", "GET"), ("close", "POST"), ("reset", "POST")):
        await broken_connection_case(db, hub_app, cpo, emsp, behaviour, method)


async def test_receiver_slower_than_its_own_platform_timeout_is_4002(
    connect_fake: StartFake, start_fake: StartFake, admin: PlatformAdmin, hub_mounts: dict[str, Any]
) -> None:
    """The per-platform timeout (`platforms add --timeout`) wins over the hub's default (10 s)."""
    cpo, healthy = await connect_pair(connect_fake)
    slow = await start_fake([("EMSP", *BAD)], mounts=hub_mounts)
    added = await admin.add(name="slow", roles=[parse_role("EMSP:DE:BAD")], timeout_seconds=0.4)
    await slow.register_with_hub(HUB_VERSIONS_URL, added.token_a)
    release = asyncio.Event()

    async def hold(_: RecordedRequest) -> Response | None:
        async with asyncio.timeout(5):
            await release.wait()
        return None

    slow.on_request = only_functional(hold)
    started = time.monotonic()
    try:
        reply = await push(cpo, BAD)
    finally:
        release.set()
    assert_hub_error(reply, 4002)
    assert 0.35 <= time.monotonic() - started < 5.0  # its own 0.4 s, not the hub's 10 s
    await assert_still_serving(cpo, healthy)


# --- receivers that answer, badly -----------------------------------------------------------


async def test_receiver_http_500_with_ocpi_envelope_is_passed_through(connect_fake: StartFake) -> None:
    cpo, healthy, bad = await three_platforms(connect_fake)
    body = dumps({"status_code": 3000, "status_message": "Our database is down", "timestamp": STAMP})

    async def broken(_: RecordedRequest) -> Response:
        return answer(body, 500, routing=("NL", "CPA", *BAD))

    bad.on_request = only_functional(broken)
    reply = await push(cpo, BAD)
    assert (reply.status_code, reply.content) == (500, body)
    assert reply.headers["x-request-id"] == sent_ids(reply)[0]
    assert len(functional(bad)) == 1
    await assert_still_serving(cpo, healthy)


NOT_OCPI = [
    (b"<html><body>502 Bad Gateway</body></html>", 502, "text/html"),
    (b"<html><body>Welcome</body></html>", 200, "text/html"),
    (b'{"status_code": 1000, "data": [', 200, "application/json"),  # invalid JSON
    (b'["not", "an", "envelope"]', 200, "application/json"),
    (b'{"status_code": "1000"}', 200, "application/json"),
    (b"", 200, "application/json"),
]


async def test_receiver_reply_that_is_not_ocpi_is_4000(connect_fake: StartFake) -> None:
    cpo, healthy, bad = await three_platforms(connect_fake)
    for content, status, media_type in NOT_OCPI:

        async def garbage(
            _: RecordedRequest, content: bytes = content, status: int = status, media_type: str = media_type
        ) -> Response:
            return Response(content, status_code=status, media_type=media_type)

        bad.on_request = only_functional(garbage)
        before = len(functional(bad))
        reply = await push(cpo, BAD)
        assert reply.json()["status_code"] == 4000, (content, reply.text)
        assert_hub_error(reply, 4000)
        assert len(functional(bad)) == before + 1
        await assert_still_serving(cpo, healthy)
