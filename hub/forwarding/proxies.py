"""Hub URLs that stand in for URLs a party cannot reach, stored in SQL with an expiry so any
hub process can serve them (requirements §3.9, checklist F 60-63)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import col

from hub.db.db import SessionFactory, session_scope
from hub.db.models import ProxyUrl, utcnow
from hub.types import PartyKey

__all__ = ["ProxyKind", "ProxyStore", "ProxyTarget"]


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


class ProxyStore:
    def __init__(self, *, sessions: SessionFactory, public_url: str, ttl_seconds: int) -> None:
        self._sessions = sessions
        self._public_url = public_url
        self._ttl = timedelta(seconds=ttl_seconds)

    def url_for(self, version: str, proxy_id: str) -> str:
        return f"{self._public_url}/ocpi/{version}/proxy/{proxy_id}"

    async def create(self, target: ProxyTarget, *, version: str) -> str:
        proxy_id = secrets.token_urlsafe(24)
        async with session_scope(self._sessions) as session:
            session.add(
                ProxyUrl(
                    id=proxy_id,
                    kind=target.kind,
                    module=target.module,
                    target_url=target.target_url,
                    target_platform_id=target.target_platform_id,
                    caller_platform_id=target.caller_platform_id,
                    to_country_code=target.to.country_code,
                    to_party_id=target.to.party_id,
                    from_country_code=target.from_.country_code,
                    from_party_id=target.from_.party_id,
                    expires_at=utcnow() + self._ttl,
                )
            )
        return self.url_for(version, proxy_id)

    async def resolve(self, proxy_id: str, *, caller_platform_id: int) -> ProxyTarget | None:
        """The target behind a hub URL, if it exists, has not expired and belongs to this caller."""
        if len(proxy_id) > 43:
            return None
        async with self._sessions() as session:
            row = await session.get(ProxyUrl, proxy_id)
        if row is None or row.caller_platform_id != caller_platform_id:
            return None
        if row.expires_at < utcnow():
            return None
        return ProxyTarget(
            kind=row.kind,
            module=row.module,
            target_url=row.target_url,
            target_platform_id=row.target_platform_id,
            caller_platform_id=row.caller_platform_id,
            to=PartyKey.of(row.to_country_code, row.to_party_id),
            from_=PartyKey.of(row.from_country_code, row.from_party_id),
        )

    async def purge_expired(self) -> int:
        async with session_scope(self._sessions) as session:
            result = await session.exec(delete(ProxyUrl).where(col(ProxyUrl.expires_at) < utcnow()))
        return int(getattr(result, "rowcount", 0) or 0)
