"""hub.cache.AsyncTTLCache: hits, cached misses, shared loads, stale-while-revalidate, invalidation.

Time is a controllable clock (the cache's `timer`) and loads are held on asyncio.Events, so every
test waits on a condition, never on the wall clock.
"""

from __future__ import annotations

import asyncio

import pytest

from hub.cache import AsyncTTLCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Loader:
    """Counts loads; each load waits for the `gate` that was set when it started (None: no wait)."""

    def __init__(self, values: dict[str, str | None], gate: asyncio.Event | None = None) -> None:
        self.values = values
        self.gate = gate
        self.calls: list[str] = []
        self.finished = 0
        self.started = asyncio.Event()
        self.done = asyncio.Event()
        self.fail_with: Exception | None = None

    async def __call__(self, key: str) -> str | None:
        self.calls.append(key)
        value = self.values.get(key)  # read now: what the database said when asked
        gate, failure = self.gate, self.fail_with
        self.started.set()
        try:
            if gate is not None:
                await gate.wait()
            if failure is not None:
                raise failure
            return value
        finally:
            self.finished += 1
            self.done.set()

    async def next_start(self) -> None:
        await self.started.wait()
        self.started.clear()

    async def until_finished(self, count: int) -> None:
        while self.finished < count:
            self.done.clear()
            await self.done.wait()


def cache(
    clock: Clock, ttl: float = 30.0, negative_ttl: float = 2.0, grace: float | None = None, stale: float = 0.0
) -> AsyncTTLCache[str, str]:
    return AsyncTTLCache(
        maxsize=100, ttl=ttl, negative_ttl=negative_ttl, stale_seconds=stale, grace_seconds=grace, timer=clock
    )


async def test_hit_is_served_without_a_second_load() -> None:
    c, load = cache(Clock()), Loader({"k": "v"})
    assert await c.get("k", load) == "v"
    assert await c.get("k", load) == "v"
    assert load.calls == ["k"]
    assert len(c) == 1


async def test_a_stale_hit_is_answered_at_once_and_refreshed_once_in_the_background() -> None:
    clock = Clock()
    c, load = cache(clock, ttl=30), Loader({"k": "old"})
    assert await c.get("k", load) == "old"
    load.values["k"] = "new"
    clock.now += 29.9
    assert await c.get("k", load) == "old"  # still fresh: no load
    assert load.calls == ["k"]
    clock.now += 0.2
    assert await c.get("k", load) == "old"  # stale: answered from the cache...
    await load.until_finished(2)  # ...while one refresh runs
    assert await c.get("k", load) == "new"
    assert load.calls == ["k", "k"]


async def test_hundred_readers_of_an_expired_key_get_the_old_value_without_waiting_while_one_load_runs() -> None:
    clock = Clock()
    c, load = cache(clock, ttl=30), Loader({"k": "old"})
    await c.get("k", load)
    load.started.clear()
    gate = asyncio.Event()
    load.gate = gate  # the refresh hangs until the test says so
    load.values["k"] = "new"
    clock.now += 31
    async with asyncio.timeout(5):  # a guard: waiting readers would hang here, never pass
        answers = await asyncio.gather(*(c.get("k", load) for _ in range(100)))
    assert answers == ["old"] * 100
    await load.next_start()
    assert load.calls == ["k", "k"]  # exactly one refresh for a hundred readers
    assert not gate.is_set()
    gate.set()
    await load.until_finished(2)
    assert await c.get("k", load) == "new"
    assert load.calls == ["k", "k"]


async def test_past_the_grace_readers_wait_for_the_load() -> None:
    clock = Clock()
    c, load = cache(clock, ttl=30, grace=10), Loader({"k": "old"})
    await c.get("k", load)
    load.started.clear()
    gate = asyncio.Event()
    load.gate, load.values["k"] = gate, "new"
    clock.now += 40.1  # past ttl + grace: never served that stale
    pending = asyncio.ensure_future(c.get("k", load))
    await load.next_start()
    assert not pending.done()  # the load is held, so the reader cannot have been answered
    gate.set()
    assert await pending == "new"


async def test_readers_past_the_grace_join_the_refresh_already_running() -> None:
    clock = Clock()
    c, load = cache(clock, ttl=30, grace=10), Loader({"k": "old"})
    await c.get("k", load)
    load.started.clear()
    gate = asyncio.Event()
    load.gate, load.values["k"] = gate, "new"
    clock.now += 35
    assert await c.get("k", load) == "old"  # starts the refresh
    await load.next_start()
    clock.now += 10  # the refresh hangs past the end of the grace
    waiting = [asyncio.ensure_future(c.get("k", load)) for _ in range(10)]
    await asyncio.sleep(0)  # one scheduling step: each reader runs up to its first await
    assert not any(w.done() for w in waiting)
    gate.set()
    assert await asyncio.gather(*waiting) == ["new"] * 10
    assert load.calls == ["k", "k"]


async def test_a_cancelled_reader_does_not_cancel_the_load_others_wait_for() -> None:
    gate = asyncio.Event()
    c, load = cache(Clock()), Loader({"k": "v"}, gate)
    first = asyncio.ensure_future(c.get("k", load))
    await load.next_start()
    second = asyncio.ensure_future(c.get("k", load))
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    gate.set()
    assert await second == "v"
    assert load.calls == ["k"]


async def test_a_refresh_that_finds_the_key_gone_caches_the_miss() -> None:
    clock = Clock()
    c, load = cache(clock, ttl=30, negative_ttl=2), Loader({"k": "v"})
    await c.get("k", load)
    del load.values["k"]  # e.g. the token was revoked
    clock.now += 31
    assert await c.get("k", load) == "v"
    await load.until_finished(2)
    assert await c.get("k", load) is None
    assert load.calls == ["k", "k"]
    assert len(c) == 0


async def test_a_failing_refresh_keeps_the_stale_hit_and_is_retried_at_most_once_a_second() -> None:
    clock = Clock()
    c, load = cache(clock, ttl=30, grace=30, stale=300), Loader({"k": "old"})
    await c.get("k", load)
    load.fail_with = ConnectionError("database away")
    clock.now += 31
    assert await c.get("k", load) == "old"
    await load.until_finished(2)
    assert await c.get("k", load) == "old"  # failed a moment ago: no new attempt yet
    assert load.calls == ["k", "k"]
    clock.now += 1.1
    load.fail_with, load.values["k"] = None, "new"
    assert await c.get("k", load) == "old"
    await load.until_finished(3)
    assert await c.get("k", load) == "new"
    assert load.calls == ["k", "k", "k"]


async def test_once_a_refresh_failed_the_hit_is_answered_only_while_stale_seconds_allow() -> None:
    clock = Clock()
    c, load = cache(clock, ttl=30, grace=30, stale=40), Loader({"k": "old"})
    await c.get("k", load)
    load.fail_with = ConnectionError("database away")
    clock.now += 31
    assert await c.get("k", load) == "old"  # the refresh is not known to fail yet
    await load.until_finished(2)
    clock.now += 8
    assert await c.get("k", load) == "old"  # 39 s old, the database away: within stale_seconds
    clock.now += 2  # 41 s old: within ttl + grace, but too old while the database is away
    with pytest.raises(ConnectionError):
        await c.get("k", load)
    load.fail_with, load.values["k"] = None, "new"
    assert await c.get("k", load) == "new"  # the database is back: loaded afresh


async def test_miss_is_cached_until_the_negative_ttl_expires_and_never_served_stale() -> None:
    clock = Clock()
    c, load = cache(clock, negative_ttl=2), Loader({})
    assert await c.get("unknown", load) is None
    assert await c.get("unknown", load) is None
    assert load.calls == ["unknown"]
    clock.now += 2.1
    load.values["unknown"] = "now known"
    assert await c.get("unknown", load) == "now known"  # the reader waited for the load
    assert load.calls == ["unknown", "unknown"]


async def test_concurrent_misses_share_one_load() -> None:
    gate = asyncio.Event()
    c, load = cache(Clock()), Loader({"k": "v"}, gate)
    waiting = [asyncio.ensure_future(c.get("k", load)) for _ in range(10)]
    await load.next_start()
    gate.set()
    assert await asyncio.gather(*waiting) == ["v"] * 10
    assert load.calls == ["k"]


async def test_at_maxsize_the_hit_loaded_longest_ago_is_dropped() -> None:
    c = AsyncTTLCache[str, str](maxsize=2, ttl=30, negative_ttl=2, timer=Clock())
    load = Loader({"a": "1", "b": "2", "c": "3"})
    for key in ("a", "b", "c"):
        await c.get(key, load)
    assert len(c) == 2
    assert await c.get("b", load) == "2" and await c.get("c", load) == "3"
    assert load.calls == ["a", "b", "c"]
    assert await c.get("a", load) == "1"  # dropped: loaded again
    assert load.calls == ["a", "b", "c", "a"]


async def test_different_keys_load_independently() -> None:
    c, load = cache(Clock()), Loader({"a": "1", "b": "2"})
    assert await asyncio.gather(c.get("a", load), c.get("b", load)) == ["1", "2"]
    assert sorted(load.calls) == ["a", "b"]


async def test_clear_during_a_load_does_not_store_the_stale_value() -> None:
    gate = asyncio.Event()
    c, load = cache(Clock()), Loader({"k": "old"}, gate)
    pending = asyncio.ensure_future(c.get("k", load))
    await load.next_start()
    c.clear()  # e.g. the registry changed while the database answered
    load.values["k"] = "new"
    gate.set()
    assert await pending == "old"  # the caller in flight gets what it loaded...
    load.gate = None
    assert await c.get("k", load) == "new"  # ...but it was not cached
    assert load.calls == ["k", "k"]


async def test_after_clear_a_stale_hit_is_not_served_and_a_running_refresh_is_not_joined() -> None:
    clock = Clock()
    c, load = cache(clock, ttl=30), Loader({"k": "old"})
    await c.get("k", load)
    load.started.clear()
    old_gate = asyncio.Event()
    load.gate, load.values["k"] = old_gate, "refreshed"
    clock.now += 31
    assert await c.get("k", load) == "old"  # a refresh starts and hangs, holding "refreshed"
    await load.next_start()
    c.clear()
    new_gate = asyncio.Event()
    load.gate, load.values["k"] = new_gate, "after clear"
    pending = asyncio.ensure_future(c.get("k", load))
    await load.next_start()  # a load of its own, not the refresh from before the clear
    assert not pending.done()  # no stale answer after clear()
    new_gate.set()
    assert await pending == "after clear"
    old_gate.set()
    await load.until_finished(3)  # the refresh from before the clear ends last...
    assert await c.get("k", load) == "after clear"  # ...and did not write its value back
    assert load.calls == ["k", "k", "k"]


async def test_clear_drops_hits_and_misses() -> None:
    c, load = cache(Clock()), Loader({"k": "v"})
    await c.get("k", load)
    await c.get("unknown", load)
    c.clear()
    await c.get("k", load)
    await c.get("unknown", load)
    assert load.calls == ["k", "unknown", "k", "unknown"]


async def test_a_failing_load_is_not_cached() -> None:
    c = cache(Clock())
    calls = 0

    async def flaky(key: str) -> str | None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database away")
        return "v"

    with pytest.raises(ConnectionError):
        await c.get("k", flaky)
    assert await c.get("k", flaky) == "v"
    assert calls == 2


async def test_a_failing_load_answers_the_last_good_value_for_stale_seconds() -> None:
    clock = Clock()
    c, load = cache(clock, ttl=30, grace=0, stale=60), Loader({"k": "v"})
    await c.get("k", load)
    load.fail_with = ConnectionError("database away")
    clock.now += 50  # the hit is gone (no grace), the last good value is 50 s old
    assert await c.get("k", load) == "v"
    clock.now += 20  # 70 s old: too old to answer with
    with pytest.raises(ConnectionError):
        await c.get("k", load)
    assert load.calls == ["k", "k", "k"]


async def test_clear_forgetting_last_good_lets_no_revoked_value_back_in_an_outage() -> None:
    """Tokens: after a change (rotation, deletion) a database outage must not bring the old value back."""
    clock = Clock()
    c, load = cache(clock, ttl=30, grace=30, stale=300), Loader({"k": "old"})
    await c.get("k", load)
    load.fail_with = ConnectionError("database away")
    c.clear()  # a plain clear keeps the last good value for the outage
    assert await c.get("k", load) == "old"
    c.clear(forget_last_good=True)
    with pytest.raises(ConnectionError):
        await c.get("k", load)
