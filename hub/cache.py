"""An async seam over cachetools, which is sync-only and not thread-safe (design.md §9).

Hits live for `ttl` seconds, misses for `negative_ttl` (so a flood of unknown keys costs one
load per key per interval). Concurrent misses of one key share one load. `clear()` drops
everything, including loads in flight, so an invalidation is never undone by a slow load.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from cachetools import LRUCache, TTLCache

__all__ = ["AsyncTTLCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class AsyncTTLCache(Generic[K, V]):
    """`await cache.get(key, load)`: cached value, cached miss (None) or one shared `load(key)`."""

    def __init__(self, *, maxsize: int, ttl: float, negative_ttl: float, stale_seconds: float = 0.0) -> None:
        self._hits: TTLCache[K, V] = TTLCache(maxsize=maxsize, ttl=ttl)
        self._misses: TTLCache[K, bool] = TTLCache(maxsize=maxsize, ttl=negative_ttl)
        self._last_good: LRUCache[K, tuple[float, V]] = LRUCache(maxsize=maxsize)
        self._stale_seconds = stale_seconds
        self._locks: dict[K, asyncio.Lock] = {}
        self._generation = 0

    def _peek(self, key: K) -> tuple[bool, V | None]:
        value = self._hits.get(key)
        if value is not None:
            return True, value
        return key in self._misses, None

    async def get(self, key: K, load: Callable[[K], Awaitable[V | None]]) -> V | None:
        known, value = self._peek(key)
        if known:
            return value
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                known, value = self._peek(key)
                if known:
                    return value
                generation = self._generation
                try:
                    value = await load(key)
                except Exception:
                    kept = self._last_good.get(key)
                    if kept is None or time.monotonic() - kept[0] > self._stale_seconds:
                        raise
                    return kept[1]
                if value is not None:
                    self._last_good[key] = (time.monotonic(), value)
                if generation == self._generation:
                    if value is None:
                        self._misses[key] = True
                    else:
                        self._hits[key] = value
                return value
        finally:
            if not lock.locked():
                self._locks.pop(key, None)

    def clear(self) -> None:
        self._hits.clear()
        self._misses.clear()
        self._generation += 1

    def __len__(self) -> int:
        return len(self._hits)
