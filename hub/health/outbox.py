"""The outbox as health and metrics read it: what waits, per kind, and since when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col

from hub.db.models import OutboxMessage, OutboxStatus, utcnow

__all__ = ["Waiting", "age_seconds", "pending_by_kind"]

Waiting = dict[str, tuple[int, datetime | None]]  # kind -> (pending messages, oldest created_at)


async def pending_by_kind(conn: AsyncConnection) -> Waiting:
    """One query: the pending messages of each kind and the oldest one's creation time."""
    rows = await conn.execute(
        select(col(OutboxMessage.kind), func.count(), func.min(col(OutboxMessage.created_at)))
        .where(col(OutboxMessage.status) == OutboxStatus.PENDING)
        .group_by(col(OutboxMessage.kind))
    )
    return {str(kind): (int(count), oldest) for kind, count, oldest in rows.all()}


def age_seconds(oldest: datetime | None) -> float:
    return 0.0 if oldest is None else round((utcnow() - oldest).total_seconds(), 3)
