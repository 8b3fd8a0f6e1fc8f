"""The simulators against the real hub (in process, payload validation strict): registration,
sync, real-time authorization, commands, sessions, charging profiles and CDRs, all routed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from hub.types import InterfaceRole, PartyKey
from simulators import SimulatedCpo, SimulatedEmsp
from tests.simulators.conftest import MakeSim

Connect = Callable[..., Awaitable[None]]
FAST = {"tick_seconds": 0.05, "time_scale": 15 * 60 / 0.05}  # a 15-minute charging period every 50 ms


async def until(predicate: Callable[[], Any], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


@pytest.fixture
async def pair(make_cpo: MakeSim, make_emsp: MakeSim, connect: Connect) -> tuple[SimulatedCpo, SimulatedEmsp]:
    emsp: SimulatedEmsp = await make_emsp(country_code="DE", party_id="MSP", tokens=20)
    cpo: SimulatedCpo = await make_cpo(
        country_code="NL", party_id="CPO", evses=6, evses_per_location=3, publish_to=[emsp.party.key], **FAST
    )
    await connect(cpo, emsp)
    return cpo, emsp


async def test_registration_gives_each_simulator_the_hub_and_its_client_info(
    pair: tuple[SimulatedCpo, SimulatedEmsp],
) -> None:
    cpo, emsp = pair
    for platform in (cpo, emsp):
        assert platform.registered and platform.hub_party == PartyKey.of("NL", "HUB")
        assert platform.inbound_token and platform.outbound_token and platform.inbound_token != platform.outbound_token
    # the hub PUTs ClientInfo of the other party to each hubclientinfo RECEIVER
    await until(lambda: cpo.client_info.find("DE", "MSP", "") is None and len(cpo.client_info) > 0)
    await until(lambda: any(i.get("status") == "CONNECTED" for i in emsp.client_info.values()))
    assert cpo.label(emsp.party.key) == "eMSP DE*MSP"


async def test_sync_pull_and_real_time_authorization(pair: tuple[SimulatedCpo, SimulatedEmsp]) -> None:
    cpo, emsp = pair
    replies = await cpo.publish_tariffs() + await cpo.publish_locations()
    assert [r.describe() for r in replies if not r.ok] == []
    assert len(emsp.locations) == 2 and len(emsp.tariffs) == 2
    assert emsp.locations.find("NL", "CPO", "LOC00001")["evses"][0]["status"] == "AVAILABLE"

    await cpo.set_evse_status("LOC00001-2", "OUTOFORDER")
    location = emsp.locations.find("NL", "CPO", "LOC00001")
    assert location["evses"][1]["status"] == "OUTOFORDER"
    assert location["last_updated"] == location["evses"][1]["last_updated"]

    pulled, pages = await emsp.pull(cpo.party.key, limit=1)  # the hub replaces each Link
    # oldest last_updated first: LOC00001 changed last
    assert [p["id"] for p in pulled] == ["LOC00002", "LOC00001"] and len(pages) == 2
    assert all(r.ok for r in pages)
    assert pages[0].headers["x-total-count"] == "2"
    tariffs, _ = await emsp.pull(cpo.party.key, "tariffs")
    assert {t["id"] for t in tariffs} == {"AC", "DC"}

    valid = emsp.driver_token()
    blocked = next(t for t in emsp.tokens if not t["valid"])
    assert all(r.ok for r in await emsp.push_tokens(to=[cpo.party.key], tokens=[valid, blocked]))
    assert cpo.tokens.find("DE", "MSP", valid["uid"]) == valid

    allowed = await cpo.authorize(valid["uid"], location_id="LOC00001", evse_uids=["LOC00001-1"])
    assert allowed.ok and allowed.data["allowed"] == "ALLOWED" and allowed.data["token"] == valid
    assert allowed.data["location"] == {"location_id": "LOC00001", "evse_uids": ["LOC00001-1"]}
    blocked_reply = await cpo.authorize(blocked["uid"])
    assert blocked_reply.ok, blocked_reply.describe()
    assert blocked_reply.data["allowed"] == "BLOCKED"
    unknown = await cpo.authorize("NOSUCHTOKEN")  # no TO: the hub cannot tell the eMSP
    assert unknown.status_code == 4001
    # a token the CPO knows goes to its eMSP; the eMSP does not know that type of it: 404 + 2004
    wrong_type = await cpo.send(
        "POST", "tokens", InterfaceRole.SENDER, f"{valid['uid']}/authorize", to=emsp.party.key, params={"type": "OTHER"}
    )
    assert (wrong_type.http_status, wrong_type.status_code) == (404, 2004)


async def test_remote_start_session_updates_stop_and_cdr(pair: tuple[SimulatedCpo, SimulatedEmsp]) -> None:
    cpo, emsp = pair
    await cpo.publish_locations()
    started = await emsp.start_session(cpo.party.key, location_id="LOC00001", evse_uid="LOC00001-1")
    assert started.accepted and started.result == {"result": "ACCEPTED"}
    await until(lambda: len(emsp.sessions) == 1)
    session = emsp.sessions.values()[0]
    assert session["status"] == "ACTIVE" and session["auth_method"] == "COMMAND"
    await until(lambda: emsp.locations.find("NL", "CPO", "LOC00001")["evses"][0]["status"] == "CHARGING")
    await until(lambda: len(session.get("charging_periods") or []) >= 2)

    busy = await emsp.start_session(cpo.party.key, location_id="LOC00001", evse_uid="LOC00001-1")
    assert busy.accepted and busy.result == {"result": "EVSE_OCCUPIED"}

    profile = {"charging_rate_unit": "W", "charging_profile_period": [{"start_period": 0, "limit": 7000.0}]}
    set_profile = await emsp.set_charging_profile(cpo.party.key, session["id"], profile)
    assert set_profile.accepted and set_profile.result == {"result": "ACCEPTED"}

    stopped = await emsp.stop_session(cpo.party.key, session["id"])
    assert stopped.accepted and stopped.result == {"result": "ACCEPTED"}
    await until(lambda: len(emsp.cdrs) == 1)
    await until(lambda: emsp.locations.find("NL", "CPO", "LOC00001")["evses"][0]["status"] == "AVAILABLE")
    cdr = next(iter(emsp.cdrs.values()))
    assert cdr == cpo.cdrs.get(cdr["id"])
    assert session["status"] == "COMPLETED" and session["kwh"] == cdr["total_energy"]
    assert session["charging_periods"] == cdr["charging_periods"]
    periods = len(cdr["charging_periods"])
    assert cdr["total_energy"] == pytest.approx(periods * 2.75)  # 11 kW for 15 minutes each
    assert cdr["total_time"] == pytest.approx(periods * 0.25)
    expected = 0.50 + cdr["total_energy"] * 0.25 + cdr["total_time"] * 2.00  # tariff AC
    assert cdr["total_cost"]["excl_vat"] == pytest.approx(expected, abs=1e-4)
    assert cdr["total_cost"]["incl_vat"] == pytest.approx(expected * 1.21, abs=1e-3)
    assert cdr["authorization_reference"] == session["authorization_reference"]

    unknown = await emsp.stop_session(cpo.party.key, session["id"])
    assert unknown.response.ok and unknown.response.data["result"] == "UNKNOWN_SESSION"


async def test_token_at_the_charger_is_authorized_in_real_time(pair: tuple[SimulatedCpo, SimulatedEmsp]) -> None:
    cpo, emsp = pair
    await cpo.publish_locations()
    driver = emsp.driver_token()
    blocked = next(t for t in emsp.tokens if not t["valid"])
    assert all(r.ok for r in await emsp.push_tokens(to=[cpo.party.key], tokens=[driver, blocked]))
    running = await cpo.charge_with_token(driver["uid"], location_id="LOC00002", evse_uid="LOC00002-1")
    assert running is not None
    assert running.session["auth_method"] == "AUTH_REQUEST"
    assert running.session["authorization_reference"] == emsp.authorizations[-1]["authorization_reference"]
    await until(lambda: running.periods >= 1)
    await cpo.stop_session(running.id)
    await until(lambda: len(emsp.cdrs) == 1)
    cdr = next(iter(emsp.cdrs.values()))
    assert cdr["authorization_reference"] == running.session["authorization_reference"]
    assert cdr["cdr_token"]["uid"] == driver["uid"]

    assert await cpo.charge_with_token(blocked["uid"], location_id="LOC00002", evse_uid="LOC00002-2") is None

    # a token the CPO does not hold: no TO, the hub finds the eMSP by the uid it saw pushed (Open Routing)
    cpo.tokens.objects.clear()
    for _ in range(50):  # the hub stores routed pushes in the background
        reply = await cpo.authorize(driver["uid"])
        if reply.status_code != 4001:
            break
        await asyncio.sleep(0.05)
    assert reply.ok and reply.data["allowed"] == "ALLOWED", reply.describe()


async def test_other_commands(pair: tuple[SimulatedCpo, SimulatedEmsp]) -> None:
    cpo, emsp = pair
    await cpo.publish_locations()
    key = cpo.party.key
    unknown = await emsp.start_session(key, location_id="NOPE")
    assert (unknown.response.http_status, unknown.response.status_code) == (400, 2003)

    reserved = await emsp.command(
        key,
        "RESERVE_NOW",
        {
            "token": emsp.driver_token(),
            "expiry_date": "2030-01-01T00:00:00Z",
            "reservation_id": "R1",
            "location_id": "LOC00002",
            "evse_uid": "LOC00002-3",
        },
    )
    assert reserved.accepted and reserved.result == {"result": "ACCEPTED"}
    await until(lambda: emsp.locations.find("NL", "CPO", "LOC00002")["evses"][2]["status"] == "RESERVED")
    cancelled = await emsp.command(key, "CANCEL_RESERVATION", {"reservation_id": "R1"})
    assert cancelled.result == {"result": "ACCEPTED"}
    await until(lambda: emsp.locations.find("NL", "CPO", "LOC00002")["evses"][2]["status"] == "AVAILABLE")
    again = await emsp.command(key, "CANCEL_RESERVATION", {"reservation_id": "R1"})
    assert again.result == {"result": "UNKNOWN_RESERVATION"}

    unlocked = await emsp.command(
        key, "UNLOCK_CONNECTOR", {"location_id": "LOC00001", "evse_uid": "LOC00001-1", "connector_id": "1"}
    )
    assert unlocked.accepted and unlocked.result == {"result": "ACCEPTED"}
    # Open Routing: no TO, the hub finds the CPO by the command's location_id
    routed = await emsp.start_session(None, location_id="LOC00001", evse_uid="LOC00001-3")
    assert routed.accepted and routed.result == {"result": "ACCEPTED"}


async def test_broadcast_push_and_get_all_via_the_hub(make_cpo: MakeSim, make_emsp: MakeSim, connect: Connect) -> None:
    """A CPO without publish_to pushes to the hub's party (Broadcast Push); every eMSP gets it,
    and the hub serves it back in GET All."""
    first: SimulatedEmsp = await make_emsp(country_code="DE", party_id="MS1")
    second: SimulatedEmsp = await make_emsp(country_code="BE", party_id="MS2")
    cpo: SimulatedCpo = await make_cpo(evses=4, evses_per_location=2)
    await connect(first, second, cpo)
    replies = await cpo.publish_tariffs() + await cpo.publish_locations()
    assert all(r.ok for r in replies) and all(r.headers["ocpi-from-party-id"] == "HUB" for r in replies)
    await cpo.set_evse_status("LOC00002-1", "INOPERATIVE")
    for emsp in (first, second):
        await until(lambda e=emsp: len(e.locations) == 2 and len(e.tariffs) == 2)
        await until(lambda e=emsp: e.locations.find("NL", "CPO", "LOC00002")["evses"][0]["status"] == "INOPERATIVE")
    assert first.hub_party is not None
    listing = await first.send("GET", "locations", InterfaceRole.SENDER, to=first.hub_party)
    assert listing.ok, listing.describe()
    by_id = {loc["id"]: loc for loc in listing.data}
    assert set(by_id) == {"LOC00001", "LOC00002"}
    assert by_id["LOC00002"]["evses"][0]["status"] == "INOPERATIVE"
