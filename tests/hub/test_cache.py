"""hub.cache.AsyncTTLCache: hits, cached misses, shared loads, invalidation during a load."""

from __future__ import annotations

import asyncio

import pytest

from hub.cache import AsyncTTLCache


class Loader:
    """Counts loads; optionally waits for `gate` so tests can interleave."""

    def __init__(self, values: dict[str, str | None], gate: asyncio.Event | None = None) -> None:
        self.values = values
        self.gate = gate
        self.calls: list[str] = []
        self.started = asyncio.Event()

    async def __call__(self, key: str) -> str | None:
        self.calls.append(key)
        value = self.values.get(key)  # read now: what the database said when asked
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        return value


def cache(ttl: float = 30.0, negative_ttl: float = 30.0) -> AsyncTTLCache[str, str]:
    return AsyncTTLCache(maxsize=100, ttl=ttl, negative_ttl=negative_ttl)


async def test_hit_is_served_without_a_second_load() -> None:
    c, load = cache(), Loader({"k": "v"})
    assert await c.get("k", load) == "v"
    assert await c.get("k", load) == "v"
    assert load.calls == ["k"]
    assert len(c) == 1


async def test_hit_expires_after_ttl() -> None:
    c, load = cache(ttl=0.05), Loader({"k": "v"})
    await c.get("k", load)
    await asyncio.sleep(0.1)
    await c.get("k", load)
    assert load.calls == ["k", "k"]


async def test_miss_is_cached_until_the_negative_ttl_expires() -> None:
    c, load = cache(negative_ttl=0.3), Loader({})
    assert await c.get("unknown", load) is None
    assert await c.get("unknown", load) is None
    assert load.calls == ["unknown"]
    await asyncio.sleep(0.35)
    load.values["unknown"] = "now known"
    assert await c.get("unknown", load) == "now known"
    assert load.calls == ["unknown", "unknown"]


async def test_concurrent_misses_share_one_load() -> None:
    gate = asyncio.Event()
    c, load = cache(), Loader({"k": "v"}, gate)
    waiting = [asyncio.ensure_future(c.get("k", load)) for _ in range(10)]
    await load.started.wait()
    gate.set()
    assert await asyncio.gather(*waiting) == ["v"] * 10
    assert load.calls == ["k"]


async def test_different_keys_load_independently() -> None:
    c, load = cache(), Loader({"a": "1", "b": "2"})
    assert await asyncio.gather(c.get("a", load), c.get("b", load)) == ["1", "2"]
    assert sorted(load.calls) == ["a", "b"]


async def test_clear_during_a_load_does_not_store_the_stale_value() -> None:
    gate = asyncio.Event()
    c, load = cache(), Loader({"k": "old"}, gate)
    pending = asyncio.ensure_future(c.get("k", load))
    await load.started.wait()
    c.clear()  # e.g. the registry changed while the database answered
    load.values["k"] = "new"
    gate.set()
    assert await pending == "old"  # the caller in flight gets what it loaded...
    load.gate = None
    assert await c.get("k", load) == "new"  # ...but it was not cached
    assert load.calls == ["k", "k"]


async def test_clear_drops_hits_and_misses() -> None:
    c, load = cache(), Loader({"k": "v"})
    await c.get("k", load)
    await c.get("unknown", load)
    c.clear()
    await c.get("k", load)
    await c.get("unknown", load)
    assert load.calls == ["k", "unknown", "k", "unknown"]


async def test_a_failing_load_is_not_cached() -> None:
    c = cache()
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
