"""The database goes away during traffic and comes back: a PostgreSQL restart.

The hub runs as a process on a throwaway PostgreSQL cluster that the test makes itself
(initdb + pg_ctl on a free loopback port, its socket in its own directory; see pgcluster.py),
so no other server is disturbed. While the cluster is stopped, routed traffic goes on from the
cached tokens and routes for `degraded_max_seconds` and then gets 3000 (HTTP 503); a Broadcast
Push, which must be written, gets 3000 (HTTP 503) at once and is not sent on; /health/ready
says the database is away. Started again, the hub recovers by itself: pushes are accepted and
delivered, routed traffic flows. Runs once (its own cluster, not parametrized over backends);
skipped, saying why, where no cluster can be made.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.db.db import create_engine, session_factory
from hub.db.migrate import upgrade
from hub.registration.platforms import PlatformAdmin
from hub.settings import Settings
from hub.token_vault import TokenVault
from tests.fakes.party import FakePlatform
from tests.fakes.serving import free_port
from tests.faults.conftest import Fakes
from tests.faults.harness import (
    Outcome,
    Steady,
    Traffic,
    assert_isolated,
    location,
    make_cast,
    ready,
    wait_until,
)
from tests.faults.pgcluster import PgCluster
from tests.helpers import TEST_SECRET, HubProcess, cli_env, start_hub_process, stop_process

pytestmark = pytest.mark.e2e

CACHE_TTL = 0.5
DEGRADED = 3.0
HUB_ENV = {
    "HUB_LOG_FORMAT": "json",
    "HUB_CACHE_TTL_SECONDS": str(CACHE_TTL),
    "HUB_DEGRADED_MAX_SECONDS": str(DEGRADED),
    "HUB_DISPATCHER_POLL_SECONDS": "0.1",
    "HUB_OUTBOX_BACKOFF_SECONDS": "0.1",
    "HUB_OUTBOX_BACKOFF_MAX_SECONDS": "0.5",
    "HUB_REQUEST_TIMEOUT_SECONDS": "2",
}


@pytest.fixture
async def pg_cluster() -> AsyncIterator[PgCluster]:
    made = PgCluster.create()
    if isinstance(made, str):
        pytest.skip(made)
    try:
        init = await made.init()
        if init.returncode != 0:
            pytest.skip(f"initdb does not work here: {(init.stderr or init.stdout).strip()[:300]}")
        await made.start()
        yield made
    finally:
        await made.destroy()


@pytest.fixture
async def pg_hub(pg_cluster: PgCluster, tmp_path: Path) -> AsyncIterator[tuple[HubProcess, PlatformAdmin]]:
    """The hub as a process on the throwaway cluster, and an operator's PlatformAdmin on it."""
    port = free_port()
    settings = Settings(
        database_url=pg_cluster.url,
        secret_key=TEST_SECRET,
        public_url=f"http://127.0.0.1:{port}",
        registry_poll_seconds=0.2,
        outbound_allow_loopback=True,  # the fakes listen on loopback
    )
    await upgrade(settings)
    engine = create_engine(settings)
    admin = PlatformAdmin(settings=settings, sessions=session_factory(engine), vault=TokenVault(TEST_SECRET))
    hub: HubProcess | None = None
    try:
        env = cli_env(settings, public_url=settings.public_url, extra=HUB_ENV)
        hub = await start_hub_process(port=port, env=env, cwd=tmp_path)
        yield hub, admin
    finally:
        if hub is not None:
            await stop_process(hub.pid, hub.popen.poll)
        with contextlib.suppress(Exception):
            await engine.dispose()


def received_ids(fake: FakePlatform) -> list[str]:
    return [r.path.rsplit("/", 1)[1] for r in fake.received(module="locations", method="PUT") if "/D" in r.path]


async def test_postgres_restart_during_traffic(
    pg_hub: tuple[HubProcess, PlatformAdmin], pg_cluster: PgCluster, fakes: Fakes, steady: Steady
) -> None:
    hub, admin = pg_hub
    cast = await make_cast(hub, admin, fakes.start)
    pushes = Traffic()

    async def broadcast(loc_id: str) -> Outcome:
        return await pushes.one(
            lambda: cast.cpo.request_hub(
                "PUT", cast.url(f"receiver/locations/NL/CPA/{loc_id}"), json=location(loc_id), to=("NL", "HUB")
            )
        )

    assert (await broadcast("D000")).ok
    await wait_until(
        lambda: _true("D000" in received_ids(cast.emsp)), timeout=10, what="a broadcast delivered before the fault"
    )
    baseline = await Traffic().run(cast.healthy, count=150, workers=2, gap=0.005)

    refused: list[tuple[str, Outcome]] = []
    async with steady(cast.healthy) as traffic:
        await asyncio.sleep(0.3)
        stopping = time.monotonic()
        await pg_cluster.stop("fast")
        stopped = time.monotonic()
        # a push needs a write: 3000 / HTTP 503 at once, nothing accepted
        for i in range(1, 4):
            outcome = await broadcast(f"D10{i}")
            refused.append((f"D10{i}", outcome))
        status, health = await ready(hub)
        assert status == 503 and str(health["checks"]["database"]).startswith("error"), health
        # past degraded_max_seconds, cached routes are too old to be trusted
        await asyncio.sleep(max(0.0, stopped + DEGRADED + 0.8 - time.monotonic()))
        expired_probe = await Traffic().one(lambda: cast.healthy(0))
        starting = time.monotonic()
        await pg_cluster.start()
        restarted = time.monotonic()
        # recovery by itself: the first push accepted, without anyone touching the hub
        attempt = 200

        async def accepted() -> bool:
            nonlocal attempt
            attempt += 1
            outcome = await broadcast(f"D{attempt}")
            if not outcome.ok:
                refused.append((f"D{attempt}", outcome))
            return outcome.ok

        await wait_until(accepted, timeout=15, what="a Broadcast Push accepted after the restart")
        recovered = time.monotonic()
        await asyncio.sleep(0.5)
    last_id = f"D{attempt}"
    await wait_until(
        lambda: _true(last_id in received_ids(cast.emsp) and last_id in received_ids(cast.caller)),
        timeout=10,
        what="the push accepted after the restart delivered",
    )
    status, health = await ready(hub)
    assert status == 200, health

    # what the pushers got: 3000 with HTTP 503, and none of those pushes went anywhere
    assert refused and {(o.http, o.ocpi) for _, o in refused} == {(503, 3000)}, [
        (i, o.http, o.ocpi) for i, o in refused
    ]
    assert max(o.ms for _, o in refused if o.started < starting) < 500  # at once, not after a connect timeout
    never_sent = {loc_id for loc_id, _ in refused}
    assert never_sent.isdisjoint(received_ids(cast.emsp)) and never_sent.isdisjoint(received_ids(cast.caller))
    # routed traffic: served from the cache while the cache is young enough; a routed push needs its
    # mirror write before the hub may answer 1000, so while the database is away it is 3000 / HTTP 503
    # "send it again" (never a 1000 the hub did not make durable) ...
    window = [o for o in traffic.outcomes if o.started <= stopped + DEGRADED - CACHE_TTL - 0.3]
    unstored = [o for o in window if "not stored by the hub" in o.message]  # also those in flight at the stop
    assert {(o.http, o.ocpi) for o in unstored} <= {(503, 3000)}, unstored[:3]
    degraded = [o for o in window if o not in unstored]
    assert [o for o in degraded if o.started >= stopping], "no routed traffic while the database was away"
    # ... then 3000 / HTTP 503 until the database is back ...
    expired = [o for o in traffic.outcomes if stopped + DEGRADED + 0.5 <= o.started < starting]
    assert (expired_probe.http, expired_probe.ocpi) == (503, 3000), expired_probe
    assert expired and {(o.http, o.ocpi) for o in expired} == {(503, 3000)}, [
        (round(o.started - stopped, 2), o.http, o.ocpi) for o in expired if not o.http == 503
    ]
    # ... and normal again once it is
    after = [o for o in traffic.outcomes if o.started >= recovered]
    assert after and [o for o in after if not o.ok] == []
    print(
        f"\n[database] refused pushes: {len(refused)}, recovered {recovered - restarted:.2f} s after the restart, "
        f"{len(degraded)} routed requests served from the cache, {len(expired)} refused after the window"
    )
    in_window = Traffic([o for o in degraded if o.started >= stopping])
    assert_isolated("database away (routed, from cache)", cast, baseline, Traffic(degraded))
    print(f"[database] p95 while the database was away: {in_window.p95():.1f} ms (n={len(in_window.outcomes)})")


async def _true(value: bool) -> bool:
    return value
