"""Retention: stored sessions and CDRs are personal data, kept only for a configured time.

The store keeps a session's or CDR's owner (Open Routing) and possibly the object; after
`retention_sessions_days` / `retention_cdrs_days` without an update the row is deleted (0 keeps
them forever). The leader's housekeeping calls `prune` (`hub.app`); so can the operator
(`ocpi-hub privacy prune`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy import delete
from sqlmodel import col

from hub.db.db import SessionFactory, session_scope
from hub.db.models import StoredObject

__all__ = ["prune"]

_log = structlog.get_logger("hub.privacy")


async def prune(sessions: SessionFactory, *, sessions_days: float, cdrs_days: float, now: datetime) -> dict[str, int]:
    """Delete stored sessions / CDRs last updated before `now` minus their retention; counts per module."""
    removed: dict[str, int] = {}
    async with session_scope(sessions) as session:
        for module, days in (("sessions", sessions_days), ("cdrs", cdrs_days)):
            if days <= 0:
                removed[module] = 0
                continue
            result = await session.exec(
                delete(StoredObject).where(
                    col(StoredObject.module) == module, col(StoredObject.last_updated) < now - timedelta(days=days)
                )
            )
            removed[module] = int(getattr(result, "rowcount", 0) or 0)
    if any(removed.values()):
        _log.info("retention_pruned", **removed)
    return removed
