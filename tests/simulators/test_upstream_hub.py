"""The simulated upstream hub (simulators.upstream_hub), through real loopback sockets: simulated
OCPI platforms (SimulatedCpo / SimulatedEmsp) register at it or are registered by it, and httpx
calls it the way the hub under development will."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from hub.types import InterfaceRole, PartyKey
from simulators import SimulatedCpo, SimulatedEmsp
from simulators.platform import OcpiPlatform
from simulators.upstream_hub import CpoSpec, HubConfig, Operator, UpstreamHub

R, S = InterfaceRole.RECEIVER, InterfaceRole.SENDER
HUB = PartyKey.of("FR", "007")
CPO, MSP = PartyKey.of("NL", "CPO"), PartyKey.of("DE", "MSP")
CP1, CP2, MS1 = PartyKey.of("FR", "CP1"), PartyKey.of("FR", "CP2"), PartyKey.of("FR", "MS1")
PLATFORMS = {"cpo": (Operator.of("NL", "CPO", "CPO"),), "emsp": (Operator.of("DE", "MSP", "EMSP"),)}


def _config(**changes: Any) -> HubConfig:
    return HubConfig(platforms=PLATFORMS, **changes)


Stack = Callable[..., Awaitable[Any]]


@pytest.fixture
async def stack() -> AsyncIterator[dict[str, Any]]:
    """Started parts, stopped at teardown: `hub`, `cpo`, `emsp` as the tests create them."""
    parts: dict[str, Any] = {}
    try:
        yield parts
    finally:
        for part in parts.values():
            await part.stop()


async def _hub(stack: dict[str, Any], **changes: Any) -> UpstreamHub:
    hub = UpstreamHub(_config(**changes))
    await hub.start()
    stack["hub"] = hub
    return hub


async def _platform(stack: dict[str, Any], hub: UpstreamHub, kind: str, **kwargs: Any) -> Any:
    """A SimulatedCpo (NL*CPO) or SimulatedEmsp (DE*MSP) registered at the hub (platform-initiated)."""
    platform: OcpiPlatform
    if kind == "cpo":
        platform = SimulatedCpo(country_code="NL", party_id="CPO", name="cpo", evses=8, **kwargs)
    else:
        platform = SimulatedEmsp(country_code="DE", party_id="MSP", name="emsp", tokens=3, **kwargs)
    await platform.start()
    stack[kind] = platform
    await platform.register(hub.versions_url, hub.issue_token_a(kind))
    return platform


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}


def _headers(token: str, *, from_: PartyKey = MSP, to: PartyKey = HUB, **extra: str) -> dict[str, str]:
    return {
        **_auth(token),
        "X-Request-ID": "req-1",
        "X-Correlation-ID": "corr-1",
        "OCPI-from-country-code": from_.country_code,
        "OCPI-from-party-id": from_.party_id,
        "OCPI-to-country-code": to.country_code,
        "OCPI-to-party-id": to.party_id,
        **extra,
    }


def _owned(cpo: SimulatedCpo) -> None:
    """Give the platform CPO's locations the owner Gireve's quality gate wants."""
    for location in cpo.locations:
        location["owner"] = {"name": "Our CPO"}


# --- registration --------------------------------------------------------------------------------


async def test_platform_registers_with_token_a_and_sees_only_the_hub_role(stack: dict[str, Any]) -> None:
    hub = await _hub(stack)
    emsp = await _platform(stack, hub, "emsp")
    assert emsp.registered and emsp.hub_party == HUB
    connection = hub.connection("emsp")
    assert connection.registered and connection.outbound_token == emsp.inbound_token
    assert connection.roles[0]["party_id"] == "MSP"  # kept, not used
    details = hub.journal.find("in", module="versions")[-1].data
    announced = {(e["identifier"], e["role"]) for e in details["endpoints"]}
    assert ("commands", "RECEIVER") in announced and ("hubclientinfo", "SENDER") not in announced
    credentials = hub.journal.find("in", module="credentials", method="POST")[0]
    assert [r["role"] for r in credentials.data["roles"]] == ["HUB"]
    # the hub read the platform's versions with token B while the POST was going on
    token_b = hub.journal.find("out", module="versions")[0].header("authorization")
    assert token_b == _auth(emsp.inbound_token)["Authorization"]
    # token A is spent
    async with httpx.AsyncClient() as client:
        headers = {**_auth("nope"), "X-Request-ID": "a", "X-Correlation-ID": "b"}
        reply = await client.get(hub.versions_url, headers=headers)
    assert reply.status_code == 401


async def test_hub_registers_at_platform_then_deletes_and_rotates(stack: dict[str, Any]) -> None:
    hub = await _hub(stack)
    emsp = SimulatedEmsp(country_code="DE", party_id="MSP", name="emsp", tokens=1)
    await emsp.start()
    stack["emsp"] = emsp
    given = await hub.register_at("emsp", emsp.versions_url, emsp.issue_token_a())
    assert emsp.registered and emsp.hub_party == HUB and hub.connection("emsp").outbound_token == given["token"]
    first = given["token"]
    reply = await emsp.send("GET", "locations", S, to=HUB, params={"limit": "1"})
    assert reply.ok and len(reply.data) == 1

    deleted = await hub.delete_credentials("emsp")
    assert deleted.ok and emsp.inbound_token is None and not hub.connection("emsp").registered

    await hub.register_at("emsp", emsp.versions_url, emsp.issue_token_a())
    again = await hub.rotate_token("emsp", emsp.issue_token_a())
    assert again["token"] != first and hub.connection("emsp").registrations == 3
    assert (await emsp.send("GET", "locations", S, to=HUB, params={"limit": "1"})).ok
    assert not hub.journal.find("out", module="credentials", method="PUT")
    methods = [e.method for e in hub.journal.find("out", module="credentials")]
    assert methods == ["POST", "DELETE", "POST", "DELETE", "POST"]


async def test_put_credentials_is_refused_in_gireve_and_works_in_spec(stack: dict[str, Any]) -> None:
    hub = await _hub(stack)
    emsp = await _platform(stack, hub, "emsp")
    body = {"token": emsp.inbound_token, "url": emsp.versions_url, "roles": []}
    headers = {**_auth(emsp.outbound_token), "X-Request-ID": "r", "X-Correlation-ID": "c"}
    async with httpx.AsyncClient() as client:
        reply = await client.put(f"{hub.version_url}/credentials", json=body, headers=headers)
    assert (reply.status_code, reply.json()["status_code"]) == (405, 2000)
    await hub.stop()
    del stack["hub"]

    spec = await _hub(stack, profile="spec", hubclientinfo_push=False)
    await emsp.register(spec.versions_url, spec.issue_token_a("emsp"))
    body["token"] = emsp.inbound_token
    headers = {**_auth(emsp.outbound_token), "X-Request-ID": "r", "X-Correlation-ID": "c"}
    async with httpx.AsyncClient() as client:
        reply = await client.put(f"{spec.version_url}/credentials", json=body, headers=headers)
    assert reply.status_code == 200 and reply.json()["data"]["token"] != emsp.outbound_token


# --- headers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"X-Request-ID": None}, (400, 2001)),
        ({"X-Correlation-ID": None}, (400, 2001)),
        ({"OCPI-to-country-code": None, "OCPI-to-party-id": None}, (400, 2001)),
        ({"OCPI-from-party-id": "XXX"}, (403, 2000)),  # not an operator of the platform
        ({"OCPI-to-party-id": "CP1"}, (400, 2001)),  # gireve: TO must be the hub
    ],
)
async def test_bad_headers_are_rejected(
    stack: dict[str, Any], change: dict[str, str | None], status: tuple[int, int]
) -> None:
    hub = await _hub(stack)
    emsp = await _platform(stack, hub, "emsp")
    headers = _headers(emsp.outbound_token)
    for name, value in change.items():
        if value is None:
            headers.pop(name)
        else:
            headers[name] = value
    async with httpx.AsyncClient() as client:
        reply = await client.get(f"{hub.version_url}/sender/locations", headers=headers)
    assert (reply.status_code, reply.json()["status_code"]) == status
    assert hub.journal.find("in", module="locations")[-1].http_status == status[0]


async def test_role_enforcement_and_to_accept_knob_and_id_echo(stack: dict[str, Any]) -> None:
    hub = await _hub(stack, to_must_be_hub="accept")
    emsp = await _platform(stack, hub, "emsp")
    async with httpx.AsyncClient() as client:
        # an eMSP-only operator may not push locations
        push = await client.put(
            f"{hub.version_url}/receiver/locations/DE/MSP/L1", json={}, headers=_headers(emsp.outbound_token)
        )
        assert (push.status_code, push.json()["status_code"]) == (403, 2000)
        reply = await client.get(f"{hub.version_url}/sender/locations", headers=_headers(emsp.outbound_token, to=CP1))
    assert reply.status_code == 200 and reply.json()["status_code"] == 1000
    assert reply.headers["X-Request-ID"] == "req-1" and reply.headers["X-Correlation-ID"] == "corr-1"
    assert (reply.headers["OCPI-from-party-id"], reply.headers["OCPI-to-party-id"]) == ("007", "MSP")
    assert hub.journal.find("in", module="locations")[-1].ids_echoed


# --- pagination ------------------------------------------------------------------------------------------


async def test_pulls_are_capped_and_linked_with_gireve_ids_and_agreements(stack: dict[str, Any]) -> None:
    agreements = frozenset({(CP1, MSP)})  # CP2 has no agreement with DE*MSP
    hub = await _hub(
        stack,
        cpos=(CpoSpec("FR", "CP1", locations=25, evses_per_location=1), CpoSpec("FR", "CP2")),
        agreements=agreements,
        page_caps={"locations": 10, "tariffs": 100, "tokens": 1000, "cdrs": 20},
    )
    emsp = await _platform(stack, hub, "emsp")
    locations, replies = await emsp.pull(HUB, "locations")  # no limit: the hub pages anyway
    assert len(locations) == 25 and len(replies) == 3
    assert {(loc["country_code"], loc["party_id"]) for loc in locations} == {("FR", "CP1")}
    assert all(loc["gireve_id"].startswith("GIR-L") for loc in locations)
    first = replies[0]
    assert (first.headers["x-total-count"], first.headers["x-limit"]) == ("25", "10")
    assert "offset=10" in first.headers["link"] and "link" not in replies[-1].headers
    big = await emsp.send("GET", "locations", S, to=HUB, params={"limit": "50"})
    assert len(big.data) == 10 and big.headers["x-limit"] == "10"


# --- routing, commands, id rewriting ------------------------------------------------------------------------


async def test_start_and_stop_session_at_a_cpo_behind_the_hub(stack: dict[str, Any]) -> None:
    hub = await _hub(stack)
    emsp = await _platform(stack, hub, "emsp")
    cp1 = hub.cpo("FR", "CP1")
    outcome = await emsp.start_session(HUB, location_id="LOC00001", evse_uid="LOC00001-1")
    assert outcome.accepted and outcome.result == {"result": "ACCEPTED"}
    own = cp1.last_session()
    assert own is not None and own["id"].startswith("CP1-S")
    sent_reference = cp1.commands[0]["authorization_reference"]
    assert sent_reference.startswith("GIR-A")  # the CPO sees the hub's reference

    result = (await hub.journal.wait_for("out", module="commands"))[0]
    assert result.header("ocpi-from-party-id") == "CP1" and result.header("ocpi-to-party-id") == "MSP"

    await hub.journal.wait_for("out", module="sessions")  # journaled once the eMSP answered
    session = emsp.sessions.values()[0]
    assert session["id"].startswith("GIR-S") and session["id"] != own["id"]
    assert session["authorization_reference"] == sent_reference

    stop = await emsp.stop_session(HUB, session["id"])  # the hub's id: mapped back to CP1's
    assert stop.accepted and stop.result == {"result": "ACCEPTED"}
    assert cp1.commands[-1]["session_id"] == own["id"]
    await hub.journal.wait_for("out", module="cdrs")
    cdr = next(iter(emsp.cdrs.values()))
    assert cdr["session_id"] == session["id"] and cdr["id"] == f"CDR-{own['id']}"
    assert emsp.sessions.values()[0]["status"] == "COMPLETED"

    unlock = await emsp.command(HUB, "UNLOCK_CONNECTOR", {"location_id": "L", "evse_uid": "E", "connector_id": "1"})
    assert unlock.response.data["result"] == "NOT_SUPPORTED"


async def test_authorize_routes_by_token_and_needs_a_location(stack: dict[str, Any]) -> None:
    hub = await _hub(stack)
    cpo = await _platform(stack, hub, "cpo")
    uid = hub.emsp("FR", "MS1").driver_token()["uid"]
    missing = await cpo.send("POST", "tokens", S, f"{uid}/authorize", to=HUB, params={"type": "RFID"})
    assert missing.status_code == 2002
    unknown = await cpo.send("POST", "tokens", S, "0000000000FFFF/authorize", to=HUB, json={"location_id": "LOC00001"})
    assert unknown.status_code == 2004
    reply = await cpo.send(
        "POST",
        "tokens",
        S,
        f"{uid}/authorize",
        to=HUB,
        json={"location_id": "LOC00001", "evse_uids": ["LOC00001-1", "LOC00001-2"]},
        params={"type": "RFID"},
    )
    assert reply.ok and reply.data["allowed"] == "ALLOWED"
    assert reply.data["location"]["evse_uids"] == ["LOC00001-1"]  # the hub picks one EVSE
    answered = hub.emsp("FR", "MS1").authorizations[0]["authorization_reference"]
    given = reply.data["authorization_reference"]
    assert given.startswith("GIR-A") and given != answered
    assert hub.ids.auth_refs[given] == (MS1, answered)


async def test_emsp_behind_the_hub_starts_a_session_at_the_platform_cpo_spec(stack: dict[str, Any]) -> None:
    hub = await _hub(stack, profile="spec", hubclientinfo_push=False)
    cpo = await _platform(stack, hub, "cpo", tick_seconds=30.0, command_delay=0.01)
    ms1 = hub.emsp("FR", "MS1")
    outcome = await ms1.start_session(location_id="LOC00001", evse_uid="LOC00001-1", cpo=CPO)
    assert outcome.accepted and outcome.result == {"result": "ACCEPTED"}
    command = hub.journal.find("out", module="commands")[0]
    assert command.request_body["response_url"].startswith(hub.endpoint_url("commands", S))
    assert (command.header("ocpi-to-party-id"), command.header("ocpi-from-party-id")) == ("CPO", "MS1")
    await hub.journal.wait_for("internal", module="sessions")
    session = ms1.sessions.values()[0]
    assert session["cdr_token"]["party_id"] == "MS1" and session["status"] in ("PENDING", "ACTIVE")
    assert [running.id for running in cpo.active.values()] == [session["id"]]  # spec: ids end to end


# --- quality gate and dedupe ----------------------------------------------------------------------------------


async def test_quality_gate_rejects_bad_locations_and_rfid_uids(stack: dict[str, Any]) -> None:
    hub = await _hub(stack)
    cpo = await _platform(stack, hub, "cpo")
    replies = await cpo.publish_locations()
    assert {r.status_code for r in replies} == {2001}  # owner.name missing
    assert "owner.name missing" in hub.rejected[0][1]
    _owned(cpo)
    wrong = next(iter(cpo.locations))
    wrong["evses"][0]["evse_id"] = "NL*XYZ*E1"
    replies = await cpo.publish_locations()
    assert sorted(r.status_code or 0 for r in replies) == [1000, 2001]
    assert any("not under NL*CPO" in p for _, problems in hub.rejected for p in problems)
    ms1 = hub.emsp("FR", "MS1")
    assert len(ms1.locations) == 1 and hub.journal.find("internal", note="forwarded to FR*MS1", module="locations")

    emsp = await _platform(stack, hub, "emsp")
    bad = dict(next(iter(emsp.tokens)))  # the simulator's uids are 15 characters
    good = {**bad, "uid": "04A2B3C4D5E6F7"}
    assert (await emsp.push_tokens([HUB], tokens=[bad]))[0].status_code == 2001
    assert (await emsp.push_tokens([HUB], tokens=[good]))[0].ok
    assert hub.cpo("FR", "CP1").tokens.find("DE", "MSP", "04A2B3C4D5E6F7") is not None


async def test_identical_consecutive_evse_statuses_are_forwarded_once(stack: dict[str, Any]) -> None:
    hub = await _hub(stack)
    cpo = await _platform(stack, hub, "cpo")
    _owned(cpo)
    await cpo.publish_locations()
    location = next(iter(cpo.locations))
    evse_uid = location["evses"][0]["uid"]
    for status in ("CHARGING", "CHARGING", "AVAILABLE"):
        assert all(r.ok for r in await cpo.set_evse_status(evse_uid, status))
    forwards = hub.journal.find("internal", module="locations", method="PATCH", note="forwarded to FR*MS1")
    assert len(forwards) == 2 and len(hub.journal.find("internal", note="deduped")) == 1

    emsp = await _platform(stack, hub, "emsp")
    cp1 = hub.cpo("FR", "CP1")
    assert all(r.ok for r in await cp1.push_location("LOC00001"))
    for status in ("CHARGING", "CHARGING"):
        await cp1.push_evse_status("LOC00001", "LOC00001-1", status)
    pushed = hub.journal.find("out", module="locations", method="PATCH")
    assert len(pushed) == 1 and pushed[0].header("ocpi-to-party-id") == "MSP" and pushed[0].status_code == 1000
    assert emsp.locations.get(["FR", "CP1", "LOC00001", "LOC00001-1"])["status"] == "CHARGING"


# --- HubClientInfo ------------------------------------------------------------------------------------------------


async def test_spec_profile_pushes_client_info_and_answers_4003_for_offline_parties(stack: dict[str, Any]) -> None:
    hub = await _hub(stack, profile="spec")
    emsp = await _platform(stack, hub, "emsp")
    await hub.journal.wait_for("out", module="hubclientinfo", count=4, where=lambda e: e.http_status == 200)
    assert {(k, v["status"]) for k, v in emsp.client_info.objects.items()} >= {(("FR", "CP1"), "CONNECTED")}
    replies = await hub.set_party_status("FR", "CP1", "OFFLINE")
    assert [r.ok for r in replies] == [True] and emsp.client_info.objects[("FR", "CP1")]["status"] == "OFFLINE"
    offline = await emsp.send("GET", "locations", S, to=CP1)
    assert offline.status_code == 4003
    routed = await emsp.send("GET", "locations", S, to=CP2, params={"limit": "2"})
    assert routed.ok and {loc["party_id"] for loc in routed.data} == {"CP2"} and "gireve_id" not in routed.data[0]
    listed = await emsp.send("GET", "hubclientinfo", S, to=None, params={"limit": "3"})
    assert len(listed.data) == 3 and listed.headers["x-total-count"] == "4"


# --- faults ------------------------------------------------------------------------------------------------------


async def test_link_down_5xx_bursts_hub_errors_and_slow_answers(stack: dict[str, Any]) -> None:
    hub = await _hub(stack)
    emsp = await _platform(stack, hub, "emsp", timeout=0.5)
    await hub.link_down("refuse")
    refused = await emsp.send("GET", "locations", S, to=HUB)
    assert refused.http_status == 0 and "Connect" in (refused.error or "")
    await hub.link_up()
    assert (await emsp.send("GET", "locations", S, to=HUB)).ok

    await hub.link_down("hang", seconds=1.0)
    hung = await emsp.send("GET", "locations", S, to=HUB)
    assert hung.http_status == 0 and "Timeout" in (hung.error or "")

    hub.faults.server_errors = 2
    statuses = [(await emsp.send("GET", "tariffs", S, to=HUB)).http_status for _ in range(3)]
    assert statuses == [503, 503, 200]
    hub.faults.hub_error, hub.faults.hub_error_count = 4001, 1
    assert (await emsp.send("GET", "tariffs", S, to=HUB)).status_code == 4001
    hub.faults.slow_seconds = 0.3
    slow = await emsp.send("GET", "tariffs", S, to=HUB)
    assert slow.ok and slow.elapsed_ms >= 300


async def test_duplicate_and_out_of_order_deliveries(stack: dict[str, Any]) -> None:
    hub = await _hub(stack)
    emsp = await _platform(stack, hub, "emsp")
    cp1 = hub.cpo("FR", "CP1")
    await cp1.push_location("LOC00001")
    hub.faults.duplicate = True
    await cp1.push_evse_status("LOC00001", "LOC00001-1", "CHARGING")
    twice = hub.journal.find("out", module="locations", method="PATCH")
    assert len(twice) == 2 and twice[0].header("x-request-id") == twice[1].header("x-request-id")
    assert len([e for e in emsp.history if e.module == "locations" and e.method == "PATCH"]) == 2

    hub.faults.duplicate = False
    hub.hold_deliveries()
    for status in ("AVAILABLE", "BLOCKED", "OUTOFORDER"):
        assert (await cp1.push_evse_status("LOC00001", "LOC00001-2", status))[0].error
    await hub.release_deliveries(reverse=True)
    arrived = [e.request_body["status"] for e in hub.journal.find("out", module="locations", path="LOC00001-2")]
    assert arrived == ["OUTOFORDER", "BLOCKED", "AVAILABLE"]
    assert emsp.locations.get(["FR", "CP1", "LOC00001", "LOC00001-2"])["status"] == "AVAILABLE"


# --- journal -------------------------------------------------------------------------------------------------------


async def test_journal_keeps_headers_bodies_and_arrival_order(stack: dict[str, Any]) -> None:
    hub = await _hub(stack)
    emsp = await _platform(stack, hub, "emsp")
    await emsp.send("GET", "locations", S, to=HUB, params={"limit": "1"}, correlation_id="flow-1")
    entry = hub.journal.find("in", module="locations")[-1]
    assert entry.platform == "emsp" and entry.header("x-correlation-id") == "flow-1"
    assert entry.response_header("x-correlation-id") == "flow-1" and entry.status_code == 1000
    assert entry.response_header("x-total-count") == "6" and len(entry.data) == 1
    seqs = [e.seq for e in hub.journal.find()]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    outbound = hub.journal.find("out", module="versions")
    assert outbound and all(e.platform == "emsp" and e.http_status == 200 for e in outbound)


async def test_platform_cpo_sessions_and_cdrs_reach_the_emsp_behind_with_hub_ids(stack: dict[str, Any]) -> None:
    hub = await _hub(stack)
    cpo = await _platform(stack, hub, "cpo")
    ms1 = hub.emsp("FR", "MS1")
    token = ms1.driver_token()
    authorized = await cpo.send(
        "POST", "tokens", S, f"{token['uid']}/authorize", to=HUB, json={"location_id": "LOC00001"}
    )
    reference = authorized.data["authorization_reference"]
    cdr_token = {k: token[k] for k in ("country_code", "party_id", "uid", "type", "contract_id")}
    session = {
        "country_code": "NL",
        "party_id": "CPO",
        "id": "S1",
        "start_date_time": "2025-01-01T00:00:00Z",
        "kwh": 1.0,
        "cdr_token": cdr_token,
        "auth_method": "AUTH_REQUEST",
        "authorization_reference": reference,
        "location_id": "LOC00001",
        "evse_uid": "LOC00001-1",
        "connector_id": "1",
        "currency": "EUR",
        "status": "ACTIVE",
        "last_updated": "2025-01-01T00:00:00Z",
    }
    assert (await cpo.send("PUT", "sessions", R, "NL/CPO/S1", to=HUB, json=session)).ok
    seen = ms1.sessions.values()[0]
    assert seen["id"].startswith("GIR-S") and hub.ids.session_in(seen["id"]) == (CPO, "S1")
    assert seen["authorization_reference"] == reference  # the hub's reference, as Gireve sends it
    patch = await cpo.send("PATCH", "sessions", R, "NL/CPO/S1", to=HUB, json={"kwh": 2.0})
    assert patch.http_status == 405  # Gireve: no PATCH Sessions

    cdr = {**session, "id": "CDR1", "session_id": "S1", "total_cost": {"excl_vat": 1.0}, "charging_periods": []}
    posted = await cpo.send("POST", "cdrs", R, to=HUB, json=cdr)
    assert posted.http_status == 201 and posted.headers["location"].endswith("/NL/CPO/CDR1")
    assert ms1.cdrs[0]["session_id"] == seen["id"] and ms1.cdrs[0]["id"] == "CDR1"


async def test_cdr_pulls_use_the_cdr_cap(stack: dict[str, Any]) -> None:
    hub = await _hub(stack, page_caps={"cdrs": 2})
    emsp = await _platform(stack, hub, "emsp")
    cp1 = hub.cpo("FR", "CP1")
    token = next(iter(emsp.tokens))
    for _ in range(3):
        session = cp1.open_session(token, location_id="LOC00001", evse_uid="LOC00001-1")
        assert all(r.ok for r in await cp1.push_cdr(session["id"]))
    cdrs, replies = await emsp.pull(HUB, "cdrs", limit=20)
    assert len(cdrs) == 3 and len(replies) == 2 and replies[0].headers["x-limit"] == "2"
    assert {c["session_id"] for c in cdrs} == {c["session_id"] for c in emsp.cdrs.values()}
    assert all(c["session_id"].startswith("GIR-S") for c in cdrs)


async def test_static_data_waits_for_integration_and_roles_can_list_parties(stack: dict[str, Any]) -> None:
    hub = await _hub(stack, integration_delay=0.2, list_parties_in_roles=True)
    cpo = await _platform(stack, hub, "cpo")
    credentials = hub.journal.find("in", module="credentials", method="POST")[0].data
    assert credentials["hub_party_id"] == "FR007"
    assert {(r["role"], r["party_id"]) for r in credentials["roles"]} >= {
        ("HUB", "007"),
        ("CPO", "CP1"),
        ("EMSP", "MS1"),
    }
    _owned(cpo)
    assert all(r.ok for r in await cpo.publish_locations())
    ms1 = hub.emsp("FR", "MS1")
    assert len(ms1.locations) == 0  # accepted, not integrated yet
    await hub.journal.wait_for("internal", note="forwarded to FR*MS1", count=2)
    assert len(ms1.locations) == 2 and all(loc["gireve_id"].startswith("GIR-L") for loc in ms1.locations.values())
