"""Small async query classes. They query and flush; the caller's `session_scope` commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CursorResult, delete, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.models import Endpoint, Party, Platform, RegistryRevision, utcnow
from hub.types import PartyKey

__all__ = ["ClaimNeed", "EndpointSpec", "PartySpec", "RegistryRepository"]


class ClaimNeed(StrEnum):
    """What must still hold for a registration claim to be taken (checked in the same UPDATE)."""

    NOTHING = "nothing"  # the hub registers at the platform (register_with)
    TOKEN_A = "token_a"  # credentials POST: the token A is still valid
    REGISTERED = "registered"  # credentials PUT: the platform still has a credentials token
    OUTBOUND = "outbound"  # the hub updates the platform (rotation): it must hold a token for it too


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

    async def by_any_token_hash(self, *, hashes: Sequence[str]) -> Platform | None:
        """The platform holding one of these hashes (the same token under the current and the
        previous secret keys): one query, however many keys."""
        query = select(Platform).where(
            or_(col(Platform.token_a_hash).in_(hashes), col(Platform.inbound_token_hash).in_(hashes))
        )
        return (await self.session.exec(query)).first()

    async def rehash_token(self, *, old: str, new: str) -> None:
        """Replace an accepted token's hash (made under a previous secret key) by its hash under
        the current key; a no-op when another process did it first."""
        for column in (Platform.token_a_hash, Platform.inbound_token_hash):
            await self.session.exec(update(Platform).where(col(column) == old).values({column: new}))

    async def claim_registration(
        self, *, platform_id: int, at: datetime, stale_before: datetime, need: ClaimNeed
    ) -> bool:
        """Take the platform's one registration slot: a conditional UPDATE, so of any number of
        concurrent claimants (in any hub process sharing the database) exactly one wins. A claim
        older than `stale_before` was left by a caller that died and is taken over."""
        claimed = col(Platform.registration_claimed_at)
        query = (
            update(Platform)
            .where(col(Platform.id) == platform_id, or_(claimed.is_(None), claimed < stale_before))
            .values(registration_claimed_at=at)
        )
        if need is ClaimNeed.TOKEN_A:
            query = query.where(col(Platform.token_a_hash).is_not(None))
        elif need is ClaimNeed.REGISTERED:
            query = query.where(col(Platform.inbound_token_hash).is_not(None))
        elif need is ClaimNeed.OUTBOUND:
            query = query.where(
                col(Platform.inbound_token_hash).is_not(None), col(Platform.outbound_token_enc).is_not(None)
            )
        return await self._changed(query)

    async def release_registration(self, *, platform_id: int, claimed_at: datetime) -> bool:
        """Give the slot back if it is still this claim (False: it went stale and was taken over)."""
        query = (
            update(Platform)
            .where(col(Platform.id) == platform_id, col(Platform.registration_claimed_at) == claimed_at)
            .values(registration_claimed_at=None)
        )
        return await self._changed(query)

    async def sealed_tokens(self, *, after_id: int, limit: int) -> Sequence[tuple[int, str]]:
        """(platform id, outbound_token_enc) of platforms that hold one, by id, after `after_id`."""
        query = (
            select(Platform.id, Platform.outbound_token_enc)
            .where(col(Platform.id) > after_id, col(Platform.outbound_token_enc).is_not(None))
            .order_by(col(Platform.id))
            .limit(limit)
        )
        return [(int(pid), str(sealed)) for pid, sealed in (await self.session.exec(query)).all() if pid is not None]

    async def replace_sealed_token(self, *, platform_id: int, old: str, new: str) -> bool:
        """Swap a platform's sealed token only if it is still `old` (a registration may have
        replaced it meanwhile: that one is already sealed under the current key)."""
        query = (
            update(Platform)
            .where(col(Platform.id) == platform_id, col(Platform.outbound_token_enc) == old)
            .values(outbound_token_enc=new)
        )
        return await self._changed(query)

    async def _changed(self, query: Any) -> bool:
        result: CursorResult[Any] = await self.session.exec(query)
        return bool(result.rowcount == 1)

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
