"""Failover between two routes to one party (upstream reference §3.4): the eMSP DE*MS1 is reachable
through two upstream OCPI hubs, A (preferred: declared first) and B. A stops listening in the middle
of 100 mixed requests and comes back later.

- nothing the hub answered 1000 for is lost: each such request reached A or B;
- no POST (CDR) is delivered twice, and none is sent through B after it could have reached A;
- follow-ups stay on the route their flow started on: a CDR for a session that went through A is
  not switched to B while A is down: the hub stores it and delivers it through A once A is back;
- new flows go through B while A is down, and back through A once it has stayed up for the
  hold-down time.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack
from typing import Any

import orjson
import pytest

from hub.db.db import SessionFactory
from hub.registration.platforms import PlatformAdmin
from hub.registration.upstreams import UpstreamAdmin, parse_route
from tests.conftest import StartFake
from tests.drain import outbox_drained
from tests.fakes.party import FakePlatform
from tests.flows.test_routing import cdr, session
from tests.helpers import HUB_VERSIONS_URL

MS1 = ("DE", "MS1")
HOLD_DOWN = 1.0


def _received(fake: FakePlatform, module: str) -> list[Any]:
    return [orjson.loads(r.body) if r.body else r.path for r in fake.requests if f"/{module}" in r.path]


@pytest.mark.hub_settings(
    route_hold_down_seconds=HOLD_DOWN,
    request_timeout_seconds=2.0,
    breaker_reset_seconds=0.3,
    outbox_backoff_seconds=0.2,
    outbox_backoff_max_seconds=0.4,
)
async def test_failover_between_two_upstream_routes_mid_traffic(
    connect_fake: StartFake, admin: PlatformAdmin, db: SessionFactory, hub_mounts: dict[str, Any]
) -> None:
    cpo = await connect_fake([("CPO", "NL", "CPA")], name="cpo")
    upstreams = UpstreamAdmin(admin, db)
    async with AsyncExitStack() as stack, AsyncExitStack() as a_serving:
        hubs: dict[str, FakePlatform] = {}
        ports: dict[str, int] = {}
        for name, pid in (("a", "HBA"), ("b", "HBB")):
            fake = FakePlatform([("HUB", "DE", pid)], mounts=hub_mounts, name=f"hub {name}")
            url = await (a_serving if name == "a" else stack).enter_async_context(fake.serve())
            ports[name] = int(url.rsplit(":", 1)[1])
            added = await upstreams.add(
                name=f"hub-{name}", kind="ocpi", hub_role=f"HUB:DE:{pid}", routes=[parse_route("EMSP:DE:MS1")]
            )
            await fake.register_with_hub(HUB_VERSIONS_URL, added.token_a)
            hubs[name] = fake
        a, b = hubs["a"], hubs["b"]

        sessions_url = cpo.hub_url("sessions", "RECEIVER")
        cdrs_url = cpo.hub_url("cdrs", "RECEIVER")
        tokens_url = cpo.hub_url("tokens", "SENDER")
        answers: list[tuple[str, str, int]] = []  # (kind, id, OCPI status)
        messages: list[str] = []  # the status messages of refusals

        async def step(i: int) -> None:
            sid = f"S{i // 3 * 3}"
            if i % 3 == 0:
                kind, ident = "session", sid
                reply = await cpo.request_hub("PUT", f"{sessions_url}/NL/CPA/{sid}", json=session(sid), to=MS1)
            elif i % 3 == 1:
                kind, ident = "cdr", f"C{i}"
                reply = await cpo.request_hub("POST", cdrs_url, json=cdr(ident) | {"session_id": sid}, to=MS1)
            else:
                kind, ident = "get", str(i)
                reply = await cpo.request_hub("GET", tokens_url, to=MS1)
            answers.append((kind, ident, reply.json()["status_code"]))
            if reply.json()["status_code"] != 1000:
                messages.append(reply.text)

        for i in range(30):  # both routes up: everything through A
            await step(i)
        assert not _received(b, "sessions") and len(_received(a, "sessions")) == 10
        # a session started through A whose CDR has not been sent yet
        pinned = await cpo.request_hub("PUT", f"{sessions_url}/NL/CPA/PIN1", json=session("PIN1"), to=MS1)
        assert pinned.json()["status_code"] == 1000

        await a_serving.aclose()  # A refuses connections from now on
        for i in range(30, 70):
            await step(i)
        follow_up = await cpo.request_hub("POST", cdrs_url, json=cdr("CPIN") | {"session_id": "PIN1"}, to=MS1)
        # pinned to A: stored and queued there (hub.forwarding.store_forward), not switched to B
        assert follow_up.json()["status_code"] == 1000 and "Stored by the hub" in follow_up.text, follow_up.text
        # every new flow (and each CDR of a session that went through B) was accepted through B
        assert [x for x in answers[30:70] if x[2] != 1000] == [], messages

        await stack.enter_async_context(a.serve(port=ports["a"]))  # A is back
        started = time.monotonic()
        before_a = len(a.requests)
        await outbox_drained(db, module="cdrs", timeout=10.0)  # the queued follow-up, on its own route
        assert [c["id"] for c in _received(a, "cdrs") if isinstance(c, dict)].count("CPIN") == 1
        await asyncio.sleep(max(0.0, HOLD_DOWN + 0.1 - (time.monotonic() - started)))  # the hold-down itself
        for i in range(70, 100):
            await step(i)
        assert len(a.requests) > before_a + 20  # new flows are back on the preferred route

    delivered = {"a": _received(a, "cdrs"), "b": _received(b, "cdrs")}
    cdr_ids = [c["id"] for route in delivered.values() for c in route if isinstance(c, dict)]
    assert len(cdr_ids) == len(set(cdr_ids)), "a CDR was delivered twice"
    sessions_seen = {s["id"] for f in (a, b) for s in _received(f, "sessions") if isinstance(s, dict)}
    for kind, ident, status in answers:
        if status != 1000:
            continue
        if kind == "cdr":
            assert ident in cdr_ids, f"CDR {ident} answered 1000 but never delivered"
        elif kind == "session":
            assert ident in sessions_seen, f"session {ident} answered 1000 but never delivered"
    # while A was down, new sessions went through B and were accepted
    assert {f"S{i}" for i in range(30, 70, 3)} <= {s["id"] for s in _received(b, "sessions") if isinstance(s, dict)}
    accepted = sum(1 for _, _, status in answers if status == 1000)
    assert accepted >= 95, [a for a in answers if a[2] != 1000]


async def test_a_party_only_behind_an_oicp_upstream_never_gets_ocpi(
    connect_fake: StartFake, start_fake: StartFake, admin: PlatformAdmin, db: SessionFactory
) -> None:
    cpo = await connect_fake([("CPO", "NL", "CPA")], name="cpo")
    listening = await start_fake([("HUB", "DE", "HBS")])  # something answering HTTP at the base URL
    await UpstreamAdmin(admin, db).add(
        name="hubject",
        kind="oicp",
        hub_role="HUB:DE:HBS",
        routes=[parse_route("EMSP:DE:MS1=DE-MS1")],
        options={"base_url": listening.versions_url.rsplit("/ocpi", 1)[0] + "/api/oicp"},
    )
    url = f"{cpo.hub_url('sessions', 'RECEIVER')}/NL/CPA/S1"
    reply = await cpo.request_hub("PUT", url, json=session("S1"), to=MS1)
    # never sent as OCPI to an OICP hub: the OICP bridge (adapters.oicp_upstream) translates, and a
    # session that did not start through the OICP hub (no SessionID) cannot be carried: 2001, no call
    assert reply.json()["status_code"] == 2001 and "authorization_reference" in reply.text, reply.text
    assert listening.requests == []
