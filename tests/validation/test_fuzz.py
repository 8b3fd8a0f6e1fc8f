"""Malformed bodies to every hub endpoint: never an HTTP 500, never a hang, always an OCPI envelope.

Every endpoint the hub serves for OCPI (versions, version details, credentials with a registered
platform's token and with a token A, the forward endpoints of every module on both interfaces with
the paths their objects live at, a hub URL under /proxy, hubclientinfo, a custom module, an unknown
version) gets every body below: wrong types, huge strings, deep nesting, invalid UTF-8, duplicate
keys, empty bodies, and more. Validation is strict (the validator refuses what it maps) and warn
(everything goes on to the receivers and the store); the receivers behind the hub answer every
forwarded request with a plain success envelope.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import orjson
import pytest
from starlette.responses import Response

from hub.registration.platforms import PlatformAdmin, parse_role
from tests.conftest import StartFake
from tests.fakes.party import RecordedRequest
from tests.helpers import auth_header
from tests.validation.payloads import location, token

LIMIT_SECONDS = 5.0
_DEEP = 900  # below orjson's depth limit (1024): parsed, then handed to the hub
_OK = orjson.dumps({"status_code": 1000, "timestamp": "2026-01-01T00:00:00Z"})


def _nested(depth: int) -> bytes:
    return b'{"last_updated": "2026-01-01T00:00:00Z", "evses": [' + b'{"n": ' * depth + b"1" + b"}" * depth + b"]}"


BODIES: dict[str, bytes] = {
    "empty": b"",
    "blank": b" \r\n\t ",
    "null": b"null",
    "true": b"true",
    "number": b"12.5",
    "string": b'"a string"',
    "array": b'[1, "two", {"three": 3}]',
    "empty-object": b"{}",
    "wrong-types": b'{"id": 5, "country_code": [], "party_id": {}, "last_updated": 7, "evses": "x", "status": 1}',
    "null-fields": orjson.dumps({k: None for k in location()}),
    "huge-string": orjson.dumps(location(name="x" * 1_500_000)),
    "huge-array": orjson.dumps(location(evses=[{"uid": i} for i in range(20_000)])),
    "huge-number": b'{"id": 1e400, "last_updated": "2026-01-01T00:00:00Z"}',
    "big-int": b'{"max_voltage": 123456789012345678901234567890, "last_updated": "2026-01-01T00:00:00Z"}',
    "deep-nesting-rejected": b"[" * 5000 + b"]" * 5000,
    "deep-nesting-parsed": _nested(_DEEP),
    "invalid-utf8": b'{"id": "\xff\xfe\xfd", "last_updated": "2026-01-01T00:00:00Z"}',
    "lone-surrogate": b'{"id": "\\ud800", "last_updated": "2026-01-01T00:00:00Z"}',
    "bom": b"\xef\xbb\xbf{}",
    "duplicate-keys": b'{"id": "LOC1", "id": "LOC2", "last_updated": "x", "last_updated": "2026-01-01T00:00:00Z"}',
    "truncated": orjson.dumps(location())[:-20],
    "nan": b'{"kwh": NaN, "last_updated": "2026-01-01T00:00:00Z"}',
    "control-chars": orjson.dumps(token(uid="A\x00B\x1f", issuer="\u0085\u2028")),
    "valid-location": orjson.dumps(location()),
}


# Which (module, interface) the eMSP serves; the CPO serves the others. A request goes to the one
# that serves it, from the other, so it passes routing and reaches the validator.
_EMSP_SERVES = {
    ("locations", "receiver"),
    ("sessions", "receiver"),
    ("cdrs", "receiver"),
    ("tariffs", "receiver"),
    ("tokens", "sender"),
    ("commands", "sender"),
    ("chargingprofiles", "sender"),
    ("hubclientinfo", "receiver"),
}


def _forward_paths() -> list[tuple[str, str, bool]]:
    """(method, path, to the eMSP?) of the forward endpoints: every module, both interfaces, the
    paths its objects live at. `{owner}` is the requester's own country code and party id."""
    rests = {
        "locations": ["", "/{owner}/LOC1", "/{owner}/LOC1/EVSE1", "/{owner}/LOC1/EVSE1/1", "/LOC1"],
        "sessions": ["", "/{owner}/S1", "/S1/charging_preferences"],
        "cdrs": ["", "/{owner}/CDR1"],
        "tariffs": ["", "/{owner}/T1"],
        "tokens": ["", "/{owner}/UID1", "/UID1/authorize"],
        "commands": ["/START_SESSION", "/STOP_SESSION", "/RESERVE_NOW", "/CANCEL_RESERVATION", "/UNLOCK_CONNECTOR"],
        "chargingprofiles": ["/S1"],
        "hubclientinfo": ["/{owner}"],
        "x-custom": ["/anything"],
    }
    out = []
    for module, paths in rests.items():
        for interface in ("sender", "receiver"):
            to_emsp = (module, interface) in _EMSP_SERVES
            owner = "NL/CPA" if to_emsp else "DE/EMS"
            for rest in paths:
                for method in ("POST", "PUT", "PATCH"):
                    out.append((method, f"/ocpi/2.2.1/{interface}/{module}{rest.format(owner=owner)}", to_emsp))
    return out


@pytest.mark.parametrize(
    "mode",
    [
        pytest.param("strict", marks=pytest.mark.hub_settings(validation_mode="strict")),
        pytest.param("warn", marks=pytest.mark.hub_settings(validation_mode="warn")),
    ],
)
async def test_malformed_bodies_never_break_the_hub(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin, connect_fake: StartFake, mode: str
) -> None:
    async def always_ok(_request: RecordedRequest) -> Response:
        return Response(_OK, media_type="application/json")

    cpo = await connect_fake([("CPO", "NL", "CPA")], name="cpo-a", on_request=always_ok)
    emsp = await connect_fake([("EMSP", "DE", "EMS")], name="emsp-b", on_request=always_ok)
    token_c = auth_header(str(cpo.token_c))
    token_a = auth_header((await admin.add(name="planned", roles=[parse_role("EMSP:BE:PLN")])).token_a)
    to_emsp = token_c | {"OCPI-to-country-code": "DE", "OCPI-to-party-id": "EMS"}
    to_cpo = auth_header(str(emsp.token_c)) | {"OCPI-to-country-code": "NL", "OCPI-to-party-id": "CPA"}
    endpoints: list[tuple[str, str, dict[str, str]]] = [
        ("POST", "/ocpi/versions", token_c),
        ("GET", "/ocpi/2.2.1", token_c),
        ("POST", "/ocpi/2.2.1/credentials", token_c),
        ("PUT", "/ocpi/2.2.1/credentials", token_c),
        ("POST", "/ocpi/2.2.1/credentials", token_a),
        ("PUT", "/ocpi/2.2.1/credentials", token_a),
        ("POST", "/ocpi/2.2.1/proxy/x", token_c),
        ("PUT", "/ocpi/2.2.1/proxy/x", token_c),
        ("GET", "/ocpi/2.2.1/sender/hubclientinfo", token_c),
        ("POST", "/ocpi/2.2.1/sender/hubclientinfo", token_c),
        ("PUT", "/ocpi/9.9.9/receiver/locations/NL/CPA/LOC1", to_emsp),
        *[(method, path, to_emsp if emsp_serves else to_cpo) for method, path, emsp_serves in _forward_paths()],
    ]
    failures: list[str] = []
    slowest = 0.0

    async def one(method: str, path: str, headers: dict[str, str], name: str, body: bytes) -> None:
        nonlocal slowest
        started = time.perf_counter()
        try:
            async with asyncio.timeout(LIMIT_SECONDS * 2):
                reply = await hub_client.request(
                    method, path, content=body, headers=headers | {"Content-Type": "application/json"}
                )
        except TimeoutError:
            failures.append(f"{method} {path} [{name}]: no answer within {LIMIT_SECONDS * 2}s")
            return
        elapsed = time.perf_counter() - started
        slowest = max(slowest, elapsed)
        problem = _problem(reply, elapsed)
        if problem:
            failures.append(f"{method} {path} [{name}]: {problem}")

    cases = [(m, p, h, name, body) for m, p, h in endpoints for name, body in BODIES.items()]
    for start in range(0, len(cases), 32):
        await asyncio.gather(*(one(*case) for case in cases[start : start + 32]))
    assert not failures, f"{len(failures)} of {len(cases)} requests failed:\n" + "\n".join(failures[:40])
    assert slowest < LIMIT_SECONDS


def _problem(reply: httpx.Response, elapsed: float) -> str | None:
    if reply.status_code >= 500:
        return f"HTTP {reply.status_code}: {reply.text[:200]}"
    if elapsed > LIMIT_SECONDS:
        return f"took {elapsed:.1f}s"
    if not reply.headers.get("content-type", "").startswith("application/json"):
        return f"content-type {reply.headers.get('content-type')}"
    try:
        body = reply.json()
    except ValueError:
        return f"not JSON: {reply.text[:200]}"
    if not isinstance(body, dict) or type(body.get("status_code")) is not int:
        return f"not an OCPI envelope: {reply.text[:200]}"
    return None


@pytest.mark.hub_settings(max_body_bytes=4096)
async def test_a_body_over_the_limit_is_413_with_an_envelope(hub_client: httpx.AsyncClient) -> None:
    reply = await hub_client.put("/ocpi/2.2.1/receiver/locations/NL/CPA/LOC1", content=b"{" + b" " * 10_000 + b"}")
    assert reply.status_code == 413
    assert reply.json()["status_code"] == 2000
