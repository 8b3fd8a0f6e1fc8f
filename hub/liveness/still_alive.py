"""Still-alive checks (mod_hub_client_info.asciidoc 75-83) and the time each platform was last heard.

Every authenticated request notes its platform in memory (no database write on the request
path); the notes are flushed to `platform.last_seen_at` every check. The dispatcher's leader
then GETs the versions endpoint of every CONNECTED platform silent for longer than
`still_alive_seconds`: failure makes it OFFLINE, and every OFFLINE platform is probed until
it answers and is CONNECTED again. Each change is told to everyone through HubClientInfo.
A platform that sends a request is also alive: `SeenTracker` passes each sender on to
`Reachability.reached` (hub.liveness.reachability), which brings an OFFLINE one back at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import or_, update
from sqlmodel import col

from hub.db.db import SessionFactory, session_scope
from hub.db.models import Platform, utcnow
from hub.db.repositories import RegistryRepository
from hub.liveness.clientinfo import enqueue_status_change
from hub.liveness.peer import PeerClient, PeerError
from hub.token_vault import TokenVault
from hub.types import ConnectionStatus, TokenEncoding

__all__ = ["LivenessChecker", "SeenTracker"]

_log = structlog.get_logger("hub.liveness")


class SeenTracker:
    """Which platforms sent something, and when (wall clock), since the last flush.

    `on_note` (e.g. `Reachability.reached`) hears every sender as it is noted; it must not block.
    """

    def __init__(self, *, on_note: Callable[[int], None] | None = None) -> None:
        self._seen: dict[int, float] = {}
        self._on_note = on_note

    def note(self, platform_id: int) -> None:
        self._seen[platform_id] = time.time()
        if self._on_note is not None:
            self._on_note(platform_id)

    async def flush(self, sessions: SessionFactory) -> None:
        seen, self._seen = self._seen, {}
        if not seen:
            return
        async with session_scope(sessions) as session:
            for platform_id, at in seen.items():
                moment = datetime.fromtimestamp(at, UTC)
                await session.exec(
                    update(Platform)
                    .where(
                        col(Platform.id) == platform_id,
                        or_(col(Platform.last_seen_at).is_(None), col(Platform.last_seen_at) < moment),
                    )
                    .values(last_seen_at=moment)
                )


class LivenessChecker:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        peer: PeerClient,
        vault: TokenVault,
        silence_seconds: float,
        on_change: Callable[[], None],
    ) -> None:
        self._sessions = sessions
        self._peer = peer
        self._vault = vault
        self._silence = timedelta(seconds=silence_seconds)
        self._on_change = on_change

    async def check(self) -> list[tuple[str, ConnectionStatus]]:
        """Probe the silent and the offline; returns the status changes made."""
        now = utcnow()
        async with self._sessions() as session:
            platforms = list(await RegistryRepository(session).all_platforms())
        changes = []
        for platform in platforms:
            if not _due(platform, now, self._silence):
                continue
            alive = await self._probe(platform)
            new_status = ConnectionStatus.CONNECTED if alive else ConnectionStatus.OFFLINE
            changed = await self._record(platform, alive=alive, status=new_status)
            if changed:
                changes.append((platform.name, new_status))
                _log.info(
                    "platform_status_changed",
                    platform=platform.name,
                    status=new_status.value,
                    reason="still_alive_check",
                )
        if changes:
            self._on_change()
        return changes

    async def _probe(self, platform: Platform) -> bool:
        if not platform.versions_url or not platform.outbound_token_enc:
            return False
        try:
            token = self._vault.decrypt(platform.outbound_token_enc)
            await self._peer.data(
                "GET", platform.versions_url, token=token, encoding=TokenEncoding(platform.token_encoding)
            )
        except (PeerError, ValueError):
            return False
        return True

    async def _record(self, platform: Platform, *, alive: bool, status: ConnectionStatus) -> bool:
        async with session_scope(self._sessions) as session:
            repo = RegistryRepository(session)
            stored = await repo.get(platform_id=platform.id or 0)
            if stored is None or stored.status not in (
                ConnectionStatus.CONNECTED.value,
                ConnectionStatus.OFFLINE.value,
            ):
                return False
            if alive:
                stored.last_seen_at = utcnow()
            changed = stored.status != status.value
            stored.set_status(status)
            await repo.save(stored)
            if changed:
                await repo.bump_revision()
                await enqueue_status_change(session, platform=stored)
        return changed


def _due(platform: Platform, now: datetime, silence: timedelta) -> bool:
    if platform.status == ConnectionStatus.OFFLINE.value:
        return True
    if platform.status != ConnectionStatus.CONNECTED.value:
        return False
    return now - (platform.last_seen_at or platform.status_changed_at) > silence
