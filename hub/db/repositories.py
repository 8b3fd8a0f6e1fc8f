"""Small async query classes. They query and flush; the caller's `session_scope` commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.models import Endpoint, Party, Platform, RegistryRevision, utcnow
from hub.types import PartyKey

__all__ = ["EndpointSpec", "PartySpec", "RegistryRepository"]


@dataclass(frozen=True, slots=True)
class PartySpec:
    """A party as declared by the operator or by a credentials role."""

    role: str
    country_code: str
    party_id: str
    business_details: dict[str, Any] | None = None

    @property
    def key(self) -> PartyKey:
        return PartyKey.of(self.country_code, self.party_id)


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    module: str
    interface_role: str
    url: str


class RegistryRepository:
    """Platforms, their parties and endpoints. Every change bumps the registry revision."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_platform(self, *, platform: Platform, parties: Iterable[PartySpec]) -> Platform:
        self.session.add(platform)
        await self.session.flush()
        assert platform.id is not None
        await self.replace_parties(platform_id=platform.id, parties=parties)
        return platform

    async def get(self, *, platform_id: int) -> Platform | None:
        return await self.session.get(Platform, platform_id)

    async def by_name(self, *, name: str) -> Platform | None:
        result = await self.session.exec(select(Platform).where(Platform.name == name))
        return result.first()

    async def all_platforms(self) -> Sequence[Platform]:
        result = await self.session.exec(select(Platform).order_by(col(Platform.id)))
        return result.all()

    async def by_token_hash(self, *, token_hash: str) -> Platform | None:
        query = select(Platform).where(
            or_(col(Platform.token_a_hash) == token_hash, col(Platform.inbound_token_hash) == token_hash)
        )
        return (await self.session.exec(query)).first()

    async def parties(self, *, platform_id: int) -> Sequence[Party]:
        query = select(Party).where(Party.platform_id == platform_id).order_by(col(Party.id))
        return (await self.session.exec(query)).all()

    async def all_parties(self) -> Sequence[Party]:
        return (await self.session.exec(select(Party).order_by(col(Party.id)))).all()

    async def parties_by_key(self, *, key: PartyKey) -> Sequence[Party]:
        query = select(Party).where(Party.country_code == key.country_code, Party.party_id == key.party_id)
        return (await self.session.exec(query)).all()

    async def endpoints(self, *, platform_id: int) -> Sequence[Endpoint]:
        query = select(Endpoint).where(Endpoint.platform_id == platform_id).order_by(col(Endpoint.id))
        return (await self.session.exec(query)).all()

    async def owners_of(self, *, keys: Iterable[PartyKey]) -> dict[PartyKey, int]:
        """Which platform serves each of these party keys (any role)."""
        found: dict[PartyKey, int] = {}
        for key in set(keys):
            for party in await self.parties_by_key(key=key):
                found[key] = party.platform_id
        return found

    async def replace_parties(self, *, platform_id: int, parties: Iterable[PartySpec]) -> None:
        await self.session.exec(delete(Party).where(col(Party.platform_id) == platform_id))
        for spec in parties:
            key = spec.key
            self.session.add(
                Party(
                    platform_id=platform_id,
                    country_code=key.country_code,
                    party_id=key.party_id,
                    role=spec.role.upper(),
                    business_details=spec.business_details,
                )
            )
        await self.session.flush()

    async def replace_endpoints(self, *, platform_id: int, endpoints: Iterable[EndpointSpec]) -> None:
        await self.session.exec(delete(Endpoint).where(col(Endpoint.platform_id) == platform_id))
        for spec in endpoints:
            self.session.add(
                Endpoint(platform_id=platform_id, module=spec.module, interface_role=spec.interface_role, url=spec.url)
            )
        await self.session.flush()

    async def save(self, platform: Platform) -> None:
        platform.updated_at = utcnow()
        self.session.add(platform)
        await self.session.flush()

    async def remove(self, *, platform_id: int) -> bool:
        platform = await self.get(platform_id=platform_id)
        if platform is None:
            return False
        await self.session.exec(delete(Endpoint).where(col(Endpoint.platform_id) == platform_id))
        await self.session.exec(delete(Party).where(col(Party.platform_id) == platform_id))
        await self.session.delete(platform)
        await self.session.flush()
        return True

    async def bump_revision(self) -> None:
        await self.session.exec(
            update(RegistryRevision)
            .where(col(RegistryRevision.id) == 1)
            .values(revision=col(RegistryRevision.revision) + 1)
        )

    async def revision(self) -> int:
        row = await self.session.get(RegistryRevision, 1)
        return row.revision if row else 0
