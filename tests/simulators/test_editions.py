"""Simulated parties of each OCPI edition (issue 15): a 2.1.1, 2.2.1 and 2.3.0 CPO and eMSP.

Each edition's parties serve versions, version details and credentials in that edition's shape,
take that edition's Authorization header (2.1.1: the raw token), and create objects of their
edition, checked here against the hub's models of that edition (`hub.ocpi.models.v211/v221/v230`).
Parties of one edition talk to each other directly on loopback sockets (a CPO registers at an
eMSP as it would at a hub), and a 2.1.1 and a 2.2.1 party register at the hub when it offers
their version (GET /ocpi/versions), else at a simulated party of the other role.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.ocpi.models.v211 import cdrs as cdrs211
from hub.ocpi.models.v211 import commands as commands211
from hub.ocpi.models.v211 import credentials as credentials211
from hub.ocpi.models.v211 import locations as locations211
from hub.ocpi.models.v211 import sessions as sessions211
from hub.ocpi.models.v211 import tariffs as tariffs211
from hub.ocpi.models.v211 import tokens as tokens211
from hub.ocpi.models.v211 import versions as versions211
from hub.ocpi.models.v221 import cdrs as cdrs221
from hub.ocpi.models.v221 import commands as commands221
from hub.ocpi.models.v221 import credentials as credentials221
from hub.ocpi.models.v221 import locations as locations221
from hub.ocpi.models.v221 import sessions as sessions221
from hub.ocpi.models.v221 import tariffs as tariffs221
from hub.ocpi.models.v221 import tokens as tokens221
from hub.ocpi.models.v221 import versions as versions221
from hub.ocpi.models.v230 import cdrs as cdrs230
from hub.ocpi.models.v230 import commands as commands230
from hub.ocpi.models.v230 import credentials as credentials230
from hub.ocpi.models.v230 import locations as locations230
from hub.ocpi.models.v230 import sessions as sessions230
from hub.ocpi.models.v230 import tariffs as tariffs230
from hub.ocpi.models.v230 import tokens as tokens230
from hub.ocpi.models.v230 import versions as versions230
from hub.registration.platforms import parse_role
from hub.types import PartyKey, TokenEncoding
from simulators import SimulatedCpo, SimulatedEmsp
from simulators.__main__ import _build, _parser
from simulators.data import make_locations, make_tariffs, make_tokens
from simulators.platform import OcpiPlatform
from simulators.pricing import price_session, read_price
from tests.helpers import HUB_VERSIONS_URL, auth_header
from tests.simulators.conftest import MakeSim, SimHub
from tests.simulators.helpers import HUB_TOKEN, SIM_URL

VERSIONS = ("2.1.1", "2.2.1", "2.3.0")
CPO_KEY, EMSP_KEY = PartyKey.of("NL", "CPO"), PartyKey.of("DE", "MSP")


@dataclass(frozen=True)
class Models:
    """The hub's models of one edition, for what the simulators send."""

    version_details: type[BaseModel]
    credentials: type[BaseModel]
    location: type[BaseModel]
    tariff: type[BaseModel]
    token: type[BaseModel]
    session: type[BaseModel]
    cdr: type[BaseModel]
    authorization_info: type[BaseModel]
    command_response: type[BaseModel]
    command_result: type[BaseModel]


MODELS = {
    "2.1.1": Models(
        versions211.VersionDetails,
        credentials211.Credentials,
        locations211.Location,
        tariffs211.Tariff,
        tokens211.Token,
        sessions211.Session,
        cdrs211.CDR,
        tokens211.AuthorizationInfo,
        commands211.CommandResponse,
        commands211.CommandResponse,  # 2.1.1: the asynchronous result is a CommandResponse too
    ),
    "2.2.1": Models(
        versions221.VersionDetails,
        credentials221.Credentials,
        locations221.Location,
        tariffs221.Tariff,
        tokens221.Token,
        sessions221.Session,
        cdrs221.CDR,
        tokens221.AuthorizationInfo,
        commands221.CommandResponse,
        commands221.CommandResult,
    ),
    "2.3.0": Models(
        versions230.VersionDetails,
        credentials230.Credentials,
        locations230.Location,
        tariffs230.Tariff,
        tokens230.Token,
        sessions230.Session,
        cdrs230.CDR,
        tokens230.AuthorizationInfo,
        commands230.CommandResponse,
        commands230.CommandResult,
    ),
}


def token_header(token: str, version: str) -> dict[str, str]:
    """The Authorization header the edition prescribes: 2.1.1 the raw token, 2.2+ Base64."""
    if version == "2.1.1":
        return {"Authorization": f"Token {token}"}
    return {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}


def direct(platform: OcpiPlatform) -> httpx.AsyncClient:
    """A client reaching `platform` in process, as a hub registered with HUB_TOKEN would."""
    platform.base_url = SIM_URL
    platform.inbound_token = HUB_TOKEN
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=platform),
        base_url=SIM_URL,
        headers=token_header(HUB_TOKEN, platform.version),
    )


def sim(role: str, version: str, **kwargs: Any) -> OcpiPlatform:
    if role == "cpo":
        return SimulatedCpo(version=version, evses=6, **kwargs)
    return SimulatedEmsp(version=version, tokens=12, **kwargs)


# --- versions, version details, credentials ---------------------------------------------------

EXPECTED_211 = {
    "cpo": {"credentials", "locations", "sessions", "cdrs", "tariffs", "tokens", "commands"},
    "emsp": {"credentials", "locations", "sessions", "cdrs", "tariffs", "tokens"},  # results: response_url
}
EXPECTED_22 = {
    "cpo": {
        ("credentials", "SENDER"),
        ("hubclientinfo", "RECEIVER"),
        ("locations", "SENDER"),
        ("sessions", "SENDER"),
        ("cdrs", "SENDER"),
        ("tariffs", "SENDER"),
        ("tokens", "RECEIVER"),
        ("commands", "RECEIVER"),
        ("chargingprofiles", "RECEIVER"),
    },
    "emsp": {
        ("credentials", "SENDER"),
        ("hubclientinfo", "RECEIVER"),
        ("locations", "RECEIVER"),
        ("sessions", "RECEIVER"),
        ("cdrs", "RECEIVER"),
        ("tariffs", "RECEIVER"),
        ("tokens", "SENDER"),
        ("commands", "SENDER"),
        ("chargingprofiles", "SENDER"),
    },
}


@pytest.mark.parametrize("role", ["cpo", "emsp"])
@pytest.mark.parametrize("version", VERSIONS)
async def test_versions_details_and_credentials_in_the_editions_shape(version: str, role: str) -> None:
    platform = sim(role, version)
    models = MODELS[version]
    async with direct(platform) as client:
        versions = (await client.get("/ocpi/versions")).json()
        assert versions["status_code"] == 1000
        assert versions["data"] == [{"version": version, "url": f"{SIM_URL}/ocpi/{version}"}]
        details = (await client.get(f"/ocpi/{version}")).json()["data"]
        models.version_details.model_validate(details)
        assert details["version"] == version
        credentials = (await client.get(f"/ocpi/{version}/credentials")).json()["data"]
        models.credentials.model_validate(credentials)
        # every listed URL answers (a GET of a list or object, or a method the interface refuses)
        for endpoint in details["endpoints"]:
            assert endpoint["url"].startswith(f"{SIM_URL}/ocpi/{version}/")
            path = endpoint["url"].removeprefix(SIM_URL)
            reply = (await client.get(path, params={"date_from": "2020-01-01T00:00:00Z"})).json()
            assert reply.get("status_message") not in ("Unknown endpoint", "Unauthorized: unknown token"), endpoint
    key = platform.party.key
    if version == "2.1.1":
        assert all(set(e) == {"identifier", "url"} for e in details["endpoints"])  # no role in 2.1.1
        assert {e["identifier"] for e in details["endpoints"]} == EXPECTED_211[role]
        assert all(e["url"] == f"{SIM_URL}/ocpi/2.1.1/{e['identifier']}" for e in details["endpoints"])
        assert credentials == {
            "token": HUB_TOKEN,
            "url": f"{SIM_URL}/ocpi/versions",
            "business_details": {"name": platform.party.name},
            "party_id": key.party_id,
            "country_code": key.country_code,
        }
    else:
        assert {(e["identifier"], e["role"]) for e in details["endpoints"]} == EXPECTED_22[role]
        for endpoint in details["endpoints"]:
            if endpoint["identifier"] != "credentials":
                interface = endpoint["role"].lower()
                assert endpoint["url"] == f"{SIM_URL}/ocpi/{version}/{interface}/{endpoint['identifier']}"
        assert "hub_party_id" not in credentials  # a party, not a hub
        assert [(r["role"], r["country_code"], r["party_id"]) for r in credentials["roles"]] == [
            (platform.party.role.value, key.country_code, key.party_id)
        ]


async def test_a_2_1_1_emsp_takes_command_results_at_its_response_url_only() -> None:
    emsp = SimulatedEmsp(version="2.1.1")
    async with direct(emsp) as client:
        details = (await client.get("/ocpi/2.1.1")).json()["data"]
        assert "commands" not in {e["identifier"] for e in details["endpoints"]}
        url, reference = emsp._response_url("START_SESSION")
        assert url.startswith(f"{SIM_URL}/ocpi/2.1.1/commands/START_SESSION/")
        reply = await client.post(url.removeprefix(SIM_URL), json={"result": "TIMEOUT"})
    assert reply.json()["status_code"] == 1000
    assert emsp.results[reference] == {"result": "TIMEOUT"}
    commands211.CommandResponse.model_validate(emsp.results[reference])


# --- Authorization: raw tokens in 2.1.1, Base64 in 2.2+ --------------------------------------


@pytest.mark.parametrize("role", ["cpo", "emsp"])
@pytest.mark.parametrize("version", VERSIONS)
async def test_the_editions_token_form_is_accepted_and_the_other_refused(version: str, role: str) -> None:
    platform = sim(role, version)
    raw = {"Authorization": f"Token {HUB_TOKEN}"}
    encoded = {"Authorization": "Token " + base64.b64encode(HUB_TOKEN.encode()).decode()}
    right, wrong = (raw, encoded) if version == "2.1.1" else (encoded, raw)
    module = "locations" if role == "cpo" else "tokens"
    path = f"/ocpi/2.1.1/{module}" if version == "2.1.1" else f"/ocpi/{version}/sender/{module}"
    async with direct(platform) as client:
        client.headers.pop("Authorization")
        accepted = await client.get(path, headers=right)
        refused = await client.get(path, headers=wrong)
        refused_details = await client.get(f"/ocpi/{version}", headers=wrong)
    assert accepted.status_code == 200 and accepted.json()["status_code"] == 1000
    assert isinstance(accepted.json()["data"], list) and accepted.json()["data"]
    assert refused.status_code == 401 and refused.json()["status_code"] == 2000
    assert refused_details.status_code == 401


async def test_a_2_1_1_party_ignores_routing_headers_and_sends_none_back() -> None:
    cpo = SimulatedCpo(version="2.1.1")
    routing = {
        "OCPI-from-country-code": "NL",
        "OCPI-from-party-id": "HUB",
        "OCPI-to-country-code": "NL",
        "OCPI-to-party-id": "CPO",
        "X-Request-ID": "r-1",
        "X-Correlation-ID": "c-1",
    }
    async with direct(cpo) as client:
        reply = await client.get("/ocpi/2.1.1/locations/LOC00001", headers=routing)
    assert reply.json()["status_code"] == 1000
    locations211.Location.model_validate(reply.json()["data"])
    assert not any(h.lower().startswith("ocpi-") for h in reply.headers)
    assert reply.headers["x-request-id"] == "r-1"  # ids are echoed when the hub sends them


# --- a stand-in hub of one edition: what a party sends ---------------------------------------


@dataclass
class FakeHub:
    """Versions, details and credentials of a hub of `version`, recording every request; each
    functional URL answers OCPI 1000. 2.1.1: endpoints by identifier, `{root}/{module}` shaped
    like the hub's (`/ocpi/2.1.1/receiver/locations` ...); 2.3.0: hub_party_id NLHUB."""

    version: str
    token_a: str = "token-a-of-the-hub"
    token_c: str = "token-c-of-the-hub"
    received: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    base: str = "http://fakehub.test"

    def endpoints(self) -> list[dict[str, str]]:
        root = f"{self.base}/ocpi/{self.version}"
        if self.version == "2.1.1":  # toward a CPO the hub is an eMSP
            found = [{"identifier": "credentials", "url": f"{root}/credentials"}]
            found += [{"identifier": m, "url": f"{root}/receiver/{m}"} for m in ("locations", "sessions", "cdrs")]
            found += [{"identifier": "tariffs", "url": f"{root}/receiver/tariffs"}]
            found += [{"identifier": "tokens", "url": f"{root}/sender/tokens"}]
            return found
        found = [{"identifier": "credentials", "role": "SENDER", "url": f"{root}/credentials"}]
        for module in ("locations", "sessions", "cdrs", "tariffs", "tokens", "commands"):
            for interface in ("SENDER", "RECEIVER"):
                found.append({"identifier": module, "role": interface, "url": f"{root}/{interface.lower()}/{module}"})
        return found

    def credentials(self) -> dict[str, Any]:
        if self.version == "2.1.1":
            return {
                "token": self.token_c,
                "url": f"{self.base}/ocpi/versions",
                "business_details": {"name": "The hub"},
                "party_id": "HUB",
                "country_code": "NL",
            }
        found: dict[str, Any] = {"token": self.token_c, "url": f"{self.base}/ocpi/versions"}
        if self.version == "2.3.0":
            found["hub_party_id"] = "NLHUB"
            found["roles"] = [
                {"role": "EMSP", "business_details": {"name": "Behind"}, "party_id": "MSP", "country_code": "DE"}
            ]
        else:
            found["roles"] = [
                {"role": "HUB", "business_details": {"name": "The hub"}, "party_id": "HUB", "country_code": "NL"}
            ]
        return found

    def app(self) -> Starlette:
        async def handle(request: Request) -> Response:
            raw = await request.body()
            body = json.loads(raw) if raw else None
            self.received.append((request.method, request.url.path, dict(request.headers), body))
            path = request.url.path
            data: Any = None
            if path == "/ocpi/versions":
                data = [{"version": self.version, "url": f"{self.base}/ocpi/{self.version}"}]
            elif path == f"/ocpi/{self.version}":
                data = {"version": self.version, "endpoints": self.endpoints()}
            elif path.endswith("/credentials"):
                data = self.credentials()
            envelope = {"data": data, "status_code": 1000, "timestamp": "2025-01-01T00:00:00Z"}
            return Response(json.dumps(envelope), media_type="application/json")

        return Starlette(routes=[Route("/{path:path}", handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])])

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(mounts={self.base: httpx.ASGITransport(app=self.app())})


@pytest.mark.parametrize("version", VERSIONS)
async def test_registration_and_pushes_use_the_editions_transport(version: str) -> None:
    hub = FakeHub(version)
    cpo = SimulatedCpo(version=version, evses=2, client=hub.client())
    await cpo.start()
    try:
        await cpo.register(f"{hub.base}/ocpi/versions", hub.token_a)
        assert cpo.outbound_token == hub.token_c
        assert cpo.hub_party == PartyKey.of("NL", "HUB")  # HUB role, hub_party_id, top-level party
        await cpo.publish_tariffs(to=[EMSP_KEY, PartyKey.of("FR", "MSP")])
        assert cpo.failed == 0
    finally:
        await cpo.stop()
    (_, _, details_headers, _), post = hub.received[1], hub.received[2]
    assert details_headers["authorization"] == token_header(hub.token_a, version)["Authorization"]
    assert post[:2] == ("POST", f"/ocpi/{version}/credentials")
    MODELS[version].credentials.model_validate(post[3])
    pushes = [r for r in hub.received if r[0] == "PUT"]
    for _, _, headers, body in pushes:
        assert headers["authorization"] == token_header(hub.token_c, version)["Authorization"]
        MODELS[version].tariff.model_validate(body)
    if version == "2.1.1":
        # once per tariff (no OCPI-to: the hub picks the receivers), at the URL the hub listed
        assert [p[1] for p in pushes] == [
            "/ocpi/2.1.1/receiver/tariffs/NL/CPO/AC",
            "/ocpi/2.1.1/receiver/tariffs/NL/CPO/DC",
        ]
        for _, _, headers, _ in hub.received:
            assert not any(h.startswith("ocpi-") for h in headers), headers
            assert "x-request-id" not in headers and "x-correlation-id" not in headers
    else:
        assert len(pushes) == 4  # each tariff to each eMSP
        assert {(h["ocpi-to-country-code"], h["ocpi-to-party-id"]) for _, _, h, _ in pushes} == {
            ("DE", "MSP"),
            ("FR", "MSP"),
        }
        assert all((h["ocpi-from-country-code"], h["ocpi-from-party-id"]) == ("NL", "CPO") for _, _, h, _ in pushes)
        assert all(p[1].startswith(f"/ocpi/{version}/receiver/tariffs/NL/CPO/") for p in pushes)


# --- objects of the edition --------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_generated_data_is_valid_in_its_edition(version: str) -> None:
    models = MODELS[version]
    for location in make_locations(CPO_KEY, evses=23, evses_per_location=4, seed=5, version=version):
        models.location.model_validate(location)
    for tariff in make_tariffs(CPO_KEY, version=version):
        models.tariff.model_validate(tariff)
    for token in make_tokens(EMSP_KEY, count=30, version=version):
        models.token.model_validate(token)
    # the same sites, ids and times in every edition
    assert [(loc["id"], loc["last_updated"], loc["coordinates"]) for loc in make_locations(CPO_KEY, evses=9)] == [
        (loc["id"], loc["last_updated"], loc["coordinates"])
        for loc in make_locations(CPO_KEY, evses=9, version=version)
    ]


def test_each_editions_own_fields() -> None:
    location211 = make_locations(CPO_KEY, evses=1, version="2.1.1")[0]
    assert "country_code" not in location211 and location211["type"] == "ON_STREET"
    assert {"voltage", "amperage", "tariff_id"} <= set(location211["evses"][0]["connectors"][0])
    assert "vat" not in json.dumps(make_tariffs(CPO_KEY, version="2.1.1"))
    token211 = make_tokens(EMSP_KEY, count=10, version="2.1.1")
    assert token211[0]["auth_id"] == "DE-MSP-C00000001-1" and token211[9]["type"] == "OTHER"
    location230 = make_locations(CPO_KEY, evses=2, version="2.3.0")[0]
    assert location230["parking_places"][0]["id"] == location230["evses"][0]["parking"][0]["parking_id"]
    assert {t["tax_included"] for t in make_tariffs(CPO_KEY, version="2.3.0")} == {"NO"}


Peers = tuple[SimulatedCpo, SimulatedEmsp]


@pytest.fixture
async def peers(request: pytest.FixtureRequest) -> AsyncIterator[Callable[[str], Awaitable[Peers]]]:
    """A CPO and an eMSP of one edition on loopback sockets, the CPO registered at the eMSP (the
    eMSP plays the other side, as a hub would), tariffs, locations and tokens exchanged."""
    started: list[OcpiPlatform] = []

    async def make(version: str) -> Peers:
        emsp = SimulatedEmsp(version=version, tokens=12)
        cpo = SimulatedCpo(version=version, evses=6, tick_seconds=0.05, time_scale=60, command_delay=0.01)
        for platform in (emsp, cpo):
            await platform.start()
            started.append(platform)
        await cpo.register(emsp.versions_url, emsp.issue_token_a())
        emsp_only = None if version == "2.1.1" else [EMSP_KEY]
        cpo_only = None if version == "2.1.1" else [CPO_KEY]
        replies = await cpo.publish_tariffs(to=emsp_only) + await cpo.publish_locations(to=emsp_only)
        replies += await emsp.push_tokens(to=cpo_only)
        assert all(r.ok for r in replies), [r.describe() for r in replies if not r.ok]
        return cpo, emsp

    yield make
    for platform in started:
        await platform.stop()


async def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_charging_session_creates_objects_of_the_edition(
    version: str, peers: Callable[[str], Awaitable[Peers]]
) -> None:
    cpo, emsp = await peers(version)
    models = MODELS[version]
    for location in emsp.locations.values():
        models.location.model_validate(location)
    for tariff in emsp.tariffs.values():
        models.tariff.model_validate(tariff)
    for token in cpo.tokens.values():
        models.token.model_validate(token)

    outcome = await emsp.start_session(CPO_KEY, location_id="LOC00001", evse_uid="LOC00001-1")
    assert outcome.accepted and outcome.result == {"result": "ACCEPTED"}
    models.command_response.model_validate(outcome.response.data)
    models.command_result.model_validate(outcome.result)
    assert ("timeout" in outcome.response.data) == (version != "2.1.1")
    await eventually(lambda: bool(cpo.active))
    running = next(iter(cpo.active.values()))
    await eventually(lambda: running.periods >= 2)
    stopped = await emsp.stop_session(CPO_KEY, running.id)
    assert stopped.accepted and stopped.result == {"result": "ACCEPTED"}
    await eventually(lambda: bool(emsp.cdrs))

    session = emsp.sessions.values()[0]
    models.session.model_validate(session)
    assert session["status"] == "COMPLETED" and session["kwh"] > 0
    assert len(session["charging_periods"]) == len(running.session["charging_periods"])  # PATCH semantics
    (cdr,) = emsp.cdrs.values()
    models.cdr.model_validate(cdr)
    ac_tariff = cpo.tariffs.get("AC")
    assert ac_tariff is not None
    hours = running.periods * running.period.total_seconds() / 3600
    expected = price_session(ac_tariff, energy_kwh=session["kwh"], charging_hours=hours)
    excl, incl = read_price(cdr["total_cost"])
    assert excl == pytest.approx(expected.total[0], abs=1e-4)
    if version == "2.1.1":
        assert isinstance(cdr["total_cost"], float) and incl == excl  # a number, excl. VAT
        assert cdr["auth_id"] == emsp.driver_token()["auth_id"] and session["auth_method"] == "AUTH_REQUEST"
        assert [e["uid"] for e in cdr["location"]["evses"]] == ["LOC00001-1"]
        assert "end_datetime" in session and "stop_date_time" in cdr
    elif version == "2.3.0":
        assert set(cdr["total_cost"]) == {"before_taxes", "taxes"}
        assert incl == pytest.approx(expected.total[1], abs=1e-3)
        assert cdr["tariffs"][0]["tax_included"] == "NO"
    else:
        assert set(cdr["total_cost"]) == {"excl_vat", "incl_vat"}

    token = emsp.driver_token()
    reply = await cpo.authorize(token["uid"], location_id="LOC00001", evse_uids=["LOC00001-2"])
    assert reply.ok and reply.data["allowed"] == "ALLOWED"
    models.authorization_info.model_validate(reply.data)
    assert ("token" in reply.data) == (version != "2.1.1")


async def test_2_1_1_commands_answer_with_2_1_1_values(peers: Callable[[str], Awaitable[Peers]]) -> None:
    cpo, emsp = await peers("2.1.1")
    reserve = {
        "token": emsp.driver_token(),
        "expiry_date": "2030-01-01T00:00:00Z",
        "reservation_id": 7,  # an int in 2.1.1
        "location_id": "LOC00002",
        "evse_uid": "LOC00002-1",
    }
    reserved = await emsp.command(None, "RESERVE_NOW", reserve)
    assert reserved.response.data == {"result": "ACCEPTED"} and reserved.result == {"result": "ACCEPTED"}
    commands211.ReserveNow.model_validate({"response_url": "http://x.test/r", **reserve})
    # CANCEL_RESERVATION is not a 2.1.1 command
    cancel = await emsp.command(None, "CANCEL_RESERVATION", {"reservation_id": "7"})
    assert cancel.response.data == {"result": "NOT_SUPPORTED"} and cancel.result is None
    # START_SESSION at an occupied EVSE: 2.1.1 has no EVSE_OCCUPIED
    first = await emsp.start_session(None, location_id="LOC00001", evse_uid="LOC00001-1")
    assert first.result == {"result": "ACCEPTED"}
    second = await emsp.start_session(None, location_id="LOC00001", evse_uid="LOC00001-1")
    assert second.response.data == {"result": "ACCEPTED"} and second.result == {"result": "REJECTED"}
    unlock = await emsp.command(
        None, "UNLOCK_CONNECTOR", {"location_id": "LOC00001", "evse_uid": "LOC00001-2", "connector_id": "1"}
    )
    assert unlock.result == {"result": "ACCEPTED"}
    unknown = await emsp.stop_session(None, "NO-SUCH-SESSION")
    assert unknown.response.data == {"result": "UNKNOWN_SESSION"}
    for outcome in (reserved, cancel, first, second, unlock, unknown):
        commands211.CommandResponse.model_validate(outcome.response.data)
    with pytest.raises(RuntimeError):
        await emsp.set_charging_profile(None, "S", {})


async def test_a_2_1_1_cpo_authorizes_in_real_time_without_a_token_in_the_answer(
    peers: Callable[[str], Awaitable[Peers]],
) -> None:
    cpo, emsp = await peers("2.1.1")
    token = next(t for t in emsp.tokens if t["valid"] and t["whitelist"] == "NEVER")
    running = await cpo.charge_with_token(token["uid"], location_id="LOC00002", evse_uid="LOC00002-2")
    assert running is not None
    assert running.session["auth_id"] == token["auth_id"] and running.session["auth_method"] == "AUTH_REQUEST"
    assert emsp.authorizations and "token" not in emsp.authorizations[-1]
    await cpo.stop_session(running.id)
    await eventually(lambda: len(emsp.cdrs) == 1)
    blocked = next(t for t in emsp.tokens if not t["valid"])
    assert await cpo.charge_with_token(blocked["uid"], location_id="LOC00002", evse_uid="LOC00002-1") is None


async def test_a_2_3_0_party_learns_the_hub_from_hub_party_id() -> None:
    cpo = SimulatedCpo(version="2.3.0")
    cpo._learn_hub({"url": "http://hub.test/ocpi/versions", "hub_party_id": "NLHUB", "roles": []})
    assert cpo.hub_party == PartyKey.of("NL", "HUB")
    emsp = SimulatedEmsp(version="2.1.1")
    emsp._learn_hub({"url": "http://hub.test/ocpi/versions", "country_code": "NL", "party_id": "HUB"})
    assert emsp.hub_party == PartyKey.of("NL", "HUB")


# --- registration at the hub, when it offers the version ------------------------------------


@pytest.mark.parametrize("version", ["2.1.1", "2.2.1"])
@pytest.mark.parametrize("role", ["cpo", "emsp"])
async def test_registration_at_the_hub_or_at_the_other_side(
    version: str,
    role: str,
    sim_hub: SimHub,
    make_cpo: MakeSim,
    make_emsp: MakeSim,
    started: list[OcpiPlatform],
) -> None:
    party = await (make_cpo if role == "cpo" else make_emsp)(version=version)
    roles = [parse_role(f"{p.role.value}:{p.key.country_code}:{p.key.party_id}") for p in party.parties]
    # a 2.1.1 party's first call (GET versions) carries the raw token A: the operator flags it raw
    encoding = TokenEncoding.RAW if version == "2.1.1" else TokenEncoding.BASE64
    added = await sim_hub.admin.add(name=party.name, roles=roles, token_encoding=encoding)
    async with sim_hub.transport() as client:
        versions = (await client.get(HUB_VERSIONS_URL, headers=auth_header(added.token_a))).json()
    offered = {v["version"] for v in versions["data"]}
    if version in offered:
        await party.register(HUB_VERSIONS_URL, added.token_a)
        assert party.registered and party.hub_party is not None
        wanted = {"cpo": {"locations", "tokens"}, "emsp": {"locations", "tokens", "commands"}}[role]
        assert wanted <= {module for module, _ in party.hub_endpoints}
        if version == "2.1.1":
            assert {role for _, role in party.hub_endpoints} == {""}  # endpoints by identifier
        return
    # the hub does not offer this version yet: register at a simulated party of the other role
    other = SimulatedEmsp(version=version) if role == "cpo" else SimulatedCpo(version=version)
    await other.start()
    started.append(other)
    await party.register(other.versions_url, other.issue_token_a())
    assert party.registered and other.registered
    assert party.hub_party == (other.party.key if version == "2.1.1" else None)
    assert party.hub_url("credentials", "SENDER") == f"{other.version_url}/credentials"


@pytest.mark.parametrize("version", VERSIONS)
def test_the_command_line_builds_parties_of_an_edition(version: str) -> None:
    for role in ("cpo", "emsp"):
        platform = _build(_parser().parse_args([role, "--version", version, "--quiet"]))
        assert platform.version == version
    assert _build(_parser().parse_args(["cpo", "--quiet"])).version == "2.2.1"


async def test_request_raw_sends_only_the_headers_given_with_the_editions_token() -> None:
    hub = FakeHub("2.1.1")
    cpo = SimulatedCpo(version="2.1.1", evses=1, client=hub.client())
    await cpo.start()
    try:
        await cpo.register(f"{hub.base}/ocpi/versions", hub.token_a)
        url = cpo.hub_url("locations", "RECEIVER") + "/NL/CPO/LOC00001"
        reply = await cpo.request_raw("PUT", url, json={"id": "LOC00001"}, headers={"OCPI-to-party-id": "MSP"})
    finally:
        await cpo.stop()
    assert reply.ok
    method, path, headers, body = hub.received[-1]
    assert (method, path, body) == ("PUT", "/ocpi/2.1.1/receiver/locations/NL/CPO/LOC00001", {"id": "LOC00001"})
    assert headers["authorization"] == f"Token {hub.token_c}" and headers["ocpi-to-party-id"] == "MSP"
    assert "x-request-id" not in headers and "ocpi-from-party-id" not in headers
