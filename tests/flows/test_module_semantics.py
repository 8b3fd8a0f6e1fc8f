"""Module semantics the hub must not break while routing (checklist H, items 70-74;
mod_sessions 299-301, mod_tokens 265-349, mod_commands 268-284, transport_and_format 221-228)."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from tests.conftest import StartFake
from tests.fakes.ocpi import RecordedRequest, dumps
from tests.flows.test_routing import (
    CPO,
    EMSP,
    answer,
    charging_period,
    connect_pair,
    functional,
    location,
    only_functional,
    routing_of,
    sent_ids,
    session,
    token,
)

LOCATION_REFERENCES = {"location_id": "LOC1", "evse_uids": ["EVSE1"]}


async def test_item_70_session_patch_with_charging_periods_stays_a_patch(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    url = f"{cpo.hub_url('sessions', 'RECEIVER')}/NL/CPA/SES1"
    first = charging_period("2026-01-01T10:00:00Z", 1.5)
    put = await cpo.request_hub("PUT", url, json=session(charging_periods=[first]), to=EMSP)
    assert put.json()["status_code"] == 1000, put.text
    patch = dumps(
        {
            "kwh": 3.0,
            "charging_periods": [charging_period("2026-01-01T10:15:00Z", 1.5)],
            "last_updated": "2026-01-01T10:15:00Z",
        }
    )
    reply = await cpo.request_hub("PATCH", url, content=patch, headers={"Content-Type": "application/json"}, to=EMSP)
    assert reply.json()["status_code"] == 1000, reply.text
    sent_put, sent_patch = functional(emsp, "sessions")
    assert sent_put.method == "PUT"
    # still a PATCH (the receiver appends the period), body byte for byte, same URL
    assert (sent_patch.method, sent_patch.path, sent_patch.body) == (
        "PATCH",
        "/ocpi/2.2.1/receiver/sessions/NL/CPA/SES1",
        patch,
    )
    assert sent_patch.header("content-type") == "application/json"
    stored = emsp.store["sessions"][("NL", "CPA", "SES1")]
    assert stored["kwh"] == 3.0 and stored["status"] == "ACTIVE"  # merged, not replaced


async def test_item_71_authorize_unknown_token_404_2004_passed_through(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    emsp.add_object("tokens", token("TOK1"))
    url = f"{cpo.hub_url('tokens', 'SENDER')}/NOPE/authorize?type=RFID"
    reply = await cpo.request_hub("POST", url, json=LOCATION_REFERENCES, to=EMSP)
    assert reply.status_code == 404
    body = reply.json()
    assert body["status_code"] == 2004 and "data" not in body, reply.text
    assert routing_of(reply.headers) == ("NL", "CPA", "DE", "EMS")
    (got,) = functional(emsp, "tokens")
    assert (got.method, got.path, got.query) == ("POST", "/ocpi/2.2.1/sender/tokens/NOPE/authorize", "type=RFID")
    assert got.json == LOCATION_REFERENCES


async def test_item_72_authorize_known_and_blocked_tokens_are_200_with_authorization_info(
    connect_fake: StartFake,
) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    known = emsp.add_object("tokens", token("TOK1"))
    blocked = emsp.add_object("tokens", token("TOK2", valid=False))
    base = cpo.hub_url("tokens", "SENDER")
    for uid, stored, allowed in (("TOK1", known, "ALLOWED"), ("TOK2", blocked, "BLOCKED")):
        reply = await cpo.request_hub("POST", f"{base}/{uid}/authorize", json=LOCATION_REFERENCES, to=EMSP)
        assert (reply.status_code, reply.json()["status_code"]) == (200, 1000), reply.text
        info = reply.json()["data"]
        assert info["allowed"] == allowed
        assert info["token"] == stored  # the complete Token object
        assert info["authorization_reference"]

    # EXPIRED, with every optional field: the AuthorizationInfo arrives byte for byte
    body = dumps(
        {
            "data": {
                "allowed": "EXPIRED",
                "token": token("TOK3", valid=False),
                "location": LOCATION_REFERENCES,
                "authorization_reference": "REF-3",
                "info": {"language": "en", "text": "Card expired"},
            },
            "status_code": 1000,
            "timestamp": "2026-01-01T00:00:00Z",
        }
    )

    async def expired(_: RecordedRequest) -> Response:
        return answer(body, 200, routing=("NL", "CPA", "DE", "EMS"))

    emsp.on_request = only_functional(expired)
    reply = await cpo.request_hub("POST", f"{base}/TOK3/authorize", json=LOCATION_REFERENCES, to=EMSP)
    assert (reply.status_code, reply.content) == (200, body)


async def test_item_73_patch_without_last_updated_is_2001_and_not_forwarded(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    cases: list[tuple[Any, tuple[str, str], str, str, dict[str, Any]]] = [
        (cpo, EMSP, "locations", "/NL/CPA/LOC1", {"name": "Renamed"}),
        (cpo, EMSP, "locations", "/NL/CPA/LOC1/EVSE1", {"status": "CHARGING"}),
        (cpo, EMSP, "locations", "/NL/CPA/LOC1/EVSE1/1", {"max_amperage": 16}),
        (cpo, EMSP, "sessions", "/NL/CPA/SES1", {"kwh": 2.0, "charging_periods": []}),
        (emsp, CPO, "tokens", "/DE/EMS/TOK1", {"valid": False}),
    ]
    for sender, to, module, path, body in cases:
        reply = await sender.request_hub("PATCH", sender.hub_url(module, "RECEIVER") + path, json=body, to=to)
        assert reply.json()["status_code"] == 2001, (module, path, reply.text)
        assert reply.status_code in (200, 400)
        assert reply.headers["x-request-id"] == sent_ids(reply)[0]
    assert not functional(emsp) and not functional(cpo)
    # with last_updated the same PATCH goes through
    await cpo.request_hub("PUT", f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC1", json=location(), to=EMSP)
    fixed = {"name": "Renamed", "last_updated": "2026-01-02T00:00:00Z"}
    ok = await cpo.request_hub("PATCH", f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC1", json=fixed, to=EMSP)
    assert ok.json()["status_code"] == 1000, ok.text
    assert functional(emsp)[-1].json == fixed


async def test_item_74_command_response_timeout_is_not_altered(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake, callback_delay=0.01)
    url = f"{emsp.hub_url('commands', 'RECEIVER')}/START_SESSION"
    command: dict[str, Any] = {
        "response_url": f"{emsp.endpoint_url('commands', 'SENDER')}/START_SESSION/1",
        "token": token(),
        "location_id": "LOC1",
    }
    plain = await emsp.request_hub("POST", url, json=command, to=CPO)
    assert plain.json()["data"] == {"result": "ACCEPTED", "timeout": 30}, plain.text

    body = json.dumps(
        {
            "data": {"result": "ACCEPTED", "timeout": 7, "message": [{"language": "en", "text": "Queued"}]},
            "status_code": 1000,
            "timestamp": "2026-01-01T00:00:00Z",
        }
    ).encode()

    async def odd_timeout(_: RecordedRequest) -> Response:
        return answer(body, 200, routing=("DE", "EMS", "NL", "CPA"))

    cpo.on_request = only_functional(odd_timeout)
    reply = await emsp.request_hub("POST", url, json=command | {"response_url": command["response_url"] + "x"}, to=CPO)
    assert (reply.status_code, reply.content) == (200, body)
    assert reply.json()["data"]["timeout"] == 7
