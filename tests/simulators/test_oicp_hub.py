"""The simulated OICP 2.3 hub through its real loopback socket: pushes and pulls, authorization,
remote start/stop both ways (with a tiny partner app on loopback), validation, faults, mTLS."""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
import trustme
from starlette.types import Receive, Scope, Send

from simulators.oicp_hub import (
    HubTls,
    OicpFaults,
    OicpHubSimulator,
    Partner,
    VirtualCpo,
    VirtualEmp,
    make_evse_record,
)
from simulators.serving import SimServer

GUID = re.compile(r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$")
EVCO = "DE-EMP-C12345678-9"
OUR_EVCO = "DE-HUB-C00000001-1"
OP_PATH = "/api/oicp/evsepush/v23/operators/DE*HUB/data-records"


@dataclass
class PartnerApp:
    """The partner side (what the OICP adapter will serve): records calls, answers `answers[path
    suffix]` (default: positive Ack / Authorized), after `delay` seconds."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    delay: float = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        path = scope["path"]
        body = orjson.loads(raw)
        self.calls.append((path, body))
        if self.delay:
            await asyncio.sleep(self.delay)
        answer = next((a for suffix, a in self.answers.items() if path.endswith(suffix)), None)
        if answer is None:
            answer = (
                {"AuthorizationStatus": "Authorized", "StatusCode": {"Code": "000"}, "ProviderID": "DE-HUB"}
                if "/authorize/" in path
                else {"Result": True, "StatusCode": {"Code": "000"}, "SessionID": body.get("SessionID")}
            )
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": orjson.dumps(answer)})


@pytest.fixture
async def partner() -> AsyncIterator[tuple[PartnerApp, SimServer]]:
    app = PartnerApp()
    server = SimServer(app, name="oicp-partner")
    await server.start()
    try:
        yield app, server
    finally:
        await server.stop()


def _virtual_parties() -> tuple[VirtualCpo, VirtualEmp]:
    cpo = VirtualCpo(
        "DE*CPO",
        name="Virtual CPO",
        evses=[
            make_evse_record("DE*CPO*E1"),
            make_evse_record("DE*CPO*E2", IsHubjectCompatible=False),
            make_evse_record("DE*CPO*E3", GeoCoordinates={"Google": {"Coordinates": "48.137000 11.575000"}}),
        ],
    )
    emp = VirtualEmp("DE-EMP", allowed={"AABBCCDD", EVCO}, blocked={"11223344"})
    return cpo, emp


@pytest.fixture
async def sim(partner: tuple[PartnerApp, SimServer]) -> AsyncIterator[OicpHubSimulator]:
    cpo, emp = _virtual_parties()
    hub = OicpHubSimulator(
        [
            Partner(
                "our-hub", operator_id="DE*HUB", provider_id="DE-HUB", sub_operator_ids=("DE*SUB",), url=partner[1].url
            )
        ],
        cpos=[cpo],
        emps=[emp],
        partner_timeout=0.5,
    )
    await hub.start()
    try:
        yield hub
    finally:
        await hub.stop()


@pytest.fixture
async def client(sim: OicpHubSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sim.server.url, timeout=5.0) as http:
        yield http


def _evse_push(action: str, *records: dict[str, Any]) -> dict[str, Any]:
    return {
        "ActionType": action,
        "OperatorEvseData": {"OperatorID": "DE*HUB", "OperatorName": "Our hub", "EvseDataRecord": list(records)},
    }


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any], **params: Any) -> Any:
    reply = await client.post(path, json=body, params=params or None)
    assert reply.status_code == 200, reply.text
    return reply.json()


async def _pull_data(client: httpx.AsyncClient, **extra: Any) -> Any:
    body = {"ProviderID": "DE-HUB", "GeoCoordinatesResponseFormat": "DecimalDegree", **extra}
    return await _post(client, "/api/oicp/evsepull/v23/providers/DE-HUB/data-records", body, size=100)


async def test_evse_data_push_actions_and_pull(client: httpx.AsyncClient) -> None:
    # fullLoad through a percent-encoded path, a sub-operator's EVSE included
    answer = await _post(
        client,
        "/api/oicp/evsepush/v23/operators/DE%2AHUB/data-records",
        _evse_push("fullLoad", make_evse_record("DE*HUB*E1"), make_evse_record("DE*SUB*E9")),
    )
    assert answer == {"Result": True, "StatusCode": {"Code": "000", "Description": "Success"}}
    pulled = await _pull_data(client)
    ids = {r["EvseID"] for r in pulled["content"]}
    assert ids == {"DE*HUB*E1", "DE*SUB*E9", "DE*CPO*E1", "DE*CPO*E2", "DE*CPO*E3"}
    assert pulled["totalElements"] == 5 and pulled["first"] and pulled["last"]
    mine = next(r for r in pulled["content"] if r["EvseID"] == "DE*HUB*E1")
    assert mine["OperatorID"] == "DE*HUB" and mine["OperatorName"] == "Our hub" and mine["lastUpdate"]
    munich = next(r for r in pulled["content"] if r["EvseID"] == "DE*CPO*E3")
    assert munich["GeoCoordinates"] == {"DecimalDegree": {"Latitude": "48.137000", "Longitude": "11.575000"}}

    since = datetime.now(UTC).isoformat()
    # insert of an existing record aborts the whole push: the new one is not stored either
    clash = await _post(
        client, OP_PATH, _evse_push("insert", make_evse_record("DE*HUB*E2"), make_evse_record("DE*HUB*E1"))
    )
    assert clash["Result"] is False and clash["StatusCode"]["Code"] == "022"
    assert "DE*HUB*E1" in clash["StatusCode"]["AdditionalInfo"]
    unknown = await _post(client, OP_PATH, _evse_push("update", make_evse_record("DE*HUB*E7")))
    assert unknown["StatusCode"]["Code"] == "022"
    assert (await _post(client, OP_PATH, _evse_push("insert", make_evse_record("DE*HUB*E2"))))["Result"]
    assert (await _post(client, OP_PATH, _evse_push("delete", make_evse_record("DE*SUB*E9"))))["Result"]
    delta = await _pull_data(client, LastCall=since)
    assert {(r["EvseID"], r["deltaType"]) for r in delta["content"]} == {
        ("DE*HUB*E2", "insert"),
        ("DE*SUB*E9", "delete"),
    }
    # a fullLoad replaces all of the partner's records (sub-operators included), nobody else's
    assert (await _post(client, OP_PATH, _evse_push("fullLoad", make_evse_record("DE*HUB*E5"))))["Result"]
    ids = {r["EvseID"] for r in (await _pull_data(client))["content"]}
    assert ids == {"DE*HUB*E5", "DE*CPO*E1", "DE*CPO*E2", "DE*CPO*E3"}
    # paging and filters
    paged = await _post(
        client,
        "/api/oicp/evsepull/v23/providers/DE-HUB/data-records",
        {"ProviderID": "DE-HUB", "GeoCoordinatesResponseFormat": "Google"},
        page=1,
        size=3,
    )
    assert (paged["number"], paged["numberOfElements"], paged["totalPages"], paged["last"]) == (1, 1, 2, True)
    center = {"GeoCoordinates": {"DecimalDegree": {"Latitude": "48.1", "Longitude": "11.6"}}, "Radius": 20}
    near = await _pull_data(client, SearchCenter=center)
    assert [r["EvseID"] for r in near["content"]] == ["DE*CPO*E3"]
    refused = await _pull_data(client, LastCall=since, OperatorIds=["DE*CPO"])
    assert refused["StatusCode"]["Code"] == "022" and refused["content"] == []


async def test_validation_and_identity_checks(client: httpx.AsyncClient) -> None:
    broken = make_evse_record("DE*HUB*E1", Plugs=["Unspecified"], HotlinePhoneNumber="030 123")
    del broken["Address"]["PostalCode"]
    answer = await _post(client, OP_PATH, _evse_push("fullLoad", broken))
    info = answer["StatusCode"]["AdditionalInfo"]
    assert answer["StatusCode"]["Code"] == "022"
    assert "Plugs[0]" in info and "HotlinePhoneNumber" in info and "Address.PostalCode" in info
    foreign = await _post(client, OP_PATH, _evse_push("fullLoad", make_evse_record("DE*CPO*E7")))
    assert foreign["StatusCode"]["Code"] == "018"
    wrong_path = await _post(client, "/api/oicp/evsepush/v23/operators/DE*CPO/data-records", _evse_push("fullLoad"))
    assert wrong_path["StatusCode"]["Code"] == "017"
    body = _evse_push("fullLoad")
    body["OperatorEvseData"]["OperatorID"] = "DE*XYZ"
    assert (await _post(client, OP_PATH, body))["StatusCode"]["Code"] == "017"
    action = await _post(client, OP_PATH, {**_evse_push("fullLoad"), "ActionType": "replace"})
    assert action["StatusCode"]["Code"] == "022"
    unreadable = await client.post(OP_PATH, content=b"{not json", headers={"content-type": "application/json"})
    assert unreadable.status_code == 400 and unreadable.json()["StatusCode"]["Code"] == "022"
    assert (await client.post("/api/oicp/evsepush/v99/nothing", json={})).status_code == 404
    assert (await client.get(OP_PATH)).status_code == 405
    stranger = await client.post(OP_PATH, json=_evse_push("fullLoad"), headers={"X-OICP-Partner": "somebody"})
    assert stranger.json()["StatusCode"]["Code"] == "017"


async def test_status_push_and_pulls(client: httpx.AsyncClient) -> None:
    push = {
        "ActionType": "fullLoad",
        "OperatorEvseStatus": {
            "OperatorID": "DE*HUB",
            "EvseStatusRecord": [{"EvseID": "DE*HUB*E1", "EvseStatus": "Occupied"}],
        },
    }
    assert (await _post(client, "/api/oicp/evsepush/v21/operators/DE*HUB/status-records", push))["Result"]
    bad = {
        "ActionType": "update",
        "OperatorEvseStatus": {
            "OperatorID": "DE*HUB",
            "EvseStatusRecord": [{"EvseID": "DE*HUB*E1", "EvseStatus": "Charging"}],
        },
    }
    assert (await _post(client, "/api/oicp/evsepush/v21/operators/DE*HUB/status-records", bad))["StatusCode"][
        "Code"
    ] == "022"
    by_id = await _post(
        client,
        "/api/oicp/evsepull/v21/providers/DE-HUB/status-records-by-id",
        {"ProviderID": "DE-HUB", "EvseID": ["DE*HUB*E1", "DE*CPO*E1", "DE*CPO*E99"]},
    )
    assert [r["EvseStatus"] for r in by_id["EVSEStatusRecords"]["EvseStatusRecord"]] == [
        "Occupied",
        "Available",
        "EvseNotFound",
    ]
    grouped = await _post(
        client,
        "/api/oicp/evsepull/v21/providers/DE-HUB/status-records",
        {"ProviderID": "DE-HUB", "EvseStatus": "Available"},
    )
    groups = grouped["EvseStatuses"]["OperatorEvseStatus"]
    assert [g["OperatorID"] for g in groups] == ["DE*CPO"] and len(groups[0]["EvseStatusRecord"]) == 3
    too_many = await _post(
        client,
        "/api/oicp/evsepull/v21/providers/DE-HUB/status-records-by-id",
        {"ProviderID": "DE-HUB", "EvseID": [f"DE*CPO*E{i}" for i in range(101)]},
    )
    assert too_many["StatusCode"]["Code"] == "022"


async def test_pricing_push_and_pull(client: httpx.AsyncClient) -> None:
    product = {
        "ProductID": "AC1",
        "ReferenceUnit": "KILOWATT_HOUR",
        "ProductPriceCurrency": "EUR",
        "PricePerReferenceUnit": 0.39,
        "MaximumProductChargingPower": 22,
        "IsValid24hours": True,
        "ProductAvailabilityTimes": [{"Periods": [{"begin": "00:00", "end": "23:59"}], "on": "Everyday"}],
    }
    push = {
        "ActionType": "fullLoad",
        "PricingProductData": {
            "OperatorID": "DE*HUB",
            "ProviderID": "*",
            "PricingDefaultPrice": 0.45,
            "PricingDefaultPriceCurrency": "EUR",
            "PricingDefaultReferenceUnit": "KILOWATT_HOUR",
            "PricingProductDataRecords": [product],
        },
    }
    assert (await _post(client, "/api/oicp/dynamicpricing/v10/operators/DE*HUB/pricing-products", push))["Result"]
    evse = {
        "ActionType": "fullLoad",
        "EVSEPricing": [{"EvseID": "DE*HUB*E1", "ProviderID": "DE-EMP", "EvseIDProductList": ["AC1"]}],
    }
    assert (await _post(client, "/api/oicp/dynamicpricing/v10/operators/DE*HUB/evse-pricing", evse))["Result"]
    pulled = await _post(
        client,
        "/api/oicp/dynamicpricing/v10/providers/DE-HUB/pricing-products",
        {"ProviderID": "DE-HUB", "OperatorIDs": ["DE*HUB"]},
    )
    assert pulled["PricingProductData"][0]["PricingProductDataRecords"][0]["ProductID"] == "AC1"
    # EVSE pricing for another EMP is not shown to this one
    other = await _post(
        client,
        "/api/oicp/dynamicpricing/v10/providers/DE-HUB/evse-pricing",
        {"ProviderID": "DE-HUB", "OperatorIDs": []},
    )
    assert other["EVSEPricing"] == []
    bad = {**push, "ActionType": "insert"}
    assert (await _post(client, "/api/oicp/dynamicpricing/v10/operators/DE*HUB/pricing-products", bad))["StatusCode"][
        "Code"
    ] == "022"


async def test_authorize_start_stop_notifications_and_cdr(client: httpx.AsyncClient, sim: OicpHubSimulator) -> None:
    path = "/api/oicp/charging/v21/operators/DE*HUB/authorize/start"
    body = {
        "OperatorID": "DE*HUB",
        "EvseID": "DE*HUB*E1",
        "CPOPartnerSessionID": "ours-1",
        "Identification": {"RFIDMifareFamilyIdentification": {"UID": "aabbccdd"}},
    }
    ok = await _post(client, path, body)
    assert ok["AuthorizationStatus"] == "Authorized" and ok["ProviderID"] == "DE-EMP"
    assert GUID.match(ok["SessionID"]) and ok["CPOPartnerSessionID"] == "ours-1"
    sid = ok["SessionID"]
    unknown = await _post(
        client, path, {**body, "Identification": {"RFIDMifareFamilyIdentification": {"UID": "99887766"}}}
    )
    assert (unknown["AuthorizationStatus"], unknown["StatusCode"]["Code"]) == ("NotAuthorized", "102")
    assert "SessionID" not in unknown
    blocked = await _post(
        client, path, {**body, "Identification": {"RFIDMifareFamilyIdentification": {"UID": "11223344"}}}
    )
    assert blocked["StatusCode"]["Code"] == "200"
    evco = await _post(client, path, {**body, "Identification": {"PlugAndChargeIdentification": {"EvcoID": EVCO}}})
    assert evco["AuthorizationStatus"] == "Authorized"
    nobody = await _post(
        client, path, {**body, "Identification": {"PlugAndChargeIdentification": {"EvcoID": "FR-XYZ-C12345678-1"}}}
    )
    assert nobody["StatusCode"]["Code"] == "300"
    rfid_data = await _post(
        client, path, {**body, "Identification": {"RFIDIdentification": {"UID": "AABBCCDD", "RFID": "mifareCls"}}}
    )
    assert rfid_data["StatusCode"]["Code"] == "022"
    sim.contracts.remove("DE*HUB", "DE-EMP")
    no_contract = await _post(
        client, path, {**body, "Identification": {"PlugAndChargeIdentification": {"EvcoID": EVCO}}}
    )
    assert no_contract["StatusCode"]["Code"] == "210"
    sim.contracts.add("DE*HUB", "DE-EMP")

    note = {
        "Type": "Progress",
        "SessionID": sid,
        "OperatorID": "DE*HUB",
        "EvseID": "DE*HUB*E1",
        "ChargingStart": "2025-05-01T10:00:00+02:00",
        "EventOccurred": "2025-05-01T10:01:00+02:00",
        "ConsumedEnergyProgress": 1.5,
    }
    notify = "/api/oicp/notificationmgmt/v11/charging-notifications"
    assert (await _post(client, notify, note))["Result"]
    assert (await _post(client, notify, {**note, "EventOccurred": "2025-05-01T10:02:00+02:00"}))["Result"]
    assert "Progress less than 5 min after the previous one" in sim.journal.last("eRoamingChargingNotifications").notes
    assert (await _post(client, notify, {**note, "ChargingStart": "2025-05-01T10:00:00"}))["StatusCode"][
        "Code"
    ] == "022"  # no offset
    stranger = {**note, "SessionID": "00000000-0000-0000-0000-000000000000"}
    assert (await _post(client, notify, stranger))["StatusCode"]["Code"] == "400"

    stop = await _post(
        client,
        "/api/oicp/charging/v21/operators/DE*HUB/authorize/stop",
        {"SessionID": sid, "OperatorID": "DE*HUB", "Identification": body["Identification"]},
    )
    assert stop["AuthorizationStatus"] == "Authorized" and stop["SessionID"] == sid

    cdr_path = "/api/oicp/cdrmgmt/v22/operators/DE*HUB/charge-detail-record"
    cdr = {
        "SessionID": sid,
        "EvseID": "DE*HUB*E1",
        "Identification": body["Identification"],
        "SessionStart": "2025-05-01T09:59:00+02:00",
        "ChargingStart": "2025-05-01T10:00:00+02:00",
        "ChargingEnd": "2025-05-01T11:00:00+02:00",
        "SessionEnd": "2025-05-01T11:01:00+02:00",
        "ConsumedEnergy": 11.25,
        "CPOPartnerSessionID": "ours-1",
    }
    first = await _post(client, cdr_path, cdr)
    assert first["Result"] and first["SessionID"] == sid
    second = await _post(client, cdr_path, cdr)
    assert (second["Result"], second["StatusCode"]["Code"]) == (False, "022")
    emp = sim.emps["DEEMP"]
    assert [op for op, _ in emp.received][-1] == "eRoamingChargeDetailRecord"
    assert [op for op, _ in emp.received].count("eRoamingChargingNotifications") == 2


async def test_remote_start_from_partner_to_virtual_cpo(client: httpx.AsyncClient, sim: OicpHubSimulator) -> None:
    path = "/api/oicp/charging/v21/providers/DE-HUB/authorize-remote/start"
    body = {
        "ProviderID": "DE-HUB",
        "EvseID": "DE*CPO*E1",
        "EMPPartnerSessionID": "emp-7",
        "Identification": {"RemoteIdentification": {"EvcoID": OUR_EVCO}},
    }
    ok = await _post(client, path, body)
    assert ok["Result"] is True and GUID.match(ok["SessionID"]) and ok["EMPPartnerSessionID"] == "emp-7"
    cpo = sim.cpos["DECPO"]
    assert cpo.received[-1][1]["SessionID"] == ok["SessionID"]
    assert sim.state.status_of("DECPOE1") == "Occupied"
    assert (await _post(client, path, {**body, "EvseID": "DE*CPO*E9"}))["StatusCode"]["Code"] == "603"
    assert (await _post(client, path, {**body, "EvseID": "DE*CPO*E2"}))["StatusCode"]["Code"] == "604"
    assert (await _post(client, path, {**body, "EvseID": "FR*ZZZ*E1"}))["StatusCode"]["Code"] == "300"
    foreign = {**body, "Identification": {"RemoteIdentification": {"EvcoID": EVCO}}}
    assert (await _post(client, path, foreign))["StatusCode"]["Code"] == "019"
    rfid = {**body, "Identification": {"RFIDMifareFamilyIdentification": {"UID": "AABBCCDD"}}}
    assert (await _post(client, path, rfid))["StatusCode"]["Code"] == "022"

    stop_path = "/api/oicp/charging/v21/providers/DE-HUB/authorize-remote/stop"
    stop = {"ProviderID": "DE-HUB", "EvseID": "DE*CPO*E1", "SessionID": ok["SessionID"]}
    assert (await _post(client, stop_path, stop))["Result"] is True
    assert sim.state.status_of("DECPOE1") == "Available"
    invalid = await _post(client, stop_path, {**stop, "SessionID": "11111111-2222-3333-4444-555555555555"})
    assert (invalid["Result"], invalid["StatusCode"]["Code"]) == (False, "400")

    cpo.delay = 1.0  # slower than the hub's patience (0.5 s): Result false
    late = await _post(client, path, body)
    assert (late["Result"], late["StatusCode"]["Code"]) == (False, "310")
    cpo.delay, cpo.accept = 0.0, False
    assert (await _post(client, path, body))["StatusCode"]["Code"] == "501"


async def test_hub_calls_the_partner(sim: OicpHubSimulator, partner: tuple[PartnerApp, SimServer]) -> None:
    app, _server = partner
    reply = await sim.remote_start("DE*HUB*E1", EVCO, emp_partner_session_id="emp-1")
    assert reply.http_status == 200 and reply.result
    path, body = app.calls[-1]
    assert path == "/api/oicp/charging/v21/providers/DE-EMP/authorize-remote/start"
    assert GUID.match(body["SessionID"]) and body["Identification"] == {"RemoteIdentification": {"EvcoID": EVCO}}
    sid = body["SessionID"]
    assert (await sim.remote_stop(sid)).result
    assert app.calls[-1] == (
        "/api/oicp/charging/v21/providers/DE-EMP/authorize-remote/stop",
        {"SessionID": sid, "ProviderID": "DE-EMP", "EvseID": "DE*HUB*E1"},
    )
    auth = await sim.authorize_start("aabbccdd", evse_id="DE*CPO*E1")
    assert auth.authorized
    path, body = app.calls[-1]
    assert path == "/api/oicp/charging/v21/operators/DE*CPO/authorize/start"
    assert body["Identification"] == {"RFIDMifareFamilyIdentification": {"UID": "AABBCCDD"}}
    asid = body["SessionID"]
    assert (await sim.charging_notification("Start", asid, ChargingStart="2025-05-01T10:00:00+01:00")).result
    assert app.calls[-1][0] == "/api/oicp/notificationmgmt/v11/charging-notifications"
    cdr = await sim.send_cdr(asid, consumed_energy=7.5)
    assert cdr is not None and cdr.result
    path, body = app.calls[-1]
    assert path == "/api/oicp/cdrmgmt/v21/operators/DE*CPO/charge-detail-record"
    assert body["ConsumedEnergy"] == 7.5 and body["SessionEnd"].endswith("+01:00")
    app.answers["/authorize-remote/start"] = {"Result": False, "StatusCode": {"Code": "602"}}
    refused = await sim.remote_start("DE*HUB*E1", EVCO)
    assert (refused.result, refused.code) == (False, "602")
    outbound = sim.journal.select(direction="outbound")
    assert [e.operation for e in outbound][:2] == ["eRoamingAuthorizeRemoteStart", "eRoamingAuthorizeRemoteStop"]
    assert all(e.status == 200 and e.done for e in outbound)


async def test_partner_unreachable_and_slow(sim: OicpHubSimulator, partner: tuple[PartnerApp, SimServer]) -> None:
    app, server = partner
    app.delay = 1.0  # the hub waits 0.5 s
    late = await sim.remote_start("DE*HUB*E1", EVCO)
    assert late.http_status == 0 and late.error and late.error.startswith("timeout")
    app.delay = 0.0
    await server.pause()
    gone = await sim.authorize_start("AABBCCDD")
    assert gone.http_status == 0 and not gone.authorized
    assert sim.journal.last(direction="outbound").error


async def test_journal_records_inbound_in_order(client: httpx.AsyncClient, sim: OicpHubSimulator) -> None:
    await client.post(OP_PATH, json=_evse_push("fullLoad", make_evse_record("DE*HUB*E1")), headers={"X-Test": "one"})
    await client.post(
        "/api/oicp/evsepull/v21/providers/DE-HUB/status-records-by-id",
        json={"ProviderID": "DE-HUB", "EvseID": ["DE*HUB*E1"]},
    )
    first, second = sim.journal.select(direction="inbound")
    assert (first.operation, second.operation) == ("eRoamingPushEvseData", "eRoamingPullEvseStatusById")
    assert first.seq < second.seq and first.at <= second.at
    assert first.path == OP_PATH and first.request_headers["x-test"] == "one" and first.partner == "our-hub"
    assert first.request_body["ActionType"] == "fullLoad" and first.status == 200 and first.code == "000"
    assert second.response_body["EVSEStatusRecords"]["EvseStatusRecord"][0]["EvseStatus"] == "EvseNotFound"


async def test_fault_refuse_connections(client: httpx.AsyncClient, sim: OicpHubSimulator) -> None:
    await sim.set_faults(OicpFaults(refuse_connections=True))
    with pytest.raises(httpx.ConnectError):
        await client.post(OP_PATH, json=_evse_push("fullLoad"))
    await sim.set_faults(OicpFaults())
    assert (await client.post(OP_PATH, json=_evse_push("fullLoad"))).status_code == 200


async def test_fault_slow_answers(sim: OicpHubSimulator) -> None:
    await sim.set_faults(OicpFaults(slow_seconds=0.5, operations=frozenset({"eRoamingPushEvseData"})))
    async with httpx.AsyncClient(base_url=sim.server.url, timeout=0.2) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            await impatient.post(OP_PATH, json=_evse_push("fullLoad"))
        pull = await impatient.post(
            "/api/oicp/evsepull/v21/providers/DE-HUB/status-records", json={"ProviderID": "DE-HUB"}
        )
        assert pull.status_code == 200  # other operations are spared


async def test_fault_server_error_burst_and_status_codes(client: httpx.AsyncClient, sim: OicpHubSimulator) -> None:
    await sim.set_faults(OicpFaults(server_errors=2))
    statuses = [(await client.post(OP_PATH, json=_evse_push("fullLoad"))).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    await sim.set_faults(OicpFaults(status_code="009"))
    answer = await _post(client, OP_PATH, _evse_push("fullLoad"))
    assert (answer["Result"], answer["StatusCode"]["Code"]) == (False, "009")
    auth = await _post(
        client,
        "/api/oicp/charging/v21/operators/DE*HUB/authorize/start",
        {"OperatorID": "DE*HUB", "Identification": {"RFIDMifareFamilyIdentification": {"UID": "AABBCCDD"}}},
    )
    assert (auth["AuthorizationStatus"], auth["StatusCode"]["Code"]) == ("NotAuthorized", "009")
    await sim.set_faults(OicpFaults(tls_error=True))
    reply = await client.post(OP_PATH, json=_evse_push("fullLoad"))
    assert reply.status_code == 400 and reply.json()["message"] == "SSL certificate error"
    await sim.set_faults(OicpFaults(too_many_requests=True, retry_after_seconds=3))
    reply = await client.post(OP_PATH, json=_evse_push("fullLoad"))
    assert reply.status_code == 429 and reply.headers["retry-after"] == "3"


async def test_rate_limit(client: httpx.AsyncClient, sim: OicpHubSimulator) -> None:
    sim.rate_limit_scale = 0.5  # pricing pushes: 6/min -> 3/min
    push = "/api/oicp/dynamicpricing/v10/operators/DE*HUB/evse-pricing"
    body = {
        "ActionType": "fullLoad",
        "EVSEPricing": [{"EvseID": "DE*HUB*E1", "ProviderID": "*", "EvseIDProductList": ["AC1"]}],
    }
    statuses = [(await client.post(push, json=body)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert "rate limit" in sim.journal.last("eRoamingPushEVSEPricing").notes


async def test_outbound_duplicates_and_reordering(sim: OicpHubSimulator, partner: tuple[PartnerApp, SimServer]) -> None:
    app, _server = partner
    await sim.set_faults(OicpFaults(duplicate_deliveries=True))
    await sim.remote_start("DE*HUB*E1", EVCO)
    assert len(app.calls) == 2 and app.calls[0] == app.calls[1]
    assert sim.journal.select(direction="outbound")[1].notes == ["duplicate delivery"]
    app.calls.clear()
    await sim.set_faults(OicpFaults(reorder_window=3))
    sessions = [f"00000000-0000-0000-0000-00000000000{i}" for i in range(3)]
    replies = await asyncio.gather(*(sim.remote_start("DE*HUB*E1", EVCO, session_id=s) for s in sessions))
    assert all(r.result for r in replies)
    assert [body["SessionID"] for _path, body in app.calls] == sessions[::-1]


async def test_overlapping_pushes_flagged_and_overtaking(client: httpx.AsyncClient, sim: OicpHubSimulator) -> None:
    sim.overtake_wait = 1.0
    await sim.set_faults(OicpFaults(overtaking=True))
    big = client.post(
        OP_PATH, json=_evse_push("fullLoad", make_evse_record("DE*HUB*E1"), make_evse_record("DE*HUB*E2"))
    )
    first = asyncio.ensure_future(big)
    while not sim.journal.select("eRoamingPushEvseData"):
        await asyncio.sleep(0.005)
    small = await client.post(OP_PATH, json=_evse_push("fullLoad", make_evse_record("DE*HUB*E3")))
    assert small.status_code == 200 and (await first).status_code == 200
    entries = sim.journal.select("eRoamingPushEvseData")
    assert entries[1].notes == ["overlapping push"]
    # the earlier, bigger fullLoad overtook nothing: it was applied last and wins
    assert {k for k, (owner, _r) in sim.state.evse_data.current.items() if owner == "DEHUB"} == {"DEHUBE1", "DEHUBE2"}


async def test_authentication_data_offline_and_cdr_download(client: httpx.AsyncClient, sim: OicpHubSimulator) -> None:
    push = {
        "ActionType": "fullLoad",
        "ProviderAuthenticationData": {
            "ProviderID": "DE-HUB",
            "AuthenticationDataRecord": [
                {"Identification": {"RFIDIdentification": {"UID": "0A0B0C0D", "RFID": "mifareCls", "EvcoID": OUR_EVCO}}}
            ],
        },
    }
    assert (await _post(client, "/api/oicp/authdata/v21/providers/DE-HUB/push-request", push))["Result"]
    foreign = {
        "ActionType": "insert",
        "ProviderAuthenticationData": {
            "ProviderID": "DE-HUB",
            "AuthenticationDataRecord": [{"Identification": {"PlugAndChargeIdentification": {"EvcoID": EVCO}}}],
        },
    }
    assert (await _post(client, "/api/oicp/authdata/v21/providers/DE-HUB/push-request", foreign))["StatusCode"][
        "Code"
    ] == "019"
    sim.partner.online_emp = False
    reply = await sim.authorize_start("0a0b0c0d", operator_id="DE*CPO", evse_id="DE*CPO*E1")
    assert reply.authorized and reply.http_status == 0
    sid = next(s for s in sim.state.sessions.values() if s.token == "0A0B0C0D").session_id
    assert await sim.send_cdr(sid) is None  # offline EMP: kept at the hub
    page = await _post(
        client,
        "/api/oicp/cdrmgmt/v22/providers/DE-HUB/get-charge-detail-records-request",
        {"ProviderID": "DE-HUB", "From": "2000-01-01T00:00:00+00:00", "To": "2100-01-01T00:00:00+00:00"},
    )
    assert page["totalElements"] == 1 and page["content"][0]["SessionID"] == sid
    # the partner's CPO role is authorized offline from its own uploaded data too
    auth = await _post(
        client,
        "/api/oicp/charging/v21/operators/DE*HUB/authorize/start",
        {"OperatorID": "DE*HUB", "Identification": {"RFIDMifareFamilyIdentification": {"UID": "0A0B0C0D"}}},
    )
    assert auth["AuthorizationStatus"] == "Authorized" and auth["ProviderID"] == "DE-HUB"


async def test_mutual_tls(tmp_path: Any) -> None:
    partner_ca, stranger_ca = trustme.CA(), trustme.CA()
    tls = HubTls(client_cas=[partner_ca], directory=tmp_path)
    cpo, emp = _virtual_parties()
    hub = OicpHubSimulator(
        [Partner("our-hub", operator_id="DE*HUB", provider_id="DE-HUB", cert_name="our-hub-cert")],
        cpos=[cpo],
        emps=[emp],
        tls=tls,
    )
    await hub.start()
    try:
        assert hub.url.startswith("https://127.0.0.1:")
        good = tls.client_cert("our-hub-cert")
        async with httpx.AsyncClient(base_url=hub.server.url, verify=good.ssl_context(tls.ca_pem)) as http:
            assert (await _post(http, OP_PATH, _evse_push("fullLoad")))["Result"] is True
        other = tls.client_cert("someone-else")
        async with httpx.AsyncClient(base_url=hub.server.url, verify=other.ssl_context(tls.ca)) as http:
            assert (await _post(http, OP_PATH, _evse_push("fullLoad")))["StatusCode"]["Code"] == "017"
        async with httpx.AsyncClient(
            base_url=hub.server.url, verify=ssl.create_default_context(cafile=str(tls.ca_pem))
        ) as http:
            reply = await http.post(OP_PATH, json=_evse_push("fullLoad"))
            assert reply.status_code == 400 and reply.json()["message"] == "SSL certificate error"
        rogue = tls.client_cert("our-hub-cert", ca=stranger_ca)
        async with httpx.AsyncClient(base_url=hub.server.url, verify=rogue.ssl_context(tls.ca)) as http:
            with pytest.raises(httpx.TransportError):
                await http.post(OP_PATH, json=_evse_push("fullLoad"))
        async with httpx.AsyncClient(base_url=hub.server.url, verify=True) as http:
            with pytest.raises(httpx.ConnectError):  # the hub's CA is private
                await http.post(OP_PATH, json=_evse_push("fullLoad"))
    finally:
        await hub.stop()
