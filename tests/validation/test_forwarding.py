"""Validation on the forward path, through the real app: strict refuses before forwarding, warn
forwards the bytes as they came, invalid replies become 4000 in strict mode."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from starlette.responses import Response

from tests.conftest import StartFake
from tests.fakes.party import FakePlatform, RecordedRequest
from tests.validation.payloads import evse, location

CPO, EMSP = ("CPO", "NL", "CPA"), ("EMSP", "DE", "EMS")


async def pair(connect_fake: StartFake, **emsp_kwargs: Any) -> tuple[FakePlatform, FakePlatform]:
    cpo = await connect_fake([CPO], name="cpo-a")
    emsp = await connect_fake([EMSP], name="emsp-b", **emsp_kwargs)
    return cpo, emsp


async def put_location(cpo: FakePlatform, body: bytes, rest: str = "/NL/CPA/LOC1") -> Any:
    return await cpo.request_hub(
        "PUT",
        cpo.hub_url("locations", "RECEIVER") + rest,
        content=body,
        headers={"Content-Type": "application/json"},
        to=("DE", "EMS"),
    )


@pytest.mark.hub_settings(validation_mode="strict")
async def test_strict_refuses_an_invalid_push_with_2001_and_never_forwards(connect_fake: StartFake) -> None:
    cpo, emsp = await pair(connect_fake)
    bad = location(evses=[evse(status="BROKEN")])
    reply = await put_location(cpo, orjson.dumps(bad))
    assert reply.status_code == 400
    assert reply.json()["status_code"] == 2001
    assert reply.json()["status_message"] == "Invalid Location: evses[0].status: not a valid Status"
    assert emsp.received(module="locations") == []


@pytest.mark.hub_settings(validation_mode="strict")
async def test_strict_forwards_a_valid_push_byte_for_byte(connect_fake: StartFake) -> None:
    cpo, emsp = await pair(connect_fake)
    # Odd spacing, key order and an unknown field: what arrives is exactly what was sent.
    body = b'{"x_vendor": {"a": [1, 2]},  ' + orjson.dumps(location())[1:]
    reply = await put_location(cpo, body)
    assert reply.status_code in (200, 201), reply.text
    (pushed,) = emsp.received(module="locations")
    assert pushed.body == body


@pytest.mark.hub_settings(validation_mode="warn")
async def test_warn_forwards_an_invalid_push_and_logs_it(
    connect_fake: StartFake, capture_hub_logs: list[dict[str, Any]]
) -> None:
    cpo, emsp = await pair(connect_fake)
    # A missing field is completeness, which follows the mode; a wrong value of an object the hub
    # stores is refused in every mode (tests/security/test_bad_values.py).
    incomplete = {k: v for k, v in location().items() if k != "city"}
    body = orjson.dumps(incomplete)
    reply = await put_location(cpo, body)
    assert reply.status_code in (200, 201), reply.text
    (pushed,) = emsp.received(module="locations")
    assert pushed.body == body
    (event,) = [e for e in capture_hub_logs if e["event"] == "payload_invalid"]
    assert (event["platform"], event["path"], event["rule"]) == ("cpo-a", "city", "required")


@pytest.mark.hub_settings(validation_mode="warn", validation_overrides={"cpo-a:locations": "strict"})
async def test_overrides_apply_per_platform_and_module(connect_fake: StartFake) -> None:
    cpo, _ = await pair(connect_fake)
    reply = await put_location(cpo, orjson.dumps(location(city=None)))
    assert reply.json()["status_message"] == "Invalid Location: city: must be a string"


@pytest.mark.hub_settings(validation_mode="strict")
async def test_strict_turns_an_invalid_reply_into_4000(connect_fake: StartFake) -> None:
    async def bad_location(request: RecordedRequest) -> Response | None:
        if request.method == "GET":
            body = {"data": {"id": "LOC1"}, "status_code": 1000, "timestamp": "2026-01-01T00:00:00Z"}
            return Response(orjson.dumps(body), media_type="application/json")
        return None

    cpo, emsp = await pair(connect_fake, on_request=bad_location)
    reply = await cpo.request_hub("GET", cpo.hub_url("locations", "RECEIVER") + "/NL/CPA/LOC1", to=("DE", "EMS"))
    assert reply.status_code == 200
    assert reply.json()["status_code"] == 4000
    assert reply.json()["status_message"].startswith("Receiver sent an invalid Location: data.country_code: required")


@pytest.mark.hub_settings(validation_mode="strict")
async def test_receiver_errors_pass_through_unvalidated(connect_fake: StartFake) -> None:
    async def not_found(request: RecordedRequest) -> Response | None:
        body = {"status_code": 2003, "status_message": "Unknown location", "timestamp": "2026-01-01T00:00:00Z"}
        return Response(orjson.dumps(body), status_code=404, media_type="application/json")

    cpo, _ = await pair(connect_fake, on_request=not_found)
    reply = await cpo.request_hub("GET", cpo.hub_url("locations", "RECEIVER") + "/NL/CPA/LOC9", to=("DE", "EMS"))
    assert (reply.status_code, reply.json()["status_code"]) == (404, 2003)
