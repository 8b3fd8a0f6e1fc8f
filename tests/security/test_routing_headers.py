"""Routing headers with stray bytes, wrong lengths, wrong case or half a pair (issue 12, attack
class 3), tried at the hub's front door on a real loopback socket.

Each request is a GET of the CPO's Location by the eMSP, routed by its OCPI-to headers. Whatever
the value, one of these must hold:
- the hub refuses it: HTTP 400, OCPI envelope 2001, a status message naming the routing header
  (`OCPI-to...` / `OCPI-from...`), and nothing is forwarded;
- the HTTP server refuses it before the hub sees it (a control character in a header value,
  which RFC 9110 5.5 forbids: uvicorn answers a plain 400), and nothing is forwarded;
- the hub forwards it, and the CPO sees exactly the checked routing headers: OCPI-to NL/AAA and
  OCPI-from BE/EMS (2 letters, 3 letters or digits, no other byte), in the case the sender used.
A lower-case party id is valid (the spec compares them case-insensitively): it must be routed, and
is forwarded as received (checklist C.31: the same values). A value of the wrong length, an
empty one, or half a pair is 2001.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import pytest
from starlette.applications import Starlette

from tests.fakes.ocpi import encode_token, new_id
from tests.fakes.party import FakePlatform
from tests.security.front_door import CPO, EMSP, Door, Sent, envelope_of, first_lines, open_door

V = "/ocpi/2.2.1"
TARGET = f"{V}/sender/locations/LOC1"
TO_CC, TO_PID, FROM_CC, FROM_PID = (
    b"ocpi-to-country-code",
    b"ocpi-to-party-id",
    b"ocpi-from-country-code",
    b"ocpi-from-party-id",
)
CHECKED = {"ocpi-to-country-code": "NL", "ocpi-to-party-id": "AAA", "ocpi-from-country-code": "BE"}
CHECKED |= {"ocpi-from-party-id": "EMS"}

# (label, header name, raw value): values that may be refused or forwarded normalised
STRAY = [
    ("NBSP latin-1", TO_PID, b"AAA\xa0"),
    ("NBSP UTF-8", TO_PID, b"AAA\xc2\xa0"),
    ("U+0085 latin-1", TO_PID, b"AAA\x85"),
    ("U+0085 UTF-8", TO_PID, b"AAA\xc2\x85"),
    ("NBSP before", TO_PID, b"\xa0AAA"),
    ("tab inside", TO_PID, b"AA\tA"),
    ("space inside", TO_PID, b"AA A"),
    ("SOH", TO_PID, b"AAA\x01"),
    ("ESC", TO_PID, b"AAA\x1b"),
    ("DEL", TO_PID, b"AAA\x7f"),
    ("NBSP in country", TO_CC, b"NL\xa0"),
    ("U+0085 in from", FROM_PID, b"EMS\xc2\x85"),
    ("NBSP in from country", FROM_CC, b"BE\xa0"),
    ("lower case", TO_PID, b"aaa"),
    ("mixed case country", TO_CC, b"nL"),
    ("lower case from", FROM_PID, b"ems"),
]
MUST_ROUTE = {"lower case", "mixed case country", "lower case from"}
# values that can only be refused
WRONG = [
    ("too long", TO_PID, b"AAAA"),
    ("too short", TO_PID, b"AA"),
    ("empty", TO_PID, b""),
    ("country too long", TO_CC, b"NLD"),
    ("country too short", TO_CC, b"N"),
    ("from too long", FROM_PID, b"EMSS"),
]
HALF_PAIRS = [
    ("to country only", (TO_PID,)),
    ("to party only", (TO_CC,)),
    ("from country only", (FROM_PID,)),
    ("from party only", (FROM_CC,)),
]

Connect = Callable[..., Awaitable[FakePlatform]]


def _server_refused(sent: Sent) -> bool:
    """The HTTP server's own 400 for a malformed request (no OCPI envelope, never forwarded)."""
    response = sent.response
    return response is not None and response.status_code == 400 and envelope_of(response) is None


def _refused_naming_header(sent: Sent) -> str | None:
    if sent.response is None:
        return f"refused {sent.describe()}: no answer ({sent.error})"
    body = envelope_of(sent.response)
    if body is None or (sent.response.status_code, body["status_code"]) != (400, 2001):
        got = f"HTTP {sent.response.status_code} {sent.response.text[:160]!r}"
        return f"refused {sent.describe()}: wanted HTTP 400 / 2001, got {got}"
    if (
        "ocpi-to" not in str(body.get("status_message", "")).lower()
        and "ocpi-from" not in str(body.get("status_message", "")).lower()
    ):
        return f"message {sent.describe()}: 2001 does not name the routing header: {body.get('status_message')!r}"
    return None


def _check(door: Door, sent: Sent, *, may_route: bool, must_route: bool) -> list[str]:
    forwarded = door.caused_by(sent)
    if forwarded:
        problems = []
        if not may_route:
            problems.append(f"forwarded {sent.describe()}: a value that must be refused was forwarded")
        for fake, request in forwarded:
            if fake is not door.cpo or urlsplit(request.path).path != TARGET:
                problems.append(f"forwarded {sent.describe()}: to {fake.parties[0]} {request.path}")
            seen = {name: request.header(name) for name in CHECKED}
            exact = all(v is not None and v.isascii() and v.isalnum() for v in seen.values())
            if not exact or {k: (v or "").upper() for k, v in seen.items()} != CHECKED:
                problems.append(f"headers {sent.describe()}: the CPO saw {seen}, not the checked {CHECKED}")
        status = envelope_of(sent.response) if sent.response is not None else None
        if status is None or status["status_code"] != 1000:
            problems.append(f"answer {sent.describe()}: forwarded, yet answered {sent.response and sent.response.text}")
        return problems
    if must_route:
        return [f"not routed {sent.describe()}: {sent.response.text if sent.response else sent.error}"]
    if _server_refused(sent):
        return []
    problem = _refused_naming_header(sent)
    return [problem] if problem else []


async def _send(door: Door, label: str, headers: list[tuple[bytes, bytes]]) -> Sent:
    return await door.send(door.emsp, "GET", TARGET, to=CPO, headers=headers, label=label)


async def _send_without(door: Door, label: str, drop: tuple[bytes, ...]) -> Sent:
    """The GET with the routing headers minus `drop` (Door.send always sends whole pairs)."""
    raw = {
        b"authorization": encode_token(str(door.emsp.outbound_token)).encode(),
        b"x-request-id": new_id().encode(),
        TO_CC: CPO[0].encode(),
        TO_PID: CPO[1].encode(),
        FROM_CC: EMSP[0].encode(),
        FROM_PID: EMSP[1].encode(),
    }
    correlation = new_id()
    raw[b"x-correlation-id"] = correlation.encode()
    headers = [(k, v) for k, v in raw.items() if k not in drop]
    sent = Sent(label=label, sender=EMSP, method="GET", target=TARGET, correlation_id=correlation)
    sent.response = await door.client.get(door.url + TARGET, headers=headers)
    door.sent.append(sent)
    return sent


async def _raw_nul(door: Door) -> bytes:
    """A NUL byte in OCPI-to-party-id (httpx refuses to send one): the status line of the answer."""
    host, port = urlsplit(door.url).hostname or "127.0.0.1", urlsplit(door.url).port or 80
    reader, writer = await asyncio.open_connection(host, port)
    try:
        request = (
            f"GET {TARGET} HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: {encode_token(str(door.emsp.outbound_token))}\r\n"
            f"X-Request-ID: {new_id()}\r\nX-Correlation-ID: nul-{new_id()}\r\n"
            "OCPI-to-country-code: NL\r\nOCPI-from-country-code: BE\r\nOCPI-from-party-id: EMS\r\n"
            "Connection: close\r\n"
        ).encode() + b"OCPI-to-party-id: AAA\x00\r\n\r\n"
        writer.write(request)
        await writer.drain()
        async with asyncio.timeout(10):
            answer = await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    return answer.split(b"\r\n", 1)[0]


async def test_routing_headers_are_refused_or_forwarded_exactly_as_checked(
    connect_fake: Connect, hub_app: Starlette
) -> None:
    async with open_door(connect_fake, hub_app) as door:
        door.cpo.add_object("locations", {"id": "LOC1"})
        clean = await door.send(door.emsp, "GET", TARGET, to=CPO, label="clean")
        problems = _check(door, clean, may_route=True, must_route=True)  # the baseline routes
        for label, name, value in STRAY:
            sent = await _send(door, label, [(name, value)])
            problems += _check(door, sent, may_route=True, must_route=label in MUST_ROUTE)
        for label, name, value in WRONG:
            sent = await _send(door, label, [(name, value)])
            problems += _check(door, sent, may_route=False, must_route=False)
        for label, drop in HALF_PAIRS:
            sent = await _send_without(door, label, drop)
            problems += _check(door, sent, may_route=False, must_route=False)
        status_line = await _raw_nul(door)
        if not status_line.startswith(b"HTTP/1.1 400"):
            problems.append(f"answer NUL in OCPI-to-party-id: {status_line!r}")
        received = [r for r in door.cpo.requests if (r.header("x-correlation-id") or "").startswith("nul-")]
        problems += [f"forwarded NUL in OCPI-to-party-id: {r.routing}" for r in received]
        problems += door.audit()
    assert not problems, first_lines(problems)


@pytest.mark.parametrize("value", [b"AAA\xa0", b"AAA\xc2\x85"], ids=["nbsp", "u0085"])
async def test_issue_12_stray_byte_after_party_id_is_not_forwarded(
    value: bytes, connect_fake: Connect, hub_app: Starlette
) -> None:
    """The exact case of the issue: routed to NL/AAA, yet forwarded with the stray bytes."""
    async with open_door(connect_fake, hub_app) as door:
        door.cpo.add_object("locations", {"id": "LOC1"})
        sent = await door.send(door.emsp, "GET", TARGET, to=CPO, headers=[(TO_PID, value)], label="stray")
        for _, request in door.caused_by(sent):
            assert request.header("ocpi-to-party-id") == "AAA", request.routing
        if not door.caused_by(sent):
            assert _refused_naming_header(sent) is None, _refused_naming_header(sent)
