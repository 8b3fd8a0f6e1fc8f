"""One bad receiver, everyone else unaffected: the hub as a real process, fakes and misbehaving
raw servers on 127.0.0.1.

Every test has the same cast: a healthy CPO (NL/CPA) and eMSP (DE/EMS) exchanging steady routed
traffic (the eMSP GETs a location, the CPO PUTs locations), a bad CPO (NL/BAD) whose locations
endpoint the operator moved to a raw server that misbehaves, and a second eMSP (DE/EMB) calling
it. Each test asserts what the bad receiver's sender got, that the circuit breaker did what the
issue says, that the healthy pair had no error and kept its p95 latency within 3x + 20 ms of
its own baseline measured just before the fault, and that every routed push answered 1000
reached its receiver.

The flapping and failover tests run on SQLite and PostgreSQL (they edit the registry while the
hub runs); the matrix of receiver faults runs on SQLite only: routed traffic is served from the
hub's caches and touches no database, so a second backend would only double its runtime.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Awaitable, Callable

import pytest

from hub.db.db import SessionFactory
from tests.faults.conftest import World
from tests.faults.harness import (
    StartRaw,
    Steady,
    Traffic,
    assert_isolated,
    breaker_events,
    location,
    point_endpoints,
    ready,
    wait_until,
)
from tests.faults.servers import RawServer

pytestmark = pytest.mark.e2e

FAIL_MAX = 3
TIMEOUT_S = 0.5
HUB_ENV = {
    "HUB_REQUEST_TIMEOUT_SECONDS": str(TIMEOUT_S),
    "HUB_BREAKER_FAIL_MAX": str(FAIL_MAX),
    "HUB_BREAKER_RESET_SECONDS": "30",
}
BASELINE_COUNT = 150
GAP = 0.005  # pause of each healthy sender between its requests
BAD_WORKERS = 3
FAST_MS = TIMEOUT_S * 1000 / 2  # "at once": well before the hub's timeout (not reaching the receiver is checked apart)

# fault -> (HTTP status, OCPI status) of the requests the hub tried to deliver, breaker opens
FAULTS: dict[str, tuple[tuple[int, int], bool]] = {
    "down": ((200, 4003), True),  # connection refused
    "slow": ((200, 4002), True),  # answers after 2 s, the hub waits less
    "500": ((500, 3000), True),  # HTTP 500 with an OCPI envelope: passed through
    "html": ((200, 4000), True),  # HTTP 502 text/html: not an OCPI reply
    "garbage": ((200, 4000), False),  # HTTP 200 whose body is not JSON: not a failure of the receiver's server
    "not_http": ((200, 4003), True),  # bytes that are no HTTP reply: a broken exchange
    "reset": ((200, 4003), True),  # TCP reset in the middle of the reply body
}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # served from caches: one backend is enough
@pytest.mark.parametrize("fault", list(FAULTS))
async def test_one_bad_receiver_leaves_the_others_alone(
    fault: str, world: World, db: SessionFactory, raw_server: StartRaw, steady: Steady
) -> None:
    cast = await world(HUB_ENV)
    server = await raw_server("ok", slow_seconds=2.0)
    await cast.route_bad_to(db, server)
    baseline = await Traffic().run(cast.healthy, count=BASELINE_COUNT, workers=2, gap=GAP)

    if fault == "down":
        await server.stop()
    else:
        server.mode = fault
    reached_before = server.requests
    bad = Traffic()
    async with steady(cast.healthy, gap=GAP) as under:
        await bad.run(cast.to_bad, count=90, workers=BAD_WORKERS, gap=0.02)
    reached = server.requests - reached_before

    expected, opens = FAULTS[fault]
    tried = [o for o in bad.outcomes if "circuit open" not in o.message]
    refused = [o for o in bad.outcomes if "circuit open" in o.message]
    assert {(o.http, o.ocpi) for o in tried} == {expected}, bad.codes()
    if fault == "slow":  # the sender waited the hub's timeout, not the receiver's 2 s
        assert max(o.ms for o in tried) < TIMEOUT_S * 1000 + 400
    status, health = await ready(cast.hub)
    assert status == 200, health  # open breakers describe receivers, not the hub's readiness
    if opens:
        # after FAIL_MAX failures (plus those already in flight) the breaker opened ...
        assert FAIL_MAX <= len(tried) <= FAIL_MAX + BAD_WORKERS - 1, bad.codes()
        # ... and every later request got 4003 at once, without reaching the receiver
        assert len(refused) == len(bad.outcomes) - len(tried)
        assert {(o.http, o.ocpi) for o in refused} == {(200, 4003)}
        assert max(o.ms for o in refused) < FAST_MS, sorted(o.ms for o in refused)[-5:]
        if fault != "down":
            assert reached == len(tried)
        assert health["checks"]["breakers"] == {server.origin: "open"}, health
        assert health["checks"]["open_breakers"] == 1
        assert ("closed", "open") in breaker_events(cast.hub, server.origin)
    else:
        assert refused == [] and reached == len(bad.outcomes)
        assert health["checks"]["open_breakers"] == 0, health
        assert breaker_events(cast.hub, server.origin) == []
    assert_isolated(fault, cast, baseline, under)


async def test_flapping_receiver_one_trial_decides_after_the_cooldown(
    world: World, db: SessionFactory, raw_server: StartRaw, steady: Steady
) -> None:
    """Down, up, down: the breaker opens, a trial after the cooldown re-opens it while the
    receiver is still down, requests within the cooldown never reach the receiver that came
    back, and exactly one trial closes it again; other parties see nothing of it."""
    reset = 0.6
    cast = await world(HUB_ENV | {"HUB_BREAKER_RESET_SECONDS": str(reset)})
    server = await raw_server("ok")
    await cast.route_bad_to(db, server)
    baseline = await Traffic().run(cast.healthy, count=BASELINE_COUNT, workers=2, gap=GAP)
    bad = Traffic()

    async def bad_once() -> str:
        outcome = await bad.one(cast.to_bad)
        if outcome.ok:
            return "ok"
        assert (outcome.http, outcome.ocpi) == (200, 4003), outcome
        return "open" if "circuit open" in outcome.message else "failed"

    async with steady(cast.healthy, gap=GAP) as under:
        for _cycle in range(2):
            # down: FAIL_MAX failures open the breaker, then 4003 at once
            await server.stop()
            assert [await bad_once() for _ in range(FAIL_MAX + 2)] == ["failed"] * FAIL_MAX + ["open"] * 2
            status, health = await ready(cast.hub)
            assert health["checks"]["breakers"] == {server.origin: "open"}, health
            # still down after the cooldown: one trial fails and the breaker opens again
            await asyncio.sleep(reset + 0.1)
            assert [await bad_once() for _ in range(2)] == ["failed", "open"]
            # back up: nothing reaches it before the cooldown has passed ...
            await server.start(port=server.port)
            server.delay = 0.3
            reached = server.requests
            assert [await bad_once() for _ in range(3)] == ["open"] * 3
            assert server.requests == reached
            # ... then one trial (the others get 4003 while it runs) closes the breaker
            await asyncio.sleep(reset + 0.1)
            server.max_in_flight = 0
            together = await asyncio.gather(*(bad_once() for _ in range(4)))
            assert sorted(together) == ["ok", "open", "open", "open"], together
            assert server.requests == reached + 1 and server.max_in_flight == 1
            server.delay = 0.0
            assert [await bad_once() for _ in range(3)] == ["ok"] * 3
            status, health = await ready(cast.hub)
            assert health["checks"]["open_breakers"] == 0, health

    events = breaker_events(cast.hub, server.origin)
    cycle = [("closed", "open"), ("open", "half-open"), ("half-open", "open")]
    cycle += [("open", "half-open"), ("half-open", "closed")]
    assert events == cycle * 2, events
    assert_isolated("flapping", cast, baseline, under)


async def test_failover_to_an_alternate_origin(
    world: World,
    db: SessionFactory,
    raw_server: StartRaw,
    steady: Steady,
    arun_cli: Callable[..., Awaitable[subprocess.CompletedProcess[str]]],
) -> None:
    """Alternate base URLs (`ocpi-hub platforms failover`): a GET goes to the alternate after any
    failure of the primary; a POST only when the primary surely did not get it (connection
    refused, breaker open); otherwise the POST's sender gets the primary's answer, 4002 or 4003."""
    cast = await world(HUB_ENV)
    flaky = cast.bad  # NL/BAD: its own fake app serves as the alternate origin
    assert flaky.platform_id is not None and flaky.base_url is not None
    bad = Traffic()

    def at_alternate(method: str) -> int:
        return len(flaky.received(module="commands" if method == "POST" else "locations", method=method))

    async def get() -> tuple[int, int | None]:
        outcome = await bad.one(cast.to_bad)
        return outcome.http, outcome.ocpi

    async def post() -> tuple[int, int | None]:
        own = cast.caller.endpoint_url("commands", "SENDER")  # a response_url must be under the caller's endpoints
        body = {"response_url": f"{own}/cb/1", "token": {}, "location_id": "LOC1"}
        outcome = await bad.one(
            lambda: cast.caller.request_hub(
                "POST", cast.url("receiver/commands/START_SESSION"), json=body, to=("NL", "BAD")
            )
        )
        return outcome.http, outcome.ocpi

    async def use_primary(server: RawServer) -> None:
        """Locations and commands of NL/BAD to `server`; wait until the hub process sends there
        (the alternates were set before, so they are known by then too)."""
        assert flaky.platform_id is not None
        before = server.requests
        await point_endpoints(db, flaky.platform_id, server.origin, modules=["locations", "commands"])

        async def arrived() -> bool:
            assert await get() == (200, 1000)
            return server.requests > before

        await wait_until(arrived, timeout=10, what="the hub process sends NL/BAD's traffic to the new primary")

    failover = await arun_cli("platforms", "failover", str(flaky.platform_id), flaky.base_url)
    assert failover.returncode == 0, failover.stderr
    shown = await arun_cli("platforms", "show", str(flaky.platform_id), "--json")
    assert json.loads(shown.stdout)["alternate_origins"] == [flaky.base_url]
    primary = await raw_server("ok")
    await use_primary(primary)
    baseline = await Traffic().run(cast.healthy, count=BASELINE_COUNT, workers=2, gap=GAP)
    async with steady(cast.healthy, gap=GAP) as under:
        # the primary answers 500: the GET fails over; the POST gets the primary's answer, once
        primary.mode = "500"
        reached, gets = primary.requests, at_alternate("GET")
        assert await get() == (200, 1000) and at_alternate("GET") == gets + 1
        assert await post() == (500, 3000) and at_alternate("POST") == 0
        assert primary.requests == reached + 2
        # the primary does not answer in time: the POST may have been processed, so 4002 and
        # no second try (the time budget is shared by all attempts anyway)
        primary.mode = "slow"
        assert await post() == (200, 4002) and at_alternate("POST") == 0
        # that was the FAIL_MAX-th failure: the primary's breaker is open, nothing reaches it,
        # so the POST surely was not processed there and goes to the alternate
        reached = primary.requests
        assert await post() == (200, 1000) and at_alternate("POST") == 1
        assert await get() == (200, 1000)
        assert primary.requests == reached
        # a primary that refuses connections (a fresh breaker): the POST fails over as well
        refusing = await raw_server("ok")
        await use_primary(refusing)
        await refusing.stop()
        assert await post() == (200, 1000) and at_alternate("POST") == 2
        assert await get() == (200, 1000)
    status, health = await ready(cast.hub)
    assert health["checks"]["breakers"] == {primary.origin: "open"}, health
    assert_isolated("failover", cast, baseline, under)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # transport only: one backend is enough
async def test_a_reply_arriving_in_pieces_is_passed_on_whole(
    world: World, db: SessionFactory, raw_server: StartRaw
) -> None:
    """A healthy receiver whose reply reaches the hub in two TCP segments 50 ms apart (a slow
    network, a streaming server): the sender must get the reply, whole."""
    cast = await world(HUB_ENV)
    served = location("LOC1", owner=("NL", "BAD"))
    server = await raw_server("ok", data=served)
    await cast.route_bad_to(db, server)
    server.mode = "split"
    reply = await cast.to_bad()
    assert reply.status_code == 200, reply.text
    assert reply.json()["status_code"] == 1000, reply.text
    assert reply.json()["data"] == served
