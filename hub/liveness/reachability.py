"""Reachability: forwarding outcomes become OFFLINE and CONNECTED for everyone (HubClientInfo).

The send path tells, per receiving platform, `unreachable(id)` when every route to it failed
before anything reached it (connection refused or reset, or every breaker open) and
`reached(id)` when it answered anything; `SeenTracker` tells `reached(id)` for every request a
platform sends. Both are synchronous and cheap (a dict and a set in memory, no database on the
request path). One background task per process, spawned on the first call through the hub's
TaskGroup, applies what changed: coalesced (the latest wish per platform), bounded (at most
`max_tracked` platforms remembered), in one transaction per round with the ClientInfo outbox
rows (`enqueue_status_change`).

When OFFLINE: once the platform has been unreachable on every attempt for
`unreachable_offline_seconds` (default 30 s, the breaker's default cooldown). The first
unreachable outcome starts a streak, anything reached ends it, and an unreachable outcome at
least that long after the first makes the platform OFFLINE. So it takes at least two consecutive
unreachable outcomes, in practice the failures that open the breaker and the failed trial after
its cooldown; a platform away for less (a restart, a flap) is not announced. With 0 the first
unreachable outcome makes it OFFLINE at once.

When CONNECTED again: routing answers 4003 without contacting a receiver that is not CONNECTED,
so an OFFLINE platform comes back when it sends a request (at once, through `reached`) or when
the still-alive checker's probe of its versions answers (every `liveness_check_seconds`).

Only CONNECTED <-> OFFLINE changes here: PLANNED and SUSPENDED belong to the operator and the
handshake. Which platforms are OFFLINE is kept in memory (own changes, and a re-read every
`refresh_seconds` for changes made by the still-alive checker or another hub process), so that
`reached` costs a set lookup per request; a platform heard from after it went OFFLINE, while
this process did not know yet, is brought back at the next re-read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from hub.db.db import SessionFactory, session_scope
from hub.db.models import Platform
from hub.db.repositories import RegistryRepository
from hub.liveness.clientinfo import enqueue_status_change
from hub.tasks import TaskGroup
from hub.types import ConnectionStatus

__all__ = ["Reachability"]

_log = structlog.get_logger("hub.liveness")
_CONNECTED, _OFFLINE = ConnectionStatus.CONNECTED, ConnectionStatus.OFFLINE


class Reachability:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        tasks: TaskGroup,
        offline_after_seconds: float,
        refresh_seconds: float,
        on_change: Callable[[], None],
        max_tracked: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._tasks = tasks
        self._after = offline_after_seconds
        self._refresh_every = refresh_seconds
        self._on_change = on_change
        self._max = max_tracked
        self._clock = clock
        self._failing: dict[int, float] = {}  # platform -> when its current unreachable streak began
        self._offline: set[int] = set()  # OFFLINE as far as this process knows
        self._wanted: dict[int, ConnectionStatus] = {}  # the latest wish per platform, not yet applied
        self._heard: dict[int, float] = {}  # reached since the last refresh, when (wall clock)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[Any] | None = None

    # --- the request path: synchronous, no I/O ------------------------------------------------

    def unreachable(self, platform_id: int) -> None:
        """Every route to the platform failed before anything reached it."""
        self._ensure_running()
        if platform_id in self._offline or self._wanted.get(platform_id) is _OFFLINE:
            return
        now = self._clock()
        first = self._failing.get(platform_id)
        if first is None:
            if len(self._failing) >= self._max:
                return
            self._failing[platform_id] = first = now
        if now - first >= self._after:
            self._want(platform_id, _OFFLINE)

    def reached(self, platform_id: int) -> None:
        """The platform answered something, or sent a request."""
        self._ensure_running()
        self._failing.pop(platform_id, None)
        if platform_id in self._heard or len(self._heard) < self._max:
            self._heard[platform_id] = time.time()
        if platform_id in self._offline or self._wanted.get(platform_id) is _OFFLINE:
            self._want(platform_id, _CONNECTED)

    def _want(self, platform_id: int, status: ConnectionStatus) -> None:
        if platform_id in self._wanted or len(self._wanted) < self._max:
            self._wanted[platform_id] = status
            self._wake.set()

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = self._tasks.spawn(self.run(), name="reachability")

    # --- the background task ------------------------------------------------------------------

    async def run(self) -> None:
        """Apply wishes as they come, re-read the OFFLINE set every `refresh_seconds`."""
        refresh_at = 0.0
        failures = 0
        while True:
            try:
                if self._clock() >= refresh_at:
                    await self._refresh()
                    refresh_at = self._clock() + self._refresh_every
                if self._wanted:
                    await self.apply()
                failures = 0
            except (SQLAlchemyError, OSError) as exc:  # the database may be away: keep the wishes, retry
                failures += 1
                _log.warning("reachability_apply_failed", error=type(exc).__name__)
                await asyncio.sleep(min(0.1 * 2**failures, self._refresh_every))
                continue
            self._wake.clear()
            if self._wanted:
                continue
            try:
                async with asyncio.timeout(max(0.0, refresh_at - self._clock())):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def apply(self) -> list[tuple[str, ConnectionStatus]]:
        """Apply the pending wishes in one transaction; returns the changes made (name, status)."""
        wanted, self._wanted = self._wanted, {}
        changed: list[tuple[Platform, ConnectionStatus]] = []
        known: dict[int, str] = {}
        try:
            async with session_scope(self._sessions) as session:
                repo = RegistryRepository(session)
                for platform_id, status in wanted.items():
                    stored = await repo.get(platform_id=platform_id)
                    if stored is None:
                        continue
                    known[platform_id] = stored.status
                    if stored.status not in (_CONNECTED.value, _OFFLINE.value) or stored.status == status.value:
                        continue
                    stored.set_status(status)
                    await repo.save(stored)
                    changed.append((stored, status))
                if changed:
                    await repo.bump_revision()
                    for stored, _ in changed:
                        await enqueue_status_change(session, platform=stored)
        except BaseException:
            self._wanted = wanted | self._wanted  # newer wishes win
            raise
        for platform_id, status_value in known.items():
            self._note_status(platform_id, status_value)
        for stored, status in changed:
            assert stored.id is not None
            self._note_status(stored.id, status.value)
            _log.info("platform_status_changed", platform=stored.name, status=status.value, reason="reachability")
        if changed:
            self._on_change()
        return [(stored.name, status) for stored, status in changed]

    def _note_status(self, platform_id: int, status: str) -> None:
        if status == _OFFLINE.value:
            self._offline.add(platform_id)
            self._failing.pop(platform_id, None)
        else:
            self._offline.discard(platform_id)

    async def _refresh(self) -> None:
        """Re-read which platforms are OFFLINE; those heard from since they went OFFLINE come back."""
        heard, self._heard = self._heard, {}
        async with self._sessions() as session:
            query = select(Platform.id, Platform.status_changed_at).where(col(Platform.status) == _OFFLINE.value)
            rows = (await session.exec(query)).all()
        self._offline = {platform_id for platform_id, _ in rows if platform_id is not None}
        for platform_id, since in rows:
            at = heard.get(platform_id or 0)
            if platform_id is not None and at is not None and at > since.timestamp():
                self._wanted.setdefault(platform_id, _CONNECTED)
