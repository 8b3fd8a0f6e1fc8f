"""Personal and payment data at rest (issue 13 item 6), on SQLite and PostgreSQL.

Tokens, Sessions and CDRs pushed through the hub (broadcast and routed) leave nothing readable in
a database dump (uid, contract_id, visual_number, cdr_token, costs), while GET All and Open
Routing by uid keep working; `erase_token` removes a token everywhere; `prune` drops stored
sessions and CDRs past their retention; `reencrypt_store` moves everything to a new key.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select
from starlette.applications import Starlette

from hub.db.db import SessionFactory, session_scope
from hub.db.models import StoredObject, utcnow
from hub.mirror.repository import StoreRepository
from hub.privacy.erase import ERASED, erase_token
from hub.privacy.personal import PersonalData
from hub.privacy.rekey import reencrypt_store
from hub.privacy.retention import prune
from hub.settings import Settings
from hub.token_vault import TokenVault
from hub.types import PartyKey
from tests.conftest import StartFake
from tests.drain import outbox_drained
from tests.helpers import HUB_URL

V = f"{HUB_URL}/ocpi/2.2.1"
HUB = ("NL", "HUB")
EMSP = PartyKey("DE", "EMS")
STAMP = "2026-01-01T00:00:00Z"
BROADCAST_UID, ROUTED_UID = "uidsecretb01", "UIDSECRETR02"
COST = "987.65"


def token(uid: str) -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "EMS",
        "uid": uid,
        "type": "RFID",
        "contract_id": f"DE-EMS-CONTRACT-{uid}",
        "visual_number": f"VISUAL-{uid}",
        "issuer": "Issuer",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": STAMP,
    }


def cdr_token(uid: str) -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "EMS",
        "uid": uid,
        "type": "RFID",
        "contract_id": f"DE-EMS-CONTRACT-{uid}",
    }


def session(session_id: str, uid: str) -> dict[str, Any]:
    return {
        "country_code": "NL",
        "party_id": "CPA",
        "id": session_id,
        "start_date_time": STAMP,
        "kwh": 1.5,
        "cdr_token": cdr_token(uid),
        "auth_method": "WHITELIST",
        "location_id": "LOC1",
        "evse_uid": "EVSE1",
        "connector_id": "1",
        "currency": "EUR",
        "total_cost": {"excl_vat": float(COST)},
        "status": "ACTIVE",
        "last_updated": STAMP,
    }


def cdr(cdr_id: str, uid: str) -> dict[str, Any]:
    return {
        "country_code": "NL",
        "party_id": "CPA",
        "id": cdr_id,
        "start_date_time": STAMP,
        "end_date_time": "2026-01-01T01:00:00Z",
        "cdr_token": cdr_token(uid),
        "auth_method": "WHITELIST",
        "cdr_location": {
            "id": "LOC1",
            "address": "Street 1",
            "city": "Town",
            "country": "NLD",
            "coordinates": {"latitude": "52.000000", "longitude": "4.000000"},
            "evse_uid": "EVSE1",
            "evse_id": "NL*CPA*E1",
            "connector_id": "1",
            "connector_standard": "IEC_62196_T2",
            "connector_format": "SOCKET",
            "connector_power_type": "AC_3_PHASE",
        },
        "currency": "EUR",
        "charging_periods": [{"start_date_time": STAMP, "dimensions": [{"type": "ENERGY", "volume": 1.5}]}],
        "total_cost": {"excl_vat": float(COST)},
        "total_energy": 1.5,
        "total_time": 1.0,
        "last_updated": STAMP,
    }


def personal_of(settings: Settings) -> PersonalData:
    return PersonalData.from_settings(settings, TokenVault(settings.secret_key))


async def dump(db: SessionFactory) -> str:
    """Every row of the tables that may hold pushed objects, read with plain SQL."""
    lines = []
    async with db() as s:
        for table in ("stored_object", "broadcast", "outbox_message"):
            rows = (await (await s.connection()).execute(text(f"SELECT * FROM {table}"))).all()  # noqa: S608 - fixed names
            lines += [f"{table}: {tuple(row)}" for row in rows]
    return "\n".join(lines)


def secrets_of(uid: str) -> list[str]:
    return [uid, uid.upper(), uid.lower(), f"DE-EMS-CONTRACT-{uid}", f"VISUAL-{uid}"]


async def connect_three(connect_fake: StartFake) -> tuple[Any, Any, Any]:
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    emsp = await connect_fake([("EMSP", "DE", "EMS")])
    auditor = await connect_fake([("CPO", "BE", "CPB")])  # reads GET All; receives the broadcast
    for uid in (BROADCAST_UID, ROUTED_UID):
        emsp.add_object("tokens", token(uid))  # answers authorize (Open Routing)
    return cpo, emsp, auditor


async def push_personal_data(hub_app: Starlette, db: SessionFactory, cpo: Any, emsp: Any) -> None:
    """A broadcast Token, a routed Token, a routed Session and a routed CDR, all accepted."""
    pushed = [
        await emsp.request_hub("PUT", f"{V}/receiver/tokens/DE/EMS/{BROADCAST_UID}", json=token(BROADCAST_UID), to=HUB),
        await emsp.request_hub(
            "PUT", f"{V}/receiver/tokens/DE/EMS/{ROUTED_UID}", json=token(ROUTED_UID), to=("NL", "CPA")
        ),
        await cpo.request_hub(
            "PUT", f"{V}/receiver/sessions/NL/CPA/SES1", json=session("SES1", ROUTED_UID), to=("DE", "EMS")
        ),
        await cpo.request_hub("POST", f"{V}/receiver/cdrs", json=cdr("CDR1", ROUTED_UID), to=("DE", "EMS")),
    ]
    for answer in pushed:
        assert answer.json()["status_code"] == 1000, answer.text
    await hub_app.state.hub.store_writer.drain()
    await outbox_drained(db)


async def authorize(cpo: Any, uid: str) -> Any:
    headers = {"OCPI-from-country-code": "NL", "OCPI-from-party-id": "CPA"}
    return await cpo.request_hub("POST", f"{V}/sender/tokens/{uid}/authorize", params={"type": "RFID"}, headers=headers)


async def test_tokens_sessions_cdrs_unreadable_in_a_dump_and_still_served(
    connect_fake: StartFake, hub_app: Starlette, db: SessionFactory
) -> None:
    cpo, emsp, auditor = await connect_three(connect_fake)
    await push_personal_data(hub_app, db, cpo, emsp)
    # the broadcast reached the other CPO: the sealed outbox row was opened to send it
    got = [r for r in auditor.received(module="tokens") if r.method == "PUT"]
    assert [r.path.rsplit("/", 1)[-1] for r in got] == [BROADCAST_UID]
    assert got[0].json["contract_id"] == f"DE-EMS-CONTRACT-{BROADCAST_UID}"

    raw = await dump(db)
    assert "stored_object: " in raw and "outbox_message: " in raw  # rows are there ...
    for uid in (BROADCAST_UID, ROUTED_UID):
        for secret in secrets_of(uid):
            assert secret not in raw, secret  # ... but say nothing personal
    assert COST not in raw and "excl_vat" not in raw

    # GET All from the store and Open Routing by uid still work
    listed = await auditor.request_hub("GET", f"{V}/sender/tokens", to=HUB)
    assert sorted(o["uid"] for o in listed.json()["data"]) == sorted([BROADCAST_UID, ROUTED_UID]), listed.text
    assert {o["visual_number"] for o in listed.json()["data"]} == {f"VISUAL-{BROADCAST_UID}", f"VISUAL-{ROUTED_UID}"}
    for uid in (BROADCAST_UID, ROUTED_UID):
        answer = await authorize(cpo, uid)
        assert answer.json()["status_code"] == 1000, answer.text
        assert answer.headers["ocpi-from-party-id"] == "EMS"
    # ids are matched case-insensitively, as before: routed to the owner (who knows no such uid)
    assert (await authorize(cpo, ROUTED_UID.lower())).headers["ocpi-from-party-id"] == "EMS"


async def test_erase_token_removes_it_everywhere(
    connect_fake: StartFake, hub_app: Starlette, db: SessionFactory, hub_settings: Settings
) -> None:
    cpo, emsp, auditor = await connect_three(connect_fake)
    await push_personal_data(hub_app, db, cpo, emsp)
    personal = personal_of(hub_settings)
    # a store that keeps a Session in full (sealed) has it scrubbed, not deleted
    async with session_scope(db) as s:
        stored = personal.seal("sessions", session("SES2", BROADCAST_UID))
        s.add(
            StoredObject(
                module="sessions",
                country_code="NL",
                party_id="CPA",
                object_id="SES2",
                data=stored,
                last_updated=utcnow(),
            )
        )

    report = await erase_token(db, personal, owner=EMSP, uid=BROADCAST_UID.upper())
    # one broadcast row, one outbox row per receiving CPO (NL*CPA, BE*CPB)
    assert (report.tokens, report.sessions, report.broadcasts, report.outbox) == (1, 1, 1, 2), report

    # opened with the hub's keys, nothing left carries the uid or the contract id
    opened = []
    async with db() as s:
        for row in (await (await s.connection()).execute(text("SELECT module, data FROM stored_object"))).all():
            data = json.loads(row[1]) if isinstance(row[1], str) else row[1]
            opened.append(str(personal.open(row[0], data)))
        opened += [
            str(personal.open_text(r[0])) + str(personal.open_text(r[1]))
            for table in ("broadcast", "outbox_message")
            for r in (await (await s.connection()).execute(text(f"SELECT rest, body FROM {table}"))).all()  # noqa: S608
        ]
    clear = "\n".join(opened)
    for secret in secrets_of(BROADCAST_UID):
        assert secret not in clear, secret
    assert ERASED in clear and "SES2" in clear  # the session stays, scrubbed
    assert ROUTED_UID in clear  # the other token is untouched
    for secret in secrets_of(BROADCAST_UID):
        assert secret not in await dump(db)

    # the erased token is gone from GET All and from Open Routing; the other one is not
    listed = await auditor.request_hub("GET", f"{V}/sender/tokens", to=HUB)
    assert [o["uid"] for o in listed.json()["data"]] == [ROUTED_UID], listed.text
    assert (await authorize(cpo, BROADCAST_UID)).json()["status_code"] == 4001
    assert (await authorize(cpo, ROUTED_UID)).json()["status_code"] == 1000
    # erasing again finds nothing
    again = await erase_token(db, personal, owner=EMSP, uid=BROADCAST_UID)
    assert (again.tokens, again.sessions, again.broadcasts, again.outbox) == (0, 0, 0, 0)


async def test_prune_drops_old_sessions_and_cdrs_and_keeps_recent_ones(
    connect_fake: StartFake, hub_app: Starlette, db: SessionFactory
) -> None:
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    await connect_fake([("EMSP", "DE", "EMS")])
    for sid in ("OLDSES", "NEWSES"):
        answer = await cpo.request_hub(
            "PUT", f"{V}/receiver/sessions/NL/CPA/{sid}", json=session(sid, ROUTED_UID), to=("DE", "EMS")
        )
        assert answer.json()["status_code"] == 1000, answer.text
    for cid in ("OLDCDR", "NEWCDR"):
        answer = await cpo.request_hub("POST", f"{V}/receiver/cdrs", json=cdr(cid, ROUTED_UID), to=("DE", "EMS"))
        assert answer.json()["status_code"] == 1000, answer.text
    await hub_app.state.hub.store_writer.drain()
    now = utcnow()
    ages = {"OLDSES": 31, "NEWSES": 29, "OLDCDR": 101, "NEWCDR": 99}
    async with session_scope(db) as s:
        for row in (await s.exec(select(StoredObject).where(col(StoredObject.object_id).in_(ages)))).all():
            row.last_updated = now - timedelta(days=ages[row.object_id])
            s.add(row)

    async def kept() -> set[str]:
        async with db() as s:
            rows = await (await s.connection()).execute(text("SELECT object_id FROM stored_object"))
            return {r[0] for r in rows.all()}

    assert await prune(db, sessions_days=0, cdrs_days=0, now=now) == {"sessions": 0, "cdrs": 0}  # 0 keeps
    assert await kept() >= {"OLDSES", "NEWSES", "OLDCDR", "NEWCDR"}
    assert await prune(db, sessions_days=30, cdrs_days=100, now=now) == {"sessions": 1, "cdrs": 1}
    assert {"OLDSES", "OLDCDR"}.isdisjoint(await kept())
    assert await kept() >= {"NEWSES", "NEWCDR"}


async def test_reencrypt_store_moves_every_row_to_the_new_key(
    connect_fake: StartFake, hub_app: Starlette, db: SessionFactory, hub_settings: Settings
) -> None:
    cpo, emsp, auditor = await connect_three(connect_fake)
    await push_personal_data(hub_app, db, cpo, emsp)
    old, new = hub_settings.secret_key, "a brand new secret key of 32 chars"
    rotated = PersonalData(TokenVault(new, previous=[old]), secret_key=new, previous_secret_keys=[old])
    only_new = PersonalData(TokenVault(new), secret_key=new)

    async def owner(personal: PersonalData, uid: str) -> PartyKey | None:
        async with db() as s:
            return await StoreRepository(s, personal).owner_of(module="tokens", object_id=uid)

    assert await owner(rotated, BROADCAST_UID) == EMSP  # found under the previous key meanwhile
    assert await owner(only_new, BROADCAST_UID) is None
    before = await dump(db)

    assert await reencrypt_store(db, rotated) >= 2 + 1 + 2  # 2 tokens, 1 broadcast, 2 outbox rows
    after = await dump(db)
    assert after != before
    for uid in (BROADCAST_UID, ROUTED_UID):
        assert await owner(only_new, uid) == EMSP
        for secret in secrets_of(uid):
            assert secret not in after
    async with db() as s:
        stored = await StoreRepository(s, only_new).get(module="tokens", owner=EMSP, object_id=ROUTED_UID)
        rows = (
            await (await s.connection()).execute(text("SELECT rest, body FROM outbox_message WHERE module = 'tokens'"))
        ).all()
    assert stored is not None and stored["visual_number"] == f"VISUAL-{ROUTED_UID}"
    assert {only_new.open_text(r[0]) for r in rows} == {f"DE/EMS/{BROADCAST_UID}"}
