"""Bad values never get HTTP 500 or 503 and never reach a receiver or the store (issue 13, item 4),
tried at the hub's front door on a real loopback socket, on SQLite and PostgreSQL.

The attacker (CPO NL*AAA) sends each hostile value of the issue as a routed push (TO = the eMSP)
and as a Broadcast Push (TO = the hub); the eMSP sends a command with a hostile response_url.
Every one must be answered HTTP 400 with OCPI status 2001 and a message naming the field (and
no value, nothing internal); nothing may be forwarded (no fake saw its correlation id), nothing
stored (no mirror row of the attacker, no broadcast row). Then a well-behaved CPO (DE*BBB) is
still served: its routed and broadcast pushes get 1000, are stored and delivered.

With the default `validation_mode` (warn) on purpose: what the hub stores is checked in every mode.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from sqlalchemy import func
from sqlmodel import col, select
from starlette.applications import Starlette

from hub.db.db import SessionFactory
from hub.db.models import Broadcast, StoredObject
from tests.security.front_door import CPO, EMSP, HUB, VICTIM, Door, Sent, body_for, envelope_of, open_door
from tests.validation.payloads import evse, location

V = "/ocpi/2.2.1"
DEPTH = 1_000


@dataclass(frozen=True)
class Hostile:
    """One hostile push: the path after the version, its body (bytes) and the field the answer must name."""

    label: str
    method: str
    path: str
    body: bytes
    field: str
    broadcast: bool = True  # also tried as a Broadcast Push (TO = the hub)


def _location(**changes: Any) -> dict[str, Any]:
    return location("LOC1", *CPO, **changes)


def _deep(field: str, depth: int) -> bytes:
    """A valid Location with an extra field nested `depth` levels deep (built as text: no encoder
    of the test should recurse that deep either)."""
    rest = orjson.dumps(_location())
    return b'{"' + field.encode() + b'":' + b'{"a":' * depth + b"1" + b"}" * depth + b"," + rest[1:]


def hostile_pushes(owner: tuple[str, str] = CPO, object_id: str = "LOC1") -> list[Hostile]:
    """The hostile values of the issue, as pushes of `owner`'s Location `object_id`."""
    cc, pid = owner
    loc = f"/receiver/locations/{cc}/{pid}/{object_id}"

    def body(**changes: Any) -> bytes:
        return orjson.dumps(location(object_id, cc, pid, **changes))

    cdr = {"id": "C" * 10_000, "country_code": cc, "party_id": pid, "last_updated": "2026-01-01T00:00:00Z"}
    return [
        Hostile("deep extra field", "PUT", loc, _deep("x_deep", DEPTH), "x_deep.a.a.a..."),
        Hostile("year 1 +14:00", "PUT", loc, body(last_updated="0001-01-01T00:00:00+14:00"), "last_updated"),
        Hostile("year 9999 -14:00", "PUT", loc, body(last_updated="9999-12-31T23:59:59-14:00"), "last_updated"),
        Hostile("year 1 UTC", "PUT", loc, body(last_updated="0001-01-01T00:00:00Z"), "last_updated"),
        Hostile(
            "year 1 +14:00 PATCH",
            "PATCH",
            loc,
            orjson.dumps({"last_updated": "0001-01-01T00:00:00+14:00"}),
            "last_updated",
        ),
        Hostile("10,000-character EVSE uid", "PUT", loc, body(evses=[evse("U" * 10_000)]), "evses[0].uid"),
        Hostile("10,000-character CDR id", "POST", "/receiver/cdrs", orjson.dumps(cdr), "id", broadcast=False),
        Hostile("NUL in a string", "PUT", loc, body(name="Station\x00plein"), "name"),
        Hostile("NUL in a key", "PUT", loc, orjson.dumps(location(object_id, cc, pid) | {"x\x00y": 1}), "x\\x00y"),
        Hostile("wrong type: last_updated", "PUT", loc, body(last_updated=20260101), "last_updated"),
        Hostile("wrong type: evses", "PUT", loc, body(evses="many"), "evses"),
        Hostile("wrong type: PATCH body", "PATCH", loc, b"[1, 2]", "body"),
    ]


def _command() -> bytes:
    command = body_for("commands", EMSP) | {"response_url": "http://127.0.0.1:9/" + "r" * 10_000}
    return orjson.dumps(command | {"token": {"uid": "TOK1", "type": "RFID", "contract_id": "BE-EMS-C1"}})


async def send_hostile(door: Door, hostile: Hostile, *, broadcast: bool) -> Sent:
    return await door.send(
        door.cpo,
        hostile.method,
        V + hostile.path,
        to=HUB if broadcast else EMSP,
        body=hostile.body,
        label=f"{hostile.label} ({'broadcast' if broadcast else 'routed'})",
    )


def refusal_problems(door: Door, sent: Sent, field: str) -> list[str]:
    """What is wrong with the answer to a hostile push (empty when it was refused as it must be)."""
    where = sent.describe()
    if sent.response is None:
        return [f"{where}: no answer ({sent.error})"]
    body = envelope_of(sent.response)
    problems = []
    if sent.response.status_code != 400 or body is None or body["status_code"] != 2001:
        problems.append(f"{where}: HTTP {sent.response.status_code} {sent.response.text[:200]}")
    elif field not in body.get("status_message", ""):
        problems.append(f"{where}: the message does not name {field!r}: {body.get('status_message')!r}")
    elif len(sent.response.content) > 400 or "Error" in body["status_message"]:
        problems.append(f"{where}: the message says too much: {body['status_message'][:200]!r}")
    if door.caused_by(sent):
        problems.append(f"{where}: forwarded to {[str(f.parties[0]) for f, _ in door.caused_by(sent)]}")
    return problems


async def attacker_rows(db: SessionFactory, owner: tuple[str, str] = CPO) -> int:
    async with db() as session:
        query = select(func.count()).select_from(StoredObject)
        query = query.where(col(StoredObject.country_code) == owner[0], col(StoredObject.party_id) == owner[1])
        return (await session.exec(query)).one()


async def broadcast_rows(db: SessionFactory, correlation_ids: list[str]) -> int:
    async with db() as session:
        query = select(func.count()).select_from(Broadcast).where(col(Broadcast.correlation_id).in_(correlation_ids))
        return (await session.exec(query)).one()


async def well_behaved_is_served(door: Door, db: SessionFactory, object_id: str) -> list[str]:
    """The victim CPO pushes a valid Location routed and broadcast: 1000, stored, delivered."""
    problems = []
    body = orjson.dumps(location(object_id, *VICTIM))
    for to in (EMSP, HUB):
        sent = await door.send(
            door.victim, "PUT", f"{V}/receiver/locations/{VICTIM[0]}/{VICTIM[1]}/{object_id}", to=to, body=body
        )
        answer = envelope_of(sent.response) if sent.response is not None else None
        if answer is None or answer["status_code"] != 1000:
            problems.append(f"well-behaved push to {to}: {sent.response.text if sent.response else sent.error}")
            continue
        try:
            await door.emsp.wait_for(functools.partial(door.caused_by, sent), timeout=10.0)
        except TimeoutError:
            problems.append(f"well-behaved push to {to} never reached the eMSP")
    async with db() as session:
        query = select(StoredObject).where(
            col(StoredObject.country_code) == VICTIM[0], col(StoredObject.object_id) == object_id
        )
        if (await session.exec(query)).first() is None:
            problems.append("the well-behaved Location is not stored")
    return problems


async def test_hostile_values_are_2001_naming_the_field_and_go_nowhere(
    connect_fake: Any, hub_app: Starlette, db: SessionFactory
) -> None:
    async with open_door(connect_fake, hub_app) as door:
        problems: list[str] = []
        refused: list[Sent] = []
        for hostile in hostile_pushes():
            for broadcast in (False, True) if hostile.broadcast else (False,):
                sent = await send_hostile(door, hostile, broadcast=broadcast)
                problems += refusal_problems(door, sent, hostile.field)
                refused.append(sent)
        command = await door.send(
            door.emsp,
            "POST",
            f"{V}/receiver/commands/START_SESSION",
            to=CPO,
            body=_command(),
            label="long response_url",
        )
        problems += refusal_problems(door, command, "response_url")
        problems += await well_behaved_is_served(door, db, "GOOD1")
        assert not (await door.drain()), "the dispatcher did not drain"
        problems += [f"{p.describe()}: delivered later" for p in refused if door.caused_by(p)]
        if (rows := await attacker_rows(db)) != 1:  # the canary of `drain` only
            problems.append(f"{rows - 1} mirror rows of the attacker besides the canary")
        if (rows := await broadcast_rows(db, [s.correlation_id for s in refused])) != 0:
            problems.append(f"{rows} broadcast rows for refused pushes")
        assert not problems, "\n".join(problems)


@pytest.mark.hub_settings(validation_mode="off", max_json_depth=8)
async def test_the_guard_holds_with_validation_off_and_follows_max_json_depth(
    connect_fake: Any, hub_app: Starlette, db: SessionFactory
) -> None:
    """validation_mode=off forwards sloppy payloads, yet what the hub would store is still
    checked; the depth limit is the configured one (8 here: 9 levels are refused, 8 pass)."""
    async with open_door(connect_fake, hub_app) as door:
        problems: list[str] = []
        for hostile in hostile_pushes():
            sent = await send_hostile(door, hostile, broadcast=False)
            problems += refusal_problems(door, sent, hostile.field)
        too_deep = await door.send(
            door.cpo, "PUT", f"{V}/receiver/locations/NL/AAA/LOC1", to=EMSP, body=_deep("x_nine", 8)
        )
        problems += refusal_problems(door, too_deep, "x_nine.a.a.a...: nested deeper than 8 levels")
        deep_enough = await door.send(
            door.cpo, "PUT", f"{V}/receiver/locations/NL/AAA/LOC1", to=EMSP, body=_deep("x_eight", 7)
        )
        assert deep_enough.response is not None and deep_enough.response.json()["status_code"] == 1000
        # a sloppy (incomplete) command is forwarded as it is: off keeps its meaning there
        sloppy = await door.send(
            door.emsp,
            "POST",
            f"{V}/receiver/commands/START_SESSION",
            to=CPO,
            body={"response_url": door.emsp.endpoint_url("commands", "SENDER") + "/cb1"},
        )
        assert sloppy.response is not None and door.caused_by(sloppy), sloppy.response
        problems += await well_behaved_is_served(door, db, "GOOD2")
        assert not problems, "\n".join(problems)
