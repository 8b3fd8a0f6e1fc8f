"""HubClientInfo and still-alive checks (requirements §3.8, checklist G 64-69), front door only:
fake platforms register, go silent, stop answering and come back; the others are told."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from hub.db.db import SessionFactory
from hub.registration.platforms import PlatformAdmin, parse_role
from tests.conftest import StartFake
from tests.fakes.ocpi import RecordedRequest, decode_token, parse_datetime
from tests.fakes.party import FakePlatform
from tests.fakes.serving import free_port
from tests.faults.harness import point_endpoints
from tests.helpers import HUB_VERSIONS_URL

ArunCli = Callable[..., Awaitable[subprocess.CompletedProcess[str]]]
CLIENT_INFO_FIELDS = {"party_id", "country_code", "role", "status", "last_updated"}
LIVELY = pytest.mark.hub_settings(still_alive_seconds=0.5, liveness_check_seconds=0.1)


def client_infos(fake: FakePlatform, cc: str, pid: str) -> list[dict[str, Any]]:
    """The ClientInfo bodies the hub PUT to `fake` about party cc/pid, in arrival order."""
    return [
        r.json
        for r in fake.received(module="hubclientinfo", method="PUT")
        if r.path == f"/ocpi/2.2.1/receiver/hubclientinfo/{cc}/{pid}"
    ]


def statuses(fake: FakePlatform, cc: str, pid: str) -> list[str]:
    return [c["status"] for c in client_infos(fake, cc, pid)]


def last_status(fake: FakePlatform, cc: str, pid: str) -> str | None:
    found = statuses(fake, cc, pid)
    return found[-1] if found else None


def version_probes(fake: FakePlatform) -> list[RecordedRequest]:
    return [r for r in fake.requests if r.method == "GET" and r.path == "/ocpi/versions"]


async def next_second() -> None:
    """ClientInfo.last_updated has second precision: make the next change land in a later second."""
    await asyncio.sleep(1.0 - (time.time() % 1.0) + 0.01)


class Switchable:
    """A fake platform the test can stop and start again on the same port (where the hub knows it)."""

    def __init__(self, fake: FakePlatform) -> None:
        self.fake = fake
        self.port: int | None = None
        self._serving: AbstractAsyncContextManager[str] | None = None

    async def start(self) -> None:
        serving = self.fake.serve(port=self.port)
        url = await serving.__aenter__()
        self._serving, self.port = serving, int(url.rsplit(":", 1)[1])

    async def stop(self) -> None:
        serving, self._serving = self._serving, None
        if serving is not None:
            await serving.__aexit__(None, None, None)


@pytest.fixture
async def switchable(
    hub_mounts: dict[str, httpx.AsyncBaseTransport], admin: PlatformAdmin
) -> AsyncIterator[Callable[..., Awaitable[Switchable]]]:
    """`await switchable([(ROLE, CC, PID)])`: a served fake registered with hub_app, stoppable."""
    made: list[Switchable] = []

    async def make(roles: list[tuple[str, str, str]]) -> Switchable:
        one = Switchable(FakePlatform(roles, mounts=hub_mounts))
        made.append(one)
        await one.start()
        name = "-".join(f"{r}-{cc}-{pid}" for r, cc, pid in roles).lower()
        added = await admin.add(name=name, roles=[parse_role(":".join(r)) for r in roles])
        await one.fake.register_with_hub(HUB_VERSIONS_URL, added.token_a)
        one.fake.platform_id = added.platform.id
        return one

    try:
        yield make
    finally:
        for one in made:
            await one.stop()


async def client_info_list(fake: FakePlatform, **params: str) -> httpx.Response:
    """GET the hub's hubclientinfo SENDER endpoint, without routing headers."""
    answer = await fake.request_hub("GET", fake.hub_url("hubclientinfo", "SENDER"), params=params)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status_code"] == 1000, answer.text
    return answer


async def test_item_64_registration_announced_as_connected_to_the_others(
    connect_fake: StartFake, admin: PlatformAdmin
) -> None:
    emsp = await connect_fake([("EMSP", "DE", "EMS")])
    nsp = await connect_fake([("NSP", "BE", "NSP")])
    cpo = await connect_fake([("CPO", "NL", "CPA"), ("CPO", "NL", "CPC")])
    await emsp.wait_for(
        lambda: (
            all(last_status(f, "NL", p) == "CONNECTED" for f in (emsp, nsp) for p in ("CPA", "CPC"))
            and last_status(cpo, "DE", "EMS") == "CONNECTED"
            and last_status(cpo, "BE", "NSP") == "CONNECTED"
        ),
        timeout=10,
    )
    for fake in (emsp, nsp):
        for pid in ("CPA", "CPC"):
            info = client_infos(fake, "NL", pid)[-1]
            assert set(info) == CLIENT_INFO_FIELDS
            assert info | {"last_updated": "-"} == {
                "party_id": pid,
                "country_code": "NL",
                "role": "CPO",
                "status": "CONNECTED",
                "last_updated": "-",
            }
            assert info["last_updated"].endswith("Z")
            parse_datetime(info["last_updated"])
            # added (PLANNED) first, then registered (CONNECTED), in that order
            assert statuses(fake, "NL", pid) == ["PLANNED", "CONNECTED"]
        puts = fake.received(module="hubclientinfo", method="PUT")
        assert all(decode_token(r.authorization) == fake.inbound_token for r in puts)
        assert fake.endpoint_url("hubclientinfo", "RECEIVER").endswith("/ocpi/2.2.1/receiver/hubclientinfo")
    # the newcomer learns about everyone else, never about itself
    assert client_infos(cpo, "DE", "EMS")[-1]["role"] == "EMSP"
    assert client_infos(cpo, "BE", "NSP")[-1]["role"] == "NSP"
    assert client_infos(cpo, "NL", "CPA") == [] and client_infos(cpo, "NL", "CPC") == []

    # item 65, PLANNED: a platform the operator adds is announced before it ever connects
    await admin.add(name="later", roles=[parse_role("EMSP:FR:LTR")])
    await emsp.wait_for(lambda: statuses(emsp, "FR", "LTR") == ["PLANNED"] and statuses(cpo, "FR", "LTR"), timeout=10)
    assert statuses(cpo, "FR", "LTR") == ["PLANNED"]


async def test_item_67_clientinfo_pushes_carry_no_routing_headers(connect_fake: StartFake) -> None:
    emsp = await connect_fake([("EMSP", "DE", "EMS")])
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    await emsp.wait_for(lambda: last_status(emsp, "NL", "CPA") == "CONNECTED" and client_infos(cpo, "DE", "EMS"))
    pushes = [*emsp.received(module="hubclientinfo"), *cpo.received(module="hubclientinfo")]
    assert pushes
    for request in pushes:
        assert request.routing == dict.fromkeys(request.routing), request.headers
        assert request.header("x-request-id") and request.header("x-correlation-id")
    answer = await client_info_list(emsp)  # no routing headers sent, none needed, none answered
    assert not any(name.lower().startswith("ocpi-") for name in answer.headers), answer.headers


@LIVELY
async def test_item_65_69_offline_when_unreachable_connected_when_back(
    connect_fake: StartFake, switchable: Callable[..., Awaitable[Switchable]]
) -> None:
    watcher = await connect_fake([("EMSP", "DE", "EMS")])
    cpo = await switchable([("CPO", "NL", "CPA")])
    await watcher.wait_for(lambda: last_status(watcher, "NL", "CPA") == "CONNECTED", timeout=10)
    connected_at = client_infos(watcher, "NL", "CPA")[-1]["last_updated"]

    # still CONNECTED after a credentials update and successful still-alive checks: last_updated stays
    await cpo.fake.update_at_hub()
    await cpo.fake.wait_for(lambda: len(version_probes(cpo.fake)) >= 3, timeout=10)  # handshake x2 + a probe
    await watcher.wait_for(lambda: len(client_infos(watcher, "NL", "CPA")) >= 3, timeout=10)  # told again
    listed = {(c["country_code"], c["party_id"]): c for c in (await client_info_list(watcher)).json()["data"]}
    assert listed[("NL", "CPA")]["status"] == "CONNECTED"
    assert listed[("NL", "CPA")]["last_updated"] == connected_at
    assert {c["last_updated"] for c in client_infos(watcher, "NL", "CPA")[1:]} == {connected_at}

    await next_second()
    await cpo.stop()  # the still-alive GET of its versions fails: OFFLINE for everyone
    await watcher.wait_for(lambda: last_status(watcher, "NL", "CPA") == "OFFLINE", timeout=10)
    offline = client_infos(watcher, "NL", "CPA")[-1]
    assert parse_datetime(offline["last_updated"]) > parse_datetime(connected_at)

    await next_second()
    await cpo.start()  # answers again: CONNECTED for everyone
    await watcher.wait_for(lambda: last_status(watcher, "NL", "CPA") == "CONNECTED", timeout=10)
    back = client_infos(watcher, "NL", "CPA")[-1]
    assert parse_datetime(back["last_updated"]) > parse_datetime(offline["last_updated"])
    assert [s for s in statuses(watcher, "NL", "CPA")][-2:] == ["OFFLINE", "CONNECTED"]
    listed = {(c["country_code"], c["party_id"]): c for c in (await client_info_list(watcher)).json()["data"]}
    assert listed[("NL", "CPA")] == back
    # back, it is told the others' status again
    await cpo.fake.wait_for(lambda: len(client_infos(cpo.fake, "DE", "EMS")) >= 2, timeout=10)
    assert client_infos(cpo.fake, "DE", "EMS")[-1]["status"] == "CONNECTED"


@pytest.mark.hub_settings(still_alive_seconds=0.8, liveness_check_seconds=0.1)
async def test_item_68_still_alive_get_of_versions_after_silence_only(connect_fake: StartFake) -> None:
    silent = await connect_fake([("EMSP", "DE", "EMS")])
    talker = await connect_fake([("CPO", "NL", "CPA")])
    handshake = (len(version_probes(silent)), len(version_probes(talker)))
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:  # the talker keeps sending requests, the other says nothing
        await client_info_list(talker)
        await asyncio.sleep(0.1)
    probes = version_probes(silent)[handshake[0] :]
    assert probes, "the silent platform was never checked"
    assert all(decode_token(r.authorization) == silent.inbound_token for r in probes)
    assert all(r.routing == dict.fromkeys(r.routing) for r in probes)
    assert len(version_probes(talker)) == handshake[1]  # heard from recently: not probed
    assert statuses(talker, "DE", "EMS") == ["CONNECTED"]  # it answered: no status change to tell


async def test_item_65_suspended_on_delete_credentials(connect_fake: StartFake, admin: PlatformAdmin) -> None:
    watcher = await connect_fake([("EMSP", "DE", "EMS")])
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    await watcher.wait_for(lambda: last_status(watcher, "NL", "CPA") == "CONNECTED", timeout=10)
    assert (await cpo.unregister_at_hub()).json()["status_code"] == 1000
    await watcher.wait_for(lambda: last_status(watcher, "NL", "CPA") == "SUSPENDED", timeout=10)
    told = len(cpo.requests)
    await admin.add(name="later", roles=[parse_role("EMSP:FR:LTR")])
    await watcher.wait_for(lambda: statuses(watcher, "FR", "LTR") == ["PLANNED"], timeout=10)
    await asyncio.sleep(0.2)
    assert len(cpo.requests) == told  # unregistered: the hub sends it nothing any more


@pytest.mark.hub_settings(dispatcher_poll_seconds=0.05)
async def test_item_65_planned_again_after_a_new_token_a_is_announced(
    connect_fake: StartFake, admin: PlatformAdmin
) -> None:
    watcher = await connect_fake([("EMSP", "DE", "EMS")])
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    assert (await cpo.unregister_at_hub()).json()["status_code"] == 1000
    await watcher.wait_for(lambda: last_status(watcher, "NL", "CPA") == "SUSPENDED", timeout=10)
    assert cpo.platform_id is not None
    await admin.issue_token_a(platform_id=cpo.platform_id)  # the operator lets it register again
    listed = {(c["country_code"], c["party_id"]): c for c in (await client_info_list(watcher)).json()["data"]}
    assert listed[("NL", "CPA")]["status"] == "PLANNED"
    await watcher.wait_for(lambda: last_status(watcher, "NL", "CPA") == "PLANNED", timeout=1.5)


@pytest.mark.hub_settings(dispatcher_poll_seconds=0.05)
async def test_item_65_suspended_on_platforms_remove(connect_fake: StartFake, arun_cli: ArunCli) -> None:
    watcher = await connect_fake([("EMSP", "DE", "EMS")])
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    await watcher.wait_for(lambda: last_status(watcher, "NL", "CPA") == "CONNECTED", timeout=10)
    removed = await arun_cli("platforms", "remove", str(cpo.platform_id), "--yes")
    assert removed.returncode == 0, removed.stderr
    await watcher.wait_for(lambda: last_status(watcher, "NL", "CPA") == "SUSPENDED", timeout=10)
    listed = {(c["country_code"], c["party_id"]): c["status"] for c in (await client_info_list(watcher)).json()["data"]}
    assert listed.get(("NL", "CPA"), "SUSPENDED") == "SUSPENDED"  # gone from the registry, or SUSPENDED


async def test_item_66_hubclientinfo_list_is_paginated_and_filtered(connect_fake: StartFake) -> None:
    emsp = await connect_fake([("EMSP", "DE", "EMS")])
    await connect_fake([("NSP", "BE", "NSP")])
    await next_second()
    late = await connect_fake([("CPO", "NL", "CPA"), ("CPO", "NL", "CPC")])

    everything = (await client_info_list(emsp)).json()["data"]
    by_party = {(c["country_code"], c["party_id"]): c for c in everything}
    assert set(by_party) == {("DE", "EMS"), ("BE", "NSP"), ("NL", "CPA"), ("NL", "CPC")}
    assert all(set(c) == CLIENT_INFO_FIELDS and c["status"] == "CONNECTED" for c in everything)

    first = await client_info_list(emsp, limit="3")
    assert first.headers["x-total-count"] == "4"
    assert first.headers["x-limit"] == "100"
    link = first.headers["link"]
    assert link == f'<{late.hub_url("hubclientinfo", "SENDER")}?offset=3&limit=3>; rel="next"'
    second = await emsp.request_hub("GET", link[1 : link.index(">")])
    assert second.json()["status_code"] == 1000
    assert "link" not in second.headers
    assert first.json()["data"] + second.json()["data"] == everything

    since = by_party[("NL", "CPA")]["last_updated"]  # second precision: the late platform's second
    newer = await client_info_list(emsp, date_from=since)
    assert {(c["country_code"], c["party_id"]) for c in newer.json()["data"]} == {("NL", "CPA"), ("NL", "CPC")}
    assert newer.headers["x-total-count"] == "2"
    older = await client_info_list(emsp, date_to=since, limit="1")
    assert [(c["country_code"], c["party_id"]) for c in older.json()["data"]] in ([("DE", "EMS")], [("BE", "NSP")])
    assert older.headers["x-total-count"] == "2"
    assert "date_to=" in older.headers["link"] and "offset=1" in older.headers["link"]


# --- issue 12: announced CONNECTED whatever the order; OFFLINE when unreachable, back when heard ---


async def test_item_64_last_clientinfo_says_connected_when_platforms_register_together(
    connect_fake: StartFake,
    start_fake: StartFake,
    admin: PlatformAdmin,
    register_hub_at: Callable[..., Awaitable[int]],
    hub_mounts: dict[str, httpx.AsyncBaseTransport],
) -> None:
    """Three newcomers at once (two register at the hub, the hub registers at the third) while a
    platform is connected already: everyone's last ClientInfo about every other party is CONNECTED."""
    watcher = await connect_fake([("NSP", "BE", "NSP")])
    inbound = [("CPO", "NL", "CPA"), ("EMSP", "DE", "EMS")]
    # version details answered after the same pause: the handshakes end, and store, together
    fakes = [await start_fake([r], mounts=hub_mounts, details_failure="slow", slow_seconds=0.2) for r in inbound]
    added = [await admin.add(name=r[2].lower(), roles=[parse_role(":".join(r))]) for r in inbound]
    outbound = await start_fake([("CPO", "FR", "CPF")], mounts=hub_mounts)
    await asyncio.gather(
        *(f.register_with_hub(HUB_VERSIONS_URL, a.token_a) for f, a in zip(fakes, added, strict=True)),
        register_hub_at(outbound),
    )
    everyone = [watcher, *fakes, outbound]
    pairs = [(f, cc, pid) for f in everyone for o in everyone if o is not f for _, cc, pid in o.roles]

    def all_connected() -> bool:
        return all(last_status(f, cc, pid) == "CONNECTED" for f, cc, pid in pairs)

    try:
        await watcher.wait_for(all_connected, timeout=10)
    except TimeoutError:
        seen = {(f.roles[0][2], pid): statuses(f, cc, pid) for f, cc, pid in pairs}
        raise AssertionError(f"last ClientInfo not CONNECTED everywhere: {seen}") from None
    for fake, cc, pid in pairs:  # and nothing older arrives after it
        assert statuses(fake, cc, pid)[-1] == "CONNECTED"
        assert "OFFLINE" not in statuses(fake, cc, pid) and "SUSPENDED" not in statuses(fake, cc, pid)


@LIVELY
async def test_offline_platform_is_connected_again_as_soon_as_it_sends(
    connect_fake: StartFake, switchable: Callable[..., Awaitable[Switchable]]
) -> None:
    """Its server stays down (every still-alive probe fails): the request it sends is what brings
    it back, told to the others at once."""
    watcher = await connect_fake([("EMSP", "DE", "EMS")])
    cpo = await switchable([("CPO", "NL", "CPA")])
    await watcher.wait_for(lambda: last_status(watcher, "NL", "CPA") == "CONNECTED", timeout=10)
    await cpo.stop()
    await watcher.wait_for(lambda: last_status(watcher, "NL", "CPA") == "OFFLINE", timeout=10)
    told = len(statuses(watcher, "NL", "CPA"))

    await client_info_list(cpo.fake)  # any authenticated request

    await watcher.wait_for(lambda: "CONNECTED" in statuses(watcher, "NL", "CPA")[told:], timeout=2)


@pytest.mark.hub_settings(unreachable_offline_seconds=0, still_alive_seconds=3600, liveness_check_seconds=3600)
async def test_unreachable_receiver_is_offline_for_the_others_and_connected_when_it_sends(
    hub_app: Starlette, db: SessionFactory, connect_fake: StartFake
) -> None:
    emsp = await connect_fake([("EMSP", "DE", "EMS")])
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    watcher = await connect_fake([("NSP", "BE", "NSP")])
    await watcher.wait_for(lambda: last_status(watcher, "NL", "CPA") == "CONNECTED", timeout=10)
    assert cpo.platform_id is not None
    await point_endpoints(db, cpo.platform_id, f"http://127.0.0.1:{free_port()}")  # nothing listens
    hub_app.state.hub.on_registry_change()

    answer = await emsp.request_hub("GET", emsp.hub_url("locations", "SENDER") + "/NL/CPA/LOC1", to=("NL", "CPA"))

    assert answer.json()["status_code"] == 4003, answer.text
    for fake in (emsp, watcher):
        await fake.wait_for(lambda f=fake: last_status(f, "NL", "CPA") == "OFFLINE", timeout=5)
    told = len(statuses(watcher, "NL", "CPA"))
    await client_info_list(cpo)  # it sends: CONNECTED again for everyone
    await watcher.wait_for(lambda: "CONNECTED" in statuses(watcher, "NL", "CPA")[told:], timeout=5)
