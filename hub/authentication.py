"""Authentication: `Authorization: Token <base64>` -> Identity, through a cache (misses too).

Rules (transport_and_format.asciidoc 18-46, checklist A 1-5): no header or an unknown token
is HTTP 401; token A only opens `versions` and `credentials`; a raw (not Base64) token is
accepted only from platforms flagged `raw` (or all, if `accept_raw_tokens`).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

from hub.cache import AsyncTTLCache
from hub.db.db import SessionFactory
from hub.db.repositories import RegistryRepository
from hub.errors import AuthError
from hub.identity import Identity, PartyRef, Stage
from hub.ocpi.headers import token_candidates
from hub.token_vault import TokenVault
from hub.types import ConnectionStatus, PartyKey, Role, TokenEncoding

__all__ = ["Authenticator"]


class Authenticator:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        vault: TokenVault,
        cache: AsyncTTLCache[str, Identity],
        accept_raw_tokens: bool,
        on_seen: Callable[[int], None] | None = None,
    ) -> None:
        self._on_seen = on_seen
        self._sessions = sessions
        self._vault = vault
        self._cache = cache
        self._accept_raw = accept_raw_tokens

    def invalidate(self) -> None:
        self._cache.clear()

    async def match(self, header: str | None) -> tuple[Identity, str] | None:
        """The identity behind an Authorization header, and the token as it was read."""
        for candidate in token_candidates(header):
            identity = await self._cache.get(self._vault.hash(candidate.token), self._load)
            if identity is None:
                continue
            if candidate.raw and not (self._accept_raw or identity.token_encoding is TokenEncoding.RAW):
                continue
            return identity, candidate.token
        return None

    async def require_token(self, request: Request, *, registration_ok: bool = False) -> tuple[Identity, str]:
        found = await self.match(request.headers.get("authorization"))
        if found is None:
            raise AuthError("Missing or unknown credentials token")
        if found[0].stage is Stage.REGISTRATION and not registration_ok:
            raise AuthError("Token A may only be used for versions and credentials")
        if self._on_seen is not None:
            self._on_seen(found[0].platform_id)
        return found

    async def require(self, request: Request, *, registration_ok: bool = False) -> Identity:
        return (await self.require_token(request, registration_ok=registration_ok))[0]

    async def _load(self, token_hash: str) -> Identity | None:
        async with self._sessions() as session:
            repo = RegistryRepository(session)
            platform = await repo.by_token_hash(token_hash=token_hash)
            if platform is None or platform.id is None:
                return None
            parties = await repo.parties(platform_id=platform.id)
        stage = Stage.REGISTRATION if platform.token_a_hash == token_hash else Stage.CREDENTIALS
        return Identity(
            platform_id=platform.id,
            platform_name=platform.name,
            status=ConnectionStatus(platform.status),
            stage=stage,
            token_encoding=TokenEncoding(platform.token_encoding),
            version=platform.version,
            parties=tuple(PartyRef(PartyKey.of(p.country_code, p.party_id), Role(p.role)) for p in parties),
        )
