"""A named lease in SQL, so that exactly one hub process runs the dispatcher at a time."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from hub.db.db import SessionFactory, session_scope
from hub.db.models import Lease, utcnow

__all__ = ["acquire_lease", "release_lease"]


async def acquire_lease(sessions: SessionFactory, *, name: str, holder: str, ttl_seconds: float) -> bool:
    """Take or renew the lease; True while this holder has it."""
    now = utcnow()
    expires = now + timedelta(seconds=ttl_seconds)
    async with session_scope(sessions) as session:
        result = await session.exec(
            update(Lease)
            .where(col(Lease.name) == name, or_(col(Lease.holder) == holder, col(Lease.expires_at) < now))
            .values(holder=holder, expires_at=expires)
        )
        if getattr(result, "rowcount", 0):
            return True
        if await session.get(Lease, name) is not None:
            return False
    try:
        async with session_scope(sessions) as session:
            session.add(Lease(name=name, holder=holder, expires_at=expires))
        return True
    except IntegrityError:
        return False


async def release_lease(sessions: SessionFactory, *, name: str, holder: str) -> None:
    async with session_scope(sessions) as session:
        await session.exec(
            update(Lease).where(col(Lease.name) == name, col(Lease.holder) == holder).values(expires_at=utcnow())
        )
