"""hub.mirror.repository.StoreRepository.apply_many: a batch of pushes in one SELECT and one flush
means the same as applying them one by one, in order (the group commit's path, hub.mirror.writer),
on SQLite and PostgreSQL: several pushes of one object in one batch see each other, two owners
of one id stay apart, Tokens stay sealed and keyed by hash, a row under a previous key moves."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from hub.db.db import SessionFactory, session_scope
from hub.db.models import StoredObject
from hub.mirror.merge import Outcome, StoreUpdate
from hub.mirror.repository import StoreRepository
from hub.privacy.personal import PersonalData
from hub.settings import Settings
from hub.token_vault import TokenVault
from hub.types import PartyKey

T1, T2, T3 = (f"2026-01-01T0{h}:00:00Z" for h in (1, 2, 3))
CPA, CPB = PartyKey("NL", "CPA"), PartyKey("NL", "CPB")
UID = "UIDSECRET77"


def location(owner: PartyKey, object_id: str, at: str = T1, **extra: Any) -> dict[str, Any]:
    body = {"country_code": owner.country_code, "party_id": owner.party_id, "id": object_id, "name": "Station"}
    return body | {"last_updated": at, "evses": []} | extra


def push(
    owner: PartyKey, method: str, body: Any, *ids: str, module: str = "locations", memo: bool = False
) -> StoreUpdate:
    return StoreUpdate(module, method, owner.country_code, owner.party_id, ids, body, memo)


def personal_of(settings: Settings) -> PersonalData:
    return PersonalData.from_settings(settings, TokenVault(settings.secret_key))


async def batch(db: SessionFactory, personal: PersonalData, updates: list[StoreUpdate]) -> list[Outcome]:
    async with session_scope(db) as session:
        return await StoreRepository(session, personal).apply_many(updates)


async def one_by_one(db: SessionFactory, personal: PersonalData, updates: list[StoreUpdate]) -> list[Outcome]:
    async with session_scope(db) as session:
        repo = StoreRepository(session, personal)
        return [await repo.apply(update) for update in updates]


async def stored(db: SessionFactory, personal: PersonalData, module: str, owner: PartyKey, oid: str) -> Any:
    async with db() as session:
        return await StoreRepository(session, personal).get(module=module, owner=owner, object_id=oid)


async def rows(db: SessionFactory) -> list[StoredObject]:
    async with db() as session:
        return list((await session.exec(select(StoredObject).order_by(col(StoredObject.id)))).all())


async def test_put_patch_delete_of_one_object_in_one_batch(hub_settings: Settings, db: SessionFactory) -> None:
    personal = personal_of(hub_settings)
    outcomes = await batch(
        db,
        personal,
        [
            push(CPA, "PUT", location(CPA, "LOC1"), "LOC1"),
            push(CPA, "PATCH", {"name": "Patched", "last_updated": T2}, "LOC1"),
            push(CPA, "PUT", {"uid": "E1", "status": "AVAILABLE", "last_updated": T3}, "LOC1", "E1"),
            push(CPA, "DELETE", None, "LOC1"),
            push(CPA, "PUT", location(CPA, "LOC2"), "LOC2"),
            push(CPA, "PATCH", {"name": "Kept", "last_updated": T2}, "LOC2"),
            push(CPA, "PATCH", {"name": "Stale", "last_updated": T1}, "LOC2"),  # older than the PATCH before
            push(CPA, "PATCH", {"name": "Nothing", "last_updated": T2}, "LOC3"),  # never seen
        ],
    )
    assert outcomes == [
        Outcome.APPLIED,
        Outcome.APPLIED,
        Outcome.APPLIED,
        Outcome.DELETED,
        Outcome.APPLIED,
        Outcome.APPLIED,
        Outcome.STALE,
        Outcome.NO_BASE,
    ]
    assert await stored(db, personal, "locations", CPA, "LOC1") is None
    assert await stored(db, personal, "locations", CPA, "LOC2") == location(CPA, "LOC2", at=T2, name="Kept")
    assert [(r.object_id, r.last_updated.isoformat()[:19]) for r in await rows(db)] == [("LOC2", "2026-01-01T02:00:00")]

    # an object stored before the batch: PATCH, DELETE, PUT again, then an EVSE under it
    outcomes = await batch(
        db,
        personal,
        [
            push(CPA, "PATCH", {"name": "Again", "last_updated": T3}, "LOC2"),
            push(CPA, "DELETE", None, "LOC2"),
            push(CPA, "PATCH", {"name": "Gone", "last_updated": T3}, "LOC2"),
            push(CPA, "PUT", location(CPA, "LOC2", name="Back"), "LOC2"),
            push(CPA, "PUT", {"uid": "E1", "status": "AVAILABLE", "last_updated": T3}, "LOC2", "E1"),
        ],
    )
    assert outcomes == [Outcome.APPLIED, Outcome.DELETED, Outcome.NO_BASE, Outcome.APPLIED, Outcome.APPLIED]
    back = await stored(db, personal, "locations", CPA, "LOC2")
    assert back["name"] == "Back" and back["evses"][0]["uid"] == "E1" and back["last_updated"] == T3
    assert len(await rows(db)) == 1


async def test_two_owners_of_one_id_stay_apart(hub_settings: Settings, db: SessionFactory) -> None:
    personal = personal_of(hub_settings)
    outcomes = await batch(
        db,
        personal,
        [
            push(CPA, "PUT", location(CPA, "SAME"), "SAME"),
            push(CPB, "PUT", location(CPB, "SAME"), "SAME"),
            push(CPA, "PATCH", {"name": "A only", "last_updated": T2}, "SAME"),
            push(CPB, "DELETE", None, "SAME"),
            push(CPA, "DELETE", None, "SAME", module="sessions"),  # ownership module: the owner is kept
            push(CPB, "PUT", {"id": "SAME"}, "SAME", module="sessions"),
            push(CPB, "PATCH", {"kwh": 1}, "SAME", module="sessions"),
        ],
    )
    assert outcomes == [Outcome.APPLIED] * 3 + [Outcome.DELETED] + [Outcome.APPLIED] * 3
    assert (await stored(db, personal, "locations", CPA, "SAME"))["name"] == "A only"
    assert await stored(db, personal, "locations", CPB, "SAME") is None
    kept = sorted((r.module, r.party_id, r.object_id, r.data) for r in await rows(db))
    assert kept == [
        ("locations", "CPA", "SAME", location(CPA, "SAME", at=T2, name="A only")),
        ("sessions", "CPA", "SAME", None),
        ("sessions", "CPB", "SAME", None),
    ]


async def test_a_batch_stores_what_one_by_one_stores(hub_settings: Settings, db: SessionFactory) -> None:
    """The same pushes for owner CPA in one batch and for CPB one at a time end in the same data."""
    personal = personal_of(hub_settings)

    def pushes(owner: PartyKey) -> list[StoreUpdate]:
        return [
            push(owner, "PUT", location(owner, "L1"), "L1"),
            push(owner, "PUT", {"uid": "E1", "status": "AVAILABLE", "last_updated": T2}, "L1", "E1"),
            push(owner, "PATCH", {"status": "CHARGING", "last_updated": T3}, "L1", "E1"),
            push(owner, "PUT", location(owner, "L2"), "L2"),
            push(owner, "DELETE", None, "L2"),
            push(owner, "PATCH", {"name": "late", "last_updated": T3}, "L2"),
            push(owner, "PUT", {"uid": UID, "valid": True, "last_updated": T1}, UID, module="tokens"),
            push(owner, "PATCH", {"valid": False, "last_updated": T2}, UID.lower(), module="tokens"),
        ]

    assert await batch(db, personal, pushes(CPA)) == await one_by_one(db, personal, pushes(CPB))
    for module, oid in (("locations", "L1"), ("locations", "L2"), ("tokens", UID)):
        a = await stored(db, personal, module, CPA, oid)
        b = await stored(db, personal, module, CPB, oid)
        assert (a is None) == (oid == "L2")
        assert a == (b if b is None else b | {"party_id": "CPA"} if module == "locations" else b)
    assert (await stored(db, personal, "locations", CPA, "L1"))["evses"][0]["status"] == "CHARGING"
    token = await stored(db, personal, "tokens", CPA, UID)
    assert token == {"uid": UID, "valid": False, "last_updated": T2}
    token_rows = [r for r in await rows(db) if r.module == "tokens"]
    assert len(token_rows) == 2 and all(UID not in str(r.data) + r.object_id for r in token_rows)
    assert {r.object_id for r in token_rows} == {personal.pseudonym(UID)}


async def test_a_token_under_a_previous_key_moves_to_the_current_one(
    hub_settings: Settings, db: SessionFactory
) -> None:
    old, new = hub_settings.secret_key, "a brand new secret key of 32 chars"
    before = personal_of(hub_settings)
    after = PersonalData(TokenVault(new, previous=[old]), secret_key=new, previous_secret_keys=[old])
    token = {"uid": "UID9", "valid": True, "last_updated": T1}
    await batch(db, before, [push(CPA, "PUT", token, "UID9", module="tokens")])
    outcomes = await batch(
        db,
        after,
        [
            push(CPA, "PATCH", {"valid": False, "last_updated": T2}, "uid9", module="tokens"),
            push(CPA, "PATCH", {"whitelist": "NEVER", "last_updated": T3}, "UID9", module="tokens"),
        ],
    )
    assert outcomes == [Outcome.APPLIED, Outcome.APPLIED]
    (row,) = await rows(db)
    assert row.object_id == after.pseudonym("UID9") != before.pseudonym("UID9")
    assert await stored(db, after, "tokens", CPA, "UID9") == {
        "uid": "UID9",
        "valid": False,
        "whitelist": "NEVER",
        "last_updated": T3,
    }


async def test_a_session_keeps_its_tokens_party_and_its_periods_appended(
    hub_settings: Settings, db: SessionFactory
) -> None:
    """The Session memo a 2.1.1 party is bridged with (hub.editions): PUT replaces, PATCH appends
    the charging periods and keeps the token's party; nothing else of the Session is kept, and
    of a Session between two 2.2.1 parties only its owner (no memo)."""
    personal = personal_of(hub_settings)
    token = {"country_code": "DE", "party_id": "EMS", "uid": "U1", "type": "RFID", "contract_id": "DE-EMS-C1"}
    first, second = ({"start_date_time": t, "dimensions": [{"type": "ENERGY", "volume": 1}]} for t in (T1, T2))
    await batch(
        db,
        personal,
        [
            push(
                CPA,
                "PUT",
                {"id": "S1", "cdr_token": token, "kwh": 0, "charging_periods": [first]},
                "S1",
                module="sessions",
                memo=True,
            ),
            push(
                CPA,
                "PATCH",
                {"kwh": 2, "charging_periods": [second], "last_updated": T2},
                "S1",
                module="sessions",
                memo=True,
            ),
        ],
    )
    memo = await stored(db, personal, "sessions", CPA, "S1")
    assert memo == {"cdr_token": {"country_code": "DE", "party_id": "EMS"}, "charging_periods": [first, second]}
    (row,) = await rows(db)
    assert "EMS" not in str(row.data)  # sealed at rest like every Session row
    await batch(db, personal, [push(CPB, "PUT", {"id": "S2", "cdr_token": token, "kwh": 0}, "S2", module="sessions")])
    assert await stored(db, personal, "sessions", CPB, "S2") is None
