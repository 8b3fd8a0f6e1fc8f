"""Queries over the store. Flushes; the caller's session_scope commits.

Personal modules (tokens, sessions, CDRs) are sealed at rest and Tokens are found by the keyed
hash of their uid (`hub.privacy.personal`): every read and write goes through `PersonalData`,
so callers keep passing and getting clear objects and ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import and_, delete, insert, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.models import StoredObject
from hub.mirror.merge import (
    OWNERSHIP_MODULES,
    STORED_MODULES,
    Outcome,
    StoreUpdate,
    apply_update,
    last_updated_of,
    session_memo,
)
from hub.observability.logging import fingerprint
from hub.privacy.personal import PersonalData
from hub.types import PartyKey

__all__ = ["StoreRepository"]

_log = structlog.get_logger("hub.mirror")
_KEPT_MODULES = STORED_MODULES | OWNERSHIP_MODULES
# candidate ids per SELECT: well under SQLite's and asyncpg's bound-parameter limits
_IN_CHUNK = 500


class StoreRepository:
    def __init__(self, session: AsyncSession, personal: PersonalData) -> None:
        self.session = session
        self._personal = personal

    async def _row(self, *, module: str, owner: PartyKey, object_id: str) -> StoredObject | None:
        """The row of this (clear) id, under the current key or a previous one."""
        query = select(StoredObject).where(
            StoredObject.module == module,
            StoredObject.country_code == owner.country_code,
            StoredObject.party_id == owner.party_id,
            col(StoredObject.object_id).in_(self._personal.object_ids(module, object_id)),
        )
        return (await self.session.exec(query)).first()

    async def apply(self, update: StoreUpdate) -> Outcome:
        """Apply a push to the store (a no-op for modules the store does not keep)."""
        return (await self.apply_many((update,)))[0]

    async def apply_many(self, updates: Sequence[StoreUpdate]) -> list[Outcome]:
        """Apply pushes in order, as `apply` one after the other would, in one SELECT and one flush.

        The group commit's work per update (`hub.mirror.writer`): the rows of every object the
        batch names are read at once, each object's changes are made in memory in arrival order
        (several pushes of one object in one batch see each other: PUT, then PATCH, then DELETE),
        and each object is sealed and written once. A deleted object that is pushed again keeps
        its row. Errors propagate (the writer reruns the batch one SAVEPOINT per update)."""
        outcomes: list[Outcome] = []
        objects: dict[tuple[str, str, str, str], _Object] = {}
        kept = [update for update in updates if _stored(update)]
        found = await self._rows_of(kept) if kept else {}
        for update in updates:
            if not _stored(update):
                outcomes.append(Outcome.NO_BASE)
                continue
            owner = PartyKey.of(update.country_code, update.party_id)
            object_id = self._personal.object_id(update.module, update.ids[0])
            key = (update.module, owner.country_code, owner.party_id, object_id)
            obj = objects.get(key)
            if obj is None:
                obj = objects[key] = self._object(update, owner, object_id, found)
            outcomes.append(self._apply_to(obj, update))
        new_rows: list[dict[str, Any]] = []
        for obj in objects.values():
            await self._write(obj, new_rows)
        await self.session.flush()
        if new_rows:  # one executemany: ORM objects would need RETURNING, row by row on SQLite
            await (await self.session.connection()).execute(insert(StoredObject), new_rows)
        return outcomes

    async def _rows_of(self, updates: Sequence[StoreUpdate]) -> dict[tuple[str, str, str, str], StoredObject]:
        """The existing rows of these updates' objects, by (module, cc, party, stored object_id):
        one SELECT per `_IN_CHUNK` candidate ids, the batch grouped by module and owner."""
        groups: dict[tuple[str, str, str], set[str]] = {}
        for update in updates:
            candidates = self._personal.object_ids(update.module, update.ids[0])
            groups.setdefault((update.module, update.country_code, update.party_id), set()).update(candidates)
        conditions: list[list[Any]] = [[]]
        size = 0
        for (module, cc, pid), ids in groups.items():
            ordered = sorted(ids)
            for at in range(0, len(ordered), _IN_CHUNK):
                chunk = ordered[at : at + _IN_CHUNK]
                if size + len(chunk) > _IN_CHUNK and conditions[-1]:
                    conditions.append([])
                    size = 0
                conditions[-1].append(
                    and_(
                        col(StoredObject.module) == module,
                        col(StoredObject.country_code) == cc,
                        col(StoredObject.party_id) == pid,
                        col(StoredObject.object_id).in_(chunk),
                    )
                )
                size += len(chunk)
        rows: dict[tuple[str, str, str, str], StoredObject] = {}
        for where in conditions:
            query = select(StoredObject).where(or_(*where) if len(where) > 1 else where[0])
            for row in (await self.session.exec(query)).all():
                rows[(row.module, row.country_code, row.party_id, row.object_id)] = row
        return rows

    def _object(
        self,
        update: StoreUpdate,
        owner: PartyKey,
        object_id: str,
        found: dict[tuple[str, str, str, str], StoredObject],
    ) -> _Object:
        """One object as the batch starts: its row under the current key, else a previous key,
        else its clear id (`PersonalData.object_ids`, in that order)."""
        module = update.module
        for candidate in self._personal.object_ids(module, update.ids[0]):
            row = found.get((module, owner.country_code, owner.party_id, candidate))
            if row is not None:
                kept = module not in OWNERSHIP_MODULES or update.memo  # a Session's memo
                data = self._personal.open(module, row.data) if kept else None
                return _Object(module, owner, object_id, row, True, data, row.last_updated)
        return _Object(module, owner, object_id, None, False, None, None)

    def _apply_to(self, obj: _Object, update: StoreUpdate) -> Outcome:
        """One update on the in-memory object (what `apply` did on its row)."""
        if update.module in OWNERSHIP_MODULES:
            if update.memo:
                memo = session_memo(obj.data if obj.exists else None, update)
                if memo != obj.data:
                    obj.data, obj.changed = memo, True
            if not obj.exists:
                obj.exists, obj.changed, obj.last_updated = True, True, datetime.now(UTC)
            return Outcome.APPLIED
        try:
            outcome, data = apply_update(obj.data if obj.exists else None, update)
        except RecursionError:  # absurdly nested (unknown) fields: skip this one, keep the batch
            _log.warning("store_update_too_deep", module=update.module, owner=str(obj.owner))
            return Outcome.NO_BASE
        if outcome is Outcome.DELETED:
            if obj.exists:
                obj.exists, obj.changed, obj.data = False, True, None
        elif outcome is Outcome.APPLIED and data is not None:
            fallback = obj.last_updated if obj.exists else None
            obj.last_updated = last_updated_of(data) or fallback or datetime.now(UTC)
            obj.exists, obj.changed, obj.data = True, True, data
            _log.debug(
                "store_updated", module=update.module, owner=str(obj.owner), object=fingerprint(update.ids[0].upper())
            )
        else:
            _log.info("store_update_not_applied", module=update.module, outcome=outcome.value, owner=str(obj.owner))
        return outcome

    async def _write(self, obj: _Object, new_rows: list[dict[str, Any]]) -> None:
        """The object's final state into the session, or into `new_rows` (flushed by the caller)."""
        if not obj.changed:
            return
        row = obj.row
        if not obj.exists:
            if row is not None:
                await self.session.delete(row)
            return
        stored = self._personal.seal(obj.module, obj.data)
        assert obj.last_updated is not None  # set whenever the object comes to exist
        if row is None:
            new_rows.append(
                {
                    "module": obj.module,
                    "country_code": obj.owner.country_code,
                    "party_id": obj.owner.party_id,
                    "object_id": obj.object_id,
                    "data": stored,
                    "last_updated": obj.last_updated,
                }
            )
            return
        row.data = stored
        row.object_id = obj.object_id  # a row found under a previous key moves to the current one
        row.last_updated = obj.last_updated
        self.session.add(row)

    async def owner_of(self, *, module: str, object_id: str) -> PartyKey | None:
        query = select(StoredObject.country_code, StoredObject.party_id).where(
            StoredObject.module == module,
            col(StoredObject.object_id).in_(self._personal.object_ids(module, object_id)),
        )
        owners = {PartyKey.of(cc, pid) for cc, pid in (await self.session.exec(query.limit(2))).all()}
        # An id two parties use says nothing about who should receive: no guess.
        return owners.pop() if len(owners) == 1 else None

    async def get(self, *, module: str, owner: PartyKey, object_id: str) -> dict[str, Any] | None:
        row = await self._row(module=module, owner=owner, object_id=object_id)
        return self._personal.open(module, row.data) if row else None

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
        by_id = {r.id: self._personal.open(r.module, r.data) for r in rows}
        return [by_id[i] for i in ids if by_id.get(i) is not None]  # type: ignore[misc]

    async def forget_owner(self, *, owner: PartyKey) -> None:
        await self.session.exec(
            delete(StoredObject).where(
                col(StoredObject.country_code) == owner.country_code, col(StoredObject.party_id) == owner.party_id
            )
        )


def _stored(update: StoreUpdate) -> bool:
    return update.module in _KEPT_MODULES and bool(update.ids)


@dataclass(slots=True)
class _Object:
    """One stored object while a batch is applied: its row as read (None: none yet), whether it
    exists after the updates so far, its clear data and `last_updated`."""

    module: str
    owner: PartyKey
    object_id: str  # as stored under the current key
    row: StoredObject | None
    exists: bool
    data: dict[str, Any] | None
    last_updated: datetime | None
    changed: bool = False
