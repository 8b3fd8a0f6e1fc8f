"""Waiting until the hub has nothing left to send, instead of sleeping a while.

A test that shows "nothing else arrived" must first know that nothing else *can* arrive. For
what the hub sends on its own (broadcasts, ClientInfo: everything that goes through the outbox)
that is the case once every accepted broadcast has been expanded into its outbox rows and no
outbox row is still pending: a pending row is one the dispatcher may still send (or is sending:
a row stays pending until its outcome is recorded); any other status is final. Requests the hub
forwards are answered in the request that carries them, so when the answer is back there is
nothing left of them to wait for.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import func
from sqlmodel import col, select

from hub.db.db import SessionFactory
from hub.db.models import Broadcast, OutboxMessage

__all__ = ["outbox_drained", "pending_work"]

PENDING = "pending"


async def pending_work(db: SessionFactory, *, module: str | None = None) -> tuple[int, int]:
    """(broadcasts not yet expanded, outbox rows still pending), optionally for one module."""
    async with db() as session:
        broadcasts = select(func.count()).select_from(Broadcast).where(col(Broadcast.expanded).is_(False))
        rows = select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.status) == PENDING)
        if module is not None:
            broadcasts = broadcasts.where(col(Broadcast.module) == module)
            rows = rows.where(col(OutboxMessage.module) == module)
        return (await session.exec(broadcasts)).one(), (await session.exec(rows)).one()


async def outbox_drained(db: SessionFactory, *, module: str | None = None, timeout: float = 10.0) -> None:
    """Until no broadcast waits to be expanded and no outbox row is pending (for `module`, if given).

    Bounded: fails after `timeout` seconds saying what was still waiting."""
    left = (0, 0)
    try:
        async with asyncio.timeout(timeout):
            while (left := await pending_work(db, module=module)) != (0, 0):
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(
            f"the outbox did not drain within {timeout}s: {left[0]} broadcasts not expanded, {left[1]} rows pending"
        ) from None
