"""Reachability (hub.liveness.reachability) on a real database, with the hub app delivering the
ClientInfo rows it writes to real fake platforms. The clock is the object's own parameter: the
streak rule ("unreachable for `offline_after_seconds`") is checked without waiting for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hub.db.db import SessionFactory
from hub.liveness.reachability import Reachability
from hub.registration.platforms import PlatformAdmin, parse_role
from hub.tasks import TaskGroup
from hub.types import ConnectionStatus
from tests.conftest import StartFake
from tests.flows.test_hubclientinfo import last_status, statuses

OFFLINE, CONNECTED = ConnectionStatus.OFFLINE, ConnectionStatus.CONNECTED


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def tasks() -> AsyncIterator[TaskGroup]:
    group = TaskGroup()
    yield group
    await group.aclose()


def make(db: SessionFactory, tasks: TaskGroup, clock: Clock, changes: list[int], after: float) -> Reachability:
    return Reachability(
        sessions=db,
        tasks=tasks,
        offline_after_seconds=after,
        refresh_seconds=3600,
        on_change=lambda: changes.append(1),
        clock=clock,
    )


async def status_of(admin: PlatformAdmin, platform_id: int) -> str:
    (platform,) = await admin.describe(platform_id=platform_id)
    status: str = platform["status"]
    return status


async def test_offline_after_a_streak_of_unreachable_outcomes_and_back_when_reached(
    connect_fake: StartFake, admin: PlatformAdmin, db: SessionFactory, tasks: TaskGroup
) -> None:
    watcher = await connect_fake([("EMSP", "DE", "EMS")])
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    assert cpo.platform_id is not None
    await watcher.wait_for(lambda: last_status(watcher, "NL", "CPA") == "CONNECTED", timeout=10)
    clock, changes = Clock(), list[int]()
    reach = make(db, tasks, clock, changes, after=30)
    pid = cpo.platform_id

    reach.unreachable(pid)
    clock.now += 29
    reach.unreachable(pid)
    assert await reach.apply() == [] and await status_of(admin, pid) == "CONNECTED"  # not long enough
    reach.reached(pid)  # answered: the streak starts again
    clock.now += 29
    reach.unreachable(pid)
    clock.now += 29
    reach.unreachable(pid)
    assert await reach.apply() == [] and await status_of(admin, pid) == "CONNECTED"
    clock.now += 1
    reach.unreachable(pid)  # 30 s after the first of this streak
    await watcher.wait_for(lambda: last_status(watcher, "NL", "CPA") == "OFFLINE", timeout=5)
    assert await status_of(admin, pid) == "OFFLINE" and changes  # caches were told
    offline_told = len(statuses(watcher, "NL", "CPA"))

    reach.unreachable(pid)  # already OFFLINE: nothing more to tell
    reach.reached(pid)
    await watcher.wait_for(lambda: last_status(watcher, "NL", "CPA") == "CONNECTED", timeout=5)
    assert statuses(watcher, "NL", "CPA")[offline_told - 1 :] == ["OFFLINE", "CONNECTED"]
    assert await status_of(admin, pid) == "CONNECTED"


async def test_zero_means_at_once_coalesced_and_only_between_connected_and_offline(
    connect_fake: StartFake, admin: PlatformAdmin, db: SessionFactory, tasks: TaskGroup
) -> None:
    watcher = await connect_fake([("EMSP", "DE", "EMS")])
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    planned = (await admin.add(name="planned", roles=[parse_role("CPO:FR:PLN")])).platform.id
    assert cpo.platform_id is not None and planned is not None
    await watcher.wait_for(lambda: statuses(watcher, "FR", "PLN") == ["PLANNED"], timeout=5)
    clock, changes = Clock(), list[int]()
    reach = make(db, tasks, clock, changes, after=0)

    # unreachable, then reached before the background task ran: the latest wish wins, no change
    reach.unreachable(cpo.platform_id)
    reach.reached(cpo.platform_id)
    reach.unreachable(planned)  # never connected: not the reachability's to change
    assert await reach.apply() == []
    assert await status_of(admin, cpo.platform_id) == "CONNECTED" and await status_of(admin, planned) == "PLANNED"

    reach.unreachable(cpo.platform_id)  # 0 s: the first unreachable outcome is enough
    await watcher.wait_for(lambda: last_status(watcher, "NL", "CPA") == "OFFLINE", timeout=5)
    assert await status_of(admin, cpo.platform_id) == "OFFLINE"
    assert statuses(watcher, "FR", "PLN") == ["PLANNED"]
