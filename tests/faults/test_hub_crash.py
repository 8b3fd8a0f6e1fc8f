"""The hub process dies or is stopped during traffic; nothing it accepted is lost.

SIGKILL during a stream of Broadcast Pushes (one receiver down, one up): every push answered
1000 is delivered to every receiver at least once and in order after a restart, and the
receiver that is down never held up the other one. SIGTERM during traffic: requests in flight
complete, new connections are refused at once, the process exits within
shutdown_grace_seconds, and outbox rows it could not deliver are delivered after the next
start. Runs on SQLite and PostgreSQL (the outbox lives in the database).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from hub.db.db import SessionFactory
from hub.db.models import OutboxMessage
from hub.registration.platforms import PlatformAdmin
from hub.tasks import TaskGroup
from tests.fakes.ocpi import RecordedRequest
from tests.fakes.party import FakePlatform
from tests.faults.conftest import Fakes
from tests.faults.harness import assert_no_crash_logged, connect, location, wait_until
from tests.helpers import HubProcess

pytestmark = pytest.mark.e2e

StartHub = Callable[..., Awaitable[HubProcess]]
DISPATCHER_POLL = 0.1
LEASE_TTL = 10 * DISPATCHER_POLL + 5  # hub.broadcast.dispatcher: a dead holder's lease expires after this
HUB_ENV = {
    "HUB_LOG_FORMAT": "json",
    "HUB_DISPATCHER_POLL_SECONDS": str(DISPATCHER_POLL),
    "HUB_OUTBOX_BACKOFF_SECONDS": "0.1",
    "HUB_OUTBOX_BACKOFF_MAX_SECONDS": "0.5",
    "HUB_OUTBOX_MAX_ATTEMPTS": "1000",
    "HUB_BREAKER_FAIL_MAX": "3",
    "HUB_BREAKER_RESET_SECONDS": "0.5",
    "HUB_REQUEST_TIMEOUT_SECONDS": "2",
}
CPO = ("CPO", "NL", "CPA")


def push_id(i: int) -> str:
    return f"B{i:03d}"


class Pusher:
    """The CPO's Broadcast Pushes (PUT location to the hub), one at a time, with what each got."""

    def __init__(self, cpo: FakePlatform, url: str) -> None:
        self.cpo, self.url = cpo, url
        self.accepted: list[str] = []
        self.transport_errors: list[tuple[str, str]] = []
        self.refused: list[tuple[str, int, Any]] = []

    async def push(self, i: int) -> None:
        loc_id = push_id(i)
        try:
            reply = await self.cpo.request_hub(
                "PUT",
                f"{self.url}/ocpi/2.2.1/receiver/locations/NL/CPA/{loc_id}",
                json=location(loc_id),
                to=("NL", "HUB"),
            )
        except httpx.HTTPError as exc:  # the hub is gone: nothing was promised
            self.transport_errors.append((loc_id, type(exc).__name__))
            return
        body = reply.json()
        if reply.status_code == 200 and body.get("status_code") == 1000:
            self.accepted.append(loc_id)
        else:
            self.refused.append((loc_id, reply.status_code, body.get("status_code")))

    async def stream(self, numbers: range, *, gap: float = 0.01) -> None:
        for i in numbers:
            await self.push(i)
            await asyncio.sleep(gap)


def pushes_received(fake: FakePlatform) -> list[str]:
    """Broadcast location ids the fake received, in arrival order (repeats kept)."""
    return [r.path.rsplit("/", 1)[1] for r in fake.received(module="locations", method="PUT") if "/B" in r.path]


def assert_delivered_in_order(fake: FakePlatform, accepted: list[str]) -> None:
    received = pushes_received(fake)
    assert set(accepted) - set(received) == set(), "accepted pushes never delivered"
    first_seen = list(dict.fromkeys(received))
    assert first_seen == sorted(first_seen), f"out of order: {first_seen}"


async def all_delivered(fakes: list[FakePlatform], accepted: list[str], timeout: float) -> None:
    async def done() -> bool:
        return all(set(accepted) <= set(pushes_received(f)) for f in fakes)

    await wait_until(done, timeout=timeout, what="every accepted push delivered to every receiver")


async def test_sigkill_during_broadcasts_loses_nothing(start_hub: StartHub, admin: PlatformAdmin, fakes: Fakes) -> None:
    hub = await start_hub(extra_env=HUB_ENV)
    cpo, down, up = await asyncio.gather(
        connect(hub, admin, fakes.start, CPO),
        connect(hub, admin, fakes.start, ("EMSP", "DE", "EMS")),
        connect(hub, admin, fakes.start, ("EMSP", "DE", "EMT")),
    )
    await fakes.stop(down)  # DE/EMS is down during the whole first run
    pusher = Pusher(cpo, hub.url)
    tasks = TaskGroup()
    stream = tasks.spawn(pusher.stream(range(0, 40)), name="pushes")
    try:

        async def mid_stream() -> bool:
            return len(pusher.accepted) >= 20 and len(pushes_received(up)) >= 5

        await wait_until(mid_stream, timeout=15, what="20 pushes accepted, 5 delivered to DE/EMT")
        # the receiver that is down does not hold up the one that is up
        assert pushes_received(down) == []
        os.kill(hub.pid, signal.SIGKILL)
        hub.popen.wait(timeout=5)
        await stream
    finally:
        await tasks.aclose()
    killed_at = len(pusher.accepted)
    assert pusher.transport_errors, "the kill must have happened during the stream"
    assert pusher.refused == [], pusher.refused  # no OCPI error: 1000 or no answer at all

    restarted = await start_hub(extra_env=HUB_ENV)
    await fakes.restart(down)
    pusher.url = restarted.url
    await pusher.stream(range(40, 60))
    assert len(pusher.accepted) == killed_at + 20 and pusher.refused == []
    started = time.monotonic()
    await all_delivered([down, up], pusher.accepted, timeout=LEASE_TTL + 15)
    print(
        f"\n[crash] SIGKILL: {killed_at} pushes accepted before the kill, {len(pusher.transport_errors)} "
        f"unanswered, all {len(pusher.accepted)} delivered {time.monotonic() - started:.1f} s after the last push"
    )
    for fake in (down, up):
        assert_delivered_in_order(fake, pusher.accepted)
    repeats = {f.name: len(pushes_received(f)) - len(set(pushes_received(f))) for f in (down, up)}
    print(f"[crash] SIGKILL: deliveries repeated after the restart (at least once): {repeats}")
    assert_no_crash_logged(hub)
    assert_no_crash_logged(restarted)


def slow_gets(seconds: float) -> Callable[[RecordedRequest], Awaitable[None]]:
    async def hook(request: RecordedRequest) -> None:
        if request.method == "GET" and "/sender/locations" in request.path:
            await asyncio.sleep(seconds)

    return hook


async def pending_for(db: SessionFactory, party_id: str) -> int:
    async with db() as session:
        rows = await session.exec(
            select(OutboxMessage).where(
                col(OutboxMessage.to_party_id) == party_id,
                col(OutboxMessage.kind) == "broadcast",
                col(OutboxMessage.status) == "pending",
            )
        )
        return len(rows.all())


def _status(reply: httpx.Response | BaseException) -> tuple[int, Any] | str:
    if not isinstance(reply, httpx.Response):
        return repr(reply)
    try:
        return reply.status_code, reply.json()["status_code"]
    except (ValueError, KeyError, TypeError):
        return reply.status_code, reply.text[:60]


async def refuses_connections(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except ConnectionRefusedError:
        return True
    writer.close()
    return False


async def sigterm_during_traffic(
    start_hub: StartHub,
    admin: PlatformAdmin,
    fakes: Fakes,
    db: SessionFactory,
    *,
    grace: str,
    reply_seconds: float,
) -> None:
    """Routed GETs in flight (the CPO answers after `reply_seconds`) and undelivered broadcasts
    (DE/EMT is down) when the hub gets SIGTERM with HUB_SHUTDOWN_GRACE_SECONDS=`grace`."""
    env = HUB_ENV | {"HUB_SHUTDOWN_GRACE_SECONDS": grace}
    hub = await start_hub(extra_env=env)
    cpo, emsp, down = await asyncio.gather(
        connect(hub, admin, fakes.start, CPO, on_request=slow_gets(reply_seconds)),
        connect(hub, admin, fakes.start, ("EMSP", "DE", "EMS")),
        connect(hub, admin, fakes.start, ("EMSP", "DE", "EMT")),
    )
    cpo.add_object("locations", location("LOC1"))
    await fakes.stop(down)
    pusher = Pusher(cpo, hub.url)
    await pusher.stream(range(10), gap=0.0)
    assert len(pusher.accepted) == 10, (pusher.refused, pusher.transport_errors)

    async def expanded() -> bool:
        return await pending_for(db, "EMT") == 10

    await wait_until(expanded, timeout=10, what="the broadcasts are in DE/EMT's outbox")
    tasks = TaskGroup()
    in_flight = [
        tasks.spawn(
            emsp.request_hub("GET", f"{hub.url}/ocpi/2.2.1/sender/locations/LOC1", to=("NL", "CPA")), name=f"get{n}"
        )
        for n in range(4)
    ]
    try:

        async def arrived() -> bool:
            return len(cpo.received(module="locations", method="GET")) == 4

        await wait_until(arrived, timeout=5, what="4 routed GETs in flight at the CPO")
        os.kill(hub.pid, signal.SIGTERM)
        signalled = time.monotonic()
        port = int(hub.url.rsplit(":", 1)[1])
        await wait_until(lambda: refuses_connections(port), timeout=1, what="new connections refused")
        refused_after = time.monotonic() - signalled
        replies = await asyncio.gather(*in_flight, return_exceptions=True)
    finally:
        await tasks.aclose()
    answered = [_status(r) for r in replies]
    assert answered == [(200, 1000)] * 4, answered
    async with asyncio.timeout(float(grace) + 3):
        while hub.popen.poll() is None:
            await asyncio.sleep(0.02)
    exited_after = time.monotonic() - signalled
    print(
        f"\n[crash] SIGTERM: connections refused after {refused_after * 1000:.0f} ms, in-flight requests "
        f"completed, exit {hub.popen.returncode} after {exited_after:.2f} s (grace {grace} s)"
    )
    # uvicorn re-raises the signal once it has shut down cleanly: exit status -SIGTERM
    assert hub.popen.returncode in (0, -signal.SIGTERM), hub.logs()[-2000:]
    assert "Application shutdown complete" in hub.logs()
    assert exited_after < float(grace) + 2
    assert await pending_for(db, "EMT") == 10  # left for the next start, none given up

    restarted = await start_hub(extra_env=env)
    await fakes.restart(down)
    started = time.monotonic()
    await all_delivered([down], pusher.accepted, timeout=LEASE_TTL + 15)
    print(f"[crash] after the restart, the outbox was delivered in {time.monotonic() - started:.1f} s")
    assert_delivered_in_order(down, pusher.accepted)
    again = await emsp.request_hub("GET", f"{restarted.url}/ocpi/2.2.1/sender/locations/LOC1", to=("NL", "CPA"))
    assert again.json()["status_code"] == 1000
    assert_no_crash_logged(hub)
    assert_no_crash_logged(restarted)


async def test_sigterm_finishes_in_flight_requests_and_keeps_the_outbox(
    start_hub: StartHub, admin: PlatformAdmin, fakes: Fakes, db: SessionFactory
) -> None:
    await sigterm_during_traffic(start_hub, admin, fakes, db, grace="3", reply_seconds=1.0)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # process behaviour: one backend is enough
async def test_sigterm_with_a_grace_below_one_second(
    start_hub: StartHub, admin: PlatformAdmin, fakes: Fakes, db: SessionFactory
) -> None:
    await sigterm_during_traffic(start_hub, admin, fakes, db, grace="0.9", reply_seconds=0.4)
