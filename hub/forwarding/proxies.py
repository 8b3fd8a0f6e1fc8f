"""Hub URLs that stand in for URLs a party cannot reach (requirements §3.9, checklist F 60-63),
minted without a database row: the target is sealed into the URL itself.

A hub URL is `{public_url}/ocpi/{version}/proxy/{sealed}` where `sealed` is the target (kind,
module, target URL, target and caller platform, to and from) encrypted and authenticated with
Fernet under a key derived from `secret_key`, with its minting time inside. Any hub process
with the same secret can open it; nobody can forge or read one (a party never learns the other
party's URL); it expires after `proxy_url_ttl_seconds`; only the platform it was issued to may
follow it. Changing `secret_key` voids every hub URL issued before, unless the old key is
listed in `previous_secret_keys` (hub URLs sealed under it still open until they expire).

A `response_url` is an OCPI URL, at most 255 characters, and receivers check that. A sealed
target is longer than the URL it stands for (about 1.5 times plus 100 characters), so a
callback URL that would exceed 255 characters (a long response_url, or the hub URL of another
hub in a chain) is minted as `{public_url}/ocpi/{version}/proxy/~{id}` instead: a row of
`hub_url` keyed by 24 random characters holds the sealed target, which stays encrypted and
signed, and expires with it (`purge` drops expired rows). Any process sharing the database opens it.
"""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlmodel import col, delete, select

from hub.db.db import SessionFactory, session_scope
from hub.db.models import HubUrl
from hub.token_vault import derive_key
from hub.types import PartyKey

__all__ = ["MAX_OCPI_URL", "ProxyKind", "ProxyTarget", "Proxies"]

_MAX_SEALED = 4096
MAX_OCPI_URL = 255  # the OCPI URL type: string(255)
_STORED = "~"  # prefix of a hub URL that names a `hub_url` row


class ProxyKind:
    PAGE = "page"
    LOCATION = "location"
    CALLBACK = "callback"


@dataclass(frozen=True, slots=True)
class ProxyTarget:
    kind: str
    module: str
    target_url: str
    target_platform_id: int
    caller_platform_id: int
    to: PartyKey
    from_: PartyKey


class Proxies:
    def __init__(
        self,
        *,
        secret_key: str,
        public_url: str,
        ttl_seconds: int,
        clock: Callable[[], float] = time.time,
        previous_secret_keys: Sequence[str] = (),
        sessions: SessionFactory | None = None,
    ) -> None:
        self._clock = clock
        self._sessions = sessions
        keys = [secret_key, *previous_secret_keys]
        self._fernet = MultiFernet(
            [Fernet(base64.urlsafe_b64encode(derive_key(k, b"ocpi-hub proxy url"))) for k in keys]
        )
        self._public_url = public_url
        self._ttl = ttl_seconds

    def mint(self, target: ProxyTarget, *, version: str) -> str:
        payload = orjson.dumps(
            [
                target.kind,
                target.module,
                target.target_url,
                target.target_platform_id,
                target.caller_platform_id,
                target.to.country_code,
                target.to.party_id,
                target.from_.country_code,
                target.from_.party_id,
            ]
        )
        sealed = self._fernet.encrypt_at_time(payload, int(self._clock())).decode("ascii").rstrip("=")
        return f"{self._public_url}/ocpi/{version}/proxy/{sealed}"

    async def mint_short(self, target: ProxyTarget, *, version: str) -> str:
        """A hub URL of at most 255 characters where the sealed one is longer (module docstring)."""
        url = self.mint(target, version=version)
        if len(url) <= MAX_OCPI_URL or self._sessions is None:
            return url
        sealed = url.rsplit("/", 1)[1]
        row_id = secrets.token_urlsafe(18)
        expires = datetime.fromtimestamp(self._clock(), UTC) + timedelta(seconds=self._ttl)
        async with session_scope(self._sessions) as session:
            session.add(HubUrl(id=row_id, sealed=sealed, expires_at=expires))
        return f"{self._public_url}/ocpi/{version}/proxy/{_STORED}{row_id}"

    async def open_url(self, sealed: str, *, caller_platform_id: int) -> ProxyTarget | None:
        """`open`, for a sealed hub URL or one that names a `hub_url` row."""
        if not sealed.startswith(_STORED):
            return self.open(sealed, caller_platform_id=caller_platform_id)
        row_id = sealed[len(_STORED) :]
        if self._sessions is None or not 0 < len(row_id) <= 32:
            return None
        async with self._sessions() as session:
            row = (await session.exec(select(HubUrl).where(HubUrl.id == row_id))).first()
        now = datetime.fromtimestamp(self._clock(), UTC)
        if row is None or row.expires_at <= now:
            return None
        return self.open(row.sealed, caller_platform_id=caller_platform_id)

    async def purge(self) -> int:
        """Drop the rows of expired hub URLs."""
        if self._sessions is None:
            return 0
        now = datetime.fromtimestamp(self._clock(), UTC)
        async with session_scope(self._sessions) as session:
            result = await session.exec(delete(HubUrl).where(col(HubUrl.expires_at) <= now))
        return int(getattr(result, "rowcount", 0) or 0)

    def open(self, sealed: str, *, caller_platform_id: int) -> ProxyTarget | None:
        """The target behind a hub URL, if it is genuine, unexpired and issued to this caller."""
        if not sealed or len(sealed) > _MAX_SEALED:
            return None
        try:
            padded = sealed + "=" * (-len(sealed) % 4)
            kind, module, url, target_id, caller_id, to_cc, to_pid, from_cc, from_pid = orjson.loads(
                self._fernet.decrypt_at_time(padded.encode("ascii"), self._ttl, int(self._clock()))
            )
        except (InvalidToken, ValueError, TypeError, UnicodeEncodeError):
            return None
        if caller_id != caller_platform_id:
            return None
        return ProxyTarget(
            kind=kind,
            module=module,
            target_url=url,
            target_platform_id=target_id,
            caller_platform_id=caller_id,
            to=PartyKey(to_cc, to_pid),
            from_=PartyKey(from_cc, from_pid),
        )
