"""Authentication: `Authorization: Token <base64>` -> Identity, through a cache (misses too).

Rules (transport_and_format.asciidoc 18-46, checklist A 1-5): no header or an unknown token
is HTTP 401; token A only opens `versions` and `credentials`; a raw (not Base64) token is
accepted only from platforms flagged `raw` (or all, if `accept_raw_tokens`), and on OCPI 2.1.1
URLs (`/ocpi/2.1.1/...`), where raw tokens are the rule. A 2.1.1 party's first call is
`GET /ocpi/versions` with token A: add it flagged raw (`--token-encoding raw`); registering at
2.1.1 flags it raw in any case. A platform with a
pinned client certificate (`PlatformAdmin.pin_client_cert`) is accepted only on a TLS connection
that presented exactly that certificate (`hub.server`), else HTTP 401 like an unknown token.

Freshness: a credentials token is answered from the cache; a registry change (a token replaced by
PUT, rotation or DELETE) clears it at once in the process that made the change and within
`registry_poll_seconds` in every other (`hub.registry_watch`), so an old token is refused from
then on. Token A (stage REGISTRATION) is always read again from the database: it opens only
the handshake, which is rare, and the moment it is used up (or a token parked in its slot during
a rotation becomes the platform's credentials token) must be seen at once, in every process.

Key rotation: a token is looked up by its hash under the current key and every previous key
(`TokenVault.hashes`, one query); a match under a previous key is re-stored under the current
key (lazy migration), since a hash cannot be re-made offline without the token.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable

import structlog
from starlette.requests import Request

from hub.cache import AsyncTTLCache
from hub.db.db import STORAGE_ERRORS, SessionFactory, session_scope
from hub.db.repositories import RegistryRepository
from hub.errors import AuthError
from hub.identity import Identity, PartyRef, Stage
from hub.ocpi.headers import token_candidates
from hub.ocpi.versions import is_v211_path
from hub.token_vault import TokenVault
from hub.types import ConnectionStatus, PartyKey, PlatformKind, Role, TokenEncoding

__all__ = ["Authenticator"]

_log = structlog.get_logger("hub.auth")


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
        # a revoked or rotated token must not come back as a last-good value in a database outage
        self._cache.clear(forget_last_good=True)

    async def match(self, header: str | None, *, raw_ok: bool = False) -> tuple[Identity, str] | None:
        """The identity behind an Authorization header, and the token as it was read. `raw_ok`:
        a raw token is accepted from any platform (an OCPI 2.1.1 URL, where raw is the rule)."""
        for candidate in token_candidates(header):
            token_hash = self._vault.hash(candidate.token)
            load = functools.partial(self._load, token=candidate.token)
            identity = await self._cache.get(token_hash, load)
            if identity is not None and identity.stage is Stage.REGISTRATION:
                identity = await load(token_hash)  # token A: never from the cache (module docstring)
            if identity is None:
                continue
            if candidate.raw and not (raw_ok or self._accept_raw or identity.token_encoding is TokenEncoding.RAW):
                continue
            return identity, candidate.token
        return None

    async def require_token(self, request: Request, *, registration_ok: bool = False) -> tuple[Identity, str]:
        raw_ok = is_v211_path(request.scope["path"])  # 2.1.1 sends raw tokens (requirements §5.1)
        found = await self.match(request.headers.get("authorization"), raw_ok=raw_ok)
        if found is None:
            raise AuthError("Missing or unknown credentials token")
        if found[0].stage is Stage.REGISTRATION and not registration_ok:
            raise AuthError("Token A may only be used for versions and credentials")
        if found[0].client_cert_sha256 is not None and not _presents(request, found[0].client_cert_sha256):
            _log.warning("client_cert_mismatch", platform_id=found[0].platform_id)  # told like a bad token
            raise AuthError("Missing or unknown credentials token")
        if self._on_seen is not None:
            self._on_seen(found[0].platform_id)
        return found

    async def require(self, request: Request, *, registration_ok: bool = False) -> Identity:
        return (await self.require_token(request, registration_ok=registration_ok))[0]

    async def _load(self, token_hash: str, *, token: str) -> Identity | None:
        hashes = self._vault.hashes(token)
        async with self._sessions() as session:
            repo = RegistryRepository(session)
            if len(hashes) == 1:
                platform = await repo.by_token_hash(token_hash=token_hash)
            else:
                platform = await repo.by_any_token_hash(hashes=hashes)
            if platform is None or platform.id is None:
                return None
            parties = await repo.parties(platform_id=platform.id)
        stage = Stage.REGISTRATION if platform.token_a_hash in hashes else Stage.CREDENTIALS
        stored = platform.token_a_hash if stage is Stage.REGISTRATION else platform.inbound_token_hash
        if stored is not None and stored != token_hash:
            await self._upgrade(old=stored, new=token_hash)
        return Identity(
            platform_id=platform.id,
            platform_name=platform.name,
            status=ConnectionStatus(platform.status),
            stage=stage,
            token_encoding=TokenEncoding(platform.token_encoding),
            version=platform.version,
            parties=tuple(PartyRef(PartyKey.of(p.country_code, p.party_id), Role(p.role)) for p in parties),
            client_cert_sha256=platform.client_cert_sha256,
            kind=PlatformKind(platform.kind),
        )

    async def _upgrade(self, *, old: str, new: str) -> None:
        """Store a token's hash under the current key in place of a previous key's (best effort:
        if it fails, the next load tries again)."""
        try:
            async with session_scope(self._sessions) as session:
                await RegistryRepository(session).rehash_token(old=old, new=new)
        except STORAGE_ERRORS as exc:
            _log.warning("token_rehash_failed", error=type(exc).__name__)
        else:
            _log.info("token_rehashed_under_current_key")


def _presents(request: Request, pin: str) -> bool:
    """Whether the connection's client certificate (`hub.server` puts its SHA-256 in the ASGI tls
    extension) is the pinned one. No TLS, or no certificate, never matches a pin."""
    tls = request.scope.get("extensions", {}).get("tls") or {}
    presented = tls.get("client_cert_sha256")
    return isinstance(presented, str) and hmac.compare_digest(presented, pin)
