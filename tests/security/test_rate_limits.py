"""Rate limits (issue 13, item 3): a token bucket per platform and module, overrides by
"platform:module" / "platform:*" / "*:module", and a limit on failed authentications per client
address (hub.ingress.ratelimit). Over a limit: HTTP 429, the OCPI envelope 2000 naming the module,
`Retry-After` in whole seconds; nothing is forwarded.

Refill is checked on an injected clock in the unit tests; at the front door the tests wait for it
by polling with a bound. Counting tests use refill rates so slow (0.01/s) that no token can come
back while they run; the hub-process test uses a fast one and counts with the elapsed time.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pydantic
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from hub.ingress.ratelimit import Limit, RateLimited, RateLimits, TokenBuckets
from hub.settings import Settings
from tests.conftest import StartFake
from tests.fakes.party import FakePlatform
from tests.fakes.serving import serve_asgi
from tests.flows.test_routing import location
from tests.helpers import TEST_SECRET, HubProcess

CPO = ("NL", "CPA")
Connect = Callable[..., Awaitable[FakePlatform]]
ArunCli = Callable[..., Awaitable[subprocess.CompletedProcess[str]]]
StartHub = Callable[..., Awaitable[HubProcess]]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _request(host: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [], "client": (host, 5000)})


def assert_429(reply: httpx.Response, *, module: str | None = None) -> int:
    """A rate-limit answer: HTTP 429, envelope 2000 with a message, Retry-After >= 1 whole seconds."""
    assert reply.status_code == 429, reply.text
    body = reply.json()
    assert body["status_code"] == 2000 and "timestamp" in body, body
    assert "retry after" in body["status_message"].lower()
    if module is not None:
        assert f"module {module}" in body["status_message"]
    retry_after = reply.headers["retry-after"]
    assert retry_after.isdigit() and int(retry_after) >= 1, retry_after
    return int(retry_after)


# --- the bucket and the limits, on an injected clock ----------------------------------------------


def test_token_bucket_allows_the_burst_then_refills_on_the_clock() -> None:
    clock = Clock()
    buckets = TokenBuckets(clock=clock)
    limit = Limit(rate=2.0, burst=3)
    assert [buckets.take("k", limit) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("k", limit) == pytest.approx(0.5)  # one token comes back in 1/rate s
    assert buckets.wait("k", limit) == pytest.approx(0.5)  # asking takes nothing
    clock.now += 0.25
    assert buckets.take("k", limit) == pytest.approx(0.25)
    clock.now += 0.25
    assert buckets.take("k", limit) == 0.0
    assert buckets.take("other", limit) == 0.0  # keys are independent
    clock.now += 3600  # refills only up to the burst
    assert [buckets.take("k", limit) for _ in range(4)][-1] > 0


def test_buckets_stay_bounded() -> None:
    buckets = TokenBuckets(maxsize=100)
    for n in range(1000):
        buckets.take(("platform", n), Limit(1.0, 1))
    assert len(buckets) == 100


def test_overrides_most_specific_wins() -> None:
    limits = RateLimits(
        per_second=10,
        burst=20,
        overrides={"a:locations": "1/2", "a:*": "off", "*:locations": "3/4", "*:mymodule": "5/6"},
    )
    assert limits.limit_for("a", "locations") == Limit(1, 2)
    assert limits.limit_for("a", "tariffs") is None
    assert limits.limit_for("b", "locations") == Limit(3, 4)
    assert limits.limit_for("b", "tariffs") == Limit(10, 20)
    # custom modules share one bucket unless an override names them
    assert limits.module_key("mymodule") == "mymodule"
    assert limits.module_key("made-up") == limits.module_key("other-made-up") == "custom"
    assert limits.module_key("credentials") == "credentials"
    assert RateLimits(per_second=0, burst=1).limit_for("a", "locations") is None  # 0 = unlimited


@pytest.mark.parametrize(
    "overrides",
    [{"a": "1/2"}, {"*:*": "1/2"}, {":x": "1/2"}, {"a:b": "5"}, {"a:b": "0/3"}, {"a:b": "1/0"}, {"a:b": "nan/2"}],
)
def test_bad_overrides_stop_the_settings(overrides: dict[str, str]) -> None:
    with pytest.raises(pydantic.ValidationError, match="rate limit override"):
        Settings(secret_key=TEST_SECRET, rate_limit_overrides=overrides)


def test_platform_limit_raises_429_with_retry_after_and_refills() -> None:
    clock = Clock()
    limits = RateLimits(per_second=0.5, burst=2, clock=clock)
    identity: Any = type("I", (), {"platform_id": 1, "platform_name": "p"})()
    limits.check(identity, "locations")
    limits.check(identity, "locations")
    with pytest.raises(RateLimited) as refused:
        limits.check(identity, "locations")
    assert (refused.value.http_status, refused.value.status_code, refused.value.retry_after) == (429, 2000, 2)
    assert refused.value.headers == {"Retry-After": "2"}
    limits.check(identity, "tariffs")  # another module: its own bucket
    clock.now += 2.0
    limits.check(identity, "locations")


def test_failed_authentications_per_address() -> None:
    clock = Clock()
    limits = RateLimits(per_second=0, burst=1, clock=clock, failed_auth=Limit(1.0, 3))
    attacker, other = _request("192.0.2.7"), _request("192.0.2.8")
    limits.check_address(attacker)  # nobody failed yet
    assert [limits.failed(attacker) for _ in range(3)] == [None, None, None]  # 401, 401, 401
    with pytest.raises(RateLimited) as refused:
        limits.check_address(attacker)  # before the next lookup
    assert refused.value.retry_after == 1
    limits.check_address(other)  # another address is not affected
    clock.now += 1.0
    limits.check_address(attacker)  # one failure's worth came back
    # IPv6 addresses count per /64
    for n in range(3):
        limits.failed(_request(f"2001:db8:1:2::{n + 1}"))
    with pytest.raises(RateLimited):
        limits.check_address(_request("2001:db8:1:2:ffff::9"))
    limits.check_address(_request("2001:db8:1:3::1"))


# --- at the front door ----------------------------------------------------------------------------

OVERRIDES = {"*:locations": "0.01/3", "emsp-off:locations": "off", "emsp-strict:*": "0.01/2"}


@pytest.mark.hub_settings(rate_limit_overrides=OVERRIDES)
async def test_a_burst_beyond_the_bucket_is_429_and_never_forwarded(connect_fake: Connect, hub_app: Starlette) -> None:
    cpo = await connect_fake([("CPO", *CPO)], name="cpo")
    emsp = await connect_fake([("EMSP", "DE", "EMA")], name="emsp-a")
    other = await connect_fake([("EMSP", "DE", "EMB")], name="emsp-b")
    unlimited = await connect_fake([("EMSP", "DE", "EMC")], name="emsp-off")
    strict = await connect_fake([("EMSP", "DE", "EMD")], name="emsp-strict")
    cpo.add_object("locations", location("LOC1"))
    cpo.add_object("tariffs", {"id": "TAR1", "currency": "EUR", "elements": []})
    rejected_before = hub_app.state.rejections.counts().get("2000:RateLimited", 0)

    async def get(fake: FakePlatform, module: str = "locations", suffix: str = "/LOC1") -> httpx.Response:
        return await fake.request_hub("GET", fake.hub_url(module, "SENDER") + suffix, to=CPO)

    def forwarded(module: str = "locations") -> int:
        return len(cpo.received(module=module, method="GET"))

    # "*:locations" = 3 at once: the fourth and later are refused and never reach the CPO
    replies = [await get(emsp) for _ in range(6)]
    assert [r.status_code for r in replies] == [200] * 3 + [429] * 3, [r.text for r in replies]
    assert all(r.json()["status_code"] == 1000 for r in replies[:3])
    for reply in replies[3:]:
        assert_429(reply, module="locations")
    assert forwarded() == 3

    # another platform, another module: their own buckets
    assert [(await get(other)).status_code for _ in range(3)] == [200] * 3
    tariffs = await get(emsp, "tariffs", "")
    assert (tariffs.status_code, tariffs.json()["status_code"]) == (200, 1000), tariffs.text
    assert forwarded() == 6

    # "emsp-off:locations" = off beats "*:locations"; "emsp-strict:*" (2 at once) beats it too,
    # and covers its every module (its registration took the two GETs of versions it allows)
    assert [(await get(unlimited)).status_code for _ in range(8)] == [200] * 8
    assert [(await get(strict)).status_code for _ in range(3)] == [200, 200, 429]
    assert [(await get(strict, "tariffs", "")).status_code for _ in range(3)] == [200, 200, 429]
    assert_429(await get(strict, "tariffs", ""), module="tariffs")
    assert_429(await strict.request_hub("GET", strict.hub_credentials_versions_url), module="versions")
    assert forwarded() == 16 and forwarded("tariffs") == 3

    # counted with the other rejections
    assert hub_app.state.rejections.counts()["2000:RateLimited"] - rejected_before == 7


@pytest.mark.hub_settings(rate_limit_overrides={"*:credentials": "0.01/2", "*:versions": "0.01/3"})
async def test_configuration_modules_are_limited_by_their_name(connect_fake: Connect, hub_app: Starlette) -> None:
    emsp = await connect_fake([("EMSP", "DE", "EMA")], name="emsp-a")  # the handshake took 2 versions, 1 credentials
    credentials_url = emsp.hub_url("credentials", "SENDER")
    assert (await emsp.request_hub("GET", credentials_url)).status_code == 200
    assert_429(await emsp.request_hub("GET", credentials_url), module="credentials")
    versions = emsp.hub_credentials_versions_url
    assert (await emsp.request_hub("GET", versions)).status_code == 200
    assert_429(await emsp.request_hub("GET", versions), module="versions")
    clientinfo = await emsp.request_hub("GET", emsp.hub_url("hubclientinfo", "SENDER"))
    assert (clientinfo.status_code, clientinfo.json()["status_code"]) == (200, 1000)


def _garbage_token() -> str:
    return "Token " + base64.b64encode(uuid.uuid4().hex.encode()).decode()


async def test_a_failed_authentication_flood_is_429_while_a_valid_party_is_served(
    connect_fake: Connect, hub_app: Starlette
) -> None:
    """From 127.0.0.2 (still loopback): unknown tokens, one after another. After the burst of 40
    failures the address gets 429 without its tokens being looked up (a valid one too while the
    bucket is empty: test_failed_authentications_per_address, on a clock); a party on another
    address is served all along; once the bucket refilled, the address is heard again."""
    emsp = await connect_fake([("EMSP", "DE", "EMA")], name="emsp-a")
    token = emsp.outbound_token
    assert token is not None
    valid = {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}
    attacker_transport = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with (
        serve_asgi(hub_app, lifespan="off") as url,
        httpx.AsyncClient(base_url=url, transport=attacker_transport, timeout=10) as attacker,
        httpx.AsyncClient(base_url=url, timeout=10) as party,
    ):
        started = time.monotonic()
        flood = [await attacker.get("/ocpi/versions", headers={"Authorization": _garbage_token()}) for _ in range(80)]
        elapsed = time.monotonic() - started
        statuses = [r.status_code for r in flood]
        assert set(statuses) == {401, 429}, statuses
        assert statuses[:40] == [401] * 40  # the burst
        assert statuses.count(401) <= 40 + math.ceil(elapsed * 20) + 1  # then at most the refill
        for reply in (r for r in flood if r.status_code == 429):
            assert_429(reply)
        # a party on another address is served meanwhile
        served = await party.get("/ocpi/versions", headers=valid)
        assert (served.status_code, served.json()["status_code"]) == (200, 1000)
        # and heard again once a failure's worth has refilled (bounded wait, no fixed sleep)
        async with asyncio.timeout(5):
            while (await attacker.get("/ocpi/versions", headers=valid)).status_code != 200:
                await asyncio.sleep(0.02)
    assert hub_app.state.rejections.counts()["2000:RateLimited"] >= statuses.count(429)


async def test_rate_limits_on_a_hub_process(start_hub: StartHub, start_fake: StartFake, arun_cli: ArunCli) -> None:
    """The hub as a process with HUB_RATE_LIMIT_* in its environment, on real sockets: a burst
    beyond the bucket gets 429 and only the allowed requests reach the CPO; after the refill,
    requests pass again."""
    cpo = await start_fake([("CPO", *CPO)], name="CPO")
    emsp = await start_fake([("EMSP", "DE", "EMA")], name="eMSP")
    rate, burst = 2.0, 4
    hub = await start_hub(
        extra_env={
            "HUB_RATE_LIMIT_PER_SECOND": "1000",
            "HUB_RATE_LIMIT_BURST": "1000",
            "HUB_RATE_LIMIT_OVERRIDES": json.dumps({"*:locations": f"{rate}/{burst}"}),
        }
    )
    for fake, name in ((cpo, "cpo"), (emsp, "emsp")):
        role, cc, pid = fake.roles[0]
        added = await arun_cli("platforms", "add", "--name", name, "--role", f"{role}:{cc}:{pid}", "--json")
        assert added.returncode == 0, added.stderr
        await fake.register_with_hub(hub.versions_url, json.loads(added.stdout)["token_a"])
    cpo.add_object("locations", location("LOC1"))
    url = emsp.hub_url("locations", "SENDER") + "/LOC1"

    started = time.monotonic()
    replies = await asyncio.gather(*(emsp.request_hub("GET", url, to=CPO) for _ in range(12)))
    elapsed = time.monotonic() - started
    passed = [r for r in replies if r.status_code == 200]
    refused = [r for r in replies if r.status_code != 200]
    assert refused, "a burst of 12 beyond a bucket of 4 must be refused in part"
    assert len(passed) <= burst + math.ceil(elapsed * rate), (len(passed), elapsed)
    assert all(r.json()["status_code"] == 1000 for r in passed)
    for reply in refused:
        assert_429(reply, module="locations")
    assert len(cpo.received(module="locations", method="GET")) == len(passed)

    async with asyncio.timeout(10):  # the bucket refills: wait for it by asking
        while (reply := await emsp.request_hub("GET", url, to=CPO)).status_code == 429:
            await asyncio.sleep(0.05)
    assert (reply.status_code, reply.json()["status_code"]) == (200, 1000), reply.text
