"""The common OCPI behaviour of a simulated platform, talked to directly (no hub): versions,
credentials both ways, authorization, envelope and headers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hub.registration.platforms import parse_role
from hub.types import InterfaceRole
from simulators import SimulatedCpo, SimulatedEmsp
from tests.helpers import HUB_URL, HUB_VERSIONS_URL
from tests.simulators.conftest import MakeSim, SimHub
from tests.simulators.helpers import HUB_TOKEN, SIM_URL, auth, direct, routing


async def test_versions_and_details_announce_every_interface() -> None:
    cpo = SimulatedCpo()
    async with direct(cpo) as client:
        versions = (await client.get("/ocpi/versions")).json()
        assert versions["status_code"] == 1000
        assert versions["data"] == [{"version": "2.2.1", "url": f"{SIM_URL}/ocpi/2.2.1"}]
        details = (await client.get("/ocpi/2.2.1")).json()["data"]
    announced = {(e["identifier"], e["role"]) for e in details["endpoints"]}
    assert announced == {
        ("credentials", "SENDER"),
        ("hubclientinfo", "RECEIVER"),
        ("locations", "SENDER"),
        ("sessions", "SENDER"),
        ("cdrs", "SENDER"),
        ("tariffs", "SENDER"),
        ("tokens", "RECEIVER"),
        ("commands", "RECEIVER"),
        ("chargingprofiles", "RECEIVER"),
    }
    emsp_roles = {(m, i.value) for m, i in SimulatedEmsp().handlers}
    assert emsp_roles == {
        ("hubclientinfo", "RECEIVER"),
        ("locations", "RECEIVER"),
        ("sessions", "RECEIVER"),
        ("cdrs", "RECEIVER"),
        ("tariffs", "RECEIVER"),
        ("tokens", "SENDER"),
        ("commands", "SENDER"),
        ("chargingprofiles", "SENDER"),
    }


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Token " + "d3Jvbmc=",  # base64 of "wrong"
        f"Token {HUB_TOKEN}",  # the raw token: 2.2.1 wants Base64
        "Bearer " + auth()["Authorization"][6:],
    ],
)
async def test_requests_without_the_right_token_are_401(header: str | None) -> None:
    cpo = SimulatedCpo()
    async with direct(cpo) as client:
        headers = {"Authorization": header} if header else {}
        client.headers.pop("Authorization")
        reply = await client.get("/ocpi/2.2.1/sender/locations", headers=headers)
    assert reply.status_code == 401 and reply.json()["status_code"] == 2000


async def test_token_a_opens_only_the_configuration_modules() -> None:
    cpo = SimulatedCpo()
    async with direct(cpo) as client:
        token_a = cpo.issue_token_a()
        assert (await client.get("/ocpi/versions", headers=auth(token_a))).status_code == 200
        assert (await client.get("/ocpi/2.2.1", headers=auth(token_a))).status_code == 200
        assert (await client.get("/ocpi/2.2.1/credentials", headers=auth(token_a))).json()["data"]["token"] == token_a
        assert (await client.get("/ocpi/2.2.1/sender/locations", headers=auth(token_a))).status_code == 401


async def test_replies_echo_ids_and_swap_routing_headers() -> None:
    cpo = SimulatedCpo(country_code="NL", party_id="CPO")
    async with direct(cpo) as client:
        headers = {"X-Request-ID": "req-1", "X-Correlation-ID": "corr-1"} | routing(("DE", "MSP"), ("NL", "CPO"))
        reply = await client.get("/ocpi/2.2.1/sender/locations/LOC00001", headers=headers)
    assert reply.status_code == 200 and reply.json()["status_code"] == 1000
    assert reply.headers["x-request-id"] == "req-1" and reply.headers["x-correlation-id"] == "corr-1"
    assert (reply.headers["ocpi-from-country-code"], reply.headers["ocpi-from-party-id"]) == ("NL", "CPO")
    assert (reply.headers["ocpi-to-country-code"], reply.headers["ocpi-to-party-id"]) == ("DE", "MSP")
    assert reply.json()["timestamp"].endswith("Z")


@pytest.mark.parametrize(
    ("method", "path", "body", "http", "ocpi"),
    [
        ("GET", "/ocpi/2.1.1", None, 404, 2000),
        ("GET", "/ocpi/2.2.1/receiver/locations", None, 404, 2000),  # a CPO has no locations RECEIVER
        ("POST", "/ocpi/2.2.1/sender/locations", b"{}", 405, 2000),
        ("PUT", "/ocpi/2.2.1/receiver/tokens/DE/MSP/T1", b"{not json", 400, 2001),
        ("PUT", "/ocpi/2.2.1/receiver/tokens/DE/MSP/T1", b'{"uid": "T2"}', 400, 2001),  # body differs from URL
        ("GET", "/ocpi/2.2.1/sender/sessions", None, 400, 2001),  # date_from is required
        ("GET", "/ocpi/2.2.1/sender/locations?limit=x", None, 400, 2001),
    ],
)
async def test_bad_requests_get_an_ocpi_error(method: str, path: str, body: bytes | None, http: int, ocpi: int) -> None:
    cpo = SimulatedCpo()
    async with direct(cpo) as client:
        reply = await client.request(method, path, content=body, headers=routing(("DE", "MSP"), ("NL", "CPO")))
    assert (reply.status_code, reply.json()["status_code"]) == (http, ocpi)


async def test_the_hub_can_register_at_a_simulator(sim_hub: SimHub, make_cpo: MakeSim) -> None:
    """The other direction of the handshake: the simulator issued token A, the hub registers."""
    cpo: SimulatedCpo = await make_cpo()
    added = await sim_hub.admin.add(name="cpo", roles=[parse_role("CPO:NL:CPO")])
    assert added.platform.id is not None
    token_a = cpo.issue_token_a()
    platform = await sim_hub.app.state.hub.registrar.register_with(
        platform_id=added.platform.id, versions_url=cpo.versions_url, token_a=token_a
    )
    assert platform.status == "CONNECTED"
    assert cpo.token_a is None and cpo.registered and cpo.hub_versions_url == HUB_VERSIONS_URL
    # the simulator now talks to the hub with the token the hub gave it (B), and accepts its own C
    reply = await cpo.send("GET", "hubclientinfo", InterfaceRole.SENDER, to=None)
    assert reply.ok, reply.describe()
    async with httpx.AsyncClient() as client:
        stale = await client.get(cpo.versions_url, headers=auth(token_a))
        fresh = await client.get(cpo.versions_url, headers=auth(cpo.inbound_token or ""))
    assert (stale.status_code, fresh.status_code) == (401, 200)


async def test_unregister_deletes_the_credentials_at_the_hub(sim_hub: SimHub, make_emsp: MakeSim, connect: Any) -> None:
    emsp: SimulatedEmsp = await make_emsp()
    await connect(emsp)
    assert emsp.hub_url("credentials", "SENDER").startswith(HUB_URL)
    gone = await emsp.unregister()
    assert gone.ok and emsp.outbound_token is None and emsp.inbound_token is None
    [described] = await sim_hub.admin.describe(platform_id=None)
    assert described["status"] == "SUSPENDED"
