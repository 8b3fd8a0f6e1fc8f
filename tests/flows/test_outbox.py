"""The durable outbox behind Broadcast Push and HubClientInfo: FIFO per receiver, retries with
backoff, `dead` and `ocpi-hub outbox replay`, never a second delivery of a delivered message, and
nothing lost when the hub process is killed (design: docs/architecture.md, room "broadcast")."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlmodel import select
from starlette.responses import Response

from hub.db.db import SessionFactory
from hub.db.models import OutboxMessage
from hub.registration.platforms import PlatformAdmin, parse_role
from tests.conftest import StartFake
from tests.drain import outbox_drained
from tests.fakes.ocpi import RecordedRequest, envelope, reply
from tests.fakes.party import FakePlatform
from tests.helpers import HUB_URL, HubProcess

ArunCli = Callable[..., Awaitable[subprocess.CompletedProcess[str]]]
StartHub = Callable[..., Awaitable[HubProcess]]
HUB = ("NL", "HUB")
FAST = {
    "dispatcher_poll_seconds": 0.05,
    "outbox_backoff_seconds": 0.05,
    "outbox_backoff_max_seconds": 1.0,
    "breaker_fail_max": 100,
    "breaker_reset_seconds": 0.1,
}


def location(loc_id: str, day: int = 1) -> dict[str, Any]:
    return {
        "country_code": "NL",
        "party_id": "CPA",
        "id": loc_id,
        "publish": True,
        "address": "Street 1",
        "city": "Town",
        "country": "NLD",
        "coordinates": {"latitude": "52.000000", "longitude": "4.000000"},
        "time_zone": "Europe/Amsterdam",
        "last_updated": f"2026-01-{day:02d}T00:00:00Z",
    }


class Flaky:
    """An on_request hook: answers HTTP 500 to location pushes while `failing` (or for the first
    `fail_first` of them), and notes the arrival time of every location push."""

    def __init__(self, *, fail_first: int = 0, failing: bool = False) -> None:
        self.fail_first = fail_first
        self.failing = failing
        self.arrivals: list[tuple[float, str, bool]] = []  # (monotonic time, location id, answered OK)

    async def __call__(self, req: RecordedRequest) -> Response | None:
        if "/locations/" not in req.path:
            return None
        fail = self.failing or len(self.arrivals) < self.fail_first
        self.arrivals.append((time.monotonic(), req.path.rsplit("/", 1)[1], not fail))
        if fail:
            return reply(envelope(status_code=3000, status_message="Down for maintenance"), 500)
        return None

    def delivered(self) -> list[str]:
        return [loc for _, loc, ok in self.arrivals if ok]


def location_ids(fake: FakePlatform) -> list[str]:
    return [r.path.rsplit("/", 1)[1] for r in fake.received(module="locations", method="PUT")]


async def push(cpo: FakePlatform, base: str, loc_id: str, day: int = 1) -> None:
    url = f"{base}/ocpi/2.2.1/receiver/locations/NL/CPA/{loc_id}"
    answer = await cpo.request_hub("PUT", url, json=location(loc_id, day), to=HUB)
    assert answer.json()["status_code"] == 1000, answer.text


async def messages(db: SessionFactory, module: str = "locations") -> list[OutboxMessage]:
    async with db() as session:
        query = select(OutboxMessage).where(OutboxMessage.module == module).order_by(OutboxMessage.id)  # type: ignore[arg-type]
        return list((await session.exec(query)).all())


async def wait_rows(db: SessionFactory, predicate: Callable[[list[OutboxMessage]], bool], timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not predicate(await messages(db)):
            await asyncio.sleep(0.05)


@pytest.mark.hub_settings(**FAST)
async def test_fifo_per_receiver_while_it_fails_then_recovers_with_backoff(
    connect_fake: StartFake, db: SessionFactory
) -> None:
    flaky = Flaky(failing=True)
    failing = await connect_fake([("EMSP", "DE", "EMF")], on_request=flaky)
    healthy = await connect_fake([("EMSP", "DE", "EMS")])
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    order = [f"LOC{n}" for n in range(1, 6)]
    for day, loc_id in enumerate(order, start=1):
        await push(cpo, HUB_URL, loc_id, day)
    # one receiver's trouble holds up only its own queue
    await healthy.wait_for(lambda: location_ids(healthy) == order, timeout=10)
    await failing.wait_for(lambda: len(flaky.arrivals) >= 5, timeout=10)
    flaky.failing = False  # it recovers
    await failing.wait_for(lambda: len(flaky.delivered()) == 5, timeout=10)
    await outbox_drained(db, module="locations")  # every outcome recorded, nothing left to (re)send

    # the head is retried until it goes through; nothing overtakes it, nothing is sent twice
    tries = len(flaky.arrivals) - 4
    assert tries >= 6
    assert [loc for _, loc, _ in flaky.arrivals] == ["LOC1"] * tries + order[1:]
    assert flaky.delivered() == order
    # retries back off exponentially (full jitter: between half and all of 0.05 * 2^(n-1) s)
    attempts = [at for at, loc, _ in flaky.arrivals if loc == "LOC1"]
    gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
    for n, gap in enumerate(gaps[:4], start=1):
        assert gap >= 0.05 * 2 ** (n - 1) / 2 * 0.9, gaps
    rows = {(m.to_party_id, m.rest): m for m in await messages(db)}
    assert rows[("EMF", "NL/CPA/LOC1")].attempts == tries
    assert {m.status for m in rows.values()} == {"delivered"}
    assert all(rows[("EMF", f"NL/CPA/{loc}")].attempts == 1 for loc in order[1:])


@pytest.mark.hub_settings(**FAST, outbox_max_attempts=3)
async def test_dead_after_max_attempts_then_replay_delivers_once(
    connect_fake: StartFake, db: SessionFactory, arun_cli: ArunCli
) -> None:
    flaky = Flaky(failing=True)
    emsp = await connect_fake([("EMSP", "DE", "EMS")], on_request=flaky)
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    await push(cpo, HUB_URL, "LOC1")
    await wait_rows(db, lambda rows: [m.status for m in rows] == ["dead"])
    assert [loc for _, loc, _ in flaky.arrivals] == ["LOC1"] * 3  # exactly outbox_max_attempts
    assert [(m.status, m.attempts) for m in await messages(db)] == [("dead", 3)]

    flaky.failing = False
    replayed = await arun_cli("outbox", "replay")
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout.startswith("1 message"), replayed.stdout
    await emsp.wait_for(lambda: flaky.delivered() == ["LOC1"], timeout=10)
    await wait_rows(db, lambda rows: [m.status for m in rows] == ["delivered"])

    # delivered is final: more traffic and more dispatcher rounds never resend it
    await push(cpo, HUB_URL, "LOC2", 2)
    await emsp.wait_for(lambda: flaky.delivered() == ["LOC1", "LOC2"], timeout=10)
    await outbox_drained(db, module="locations")
    assert flaky.delivered() == ["LOC1", "LOC2"]
    # the dead row was left alone (the dispatcher's rounds until the replay sent nothing), and the
    # replayed, delivered LOC1 was not sent again before LOC2, queued behind it for the same receiver
    assert [loc for _, loc, _ in flaky.arrivals] == ["LOC1"] * 4 + ["LOC2"]
    correlation_ids = [r.header("x-correlation-id") for r in emsp.received(module="locations")]
    assert len(set(correlation_ids)) == 2  # three failed attempts and the replay of LOC1 share one id


@pytest.fixture
async def stoppable() -> AsyncIterator[list[Any]]:
    """Serving contexts the test opened itself; closed at teardown."""
    contexts: list[Any] = []
    try:
        yield contexts
    finally:
        for context in reversed(contexts):
            await context.__aexit__(None, None, None)


@pytest.mark.e2e
async def test_accepted_broadcasts_survive_a_killed_hub_and_arrive_in_order(
    start_hub: StartHub, start_fake: StartFake, admin: PlatformAdmin, db: SessionFactory, stoppable: list[Any]
) -> None:
    env = {
        "HUB_DISPATCHER_POLL_SECONDS": "0.05",
        "HUB_OUTBOX_BACKOFF_SECONDS": "0.05",
        "HUB_OUTBOX_BACKOFF_MAX_SECONDS": "0.3",
        "HUB_BREAKER_RESET_SECONDS": "0.2",
        "HUB_OUTBOX_MAX_ATTEMPTS": "1000",
    }
    hub = await start_hub(extra_env=env)
    cpo = await start_fake([("CPO", "NL", "CPA")])
    emsp = FakePlatform([("EMSP", "DE", "EMS")])
    serving = emsp.serve()
    port = int((await serving.__aenter__()).rsplit(":", 1)[1])
    stoppable.append(serving)
    for fake in (emsp, cpo):
        added = await admin.add(name=fake.name + fake.roles[0][2], roles=[parse_role(":".join(fake.roles[0]))])
        await fake.register_with_hub(hub.versions_url, added.token_a)
    await emsp.wait_for(lambda: emsp.received(module="hubclientinfo"), timeout=10)
    await outbox_drained(db, module="hubclientinfo")  # the hub recorded that delivery

    stoppable.remove(serving)
    await serving.__aexit__(None, None, None)  # the receiver is down
    order = [f"LOC{n}" for n in range(1, 6)]
    for day, loc_id in enumerate(order, start=1):
        await push(cpo, hub.url, loc_id, day)
    await wait_rows(db, lambda rows: len(rows) == 5 and rows[0].attempts >= 1)  # tried, and failed

    os.kill(hub.pid, signal.SIGKILL)
    assert await asyncio.to_thread(hub.popen.wait, 10) == -signal.SIGKILL
    await start_hub(extra_env=env)
    serving = emsp.serve(port=port)
    await serving.__aenter__()  # the receiver is back
    stoppable.append(serving)

    await emsp.wait_for(lambda: len(location_ids(emsp)) >= 5, timeout=30)
    await wait_rows(db, lambda rows: [m.status for m in rows] == ["delivered"] * 5)  # nothing left to send
    assert location_ids(emsp) == order  # every accepted broadcast, once, in order
    # what was delivered before the kill (ClientInfo) was not delivered again after the restart
    ids = [r.header("x-correlation-id") for r in emsp.received(module="hubclientinfo")]
    assert len(ids) == len(set(ids)), ids


@pytest.mark.hub_settings(**FAST, dispatcher_concurrency=1)  # window of 32 rows (2048 with the default 64)
async def test_a_failing_receiver_does_not_hold_up_the_others(connect_fake: StartFake) -> None:
    down = Flaky(failing=True)
    await connect_fake([("EMSP", "DE", "EMF")], on_request=down)
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    for n in range(1, 33):
        await push(cpo, HUB_URL, f"LOC{n}", 1)
    late = await connect_fake([("EMSP", "DE", "EMS")])
    await push(cpo, HUB_URL, "LOC99", 2)
    await late.wait_for(lambda: location_ids(late) == ["LOC99"], timeout=1.5)


@pytest.mark.hub_settings(**FAST)
async def test_a_slow_receiver_does_not_hold_up_the_others(connect_fake: StartFake) -> None:
    gate = asyncio.Event()

    async def slow(req: RecordedRequest) -> Response | None:
        if "/locations/" in req.path:
            await gate.wait()  # answers only when the test lets it (the hub waits up to 10 s)
        return None

    await connect_fake([("EMSP", "DE", "EMW")], on_request=slow)
    quick = await connect_fake([("EMSP", "DE", "EMS")])
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    try:
        await push(cpo, HUB_URL, "LOC1", 1)
        await quick.wait_for(lambda: location_ids(quick) == ["LOC1"], timeout=5)
        await push(cpo, HUB_URL, "LOC2", 2)
        await quick.wait_for(lambda: location_ids(quick) == ["LOC1", "LOC2"], timeout=1.5)
    finally:
        gate.set()
