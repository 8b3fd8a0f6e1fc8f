"""Each fault mode of a simulated platform: directly, on a real socket, and as the hub sees it."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import httpx
import pytest

from hub.types import InterfaceRole
from simulators import Faults, SimulatedCpo, SimulatedEmsp
from tests.simulators.conftest import MakeSim
from tests.simulators.helpers import auth, direct, routing

EMSP = routing(("DE", "MSP"), ("NL", "CPO"))
LOCATIONS = "/ocpi/2.2.1/sender/locations"


async def test_slow_replies() -> None:
    cpo = SimulatedCpo(faults=Faults(slow_seconds=0.2))
    async with direct(cpo) as client:
        started = time.perf_counter()
        assert (await client.get(LOCATIONS, headers=EMSP)).status_code == 200
        assert time.perf_counter() - started >= 0.2
        started = time.perf_counter()
        assert (await client.get("/ocpi/versions")).status_code == 200  # configuration modules are spared
        assert time.perf_counter() - started < 0.2


async def test_server_errors() -> None:
    cpo = SimulatedCpo(faults=Faults(server_errors=1.0))
    async with direct(cpo) as client:
        reply = await client.get(LOCATIONS, headers=EMSP)
    assert (reply.status_code, reply.json()["status_code"]) == (500, 3000)


async def test_too_many_requests() -> None:
    cpo = SimulatedCpo(faults=Faults(too_many_requests=1.0, retry_after_seconds=7))
    async with direct(cpo) as client:
        reply = await client.get(LOCATIONS, headers=EMSP)
    assert reply.status_code == 429 and reply.headers["retry-after"] == "7"


async def test_malformed_json() -> None:
    cpo = SimulatedCpo(faults=Faults(malformed_json=1.0))
    async with direct(cpo) as client:
        reply = await client.get(LOCATIONS, headers=EMSP)
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/json"
    with pytest.raises(ValueError):
        reply.json()


async def test_one_item_pages() -> None:
    cpo = SimulatedCpo(evses=12, evses_per_location=4, faults=Faults(one_item_pages=True))
    emsp = SimulatedEmsp(tokens=3, faults=Faults(one_item_pages=True))
    async with direct(cpo) as client:
        reply = await client.get(LOCATIONS, params={"limit": 50}, headers=EMSP)
    assert len(reply.json()["data"]) == 1 and reply.headers["x-limit"] == "1"
    assert reply.headers["x-total-count"] == "3" and "offset=1" in reply.headers["link"]
    async with direct(emsp) as client:
        tokens = await client.get("/ocpi/2.2.1/sender/tokens", headers=EMSP)
    assert len(tokens.json()["data"]) == 1 and tokens.headers["x-total-count"] == "3"


async def test_faults_touch_only_the_chosen_modules() -> None:
    cpo = SimulatedCpo(faults=Faults(server_errors=1.0, modules=frozenset({"tariffs"})))
    async with direct(cpo) as client:
        assert (await client.get(LOCATIONS, headers=EMSP)).status_code == 200
        assert (await client.get("/ocpi/2.2.1/sender/tariffs", headers=EMSP)).status_code == 500
    await cpo.set_faults(Faults(server_errors=1.0, configuration=True))
    async with direct(cpo) as client:
        assert (await client.get("/ocpi/versions")).status_code == 500


async def test_rates_are_probabilities_and_repeat_with_the_seed() -> None:
    async def codes(seed: int) -> list[int]:
        cpo = SimulatedCpo(seed=seed, faults=Faults(server_errors=0.3, too_many_requests=0.2))
        async with direct(cpo) as client:
            return [(await client.get(LOCATIONS, params={"limit": 1}, headers=EMSP)).status_code for _ in range(200)]

    first = await codes(7)
    assert first == await codes(7)
    assert 20 < first.count(429) < 60 and 30 < first.count(500) < 90 and first.count(200) > 50


async def test_refuse_connections_closes_the_port_and_reopens_it() -> None:
    cpo = SimulatedCpo()
    url = await cpo.start()
    cpo.inbound_token = "t"
    try:
        async with httpx.AsyncClient(headers=auth("t")) as client:
            assert (await client.get(f"{url}/ocpi/versions")).status_code == 200
            await cpo.set_faults(Faults(refuse_connections=True))
            with pytest.raises(httpx.ConnectError):
                await client.get(f"{url}/ocpi/versions")
            await cpo.set_faults(Faults())
            assert cpo.base_url == url
            assert (await client.get(f"{url}/ocpi/versions")).status_code == 200
    finally:
        await cpo.stop()


def test_parse_and_describe() -> None:
    faults = Faults.parse("slow=0.5, 5xx=0.1,429, malformed=0.2,one-item-pages,refuse,modules=locations+tokens")
    assert faults == Faults(
        slow_seconds=0.5,
        server_errors=0.1,
        too_many_requests=1.0,
        malformed_json=0.2,
        one_item_pages=True,
        refuse_connections=True,
        modules=frozenset({"locations", "tokens"}),
    )
    assert Faults.parse(faults.describe()) == faults
    assert Faults().describe() == "none" and not Faults().active and faults.active
    for bad in ("loud=1", "5xx=2"):
        with pytest.raises(ValueError):
            Faults.parse(bad)


# --- what the hub makes of each fault (the sender's view) ---------------------------------------

Connect = Callable[..., Awaitable[None]]


@pytest.mark.parametrize(
    ("faults", "http", "ocpi"),
    [
        (Faults(slow_seconds=1.0), 200, 4002),  # slower than the platform's timeout (0.3 s)
        (Faults(server_errors=1.0), 500, 3000),  # an OCPI error reply is passed on as it is
        (Faults(too_many_requests=1.0), 429, 2000),
        (Faults(malformed_json=1.0), 200, 4000),  # not an OCPI reply
        (Faults(refuse_connections=True), 200, 4003),
    ],
    ids=["slow", "5xx", "429", "malformed", "refuse"],
)
async def test_the_hub_answers_for_a_faulty_receiver(
    make_cpo: MakeSim, make_emsp: MakeSim, connect: Connect, faults: Faults, http: int, ocpi: int
) -> None:
    cpo: SimulatedCpo = await make_cpo()
    emsp: SimulatedEmsp = await make_emsp()
    await connect(cpo, emsp, timeout_seconds=0.3)
    await cpo.set_faults(faults)
    reply = await emsp.send("GET", "locations", InterfaceRole.SENDER, "LOC00001", to=cpo.party.key)
    assert (reply.http_status, reply.status_code) == (http, ocpi), reply.describe()
    await cpo.set_faults(Faults())
    healthy = await emsp.send("GET", "locations", InterfaceRole.SENDER, "LOC00001", to=cpo.party.key)
    assert healthy.ok, healthy.describe()


async def test_one_item_pages_through_the_hub(make_cpo: MakeSim, make_emsp: MakeSim, connect: Connect) -> None:
    cpo: SimulatedCpo = await make_cpo(evses=12, evses_per_location=4, faults=Faults(one_item_pages=True))
    emsp: SimulatedEmsp = await make_emsp()
    await connect(cpo, emsp)
    pulled, pages = await emsp.pull(cpo.party.key)
    assert len(pulled) == 3 and len(pages) == 3 and all(p.ok for p in pages)
