"""The simulated CPO's interfaces, talked to directly as the hub would (no hub in between)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from hub.types import InterfaceRole, PartyKey
from hub.validation.catalogue import catalogue
from simulators import SimulatedCpo
from tests.simulators.helpers import RESULTS_URL, Recorder, direct, routing

EMSP = routing(("DE", "MSP"), ("NL", "CPO"))
S = InterfaceRole.SENDER


def valid_reply(module: str, rest: str, envelope: dict[str, Any], method: str = "GET") -> None:
    target = catalogue().reply("2.2.1", module, S, method, rest)
    assert target is not None
    target.adapter.validate_python(envelope)


async def test_ten_thousand_evses_paginated() -> None:
    started = time.perf_counter()
    cpo = SimulatedCpo(evses=10_000, page_limit=100)
    assert cpo.evse_count == 10_000 and len(cpo.locations) == 2_500
    assert time.perf_counter() - started < 5
    async with direct(cpo) as client:
        first = await client.get("/ocpi/2.2.1/sender/locations", params={"limit": 1000}, headers=EMSP)
        body = first.json()
        assert len(body["data"]) == 100  # the server caps limit
        assert first.headers["x-total-count"] == "2500" and first.headers["x-limit"] == "100"
        assert first.headers["link"] == f'<{cpo.endpoint_url("locations", S)}?offset=100&limit=100>; rel="next"'
        valid_reply("locations", "", body)
        last = await client.get("/ocpi/2.2.1/sender/locations", params={"offset": 2450, "limit": 100}, headers=EMSP)
        assert len(last.json()["data"]) == 50 and "link" not in last.headers
        window = await client.get(
            "/ocpi/2.2.1/sender/locations",
            params={"date_from": "2025-01-01T00:00:20Z", "date_to": "2025-01-01T00:00:30Z"},
            headers=EMSP,
        )
        assert [loc["id"] for loc in window.json()["data"]] == [f"LOC{n:05d}" for n in range(11, 21)]


async def test_get_one_location_evse_and_connector() -> None:
    cpo = SimulatedCpo(evses=4, evses_per_location=2)
    async with direct(cpo) as client:
        for rest in ("LOC00001", "LOC00001/LOC00001-2", "LOC00001/LOC00001-2/1"):
            reply = await client.get(f"/ocpi/2.2.1/sender/locations/{rest}", headers=EMSP)
            assert reply.status_code == 200, rest
            valid_reply("locations", rest, reply.json())
        missing = await client.get("/ocpi/2.2.1/sender/locations/LOC00001/NOPE", headers=EMSP)
        assert (missing.status_code, missing.json()["status_code"]) == (404, 2003)
        tariffs = (await client.get("/ocpi/2.2.1/sender/tariffs", headers=EMSP)).json()
        valid_reply("tariffs", "", tariffs)
        assert [t["id"] for t in tariffs["data"]] == ["AC", "DC"]


async def test_tokens_receiver_put_patch_get() -> None:
    cpo = SimulatedCpo()
    token = {
        "country_code": "DE",
        "party_id": "MSP",
        "uid": "T1",
        "type": "RFID",
        "contract_id": "DE-MSP-C1",
        "issuer": "x",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2025-01-01T00:00:00Z",
    }
    url = "/ocpi/2.2.1/receiver/tokens/DE/MSP/T1"
    async with direct(cpo) as client:
        assert (await client.put(url, json=token, headers=EMSP)).json()["status_code"] == 1000
        patch = {"valid": False, "last_updated": "2025-01-02T00:00:00Z"}
        assert (await client.patch(url, json=patch, headers=EMSP)).json()["status_code"] == 1000
        got = (await client.get(url, params={"type": "RFID"}, headers=EMSP)).json()["data"]
        assert got["valid"] is False and got["contract_id"] == "DE-MSP-C1"
        other_type = await client.get(url, params={"type": "APP_USER"}, headers=EMSP)
        assert other_type.status_code == 404
        unknown = await client.patch("/ocpi/2.2.1/receiver/tokens/DE/MSP/T9", json=patch, headers=EMSP)
        assert unknown.status_code == 404


async def _command(client: Any, command: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = await client.post(f"/ocpi/2.2.1/receiver/commands/{command}", json=body, headers=EMSP)
    envelope: dict[str, Any] = reply.json()
    return envelope


def results(recorder: Recorder) -> list[tuple[str, dict[str, str], Any]]:
    return [r for r in recorder.received if not r[0].startswith("/push/")]


async def until(predicate: Any, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def test_commands_answer_at_once_and_post_results_to_the_response_url() -> None:
    recorder = Recorder()
    cpo = SimulatedCpo(
        evses=2,
        evses_per_location=2,
        command_delay=0.01,
        tick_seconds=0.05,
        publish_to=[PartyKey.of("DE", "MSP")],
        client=recorder.client(),
    )
    cpo.outbound_token = "cpo-token"
    for module in ("locations", "sessions", "cdrs"):  # the CPO's pushes go to the recorder too
        cpo.hub_endpoints[(module, "RECEIVER")] = f"{RESULTS_URL}/push/{module}"
    token = {"country_code": "DE", "party_id": "MSP", "uid": "T1", "type": "APP_USER", "contract_id": "DE-MSP-C1"}
    async with direct(cpo) as client:
        answer = await _command(
            client,
            "START_SESSION",
            {
                "response_url": f"{RESULTS_URL}/start",
                "token": token,
                "location_id": "LOC00001",
                "evse_uid": "LOC00001-1",
            },
        )
        assert answer["data"] == {"result": "ACCEPTED", "timeout": 30}
        await until(lambda: len(results(recorder)) == 1)
        path, headers, result = results(recorder)[0]
        assert (path, result) == ("/start", {"result": "ACCEPTED"})
        assert (headers["ocpi-to-country-code"], headers["ocpi-to-party-id"]) == ("DE", "MSP")
        assert (headers["ocpi-from-country-code"], headers["ocpi-from-party-id"]) == ("NL", "CPO")
        await until(lambda: len(cpo.active) == 1)
        [session_id] = cpo.active
        assert cpo.active[session_id].session["auth_method"] == "COMMAND"

        url = f"/ocpi/2.2.1/receiver/chargingprofiles/{session_id}"
        profile = {"charging_rate_unit": "A", "charging_profile_period": [{"start_period": 0, "limit": 16.0}]}
        put = await client.put(
            url, json={"charging_profile": profile, "response_url": f"{RESULTS_URL}/p"}, headers=EMSP
        )
        assert put.json()["data"]["result"] == "ACCEPTED"
        got = await client.get(url, params={"duration": "900", "response_url": f"{RESULTS_URL}/g"}, headers=EMSP)
        assert got.json()["data"]["result"] == "ACCEPTED"
        preferences = await client.put(
            f"/ocpi/2.2.1/sender/sessions/{session_id}/charging_preferences",
            json={"profile_type": "GREEN"},
            headers=EMSP,
        )
        assert preferences.json()["data"] == "ACCEPTED"
        await until(lambda: len(results(recorder)) == 3)
        assert results(recorder)[2][2]["profile"]["charging_profile"] == profile
        cleared = await client.delete(url, params={"response_url": f"{RESULTS_URL}/c"}, headers=EMSP)
        assert cleared.json()["data"]["result"] == "ACCEPTED"

        stop = await _command(client, "STOP_SESSION", {"response_url": f"{RESULTS_URL}/stop", "session_id": session_id})
        assert stop["data"]["result"] == "ACCEPTED"
        await until(lambda: not cpo.active and len(cpo.cdrs) == 1)
        pushed = [(p, b) for p, _, b in recorder.received if p.startswith("/push/")]
        assert [p.split("/")[2] for p, _ in pushed][:2] == ["locations", "sessions"]  # CHARGING, then the Session
        assert pushed[0][1]["status"] == "CHARGING" and pushed[-1][0] == "/push/cdrs"
        assert pushed[-1][1]["id"] == cpo.cdrs.get(pushed[-1][1]["id"])["id"]
        unknown = await _command(client, "STOP_SESSION", {"response_url": f"{RESULTS_URL}/x", "session_id": "nope"})
        assert unknown["data"]["result"] == "UNKNOWN_SESSION"
        unknown_location = await _command(
            client, "START_SESSION", {"response_url": f"{RESULTS_URL}/x", "token": token, "location_id": "NOPE"}
        )
        assert unknown_location["status_code"] == 2003
        unsupported = await _command(client, "SOMETHING_ELSE", {"response_url": f"{RESULTS_URL}/x"})
        assert unsupported["data"]["result"] == "NOT_SUPPORTED"
        sessions = await client.get("/ocpi/2.2.1/sender/sessions", params={"date_from": "2020-01-01T00:00:00Z"})
        valid_reply("sessions", "", sessions.json())
        cdrs = await client.get("/ocpi/2.2.1/sender/cdrs", headers=EMSP)
        valid_reply("cdrs", "", cdrs.json())
        assert cdrs.json()["data"][0]["session_id"] == session_id
    await cpo.stop()
