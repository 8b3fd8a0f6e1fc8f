"""Queries over the store. Flushes; the caller's session_scope commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.models import StoredObject
from hub.mirror.merge import OWNERSHIP_MODULES, STORED_MODULES, Outcome, StoreUpdate, apply_update, last_updated_of
from hub.types import PartyKey

__all__ = ["StoreRepository"]

_log = structlog.get_logger("hub.mirror")


class StoreRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _row(self, *, module: str, owner: PartyKey, object_id: str) -> StoredObject | None:
        query = select(StoredObject).where(
            StoredObject.module == module,
            StoredObject.country_code == owner.country_code,
            StoredObject.party_id == owner.party_id,
            StoredObject.object_id == object_id,
        )
        return (await self.session.exec(query)).first()

    async def apply(self, update: StoreUpdate) -> Outcome:
        """Apply a push to the store (a no-op for modules the store does not keep)."""
        if update.module not in STORED_MODULES | OWNERSHIP_MODULES or not update.ids:
            return Outcome.NO_BASE
        owner = PartyKey.of(update.country_code, update.party_id)
        object_id = update.ids[0].upper()
        row = await self._row(module=update.module, owner=owner, object_id=object_id)
        if update.module in OWNERSHIP_MODULES:
            if row is None:
                self.session.add(_new_row(update.module, owner, object_id, None))
            return Outcome.APPLIED
        try:
            outcome, data = apply_update(row.data if row else None, update)
        except RecursionError:  # absurdly nested (unknown) fields: skip this one, keep the batch
            _log.warning("store_update_too_deep", module=update.module, owner=str(owner))
            return Outcome.NO_BASE
        if outcome is Outcome.DELETED:
            if row is not None:
                await self.session.delete(row)
        elif outcome is Outcome.APPLIED and data is not None:
            if row is None:
                self.session.add(_new_row(update.module, owner, object_id, data))
            else:
                row.data = data
                row.last_updated = last_updated_of(data) or row.last_updated
                self.session.add(row)
        else:
            _log.info("store_update_not_applied", module=update.module, outcome=outcome.value, owner=str(owner))
        await self.session.flush()
        return outcome

    async def owner_of(self, *, module: str, object_id: str) -> PartyKey | None:
        query = select(StoredObject.country_code, StoredObject.party_id).where(
            StoredObject.module == module, StoredObject.object_id == object_id.upper()
        )
        owners = {PartyKey.of(cc, pid) for cc, pid in (await self.session.exec(query.limit(2))).all()}
        # An id two parties use says nothing about who should receive: no guess.
        return owners.pop() if len(owners) == 1 else None

    async def get(self, *, module: str, owner: PartyKey, object_id: str) -> dict[str, Any] | None:
        row = await self._row(module=module, owner=owner, object_id=object_id.upper())
        return row.data if row else None

    async def listing(
        self, *, module: str, date_from: datetime | None, date_to: datetime | None
    ) -> Sequence[tuple[int, str, str]]:
        """(id, country_code, party_id) of stored objects in a date window, oldest first."""
        query = select(StoredObject.id, StoredObject.country_code, StoredObject.party_id).where(
            StoredObject.module == module, col(StoredObject.data).is_not(None)
        )
        if date_from is not None:
            query = query.where(col(StoredObject.last_updated) >= date_from)
        if date_to is not None:
            query = query.where(col(StoredObject.last_updated) < date_to)
        query = query.order_by(col(StoredObject.last_updated), col(StoredObject.id))
        return [(int(i or 0), cc, pid) for i, cc, pid in (await self.session.exec(query)).all()]

    async def data_of(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        if not ids:
            return []
        rows = (await self.session.exec(select(StoredObject).where(col(StoredObject.id).in_(ids)))).all()
        by_id = {r.id: r.data for r in rows}
        return [by_id[i] for i in ids if by_id.get(i) is not None]  # type: ignore[misc]

    async def forget_owner(self, *, owner: PartyKey) -> None:
        await self.session.exec(
            delete(StoredObject).where(
                col(StoredObject.country_code) == owner.country_code, col(StoredObject.party_id) == owner.party_id
            )
        )


def _new_row(module: str, owner: PartyKey, object_id: str, data: dict[str, Any] | None) -> StoredObject:
    return StoredObject(
        module=module,
        country_code=owner.country_code,
        party_id=owner.party_id,
        object_id=object_id,
        data=data,
        last_updated=last_updated_of(data) or datetime.now(UTC),
    )
