"""Makes the mirror updates of *routed* pushes durable before the pusher is answered, by group
commit.

A routed push is forwarded first; once the receiver accepted it (1xxx) the forwarder awaits
`write(update)`, which queues the update and returns when the transaction that contains it has
committed. The one writer task takes everything queued (up to `batch` updates) into one
transaction, applied with one SELECT and one flush (`StoreRepository.apply_many`), so many
concurrent pushes share one commit (the write path's throughput). Should one
update fail (a value the database refuses, an insert race lost), that transaction is rolled back
and the batch runs again with each update inside its own SAVEPOINT: the failing one is rolled
back alone and reported to its own waiter, the others commit. (SAVEPOINTs only then: they cost
about a quarter of the writer's throughput, and failures are rare once values are checked.)
Rule: each update the hub answers 1000 is committed before that answer, or the hub answers an
error; one bad item never costs another.

- `StoreRefused`: this update could not be stored (the others of its batch were);
- `StoreUnavailable`: nothing of its batch was stored (the database is away, the commit failed),
  or the queue is full (answered at once: the bounded queue never drops silently), or the writer
  is stopped, or the commit did not come within `wait_seconds`.

Broadcast pushes are stored in the transaction that accepts them (`hub.broadcast.accept`).
On SQLite an isolated batch opens its write transaction with a no-op UPDATE first: the pysqlite driver
begins transactions lazily, and a SAVEPOINT outside a transaction would make each RELEASE a
commit of its own.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.db import STORAGE_ERRORS, SessionFactory
from hub.mirror.merge import Outcome, StoreUpdate
from hub.mirror.repository import StoreRepository
from hub.privacy.personal import PersonalData

__all__ = ["StoreRefused", "StoreUnavailable", "StoreWriteFailed", "StoreWriter"]

_log = structlog.get_logger("hub.mirror")
_OPEN_WRITE = text("UPDATE stored_object SET id = id WHERE 1 = 0")
# What one update's bad values look like while it is applied (the checks before forwarding
# should leave none; `hub.validation.stored`).
_ITEM_ERRORS = (ValueError, TypeError, OverflowError, RecursionError, KeyError)


class StoreWriteFailed(Exception):
    """An update the writer did not make durable. The message is for logs, not for callers."""


class StoreRefused(StoreWriteFailed):
    """This update was refused by the store; the other updates of its batch were committed."""


class StoreUnavailable(StoreWriteFailed):
    """Nothing was stored: the database is away, the queue is full or the writer is stopped."""


@dataclass(slots=True)
class _Pending:
    update: StoreUpdate
    done: asyncio.Future[Outcome]


class StoreWriter:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        personal: PersonalData,
        max_queue: int = 10_000,
        batch: int = 256,
        wait_seconds: float = 30.0,
    ) -> None:
        self._sessions = sessions
        self._personal = personal
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue(maxsize=max_queue)
        self._batch = batch
        self._wait_seconds = wait_seconds
        self._stopped = False
        self.refused_full = 0  # writes refused because the queue was full
        self.batches = 0

    async def write(self, update: StoreUpdate) -> Outcome:
        """Queue `update` and wait until it is committed; raises `StoreWriteFailed` otherwise."""
        if self._stopped:
            raise StoreUnavailable("the store writer is stopped")
        pending = _Pending(update, asyncio.get_running_loop().create_future())
        try:
            self._queue.put_nowait(pending)
        except asyncio.QueueFull:
            self.refused_full += 1
            _log.warning("store_queue_full", module=update.module, refused=self.refused_full)
            raise StoreUnavailable("the store queue is full") from None
        try:  # no shield: a waiter that gives up cancels its future, which the writer then skips
            async with asyncio.timeout(self._wait_seconds):
                return await pending.done
        except TimeoutError:
            raise StoreUnavailable("no commit in time") from None

    def stop(self) -> None:
        """Refuse new writes at once (shutdown); what is queued is still written by `run`."""
        self._stopped = True

    async def run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._commit(batch)
            except Exception as exc:  # noqa: BLE001 - the loop must outlive any batch; each waiter hears why
                if not isinstance(exc, STORAGE_ERRORS):
                    _log.error("store_batch_failed", error=type(exc).__name__, exc_info=exc)
                else:
                    _log.warning("store_write_failed", error=type(exc).__name__, updates=len(batch))
                for pending in batch:
                    _settle(pending, StoreUnavailable(f"batch not committed: {type(exc).__name__}"))
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _commit(self, batch: list[_Pending]) -> None:
        updates = [pending.update for pending in batch]
        try:
            results = await self._transaction(updates, isolated=False)
        except _ItemFailed:  # rare (values are checked before): again, each update in its own SAVEPOINT
            results = await self._transaction(updates, isolated=True)
        self.batches += 1
        for pending, result in zip(batch, results, strict=True):
            _settle(pending, result)

    async def _transaction(self, batch: list[StoreUpdate], *, isolated: bool) -> list[Outcome | StoreRefused]:
        """The batch in one transaction. Not `isolated` (the usual case, no SAVEPOINT cost): the
        first failing update rolls it all back (`_ItemFailed`) and the caller runs it `isolated`."""
        results: list[Outcome | StoreRefused] = []
        async with self._sessions() as session:
            try:
                repo = StoreRepository(session, self._personal)
                if isolated:
                    connection = await session.connection()
                    if connection.dialect.name == "sqlite":
                        await connection.execute(_OPEN_WRITE)
                    for update in batch:
                        results.append(await _apply(session, repo, update))
                else:
                    results.extend(await _apply_plain(repo, batch))
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        return results

    async def drain(self) -> None:
        """Wait until everything queued so far is written (tests, shutdown)."""
        await self._queue.join()


class _ItemFailed(Exception):
    """One update of an optimistic batch failed: the batch is run again, each update isolated."""


async def _apply_plain(repo: StoreRepository, updates: list[StoreUpdate]) -> list[Outcome]:
    """The whole batch at once (`StoreRepository.apply_many`: one SELECT, one flush); any failure
    is `_ItemFailed`, so the caller reruns it isolated."""
    try:
        return await repo.apply_many(updates)
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise
        raise _ItemFailed from exc
    except _ITEM_ERRORS as exc:
        raise _ItemFailed from exc


async def _apply(session: AsyncSession, repo: StoreRepository, update: StoreUpdate) -> Outcome | StoreRefused:
    """One update in its own SAVEPOINT: its failure is rolled back alone. A lost insert race
    (another hub process inserted the same object and committed) is run once more: it then
    updates that row. A connection that is gone fails the whole batch (raised)."""
    for attempt in (1, 2):
        try:
            async with session.begin_nested():
                return await repo.apply(update)
        except IntegrityError as exc:
            if attempt == 2 or exc.connection_invalidated:
                return _refused(update, exc)
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise
            return _refused(update, exc)
        except _ITEM_ERRORS as exc:
            return _refused(update, exc)
    raise AssertionError("unreachable")  # pragma: no cover


def _refused(update: StoreUpdate, exc: BaseException) -> StoreRefused:
    # the database's message may quote values: only the class is logged
    _log.warning("store_update_refused", module=update.module, method=update.method, error=type(exc).__name__)
    return StoreRefused(type(exc).__name__)


def _settle(pending: _Pending, result: Outcome | StoreWriteFailed) -> None:
    if pending.done.done():
        return
    if isinstance(result, StoreWriteFailed):
        pending.done.set_exception(result)
    else:
        pending.done.set_result(result)
