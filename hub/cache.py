"""An async cache of tokens and routes (design.md §9): misses and last-good values in cachetools
(sync-only, not thread-safe: used from the event loop only), hits in a plain dict checked by hand,
because they are read on every routed request and cachetools' TTLCache cost about 2.5% of the
hub's CPU per request there (py-spy, `make bench --profile`). At `maxsize` hits, the one loaded
longest ago is dropped (a key in use is reloaded every `ttl`, so it stays near the end).

`await cache.get(key, load)` answers from the cache or from one shared `load(key)`:

- A hit is *fresh* for `ttl` seconds. Past that it is *stale* for at most `grace_seconds` more
  (default: `ttl`): a stale hit is still answered at once, and the first reader to see it starts
  one background refresh for that key (stale-while-revalidate). No reader waits for a refresh
  of a key it can still be answered for, so an expiry under load is not a stall (issue 12: every
  request for an expired token or route used to wait 0.6-0.8 s for one reload). Past
  `ttl + grace_seconds` the hit is gone and readers wait for the load, as on a first read; if a
  refresh is already running they join it rather than start a second one.
- A miss (`load` returned None) is cached for `negative_ttl` (so a flood of unknown keys costs one
  load per key per interval) and is never served stale: it expires and the next reader waits.
- Concurrent readers of one key share one load (one task per key, tracked in a TaskGroup; a
  reader that is cancelled does not cancel the load the others wait for).
- `clear()` (a registry change) drops hits, misses and the loads in flight: every read after it
  loads afresh, and a load started before it never writes its (old) result into the cache;
  its own waiters still get what it read.
- A failing load is not cached. A reader waiting for it gets the last value this cache loaded
  for the key, while that is at most `stale_seconds` old, and the error otherwise. A failing
  background refresh leaves the stale hit in place (logged without the key, which may be a
  token's hash) and is tried again at most once per `_RETRY_SECONDS`; from then on the hit is
  answered only while it is at most `stale_seconds` old (the hub passes `degraded_max_seconds`:
  "routing goes on from tokens and routes cached at most this long ago"), and after that readers
  wait for a load as above. The grace never stretches how old an answer may be while the
  database is away.

`timer` exists for tests (a controllable clock); the hub uses `time.monotonic`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

import structlog
from cachetools import LRUCache, TTLCache

from hub.tasks import TaskGroup

__all__ = ["AsyncTTLCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_log = structlog.get_logger("hub.cache")
_RETRY_SECONDS = 1.0  # between background refreshes of one key after one failed


@dataclass(slots=True)
class _Hit(Generic[V]):
    value: V
    loaded_at: float
    expires_at: float  # loaded_at + ttl + grace: never answered after this
    refresh_after: float  # fresh until then; then one background refresh (again after a failure)
    failed: bool = False  # the last refresh failed: served only while `stale_seconds` allow


@dataclass(frozen=True, slots=True)
class _Loaded(Generic[V]):
    """What a load task hands its readers: the value, or the error to raise in each of them."""

    value: V | None
    error: Exception | None = None


class AsyncTTLCache(Generic[K, V]):
    """`await cache.get(key, load)`: cached value, cached miss (None) or one shared `load(key)`."""

    def __init__(
        self,
        *,
        maxsize: int,
        ttl: float,
        negative_ttl: float,
        stale_seconds: float = 0.0,
        grace_seconds: float | None = None,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._grace = ttl if grace_seconds is None else grace_seconds
        self._timer = timer
        self._maxsize = maxsize
        self._hits: dict[K, _Hit[V]] = {}  # insertion order: the oldest load is evicted first
        self._misses: TTLCache[K, bool] = TTLCache(maxsize=maxsize, ttl=negative_ttl, timer=timer)
        self._last_good: LRUCache[K, tuple[float, V]] = LRUCache(maxsize=maxsize)
        self._stale_seconds = stale_seconds
        self._loads: dict[K, asyncio.Task[_Loaded[V]]] = {}
        self._tasks = TaskGroup()
        self._generation = 0

    async def get(self, key: K, load: Callable[[K], Awaitable[V | None]]) -> V | None:
        hit = self._hits.get(key)
        now = self._timer()
        if hit is not None and now >= hit.expires_at:
            del self._hits[key]
            hit = None
        if hit is not None and (not hit.failed or now - hit.loaded_at <= self._stale_seconds):
            if now >= hit.refresh_after and key not in self._loads:
                hit.refresh_after = now + _RETRY_SECONDS
                self._start(key, load, background=True)
            return hit.value  # fresh, or stale while one refresh runs
        if key in self._misses:
            return None
        loaded = await asyncio.shield(self._start(key, load, background=False))
        if loaded.error is not None:
            raise loaded.error
        return loaded.value

    def _start(self, key: K, load: Callable[[K], Awaitable[V | None]], *, background: bool) -> asyncio.Task[_Loaded[V]]:
        task = self._loads.get(key)
        if task is None:
            task = self._tasks.spawn(self._load(key, load, self._generation, background), name="cache-load")
            self._loads[key] = task
        return task

    async def _load(
        self, key: K, load: Callable[[K], Awaitable[V | None]], generation: int, background: bool
    ) -> _Loaded[V]:
        try:
            try:
                value = await load(key)
            except Exception as exc:  # handed to every reader of this load, raised there
                return self._failed(key, exc, background and generation == self._generation)
            now = self._timer()
            if value is not None:
                self._last_good[key] = (now, value)
            if generation == self._generation:  # not cleared meanwhile: cache what was read
                if value is None:
                    self._hits.pop(key, None)
                    self._misses[key] = True
                else:
                    self._store(key, _Hit(value, now, now + self._ttl + self._grace, refresh_after=now + self._ttl))
            return _Loaded(value)
        finally:
            if self._loads.get(key) is asyncio.current_task():
                del self._loads[key]

    def _store(self, key: K, hit: _Hit[V]) -> None:
        self._hits.pop(key, None)  # re-inserted at the end: a key in use is refreshed, so stays
        if len(self._hits) >= self._maxsize:
            del self._hits[next(iter(self._hits))]
        self._hits[key] = hit

    def _failed(self, key: K, exc: Exception, refresh: bool) -> _Loaded[V]:
        if refresh:  # a background refresh of the hit that is in the cache now
            _log.warning("cache_refresh_failed", error=type(exc).__name__)
            hit = self._hits.get(key)
            if hit is not None:
                hit.failed = True
        kept = self._last_good.get(key)
        if kept is None or self._timer() - kept[0] > self._stale_seconds:
            return _Loaded(None, exc)
        return _Loaded(kept[1])

    def clear(self, *, forget_last_good: bool = False) -> None:
        """Drop cached values and misses. `forget_last_good` also drops what a failed load could fall
        back on: for values a change may have revoked (tokens), which must never outlive it."""
        if forget_last_good:
            self._last_good.clear()
        self._hits.clear()
        self._misses.clear()
        self._loads.clear()  # loads in flight finish for their own readers only
        self._generation += 1

    async def aclose(self) -> None:
        """Cancel loads still running (for an owner that shuts down before they finish)."""
        await self._tasks.aclose()

    def __len__(self) -> int:
        return len(self._hits)
