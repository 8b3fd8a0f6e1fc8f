"""The outbound policy (SSRF) and the loop guard (issue 13, item 1): the hub calls only URLs it has
reason to trust, checked when a party hands them over and again at connect time, after DNS.

An "internal" service listens on 127.0.0.1 and counts its hits: a hostile party points the hub at
it in every way the hub takes URLs (versions URL, endpoints, redirects, response_url, Link), and it
must see none. With the default policy (`outbound_allow_loopback=False`) loopback itself is refused;
with the development policy (on for the tests' fakes) the origin rules still refuse what is not the
party's own. Each refusal is checked for its OCPI status, HTTP status and a generic message (no
port, no "refused": registration must not be a port scanner), and a well-behaved party is served
afterwards.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from yarl import URL

from hub.db.db import SessionFactory, session_scope
from hub.db.models import Endpoint, OutboxMessage, OutboxStatus
from hub.db.repositories import EndpointSpec, RegistryRepository
from hub.egress.client import guarded_connector
from hub.egress.hop import HOP_HEADER
from hub.egress.policy import EgressRefused, Origin, OutboundPolicy, origin_of
from hub.registration.platforms import PlatformAdmin, parse_role
from hub.settings import Settings
from hub.token_vault import TokenVault
from hub.types import ConnectionStatus
from tests.conftest import StartFake
from tests.drain import outbox_drained
from tests.fakes.ocpi import envelope, reply
from tests.fakes.serving import free_port, serve_asgi
from tests.flows.test_routing import CPO, EMSP, connect_pair, functional, location, tariff, token
from tests.helpers import HUB_URL, auth_header

V = f"{HUB_URL}/ocpi/2.2.1"
DEFAULT_POLICY = pytest.mark.hub_settings(outbound_allow_loopback=False)
GENERIC_READ = "Could not read your versions endpoint"
POLICY_REFUSAL = "not allowed by the hub's outbound policy"

# --- the internal service and a hostile party ---------------------------------------------------


class Internal:
    """An internal service on loopback that no party may make the hub call: it counts its hits."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.url = ""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        self.hits.append(f"{scope['method']} {scope['path']}")
        body = b'{"admin_token": "internal-secret"}'
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
async def internal() -> AsyncIterator[Internal]:
    service = Internal()
    async with serve_asgi(service, lifespan="off") as url:
        service.url = url
        yield service


class Hostile:
    """A party's configuration API under the attacker's control: versions, version details with
    whatever endpoints it likes, or a redirect instead of its versions."""

    def __init__(self, *, endpoints: Callable[[str], list[dict[str, str]]] | None = None, redirect: str = "") -> None:
        self.base = ""
        self.endpoints = endpoints
        self.redirect = redirect
        self.hits = 0
        self.app = Starlette(
            routes=[Route("/ocpi/versions", self._versions), Route("/ocpi/2.2.1", self._details)],
        )

    async def _versions(self, request: Request) -> Response:
        self.hits += 1
        if self.redirect:
            return RedirectResponse(self.redirect, status_code=302)
        return JSONResponse(envelope([{"version": "2.2.1", "url": f"{self.base}/ocpi/2.2.1"}]))

    async def _details(self, request: Request) -> Response:
        self.hits += 1
        own = [{"identifier": "credentials", "role": "SENDER", "url": f"{self.base}/ocpi/2.2.1/credentials"}]
        extra = self.endpoints(self.base) if self.endpoints else []
        return JSONResponse(envelope({"version": "2.2.1", "endpoints": own + extra}))


@asynccontextmanager
async def hostile(**kwargs: Any) -> AsyncIterator[Hostile]:
    party = Hostile(**kwargs)
    async with serve_asgi(party.app) as url:
        party.base = url
        yield party


async def register(client: httpx.AsyncClient, admin: PlatformAdmin, versions_url: str) -> httpx.Response:
    """A party declared by the operator POSTs its credentials (with `versions_url`) to the hub."""
    name = f"p{uuid.uuid4().hex[:8]}"
    pid = uuid.uuid4().hex[:3].upper()
    added = await admin.add(name=name, roles=[parse_role(f"CPO:NL:{pid}")])
    credentials = {
        "token": "hostile-token-b",
        "url": versions_url,
        "roles": [{"role": "CPO", "party_id": pid, "country_code": "NL", "business_details": {"name": "H"}}],
    }
    return await client.post(f"{V}/credentials", json=credentials, headers=auth_header(added.token_a))


def assert_generic(reply: httpx.Response, *, http: int, ocpi: int, says: str, internal: Internal) -> None:
    body = reply.json()
    assert (reply.status_code, body["status_code"]) == (http, ocpi), reply.text
    message = body["status_message"]
    assert says in message, message
    port = str(URL(internal.url).port)
    for leak in (port, "refused", "127.0.0.1", "Errno", "Connect", "DNS", "timeout"):
        assert leak not in message, f"{leak!r} in {message!r}"
    assert internal.hits == []


async def seeded_party(admin: PlatformAdmin, db: SessionFactory, settings: Settings) -> str:
    """A connected CPO (NL*GOD) without a handshake: under the default policy the hub cannot call a
    loopback fake, so a well-behaved party that only sends is set up in the registry directly."""
    added = await admin.add(name="well-behaved", roles=[parse_role("CPO:NL:GOD")])
    presented = f"well-behaved-{uuid.uuid4().hex}"
    async with session_scope(db) as session:
        repo = RegistryRepository(session)
        platform = await repo.get(platform_id=added.platform.id or 0)
        assert platform is not None
        platform.inbound_token_hash = TokenVault(settings.secret_key).hash(presented)
        platform.token_a_hash = None
        platform.version = "2.2.1"
        platform.set_status(ConnectionStatus.CONNECTED)
        await repo.save(platform)
        await repo.bump_revision()
    return presented


async def assert_still_served(client: httpx.AsyncClient, presented: str) -> None:
    """The well-behaved party's broadcast push is accepted (1000) and reaches the hub's store."""
    headers = auth_header(presented) | {
        "OCPI-to-country-code": "NL",
        "OCPI-to-party-id": "HUB",
        "OCPI-from-country-code": "NL",
        "OCPI-from-party-id": "GOD",
    }
    pushed = await client.put(
        f"{V}/receiver/locations/NL/GOD/LOC1", json=location("LOC1", owner=("NL", "GOD")), headers=headers
    )
    assert (pushed.status_code, pushed.json()["status_code"]) == (200, 1000), pushed.text


# --- the policy, pure -------------------------------------------------------------------------


def _own(url: str) -> frozenset[Origin]:
    origin = origin_of(url)
    assert origin is not None
    return frozenset({origin})


DEV = OutboundPolicy(allow_loopback=True, own_origins=_own(HUB_URL), own_port=8080)  # tests' hub_settings
PROD = OutboundPolicy(own_origins=_own("https://hub.example.com"))

REFUSED_ADDRESSES = [
    "127.0.0.1",
    "127.255.0.9",
    "::1",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "fc00::1",
    "fd12:3456::1",
    "100.64.0.1",
    "169.254.1.1",
    "fe80::1",
    "0.0.0.0",
    "::",
    "224.0.0.1",
    "ff02::1",
    "240.0.0.1",
    "255.255.255.255",
    "169.254.169.254",
    "fd00:ec2::254",
    "100.100.100.200",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "192.0.2.1",
    "198.18.0.1",
]


@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
def test_every_refused_address_class(address: str) -> None:
    assert PROD.address_refusal(address) is not None
    bracketed = f"[{address}]" if ":" in address else address
    with pytest.raises(EgressRefused) as refused:
        PROD.check_url(f"https://{bracketed}/ocpi/versions")
    assert refused.value.message == EgressRefused.default_message  # public: no address in it
    assert refused.value.status_code == 4000


@pytest.mark.parametrize("address", ["8.8.8.8", "2a00:1450:4001::1", "::ffff:8.8.8.8", "1.1.1.1"])
def test_public_addresses_pass(address: str) -> None:
    assert PROD.address_refusal(address) is None


def test_metadata_unspecified_and_multicast_are_refused_even_in_allowed_networks_and_development() -> None:
    everything = OutboundPolicy(
        allow_loopback=True, allowed_networks=(ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
    )
    for address in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "0.0.0.0", "224.0.0.1"):
        assert everything.address_refusal(address) is not None, address
    assert everything.address_refusal("10.1.2.3") is None


def test_allowed_networks_let_private_addresses_through_but_https_is_still_required() -> None:
    vpn = OutboundPolicy(allowed_networks=(ipaddress.ip_network("10.20.0.0/16"),))
    assert vpn.check_url("https://10.20.3.4/ocpi/versions") is None
    for refused in ("http://10.20.3.4/ocpi/versions", "https://10.21.0.1/x", "https://[::ffff:10.21.0.1]/x"):
        with pytest.raises(EgressRefused):
            vpn.check_url(refused)


def test_https_is_required_and_http_only_reaches_loopback_in_development() -> None:
    assert PROD.check_url("https://cpo.example.com/ocpi/versions") == "cpo.example.com"
    for url in ("http://cpo.example.com/ocpi", "ftp://cpo.example.com/", "http://127.0.0.1:9000/", "https:///x"):
        with pytest.raises(EgressRefused):
            PROD.check_url(url)
    assert DEV.check_url("http://127.0.0.1:9000/ocpi") is None
    assert DEV.check_url("http://localhost:9000/ocpi") == "localhost"
    for url in ("http://cpo.example.com/ocpi", "http://10.0.0.1/", "http://user:pw@127.0.0.1:9000/"):
        with pytest.raises(EgressRefused):
            DEV.check_url(url)


@pytest.mark.parametrize(
    "host", ["2130706433", "127.1", "0x7f.0.0.1", "0x7f000001", "017700000001", "0177.0.0.1", "127.0.0.1.1"]
)
def test_numeric_host_spellings_are_refused_even_in_development(host: str) -> None:
    """yarl keeps such hosts as written and a resolver maps them onto 127.0.0.1 (getaddrinfo does);
    aiohttp 3.14 refuses the decimal form itself, but hex and octal forms go to the resolver.
    The policy refuses every numeric host that is not a canonical IP literal."""
    assert URL(f"http://{host}/").host == host  # not normalised by yarl
    with pytest.raises(EgressRefused) as refused:
        DEV.check_url(f"http://{host}:9000/ocpi/versions")
    assert "numeric" in refused.value.detail or "is" in refused.value.detail


def test_the_hubs_own_public_origin_is_refused_in_every_spelling() -> None:
    for url in (
        "https://hub.example.com/ocpi/2.2.1/receiver/locations",
        "https://HUB.example.com:443/ocpi",
        "https://hub.example.com./ocpi",
    ):
        with pytest.raises(EgressRefused) as refused:
            PROD.check_url(url)
        assert refused.value.message == "The URL points at the hub itself"
    assert DEV.address_refusal("127.0.0.1", 8080) is not None  # a loopback connection to the hub's own port
    assert DEV.address_refusal("127.0.0.1", 8081) is None


@given(st.ip_addresses(v=4))
def test_an_ipv4_address_and_its_mapped_ipv6_form_get_the_same_verdict(ip: ipaddress.IPv4Address) -> None:
    mapped = ipaddress.IPv6Address(f"::ffff:{ip}")
    assert (PROD.address_refusal(ip) is None) == (PROD.address_refusal(mapped) is None)
    assert (DEV.address_refusal(ip) is None) == (DEV.address_refusal(mapped) is None)


@given(st.ip_addresses())
def test_no_address_that_is_not_globally_routable_passes_the_default_policy(ip: Any) -> None:
    if not ip.is_global or ip.is_multicast:
        assert PROD.address_refusal(ip) is not None


# --- the policy at connect time, on real sockets -------------------------------------------------


def _loopback_alias() -> str | None:
    """A host name other than localhost that /etc/hosts maps to 127.0.0.1 (a name the textual check
    cannot know is loopback: only the resolver sees it)."""
    try:
        with open("/etc/hosts") as hosts:
            for line in hosts:
                fields = line.split("#", 1)[0].split()
                if fields and fields[0] == "127.0.0.1":
                    names = [n for n in fields[1:] if not n.lower().startswith("localhost")]
                    if names:
                        return names[0]
    except OSError:
        return None
    return None


async def test_the_connector_refuses_at_connect_time_literals_and_resolved_names(internal: Internal) -> None:
    """Without the URL check (connector only): the socket factory refuses a loopback literal, the
    resolver a name that resolves to loopback; the same connector under the development policy
    reaches the service (so the zero hits above mean something). A refusal is EgressRefused, never
    an aiohttp connection error."""
    port = URL(internal.url).port
    urls = [f"http://127.0.0.1:{port}/a", f"http://localhost:{port}/b", f"http://0x7f.0.0.1:{port}/c"]
    if alias := _loopback_alias():
        urls.append(f"http://{alias}:{port}/d")
    async with aiohttp.ClientSession(connector=guarded_connector(OutboundPolicy())) as http:
        for url in urls:
            with pytest.raises(EgressRefused):
                async with http.get(url):
                    pass
    assert internal.hits == []
    async with aiohttp.ClientSession(connector=guarded_connector(OutboundPolicy(allow_loopback=True))) as http:
        async with http.get(f"http://127.0.0.1:{port}/ok") as reached:
            assert reached.status == 200
        with pytest.raises(aiohttp.InvalidUrlClientError):  # aiohttp 3.14 refuses the decimal form itself
            async with http.get(f"http://2130706433:{port}/e"):
                pass
    assert internal.hits == ["GET /ok"]


# --- registration: versions URL, redirects, endpoints ---------------------------------------------


@DEFAULT_POLICY
async def test_default_policy_registration_at_an_internal_versions_url_is_refused_without_a_call(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin, db: SessionFactory, hub_settings: Settings, internal: Internal
) -> None:
    port = URL(internal.url).port
    for versions_url in (
        f"{internal.url}/ocpi/versions",
        f"https://127.0.0.1:{port}/ocpi/versions",
        f"http://localhost:{port}/ocpi/versions",
        f"https://[::ffff:127.0.0.1]:{port}/ocpi/versions",
        f"https://2130706433:{port}/ocpi/versions",
        f"https://169.254.169.254/latest/meta-data/{port}",
    ):
        refused = await register(hub_client, admin, versions_url)
        assert_generic(refused, http=200, ocpi=2001, says=f"versions URL is {POLICY_REFUSAL}", internal=internal)
    await assert_still_served(hub_client, await seeded_party(admin, db, hub_settings))
    assert internal.hits == []


async def test_a_closed_port_and_an_open_non_ocpi_service_look_the_same_to_the_registering_party(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin, internal: Internal, connect_fake: StartFake
) -> None:
    """Development policy (loopback allowed): registration must not be a port scanner. Whatever is
    (or is not) behind the versions URL, the party reads the same generic 3001."""
    closed = await register(hub_client, admin, f"http://127.0.0.1:{free_port()}/ocpi/versions")
    opened = await register(hub_client, admin, f"{internal.url}/ocpi/versions")
    for refused in (closed, opened):
        body = refused.json()
        assert (refused.status_code, body["status_code"], body["status_message"]) == (200, 3001, GENERIC_READ)
    assert internal.hits  # the development policy may call loopback: this test is about the answer
    fake = await connect_fake([("CPO", "NL", "WBP")])  # a well-behaved party still registers
    assert fake.token_c is not None


async def test_a_redirect_from_a_partys_versions_url_is_not_followed(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin, internal: Internal, connect_fake: StartFake
) -> None:
    async with hostile(redirect=f"{internal.url}/admin") as party:
        refused = await register(hub_client, admin, f"{party.base}/ocpi/versions")
        assert party.hits == 1  # asked once, answered 302, not followed (and not retried)
    assert_generic(refused, http=200, ocpi=3001, says=GENERIC_READ, internal=internal)
    fake = await connect_fake([("CPO", "NL", "WBP")])  # a well-behaved party still registers
    assert fake.token_c is not None


@pytest.mark.parametrize(
    ("target", "says"),
    [
        (lambda internal: f"{HUB_URL}/ocpi/2.2.1/receiver/locations", "points at the hub itself"),
        (lambda internal: f"http://2130706433:{URL(internal.url).port}/locations", POLICY_REFUSAL),
        (lambda internal: "https://169.254.169.254/latest/meta-data", POLICY_REFUSAL),
        (lambda internal: f"http://10.0.0.7:{URL(internal.url).port}/locations", POLICY_REFUSAL),
    ],
    ids=["own-public-url", "decimal-loopback", "metadata", "private"],
)
async def test_endpoints_the_policy_refuses_fail_registration(
    hub_client: httpx.AsyncClient,
    admin: PlatformAdmin,
    internal: Internal,
    connect_fake: StartFake,
    db: SessionFactory,
    target: Callable[[Internal], str],
    says: str,
) -> None:
    """Development policy: an endpoint at the hub's own public URL (the loop guard), at a numeric
    spelling of loopback, at the metadata service or a private address: 2001 naming the endpoint,
    nothing stored."""

    def endpoints(base: str) -> list[dict[str, str]]:
        return [{"identifier": "locations", "role": "RECEIVER", "url": target(internal)}]

    async with hostile(endpoints=endpoints) as party:
        refused = await register(hub_client, admin, f"{party.base}/ocpi/versions")
    assert_generic(refused, http=200, ocpi=2001, says=says, internal=internal)
    assert "endpoint URL of locations RECEIVER" in refused.json()["status_message"]
    async with db() as session:
        stored = [e for p in await RegistryRepository(session).all_platforms() for e in await _endpoints(session, p.id)]
    assert not [e for e in stored if e.url == target(internal)]
    fake = await connect_fake([("CPO", "NL", "WBP")])
    assert fake.token_c is not None


async def _endpoints(session: Any, platform_id: int | None) -> list[Endpoint]:
    return list(await RegistryRepository(session).endpoints(platform_id=platform_id or 0))


# --- response_url, Link, foreign bodies ----------------------------------------------------------


async def test_a_response_url_off_the_senders_own_origins_is_refused_before_anything_is_forwarded(
    connect_fake: StartFake, internal: Internal
) -> None:
    cpo, emsp = await connect_pair(connect_fake, callback_delay=0.01)
    commands = f"{emsp.hub_url('commands', 'RECEIVER')}/START_SESSION"
    for bad in (
        f"{internal.url}/admin",
        f"{emsp.base_url}@{URL(internal.url).authority}/x",
        "https://169.254.169.254/",
    ):
        command = {"response_url": bad, "token": token(), "location_id": "LOC1", "evse_uid": "EVSE1"}
        refused = await emsp.request_hub("POST", commands, json=command, to=CPO)
        assert_generic(refused, http=400, ocpi=2001, says="response_url", internal=internal)
    profiles = f"{emsp.hub_url('chargingprofiles', 'RECEIVER')}/SES1"
    refused = await emsp.request_hub("DELETE", profiles, params={"response_url": f"{internal.url}/cp"}, to=CPO)
    assert_generic(refused, http=400, ocpi=2001, says="response_url", internal=internal)
    assert functional(cpo) == []  # nothing forwarded

    # the eMSP's own response_url still works, and the result arrives there
    own = f"{emsp.endpoint_url('commands', 'SENDER')}/START_SESSION/1"
    command = {"response_url": own, "token": token(), "location_id": "LOC1", "evse_uid": "EVSE1"}
    started = await emsp.request_hub("POST", commands, json=command, to=CPO)
    assert started.json()["status_code"] == 1000, started.text
    await emsp.wait_for(lambda: emsp.results)
    assert internal.hits == []


async def test_a_receivers_link_to_another_origin_is_dropped_never_sealed(
    connect_fake: StartFake, internal: Internal, capture_hub_logs: list[dict[str, Any]]
) -> None:
    foreign = {"on": True}

    async def link_elsewhere(recorded: Any) -> Response | None:
        if recorded.method == "GET" and foreign["on"]:
            page = reply(envelope([]), 200, {"Link": f'<{internal.url}/admin?offset=1>; rel="next"'})
            return page
        return None

    cpo, emsp = await connect_pair(connect_fake, on_request=link_elsewhere, page_limit=1)
    cpo.add_object("locations", location("LOC1"))
    cpo.add_object("locations", location("LOC2"))
    pulled = await emsp.request_hub("GET", emsp.hub_url("locations", "SENDER"), to=CPO)
    assert (pulled.status_code, pulled.json()["status_code"]) == (200, 1000), pulled.text
    assert "link" not in pulled.headers
    assert any(e["event"] == "foreign_url_dropped" for e in capture_hub_logs)
    assert internal.hits == []

    foreign["on"] = False  # the CPO's own Link is sealed and followed as usual
    first = await emsp.request_hub("GET", emsp.hub_url("locations", "SENDER"), to=CPO)
    following = first.headers["link"].split(">", 1)[0].lstrip("<")
    assert following.startswith(f"{V}/proxy/")
    second = await emsp.request_hub("GET", following, to=CPO)
    assert [o["id"] for o in first.json()["data"] + second.json()["data"]] == ["LOC1", "LOC2"]
    assert internal.hits == []


async def test_a_foreign_body_behind_a_followed_response_url_is_never_relayed(connect_fake: StartFake) -> None:
    """The eMSP's response_url answers something that is no OCPI envelope: the CPO posting its
    CommandResult through the hub URL gets 4000 from the hub, not that body."""

    async def not_ocpi(recorded: Any) -> Response | None:
        if recorded.method == "POST" and "/sender/commands/" in recorded.path:
            return Response('{"admin_token": "internal-secret"}', 200, media_type="application/json")
        return None

    cpo = await connect_fake([("CPO", *CPO)], name="cpo", callback_delay=0.01)
    emsp = await connect_fake([("EMSP", *EMSP)], name="emsp", on_request=not_ocpi)
    own = f"{emsp.endpoint_url('commands', 'SENDER')}/START_SESSION/1"
    command = {"response_url": own, "token": token(), "location_id": "LOC1", "evse_uid": "EVSE1"}
    started = await emsp.request_hub(
        "POST", f"{emsp.hub_url('commands', 'RECEIVER')}/START_SESSION", json=command, to=CPO
    )
    assert started.json()["status_code"] == 1000, started.text
    await cpo.wait_for(lambda: cpo.callbacks)
    (callback,) = cpo.callbacks
    assert callback.status == 200 and callback.reply["status_code"] == 4000, callback.reply
    assert "internal-secret" not in str(callback.reply)


# --- the policy at connect time inside the hub: a refusal is no receiver failure -----------------


async def test_a_refused_endpoint_never_opens_the_receivers_breaker(
    connect_fake: StartFake, db: SessionFactory, hub_app: Starlette, internal: Internal
) -> None:
    """An endpoint stored before the policy (or by an operator) that the policy refuses: each routed
    request is answered 4000 by the hub's policy, the receiver's breaker stays closed and the
    receiver stays CONNECTED; a legitimate route keeps working."""
    cpo, emsp = await connect_pair(connect_fake)
    cpo.add_object("tariffs", tariff())
    async with session_scope(db) as session:
        repo = RegistryRepository(session)
        kept = [
            EndpointSpec(module=e.module, interface_role=e.interface_role, url=e.url)
            for e in await repo.endpoints(platform_id=cpo.platform_id or 0)
            if e.module != "locations"
        ]
        bad = EndpointSpec(
            module="locations", interface_role="SENDER", url=f"http://2130706433:{URL(internal.url).port}/l"
        )
        await repo.replace_endpoints(platform_id=cpo.platform_id or 0, endpoints=[*kept, bad])
        await repo.bump_revision()
    hub = hub_app.state.hub
    hub.on_registry_change()
    fail_max = hub.settings.breaker_fail_max
    for _ in range(fail_max + 2):
        refused = await emsp.request_hub("GET", f"{emsp.hub_url('locations', 'SENDER')}/LOC1", to=CPO)
        assert (refused.status_code, refused.json()["status_code"]) == (200, 4000), refused.text
        assert "outbound policy" in refused.json()["status_message"]
    assert hub.breakers.open_count() == 0
    assert internal.hits == []
    served = await emsp.request_hub("GET", f"{emsp.hub_url('tariffs', 'SENDER')}/TAR1", to=CPO)
    assert served.json()["status_code"] == 1000, served.text


async def test_a_broadcast_to_an_endpoint_the_policy_refuses_is_dead_at_once_not_retried(
    connect_fake: StartFake, db: SessionFactory, hub_app: Starlette, internal: Internal
) -> None:
    """The dispatcher's delivery to a refused endpoint is the hub's own refusal: retrying cannot
    help, so the outbox message is dead after its one attempt (an operator may replay it once the
    endpoint or the policy is fixed), and the refused address sees nothing."""
    cpo, emsp = await connect_pair(connect_fake)
    async with session_scope(db) as session:
        repo = RegistryRepository(session)
        kept = [
            EndpointSpec(module=e.module, interface_role=e.interface_role, url=e.url)
            for e in await repo.endpoints(platform_id=emsp.platform_id or 0)
            if e.module != "locations"
        ]
        bad = EndpointSpec(
            module="locations", interface_role="RECEIVER", url=f"http://2130706433:{URL(internal.url).port}/l"
        )
        await repo.replace_endpoints(platform_id=emsp.platform_id or 0, endpoints=[*kept, bad])
        await repo.bump_revision()
    hub_app.state.hub.on_registry_change()
    pushed = await cpo.request_hub(
        "PUT", f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC9", json=location("LOC9"), to=("NL", "HUB")
    )
    assert pushed.json()["status_code"] == 1000, pushed.text
    await outbox_drained(db, module="locations")
    async with db() as session:
        rows = (await session.exec(select(OutboxMessage).where(OutboxMessage.module == "locations"))).all()
    assert [(r.status, r.attempts, r.last_error) for r in rows] == [
        (OutboxStatus.DEAD.value, 1, "endpoint refused by the outbound policy")
    ]
    assert internal.hits == []


# --- the loop guard ---------------------------------------------------------------------------------


async def test_every_outbound_request_carries_the_hop_marker_and_a_request_carrying_it_is_refused(
    connect_fake: StartFake,
) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    cpo.add_object("locations", location("LOC1"))
    pulled = await emsp.request_hub("GET", f"{emsp.hub_url('locations', 'SENDER')}/LOC1", to=CPO)
    assert pulled.json()["status_code"] == 1000, pulled.text
    markers = {r.header(HOP_HEADER) for f in (cpo, emsp) for r in f.requests}
    assert None not in markers and len(markers) == 1, markers  # on everything the hub sent, one marker
    (marker,) = markers
    assert marker and len(marker) <= 64

    # the CPO (or anything between) sends the hub's own request back: a loop, refused at once
    looped = await cpo.request_hub(
        "PUT",
        f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC2",
        json=location("LOC2"),
        to=EMSP,
        headers={HOP_HEADER: f"someone-else, {marker}"},
    )
    body = looped.json()
    assert (looped.status_code, body["status_code"]) == (508, 2000), looped.text
    assert "Loop detected" in body["status_message"]
    assert not emsp.received(module="locations", method="PUT")

    # another hub's marker alone is no loop
    passed = await cpo.request_hub(
        "PUT",
        f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC2",
        json=location("LOC2"),
        to=EMSP,
        headers={HOP_HEADER: "0123456789abcdef"},
    )
    assert passed.json()["status_code"] == 1000, passed.text
    (pushed,) = emsp.received(module="locations", method="PUT")
    assert pushed.header(HOP_HEADER) == f"0123456789abcdef, {marker}"  # the chain goes on


async def test_a_platform_registering_the_hubs_own_url_as_versions_url_is_refused(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin, internal: Internal, connect_fake: StartFake
) -> None:
    refused = await register(hub_client, admin, f"{HUB_URL}/ocpi/versions")
    assert_generic(refused, http=200, ocpi=2001, says="points at the hub itself", internal=internal)
    fake = await connect_fake([("CPO", "NL", "WBP")])
    assert fake.token_c is not None
