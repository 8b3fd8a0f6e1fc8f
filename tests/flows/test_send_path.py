"""One way to send (issue: one request pipeline): routed requests and outbox deliveries go through the
same send path, so broadcasts get the same circuit breakers and the same failover between a
receiver's origins as forwarded requests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hub.db.db import SessionFactory
from hub.registration.platforms import PlatformAdmin
from hub.state import HubState
from tests.conftest import StartFake
from tests.fakes.serving import serve_asgi
from tests.faults.harness import point_endpoints, wait_until
from tests.flows.test_broadcast import location, pushes

HUB = ("NL", "HUB")
EMSP = ("DE", "EMS")


class Failing:
    """A receiver origin that answers every request with HTTP 500 and counts them."""

    def __init__(self) -> None:
        self.requests = 0

    async def answer(self, request: Request) -> JSONResponse:
        self.requests += 1
        return JSONResponse({"status_code": 3000, "timestamp": "2026-01-01T00:00:00Z"}, status_code=500)

    @asynccontextmanager
    async def serve(self) -> AsyncIterator[str]:
        app = Starlette(routes=[Route("/{path:path}", self.answer, methods=["GET", "PUT", "POST", "PATCH", "DELETE"])])
        async with serve_asgi(app) as url:
            yield url


@pytest.mark.hub_settings(breaker_fail_max=2, breaker_reset_seconds=60.0)
async def test_broadcast_deliveries_share_the_breakers_and_failover_of_routed_requests(
    hub_app: Starlette, connect_fake: StartFake, admin: PlatformAdmin, db: SessionFactory
) -> None:
    hub: HubState = hub_app.state.hub
    cpo = await connect_fake([("CPO", "NL", "CPA")], name="cpo")
    emsp = await connect_fake([("EMSP", *EMSP)], name="emsp")
    assert emsp.platform_id is not None and emsp.base_url is not None
    failing = Failing()
    async with failing.serve() as primary:
        # the eMSP's endpoints now live at a failing origin; its own app is the alternate
        await admin.set_alternates(platform_id=emsp.platform_id, origins=[emsp.base_url])
        await point_endpoints(db, emsp.platform_id, primary)
        hub.on_registry_change()
        url = f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC1"

        # routed PUTs: the primary answers 500, the PUT fails over to the alternate; two such
        # failures open the primary's breaker
        for n in (1, 2):
            reply = await cpo.request_hub("PUT", url, json=location(at=f"2026-01-0{n}T00:00:00Z"), to=EMSP)
            assert reply.json()["status_code"] == 1000, reply.text
        assert failing.requests == 2
        assert len(pushes(emsp)) == 2
        states = hub.breakers.states()
        assert states.pop(primary) == "open" and set(states.values()) == {"closed"}

        # a broadcast: the dispatcher finds the same breaker open, does not contact the primary,
        # and delivers at the alternate, like a routed request would
        reply = await cpo.request_hub("PUT", url, json=location(at="2026-01-03T00:00:00Z"), to=HUB)
        assert reply.json()["status_code"] == 1000, reply.text

        async def delivered() -> bool:
            return len(pushes(emsp)) == 3

        await wait_until(delivered, timeout=10, what="the broadcast reaches the eMSP at its alternate origin")
        got = pushes(emsp)[-1]
        assert got.headers.get("ocpi-from-party-id") == "HUB"
        assert failing.requests == 2  # never contacted while its breaker is open
