"""Rotation: a platform's credentials token (`rotate_token`) and the key that seals tokens at
rest (`reseal_tokens`). Operator commands: `ocpi-hub platforms rotate-token ID`, `ocpi-hub keys rotate`.

Token rotation is the credentials update of credentials.asciidoc 66-74 with the hub as client:
either side may update, whichever side registered first. Under the platform's registration
claim (so it cannot race a POST, a PUT or another rotation; `hub.registration.claim`) the hub
reads the platform's versions and details with the token it holds for it, issues a new token,
and PUTs its credentials carrying that token to the platform's credentials endpoint. The
platform reads the hub's versions with the new token before it answers (update-sequence), so
the new token is parked in the platform's token A slot meanwhile: it opens versions, details
and credentials only, and a POST with it meets the claim (409). After the platform answered
1000 with its own new credentials, one transaction stores the new token's hash in place of the
old one, the platform's new token for the hub (sealed), its endpoints and roles, and bumps the
registry revision. From then on the old token is refused: at once by the process that rotated
(its token cache is cleared by `on_change`), within `registry_poll_seconds` by every other hub
process (`hub.registry_watch`); the new token is accepted everywhere at once (it was never
cached as a credentials token, and token A identities are always re-read).

If the platform's PUT fails, nothing changes (the parked token is withdrawn, the claim given
back) and the error says why. A PUT whose reply is lost (timeout) may still have been applied by
the platform: the hub cannot know; the error says so, and the operators must agree (or the
platform registers again with a new token A).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog

from hub.db.db import SessionFactory, session_scope
from hub.db.repositories import ClaimNeed, PartySpec, RegistryRepository
from hub.editions.credentials import role_of_v211, v211_discovery
from hub.errors import ClientApiError, InvalidParameters, MethodNotAllowed
from hub.liveness.peer import PeerClient, PeerError
from hub.ocpi.versions import EDITIONS, V211
from hub.registration.discovery import discover, require_endpoints
from hub.registration.registrar import Registrar, parse_credentials, party_specs
from hub.settings import Settings
from hub.token_vault import TokenVault, new_token
from hub.types import TokenEncoding

__all__ = ["Resealed", "Rotated", "TokenRotation", "reseal_tokens"]

_log = structlog.get_logger("hub.registration")
_BATCH = 200


@dataclass(frozen=True, slots=True)
class Rotated:
    platform_id: int
    name: str
    version: str | None


class TokenRotation:
    def __init__(
        self,
        *,
        settings: Settings,
        sessions: SessionFactory,
        vault: TokenVault,
        peer: PeerClient,
        on_change: Callable[[], None],
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._vault = vault
        self._peer = peer
        self._on_change = on_change
        self._registrar = Registrar(settings=settings, sessions=sessions, vault=vault, peer=peer, on_change=on_change)

    async def rotate_token(self, *, platform_id: int) -> Rotated:
        """Issue a new token for the platform and hand it over with a credentials PUT (module docstring)."""
        async with self._sessions() as session:
            platform = await RegistryRepository(session).get(platform_id=platform_id)
        if platform is None:
            raise InvalidParameters(f"No platform with id {platform_id}")
        if not (platform.inbound_token_hash and platform.outbound_token_enc and platform.versions_url):
            raise InvalidParameters(f"Platform {platform.name} is not registered: no token to rotate")
        claims = self._registrar.claims
        claimed_at, platform = await claims.take(platform_id, need=ClaimNeed.OUTBOUND)
        token_a_hash = platform.token_a_hash  # put back when the parked new token leaves the slot
        parked = False
        try:
            assert platform.outbound_token_enc is not None and platform.versions_url is not None
            encoding = TokenEncoding(platform.token_encoding)
            outbound = self._vault.decrypt(platform.outbound_token_enc)
            discovery = await discover(
                self._peer,
                versions_url=platform.versions_url,
                token=outbound,
                encoding=encoding,
                wanted=EDITIONS.get(platform.version or ""),
            )
            require_endpoints(discovery, dict.fromkeys(("credentials", *self._settings.required_endpoints)))
            credentials_url = discovery.url_of("credentials")
            assert credentials_url is not None
            declared = await self._registrar.declared(platform_id)
            if discovery.edition is V211:
                discovery = v211_discovery(discovery, role_of_v211(declared))
            token = new_token()
            await self._park(platform_id, self._vault.hash(token))
            parked = True
            try:
                reply = await self._peer.data(
                    "PUT",
                    credentials_url,
                    token=outbound,
                    encoding=encoding,
                    body=await self._registrar.credentials_in(token, discovery.edition, platform_id=platform_id),
                )
            except PeerError as exc:
                raise ClientApiError(
                    f"Credentials PUT failed ({exc}); nothing changed at the hub. If the platform did receive "
                    "it, it may have switched tokens: check with its operator"
                ) from exc
            try:
                creds = parse_credentials(reply, discovery.edition, declared)
            except InvalidParameters as exc:
                raise ClientApiError(
                    f"The platform answered the credentials PUT with {exc.message}; nothing changed at the hub"
                ) from exc
            parties: list[PartySpec] | None = party_specs(creds.roles)
            try:
                await self._registrar.check_parties(platform_id, parties or [])
            except InvalidParameters as exc:  # it took the new token already: keep its roles as they were
                _log.warning("platform_roles_refused", platform=platform.name, reason=exc.message)
                parties = None
            async with session_scope(self._sessions) as session:
                repo = RegistryRepository(session)
                await claims.finish(repo, platform_id, claimed_at)
                stored = await repo.get(platform_id=platform_id)
                if stored is None or stored.inbound_token_hash is None:
                    raise MethodNotAllowed("The platform was unregistered meanwhile")
                stored.inbound_token_hash = self._vault.hash(token)
                stored.token_a_hash = token_a_hash
                stored.versions_url = creds.url
                await self._registrar.store(repo, stored, creds.token, parties, discovery)
        except BaseException:
            if parked:
                await self._park(platform_id, token_a_hash)
            await claims.release(platform_id, claimed_at)
            raise
        self._on_change()
        _log.info("platform_token_rotated", platform=stored.name, version=stored.version)
        return Rotated(platform_id=platform_id, name=stored.name, version=stored.version)

    async def _park(self, platform_id: int, token_hash: str | None) -> None:
        """Set the token A slot (no revision bump: a token A identity is never answered from a cache)."""
        async with session_scope(self._sessions) as session:
            repo = RegistryRepository(session)
            platform = await repo.get(platform_id=platform_id)
            if platform is not None:
                platform.token_a_hash = token_hash
                await repo.save(platform)


@dataclass(frozen=True, slots=True)
class Resealed:
    resealed: int  # sealed under a previous key, now under the current one
    current: int  # already under the current key (or replaced meanwhile by a fresh registration)
    unreadable: int  # opened by no configured key: left as they are (that platform must register again)


async def reseal_tokens(sessions: SessionFactory, vault: TokenVault, *, batch_size: int = _BATCH) -> Resealed:
    """Re-encrypt every platform's sealed outbound token under the current key, in place.

    In batches of `batch_size`, one short transaction each, every row swapped only if it is still
    what was read (compare-and-set): a hub running with the same keys keeps working throughout
    (it opens both), and a token a registration replaced meanwhile is left as that registration
    sealed it. Safe to run again. No registry revision bump: the tokens themselves do not change."""
    resealed = current = unreadable = 0
    after = 0
    while True:
        async with session_scope(sessions) as session:
            repo = RegistryRepository(session)
            rows = await repo.sealed_tokens(after_id=after, limit=batch_size)
            for platform_id, sealed in rows:
                if vault.is_current(sealed):
                    current += 1
                    continue
                try:
                    fresh = vault.rotate(sealed)
                except ValueError:
                    unreadable += 1
                    continue
                if await repo.replace_sealed_token(platform_id=platform_id, old=sealed, new=fresh):
                    resealed += 1
                else:
                    current += 1
        if len(rows) < batch_size:
            break
        after = rows[-1][0]
    _log.info("sealed_tokens_rotated", resealed=resealed, current=current, unreadable=unreadable)
    return Resealed(resealed=resealed, current=current, unreadable=unreadable)
