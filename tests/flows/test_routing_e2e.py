"""Routing end to end: the hub as a real process (`python -m hub serve`), platforms declared with
the real CLI, a CPO and an eMSP fake on their own loopback ports that registered through the
credentials handshake; on SQLite and on PostgreSQL (checklist C, F, H through the whole stack)."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.conftest import StartFake
from tests.fakes.ocpi import decode_token
from tests.fakes.party import FakePlatform
from tests.flows.test_routing import (
    CPO,
    EMSP,
    cdr,
    functional,
    location,
    routing_of,
    sent_ids,
    session,
    token,
)
from tests.helpers import HubProcess

pytestmark = pytest.mark.e2e

ArunCli = Callable[..., Awaitable[subprocess.CompletedProcess[str]]]
StartHub = Callable[..., Awaitable[HubProcess]]
NEXT = re.compile(r'^<([^>]+)>; ?rel="next"$')
# routing headers as (to cc, to pid, from cc, from pid): addressed to the eMSP by the CPO, and back
TO_EMSP = ("DE", "EMS", "NL", "CPA")
TO_CPO = ("NL", "CPA", "DE", "EMS")


def assert_routed(arrived: Any, reply: Any, fake: FakePlatform, routing: tuple[str, ...]) -> None:
    """What reached `fake` for `reply`'s request: routing headers, ids, the fake's own token."""
    assert routing_of(arrived.headers) == routing
    request_id, correlation_id = sent_ids(reply)
    assert arrived.header("x-correlation-id") == correlation_id
    assert arrived.header("x-request-id") not in (None, request_id)
    assert decode_token(arrived.authorization) == fake.inbound_token
    assert reply.headers["x-request-id"] == request_id
    assert reply.headers["x-correlation-id"] == correlation_id


async def connect(arun_cli: ArunCli, hub: HubProcess, fake: FakePlatform, name: str) -> None:
    role, cc, pid = fake.roles[0]
    added = await arun_cli("platforms", "add", "--name", name, "--role", f"{role}:{cc}:{pid}", "--json")
    assert added.returncode == 0, added.stderr
    await fake.register_with_hub(hub.versions_url, json.loads(added.stdout)["token_a"])


async def test_e2e_routing_between_a_cpo_and_an_emsp(
    start_hub: StartHub, start_fake: StartFake, arun_cli: ArunCli
) -> None:
    cpo = await start_fake([("CPO", *CPO)], name="CPO One", page_limit=2, callback_delay=0.01)
    emsp = await start_fake([("EMSP", *EMSP)], name="eMSP One")
    hub = await start_hub()
    await asyncio.gather(connect(arun_cli, hub, cpo, "cpo-one"), connect(arun_cli, hub, emsp, "emsp-one"))
    proxy = f"{hub.url}/ocpi/2.2.1/proxy/"

    # 1. the eMSP pulls all the CPO's locations page by page, following the hub's Links
    for n in range(5):
        cpo.add_object("locations", location(f"LOC{n}"))
    pulled: list[str] = []
    url: str | None = emsp.hub_url("locations", "SENDER")
    while url is not None:
        page = await emsp.request_hub("GET", url, to=CPO)
        assert (page.status_code, page.json()["status_code"]) == (200, 1000), page.text
        assert (page.headers["x-total-count"], page.headers["x-limit"]) == ("5", "2")
        assert routing_of(page.headers) == TO_EMSP  # the reply: to the eMSP, from the CPO
        assert_routed(functional(cpo, "locations")[-1], page, cpo, TO_CPO)
        pulled += [o["id"] for o in page.json()["data"]]
        link = page.headers.get("link")
        url = NEXT.match(link).group(1) if link else None  # type: ignore[union-attr]
        assert url is None or url.startswith(proxy), link
        assert len(pulled) <= 5
    assert pulled == [f"LOC{n}" for n in range(5)]
    assert [r.query_params.get("offset", "0") for r in functional(cpo, "locations")] == ["0", "2", "4"]

    # 2. the CPO PUTs and PATCHes a location; the eMSP stores it
    loc_url = f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC9"
    put = await cpo.request_hub("PUT", loc_url, json=location("LOC9"), to=EMSP)
    assert (put.status_code, put.json()["status_code"]) == (201, 1000), put.text
    assert_routed(functional(emsp, "locations")[-1], put, emsp, TO_EMSP)
    patch_body = {"name": "Renamed", "last_updated": "2026-01-02T00:00:00Z"}
    patch = await cpo.request_hub("PATCH", loc_url, json=patch_body, to=EMSP)
    assert (patch.status_code, patch.json()["status_code"]) == (200, 1000), patch.text
    patched = functional(emsp, "locations")[-1]
    assert (patched.method, patched.path, patched.json) == (
        "PATCH",
        "/ocpi/2.2.1/receiver/locations/NL/CPA/LOC9",
        patch_body,
    )
    assert_routed(patched, patch, emsp, TO_EMSP)
    assert emsp.store["locations"][("NL", "CPA", "LOC9")] == location("LOC9") | patch_body

    # 3. START_SESSION: the CPO's CommandResult reaches the eMSP's own response_url through the hub
    own_url = f"{emsp.endpoint_url('commands', 'SENDER')}/START_SESSION/c1"
    command = {"response_url": own_url, "token": token(), "location_id": "LOC9", "evse_uid": "EVSE1"}
    started = await emsp.request_hub(
        "POST", f"{emsp.hub_url('commands', 'RECEIVER')}/START_SESSION", json=command, to=CPO
    )
    assert started.json()["data"] == {"result": "ACCEPTED", "timeout": 30}, started.text
    (received,) = functional(cpo, "commands")
    assert_routed(received, started, cpo, TO_CPO)
    assert received.json["response_url"].startswith(proxy)
    await emsp.wait_for(lambda: emsp.results, timeout=10)
    (result,) = emsp.results
    assert (result.method, result.path, result.json) == (
        "POST",
        "/ocpi/2.2.1/sender/commands/START_SESSION/c1",
        {"result": "ACCEPTED"},
    )
    assert routing_of(result.headers) == TO_EMSP
    assert result.header("x-correlation-id") == sent_ids(started)[1]
    assert decode_token(result.authorization) == emsp.inbound_token

    # 4. the CPO pushes the session and the CDR, and follows the CDR's hub Location
    ses = await cpo.request_hub("PUT", f"{cpo.hub_url('sessions', 'RECEIVER')}/NL/CPA/SES1", json=session(), to=EMSP)
    assert (ses.status_code, ses.json()["status_code"]) == (201, 1000), ses.text
    assert_routed(functional(emsp, "sessions")[-1], ses, emsp, TO_EMSP)
    assert emsp.store["sessions"][("NL", "CPA", "SES1")] == session()
    posted = await cpo.request_hub("POST", cpo.hub_url("cdrs", "RECEIVER"), json=cdr(), to=EMSP)
    assert (posted.status_code, posted.json()["status_code"]) == (201, 1000), posted.text
    assert_routed(functional(emsp, "cdrs")[-1], posted, emsp, TO_EMSP)
    where = posted.headers["location"]
    assert where.startswith(proxy) and emsp.base_url and emsp.base_url not in where
    fetched = await cpo.request_hub("GET", where, to=EMSP)
    assert (fetched.status_code, fetched.json()["data"]) == (200, cdr()), fetched.text
    assert functional(emsp, "cdrs")[-1].path == "/ocpi/2.2.1/receiver/cdrs/NL/CPA/CDR1"
    assert_routed(functional(emsp, "cdrs")[-1], fetched, emsp, TO_EMSP)

    # 5. real-time authorization: a known token, an unknown one
    known = emsp.add_object("tokens", token("TOK1"))
    references = {"location_id": "LOC9", "evse_uids": ["EVSE1"]}
    base = cpo.hub_url("tokens", "SENDER")
    allowed = await cpo.request_hub("POST", f"{base}/TOK1/authorize", json=references, to=EMSP)
    assert (allowed.status_code, allowed.json()["status_code"]) == (200, 1000), allowed.text
    assert allowed.json()["data"]["allowed"] == "ALLOWED"
    assert allowed.json()["data"]["token"] == known
    assert_routed(functional(emsp, "tokens")[-1], allowed, emsp, TO_EMSP)
    unknown = await cpo.request_hub("POST", f"{base}/NOPE/authorize?type=RFID", json=references, to=EMSP)
    assert unknown.status_code == 404
    assert unknown.json()["status_code"] == 2004 and "data" not in unknown.json(), unknown.text
    assert routing_of(unknown.headers) == TO_CPO
    arrived = functional(emsp, "tokens")[-1]
    assert (arrived.path, arrived.query, arrived.json) == (
        "/ocpi/2.2.1/sender/tokens/NOPE/authorize",
        "type=RFID",
        references,
    )

    assert "routed" in hub.logs()
    assert not any(t in hub.logs() for t in (cpo.token_b, cpo.token_c, emsp.token_b, emsp.token_c) if t)
