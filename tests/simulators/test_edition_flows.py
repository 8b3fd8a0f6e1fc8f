"""Parties of different OCPI editions through the real hub (in process, validation strict), each
simulated party on its own loopback socket: a full charging flow between a 2.1.1 CPO and a 2.2.1
eMSP, a 2.2.1 CPO and a 2.1.1 eMSP, and a 2.3.0 CPO and a 2.2.1 eMSP (issue 15; checklist I.75-79).

The simulated parties of each edition are written from the spec texts, not from the hub's
translation layer, so these tests compare the hub's translation with independent parties.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from hub.ocpi.models.v211 import cdrs as cdrs211
from hub.ocpi.models.v211 import locations as locations211
from hub.ocpi.models.v221 import cdrs as cdrs221
from hub.ocpi.models.v221 import locations as locations221
from hub.ocpi.models.v221 import sessions as sessions221
from hub.registration.platforms import parse_role
from hub.types import InterfaceRole, PartyKey, TokenEncoding
from simulators import SimulatedCpo, SimulatedEmsp
from simulators.platform import OcpiPlatform
from tests.helpers import HUB_VERSIONS_URL
from tests.simulators.conftest import MakeSim, SimHub

FAST = {"tick_seconds": 0.05, "time_scale": 15 * 60 / 0.05}  # a 15-minute charging period every 50 ms
Pair = tuple[SimulatedCpo, SimulatedEmsp]


async def until(predicate: Callable[[], Any], timeout: float = 8.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


@pytest.fixture
def join(sim_hub: SimHub) -> Callable[..., Awaitable[None]]:
    """Declare each party at the hub (a 2.1.1 one with raw tokens, as docs/editions.md says) and
    let it register at its own version."""

    async def run(*platforms: OcpiPlatform) -> None:
        for platform in platforms:
            roles = [parse_role(f"{p.role.value}:{p.key.country_code}:{p.key.party_id}") for p in platform.parties]
            encoding = TokenEncoding.RAW if platform.version == "2.1.1" else TokenEncoding.BASE64
            added = await sim_hub.admin.add(name=platform.name, roles=roles, token_encoding=encoding)
            await platform.register(HUB_VERSIONS_URL, added.token_a)

    return run


async def _pair(make_cpo: MakeSim, make_emsp: MakeSim, join: Any, cpo_version: str, emsp_version: str) -> Pair:
    emsp: SimulatedEmsp = await make_emsp(country_code="DE", party_id="MSP", tokens=20, version=emsp_version)
    cpo: SimulatedCpo = await make_cpo(
        country_code="NL", party_id="OLD", evses=4, evses_per_location=2, version=cpo_version, **FAST
    )
    await join(cpo, emsp)
    return cpo, emsp


async def _versions(sim_hub: SimHub) -> dict[str, str | None]:
    listed = await sim_hub.admin.describe()
    return {str(p["name"]): p["version"] for p in listed}


# --- a 2.1.1 CPO and a 2.2.1 eMSP ----------------------------------------------------------------


@pytest.fixture
async def old_cpo(make_cpo: MakeSim, make_emsp: MakeSim, join: Any) -> Pair:
    return await _pair(make_cpo, make_emsp, join, "2.1.1", "2.2.1")


async def test_each_party_registers_at_its_own_version(old_cpo: Pair, sim_hub: SimHub) -> None:
    cpo, emsp = old_cpo
    assert cpo.registered and emsp.registered
    assert await _versions(sim_hub) == {cpo.name: "2.1.1", emsp.name: "2.2.1"}
    # the 2.1.1 CPO learned the hub's party from 2.1.1 credentials (top-level country_code/party_id)
    assert cpo.hub_party == PartyKey.of("NL", "HUB")


async def test_2_1_1_cpo_with_a_2_2_1_emsp_full_charging_flow(old_cpo: Pair) -> None:
    cpo, emsp = old_cpo
    # Tariffs and Locations: one push each from the 2.1.1 CPO (no OCPI-to), broadcast by the hub
    replies = await cpo.publish_tariffs() + await cpo.publish_locations()
    assert [r.describe() for r in replies if not r.ok] == []
    await until(lambda: len(emsp.locations) == 2 and len(emsp.tariffs) == 2)
    location = emsp.locations.find("NL", "OLD", "LOC00001")
    locations221.Location.model_validate(location)  # a 2.2.1 Location, owner filled in
    assert (location["country_code"], location["party_id"]) == ("NL", "OLD")
    connector = location["evses"][0]["connectors"][0]
    assert "max_voltage" in connector and "voltage" not in connector and "tariff_ids" in connector

    # the eMSP's tokens go to the 2.1.1 CPO as 2.1.1 Tokens (auth_id, no owner fields)
    driver = emsp.driver_token()
    assert all(r.ok for r in await emsp.push_tokens(to=[cpo.party.key], tokens=[driver]))
    received = cpo.tokens.find("DE", "MSP", driver["uid"])
    assert received is not None and received["auth_id"] == driver["contract_id"]
    assert "contract_id" not in received and "country_code" not in received

    # real-time authorization from the 2.1.1 CPO: the hub finds the eMSP by the token's uid
    allowed = await cpo.authorize(driver["uid"], location_id="LOC00001")
    assert allowed.ok, allowed.describe()
    assert allowed.data["allowed"] == "ALLOWED" and "token" not in allowed.data  # 2.1.1 AuthorizationInfo

    # START_SESSION from the 2.2.1 eMSP, its 2.1.1 async result back as a CommandResult
    started = await emsp.start_session(cpo.party.key, location_id="LOC00001", evse_uid="LOC00001-1")
    assert started.accepted, started.response.describe()
    assert started.response.data["timeout"] > 0  # a 2.2.1 CommandResponse: the hub filled in a timeout
    assert started.result == {"result": "ACCEPTED"}

    # the 2.1.1 Session reaches the eMSP as 2.2.1: cdr_token of the eMSP, location ids, Price
    await until(lambda: len(emsp.sessions) == 1)
    session = emsp.sessions.values()[0]
    sessions221.Session.model_validate(session)
    assert session["cdr_token"]["contract_id"] == driver["contract_id"]
    assert (session["cdr_token"]["country_code"], session["cdr_token"]["party_id"]) == ("DE", "MSP")
    assert (session["location_id"], session["evse_uid"]) == ("LOC00001", "LOC00001-1")
    assert "start_date_time" in session and "start_datetime" not in session

    await until(lambda: len(session.get("charging_periods") or []) >= 2)
    stopped = await emsp.stop_session(cpo.party.key, session["id"])
    assert stopped.accepted and stopped.result == {"result": "ACCEPTED"}
    # checklist I.76: the 2.1.1 CDR as a 2.2.1 eMSP reads it
    await until(lambda: len(emsp.cdrs) == 1)
    cdr = next(iter(emsp.cdrs.values()))
    cdrs221.CDR.model_validate(cdr)
    original = cpo.cdrs.get(cdr["id"])
    assert original is not None and "stop_date_time" in original  # the CPO's own is 2.1.1
    assert cdr["end_date_time"] == original["stop_date_time"]
    assert cdr["cdr_location"]["id"] == original["location"]["id"]
    assert cdr["cdr_location"]["evse_uid"] == original["location"]["evses"][0]["uid"]
    assert cdr["total_cost"]["excl_vat"] == pytest.approx(original["total_cost"])
    assert (cdr["country_code"], cdr["party_id"]) == ("NL", "OLD")
    assert cdr["cdr_token"]["contract_id"] == original["auth_id"]
    # 2.1.1 PATCHes carry the whole list of periods, 2.2.1 PATCHes only the new ones: none twice
    assert len(cdr["charging_periods"]) >= 2
    assert session["charging_periods"] == cdr["charging_periods"]


async def test_a_2_1_1_tariff_patch_reaches_a_2_2_1_emsp_as_a_put_of_the_whole_tariff(old_cpo: Pair) -> None:
    cpo, emsp = old_cpo
    assert all(r.ok for r in await cpo.publish_tariffs())
    await until(lambda: len(emsp.tariffs) == 2)
    patch = {"tariff_alt_url": "https://old.example/tariffs/ac", "last_updated": "2026-12-06T10:00:00Z"}
    reply = await cpo.send("PATCH", "tariffs", InterfaceRole.RECEIVER, "NL/OLD/AC", to=None, json=patch)
    assert reply.ok, reply.describe()
    # the eMSP takes no Tariff PATCH (2.2.1 has none): it got a PUT of the merged Tariff
    await until(lambda: emsp.tariffs.find("NL", "OLD", "AC").get("tariff_alt_url") == patch["tariff_alt_url"])
    tariff = emsp.tariffs.find("NL", "OLD", "AC")
    assert tariff["elements"] == cpo.tariffs.get("AC")["elements"] and tariff["last_updated"] == patch["last_updated"]


async def test_cancel_reservation_toward_a_2_1_1_cpo_is_answered_not_supported_by_the_hub(old_cpo: Pair) -> None:
    cpo, emsp = old_cpo
    before = len(cpo.history)
    reply = await emsp.command(cpo.party.key, "CANCEL_RESERVATION", {"reservation_id": "R1"})
    assert reply.response.ok and reply.response.data["result"] == "NOT_SUPPORTED"  # checklist I.77
    assert not any(e.direction == "received" and e.module == "commands" for e in list(cpo.history)[before:])


async def test_hub_errors_reach_a_2_1_1_party_as_codes_2_1_1_has(old_cpo: Pair) -> None:
    cpo, _ = old_cpo
    unknown = await cpo.authorize("NOSUCHTOKEN")  # the hub cannot tell the eMSP: 4001 in 2.2.1 terms
    assert unknown.status_code == 3000  # 2.1.1 has no 4xxx
    assert "cannot tell the receiver" in str(unknown.envelope.get("status_message"))


async def test_a_2_1_1_party_sending_routing_headers_is_told_what_is_wrong(old_cpo: Pair) -> None:
    cpo, emsp = old_cpo
    url = cpo.hub_url("locations", InterfaceRole.RECEIVER) + "/NL/OLD/LOC00001"
    location = cpo.locations.get("LOC00001")
    reply = await cpo.request_raw(
        "PUT", url, json=location, headers={"OCPI-to-country-code": "DE", "OCPI-to-party-id": "MSP"}
    )
    assert reply.status_code == 2001 and "routing headers" in str(reply.envelope)


async def test_a_2_1_1_party_sending_a_2_2_1_object_is_told_which_field_is_wrong(old_cpo: Pair) -> None:
    cpo, _ = old_cpo
    location = {**cpo.locations.get("LOC00001"), "parking_type": "ON_STREET"}  # 2.2.1's name of 2.1.1's type
    reply = await cpo.send("PUT", "locations", InterfaceRole.RECEIVER, "NL/OLD/LOC00001", to=None, json=location)
    assert reply.status_code == 2001
    assert reply.envelope["status_message"] == (
        "Location field parking_type is OCPI 2.2.1, not 2.1.1: you are connected with OCPI 2.1.1"
    )


async def test_a_2_1_1_session_whose_token_owner_is_unknown_is_2001_with_a_reason(old_cpo: Pair) -> None:
    cpo, _ = old_cpo
    await cpo.publish_locations()
    location = cpo.locations.get("LOC00001")
    evse = location["evses"][0]
    session = {
        "id": "S-UNKNOWN",
        "start_datetime": "2026-12-06T10:00:00Z",
        "kwh": 0,
        "auth_id": "NOT-A-CONTRACT",
        "auth_method": "WHITELIST",
        "location": {**location, "evses": [{**evse, "connectors": evse["connectors"][:1]}]},
        "currency": "EUR",
        "status": "ACTIVE",
        "last_updated": "2026-12-06T10:00:00Z",
    }
    reply = await cpo.send("PUT", "sessions", InterfaceRole.RECEIVER, "NL/OLD/S-UNKNOWN", to=None, json=session)
    assert reply.status_code == 2001 and "token owner" in str(reply.envelope.get("status_message"))


# --- a 2.2.1 CPO and a 2.1.1 eMSP ----------------------------------------------------------------


@pytest.fixture
async def old_emsp(make_cpo: MakeSim, make_emsp: MakeSim, join: Any) -> Pair:
    return await _pair(make_cpo, make_emsp, join, "2.2.1", "2.1.1")


async def test_2_2_1_cpo_with_a_2_1_1_emsp_full_charging_flow(old_emsp: Pair) -> None:
    cpo, emsp = old_emsp
    # checklist I.75: the Locations a 2.2.1 CPO broadcasts reach the 2.1.1 eMSP in 2.1.1 form
    assert all(r.ok for r in await cpo.publish_tariffs() + await cpo.publish_locations())
    await until(lambda: len(emsp.locations) == 2 and len(emsp.tariffs) == 2)
    location = emsp.locations.find("NL", "OLD", "LOC00001")
    locations211.Location.model_validate(location)
    assert not {"country_code", "party_id", "publish", "publish_allowed_to", "parking_type"} & set(location)
    assert location["type"]
    connector = location["evses"][0]["connectors"][0]
    assert "voltage" in connector and "max_voltage" not in connector and "tariff_ids" not in connector

    # GET All from the hub's store, in 2.1.1 form
    pulled, pages = await emsp.pull(None, limit=1)
    assert len(pulled) == 2 and len(pages) == 2 and all(r.ok for r in pages)
    assert all("country_code" not in p for p in pulled)

    # checklist I.78: the 2.1.1 eMSP's AuthorizationInfo reaches the 2.2.1 CPO with a complete token
    driver = emsp.driver_token()
    assert all(r.ok for r in await emsp.push_tokens(tokens=[driver]))  # broadcast: the hub learns its owner
    allowed = await cpo.authorize(driver["uid"], location_id="LOC00001")
    assert allowed.ok, allowed.describe()
    token = allowed.data["token"]
    assert token["uid"] == driver["uid"] and (token["country_code"], token["party_id"]) == ("DE", "MSP")
    assert {"type", "contract_id", "issuer", "valid", "whitelist", "last_updated"} <= set(token)

    # a command from the 2.1.1 eMSP (no OCPI-to): the hub finds the CPO by the location
    started = await emsp.start_session(None, location_id="LOC00001", evse_uid="LOC00001-1")
    assert started.accepted, started.response.describe()
    assert started.result is not None and started.result["result"] == "ACCEPTED"
    await until(lambda: len(emsp.sessions) == 1)
    session = emsp.sessions.values()[0]
    assert "start_datetime" in session and "auth_id" in session and "cdr_token" not in session
    # the hub answers the CPO once it stored the Session; only then can it route a STOP by session id
    await until(
        lambda: any(e.direction == "sent" and e.module == "sessions" and e.ocpi_status == 1000 for e in cpo.history)
    )
    assert session["location"]["id"] == "LOC00001"  # 2.1.1 embeds the Location

    stopped = await emsp.stop_session(None, session["id"])
    assert stopped.accepted, stopped.response.describe()
    await until(lambda: len(emsp.cdrs) == 1)
    cdr = next(iter(emsp.cdrs.values()))
    cdrs211.CDR.model_validate(cdr)
    assert "stop_date_time" in cdr and isinstance(cdr["total_cost"], int | float)
    assert session["charging_periods"] == cdr["charging_periods"]  # 2.1.1 replaces the list each PATCH
    assert "." not in cdr["stop_date_time"]  # 2.1.1 DateTimes without fraction


async def test_a_location_not_published_to_everybody_never_reaches_a_2_1_1_emsp(old_emsp: Pair) -> None:
    cpo, emsp = old_emsp
    hidden = {
        **cpo.locations.get("LOC00002"),
        "publish": False,
        "publish_allowed_to": [{"uid": "ABC123", "type": "RFID"}],
    }
    cpo.locations.put(hidden)
    replies = await cpo.publish_locations()
    assert [r.describe() for r in replies if not r.ok] == []
    # a later push to the same receiver arrives after every earlier one was dealt with (FIFO)
    assert all(r.ok for r in await cpo.set_evse_status("LOC00001-1", "OUTOFORDER"))
    await until(
        lambda: (
            (emsp.locations.find("NL", "OLD", "LOC00001") or {"evses": [{}]})["evses"][0].get("status") == "OUTOFORDER"
        )
    )
    assert emsp.locations.find("NL", "OLD", "LOC00002") is None
    assert len(emsp.locations) == 1


# --- a 2.3.0 CPO and a 2.2.1 eMSP ----------------------------------------------------------------


async def test_2_3_0_cpo_with_a_2_2_1_emsp_prices_keep_before_taxes_and_incl_vat(
    make_cpo: MakeSim, make_emsp: MakeSim, join: Any, sim_hub: SimHub
) -> None:
    cpo, emsp = await _pair(make_cpo, make_emsp, join, "2.3.0", "2.2.1")
    assert await _versions(sim_hub) == {cpo.name: "2.3.0", emsp.name: "2.2.1"}
    assert cpo.hub_party == PartyKey.of("NL", "HUB")  # learned from the hub's 2.3.0 hub_party_id
    assert all(r.ok for r in await cpo.publish_tariffs() + await cpo.publish_locations())
    await until(lambda: len(emsp.locations) == 2 and len(emsp.tariffs) == 2)
    tariff = emsp.tariffs.find("NL", "OLD", "AC")
    assert "tax_included" not in tariff

    started = await emsp.start_session(cpo.party.key, location_id="LOC00001", evse_uid="LOC00001-1")
    assert started.accepted and started.result == {"result": "ACCEPTED"}
    await until(lambda: len(emsp.sessions) == 1)
    session = emsp.sessions.values()[0]
    stopped = await emsp.stop_session(cpo.party.key, session["id"])
    assert stopped.accepted
    await until(lambda: len(emsp.cdrs) == 1)
    cdr = next(iter(emsp.cdrs.values()))
    cdrs221.CDR.model_validate(cdr)
    original = cpo.cdrs.get(cdr["id"])
    assert original is not None and "before_taxes" in original["total_cost"]  # the CPO's own is 2.3.0
    # checklist I.79
    price = cdr["total_cost"]
    assert price["excl_vat"] == original["total_cost"]["before_taxes"]
    taxes = sum(t["amount"] for t in original["total_cost"].get("taxes") or [])
    assert price["incl_vat"] == pytest.approx(original["total_cost"]["before_taxes"] + taxes, abs=1e-4)


async def test_2_2_1_cpo_with_a_2_3_0_emsp_prices_become_before_taxes_and_taxes(
    make_cpo: MakeSim, make_emsp: MakeSim, join: Any
) -> None:
    cpo, emsp = await _pair(make_cpo, make_emsp, join, "2.2.1", "2.3.0")
    assert all(r.ok for r in await cpo.publish_tariffs() + await cpo.publish_locations())
    await until(lambda: len(emsp.locations) == 2 and len(emsp.tariffs) == 2)
    assert emsp.tariffs.find("NL", "OLD", "AC")["tax_included"] == "NO"  # 2.2.1 prices exclude VAT
    driver = emsp.driver_token()
    assert all(r.ok for r in await emsp.push_tokens(to=[cpo.party.key], tokens=[driver]))
    allowed = await cpo.authorize(driver["uid"], location_id="LOC00001")
    assert allowed.ok and allowed.data["allowed"] == "ALLOWED" and allowed.data["token"]["uid"] == driver["uid"]

    started = await emsp.start_session(cpo.party.key, location_id="LOC00001", evse_uid="LOC00001-1")
    assert started.accepted and started.result == {"result": "ACCEPTED"}
    await until(lambda: len(emsp.sessions) == 1)
    session = emsp.sessions.values()[0]
    assert (await emsp.stop_session(cpo.party.key, session["id"])).accepted
    await until(lambda: len(emsp.cdrs) == 1)
    cdr = next(iter(emsp.cdrs.values()))
    original = cpo.cdrs.get(cdr["id"])
    assert original is not None
    # checklist I.79, the other way: before_taxes == excl_vat, one tax of incl_vat - excl_vat
    price, sent = cdr["total_cost"], original["total_cost"]
    assert price["before_taxes"] == sent["excl_vat"] and "excl_vat" not in price
    assert sum(t["amount"] for t in price["taxes"]) == pytest.approx(sent["incl_vat"] - sent["excl_vat"], abs=1e-4)


async def test_a_2_1_1_emsp_gets_a_token_it_pushed_from_the_hubs_store_by_uid(old_emsp: Pair) -> None:
    _, emsp = old_emsp
    driver = emsp.driver_token()
    assert all(r.ok for r in await emsp.push_tokens(tokens=[driver]))  # broadcast: the hub keeps it
    rest = f"DE/MSP/{driver['uid']}"
    got = await emsp.send("GET", "tokens", InterfaceRole.RECEIVER, rest, to=None)
    assert got.ok, got.describe()
    # as the 2.1.1 eMSP sent it (auth_id, no owner fields), DateTimes in the 2.1.1 form without fraction
    assert got.data == {**driver, "last_updated": driver["last_updated"].replace(".000Z", "Z")}
    unknown = await emsp.send("GET", "tokens", InterfaceRole.RECEIVER, "DE/MSP/NOSUCHUID", to=None)
    assert (unknown.http_status, unknown.status_code) == (404, 2000)  # 2004 in 2.2.1; 2.1.1 has none


async def test_a_2_2_1_cpo_gets_a_location_it_broadcast_from_the_hubs_store(old_emsp: Pair) -> None:
    cpo, _ = old_emsp
    assert all(r.ok for r in await cpo.publish_locations())
    hub = cpo.hub_party
    assert hub is not None
    got = await cpo.send("GET", "locations", InterfaceRole.RECEIVER, "NL/OLD/LOC00001/LOC00001-2", to=hub)
    assert got.ok, got.describe()
    assert got.data == cpo.locations.get("LOC00001")["evses"][1]
    other = await cpo.send("GET", "locations", InterfaceRole.RECEIVER, "DE/MSP/LOC00001", to=hub)
    assert other.status_code == 2001  # not its own: the hub answers only the owner


async def test_objects_the_translation_cannot_read_get_an_ocpi_error_never_a_crash(old_cpo: Pair) -> None:
    cpo, emsp = old_cpo
    broken = {"id": "LOC9", "type": "ON_STREET", "evses": "not a list", "last_updated": "2026-12-06T10:00:00Z"}
    # from the 2.1.1 sender: 2001 naming the object
    pushed = await cpo.send("PUT", "locations", InterfaceRole.RECEIVER, "NL/OLD/LOC9", to=None, json=broken)
    assert (pushed.status_code, pushed.envelope["status_message"]) == (2001, "Not a valid OCPI 2.1.1 Location object")
    # in a 2.1.1 receiver's reply: 4000 to the 2.2.1 requester, who did nothing wrong
    cpo.locations.put({**broken, "time_zone": "Europe/Amsterdam"})
    got = await emsp.send("GET", "locations", InterfaceRole.SENDER, "LOC9", to=cpo.party.key)
    assert got.http_status == 200 and got.status_code == 4000
    assert got.envelope["status_message"] == "The receiver's reply is not a valid OCPI 2.1.1 Location"
