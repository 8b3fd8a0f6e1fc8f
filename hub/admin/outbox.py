"""Operator side of the outbox: what is waiting or dead, and replaying dead messages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select

from hub.db.db import SessionFactory, session_scope
from hub.db.models import OutboxMessage, OutboxStatus, utcnow

__all__ = ["OutboxAdmin"]


class OutboxAdmin:
    def __init__(self, *, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def counts(self) -> dict[str, int]:
        async with self._sessions() as session:
            query = select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
            return {status: int(n) for status, n in (await session.exec(query)).all()}

    async def messages(self, *, status: str, limit: int = 100) -> list[dict[str, Any]]:
        async with self._sessions() as session:
            query = (
                select(OutboxMessage).where(OutboxMessage.status == status).order_by(col(OutboxMessage.id)).limit(limit)
            )
            rows = (await session.exec(query)).all()
        return [
            {
                "id": r.id,
                "kind": r.kind,
                "receiver": r.receiver_key,
                "module": r.module,
                "method": r.method,
                "attempts": r.attempts,
                "last_error": r.last_error,
                "created_at": r.created_at.isoformat(),
            }
            for r in rows
        ]

    async def replay_dead(self, *, message_id: int | None = None) -> int:
        """Put dead messages (one, or all) back in the queue with a fresh attempt count."""
        query = update(OutboxMessage).where(col(OutboxMessage.status) == OutboxStatus.DEAD)
        if message_id is not None:
            query = query.where(col(OutboxMessage.id) == message_id)
        async with session_scope(self._sessions) as session:
            result = await session.exec(
                query.values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=utcnow(), finished_at=None)
            )
        return int(getattr(result, "rowcount", 0) or 0)
