"""Our hub connected to a Gireve-style upstream hub (simulators.upstream_hub, profile `gireve`) as an
upstream of profile `gireve`, everything on real loopback sockets (upstream-ocpi-hub.md §4.3).

Our own parties are simulated platforms registered at our hub: the eMSP DE*MSP and the CPO NL*CPO.
Behind the upstream FR*007 are the simulator's CPOs FR*CP1 / FR*CP2 and eMSPs FR*MS1 / FR*MS2,
declared to our hub as config routes of the upstream.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import pytest
from starlette.applications import Starlette

from hub.db.db import SessionFactory, create_engine, session_factory
from hub.db.repositories import RegistryRepository
from hub.registration.platforms import PlatformAdmin, parse_role
from hub.registration.upstreams import UpstreamAdmin, parse_route
from hub.settings import Settings
from hub.token_vault import TokenVault
from hub.types import InterfaceRole, PartyKey
from simulators import SimulatedCpo, SimulatedEmsp
from simulators.platform import OcpiPlatform
from simulators.upstream_hub import HubConfig, Operator, UpstreamHub
from tests.fakes.serving import free_port, serve_asgi
from tests.helpers import running_app

HUB_007 = PartyKey.of("FR", "007")
CP1, MS1 = PartyKey.of("FR", "CP1"), PartyKey.of("FR", "MS1")
# the operators our hub may speak for at the upstream (its platform "ours" there)
OUR_OPERATORS = (Operator.of("DE", "MSP", "EMSP"), Operator.of("NL", "CPO", "CPO"))
P = TypeVar("P", bound=OcpiPlatform)
ROUTES = ("CPO:FR:CP1=FR*CP1", "CPO:FR:CP2=FR*CP2", "EMSP:FR:MS1", "EMSP:FR:MS2")


async def _wait(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@dataclass
class Rig:
    """Our hub on a loopback socket, with the parts a test started (stopped at teardown)."""

    app: Starlette
    url: str
    settings: Settings
    sessions: SessionFactory
    stack: AsyncExitStack
    sims: dict[str, UpstreamHub] = field(default_factory=dict)

    @property
    def versions_url(self) -> str:
        return f"{self.url}/ocpi/versions"

    @property
    def platforms(self) -> PlatformAdmin:
        return PlatformAdmin(settings=self.settings, sessions=self.sessions, vault=TokenVault(self.settings.secret_key))

    @property
    def upstreams(self) -> UpstreamAdmin:
        return UpstreamAdmin(self.platforms, self.sessions)

    async def sim(self, name: str, **config: Any) -> UpstreamHub:
        """A started Gireve-style upstream hub that knows our hub as its platform `ours`."""
        hub = UpstreamHub(HubConfig(platforms={"ours": OUR_OPERATORS}, **config), name=name)
        await hub.start()
        self.stack.push_async_callback(hub.stop)
        self.sims[name] = hub
        return hub

    async def add_upstream(
        self, sim: UpstreamHub, *, routes: tuple[str, ...] = ROUTES, priority: int | None = None
    ) -> tuple[int, str]:
        """Declare `sim` an upstream (profile gireve) with `routes`; (platform id, token A)."""
        specs = [parse_route(r) for r in routes]
        if priority is not None:
            specs = [replace(s, priority=priority) for s in specs]
        hub = sim.hub
        added = await self.upstreams.add(
            name=sim.name,
            kind="ocpi",
            profile="gireve",
            hub_role=f"HUB:{hub.country_code}:{hub.party_id}",
            routes=specs,
        )
        assert added.platform.id is not None
        return added.platform.id, added.token_a

    async def connect(self, sim: UpstreamHub, **kwargs: Any) -> None:
        """Declare `sim` an upstream and let it register at our hub with the token A."""
        _, token_a = await self.add_upstream(sim, **kwargs)
        await sim.register_at("ours", self.versions_url, token_a)

    async def emsp(self) -> SimulatedEmsp:
        emsp = SimulatedEmsp(country_code="DE", party_id="MSP", name="our-emsp", tokens=2)
        return await self._register(emsp, "EMSP:DE:MSP")

    async def cpo(self) -> SimulatedCpo:
        cpo = SimulatedCpo(country_code="NL", party_id="CPO", name="our-cpo", evses=2, evses_per_location=2)
        return await self._register(cpo, "CPO:NL:CPO")

    async def _register(self, platform: P, role: str) -> P:
        await platform.start()
        self.stack.push_async_callback(platform.stop)
        added = await self.platforms.add(name=platform.name, roles=[parse_role(role)])
        await platform.register(self.versions_url, added.token_a)
        return platform


@pytest.fixture
async def rig(hub_settings: Settings) -> AsyncIterator[Rig]:
    async with AsyncExitStack() as stack:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        settings = hub_settings.model_copy(update={"public_url": url})
        app = await stack.enter_async_context(running_app(settings))
        await stack.enter_async_context(serve_asgi(app, lifespan="off", port=port))
        engine = create_engine(settings)
        stack.push_async_callback(engine.dispose)
        yield Rig(app=app, url=url, settings=settings, sessions=session_factory(engine), stack=stack)


# --- 1. registration ---------------------------------------------------------------------------------


async def test_the_upstream_registers_at_our_hub_with_the_token_a(rig: Rig) -> None:
    sim = await rig.sim("gireve")
    platform_id, token_a = await rig.add_upstream(sim)
    given = await sim.register_at("ours", rig.versions_url, token_a)
    connection = sim.connection("ours")
    assert connection.registered and connection.outbound_token == given["token"] != token_a
    # our hub read the upstream's versions with the token the upstream gave it, during the POST
    asked = sim.journal.find("in", module="versions")
    assert asked and all(e.platform == "ours" and e.http_status == 200 for e in asked)
    token_b = base64.b64encode((connection.inbound_token or "").encode()).decode()
    assert {e.header("authorization") for e in asked} == {f"Token {token_b}"}
    assert sim.journal.find("out", module="credentials", method="POST")[0].status_code == 1000
    assert not sim.journal.find("in", module="credentials", method="PUT")
    async with rig.sessions() as session:
        platform = await RegistryRepository(session).get(platform_id=platform_id)
    assert platform is not None and platform.status == "CONNECTED" and platform.outbound_token_enc


async def test_our_hub_registers_at_the_upstream(rig: Rig) -> None:
    sim = await rig.sim("gireve")
    platform_id, _ = await rig.add_upstream(sim)
    platform = await rig.app.state.hub.registrar.register_with(
        platform_id=platform_id, versions_url=sim.versions_url, token_a=sim.issue_token_a("ours")
    )
    assert platform.status == "CONNECTED"
    connection = sim.connection("ours")
    assert connection.registered and connection.registrations == 1
    (posted,) = sim.journal.find("in", module="credentials", method="POST")
    assert posted.status_code == 1000 and posted.request_body["url"] == rig.versions_url
    # the upstream called our hub back with the token our hub gave it
    assert sim.journal.find("out", module="versions", where=lambda e: e.http_status == 200)


# --- 2. commands, sessions and CDRs through the upstream ---------------------------------------------


async def test_start_session_at_a_cpo_behind_the_upstream_then_session_cdr_and_stop(rig: Rig) -> None:
    sim = await rig.sim("gireve")
    await rig.connect(sim)
    emsp = await rig.emsp()
    cp1 = sim.cpo("FR", "CP1")

    outcome = await emsp.start_session(CP1, location_id="LOC00001", evse_uid="LOC00001-1", wait=3.0)
    assert outcome.accepted, outcome.response.describe()
    (command,) = sim.journal.find("in", module="commands", method="POST")
    # Gireve's way: TO = the upstream hub's own party, FROM = our eMSP
    to = (command.header("ocpi-to-country-code"), command.header("ocpi-to-party-id"))
    assert to == (HUB_007.country_code, HUB_007.party_id)
    assert (command.header("ocpi-from-country-code"), command.header("ocpi-from-party-id")) == ("DE", "MSP")
    # the response_url the upstream got is our hub's, not the eMSP's
    assert command.request_body["response_url"].startswith(rig.url)
    # and the CommandResult came back through it to our eMSP
    assert outcome.result is not None and outcome.result["result"] == "ACCEPTED"

    own = cp1.last_session()
    assert own is not None
    await _wait(lambda: len(emsp.sessions.values()) == 1)
    session = emsp.sessions.values()[0]
    assert session["id"].startswith("GIR-S") and session["id"] != own["id"]
    assert (session["country_code"], session["party_id"]) == ("FR", "CP1")

    stop = await emsp.stop_session(CP1, session["id"], wait=3.0)
    assert stop.accepted, stop.response.describe()
    assert stop.result is not None and stop.result["result"] == "ACCEPTED"
    assert cp1.commands[-1]["command"] == "STOP_SESSION" and cp1.commands[-1]["session_id"] == own["id"]
    await _wait(lambda: bool(emsp.cdrs))
    (cdr,) = emsp.cdrs.values()
    assert cdr["session_id"] == session["id"]
    await _wait(lambda: emsp.sessions.values()[0]["status"] == "COMPLETED")


# --- 3. quality gate before the upstream -------------------------------------------------------------


def _good_location(cpo: SimulatedCpo) -> dict[str, Any]:
    location = dict(next(iter(cpo.locations)))
    location["owner"] = {"name": "Our CPO"}
    location["operator"] = location.get("operator") or {"name": "Our CPO"}
    evses = []
    for evse in location["evses"]:
        connectors = [{**c, "tariff_ids": c.get("tariff_ids") or ["T1"]} for c in evse["connectors"]]
        evses.append({**evse, "capabilities": evse.get("capabilities") or ["RFID_READER"], "connectors": connectors})
    location["evses"] = evses
    return location


async def test_bad_locations_are_refused_locally_and_never_reach_the_upstream(rig: Rig) -> None:
    sim = await rig.sim("gireve")
    await rig.connect(sim)
    cpo = await rig.cpo()
    good = _good_location(cpo)
    rest = f"NL/CPO/{good['id']}"

    no_owner = {k: v for k, v in good.items() if k != "owner"}
    reply = await cpo.send("PUT", "locations", InterfaceRole.RECEIVER, rest, to=MS1, json=no_owner)
    assert reply.status_code == 2001 and "owner.name" in reply.describe(), reply.describe()

    wrong_prefix = {**good, "evses": [{**good["evses"][0], "evse_id": "NL*XYZ*E1"}, *good["evses"][1:]]}
    reply = await cpo.send("PUT", "locations", InterfaceRole.RECEIVER, rest, to=MS1, json=wrong_prefix)
    assert reply.status_code == 2001 and "evse_id" in reply.describe(), reply.describe()
    assert not sim.journal.find("in", module="locations")

    # the same location with its owner and right ids passes the gate and reaches FR*MS1
    reply = await cpo.send("PUT", "locations", InterfaceRole.RECEIVER, rest, to=MS1, json=good)
    assert reply.ok, reply.describe()
    (arrived,) = sim.journal.find("in", module="locations")
    assert arrived.header("ocpi-to-party-id") == "007" and arrived.status_code == 1000


# --- 4. failover when the upstream cannot reach the party --------------------------------------------


async def test_an_upstream_answering_4003_fails_over_to_the_next_route(rig: Rig) -> None:
    first = await rig.sim("gireve-a")
    second = await rig.sim("gireve-b", party_id="008")
    await rig.connect(first, routes=("CPO:FR:CP1=FR*CP1",), priority=20)
    await rig.connect(second, routes=("CPO:FR:CP1=FR*CP1",), priority=30)
    emsp = await rig.emsp()
    first.faults.hub_error, first.faults.hub_error_count = 4003, 1

    outcome = await emsp.start_session(CP1, location_id="LOC00001", evse_uid="LOC00001-1", wait=3.0)
    assert outcome.accepted, outcome.response.describe()
    (refused,) = first.journal.find("in", module="commands")
    assert refused.status_code == 4003
    (taken,) = second.journal.find("in", module="commands")
    assert taken.status_code == 1000 and taken.header("ocpi-to-party-id") == "008"
    assert second.cpo("FR", "CP1").commands and not first.cpo("FR", "CP1").commands
    assert outcome.result is not None and outcome.result["result"] == "ACCEPTED"


# --- 5. commands the upstream does not carry -----------------------------------------------------------


async def test_unlock_connector_is_not_supported_without_a_call(rig: Rig) -> None:
    sim = await rig.sim("gireve")
    await rig.connect(sim)
    emsp = await rig.emsp()
    body = {"location_id": "LOC00001", "evse_uid": "LOC00001-1", "connector_id": "1"}
    outcome = await emsp.command(CP1, "UNLOCK_CONNECTOR", body, wait=None)
    assert outcome.response.ok and outcome.response.data["result"] == "NOT_SUPPORTED"
    assert not sim.journal.find("in", module="commands")


# --- 5. store and forward toward the upstream ----------------------------------------------------


async def test_a_push_the_upstream_could_not_take_is_replayed_with_the_upstreams_headers(rig: Rig) -> None:
    sim = await rig.sim("gireve")
    await rig.connect(sim)
    cpo = await rig.cpo()
    good = _good_location(cpo)
    sim.faults.server_errors, sim.faults.modules = 1, {"locations"}

    reply = await cpo.send("PUT", "locations", InterfaceRole.RECEIVER, f"NL/CPO/{good['id']}", to=MS1, json=good)
    assert reply.ok, reply.describe()  # stored by our hub, queued for the upstream

    def taken() -> list[Any]:
        return [e for e in sim.journal.find("in", module="locations") if e.status_code == 1000]

    await _wait(lambda: bool(taken()), timeout=10.0)
    (replayed,) = taken()
    # replayed the Gireve way, like a live push: TO = the upstream hub, FROM = our CPO
    assert (replayed.header("ocpi-to-country-code"), replayed.header("ocpi-to-party-id")) == ("FR", "007")
    assert (replayed.header("ocpi-from-country-code"), replayed.header("ocpi-from-party-id")) == ("NL", "CPO")
