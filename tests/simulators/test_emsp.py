"""The simulated eMSP's interfaces, talked to directly as the hub would (no hub in between)."""

from __future__ import annotations

import copy
from typing import Any

from hub.types import InterfaceRole, PartyKey
from hub.validation.catalogue import catalogue
from simulators import SimulatedEmsp
from simulators.data import make_locations, make_tariffs
from tests.simulators.helpers import SIM_URL, direct, routing

CPO = routing(("NL", "CPO"), ("DE", "MSP"))
R, S = InterfaceRole.RECEIVER, InterfaceRole.SENDER


async def test_authorize_answers_allowed_blocked_or_unknown() -> None:
    emsp = SimulatedEmsp(tokens=40)
    valid = emsp.driver_token()
    blocked = next(t for t in emsp.tokens if not t["valid"])
    app_user = next(t for t in emsp.tokens if t["type"] == "APP_USER")
    async with direct(emsp) as client:
        url = f"/ocpi/2.2.1/sender/tokens/{valid['uid']}/authorize"
        reply = await client.post(url, json={"location_id": "LOC1", "evse_uids": ["E1"]}, headers=CPO)
        envelope = reply.json()
        target = catalogue().reply("2.2.1", "tokens", S, "POST", f"{valid['uid']}/authorize")
        assert target is not None
        target.adapter.validate_python(envelope)
        info = envelope["data"]
        assert info["allowed"] == "ALLOWED" and info["token"] == valid
        assert info["location"] == {"location_id": "LOC1", "evse_uids": ["E1"]}
        assert len(info["authorization_reference"]) <= 36

        no_body = await client.post(f"/ocpi/2.2.1/sender/tokens/{blocked['uid']}/authorize", headers=CPO)
        assert no_body.json()["data"]["allowed"] == "BLOCKED" and "location" not in no_body.json()["data"]
        app = await client.post(
            f"/ocpi/2.2.1/sender/tokens/{app_user['uid']}/authorize", params={"type": "APP_USER"}, headers=CPO
        )
        assert app.json()["data"]["allowed"] == "ALLOWED"
        as_rfid = await client.post(f"/ocpi/2.2.1/sender/tokens/{app_user['uid']}/authorize", headers=CPO)
        unknown = await client.post("/ocpi/2.2.1/sender/tokens/NOPE/authorize", headers=CPO)
    for answer in (as_rfid, unknown):  # type defaults to RFID; unknown token: HTTP 404 + 2004
        assert (answer.status_code, answer.json()["status_code"]) == (404, 2004)
        assert "data" not in answer.json()


async def test_token_list_is_paginated() -> None:
    emsp = SimulatedEmsp(tokens=25, page_limit=10)
    async with direct(emsp) as client:
        reply = await client.get("/ocpi/2.2.1/sender/tokens", params={"offset": 20}, headers=CPO)
    envelope = reply.json()
    assert len(envelope["data"]) == 5 and reply.headers["x-total-count"] == "25" and "link" not in reply.headers
    target = catalogue().reply("2.2.1", "tokens", S, "GET", "")
    assert target is not None
    target.adapter.validate_python(envelope)


async def test_location_receiver_put_patch_nested_objects() -> None:
    emsp = SimulatedEmsp()
    location = make_locations(PartyKey.of("NL", "CPO"), evses=2, evses_per_location=2)[0]
    base = "/ocpi/2.2.1/receiver/locations/NL/CPO/LOC00001"
    async with direct(emsp) as client:
        assert (await client.put(base, json=location, headers=CPO)).json()["status_code"] == 1000
        patch = {"status": "CHARGING", "last_updated": "2026-01-01T00:00:00.000Z"}
        assert (await client.patch(f"{base}/LOC00001-2", json=patch, headers=CPO)).status_code == 200
        stored = (await client.get(base, headers=CPO)).json()["data"]
        assert stored["evses"][1]["status"] == "CHARGING"
        assert stored["last_updated"] == "2026-01-01T00:00:00.000Z"  # the parent follows its EVSE
        connector = copy.deepcopy(location["evses"][0]["connectors"][0]) | {"max_amperage": 32}
        connector["last_updated"] = "2026-01-02T00:00:00Z"
        assert (await client.put(f"{base}/LOC00001-1/1", json=connector, headers=CPO)).status_code == 200
        got = (await client.get(f"{base}/LOC00001-1/1", headers=CPO)).json()["data"]
        assert got["max_amperage"] == 32
        wrong_owner = await client.put("/ocpi/2.2.1/receiver/locations/NL/XXX/LOC00001", json=location, headers=CPO)
        assert (wrong_owner.status_code, wrong_owner.json()["status_code"]) == (400, 2001)
        unknown = await client.patch(f"{base}/NOPE", json=patch, headers=CPO)
        assert unknown.status_code == 404


async def test_session_patch_appends_charging_periods_and_tariffs_can_be_deleted() -> None:
    emsp = SimulatedEmsp()
    session: dict[str, Any] = {"country_code": "NL", "party_id": "CPO", "id": "S1", "kwh": 0.0, "status": "ACTIVE"}
    period = {"start_date_time": "2026-01-01T00:00:00Z", "dimensions": [{"type": "ENERGY", "volume": 1.0}]}
    url = "/ocpi/2.2.1/receiver/sessions/NL/CPO/S1"
    async with direct(emsp) as client:
        await client.put(url, json=session | {"charging_periods": [period]}, headers=CPO)
        patch = {"kwh": 2.0, "charging_periods": [period], "last_updated": "2026-01-01T00:15:00Z"}
        await client.patch(url, json=patch, headers=CPO)
        await client.patch(url, json={"status": "COMPLETED", "last_updated": "2026-01-01T00:30:00Z"}, headers=CPO)
        stored = (await client.get(url, headers=CPO)).json()["data"]
        assert len(stored["charging_periods"]) == 2 and stored["kwh"] == 2.0 and stored["status"] == "COMPLETED"

        tariff = make_tariffs(PartyKey.of("NL", "CPO"))[0]
        tariff_url = "/ocpi/2.2.1/receiver/tariffs/NL/CPO/AC"
        assert (await client.put(tariff_url, json=tariff, headers=CPO)).status_code == 200
        assert (await client.delete(tariff_url, headers=CPO)).status_code == 200
        assert (await client.get(tariff_url, headers=CPO)).status_code == 404
        assert (await client.patch(tariff_url, json={"last_updated": "x"}, headers=CPO)).status_code == 405


async def test_cdr_post_answers_201_with_a_location_to_get_it_back() -> None:
    emsp = SimulatedEmsp()
    cdr = {
        "country_code": "NL",
        "party_id": "CPO",
        "id": "CDR1",
        "total_cost": {"excl_vat": 1.0},
        "charging_periods": [],
    }
    async with direct(emsp) as client:
        reply = await client.post("/ocpi/2.2.1/receiver/cdrs", json=cdr, headers=CPO)
        assert (reply.status_code, reply.json()["status_code"]) == (201, 1000)
        location = reply.headers["location"]
        assert location == f"{SIM_URL}/ocpi/2.2.1/receiver/cdrs/NL/CPO/CDR1"
        assert (await client.get(location, headers=CPO)).json()["data"] == cdr
        other = await client.post("/ocpi/2.2.1/receiver/cdrs", json=cdr | {"party_id": "ZZZ"}, headers=CPO)
        assert other.json()["status_code"] == 2001  # not the sender's CDR
    assert emsp.cdrs == {("NL", "CPO", "CDR1"): cdr}


async def test_results_reach_whoever_waits_for_them() -> None:
    emsp = SimulatedEmsp()
    async with direct(emsp) as client:
        url = "/ocpi/2.2.1/sender/commands/START_SESSION/ref1"
        assert (await client.post(url, json={"result": "ACCEPTED"}, headers=CPO)).json()["status_code"] == 1000
        assert (await client.post(url, json={"nothing": 1}, headers=CPO)).json()["status_code"] == 2001
        profile = {"start_date_time": "2026-01-01T00:00:00Z", "charging_profile": {"charging_rate_unit": "W"}}
        assert (
            await client.put("/ocpi/2.2.1/sender/chargingprofiles/S1", json=profile, headers=CPO)
        ).status_code == 200
    assert await emsp.wait_result("ref1", timeout=0.1) == {"result": "ACCEPTED"}
    assert await emsp.wait_result("ref2", timeout=0.05) is None
    assert emsp.active_profiles == {"S1": profile}
