"""A fuzz test over every OCPI endpoint and method the hub serves (issue 13, "Done when"): zero
HTTP 500, an OCPI envelope on every answer of an /ocpi/ path that is not a success, and the hub
healthy afterwards, on SQLite and PostgreSQL.

Requests are built by hypothesis from the hub's URL grammar (hub.ocpi.grammar): /ocpi/versions,
version details of 2.1.1, 2.2.1, 2.3.0 and made-up ones, credentials, hubclientinfo, every
functional module on its sender and receiver interface with paths of valid and hostile segments
(dot segments, encoded separators, NUL and controls, overlong, invalid percent-encoding, random
text), the hub URLs `/ocpi/{version}/proxy/{sealed}` (genuine ones minted for the fakes, mutated
and made-up ones), /health/*; random query strings, OCPI-to/from headers, Authorization (the
token of a registered fake, a token A, garbage, none) and bodies (random JSON, structured objects
with wrong types, huge numbers, overlong strings, NUL, out-of-range timestamps, deep nesting up to
100,000 levels, invalid UTF-8, not JSON at all).

The hub is served in this test's event loop on a real loopback socket (`serve_asgi`); two fakes are
connected as a CPO and an eMSP (receivers of routed requests and broadcasts), a third one (the
"spare") is the only platform whose credentials may be changed or deleted, so the routed check at
the end still has both parties. hypothesis runs in a worker thread with a blocking client, while
the loop serves the hub and the fakes. Valid tokens come from 127.0.0.1; token A from 127.0.0.4 and
garbage from 127.0.0.3, so failed authentications (limited per address, hub.ingress.ratelimit)
do not lock out the examples with valid tokens. URLs in bodies point to 127.0.0.1 only.

A third of the examples are well-formed but for their body's values (a path of the grammar, a
registered party's token, routing headers from it to the other party or the hub, the module's own
object mutated), so they reach routing, forwarding, broadcast and the store; a third carry a
registered party's token and anything else random; a third carry any Authorization.
`FUZZ_EXAMPLES` (default 1200 per backend, about 10 s each here) sets the number of examples for longer local runs.
No OpenAPI document exists to drive schemathesis; the grammar is the hub's own description of its
paths, so it drives the generation here.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from hub.forwarding.proxies import ProxyKind, ProxyTarget
from hub.ocpi.grammar import COMMAND_TYPES, LITERALS, SHAPES
from hub.registration.platforms import PlatformAdmin, parse_role
from hub.types import PartyKey
from tests.fakes.ocpi import new_id
from tests.fakes.party import FakePlatform
from tests.fakes.serving import serve_asgi
from tests.flows.test_routing import cdr, location, session, tariff, token

pytestmark = pytest.mark.hub_settings(outbox_max_attempts=2, outbox_backoff_seconds=0.05, dispatcher_poll_seconds=0.05)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1200"))
CPO, EMSP, SPARE, HUB = ("NL", "CPA"), ("DE", "EMS"), ("FR", "SPA"), ("NL", "HUB")
VALID_FROM, TOKEN_A_FROM, GARBAGE_FROM = "127.0.0.1", "127.0.0.4", "127.0.0.3"

MODULES = sorted({m for m, _ in SHAPES})
VERSIONS = ["2.2.1", "2.1.1", "2.3.0"]
HOSTILE_SEGMENTS = [
    "..", ".", "%2e%2e", "%2E%2e", ".%2e", "%252e%252e", "%c0%ae%c0%ae", "%2f", "%2F", "%5c", "%c0%af",
    "%00", "%01", "%0a", "%0d%0a", "%7f", "%c2%85", "%ff", "%fe%ff", "%", "%z", "%zz", "%2", "%25", "%3f", "%23",
    "%20", "a%20b", "%e2%80%ae", "%ed%a0%80", "~", "*", ";", "=", "&", "'", "%22", "%3c%3e", "L" * 37, "C" * 40,
    "X" * 300, "Y" * 5000, "",
]  # fmt: skip
VALID_SEGMENTS = ["NL", "CPA", "DE", "EMS", "HUB", "LOC1", "EVSE1", "1", "SES1", "TOK1", "TAR1", "CDR1", "UID1"]
VALID_SEGMENTS += sorted(COMMAND_TYPES) + sorted(LITERALS)
STAMPS = [
    "2026-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2020-13-45T99:99:99Z",
    "2026-01-01", "yesterday", "", "2026-01-01T00:00:00.123456789123Z", "+275760-09-13T00:00:00Z",
]  # fmt: skip
HEADER_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=12
).map(str.strip)


# --- the world the examples are drawn against -----------------------------------------------------


@dataclass
class World:
    url: str
    tokens: dict[str, str]  # "cpo", "emsp", "spare", "token_a"
    sealed: list[str]  # genuine hub URL tails (after /proxy/)
    loopback_urls: list[str]
    outcomes: Counter[str] = field(default_factory=Counter)
    redirects: list[Req] = field(default_factory=list)


@dataclass
class Req:
    method: str
    target: str
    auth: str  # which Authorization: a key of World.tokens, "none", or "raw:<header value>"
    headers: list[tuple[str, str]]
    body: bytes | None

    def __repr__(self) -> str:  # the reproducer hypothesis prints
        body = self.body if self.body is None or len(self.body) < 2000 else self.body[:2000] + b"...(cut)"
        return f"Req({self.method} {self.target!r} auth={self.auth!r} headers={self.headers!r} body={body!r})"


def _encode(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


segment = st.one_of(
    st.sampled_from(VALID_SEGMENTS),
    st.sampled_from(HOSTILE_SEGMENTS),
    st.text(max_size=40).map(_encode),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", min_size=1, max_size=45),
)


def mostly(valid: st.SearchStrategy[Any], *hostile: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`valid` four times in five: deep enough into the hub to reach routing, broadcast and store."""
    return st.one_of(valid, valid, valid, valid, st.one_of(*hostile))


version = mostly(st.sampled_from(VERSIONS), st.sampled_from(["2.2", "3.0", "%32.2.1", "2.2.1%00", "v2"]), segment)
interface = mostly(st.sampled_from(["sender", "receiver"]), st.sampled_from(["SENDER", "sender%2f", "x"]), segment)
module = mostly(
    st.sampled_from(MODULES),
    st.sampled_from(["hubclientinfo", "credentials", "versions", "mycustom", "proxy", "Locations", "locations%2f"]),
    segment,
)
FILL = {
    "country_code": ["NL", "DE", "FR", "nl", "XX"],
    "party_id": ["CPA", "EMS", "SPA", "HUB", "cpa", "ZZZ"],
    "command": sorted(COMMAND_TYPES),
}


@st.composite
def shaped(draw: st.DrawFn, hostile: bool = True) -> str:
    """A path of the module's own grammar (hub.ocpi.grammar), one segment sometimes hostile."""
    (name, role), shapes = draw(st.sampled_from(sorted(SHAPES.items(), key=lambda item: str(item[0]))))
    shape = draw(st.sampled_from(shapes))
    values = [
        p.literal or draw(st.sampled_from(FILL.get(p.name, ["LOC1", "EVSE1", "1", "SES1", "TOK1", "TAR1", "CDR1"])))
        for p in shape.params
    ]
    if hostile and values and draw(st.integers(0, 3)) == 0:
        values[draw(st.integers(0, len(values) - 1))] = draw(segment)
    edition = draw(mostly(st.just("2.2.1"), st.sampled_from(VERSIONS))) if hostile else "2.2.1"  # as the fakes
    return "/".join(["/ocpi", edition, role.value.lower(), name, *values])


@st.composite
def paths(draw: st.DrawFn, world: World) -> str:
    kinds = ["shaped"] * 8 + ["functional"] * 4 + ["versions", "details", "credentials", "hci", "proxy", "health"]
    kind = draw(st.sampled_from(kinds))
    if kind == "shaped":
        return draw(shaped())
    if kind == "functional":
        rest = draw(st.lists(segment, max_size=7))
        return "/".join(["/ocpi", draw(version), draw(interface), draw(module), *rest]).rstrip("/") + draw(
            st.sampled_from(["", "", "", "/"])
        )
    if kind == "versions":
        return draw(st.sampled_from(["/ocpi/versions", "/ocpi/versions/", "/ocpi/versions/x", "/ocpi/VERSIONS"]))
    if kind == "details":
        return f"/ocpi/{draw(version)}"
    if kind == "credentials":
        return f"/ocpi/{draw(version)}/credentials" + draw(st.sampled_from(["", "", "/", "/x"]))
    if kind == "hci":
        return f"/ocpi/{draw(version)}/sender/hubclientinfo" + draw(st.sampled_from(["", "", "/x", "/NL/CPA"]))
    if kind == "proxy":
        genuine = draw(st.sampled_from(world.sealed))
        sealed = draw(
            st.one_of(
                st.just(genuine),
                st.just(genuine[:-5]),
                st.just(genuine[:20] + "A" + genuine[21:]),
                st.just(genuine + "/x"),
                st.just("Z" * 5000),
                segment,
            )
        )
        return f"/ocpi/{draw(version)}/proxy/{sealed}"
    return draw(st.sampled_from(["/health/live", "/health/ready", "/health/", "/health/x", "/", "/ocpi", "/ocpi/"]))


query_value = st.one_of(
    st.sampled_from(STAMPS + ["0", "-1", "10", "1e9", "99999999999999999999", "RFID", "FOO", "%00", "%ff", "%zz"]),
    st.text(max_size=20).map(_encode),
)
query = st.one_of(
    st.just(""),
    st.just(""),
    st.lists(
        st.tuples(
            st.sampled_from(["date_from", "date_to", "offset", "limit", "type", "response_url", "x", "", "%00"]),
            query_value,
        ),
        min_size=1,
        max_size=5,
    ).map(lambda pairs: "?" + "&".join(f"{k}={v}" for k, v in pairs)),
    st.sampled_from(["?", "?&&==", "?%", "?a=%zz", "?limit=1&limit=2", "?" + "a=1&" * 100]),
)
party = mostly(st.sampled_from([CPO, EMSP, HUB, CPO, EMSP, SPARE]), st.none(), st.tuples(HEADER_TEXT, HEADER_TEXT))

_ROOT: Any = 1


def _nest(depth: int) -> Any:
    value: Any = _ROOT
    for _ in range(depth):
        value = [value]
    return value


hostile_value = st.one_of(
    st.sampled_from(
        [None, True, 0, -1, 10**30, -(10**30), 1e308, [], {}, "", "x" * 37, "x" * 256, "a\x00b", "\x00", "\ud800"]
    ),
    st.sampled_from(STAMPS),
    st.sampled_from([5, 31, 33, 200]).map(_nest),
    st.text(max_size=30),
    st.integers(),
    st.floats(),
)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**40), max_value=10**40) | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


def _objects(world: World) -> list[dict[str, Any]]:
    url = world.loopback_urls[0]
    return [
        location("LOC1"),
        location("LOC2", owner=EMSP),
        session("SES1"),
        token("TOK1"),
        tariff("TAR1"),
        cdr("CDR1"),
        {"response_url": url, "location_id": "LOC1", "token": token("TOK1")},
        {"response_url": url, "charging_profile": {"charging_rate_unit": "W"}},
        {"result": "ACCEPTED"},
        {"token": "T" * 20, "url": url, "roles": [{"role": "EMSP", "country_code": "FR", "party_id": "SPA"}]},
    ]


OBJECT_OF = {"locations": 0, "sessions": 2, "tokens": 3, "tariffs": 4, "cdrs": 5, "commands": 6}
OBJECT_OF |= {"chargingprofiles": 7, "credentials": 9}


@st.composite
def bodies(draw: st.DrawFn, world: World, module: str = "", wellformed: bool = False) -> bytes | None:
    kinds = ["object"] if wellformed else ["none", "object", "object", "object", "json", "raw", "hostile"]
    kind = draw(st.sampled_from(kinds))
    if kind == "none":
        return None
    if kind == "json":
        return json.dumps(draw(json_value)).encode("utf-8", "surrogatepass")
    if kind == "raw":
        return draw(st.binary(max_size=200))
    if kind == "hostile":
        return draw(
            st.sampled_from(
                [
                    b"\xff\xfe{",
                    b'{"id": "\xff"}',
                    b"{" * 10_000,
                    b"[" * 100_000 + b"]" * 100_000,
                    b'{"a":1}{"a":1}',
                    b"\x00",
                    b"\xef\xbb\xbf{}",
                    b'{"id": "\\u0000"}',
                    b'{"id": "\\ud800"}',
                    b"NaN",
                    b'{"a": 1e999999}',
                    b"1" * 5000,
                    b"null",
                    b"[]",
                    b'""',
                ]
            )
        )
    objects = _objects(world)
    if module in OBJECT_OF and (wellformed or draw(st.integers(0, 3)) > 0):
        obj = dict(objects[OBJECT_OF[module]])
    else:
        obj = dict(draw(st.sampled_from(objects)))
    for _ in range(draw(st.integers(0, 3))):
        keys = sorted(obj) + ["extra", "country_code", "party_id", "id", "uid", "last_updated", "response_url"]
        obj[draw(st.sampled_from(keys))] = draw(hostile_value)
    return json.dumps(obj).encode("utf-8", "surrogatepass")


@st.composite
def requests(draw: st.DrawFn, world: World, *, authenticated: bool, wellformed: bool = False) -> Req:
    """`wellformed`: a path of the grammar, no query, routing headers of the sender to the other
    party or the hub, the module's own object (mutated up to three times) as body: past parsing into
    routing, forwarding, broadcast and the store. Otherwise anything the strategies above make."""
    method = draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"] * 4 + ["HEAD", "OPTIONS", "TRACE"]))
    target = draw(shaped(hostile=False)) if wellformed else draw(paths(world)) + draw(query)
    auth = (
        draw(st.sampled_from(["cpo", "emsp"] if wellformed else ["cpo", "emsp", "spare"]))
        if authenticated
        else draw(
            st.one_of(
                st.sampled_from(["cpo", "emsp", "cpo", "emsp", "spare", "token_a", "none"]),
                st.sampled_from(["Token ", "Token", "Bearer x", "Token " + "A" * 600, "Token Zm9vCg=="]).map(
                    lambda h: "raw:" + h
                ),
                HEADER_TEXT.map(lambda t: "raw:Token " + t),
            )
        )
    )
    if auth in ("cpo", "emsp") and method not in ("GET", "HEAD") and "credentials" in _decoded(target):
        auth = "spare"  # only the spare's registration may be changed or deleted
    headers: list[tuple[str, str]] = []
    own, other = (CPO, EMSP) if auth == "cpo" else (EMSP, CPO) if auth == "emsp" else (SPARE, CPO)
    coherent = {"to": st.sampled_from([other, other, HUB]), "from": st.just(own)}
    for direction in ("to", "from"):
        if wellformed:
            found = draw(coherent[direction])
        elif auth in ("cpo", "emsp", "spare"):
            found = draw(mostly(coherent[direction], party))
        else:
            found = draw(party)
        if found is not None:
            headers += [(f"OCPI-{direction}-country-code", found[0]), (f"OCPI-{direction}-party-id", found[1])]
    if not wellformed and draw(st.booleans()):
        headers.append(("X-Request-ID", draw(HEADER_TEXT)))
    if draw(st.integers(0, 5)) == 0:
        headers.append(
            ("Content-Type", draw(st.sampled_from(["text/plain", "application/json; charset=latin-1", "x"])))
        )
    if draw(st.integers(0, 10)) == 0:
        headers.append(("Content-Encoding", "gzip"))
    parts = target.split("?", 1)[0].split("/")
    body = (
        draw(bodies(world, parts[4] if len(parts) > 4 else parts[-1], wellformed))
        if method in ("POST", "PUT", "PATCH") or draw(st.integers(0, 5)) == 0
        else None
    )
    return Req(method=method, target=target, auth=auth, headers=headers, body=body)


def _decoded(target: str) -> str:
    text = target.split("?", 1)[0]
    for _ in range(3):
        text = unquote(text)
    return text.lower()


# --- sending and checking -------------------------------------------------------------------------


def _authorization(world: World, auth: str) -> str | None:
    if auth == "none":
        return None
    if auth.startswith("raw:"):
        return auth[4:]
    return "Token " + base64.b64encode(world.tokens[auth].encode()).decode()


def _source(auth: str) -> str:
    return VALID_FROM if auth in ("cpo", "emsp", "spare") else TOKEN_A_FROM if auth == "token_a" else GARBAGE_FROM


def send(world: World, clients: dict[str, httpx.Client], req: Req) -> httpx.Response:
    headers = [("X-Correlation-ID", new_id())]
    authorization = _authorization(world, req.auth)
    if authorization is not None:
        headers.append(("Authorization", authorization))
    headers += req.headers
    # h11 (the client) refuses leading or trailing blanks in a value; what remains goes on the wire as is
    wire = [(k.encode("latin-1"), v.strip(" \t").encode("latin-1")) for k, v in headers]
    client = clients[_source(req.auth)]
    request = client.build_request(req.method, world.url + "/", headers=wire, content=req.body)
    request.extensions = {**request.extensions, "target": req.target.encode("ascii")}
    return client.send(request)


def check(world: World, req: Req, reply: httpx.Response) -> None:
    world.outcomes[f"{reply.status_code}"] += 1
    if os.environ.get("FUZZ_TRACE"):
        print(reply.status_code, reply.text[:120], repr(req)[:300])
    assert reply.status_code < 500 or (reply.status_code == 503 and "retry-after" in reply.headers), (
        f"HTTP {reply.status_code} for {req!r}: {reply.text[:500]}"
    )
    if 300 <= reply.status_code < 400:  # Starlette's trailing-slash redirect: see test_no_bare_redirect
        world.redirects.append(req)
        return
    if req.target.startswith("/ocpi/") and req.method != "HEAD" and not 200 <= reply.status_code < 300:
        try:
            body = reply.json()
        except ValueError:
            body = None
        assert isinstance(body, dict) and isinstance(body.get("status_code"), int) and "timestamp" in body, (
            f"HTTP {reply.status_code} without an OCPI envelope for {req!r}: {reply.text[:500]}"
        )
        world.outcomes[f"ocpi {body['status_code']}"] += 1


def fuzz(world: World) -> None:
    """Runs in a worker thread: the event loop of the test serves the hub and the fakes meanwhile."""
    clients = {
        address: httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=20.0)
        for address in (VALID_FROM, TOKEN_A_FROM, GARBAGE_FROM)
    }

    third = EXAMPLES // 3
    checks = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]

    @settings(max_examples=third, deadline=None, database=None, suppress_health_check=checks)
    @given(req=requests(world, authenticated=True, wellformed=True))
    def wellformed(req: Req) -> None:
        """Well-formed but for the body's values: into routing, forwarding, broadcast and the store."""
        check(world, req, send(world, clients, req))

    @settings(max_examples=third, deadline=None, database=None, suppress_health_check=checks)
    @given(req=requests(world, authenticated=True))
    def authenticated(req: Req) -> None:
        """With a registered party's token, anything else random."""
        check(world, req, send(world, clients, req))

    @settings(
        max_examples=EXAMPLES - 2 * third,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(req=requests(world, authenticated=False))
    def anyone(req: Req) -> None:
        """With any Authorization: token A, garbage, none, or a valid one."""
        check(world, req, send(world, clients, req))

    try:
        wellformed()
        authenticated()
        anyone()
    finally:
        for client in clients.values():
            client.close()


# --- the test -------------------------------------------------------------------------------------


async def test_fuzz_every_endpoint(
    connect_fake: Any, hub_app: Starlette, admin: PlatformAdmin, capsys: pytest.CaptureFixture[str]
) -> None:
    cpo: FakePlatform = await connect_fake([("CPO", *CPO)], name="cpo")
    emsp: FakePlatform = await connect_fake([("EMSP", *EMSP)], name="emsp")
    spare: FakePlatform = await connect_fake([("EMSP", *SPARE)], name="spare")
    pending = await admin.add(name="pending", roles=[parse_role("CPO:BE:PEN")])
    cpo.add_object("locations", location("LOC1"))
    assert cpo.platform_id is not None and emsp.platform_id is not None
    hub = hub_app.state.hub
    page = ProxyTarget(
        ProxyKind.PAGE, "locations", cpo.collection_url("locations", "SENDER"), cpo.platform_id, emsp.platform_id,
        PartyKey.of(*CPO), PartyKey.of(*EMSP),
    )  # fmt: skip
    callback = ProxyTarget(
        ProxyKind.CALLBACK, "commands", emsp.endpoint_url("commands", "SENDER") + "/START_SESSION/1",
        emsp.platform_id, cpo.platform_id, PartyKey.of(*EMSP), PartyKey.of(*CPO),
    )  # fmt: skip
    sealed = [hub.proxies.mint(t, version="2.2.1").rsplit("/", 1)[1] for t in (page, callback)]
    tokens = {"cpo": cpo.outbound_token, "emsp": emsp.outbound_token, "spare": spare.outbound_token}
    tokens["token_a"] = pending.token_a

    started = time.monotonic()
    async with serve_asgi(hub_app, lifespan="off") as url:
        world = World(
            url=url,
            tokens={k: str(v) for k, v in tokens.items()},
            sealed=sealed,
            loopback_urls=[emsp.endpoint_url("commands", "SENDER") + "/cb", "http://127.0.0.1:9/cb"],
        )
        await asyncio.to_thread(fuzz, world)
        elapsed = time.monotonic() - started

        # the hub is healthy afterwards: alive, ready, and a routed request between the fakes works
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            assert (await client.get("/health/live")).status_code == 200
            async with asyncio.timeout(10):  # ready once what the fuzz queued has settled
                while (await client.get("/health/ready")).status_code != 200:
                    await asyncio.sleep(0.05)
        cpo.add_object("locations", location("LOC1"))
        reply = await emsp.request_hub("GET", emsp.hub_url("locations", "SENDER") + "/LOC1", to=CPO)
        assert (reply.status_code, reply.json()["status_code"]) == (200, 1000), reply.text
        correlation = reply.headers["x-correlation-id"]
        assert any(r.header("x-correlation-id") == correlation for r in cpo.received(module="locations"))
        push = await cpo.request_hub(
            "PUT", cpo.hub_url("locations", "RECEIVER") + "/NL/CPA/LOCOK", json=location("LOCOK"), to=EMSP
        )
        assert push.status_code in (200, 201) and push.json()["status_code"] == 1000, push.text
        assert any(r.path.endswith("/NL/CPA/LOCOK") for r in emsp.received(module="locations", method="PUT"))

    with capsys.disabled():
        tally = ", ".join(f"{k}: {v}" for k, v in sorted(world.outcomes.items()))
        print(f"\nfuzz: {EXAMPLES} examples in {elapsed:.1f}s; answers {tally}; redirects {len(world.redirects)}")


async def test_no_bare_redirect(hub_client: httpx.AsyncClient) -> None:
    """Found by the fuzz: a path that a route matches only without its trailing `/` got a bare 307."""
    for target in ("/ocpi/2.2.1/sender/hubclientinfo/%0a/", "/ocpi/2.2.1/SENDER/cdrs/%0a/"):
        reply = await hub_client.get(target)
        assert reply.status_code == 404 and reply.json()["status_code"] == 2000, (target, reply.status_code)
