"""Routes learned from traffic (upstream reference §3.2 item 4): an upstream hub that announces
nothing (Gireve style) sends a request on behalf of a party the hub has no route for; the hub
learns an `observed` route back through that upstream, so the party's counterpart can answer and
follow up. Through the front door, SQLite and PostgreSQL."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import pytest

from hub.db.db import SessionFactory
from hub.registration.platforms import PlatformAdmin
from hub.registration.upstreams import UpstreamAdmin
from hub.routing.learn import observed_role
from hub.types import InterfaceRole, Role
from tests.conftest import StartFake
from tests.fakes.party import FakePlatform
from tests.flows.test_routing import session
from tests.helpers import HUB_VERSIONS_URL

XYZ = ("DE", "XYZ")


@pytest.mark.parametrize(
    ("module", "interface", "role"),
    [
        ("locations", InterfaceRole.RECEIVER, Role.CPO),
        ("cdrs", InterfaceRole.RECEIVER, Role.CPO),
        ("tokens", InterfaceRole.RECEIVER, Role.EMSP),
        ("commands", InterfaceRole.RECEIVER, Role.EMSP),
        ("locations", InterfaceRole.SENDER, Role.EMSP),
        ("tokens", InterfaceRole.SENDER, Role.CPO),
        ("chargingprofiles", InterfaceRole.RECEIVER, None),
    ],
)
def test_the_role_comes_from_what_the_request_is(module: str, interface: InterfaceRole, role: Role | None) -> None:
    assert observed_role(module, interface) is role


async def test_a_party_seen_through_an_upstream_gets_a_route_back(
    connect_fake: StartFake, admin: PlatformAdmin, db: SessionFactory, hub_mounts: dict[str, Any]
) -> None:
    cpo = await connect_fake([("CPO", "NL", "CPA")], name="cpo")
    cpo.add_object("locations", {"id": "LOC1"})
    upstreams = UpstreamAdmin(admin, db)
    async with AsyncExitStack() as stack:
        upstream = FakePlatform([("HUB", "DE", "HBA")], mounts=hub_mounts, name="upstream")
        await stack.enter_async_context(upstream.serve())
        added = await upstreams.add(name="upstream", kind="ocpi", hub_role="HUB:DE:HBA")  # announces nothing
        await upstream.register_with_hub(HUB_VERSIONS_URL, added.token_a)
        assert added.platform.id is not None

        sessions_url = f"{cpo.hub_url('sessions', 'RECEIVER')}/NL/CPA/S1"
        unknown = await cpo.request_hub("PUT", sessions_url, json=session("S1"), to=XYZ)
        assert unknown.json()["status_code"] == 4001, unknown.text  # no route to DE*XYZ yet

        # an eMSP behind the upstream reads the CPO's location: FROM = DE*XYZ
        url = f"{upstream.hub_url('locations', 'SENDER')}/LOC1"
        read = await upstream.request_hub("GET", url, to=("NL", "CPA"), from_=XYZ)
        assert read.json()["status_code"] == 1000, read.text

        (route,) = (await upstreams.show(platform_id=added.platform.id)).routes
        assert (route.country_code, route.party_id, route.role, route.source) == ("DE", "XYZ", "EMSP", "observed")
        assert route.priority == 90 and route.expires_at is not None

        # now the CPO's session for that eMSP goes back through the upstream, TO = DE*XYZ
        routed = await cpo.request_hub("PUT", sessions_url, json=session("S1"), to=XYZ)
        assert routed.json()["status_code"] == 1000, routed.text
        (got,) = [r for r in upstream.requests if "/sessions/" in r.path]
        assert (got.header("ocpi-to-country-code"), got.header("ocpi-to-party-id")) == XYZ
        # a second request from the party learns nothing new
        await upstream.request_hub("GET", url, to=("NL", "CPA"), from_=XYZ)
        assert len((await upstreams.show(platform_id=added.platform.id)).routes) == 1


async def test_a_claim_for_a_direct_party_or_the_hub_teaches_nothing(
    connect_fake: StartFake, admin: PlatformAdmin, db: SessionFactory, hub_mounts: dict[str, Any]
) -> None:
    cpo = await connect_fake([("CPO", "NL", "CPA")], name="cpo")
    await connect_fake([("EMSP", "DE", "EMS")], name="emsp")
    cpo.add_object("locations", {"id": "LOC1"})
    upstreams = UpstreamAdmin(admin, db)
    async with AsyncExitStack() as stack:
        upstream = FakePlatform([("HUB", "DE", "HBA")], mounts=hub_mounts, name="upstream")
        await stack.enter_async_context(upstream.serve())
        added = await upstreams.add(name="upstream", kind="ocpi", hub_role="HUB:DE:HBA")
        await upstream.register_with_hub(HUB_VERSIONS_URL, added.token_a)
        assert added.platform.id is not None
        url = f"{upstream.hub_url('locations', 'SENDER')}/LOC1"
        posing = await upstream.request_hub("GET", url, to=("NL", "CPA"), from_=("DE", "EMS"))
        assert posing.json()["status_code"] == 2001, posing.text  # a party connected directly
        own = await upstream.request_hub("GET", url, to=("NL", "CPA"), from_=("DE", "HBA"))
        assert own.json()["status_code"] == 1000, own.text  # the upstream's own party: it is served
        assert (await upstreams.show(platform_id=added.platform.id)).routes == []
