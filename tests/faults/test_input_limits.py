"""Limits on input, against the hub as a real process: an oversized body is refused with 413,
oversized headers, too many query parameters and JSON nested 2000 deep with 400, each with an
OCPI envelope, before anything is forwarded; refusing is cheap, so the healthy pair's traffic
keeps its latency while a sender keeps sending such requests. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.fakes.ocpi import encode_token
from tests.faults.conftest import World
from tests.faults.harness import Cast, Steady, Traffic, assert_isolated

pytestmark = pytest.mark.e2e

MAX_BODY = 64 * 1024
MAX_HEADERS = 8 * 1024
MAX_PARAMS = 16
HUB_ENV = {
    "HUB_MAX_BODY_BYTES": str(MAX_BODY),
    "HUB_MAX_HEADER_BYTES": str(MAX_HEADERS),
    "HUB_MAX_QUERY_PARAMS": str(MAX_PARAMS),
}
PUSH = "receiver/tokens/DE/EMB/TOK1"  # the caller (eMSP DE/EMB) pushes its token to NL/BAD
TOKEN = {
    "country_code": "DE",
    "party_id": "EMB",
    "uid": "TOK1",
    "type": "RFID",
    "contract_id": "DE-EMB-C00001-1",
    "issuer": "eMSP B",
    "valid": True,
    "whitelist": "ALLOWED",
    "last_updated": "2026-01-01T00:00:00Z",
}


def nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


async def chunks(total: int, size: int = 16 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


class Abuser:
    """A registered sender (DE/EMB) whose requests break the limits, addressed to NL/BAD."""

    def __init__(self, cast: Cast) -> None:
        self.cast = cast

    async def send(self, kind: str) -> httpx.Response:
        cast, to = self.cast, ("NL", "BAD")
        if kind == "body":  # Content-Length says it at once
            oversized = TOKEN | {"visual_number": "x" * MAX_BODY}
            return await cast.caller.request_hub("PUT", cast.url(PUSH), json=oversized, to=to)
        if kind == "chunked":  # no Content-Length: found out while reading
            return await cast.caller.request_hub(
                "PUT",
                cast.url(PUSH),
                content=chunks(MAX_BODY + 1024),
                to=to,
                headers={"Content-Type": "application/json"},
            )
        if kind == "headers":
            return await cast.caller.request_hub(
                "GET", cast.url("sender/locations/LOC1"), to=to, headers={"X-Padding": "p" * MAX_HEADERS}
            )
        if kind == "params":
            params = {f"p{i}": str(i) for i in range(MAX_PARAMS + 1)}
            return await cast.caller.request_hub("GET", cast.url("sender/locations"), params=params, to=to)
        assert kind == "nesting"
        return await cast.caller.request_hub(
            "PUT", cast.url(PUSH), content=nested(2000), to=to, headers={"Content-Type": "application/json"}
        )


EXPECTED = {  # kind -> HTTP status, OCPI status
    "body": (413, 2000),
    "chunked": (413, 2000),
    "headers": (400, 2001),
    "params": (400, 2001),
    "nesting": (400, 2001),
}


def forwarded(cast: Cast) -> int:
    return len(cast.bad.received(module="tokens")) + len(cast.bad.received(module="locations"))


async def test_limits_refuse_cheaply_with_an_envelope(world: World, steady: Steady) -> None:
    cast = await world(HUB_ENV)
    abuser = Abuser(cast)
    before = forwarded(cast)
    for kind, (http_status, ocpi_status) in EXPECTED.items():
        reply = await abuser.send(kind)
        assert reply.status_code == http_status, (kind, reply.status_code, reply.text[:200])
        body = reply.json()
        assert body["status_code"] == ocpi_status, (kind, body)
        assert body["status_message"] and body["timestamp"], (kind, body)
        assert reply.headers["x-request-id"], kind
    assert forwarded(cast) == before, "a request over a limit reached the receiver"
    # right at the limits, the same requests pass the cheap checks: the query reaches the parser,
    # which names the first parameter locations does not define (never forwarded)
    params = {f"p{i}": str(i) for i in range(MAX_PARAMS)}
    listing = await cast.caller.request_hub("GET", cast.url("sender/locations"), params=params, to=("NL", "BAD"))
    assert (listing.status_code, listing.json()["status_code"]) == (400, 2001), listing.text
    assert listing.json()["status_message"] == "Unknown query parameter p0"
    # JSON as deep as max_json_depth (default 32) passes; one level deeper is 2001, never forwarded
    deeper = await cast.caller.request_hub(
        "PUT", cast.url(PUSH), content=nested(33), to=("NL", "BAD"), headers={"Content-Type": "application/json"}
    )
    assert (deeper.status_code, deeper.json()["status_code"]) == (400, 2001), deeper.text
    assert "nested deeper than 32 levels" in deeper.json()["status_message"]
    deep = await cast.caller.request_hub(
        "PUT", cast.url(PUSH), content=nested(32), to=("NL", "BAD"), headers={"Content-Type": "application/json"}
    )
    assert deep.json()["status_code"] == 1000, deep.text
    assert forwarded(cast) == before + 1

    # Content-Length of 1 GB and no body: 413 at once, the hub does not wait for the body
    port = int(cast.hub.url.rsplit(":", 1)[1])
    assert cast.caller.outbound_token is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = (
            f"PUT /ocpi/2.2.1/{PUSH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: {encode_token(cast.caller.outbound_token)}\r\n"
            "OCPI-to-country-code: NL\r\nOCPI-to-party-id: BAD\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n"
        )
        started = time.perf_counter()
        writer.write(head.encode())
        await writer.drain()
        async with asyncio.timeout(2):
            status_line = await reader.readline()
            headers = await reader.readuntil(b"\r\n\r\n")
        declared_ms = (time.perf_counter() - started) * 1000
    finally:
        writer.close()
    assert status_line.split()[1] == b"413", status_line
    assert b"content-type: application/json" in headers.lower()
    assert declared_ms < 500, declared_ms

    # refusing is cheap: the healthy pair does not notice a sender that keeps breaking limits
    baseline = await Traffic().run(cast.healthy, count=150, workers=2, gap=0.005)
    kinds = list(EXPECTED)
    abuse = Traffic()
    async with steady(cast.healthy) as under:
        await abuse.run(lambda n: abuser.send(kinds[n % len(kinds)]), count=100, workers=3, gap=0.01)
    assert {(o.http, o.ocpi) for o in abuse.outcomes} == set(EXPECTED.values()), abuse.codes()[:10]
    assert abuse.p95() < 250, abuse.p95()  # refused before any work (the isolation check follows)
    assert forwarded(cast) == before + 1
    print(f"\n[limits] refusals p95 {abuse.p95():.1f} ms (n={len(abuse.outcomes)})")
    assert_isolated("limits", cast, baseline, under)
