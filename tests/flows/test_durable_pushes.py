"""Each push the hub answers 1000 is stored before that answer; one bad item never costs another
(issue 13, item 4), on SQLite and PostgreSQL, through the front door on real loopback sockets.

The mixed stream: a well-behaved CPO (DE*BBB) sends 300 valid updates (150 Location PUTs, then a
PATCH of each) while the attacker (NL*AAA) interleaves, concurrently, the hostile values of
tests/security/test_bad_values.py and "poison" pushes: valid Locations that the database itself
refuses (a trigger on the mirror table, created for real in the test's database), so they fail
inside the store writer's batch, next to the valid ones. Afterwards every valid update is
stored (the mirror row carries the PATCHed name) and delivered (routed: the eMSP got it;
broadcast: the dispatcher delivered it), the hostile pushes are 2001, and the poisoned ones
are never answered 1000.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable
from typing import Any

import orjson
import pytest
from sqlalchemy import text
from sqlmodel import col, select
from starlette.applications import Starlette

from hub.db.db import SessionFactory
from hub.db.models import StoredObject
from hub.settings import Settings
from tests.drain import outbox_drained
from tests.security.front_door import CPO, EMSP, HUB, VICTIM, Door, Sent, envelope_of, open_door, run_all
from tests.security.test_bad_values import hostile_pushes, refusal_problems, send_hostile
from tests.validation.payloads import location

V = "/ocpi/2.2.1"
VALID = 150  # Locations: one PUT and one PATCH each = 300 updates
POISON = "POISON"


async def _poison_inserts(db: SessionFactory, settings: Settings, *, every: bool = False) -> None:
    """A trigger refusing inserts and updates of mirror rows whose id starts with POISON (all rows
    when `every`): the database refuses the write, as it would a value it cannot keep."""
    when = "1 = 1" if every else f"NEW.object_id LIKE '{POISON}%'"
    async with db() as session:
        if settings.database_url.startswith("sqlite"):
            for event in ("INSERT", "UPDATE"):
                await session.exec(  # type: ignore[call-overload]
                    text(
                        f"CREATE TRIGGER refuse_{event.lower()} BEFORE {event} ON stored_object "
                        f"WHEN {when} BEGIN SELECT RAISE(ABORT, 'refused'); END"
                    )
                )
        else:
            await session.exec(  # type: ignore[call-overload]
                text(
                    "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                    f"IF {when} THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            await session.exec(  # type: ignore[call-overload]
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON stored_object "
                    "FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )
        await session.commit()


async def _drop_triggers(db: SessionFactory, settings: Settings) -> None:
    async with db() as session:
        if settings.database_url.startswith("sqlite"):
            for event in ("insert", "update"):
                await session.exec(text(f"DROP TRIGGER IF EXISTS refuse_{event}"))  # type: ignore[call-overload]
        else:
            await session.exec(text("DROP TRIGGER IF EXISTS refuse ON stored_object"))  # type: ignore[call-overload]
        await session.commit()


def _valid(door: Door, n: int, *, to: tuple[str, str], patch: bool) -> Awaitable[Sent]:
    object_id = f"V{n:03d}"
    path = f"{V}/receiver/locations/{VICTIM[0]}/{VICTIM[1]}/{object_id}"
    if patch:
        body: Any = {"name": f"patched {n}", "last_updated": "2026-01-02T00:00:00Z"}
    else:
        body = location(object_id, *VICTIM)
    return door.send(door.victim, "PATCH" if patch else "PUT", path, to=to, body=body, label=f"valid {object_id}")


def _poison(door: Door, n: int, *, to: tuple[str, str]) -> Awaitable[Sent]:
    object_id = f"{POISON}{n}"
    body = orjson.dumps(location(object_id, *CPO))
    return door.send(
        door.cpo, "PUT", f"{V}/receiver/locations/{CPO[0]}/{CPO[1]}/{object_id}", to=to, body=body, label="poison"
    )


async def _mixed_stream(door: Door, *, to: tuple[str, str]) -> tuple[list[Sent], list[Sent], list[Sent]]:
    """(valid, hostile, poison) sends, each phase shuffled and run 8 at a time."""
    hostile = hostile_pushes()
    valid: list[Sent] = []
    refused: list[Sent] = []
    poisoned: list[Sent] = []
    rng = random.Random(13)
    for patch in (False, True):
        jobs: list[tuple[str, Awaitable[Sent]]] = [("valid", _valid(door, n, to=to, patch=patch)) for n in range(VALID)]
        jobs += [("hostile", send_hostile(door, hostile[n % len(hostile)], broadcast=to == HUB)) for n in range(40)]
        jobs += [("poison", _poison(door, n + (100 if patch else 0), to=to)) for n in range(10)]
        rng.shuffle(jobs)
        results = await run_all([job for _, job in jobs])
        lists = {"valid": valid, "hostile": refused, "poison": poisoned}
        for (kind, _), sent in zip(jobs, results, strict=True):
            lists[kind].append(sent)
    return valid, refused, poisoned


async def _stored_names(db: SessionFactory) -> dict[str, Any]:
    async with db() as session:
        query = select(StoredObject).where(
            col(StoredObject.country_code) == VICTIM[0], col(StoredObject.party_id) == VICTIM[1]
        )
        return {row.object_id: (row.data or {}).get("name") for row in (await session.exec(query)).all()}


def _problems(door: Door, valid: list[Sent], refused: list[Sent], poisoned: list[Sent]) -> list[str]:
    problems = []
    for sent in valid:
        answer = envelope_of(sent.response) if sent.response is not None else None
        if answer is None or answer["status_code"] != 1000:
            problems.append(f"{sent.describe()}: {sent.response.text[:200] if sent.response else sent.error}")
    for sent in refused:
        problems += refusal_problems(door, sent, "")  # the field named: tests/security/test_bad_values.py
    for sent in poisoned:
        answer = envelope_of(sent.response) if sent.response is not None else None
        if answer is None or answer["status_code"] == 1000:
            problems.append(f"{sent.describe()}: answered 1000 but the store refused it")
    return problems


@pytest.mark.parametrize("to", [EMSP, HUB], ids=["routed", "broadcast"])
async def test_mixed_stream_stores_and_delivers_every_valid_update(
    connect_fake: Any, hub_app: Starlette, db: SessionFactory, hub_settings: Settings, to: tuple[str, str]
) -> None:
    await _poison_inserts(db, hub_settings)
    async with open_door(connect_fake, hub_app) as door:
        valid, refused, poisoned = await _mixed_stream(door, to=to)
        problems = _problems(door, valid, refused, poisoned)
        if to == HUB:
            await outbox_drained(db, timeout=30.0)
        delivered = {r.header("x-correlation-id") for r in door.emsp.received(module="locations")}
        problems += [f"{s.describe()}: not delivered to the eMSP" for s in valid if s.correlation_id not in delivered]
        names = await _stored_names(db)
        expected = {f"V{n:03d}": f"patched {n}" for n in range(VALID)}
        lost = {k: names.get(k) for k in expected if names.get(k) != expected[k]}
        if lost:
            problems.append(
                f"{len(lost)} of {VALID} Locations lack their updates in the mirror: {list(lost.items())[:5]}"
            )
        async with db() as session:
            poison_rows = select(StoredObject).where(col(StoredObject.object_id).like(f"{POISON}%"))
            if (await session.exec(poison_rows)).first() is not None:
                problems.append("a poisoned Location is in the mirror")
        assert not problems, "\n".join(problems[:40])


@pytest.mark.parametrize("to", [EMSP, HUB], ids=["routed", "broadcast"])
async def test_a_store_that_cannot_write_never_answers_1000(
    connect_fake: Any, hub_app: Starlette, db: SessionFactory, hub_settings: Settings, to: tuple[str, str]
) -> None:
    """The mirror table refuses every write (a trigger): pushes get 3000 / HTTP 503, nothing is
    stored; once it takes writes again the same push gets 1000 and is stored."""
    async with open_door(connect_fake, hub_app) as door:
        await _poison_inserts(db, hub_settings, every=True)
        failed = await _valid(door, 0, to=to, patch=False)
        assert failed.response is not None
        answer = envelope_of(failed.response)
        assert answer is not None and answer["status_code"] == 3000, failed.response.text
        assert failed.response.status_code == 503
        if to == EMSP:  # the receiver has it: the caller is told so, and to send it again
            assert door.caused_by(failed)
            assert "Accepted by receiver BE*EMS but" in answer["status_message"]
            assert "send it again" in answer["status_message"]
        assert await _stored_names(db) == {}
        await _drop_triggers(db, hub_settings)
        again = await _valid(door, 0, to=to, patch=False)
        assert again.response is not None
        assert again.response.json()["status_code"] == 1000, again.response.text
        assert await _stored_names(db) == {"V000": "Stationsplein"}


async def test_a_stopped_writer_refuses_at_once(connect_fake: Any, hub_app: Starlette, db: SessionFactory) -> None:
    """Shutting down: the writer takes no more updates, and a routed push the receiver accepted
    is answered 3000 / HTTP 503 instead of a 1000 the hub could not keep."""
    async with open_door(connect_fake, hub_app) as door:
        hub_app.state.hub.store_writer.stop()
        sent = await _valid(door, 1, to=EMSP, patch=False)
        assert sent.response is not None and sent.response.status_code == 503, sent.response
        assert sent.response.json()["status_code"] == 3000
        assert await _stored_names(db) == {}
