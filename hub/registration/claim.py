"""One credentials exchange per platform at a time, decided by the database.

A registration (credentials POST with token A), an update (PUT), the hub registering at a
platform (`register_with`) and a token rotation all read the platform's API for seconds before
they store anything. Without a lock, five concurrent POSTs with one token A each got 1000 and
their own token C, and only the last stored one worked. So each of them first *claims* the
platform row with one conditional UPDATE (`Platform.registration_claimed_at`, NULL or stale ->
now): of any number of claimants, in any hub process sharing the database, exactly one wins;
the others are told at once that an exchange is in progress (HTTP 409, OCPI 2000). The winner
stores its result and gives the claim back in one transaction (`finish`), or gives it back
after a failure (`release`), so a failed attempt leaves the platform as it was.

A claim whose holder died (a killed process) goes stale after `claim_seconds`: three outbound
calls (versions, details, credentials), each bounded by `request_timeout_seconds`, plus a
margin. `finish` checks that the claim is still the caller's, so a holder slower than that
cannot overwrite the result of the one that took over.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog

from hub.db.db import STORAGE_ERRORS, SessionFactory, session_scope
from hub.db.models import Platform, utcnow
from hub.db.repositories import ClaimNeed, RegistryRepository
from hub.errors import ClientError, InvalidParameters, MethodNotAllowed
from hub.settings import Settings

__all__ = ["IN_PROGRESS", "Claims", "claim_seconds"]

_log = structlog.get_logger("hub.registration")

IN_PROGRESS = "A registration with this token is in progress; try again when it has finished"
_MARGIN_SECONDS = 10.0


def claim_seconds(settings: Settings) -> float:
    """How long a claim holds before another caller may take it over."""
    return 3 * settings.request_timeout_seconds + _MARGIN_SECONDS


def _in_progress() -> ClientError:
    return ClientError(IN_PROGRESS, http_status=409)


class Claims:
    def __init__(self, *, settings: Settings, sessions: SessionFactory) -> None:
        self._sessions = sessions
        self._ttl = timedelta(seconds=claim_seconds(settings))

    async def take(self, platform_id: int, *, need: ClaimNeed) -> tuple[datetime, Platform]:
        """Claim the platform (its row as read under the claim) or raise what the caller is told:
        409 while another exchange runs, 405 when `need` no longer holds (e.g. token A was used)."""
        at = utcnow()
        async with session_scope(self._sessions) as session:
            repo = RegistryRepository(session)
            won = await repo.claim_registration(platform_id=platform_id, at=at, stale_before=at - self._ttl, need=need)
            platform = await repo.get(platform_id=platform_id)
        if platform is None:
            if need is ClaimNeed.NOTHING:
                raise InvalidParameters(f"No platform with id {platform_id}")
            raise MethodNotAllowed("Registration was withdrawn meanwhile")
        if won:
            return at, platform
        claimed = platform.registration_claimed_at
        if claimed is not None and claimed >= at - self._ttl:
            raise _in_progress()
        if need is ClaimNeed.TOKEN_A:  # token A was used meanwhile (seen from a stale token cache)
            raise MethodNotAllowed("Already registered: use PUT to update or DELETE to unregister")
        if need is ClaimNeed.NOTHING:
            raise _in_progress()
        raise MethodNotAllowed("Not registered: register with POST first")

    @staticmethod
    async def finish(repo: RegistryRepository, platform_id: int, claimed_at: datetime) -> None:
        """In the caller's storing transaction: end the claim, or refuse to store (rolled back)
        when it went stale and someone else took it over."""
        if not await repo.release_registration(platform_id=platform_id, claimed_at=claimed_at):
            raise ClientError("The exchange took too long and another one took over; try again", http_status=409)

    async def release(self, platform_id: int, claimed_at: datetime) -> None:
        """After a failure: give the claim back (best effort: a claim left behind goes stale)."""
        try:
            async with session_scope(self._sessions) as session:
                await RegistryRepository(session).release_registration(platform_id=platform_id, claimed_at=claimed_at)
        except STORAGE_ERRORS as exc:
            _log.warning("registration_claim_not_released", platform_id=platform_id, error=type(exc).__name__)
