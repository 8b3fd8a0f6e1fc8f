"""Cross-process cache invalidation: poll the registry revision, clear caches when it moves.

The CLI and other hub processes change the registry in the database; each process notices
within `registry_poll_seconds` and drops its token and routing caches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from hub.db.db import STORAGE_ERRORS, SessionFactory
from hub.db.repositories import RegistryRepository

__all__ = ["RegistryWatcher"]

_log = structlog.get_logger("hub.registry")


class RegistryWatcher:
    def __init__(self, *, sessions: SessionFactory, interval: float, on_change: Callable[[], None]) -> None:
        self._sessions = sessions
        self._interval = interval
        self._on_change = on_change
        self.revision: int | None = None

    async def check(self) -> bool:
        async with self._sessions() as session:
            revision = await RegistryRepository(session).revision()
        changed = self.revision is not None and revision != self.revision
        self.revision = revision
        if changed:
            self._on_change()
        return changed

    async def run(self) -> None:
        while True:
            try:
                await self.check()
            except STORAGE_ERRORS as exc:  # the database may be away for a while; keep serving
                _log.warning("registry_poll_failed", error=type(exc).__name__)
            await asyncio.sleep(self._interval)
