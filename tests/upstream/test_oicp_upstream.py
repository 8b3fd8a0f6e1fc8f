"""Our hub with an OICP 2.3 upstream (the Hubject-style simulator `simulators.oicp_hub` on a loopback
socket), through the front door: our parties are FakePlatforms registered at the hub (the CPO NL*CPA
and the eMSP DE*MSP); behind the OICP hub are its virtual CPO DE*CPO and EMP DE-EMP, declared as
config routes of the upstream. Our hub is one partner at HBS ("our-hub", OperatorID DE*HUB,
ProviderID DE-HUB) with our parties as sub-operator / sub-provider (oicp-bridge.md §0).
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import trustme

from hub.db.db import SessionFactory
from hub.registration.platforms import PlatformAdmin
from hub.registration.upstreams import UpstreamAdmin, parse_route
from simulators.oicp_hub import (
    Entry,
    HubTls,
    OicpFaults,
    OicpHubSimulator,
    Partner,
    VirtualCpo,
    VirtualEmp,
    make_evse_record,
)
from tests.conftest import StartFake, postgres_reachable
from tests.fakes.party import FakePlatform
from tests.helpers import HUB_VERSIONS_URL

CPO_BEHIND, EMP_BEHIND = ("DE", "CPO"), ("DE", "EMP")
EVCO = "DE-MSP-C12345678-9"  # a contract of our eMSP (sub-provider DE-MSP)
STAMP = "2026-01-01T09:00:00Z"
ROUTES = ("CPO:DE:CPO=DE*CPO", "EMSP:DE:EMP=DE-EMP")
OPTIONS = {
    "partner": "our-hub",
    "operator_id": "DE*HUB",
    "provider_id": "DE-HUB",
    "hotline_phone_number": "+4930123456",
    "operator_name": "Our hub",
}


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """SQLite only, except where a test asks for postgres too (the hub's storage matters there)."""
    if request.param == "postgres" and not postgres_reachable():
        pytest.skip("PostgreSQL not reachable")
    return str(request.param)


def _partner(**extra: Any) -> Partner:
    return Partner(
        "our-hub",
        operator_id="DE*HUB",
        provider_id="DE-HUB",
        sub_operator_ids=("NL*CPA",),
        sub_provider_ids=("DE-MSP",),
        **extra,
    )


def _simulator(**extra: Any) -> OicpHubSimulator:
    cpo = VirtualCpo("DE*CPO", evses=[make_evse_record("DE*CPO*E1"), make_evse_record("DE*CPO*E2")])
    emp = VirtualEmp("DE-EMP", allowed={"AABBCCDD"}, blocked={"11223344"})
    return OicpHubSimulator([_partner()], cpos=[cpo], emps=[emp], partner_timeout=2.0, **extra)


@dataclass
class Bridge:
    sim: OicpHubSimulator
    cpo: FakePlatform  # our CPO NL*CPA
    emsp: FakePlatform  # our eMSP DE*MSP
    upstreams: UpstreamAdmin
    platform_id: int

    def inbound(self, operation: str) -> list[Entry]:
        return self.sim.journal.select(operation, "inbound")

    async def command(self, name: str, body: dict[str, Any], to: tuple[str, str] = CPO_BEHIND) -> httpx.Response:
        """Our eMSP's command (with a response_url at its own commands endpoint) to a CPO behind HBS."""
        url = f"{self.emsp.hub_url('commands', 'RECEIVER')}/{name}"
        body = {**body, "response_url": f"{self.emsp.endpoint_url('commands', 'SENDER')}/{name}/{uuid.uuid4().hex}"}
        return await self.emsp.request_hub("POST", url, json=body, to=to)

    async def put_location(self, body: dict[str, Any], to: tuple[str, str] | None = EMP_BEHIND) -> httpx.Response:
        url = f"{self.cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/{body['id']}"
        return await self.cpo.request_hub("PUT", url, json=body, to=to)

    async def authorize(self, uid: str, references: dict[str, Any] | None = None) -> httpx.Response:
        url = f"{self.cpo.hub_url('tokens', 'SENDER')}/{uid}/authorize"
        return await self.cpo.request_hub("POST", url, json=references, params={"type": "RFID"}, to=EMP_BEHIND)

    async def session(self, method: str, session_id: str, body: dict[str, Any]) -> httpx.Response:
        url = f"{self.cpo.hub_url('sessions', 'RECEIVER')}/NL/CPA/{session_id}"
        return await self.cpo.request_hub(method, url, json=body, to=EMP_BEHIND)

    async def post_cdr(self, body: dict[str, Any]) -> httpx.Response:
        return await self.cpo.request_hub("POST", self.cpo.hub_url("cdrs", "RECEIVER"), json=body, to=EMP_BEHIND)


async def _bridge(
    connect_fake: StartFake, admin: PlatformAdmin, db: SessionFactory, sim: OicpHubSimulator, **options: Any
) -> Bridge:
    await sim.start()
    cpo = await connect_fake([("CPO", "NL", "CPA")], name="our-cpo")
    emsp = await connect_fake([("EMSP", "DE", "MSP")], name="our-emsp")
    upstreams = UpstreamAdmin(admin, db)
    added = await upstreams.add(
        name="hubject",
        kind="oicp",
        hub_role="HUB:DE:HBS",
        routes=[parse_route(r) for r in ROUTES],
        options={"base_url": sim.url, **OPTIONS, **options},
    )
    assert added.platform.id is not None
    return Bridge(sim, cpo, emsp, upstreams, added.platform.id)


@pytest.fixture
async def bridge(connect_fake: StartFake, admin: PlatformAdmin, db: SessionFactory) -> AsyncIterator[Bridge]:
    sim = _simulator()
    try:
        yield await _bridge(connect_fake, admin, db, sim)
    finally:
        await sim.stop()


# --- OCPI objects of our parties ---------------------------------------------------------------


def _connector() -> dict[str, Any]:
    return {
        "id": "1",
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 32,
        "max_electric_power": 22000,
        "last_updated": STAMP,
    }


def _evse(number: int, **extra: Any) -> dict[str, Any]:
    return {
        "uid": f"EVSE{number}",
        "evse_id": f"NL*CPA*E{number}",
        "status": "AVAILABLE",
        "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
        "connectors": [_connector()],
        "last_updated": STAMP,
        **extra,
    }


def _location(*evses: dict[str, Any]) -> dict[str, Any]:
    return {
        "country_code": "NL",
        "party_id": "CPA",
        "id": "LOC1",
        "publish": True,
        "name": "Depot Amsterdam",
        "address": "Damrak 12",
        "city": "Amsterdam",
        "postal_code": "1012LG",
        "country": "NLD",
        "coordinates": {"latitude": "52.374000", "longitude": "4.895000"},
        "time_zone": "Europe/Amsterdam",
        "evses": list(evses) or [_evse(1)],
        "last_updated": STAMP,
    }


def _token() -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "MSP",
        "uid": "APP0001",
        "type": "APP_USER",
        "contract_id": EVCO,
        "issuer": "Our eMSP",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": STAMP,
    }


def _start(evse_uid: str = "DECPOE1") -> dict[str, Any]:
    return {
        "token": _token(),
        "location_id": "DECPOP1",
        "evse_uid": evse_uid,
        "authorization_reference": "REF0001",
    }


def _cdr_token(uid: str = "AABBCCDD") -> dict[str, Any]:
    return {"country_code": "DE", "party_id": "EMP", "uid": uid, "type": "RFID", "contract_id": uid}


def _session(session_id: str, reference: str, **extra: Any) -> dict[str, Any]:
    return {
        "country_code": "NL",
        "party_id": "CPA",
        "id": session_id,
        "start_date_time": STAMP,
        "kwh": 0.0,
        "cdr_token": _cdr_token(),
        "auth_method": "AUTH_REQUEST",
        "authorization_reference": reference,
        "location_id": "LOC1",
        "evse_uid": "EVSE1",
        "connector_id": "1",
        "currency": "EUR",
        "status": "ACTIVE",
        "last_updated": STAMP,
        **extra,
    }


def _cdr(cdr_id: str, reference: str | None) -> dict[str, Any]:
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    start = end - timedelta(hours=1)
    stamp = end.strftime("%Y-%m-%dT%H:%M:%SZ")
    cdr: dict[str, Any] = {
        "country_code": "NL",
        "party_id": "CPA",
        "id": cdr_id,
        "start_date_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_date_time": stamp,
        "session_id": "S1",
        "cdr_token": _cdr_token(),
        "auth_method": "AUTH_REQUEST",
        "cdr_location": {
            "id": "LOC1",
            "address": "Damrak 12",
            "city": "Amsterdam",
            "postal_code": "1012LG",
            "country": "NLD",
            "coordinates": {"latitude": "52.374000", "longitude": "4.895000"},
            "evse_uid": "EVSE1",
            "evse_id": "NL*CPA*E1",
            "connector_id": "1",
            "connector_standard": "IEC_62196_T2",
            "connector_format": "SOCKET",
            "connector_power_type": "AC_3_PHASE",
        },
        "currency": "EUR",
        "charging_periods": [
            {
                "start_date_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "dimensions": [{"type": "ENERGY", "volume": 12.5}],
            }
        ],
        "total_cost": {"excl_vat": 5.0},
        "total_energy": 12.5,
        "total_time": 1.0,
        "last_updated": stamp,
    }
    if reference is not None:
        cdr["authorization_reference"] = reference
    return cdr


def _status(reply: httpx.Response) -> int:
    return int(reply.json()["status_code"])


async def _authorized_session_id(bridge: Bridge) -> str:
    """Our CPO authorizes AABBCCDD at EVSE1 in real time: HBS's SessionID."""
    assert _status(await bridge.put_location(_location())) == 1000
    reply = await bridge.authorize("AABBCCDD", {"location_id": "LOC1", "evse_uids": ["EVSE1"]})
    assert _status(reply) == 1000, reply.text
    return str(reply.json()["data"]["authorization_reference"])


# --- 1. commands: our eMSP -> a CPO behind HBS ----------------------------------------------------


async def test_start_session_becomes_authorize_remote_start_and_follows_the_cpo_answer(bridge: Bridge) -> None:
    reply = await bridge.command("START_SESSION", _start())
    assert reply.status_code == 200 and reply.json()["data"] == {"result": "ACCEPTED", "timeout": 30}, reply.text
    (entry,) = bridge.inbound("eRoamingAuthorizeRemoteStart")
    assert entry.path == "/api/oicp/charging/v21/providers/DE-HUB/authorize-remote/start"
    assert entry.partner == "our-hub" and entry.request_headers["x-oicp-partner"] == "our-hub"
    sent = entry.request_body
    assert sent["ProviderID"] == "DE-HUB" and sent["EvseID"] == "DE*CPO*E1"
    assert sent["Identification"] == {"RemoteIdentification": {"EvcoID": EVCO}}
    assert sent["EMPPartnerSessionID"] == "REF0001"
    (relayed,) = bridge.sim.cpos["DECPO"].received
    session_id = entry.response_body["SessionID"]
    assert relayed[0] == "eRoamingAuthorizeRemoteStart" and relayed[1]["SessionID"] == session_id

    # STOP_SESSION names the session by HBS's SessionID; the EvseID comes from the remote start
    stop = await bridge.command("STOP_SESSION", {"session_id": session_id})
    assert stop.json()["data"]["result"] == "ACCEPTED", stop.text
    (stopped,) = bridge.inbound("eRoamingAuthorizeRemoteStop")
    assert stopped.request_body["SessionID"] == session_id and stopped.request_body["EvseID"] == "DE*CPO*E1"
    assert stopped.code == "000"

    # the CPO behind HBS refuses (Result false, 106): REJECTED, as the simulator answered
    bridge.sim.cpos["DECPO"].accept, bridge.sim.cpos["DECPO"].code = False, "106"
    refused = await bridge.command("START_SESSION", _start("DECPOE2"))
    data = refused.json()["data"]
    assert refused.status_code == 200 and data["result"] == "REJECTED", refused.text
    assert bridge.inbound("eRoamingAuthorizeRemoteStart")[-1].code == "106"


async def test_command_outcomes_that_are_ocpi_errors_or_not_carried(bridge: Bridge) -> None:
    # an EVSE HBS does not know (the CPO uploaded EVSE data): 603 -> 2003 Unknown Location
    unknown = await bridge.command("START_SESSION", _start("DECPOE9"))
    assert _status(unknown) == 2003 and "603" in unknown.text, unknown.text
    # UNLOCK_CONNECTOR has no OICP operation: NOT_SUPPORTED without a call
    body = {"location_id": "L", "evse_uid": "DECPOE1", "connector_id": "1"}
    unlock = await bridge.command("UNLOCK_CONNECTOR", body)
    assert unlock.json()["data"]["result"] == "NOT_SUPPORTED"
    # an EVSE of another operator than the receiving CPO, and a STOP_SESSION for a session never started
    other = await bridge.command("START_SESSION", _start("NLCPAE1"))
    assert _status(other) == 2001 and "evse_uid" in other.text, other.text
    stop = await bridge.command("STOP_SESSION", {"session_id": str(uuid.uuid4())})
    assert _status(stop) == 2001 and "session_id" in stop.text, stop.text
    assert len(bridge.inbound("eRoamingAuthorizeRemoteStart")) == 1
    assert not bridge.inbound("eRoamingAuthorizeRemoteStop")


async def test_reserve_now_and_cancel_reservation_become_remote_reservations(bridge: Bridge) -> None:
    expiry = (datetime.now(UTC) + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {
        "token": _token(),
        "expiry_date": expiry,
        "reservation_id": "RES1",
        "location_id": "L",
        "evse_uid": "DECPOE2",
    }
    reply = await bridge.command("RESERVE_NOW", body)
    assert reply.json()["data"]["result"] == "ACCEPTED", reply.text
    (entry,) = bridge.inbound("eRoamingAuthorizeRemoteReservationStart")
    sent = entry.request_body
    assert entry.path == "/api/oicp/reservation/v11/providers/DE-HUB/reservation-start-request"
    assert sent["EvseID"] == "DE*CPO*E2" and sent["EMPPartnerSessionID"] == "RES1" and 29 <= sent["Duration"] <= 30
    reply = await bridge.command("CANCEL_RESERVATION", {"reservation_id": "RES1"})
    assert reply.json()["data"]["result"] == "ACCEPTED", reply.text
    (cancel,) = bridge.inbound("eRoamingAuthorizeRemoteReservationStop")
    assert cancel.request_body["SessionID"] == entry.response_body["SessionID"] and cancel.code == "000"
    assert cancel.request_body["EvseID"] == "DE*CPO*E2"


# --- 2. real-time authorization by our CPO ---------------------------------------------------------


async def test_real_time_authorization_becomes_authorize_start(bridge: Bridge) -> None:
    session_id = await _authorized_session_id(bridge)
    (entry,) = bridge.inbound("eRoamingAuthorizeStart")
    assert entry.path == "/api/oicp/charging/v21/operators/DE*HUB/authorize/start"
    sent = entry.request_body
    assert sent["OperatorID"] == "DE*HUB" and sent["EvseID"] == "NL*CPA*E1"  # from the stored Location
    assert sent["Identification"] == {"RFIDMifareFamilyIdentification": {"UID": "AABBCCDD"}}
    assert session_id == entry.response_body["SessionID"]
    (_, asked) = bridge.sim.emps["DEEMP"].received[0]
    assert asked["SessionID"] == session_id

    blocked = await bridge.authorize("11223344")
    assert blocked.json()["data"]["allowed"] == "BLOCKED", blocked.text
    unknown = await bridge.authorize("0A0B0C0D")
    data = unknown.json()["data"]
    assert data["allowed"] == "NOT_ALLOWED" and "authorization_reference" not in data, unknown.text
    assert "EvseID" not in bridge.inbound("eRoamingAuthorizeStart")[-1].request_body  # no LocationReferences


# --- 3. locations: our CPO -> HBS EVSE data and status ----------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_location_put_pushes_evse_data_insert_then_update_and_status(bridge: Bridge) -> None:
    reply = await bridge.put_location(_location())
    assert _status(reply) == 1000, reply.text
    (first,) = bridge.inbound("eRoamingPushEvseData")
    assert first.path == "/api/oicp/evsepush/v23/operators/DE*HUB/data-records" and first.code == "000"
    pushed = first.request_body
    assert pushed["ActionType"] == "insert" and pushed["OperatorEvseData"]["OperatorID"] == "DE*HUB"
    (record,) = pushed["OperatorEvseData"]["EvseDataRecord"]
    assert record["EvseID"] == "NL*CPA*E1" and record["Plugs"] == ["Type 2 Outlet"]
    assert record["Address"]["PostalCode"] == "1012LG" and record["HotlinePhoneNumber"] == "+4930123456"
    assert bridge.sim.state.evse("NLCPAE1") is not None

    # the hub stored the Location: a second PUT updates EVSE 1 and inserts the new EVSE 2
    reply = await bridge.put_location(_location(_evse(1, physical_reference="P1"), _evse(2)))
    assert _status(reply) == 1000, reply.text
    actions = [
        (e.request_body["ActionType"], [r["EvseID"] for r in e.request_body["OperatorEvseData"]["EvseDataRecord"]])
        for e in bridge.inbound("eRoamingPushEvseData")
    ]
    assert actions == [("insert", ["NL*CPA*E1"]), ("insert", ["NL*CPA*E2"]), ("update", ["NL*CPA*E1"])]

    # an EVSE status PATCH is an EVSE status push
    url = f"{bridge.cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC1/EVSE2"
    patch = {"status": "CHARGING", "last_updated": "2026-01-01T10:00:00Z"}
    reply = await bridge.cpo.request_hub("PATCH", url, json=patch, to=EMP_BEHIND)
    assert _status(reply) == 1000, reply.text
    (status,) = bridge.inbound("eRoamingPushEvseStatus")
    assert status.request_body["OperatorEvseStatus"]["EvseStatusRecord"] == [
        {"EvseID": "NL*CPA*E2", "EvseStatus": "Occupied"}
    ]
    assert status.code == "000"


async def test_a_broadcast_location_reaches_hbs_through_the_outbox(bridge: Bridge) -> None:
    reply = await bridge.put_location(_location(), to=("NL", "HUB"))  # OCPI-to = this hub: a Broadcast Push
    assert _status(reply) == 1000, reply.text
    # the hub stores a broadcast before delivering it: the adapter first guesses `update`, and HBS's
    # 022 (unknown record) makes it insert - the EVSE is at HBS either way
    (entry,) = await bridge.sim.journal.wait_for(lambda e: e.operation == "eRoamingPushEvseData" and e.code == "000")
    assert entry.request_body["ActionType"] == "insert", entry.response_body
    assert [r["EvseID"] for r in entry.request_body["OperatorEvseData"]["EvseDataRecord"]] == ["NL*CPA*E1"]
    assert bridge.sim.state.evse("NLCPAE1") is not None


async def test_concurrent_pushes_reach_hbs_one_at_a_time(bridge: Bridge) -> None:
    # HBS is slow to answer: without sequencing, these pushes would overlap (and could overtake)
    await bridge.sim.set_faults(OicpFaults(slow_seconds=0.2, operations=frozenset({"eRoamingPushEvseData"})))
    locations = [{**_location(_evse(n)), "id": f"LOC{n}"} for n in (1, 2, 3)]
    replies = await asyncio.gather(*(bridge.put_location(location) for location in locations))
    assert [_status(r) for r in replies] == [1000, 1000, 1000], [r.text for r in replies]
    entries = bridge.inbound("eRoamingPushEvseData")
    assert len(entries) == 3 and not [e for e in entries if "overlapping push" in e.notes]
    assert all(a.at + a.elapsed_ms / 1000 <= b.at + 0.01 for a, b in itertools.pairwise(entries))


async def test_unmappable_objects_are_refused_with_2001_and_nothing_is_sent(bridge: Bridge) -> None:
    chademo_less = _evse(1, connectors=[{**_connector(), "standard": "GBT_AC"}])
    reply = await bridge.put_location(_location(chademo_less))
    assert _status(reply) == 2001, reply.text
    message = reply.json()["status_message"]
    assert "OICP" in message and "evses[0].connectors[0]" in message, message
    no_reference = await bridge.post_cdr(_cdr("CDR0", None))
    assert _status(no_reference) == 2001 and "authorization_reference" in no_reference.text, no_reference.text
    assert not bridge.inbound("eRoamingPushEvseData") and not bridge.inbound("eRoamingChargeDetailRecord")


# --- 4. sessions and CDRs of our CPO for an EMP behind HBS --------------------------------------------


async def test_session_updates_become_charging_notifications_and_the_cdr_a_charge_detail_record(bridge: Bridge) -> None:
    session_id = await _authorized_session_id(bridge)
    steps = [
        ("PUT", _session("S1", session_id)),
        ("PATCH", {"kwh": 4.0, "last_updated": "2026-01-01T09:10:00Z"}),
        ("PATCH", {"kwh": 5.0, "last_updated": "2026-01-01T09:12:00Z"}),  # < 5 min after the last Progress
        (
            "PATCH",
            {
                "status": "COMPLETED",
                "kwh": 12.5,
                "end_date_time": "2026-01-01T10:00:00Z",
                "last_updated": "2026-01-01T10:00:00Z",
            },
        ),
    ]
    for method, body in steps:
        reply = await bridge.session(method, "S1", body)
        assert _status(reply) == 1000, reply.text
    notes = bridge.inbound("eRoamingChargingNotifications")
    assert [n.request_body["Type"] for n in notes] == ["Start", "Progress", "End"]
    assert all(n.code == "000" and n.request_body["SessionID"] == session_id for n in notes)
    assert notes[0].request_body["EvseID"] == "NL*CPA*E1"
    assert notes[0].request_body["ChargingStart"].endswith("+01:00")  # the Location's local offset
    assert notes[2].request_body["ConsumedEnergy"] == 12.5

    reply = await bridge.post_cdr(_cdr("CDR1", session_id))
    assert _status(reply) == 1000, reply.text
    (entry,) = bridge.inbound("eRoamingChargeDetailRecord")
    assert entry.path == "/api/oicp/cdrmgmt/v22/operators/DE*HUB/charge-detail-record" and entry.code == "000"
    sent = entry.request_body
    assert sent["SessionID"] == session_id and sent["EvseID"] == "NL*CPA*E1" and sent["ConsumedEnergy"] == 12.5
    assert sent["CPOPartnerSessionID"] == "CDR1" and sent["HubOperatorID"] == "DE*HUB"
    assert "total_cost" not in str(sent)
    assert [op for op, _ in bridge.sim.emps["DEEMP"].received][-1] == "eRoamingChargeDetailRecord"
    # HBS takes one CDR per SessionID: a second one is refused (022 -> 2001), not silently accepted
    again = await bridge.post_cdr(_cdr("CDR2", session_id))
    assert _status(again) == 2001, again.text

    # a session that did not start through HBS cannot be told to the EMP behind it
    reply = await bridge.session("PUT", "S2", {**_session("S2", "LOCAL-REF")})
    assert _status(reply) == 2001 and "authorization_reference" in reply.text, reply.text


async def test_tariff_put_pushes_a_pricing_product(bridge: Bridge) -> None:
    url = f"{bridge.cpo.hub_url('tariffs', 'RECEIVER')}/NL/CPA/TAR1"
    element = {
        "price_components": [
            {"type": "ENERGY", "price": 0.39, "step_size": 1},
            {"type": "FLAT", "price": 1.0, "step_size": 1},
        ]
    }
    tariff = {
        "country_code": "NL",
        "party_id": "CPA",
        "id": "TAR1",
        "currency": "EUR",
        "elements": [element],
        "last_updated": STAMP,
    }
    reply = await bridge.cpo.request_hub("PUT", url, json=tariff, to=EMP_BEHIND)
    assert _status(reply) == 1000, reply.text
    (entry,) = bridge.inbound("eRoamingPushPricingProductData")
    assert entry.path == "/api/oicp/dynamicpricing/v10/operators/DE*HUB/pricing-products" and entry.code == "000"
    data = entry.request_body["PricingProductData"]
    assert entry.request_body["ActionType"] == "insert" and data["ProviderID"] == "*"
    (record,) = data["PricingProductDataRecords"]
    assert record["ProductID"] == "TAR1" and record["ReferenceUnit"] == "KILOWATT_HOUR"
    assert record["PricePerReferenceUnit"] == 0.39
    assert record["AdditionalReferences"][0]["AdditionalReference"] == "START FEE"
    # ENERGY and TIME prices together have no OICP form: 2001, nothing sent
    both = {
        **element,
        "price_components": [*element["price_components"], {"type": "TIME", "price": 2.0, "step_size": 60}],
    }
    reply = await bridge.cpo.request_hub("PUT", url, json={**tariff, "elements": [both]}, to=EMP_BEHIND)
    assert _status(reply) == 2001 and "price_components" in reply.text, reply.text
    assert len(bridge.inbound("eRoamingPushPricingProductData")) == 1


# --- 5. HBS failing -----------------------------------------------------------------------------------


@pytest.mark.hub_settings(breaker_reset_seconds=0.2, outbox_backoff_seconds=0.1, outbox_backoff_max_seconds=0.2)
async def test_hbs_down_commands_get_4003_and_pushes_are_stored_then_forwarded(bridge: Bridge) -> None:
    await bridge.sim.set_faults(OicpFaults(refuse_connections=True))
    reply = await bridge.command("START_SESSION", _start())
    assert _status(reply) == 4003, reply.text  # a command is never queued
    # a push through an upstream nothing could take: stored by the hub (store and forward) ...
    reply = await bridge.put_location(_location())
    assert _status(reply) == 1000 and "Stored by the hub" in reply.text, reply.text
    assert not bridge.sim.journal.entries
    # ... and translated to OICP when HBS takes connections again (the outbox carries the context)
    await bridge.sim.set_faults(OicpFaults())
    (entry,) = await bridge.sim.journal.wait_for(lambda e: e.operation == "eRoamingPushEvseData" and e.code == "000")
    assert [r["EvseID"] for r in entry.request_body["OperatorEvseData"]["EvseDataRecord"]] == ["NL*CPA*E1"]
    assert not bridge.inbound("eRoamingAuthorizeRemoteStart")


@pytest.mark.hub_settings(route_hold_down_seconds=60.0, breaker_reset_seconds=0.3)
async def test_hbs_down_a_second_route_takes_over(bridge: Bridge, hub_mounts: dict[str, Any]) -> None:
    await bridge.sim.set_faults(OicpFaults(refuse_connections=True))
    # the same eMSP also behind an OCPI hub (a lower-priority route): the push fails over to it
    other = FakePlatform([("HUB", "DE", "HBB")], mounts=hub_mounts, name="ocpi hub")
    async with other.serve():
        spec = replace(parse_route("EMSP:DE:EMP"), priority=40)
        added = await bridge.upstreams.add(name="ocpi-hub", kind="ocpi", hub_role="HUB:DE:HBB", routes=[spec])
        await other.register_with_hub(HUB_VERSIONS_URL, added.token_a)
        reply = await bridge.put_location(_location())
        assert _status(reply) == 1000 and "Stored" not in reply.text, reply.text
        assert [r for r in other.requests if "/locations/" in r.path]
    assert not bridge.sim.journal.entries


async def test_hbs_http_failures_become_ocpi_answers(bridge: Bridge) -> None:
    await bridge.sim.set_faults(OicpFaults(too_many_requests=True))
    reply = await bridge.put_location(_location())
    assert reply.status_code == 429 and _status(reply) == 4003, reply.text
    await bridge.sim.set_faults(OicpFaults(server_errors=1))
    reply = await bridge.command("START_SESSION", _start())
    assert reply.status_code == 502 and _status(reply) == 3000, reply.text
    assert len(bridge.inbound("eRoamingAuthorizeRemoteStart")) == 1  # a command is never sent twice
    await bridge.sim.set_faults(OicpFaults(status_code="017"))  # HBS: our ID does not match our certificate
    reply = await bridge.command("START_SESSION", _start())
    assert _status(reply) == 3001 and "017" in reply.text, reply.text


# --- 6. mutual TLS ------------------------------------------------------------------------------------


async def test_mutual_tls_identifies_our_hub_by_its_certificate(
    connect_fake: StartFake, admin: PlatformAdmin, db: SessionFactory
) -> None:
    ours, stranger = trustme.CA(), trustme.CA()
    tls = HubTls(client_cas=[ours])
    sim = _simulator(tls=tls)
    good = tls.client_cert("our-hub")
    try:
        options = {"client_cert": str(good.pem), "ca_file": str(tls.ca_pem), "partner": ""}
        bridge = await _bridge(connect_fake, admin, db, sim, **options)
        assert sim.url.startswith("https://")
        reply = await bridge.command("START_SESSION", _start())
        assert reply.json()["data"]["result"] == "ACCEPTED", reply.text
        (entry,) = bridge.inbound("eRoamingAuthorizeRemoteStart")
        assert entry.partner == "our-hub" and "x-oicp-partner" not in entry.request_headers

        # a certificate from a CA HBS does not trust: the TLS handshake fails -> 4003, nothing processed
        bad = tls.client_cert("our-hub", ca=stranger)
        await bridge.upstreams.add(
            name="hubject-bad-cert",
            kind="oicp",
            hub_role="HUB:DE:HB2",
            routes=[parse_route("CPO:DE:CP2=DE*CP2")],
            options={"base_url": sim.url, **OPTIONS, **options, "client_cert": str(bad.pem)},
        )
        refused = await bridge.command("START_SESSION", _start("DECP2E1"), to=("DE", "CP2"))
        assert _status(refused) == 4003, refused.text
        assert len(bridge.inbound("eRoamingAuthorizeRemoteStart")) == 1
    finally:
        await sim.stop()
