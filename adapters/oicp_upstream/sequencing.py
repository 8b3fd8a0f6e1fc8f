"""Pushes of one operation go to HBS one at a time (oicp-bridge.md §1 "Push ordering"): HBS works
on parallel pushes in parallel, and an earlier push can overtake a later one. Per upstream and
operation, a push waits for the one before it to be answered, within its own time budget; a push
that cannot get its turn in time was never sent: the hub's own shortage (HubOutOfResources ->
HTTP 503 with Retry-After), not counted against HBS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from hub.forwarding.contract import HubOutOfResources

__all__ = ["SEQUENTIAL", "Sequencer"]

SEQUENTIAL = frozenset(
    {"eRoamingPushEvseData", "eRoamingPushEvseStatus", "eRoamingPushPricingProductData", "eRoamingPushEVSEPricing"}
)


class Sequencer:
    def __init__(self) -> None:
        self._locks: dict[tuple[int, str], asyncio.Lock] = {}

    @asynccontextmanager
    async def turn(self, platform_id: int, operation: str, timeout: float) -> AsyncIterator[None]:
        if operation not in SEQUENTIAL:
            yield
            return
        key = (platform_id, operation)
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with asyncio.timeout(timeout):
                await lock.acquire()
        except TimeoutError:
            raise HubOutOfResources(f"an earlier {operation} to the OICP hub is still waiting for its answer") from None
        try:
            yield
        finally:
            lock.release()
