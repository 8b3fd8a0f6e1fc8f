"""Agreements through the front door: the operator's CLI (`ocpi-hub agreements allow|deny`)
changes what the running hub routes (4001, nothing forwarded), broadcasts and lists
(docs/architecture.md, room "agreements")."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlmodel import select

from hub.db.db import SessionFactory
from hub.db.models import Broadcast, OutboxMessage
from tests.conftest import StartFake
from tests.drain import outbox_drained
from tests.fakes.party import FakePlatform
from tests.helpers import HUB_URL

ArunCli = Callable[..., Awaitable[subprocess.CompletedProcess[str]]]
HUB = ("NL", "HUB")
V = f"{HUB_URL}/ocpi/2.2.1"


def location(loc_id: str, day: int = 1) -> dict[str, Any]:
    return {
        "country_code": "NL",
        "party_id": "CPA",
        "id": loc_id,
        "publish": True,
        "address": "Street 1",
        "city": "Town",
        "country": "NLD",
        "coordinates": {"latitude": "52.000000", "longitude": "4.000000"},
        "time_zone": "Europe/Amsterdam",
        "last_updated": f"2026-01-{day:02d}T00:00:00Z",
    }


def token(uid: str) -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "EMS",
        "uid": uid,
        "type": "RFID",
        "contract_id": f"DE-EMS-C{uid}",
        "issuer": "Issuer",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2026-01-01T00:00:00Z",
    }


async def cli_ok(arun_cli: ArunCli, *args: str) -> str:
    result = await arun_cli(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


async def get_location(emsp: FakePlatform, *, to: tuple[str, str] | None = ("NL", "CPA")) -> httpx.Response:
    headers = {"OCPI-from-country-code": emsp.parties[0][0], "OCPI-from-party-id": emsp.parties[0][1]}
    return await emsp.request_hub("GET", V + "/sender/locations/LOC1", to=to, headers=None if to else headers)


async def until_status(send: Callable[[], Awaitable[httpx.Response]], status_code: int) -> httpx.Response:
    """Repeat a request until the running hub answers `status_code` (it reads the operator's
    change at its next registry poll)."""
    async with asyncio.timeout(5):
        while True:
            answer = await send()
            if answer.json()["status_code"] == status_code:
                return answer
            await asyncio.sleep(0.05)


def location_pushes(fake: FakePlatform) -> list[str]:
    return [r.path.rsplit("/", 1)[1] for r in fake.received(module="locations", method="PUT")]


async def outbox_receivers(db: SessionFactory) -> list[str]:
    async with db() as session:
        rows = (await session.exec(select(OutboxMessage).where(OutboxMessage.module == "locations"))).all()
    return sorted(m.to_party_id or "" for m in rows)


async def test_deny_then_routed_requests_are_4001_and_not_forwarded(
    connect_fake: StartFake, arun_cli: ArunCli, db: SessionFactory
) -> None:
    emsp = await connect_fake([("EMSP", "DE", "EMS")])
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    cpo.add_object("locations", location("LOC1"))
    assert (await get_location(emsp)).json()["status_code"] == 1000  # open by default
    out = await cli_ok(arun_cli, "agreements", "deny", "de:ems", "NL:CPA", "--module", "locations")
    assert "DE*EMS <-> NL*CPA, locations: deny" in out

    denied = await until_status(lambda: get_location(emsp), 4001)
    assert "agreement" in denied.json()["status_message"].lower()
    forwarded = len(cpo.received(module="locations"))
    assert (await get_location(emsp)).json()["status_code"] == 4001
    # open routing (no OCPI-to) to a denied owner: 4001 as well
    await cpo.request_hub("PUT", V + "/receiver/locations/NL/CPA/LOC1", json=location("LOC1"), to=HUB)
    assert (await get_location(emsp, to=None)).json()["status_code"] == 4001
    # the pair is unordered: the CPO cannot push locations to that eMSP either
    push = await cpo.request_hub("PUT", V + "/receiver/locations/NL/CPA/LOC2", json=location("LOC2"), to=("DE", "EMS"))
    assert push.json()["status_code"] == 4001, push.text
    await outbox_drained(db, module="locations")  # the broadcast of LOC1 went wherever it could
    assert len(cpo.received(module="locations")) == forwarded
    assert location_pushes(emsp) == []
    # other modules between the same parties are not affected
    tokens = await emsp.request_hub("PUT", V + "/receiver/tokens/DE/EMS/TOK1", json=token("TOK1"), to=("NL", "CPA"))
    assert tokens.json()["status_code"] == 1000, tokens.text
    assert len(cpo.received(module="tokens")) == 1

    listed = await cli_ok(arun_cli, "agreements", "allow", "DE:EMS", "NL:CPA", "--module", "locations")
    assert "locations: allow" in listed
    await until_status(lambda: get_location(emsp), 1000)
    assert len(cpo.received(module="locations")) == forwarded + 1


async def test_broadcast_skips_a_denied_party(connect_fake: StartFake, arun_cli: ArunCli, db: SessionFactory) -> None:
    allowed = await connect_fake([("EMSP", "DE", "EMS")])
    denied = await connect_fake([("EMSP", "DE", "EMX")])
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    cpo.add_object("locations", location("LOC1"))
    await cli_ok(arun_cli, "agreements", "deny", "NL:CPA", "DE:EMX")  # every module
    await until_status(lambda: get_location(denied), 4001)  # the hub has the rule now

    answer = await cpo.request_hub("PUT", V + "/receiver/locations/NL/CPA/LOC1", json=location("LOC1"), to=HUB)
    assert answer.json()["status_code"] == 1000, answer.text
    await allowed.wait_for(lambda: location_pushes(allowed) == ["LOC1"], timeout=10)
    await outbox_drained(db, module="locations")
    assert location_pushes(denied) == []
    assert await outbox_receivers(db) == ["EMS"]


@pytest.mark.hub_settings(agreements_default="closed")
async def test_closed_default_lets_through_only_what_is_allowed(
    connect_fake: StartFake, arun_cli: ArunCli, db: SessionFactory
) -> None:
    emsp = await connect_fake([("EMSP", "DE", "EMS")])
    stranger = await connect_fake([("EMSP", "DE", "EMX")])
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    cpo.add_object("locations", location("LOC1"))

    assert (await get_location(emsp)).json()["status_code"] == 4001
    first = await cpo.request_hub("PUT", V + "/receiver/locations/NL/CPA/LOC1", json=location("LOC1"), to=HUB)
    assert first.json()["status_code"] == 1000, first.text
    async with asyncio.timeout(5):  # expanded to nobody
        while True:
            async with db() as session:
                if all(b.expanded for b in (await session.exec(select(Broadcast))).all()):
                    break
            await asyncio.sleep(0.05)
    assert await outbox_receivers(db) == []

    await cli_ok(arun_cli, "agreements", "allow", "NL:CPA", "DE:EMS")
    await until_status(lambda: get_location(emsp), 1000)
    assert (await get_location(stranger)).json()["status_code"] == 4001
    second = await cpo.request_hub("PUT", V + "/receiver/locations/NL/CPA/LOC2", json=location("LOC2", 2), to=HUB)
    assert second.json()["status_code"] == 1000, second.text
    await emsp.wait_for(lambda: location_pushes(emsp) == ["LOC2"], timeout=10)
    await outbox_drained(db, module="locations")
    assert location_pushes(stranger) == []
    assert len(cpo.received(module="locations")) == 1  # only the allowed GET reached the CPO
    # GET All shows the allowed eMSP both stored locations, the stranger none
    listing = await emsp.request_hub("GET", V + "/sender/locations", to=HUB)
    assert [o["id"] for o in listing.json()["data"]] == ["LOC1", "LOC2"]
    nothing = await stranger.request_hub("GET", V + "/sender/locations", to=HUB)
    assert nothing.json()["data"] == [] and nothing.headers["x-total-count"] == "0"
