"""hub.db.db.in_transaction: a unit of work that lost an insert race runs once more and updates the
row the other writer committed (the mirror writer and broadcast acceptance both rely on it)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.db import SessionFactory, in_transaction, session_scope
from hub.db.models import StoredObject


def row(data: str) -> StoredObject:
    return StoredObject(
        module="locations",
        country_code="NL",
        party_id="CPA",
        object_id="LOC1",
        data={"v": data},
        last_updated=datetime(2026, 1, 1, tzinfo=UTC),
    )


async def test_a_lost_insert_race_runs_again_and_updates(db: SessionFactory) -> None:
    runs = 0

    async def upsert(session: AsyncSession) -> str:
        nonlocal runs
        runs += 1
        found = (await session.exec(select(StoredObject).where(StoredObject.object_id == "LOC1"))).first()
        if found is None:
            if runs == 1:  # another writer commits the same object between our read and our insert
                async with session_scope(db) as other:
                    other.add(row("theirs"))
            session.add(row("mine"))
            await session.flush()
            return "inserted"
        found.data = {"v": "mine"}
        session.add(found)
        return "updated"

    assert await in_transaction(db, upsert) == "updated"
    assert runs == 2
    async with db() as session:
        rows = (await session.exec(select(StoredObject))).all()
    assert [r.data for r in rows] == [{"v": "mine"}]


async def test_a_second_conflict_is_raised(db: SessionFactory) -> None:
    async with session_scope(db) as session:
        session.add(row("first"))

    async def insert_again(session: AsyncSession) -> None:
        session.add(row("again"))
        await session.flush()

    with pytest.raises(IntegrityError):
        await in_transaction(db, insert_again)
