"""Slow and many clients (issue 13, item 2): the hub as a real process (`ocpi-hub serve`, so
`hub.server.server_config` and `HubHttpProtocol`) and raw loopback sockets playing the hostile
clients.

- a connection that sends nothing, half a request line, or its headers a line at a time, is
  closed by header_timeout (408 with an OCPI envelope once a request began); an idle kept-alive
  one by keepalive_timeout;
- a body that does not arrive in time gets 408 with an OCPI envelope; a body the hub answered
  without reading (401) is not waited for;
- over max_connections, slow clients give way: a registered party is still served within 2 s and
  no receiver's breaker opens; when every connection carries a request, a new one gets 503 with
  Retry-After and an OCPI envelope at once;
- the hub's own shortages (no outbound connection slot in time, no file descriptor to connect
  with) are its own 503 "hub busy", never a receiver's failure: the receiver's breaker stays shut.

Socket-level behaviour does not depend on the database: these run on SQLite only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from hub.db.db import SessionFactory
from hub.egress import EgressRefused
from hub.errors import HubBusy
from hub.forwarding.contract import HubOutOfResources, OutboundRequest, UpstreamResponse
from hub.forwarding.resilience import BreakerBoard
from hub.forwarding.send import SendPath
from hub.registration.platforms import PlatformAdmin, parse_role
from hub.tasks import TaskGroup
from tests.factories import tplatform
from tests.faults.harness import (
    breaker_events,
    connect,
    location,
    log_events,
    point_endpoints,
    wait_until,
)
from tests.faults.servers import RawServer
from tests.helpers import PROJECT_ROOT, HubProcess, auth_header

pytestmark = pytest.mark.e2e
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

StartHub = Callable[..., Awaitable[HubProcess]]
MARGIN = 1.5  # seconds a close may come after its deadline on a busy 2-core machine


def _port(hub: HubProcess) -> int:
    return int(hub.url.rsplit(":", 1)[1])


@asynccontextmanager
async def sockets(
    hub: HubProcess, count: int
) -> AsyncIterator[list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]:
    """`count` raw connections to the hub, all closed at the end."""
    opened: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    try:
        for _ in range(count):
            opened.append(await asyncio.open_connection("127.0.0.1", _port(hub)))
        yield opened
    finally:
        for _, writer in opened:
            writer.close()


async def until_closed(reader: asyncio.StreamReader, *, within: float) -> tuple[bytes, float]:
    """Everything the hub sends until it closes the connection (recv returns b""), and how long
    that took; fails if the connection is still open after `within` seconds."""
    started = time.monotonic()
    received = b""
    try:
        async with asyncio.timeout(within):
            while chunk := await reader.read(65536):
                received += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        raise AssertionError(f"still open after {within}s; received {received[:200]!r}") from None
    return received, time.monotonic() - started


def response_of(raw: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Status, headers (lower-case names) and JSON body of one raw HTTP/1.1 response."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict((k.strip().lower(), v.strip()) for k, v in (line.split(":", 1) for line in lines[1:]))
    return int(lines[0].split()[1]), headers, json.loads(body)


# --- timeouts --------------------------------------------------------------------------------


@SQLITE_ONLY
async def test_idle_and_half_sent_requests_are_closed_by_the_header_timeout(start_hub: StartHub) -> None:
    timeout = 0.6
    hub = await start_hub(
        extra_env={"HUB_HEADER_TIMEOUT_SECONDS": str(timeout), "HUB_KEEPALIVE_TIMEOUT_SECONDS": str(timeout)}
    )
    async with sockets(hub, 4) as ((idle_r, _), (half_r, half_w), (trickle_r, trickle_w), (kept_r, kept_w)):
        half_w.write(b"GET /health/li")  # half a request line
        kept_w.write(b"GET /health/live HTTP/1.1\r\nHost: hub\r\n\r\n")  # one request, then idle

        async def trickle() -> None:  # a header line every 0.2 s: each read is quick, the whole is late
            trickle_w.write(b"GET /health/live HTTP/1.1\r\n")
            for n in range(50):
                await asyncio.sleep(0.2)
                trickle_w.write(f"X-Slow-{n}: 1\r\n".encode())

        tasks = TaskGroup()
        tasks.spawn(trickle(), name="trickle")
        try:
            idle, half, trickled, kept = await asyncio.gather(
                *(until_closed(r, within=timeout + MARGIN) for r in (idle_r, half_r, trickle_r, kept_r))
            )
        finally:
            await tasks.aclose()

    assert idle[0] == b"" and timeout * 0.8 <= idle[1], idle  # closed quietly: no request began
    for raw, took in (half, trickled):
        assert took >= timeout * 0.8
        status, headers, body = response_of(raw)
        assert (status, body["status_code"]) == (408, 2000), raw
        assert headers["connection"] == "close" and "headers not received in time" in body["status_message"]
    assert kept[0].startswith(b"HTTP/1.1 200 ") and kept[0].count(b"HTTP/1.1") == 1  # served, then idle closed


@SQLITE_ONLY
async def test_a_slow_body_gets_408_with_an_envelope(start_hub: StartHub, admin: PlatformAdmin) -> None:
    hub = await start_hub(extra_env={"HUB_BODY_TIMEOUT_SECONDS": "0.5"})
    token_a = (await admin.add(name="slow-body", roles=[parse_role("CPO:NL:SLO")])).token_a
    authorization = auth_header(token_a)["Authorization"]
    async with sockets(hub, 2) as ((reader, writer), (anon_r, anon_w)):
        head = (
            "POST /ocpi/2.2.1/credentials HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
            f"Authorization: {authorization}\r\nContent-Length: 500\r\n\r\n"
        )
        writer.write(head.encode() + b'{"token": "')  # ... and the rest never comes
        raw, took = await until_closed(reader, within=0.5 + MARGIN)
        # without a token the hub answers 401 at once and does not wait for the body either
        anon_w.write(
            b"PUT /ocpi/2.2.1/receiver/locations/NL/CPA/L1 HTTP/1.1\r\nHost: hub\r\nContent-Length: 500\r\n\r\n{"
        )
        anon_raw, anon_took = await until_closed(anon_r, within=MARGIN)

    status, headers, body = response_of(raw)
    assert (status, body["status_code"]) == (408, 2000), raw
    assert "body not received within 0.5 s" in body["status_message"] and "x-request-id" in headers
    assert took >= 0.4
    assert response_of(anon_raw)[0] == 401 and anon_took < 1.0


# --- many connections ------------------------------------------------------------------------


@SQLITE_ONLY
async def test_slow_clients_over_the_cap_give_way_to_a_well_behaved_party(
    start_hub: StartHub, admin: PlatformAdmin, start_fake: Callable[..., Awaitable[Any]]
) -> None:
    """80 slow connections against a cap of 50: the hub sheds the slowest, a registered eMSP's
    routed requests are all served within 2 s, and no breaker opens."""
    cap = 50
    hub = await start_hub(
        extra_env={"HUB_MAX_CONNECTIONS": str(cap), "HUB_HEADER_TIMEOUT_SECONDS": "30", "HUB_LOG_FORMAT": "json"}
    )
    cpo = await connect(hub, admin, start_fake, ("CPO", "NL", "CPA"))
    emsp = await connect(hub, admin, start_fake, ("EMSP", "DE", "EMS"))
    cpo.add_object("locations", location("LOC1"))
    url = f"{hub.url}/ocpi/2.2.1/sender/locations/LOC1"

    async with sockets(hub, 80) as slow:
        for n, (_, writer) in enumerate(slow):
            if n % 2:
                writer.write(b"GET /ocpi/versions HTTP/1.1\r\nHost: hu")  # half a request; the rest idle
        took = []
        for _ in range(20):
            started = time.monotonic()
            reply = await emsp.request_hub("GET", url, to=("NL", "CPA"))
            took.append(time.monotonic() - started)
            assert (reply.status_code, reply.json()["status_code"]) == (200, 1000), reply.text

        async def shed() -> int:
            for reader, _ in slow:  # a closed connection shows as EOF once read
                if not reader.at_eof():
                    with contextlib.suppress(TimeoutError, ConnectionError):
                        await asyncio.wait_for(reader.read(65536), 0.001)
            return sum(reader.at_eof() for reader, _ in slow)

        async def over_the_cap_shed() -> bool:
            return await shed() >= len(slow) - cap

        await wait_until(over_the_cap_shed, timeout=5, what="the hub closed the slow connections over the cap")
        closed = await shed()

    print(f"\n[slow clients] 80 slow vs cap {cap}: routed GET max {max(took) * 1000:.0f} ms, slow ones shed {closed}")
    assert max(took) < 2.0, took
    assert sum(r.path.endswith("/LOC1") for r in cpo.requests) >= 20
    assert log_events(hub, "breaker_state_changed") == []
    assert log_events(hub, "connections_at_cap"), "the cap was reached and logged"
    async with httpx.AsyncClient(timeout=5) as client:
        assert (await client.get(f"{hub.url}/health/ready")).status_code == 200


@SQLITE_ONLY
async def test_when_every_connection_carries_a_request_a_new_one_gets_503_at_once(
    start_hub: StartHub, admin: PlatformAdmin
) -> None:
    cap = 10
    hub = await start_hub(
        extra_env={
            "HUB_MAX_CONNECTIONS": str(cap),
            "HUB_BODY_TIMEOUT_SECONDS": "20",
            "HUB_BUSY_RETRY_AFTER_SECONDS": "7",
        }
    )
    token_a = (await admin.add(name="holder", roles=[parse_role("CPO:NL:HLD")])).token_a
    head = (
        "POST /ocpi/2.2.1/credentials HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
        f"Authorization: {auth_header(token_a)['Authorization']}\r\nContent-Length: 100\r\n\r\n{{"
    ).encode()
    async with sockets(hub, cap) as holders:
        for _, writer in holders:  # headers complete, body pending: each carries a request
            writer.write(head)
            await writer.drain()
        await asyncio.sleep(0)  # let the writes leave; the hub reads them as they arrive
        refused = []
        async with httpx.AsyncClient(timeout=5) as client:

            async def full() -> bool:
                reply = await client.get(f"{hub.url}/health/live")
                refused.append((reply, reply.elapsed.total_seconds()))
                return reply.status_code == 503

            await wait_until(full, timeout=5, what="a connection over the cap is refused")
            for _ in range(4):
                reply = await client.get(f"{hub.url}/health/live")
                refused.append((reply, reply.elapsed.total_seconds()))
    # the holders are gone: the hub serves again
    async with httpx.AsyncClient(timeout=5) as client:

        async def served() -> bool:
            return (await client.get(f"{hub.url}/health/live")).status_code == 200

        await wait_until(served, timeout=5, what="the hub serves once the connections are released")

    busy = [(r, s) for r, s in refused if r.status_code == 503]
    assert len(busy) >= 5, [r.status_code for r, _ in refused]
    for reply, seconds in busy:
        assert reply.headers["retry-after"] == "7" and seconds < 0.5
        body = reply.json()
        assert body["status_code"] == 3000 and "Hub busy" in body["status_message"]


# --- the hub's own shortages are not a receiver's failure ------------------------------------


@SQLITE_ONLY
async def test_outbound_pool_exhaustion_is_the_hubs_busy_not_the_receivers_failure(
    start_hub: StartHub, admin: PlatformAdmin, db: SessionFactory, start_fake: Callable[..., Awaitable[Any]]
) -> None:
    """pool_total=1 and a receiver that hangs (its timeout 5 s, the others' 1 s): requests to a
    healthy receiver wait for the one outbound slot, time out in the hub's own queue and get 503
    "hub busy" with Retry-After; the healthy receiver was never contacted, its breaker stays shut
    (fail_max 2, three requests), and it is served once the slot is free."""
    hub = await start_hub(
        extra_env={
            "HUB_POOL_TOTAL": "1",
            "HUB_REQUEST_TIMEOUT_SECONDS": "1.0",  # NL/BAD waits 5 s (its own timeout): longer
            "HUB_BREAKER_FAIL_MAX": "2",
            "HUB_BUSY_RETRY_AFTER_SECONDS": "3",
            "HUB_LOG_FORMAT": "json",
        }
    )
    healthy = await connect(hub, admin, start_fake, ("CPO", "NL", "CPA"))
    hanging = await start_fake([("CPO", "NL", "BAD")], name="hanging")
    added = await admin.add(name="cpo-nl-bad", roles=[parse_role("CPO:NL:BAD")], timeout_seconds=5.0)
    await hanging.register_with_hub(hub.versions_url, added.token_a)
    hanging.platform_id = added.platform.id
    emsp = await connect(hub, admin, start_fake, ("EMSP", "DE", "EMS"))
    healthy.add_object("locations", location("LOC1"))
    server = RawServer("ok")
    await server.start()
    try:
        assert hanging.platform_id is not None
        await point_endpoints(db, hanging.platform_id, server.origin, modules=["locations"])
        url = f"{hub.url}/ocpi/2.2.1/sender/locations/LOC1"

        async def routed_to_raw() -> bool:
            await emsp.request_hub("GET", url, to=("NL", "BAD"))
            return server.requests > 0

        await wait_until(routed_to_raw, timeout=10, what="the hub routes NL/BAD to the raw server")
        server.mode = "hang"
        before = len(healthy.requests)
        tasks = TaskGroup()
        stuck = tasks.spawn(emsp.request_hub("GET", url, to=("NL", "BAD")), name="stuck")
        reached = server.requests

        async def hanging_holds_the_slot() -> bool:
            return server.requests > reached

        await wait_until(hanging_holds_the_slot, timeout=5, what="the hanging receiver got the request")
        busy = await asyncio.gather(*(emsp.request_hub("GET", url, to=("NL", "CPA")) for _ in range(3)))
        hung = await stuck
        await tasks.aclose()
        contacted = len(healthy.requests) - before

        async def served() -> bool:
            reply = await emsp.request_hub("GET", url, to=("NL", "CPA"))
            return bool(reply.json().get("status_code") == 1000)

        await wait_until(served, timeout=10, what="the healthy receiver is served again")
    finally:
        await server.stop()

    for reply in busy:
        assert (reply.status_code, reply.json()["status_code"]) == (503, 3000), reply.text
        assert reply.headers["retry-after"] == "3" and "Hub busy" in reply.json()["status_message"]
    assert (hung.status_code, hung.json()["status_code"]) == (200, 4002)  # the hanging one timed out
    assert contacted == 0
    assert healthy.base_url is not None
    assert breaker_events(hub, healthy.base_url) == [], "the healthy receiver's breaker never moved"


EMFILE_SCRIPT = textwrap.dedent(
    """
    import asyncio, os, resource, socket
    import aiohttp
    from adapters.ocpi_direct import DirectOcpiAdapter
    from hub.errors import HubBusy
    from hub.forwarding.contract import OutboundRequest
    from hub.forwarding.resilience import BreakerBoard
    from hub.forwarding.send import SendPath
    from tests.factories import tplatform

    async def main():
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/ocpi/2.2.1/locations"
        board = BreakerBoard(fail_max=1, reset_timeout=60.0)
        async with aiohttp.ClientSession() as http:
            send = SendPath(adapter=DirectOcpiAdapter(http), breakers=board, busy_retry_after=2)
            in_use = len(os.listdir("/proc/self/fd")) - 1  # less the one listdir itself had open
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (in_use, hard))  # not one descriptor more
            try:
                await send.send(OutboundRequest("GET", url, {}, None, 2.0), platform=tplatform(), receiver="NL*CPA")
            except HubBusy as exc:
                print("busy", exc.http_status, exc.status_code, exc.headers["Retry-After"], *board.states().values())
            finally:
                resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    asyncio.run(main())
    """
)


def test_no_descriptor_to_connect_with_is_the_hubs_busy_not_the_receivers_failure() -> None:
    """A process out of file descriptors (EMFILE on connect) answers "hub busy" and leaves the
    receiver's breaker shut (fail_max=1: one failure counted would open it). Real sockets, real
    descriptor limit, in a child process so the test run keeps its own descriptors."""
    done = subprocess.run(
        [sys.executable, "-c", EMFILE_SCRIPT], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "busy 503 3000 2 closed", (done.stdout, done.stderr)


# --- the send path, with a scripted transport standing in for the network --------------------


class Shortage:
    """A transport that is always short of something of the hub's own."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.sent = 0

    async def send(self, request: OutboundRequest) -> UpstreamResponse:
        self.sent += 1
        raise self.error

    async def aclose(self) -> None:
        return None


async def test_the_send_path_hands_the_permit_back_on_the_hubs_own_shortage_or_refusal() -> None:
    board = BreakerBoard(fail_max=1, reset_timeout=0.01)
    told: list[str] = []

    class Reach:
        def unreachable(self, platform_id: int) -> None:
            told.append("unreachable")

        def reached(self, platform_id: int) -> None:
            told.append("reached")

    platform = tplatform(alternates=("http://alternate.test",))
    request = OutboundRequest("POST", "http://primary.test/ocpi/2.2.1/commands/START_SESSION", {}, b"{}", 2.0)
    short = Shortage(HubOutOfResources("no slot"))
    send = SendPath(adapter=short, breakers=board, reachability=Reach(), busy_retry_after=4)
    for _ in range(3):
        with pytest.raises(HubBusy) as busy:
            await send.send(request, platform=platform, receiver="NL*CPA")
    assert busy.value.http_status == 503 and busy.value.headers == {"Retry-After": "4"}
    assert short.sent == 3  # no failover to the alternate: the hub itself is short
    assert board.states() == {"http://primary.test": "closed"} and told == []

    # a half-open breaker's one trial permit comes back too, so the next request may try
    primary = board.get("http://primary.test")
    primary.record(primary.acquire() or pytest.fail("closed"), False)  # open it
    await asyncio.sleep(0.02)  # its cooldown (0.01 s) passes: half-open
    refusing = SendPath(adapter=Shortage(EgressRefused("loopback")), breakers=board, reachability=Reach())
    with pytest.raises(EgressRefused):
        await refusing.send(request, platform=tplatform(), receiver="NL*CPA")
    assert primary.acquire() is not None and told == []
