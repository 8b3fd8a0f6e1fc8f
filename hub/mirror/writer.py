"""Writes store updates of *routed* pushes in the background, in batches, in arrival order.

A routed push is forwarded at once and must not wait for a database write (the routed hot
path has none). The queue is bounded and in memory: on a crash the last few hundred
milliseconds of store updates may be lost, which costs only freshness (owners' data is
re-sent or re-read); broadcast pushes, which the hub must not lose, are stored in the
transaction that accepts them instead.
"""

from __future__ import annotations

import asyncio

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.db import STORAGE_ERRORS, SessionFactory, in_transaction
from hub.mirror.merge import StoreUpdate
from hub.mirror.repository import StoreRepository

__all__ = ["StoreWriter"]

_log = structlog.get_logger("hub.mirror")


class StoreWriter:
    def __init__(self, *, sessions: SessionFactory, max_queue: int = 10_000, batch: int = 256) -> None:
        self._sessions = sessions
        self._queue: asyncio.Queue[StoreUpdate] = asyncio.Queue(maxsize=max_queue)
        self._batch = batch
        self.dropped = 0

    def submit(self, update: StoreUpdate) -> None:
        try:
            self._queue.put_nowait(update)
        except asyncio.QueueFull:
            self.dropped += 1
            _log.warning("store_queue_full", module=update.module, dropped=self.dropped)

    async def run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._write(batch)
            except STORAGE_ERRORS as exc:  # the database may be away; the mirror catches up later
                _log.warning("store_write_failed", error=type(exc).__name__, updates=len(batch))
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _write(self, batch: list[StoreUpdate]) -> None:
        async def apply_all(session: AsyncSession) -> None:
            repo = StoreRepository(session)
            for update in batch:
                await repo.apply(update)

        await in_transaction(self._sessions, apply_all)

    async def drain(self) -> None:
        """Wait until everything submitted so far is written (tests, shutdown)."""
        await self._queue.join()
