"""Store and forward toward an upstream hub (upstream reference §1.9, §3.4, §4.3), through the front
door: a CPO connected to the hub, an eMSP DE*MS1 behind upstream OCPI hubs (FakePlatforms with role
HUB on loopback sockets), SQLite and PostgreSQL.

- pushes the upstream cannot take are stored, answered 1000 once stored, and replayed in the order
  they arrived once it is back; later pushes of that module wait behind them;
- a CDR POST whose reply timed out on route A is not sent through route B: it waits on A;
- a push to a party connected directly is never queued (4003: the party keeps its own retry).
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

import orjson
import pytest
from sqlmodel import select
from starlette.responses import Response

from hub.db.db import SessionFactory
from hub.db.models import OutboxMessage, OutboxStatus
from hub.registration.platforms import PlatformAdmin, parse_role
from hub.registration.upstreams import UpstreamAdmin, parse_route
from tests.conftest import StartFake
from tests.drain import outbox_drained
from tests.fakes.ocpi import RecordedRequest
from tests.fakes.party import FakePlatform
from tests.flows.test_routing import cdr, evse, location
from tests.helpers import HUB_VERSIONS_URL

MS1 = ("DE", "MS1")
QUICK_RETRIES = {"outbox_backoff_seconds": 0.2, "outbox_backoff_max_seconds": 0.4, "breaker_reset_seconds": 0.2}


def _bodies(fake: FakePlatform, module: str, method: str) -> list[Any]:
    return [orjson.loads(r.body) for r in fake.requests if f"/{module}" in r.path and r.method == method]


async def _upstream(
    stack: AsyncExitStack, upstreams: UpstreamAdmin, hub_mounts: dict[str, Any], name: str, pid: str, **kwargs: Any
) -> tuple[FakePlatform, int]:
    """An upstream hub with DE*MS1 behind it, registered and serving; returns it and its port."""
    fake = FakePlatform([("HUB", "DE", pid)], mounts=hub_mounts, name=name, **kwargs)
    url = await stack.enter_async_context(fake.serve())
    added = await upstreams.add(name=name, kind="ocpi", hub_role=f"HUB:DE:{pid}", routes=[parse_route("EMSP:DE:MS1")])
    await fake.register_with_hub(HUB_VERSIONS_URL, added.token_a)
    fake.platform_id = added.platform.id
    return fake, int(url.rsplit(":", 1)[1])


async def _rows(db: SessionFactory, module: str) -> list[OutboxMessage]:
    async with db() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "forward", OutboxMessage.module == module)
        return list((await session.exec(query)).all())


@pytest.mark.hub_settings(**QUICK_RETRIES)
async def test_pushes_an_upstream_cannot_take_are_replayed_in_order_once_it_is_back(
    connect_fake: StartFake, admin: PlatformAdmin, db: SessionFactory, hub_mounts: dict[str, Any]
) -> None:
    cpo = await connect_fake([("CPO", "NL", "CPA")], name="cpo")
    async with AsyncExitStack() as stack:
        serving = AsyncExitStack()
        upstream, port = await _upstream(serving, UpstreamAdmin(admin, db), hub_mounts, "upstream", "HBA")
        await serving.aclose()  # the upstream refuses connections from now on

        url = f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC1"
        first = await cpo.request_hub("PUT", url, json=location("LOC1"), to=MS1)
        assert first.json()["status_code"] == 1000, first.text
        assert "Stored by the hub" in first.json()["status_message"] and "cannot be reached" in first.text
        put_evse = await cpo.request_hub("PUT", f"{url}/EVSE1", json=evse("EVSE1"), to=MS1)
        assert "waiting" in put_evse.json()["status_message"], put_evse.text
        statuses = ["CHARGING", "AVAILABLE", "BLOCKED"]
        for n, status in enumerate(statuses):
            patch = {"status": status, "last_updated": f"2027-01-01T10:00:0{n}Z"}
            reply = await cpo.request_hub("PATCH", f"{url}/EVSE1", json=patch, to=MS1)
            assert reply.json()["status_code"] == 1000, reply.text
            # the queue holds the location: the status joins it without a try of its own
            assert "waiting" in reply.json()["status_message"], reply.text
        assert reply.headers["ocpi-from-party-id"] == "MS1" and reply.headers["ocpi-to-party-id"] == "CPA"
        queued = await _rows(db, "locations")
        assert len(queued) == 5 and all(r.status == OutboxStatus.PENDING for r in queued)

        await stack.enter_async_context(upstream.serve(port=port))  # back
        await outbox_drained(db, module="locations", timeout=15.0)

    assert _bodies(upstream, "locations", "PUT")[0]["id"] == "LOC1"
    assert [b["status"] for b in _bodies(upstream, "locations", "PATCH")] == statuses  # FIFO
    replayed = [r for r in upstream.requests if "/locations" in r.path]
    assert all((r.header("ocpi-from-party-id"), r.header("ocpi-to-party-id")) == ("CPA", "MS1") for r in replayed), (
        "replayed pushes keep the pusher as FROM and the final receiver as TO"
    )
    rows = await _rows(db, "locations")
    assert {r.status for r in rows} == {OutboxStatus.DELIVERED}, [(r.method, r.status, r.last_error) for r in rows]


@pytest.mark.hub_settings(request_timeout_seconds=1.0, **QUICK_RETRIES)
async def test_a_cdr_whose_reply_timed_out_waits_on_its_route_and_never_goes_through_another(
    connect_fake: StartFake, admin: PlatformAdmin, db: SessionFactory, hub_mounts: dict[str, Any]
) -> None:
    cpo = await connect_fake([("CPO", "NL", "CPA")], name="cpo")
    slow = asyncio.Event()
    slow.set()

    async def stall_cdrs(request: RecordedRequest) -> Response | None:
        if "/cdrs" in request.path and slow.is_set():
            await asyncio.sleep(3.0)  # past the hub's time budget: the CDR may or may not have arrived
        return None

    async with AsyncExitStack() as stack:
        upstreams = UpstreamAdmin(admin, db)
        a, _ = await _upstream(stack, upstreams, hub_mounts, "hub-a", "HBA", on_request=stall_cdrs)
        b, _ = await _upstream(stack, upstreams, hub_mounts, "hub-b", "HBB")

        reply = await cpo.request_hub("POST", cpo.hub_url("cdrs", "RECEIVER"), json=cdr("CDR9"), to=MS1)
        assert reply.json()["status_code"] == 1000, reply.text
        assert "did not answer in time" in reply.text
        assert _bodies(b, "cdrs", "POST") == []  # a POST that may have arrived is never sent elsewhere

        slow.clear()
        await outbox_drained(db, module="cdrs", timeout=15.0)

    assert _bodies(b, "cdrs", "POST") == []
    on_a = [body["id"] for body in _bodies(a, "cdrs", "POST")]
    assert on_a == ["CDR9", "CDR9"], on_a  # the timed-out try, then the retry on the same route
    assert [r.status for r in await _rows(db, "cdrs")] == [OutboxStatus.DELIVERED]


async def test_a_push_to_a_party_connected_directly_is_not_queued(
    connect_fake: StartFake, admin: PlatformAdmin, db: SessionFactory, hub_mounts: dict[str, Any]
) -> None:
    cpo = await connect_fake([("CPO", "NL", "CPA")], name="cpo")
    async with AsyncExitStack() as serving:
        emsp = FakePlatform([("EMSP", "DE", "EMS")], mounts=hub_mounts, name="emsp")
        await serving.enter_async_context(emsp.serve())
        added = await admin.add(name="emsp", roles=[parse_role("EMSP:DE:EMS")])
        await emsp.register_with_hub(HUB_VERSIONS_URL, added.token_a)
    # the eMSP refuses connections from now on
    url = f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC1"
    reply = await cpo.request_hub("PUT", url, json=location("LOC1"), to=("DE", "EMS"))
    assert reply.json()["status_code"] == 4003, reply.text
    assert await _rows(db, "locations") == []


async def test_a_party_its_upstream_reports_offline_gets_nothing_queued_and_is_announced_offline(
    connect_fake: StartFake, admin: PlatformAdmin, db: SessionFactory, hub_mounts: dict[str, Any]
) -> None:
    cpo = await connect_fake([("CPO", "NL", "CPA")], name="cpo")
    async with AsyncExitStack() as stack:
        upstream, _ = await _upstream(stack, UpstreamAdmin(admin, db), hub_mounts, "upstream", "HBA")
        info_url = f"{upstream.hub_url('hubclientinfo', 'RECEIVER')}/DE/MS1"

        def announced(status: str) -> list[RecordedRequest]:
            return [
                r
                for r in cpo.received(module="hubclientinfo", method="PUT")
                if r.path.endswith("/DE/MS1") and r.json["status"] == status
            ]

        await cpo.wait_for(lambda: announced("CONNECTED"))
        info = {"country_code": "DE", "party_id": "MS1", "role": "EMSP", "last_updated": "2027-01-01T10:00:00Z"}
        said = await upstream.request_hub("PUT", info_url, json=info | {"status": "OFFLINE"})
        assert said.json()["status_code"] == 1000, said.text
        await cpo.wait_for(lambda: announced("OFFLINE"))  # re-announced downstream

        url = f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC1"
        refused = await cpo.request_hub("PUT", url, json=location("LOC1"), to=MS1)
        assert refused.json()["status_code"] == 4003, refused.text  # the final party is away: not queued
        assert await _rows(db, "locations") == []
        assert [r for r in upstream.requests if "/locations" in r.path] == []

        info["last_updated"] = "2027-01-01T10:05:00Z"
        back = await upstream.request_hub("PUT", info_url, json=info | {"status": "CONNECTED"})
        assert back.json()["status_code"] == 1000, back.text
        await cpo.wait_for(lambda: len(announced("CONNECTED")) >= 2)
        taken = await cpo.request_hub("PUT", url, json=location("LOC1"), to=MS1)
        assert taken.json()["status_code"] == 1000 and "Stored" not in taken.text, taken.text
        assert [r.method for r in upstream.requests if "/locations" in r.path] == ["PUT"]
