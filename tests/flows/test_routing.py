"""Party-to-party routing through the hub (checklist C, items 30-45; requirements §1.3, §3.2, §3.3,
§3.7): the hub app in process, fake platforms on real loopback sockets that registered through
the credentials handshake, every request sent by a fake through the hub's front door and checked
where it arrives (path, query, headers, body) and where the answer returns.

The object builders and small helpers at the top are shared with the other routing test files.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

import pytest
from sqlalchemy import text
from starlette.responses import Response

from hub.db.db import SessionFactory
from hub.registration.platforms import PlatformAdmin, parse_role
from hub.registration.upstreams import UpstreamAdmin, parse_route
from tests.conftest import StartFake
from tests.drain import outbox_drained
from tests.fakes.ocpi import RecordedRequest, decode_token, dumps
from tests.fakes.party import FakePlatform
from tests.helpers import HUB_VERSIONS_URL

CPO = ("NL", "CPA")
EMSP = ("DE", "EMS")
HUB = ("NL", "HUB")
FUNCTIONAL = ("locations", "sessions", "cdrs", "tariffs", "tokens", "commands", "chargingprofiles")
STAMP = "2026-01-01T00:00:00Z"
ROUTING = ("ocpi-to-country-code", "ocpi-to-party-id", "ocpi-from-country-code", "ocpi-from-party-id")

Hook = Callable[[RecordedRequest], Awaitable[Response | None]]


# --- OCPI 2.2.1 objects ---------------------------------------------------------------------


def connector(connector_id: str = "1", last_updated: str = STAMP) -> dict[str, Any]:
    return {
        "id": connector_id,
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 32,
        "last_updated": last_updated,
    }


def evse(uid: str = "EVSE1", last_updated: str = STAMP) -> dict[str, Any]:
    return {
        "uid": uid,
        "evse_id": f"NL*CPA*E{uid}",
        "status": "AVAILABLE",
        "connectors": [connector(last_updated=last_updated)],
        "last_updated": last_updated,
    }


def location(loc_id: str = "LOC1", owner: tuple[str, str] = CPO, last_updated: str = STAMP) -> dict[str, Any]:
    return {
        "country_code": owner[0],
        "party_id": owner[1],
        "id": loc_id,
        "publish": True,
        "address": "Street 1",
        "city": "Town",
        "country": "NLD",
        "coordinates": {"latitude": "52.000000", "longitude": "4.000000"},
        "time_zone": "Europe/Amsterdam",
        "evses": [evse(last_updated=last_updated)],
        "last_updated": last_updated,
    }


def cdr_token(owner: tuple[str, str] = EMSP, uid: str = "TOK1") -> dict[str, Any]:
    return {"country_code": owner[0], "party_id": owner[1], "uid": uid, "type": "RFID", "contract_id": "DE-EMS-C1"}


def session(session_id: str = "SES1", owner: tuple[str, str] = CPO, **extra: Any) -> dict[str, Any]:
    return {
        "country_code": owner[0],
        "party_id": owner[1],
        "id": session_id,
        "start_date_time": STAMP,
        "kwh": 0.0,
        "cdr_token": cdr_token(),
        "auth_method": "WHITELIST",
        "location_id": "LOC1",
        "evse_uid": "EVSE1",
        "connector_id": "1",
        "currency": "EUR",
        "status": "ACTIVE",
        "last_updated": STAMP,
        **extra,
    }


def charging_period(start: str, kwh: float) -> dict[str, Any]:
    return {"start_date_time": start, "dimensions": [{"type": "ENERGY", "volume": kwh}]}


def tariff(tariff_id: str = "TAR1", owner: tuple[str, str] = CPO) -> dict[str, Any]:
    return {
        "country_code": owner[0],
        "party_id": owner[1],
        "id": tariff_id,
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": 0.25, "step_size": 1}]}],
        "last_updated": STAMP,
    }


def token(uid: str = "TOK1", owner: tuple[str, str] = EMSP, **extra: Any) -> dict[str, Any]:
    return {
        "country_code": owner[0],
        "party_id": owner[1],
        "uid": uid,
        "type": "RFID",
        "contract_id": "DE-EMS-C1",
        "issuer": "eMSP One",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": STAMP,
        **extra,
    }


def cdr(cdr_id: str = "CDR1", owner: tuple[str, str] = CPO) -> dict[str, Any]:
    return {
        "country_code": owner[0],
        "party_id": owner[1],
        "id": cdr_id,
        "start_date_time": "2026-01-01T10:00:00Z",
        "end_date_time": "2026-01-01T11:00:00Z",
        "session_id": "SES1",
        "cdr_token": cdr_token(),
        "auth_method": "WHITELIST",
        "cdr_location": {
            "id": "LOC1",
            "address": "Street 1",
            "city": "Town",
            "country": "NLD",
            "coordinates": {"latitude": "52.000000", "longitude": "4.000000"},
            "evse_uid": "EVSE1",
            "evse_id": "NL*CPA*EEVSE1",
            "connector_id": "1",
            "connector_standard": "IEC_62196_T2",
            "connector_format": "SOCKET",
            "connector_power_type": "AC_3_PHASE",
        },
        "currency": "EUR",
        "charging_periods": [charging_period("2026-01-01T10:00:00Z", 10.0)],
        "total_cost": {"excl_vat": 2.5},
        "total_energy": 10.0,
        "total_time": 1.0,
        "last_updated": "2026-01-01T11:00:00Z",
    }


# --- helpers ------------------------------------------------------------------------------


async def connect_pair(connect_fake: StartFake, **cpo_kwargs: Any) -> tuple[FakePlatform, FakePlatform]:
    """A CPO (NL*CPA) and an eMSP (DE*EMS), each registered with the hub through the handshake."""
    cpo = await connect_fake([("CPO", *CPO)], name="cpo", **cpo_kwargs)
    emsp = await connect_fake([("EMSP", *EMSP)], name="emsp")
    return cpo, emsp


def functional(fake: FakePlatform, module: str | None = None) -> list[RecordedRequest]:
    """Requests the fake received on functional modules (not the hub's HubClientInfo PUTs)."""
    modules = (module,) if module else FUNCTIONAL
    return [r for m in modules for r in fake.received(module=m)]


def sent_ids(reply: Any) -> tuple[str, str]:
    """The X-Request-ID and X-Correlation-ID the fake put on its request to the hub."""
    return reply.request.headers["x-request-id"], reply.request.headers["x-correlation-id"]


def routing_of(headers: Any) -> tuple[str | None, ...]:
    return tuple(headers.get(name) for name in ROUTING)


def only_functional(hook: Hook) -> Hook:
    """A fake hook that applies to functional-module requests only (HubClientInfo stays normal)."""

    async def wrapped(request: RecordedRequest) -> Response | None:
        if not set(request.path.split("/")) & set(FUNCTIONAL):
            return None
        return await hook(request)

    return wrapped


def answer(
    body: bytes | str, status: int = 200, *, routing: tuple[str, str, str, str] | None = None, **headers: str
) -> Response:
    if routing:
        headers |= dict(zip(ROUTING, routing, strict=True))
    return Response(body, status_code=status, headers=headers, media_type="application/json")


async def count_rows(db: SessionFactory, table: str) -> int:
    async with db() as s:
        connection = await s.connection()
        return int((await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())  # noqa: S608


# --- C.30 - C.34: the forward and the answer -----------------------------------------------


async def test_item_30_forwarded_to_module_and_interface_endpoint_with_path_and_query(
    connect_fake: StartFake,
) -> None:
    # A platform with a CPO and an eMSP party, serving its API under its own paths: the hub must use
    # the endpoints the platform announced, per module AND interface role, not its own URL shapes.
    both = await connect_fake([("CPO", *CPO), ("EMSP", "NL", "EMA")], name="both", url_prefix="/platform-api/v9")
    emsp = await connect_fake([("EMSP", *EMSP), ("CPO", "DE", "CPD")], name="emsp-and-cpo")
    both.add_object("locations", location("LOC1"))
    for n in range(3):
        both.add_object("locations", location(f"LOC{n + 2}"))

    # SENDER interface, list GET with a query string (kept byte for byte, order included)
    query = "limit=2&date_from=2025-12-31T00:00:00Z&offset=1"
    listing = await emsp.request_hub("GET", f"{emsp.hub_url('locations', 'SENDER')}?{query}", to=CPO)
    assert listing.status_code == 200, listing.text
    assert [o["id"] for o in listing.json()["data"]] == ["LOC2", "LOC3"]
    (got,) = functional(both, "locations")
    assert got.method == "GET"
    assert got.path == "/platform-api/v9/ocpi/2.2.1/sender/locations"
    assert got.query == listing.request.url.query.decode()

    # SENDER interface, object GET: the path remainder after the module is appended
    connector_get = await emsp.request_hub("GET", f"{emsp.hub_url('locations', 'SENDER')}/LOC1/EVSE1/1", to=CPO)
    assert connector_get.json()["data"]["id"] == "1", connector_get.text
    assert functional(both, "locations")[-1].path == "/platform-api/v9/ocpi/2.2.1/sender/locations/LOC1/EVSE1/1"

    # RECEIVER interface of the same platform (its eMSP party): the other endpoint
    pushed = location("LOC9", owner=("DE", "CPD"))
    put = await emsp.request_hub(
        "PUT",
        f"{emsp.hub_url('locations', 'RECEIVER')}/DE/CPD/LOC9",
        json=pushed,
        to=("NL", "EMA"),
        from_=("DE", "CPD"),
    )
    assert put.status_code == 201, put.text
    last = functional(both, "locations")[-1]
    assert (last.method, last.path, last.query) == (
        "PUT",
        "/platform-api/v9/ocpi/2.2.1/receiver/locations/DE/CPD/LOC9",
        "",
    )
    assert both.store["locations"][("DE", "CPD", "LOC9")] == pushed


async def test_item_31_forwarded_request_keeps_routing_headers(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    cpo.add_object("tariffs", tariff())
    reply = await emsp.request_hub("GET", f"{emsp.hub_url('tariffs', 'SENDER')}/TAR1", to=CPO)
    assert reply.json()["status_code"] == 1000, reply.text
    (got,) = functional(cpo)
    assert routing_of(got.headers) == routing_of(reply.request.headers) == ("NL", "CPA", "DE", "EMS")
    assert decode_token(got.authorization) == cpo.inbound_token  # the receiver's token, not the sender's
    # ...and the push direction
    put = await cpo.request_hub("PUT", f"{cpo.hub_url('tariffs', 'RECEIVER')}/NL/CPA/TAR1", json=tariff(), to=EMSP)
    assert put.json()["status_code"] == 1000, put.text
    (pushed,) = functional(emsp)
    assert routing_of(pushed.headers) == ("DE", "EMS", "NL", "CPA")
    assert decode_token(pushed.authorization) == emsp.inbound_token


async def test_item_32_new_request_id_same_correlation_id(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    cpo.add_object("locations", location())
    url = f"{emsp.hub_url('locations', 'SENDER')}/LOC1"
    first = await emsp.request_hub("GET", url, to=CPO)
    second = await emsp.request_hub("GET", url, to=CPO, headers={"X-Correlation-ID": sent_ids(first)[1]})
    forwarded = functional(cpo)
    assert len(forwarded) == 2
    for reply, got in zip((first, second), forwarded, strict=True):
        request_id, correlation_id = sent_ids(reply)
        assert got.header("x-request-id") and got.header("x-request-id") != request_id
        assert got.header("x-correlation-id") == correlation_id
        uuid.UUID(got.header("x-request-id") or "")  # a UUID, as advised (transport_and_format 607)
    # the same correlation id twice, yet every forwarded request has its own request id
    assert forwarded[0].header("x-request-id") != forwarded[1].header("x-request-id")
    assert forwarded[0].header("x-correlation-id") == forwarded[1].header("x-correlation-id")


async def test_item_33_reply_carries_requesters_request_id_and_correlation_id(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    cpo.add_object("locations", location())
    reply = await emsp.request_hub("GET", f"{emsp.hub_url('locations', 'SENDER')}/LOC1", to=CPO)
    (got,) = functional(cpo)
    request_id, correlation_id = sent_ids(reply)
    # exactly one value each: the requester's, not the id the hub used toward the receiver
    assert reply.headers.get_list("x-request-id") == [request_id]
    assert reply.headers.get_list("x-correlation-id") == [correlation_id]
    assert got.header("x-request-id") != request_id


async def test_item_34_reply_passed_through_with_routing_headers(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    # an unusual but valid reply: HTTP 201, data on a PUT, a status_message, odd spacing and key order
    body = b'{"status_message": "Stored, thanks",  "data": {"id": "LOC1", "x_extra": [1, 2.50]}, '
    body += b'"timestamp": "2026-01-01T00:00:00Z", "status_code": 1000}'

    async def receiver(_: RecordedRequest) -> Response:
        return answer(body, 201, routing=("NL", "CPA", "DE", "EMS"))

    emsp.on_request = only_functional(receiver)
    url = f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC1"
    reply = await cpo.request_hub("PUT", url, json=location(), to=EMSP)
    assert reply.status_code == 201
    assert reply.content == body  # byte for byte: status_code, status_message and data
    assert routing_of(reply.headers) == ("NL", "CPA", "DE", "EMS")

    # a receiver that forgets the routing headers: the hub still answers TO = requester, FROM = receiver
    async def forgetful(_: RecordedRequest) -> Response:
        return answer(body, 200)

    emsp.on_request = only_functional(forgetful)
    again = await cpo.request_hub("PUT", url, json=location(), to=EMSP)
    assert (again.status_code, again.content) == (200, body)
    assert routing_of(again.headers) == ("NL", "CPA", "DE", "EMS")


async def test_item_35_receiver_client_and_server_errors_reach_the_requester(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    url = f"{emsp.hub_url('commands', 'RECEIVER')}/START_SESSION"
    command = {"response_url": f"{emsp.endpoint_url('commands', 'SENDER')}/START_SESSION/1", "token": token()}
    command |= {"location_id": "LOC1"}
    errors = [(2001, 400, "Missing field: currency"), (2003, 200, "Unknown location"), (3000, 500, "Database down")]
    for status_code, http_status, message in errors:
        body = dumps({"status_code": status_code, "status_message": message, "timestamp": STAMP})

        async def receiver(_: RecordedRequest, body: bytes = body, http_status: int = http_status) -> Response:
            return answer(body, http_status, routing=("DE", "EMS", "NL", "CPA"))

        cpo.on_request = only_functional(receiver)
        reply = await emsp.request_hub("POST", url, json=command, to=CPO)
        assert (reply.status_code, reply.content) == (http_status, body), reply.text
        assert routing_of(reply.headers) == ("DE", "EMS", "NL", "CPA")
    assert len(functional(cpo, "commands")) == len(errors)


# --- C.36 - C.39: hub errors ---------------------------------------------------------------


async def test_item_36_unknown_receiver_is_4001_and_nothing_forwarded(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    url = f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC1"
    reply = await cpo.request_hub("PUT", url, json=location(), to=("FR", "XYZ"))
    assert reply.status_code == 200
    assert reply.json()["status_code"] == 4001, reply.text
    assert sent_ids(reply) == (reply.headers["x-request-id"], reply.headers["x-correlation-id"])
    assert not functional(emsp) and not functional(cpo)


async def test_item_37_suspended_receiver_is_4003(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    assert (await emsp.unregister_at_hub()).status_code == 200  # DELETE credentials: SUSPENDED
    reply = await cpo.request_hub(
        "PUT", f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC1", json=location(), to=EMSP
    )
    assert (reply.status_code, reply.json()["status_code"]) == (200, 4003), reply.text
    assert not functional(emsp)


@pytest.mark.hub_settings(still_alive_seconds=0.3, liveness_check_seconds=0.1)
async def test_item_37_offline_receiver_is_4003(connect_fake: StartFake, admin: PlatformAdmin) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    emsp.versions_failure = "500"  # the hub's still-alive check (GET versions) fails from now on
    assert emsp.platform_id is not None

    async def status() -> str:
        (platform,) = await admin.describe(platform_id=emsp.platform_id)
        return str(platform["status"])

    async with asyncio.timeout(10):
        while await status() != "OFFLINE":
            await asyncio.sleep(0.05)
    reply = await cpo.request_hub(
        "PUT", f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC1", json=location(), to=EMSP
    )
    assert (reply.status_code, reply.json()["status_code"]) == (200, 4003), reply.text
    assert not functional(emsp)


async def test_item_37_planned_receiver_is_4003(connect_fake: StartFake, admin: PlatformAdmin) -> None:
    cpo = await connect_fake([("CPO", *CPO)], name="cpo")
    await admin.add(name="planned-emsp", roles=[parse_role("EMSP:DE:PLN")])  # declared, not registered yet
    reply = await cpo.request_hub(
        "PUT", f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC1", json=location(), to=("DE", "PLN")
    )
    assert (reply.status_code, reply.json()["status_code"]) == (200, 4003), reply.text


@pytest.mark.hub_settings(request_timeout_seconds=0.5)
async def test_item_38_receiver_too_slow_is_4002(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    release = asyncio.Event()

    async def slow(_: RecordedRequest) -> Response | None:
        async with asyncio.timeout(5):
            await release.wait()
        return None

    emsp.on_request = only_functional(slow)
    started = time.monotonic()
    try:
        reply = await cpo.request_hub(
            "PUT", f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC1", json=location(), to=EMSP
        )
    finally:
        release.set()
    elapsed = time.monotonic() - started
    assert (reply.status_code, reply.json()["status_code"]) == (200, 4002), reply.text
    assert 0.4 <= elapsed < 5.0  # the timeout, not the receiver's pace
    assert reply.headers["x-request-id"] == sent_ids(reply)[0]
    assert len(functional(emsp)) == 1


async def test_item_39_receiver_without_the_module_interface_is_4001(connect_fake: StartFake) -> None:
    cpo = await connect_fake([("CPO", *CPO)], name="cpo")
    emsp = await connect_fake([("EMSP", *EMSP)], name="emsp", omit_endpoints=("tariffs",))
    # the eMSP implements no tariffs endpoint at all
    put = await cpo.request_hub("PUT", f"{cpo.hub_url('tariffs', 'RECEIVER')}/NL/CPA/TAR1", json=tariff(), to=EMSP)
    # ...and locations only as RECEIVER, so a GET on the SENDER interface has nowhere to go
    get = await cpo.request_hub("GET", f"{cpo.hub_url('locations', 'SENDER')}/LOC1", to=EMSP)
    for reply in (put, get):
        assert (reply.status_code, reply.json()["status_code"]) == (200, 4001), reply.text
    assert not functional(emsp)


# --- C.40 - C.43: headers and pushes ---------------------------------------------------------


async def test_item_40_routing_headers_compared_case_insensitively(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    url = f"{cpo.hub_url('locations', 'RECEIVER')}/nl/cpa/LOC1"
    reply = await cpo.request_hub("PUT", url, json=location(), to=("de", "ems"), from_=("nl", "Cpa"))
    assert reply.json()["status_code"] == 1000, reply.text
    (got,) = functional(emsp)
    assert got.path == "/ocpi/2.2.1/receiver/locations/nl/cpa/LOC1"
    assert routing_of(got.headers) == ("de", "ems", "nl", "Cpa")  # forwarded as received


async def test_item_41_from_not_among_the_senders_roles_is_2001(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    other = await connect_fake([("EMSP", "BE", "OTH")], name="other")
    url = f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC1"
    for from_ in (EMSP, ("de", "ems"), ("FR", "XYZ")):  # another platform's party (any case), an unknown one
        reply = await cpo.request_hub("PUT", url, json=location(), to=("BE", "OTH"), from_=from_)
        assert reply.json()["status_code"] == 2001, (from_, reply.text)
        assert reply.status_code in (200, 400)
    # half a routing header pair is refused the same way
    half = await cpo.request_hub("PUT", url, json=location(), headers={"OCPI-to-country-code": "BE"})
    assert half.json()["status_code"] == 2001, half.text
    assert not functional(other) and not functional(emsp)


async def test_item_42_client_owned_object_push_arrives_unchanged(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    base = cpo.hub_url("locations", "RECEIVER")
    stamp = "2015-06-29T20:39:09.2Z"  # fractional, and years old: the hub must not touch it
    whole = dumps(location(last_updated=stamp))
    one_evse = json.dumps(evse("EVSE2", last_updated=stamp), indent=1).encode()  # any formatting
    patch = b'{"status":"CHARGING","last_updated":"2015-06-29T20:39:09"}'
    for method, path, body in (
        ("PUT", "/NL/CPA/LOC1", whole),
        ("PUT", "/NL/CPA/LOC1/EVSE2", one_evse),
        ("PATCH", "/NL/CPA/LOC1/EVSE2", patch),
    ):
        reply = await cpo.request_hub(
            method, base + path, content=body, headers={"Content-Type": "application/json"}, to=EMSP
        )
        assert reply.json()["status_code"] == 1000, reply.text
        got = functional(emsp)[-1]
        assert (got.method, got.path, got.body) == (method, f"/ocpi/2.2.1/receiver/locations{path}", body)
        assert got.header("content-type") == "application/json"
    assert emsp.store["locations"][("NL", "CPA", "LOC1")]["last_updated"] == stamp
    assert emsp.store["locations"][("NL", "CPA", "LOC1", "EVSE2")]["status"] == "CHARGING"


async def test_item_43_url_owner_or_id_differs_from_body_is_2001(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    cases: list[tuple[FakePlatform, tuple[str, str], str, str, dict[str, Any]]] = [
        (cpo, EMSP, "locations", "/NL/CPA/LOC1", location(owner=("NL", "XXX"))),
        (cpo, EMSP, "locations", "/NL/CPA/LOC1", location(owner=("BE", "CPA"))),
        (cpo, EMSP, "locations", "/NL/CPA/LOC1", location("LOC2")),
        (cpo, EMSP, "locations", "/NL/CPA/LOC1/EVSE1", evse("EVSE2")),
        (cpo, EMSP, "locations", "/DE/EMS/LOC1", location(owner=EMSP)),  # URL owner is not the sender
        (cpo, EMSP, "sessions", "/NL/CPA/SES1", session(owner=("NL", "XXX"))),
        (cpo, EMSP, "tariffs", "/NL/CPA/TAR1", tariff(owner=("BE", "CPA"))),
        (emsp, CPO, "tokens", "/DE/EMS/TOK1", token(owner=("DE", "XXX"))),
        (emsp, CPO, "tokens", "/DE/EMS/TOK1", token("TOK2")),
    ]
    for sender, to, module, path, body in cases:
        reply = await sender.request_hub("PUT", sender.hub_url(module, "RECEIVER") + path, json=body, to=to)
        assert reply.json()["status_code"] == 2001, (module, path, reply.text)
    assert not functional(emsp) and not functional(cpo)


async def test_item_42_object_ids_needing_percent_encoding_arrive_unchanged(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    base = cpo.hub_url("locations", "RECEIVER")
    # CiString ids are printable ASCII: the CPO checks its objects in the eMSP's system by id; an
    # encoded `/` or `\` is refused (issue 12: it would let a path escape its endpoint), the rest kept
    for encoded in ("A%2FB", "A%5CB"):
        refused = await cpo.request_hub("GET", f"{base}/NL/CPA/{encoded}", to=EMSP)
        assert (refused.status_code, refused.json()["status_code"]) == (400, 2001), refused.text
        assert "location_id" in refused.json()["status_message"]
    assert not functional(emsp)
    for encoded in ("LOC%201", "Q%3FX", "H%23X", "P%25X"):
        await cpo.request_hub("GET", f"{base}/NL/CPA/{encoded}", to=EMSP)
        got = functional(emsp)[-1]
        assert got.raw_path is not None
        prefix, _, last = got.raw_path.rpartition("/")
        assert (prefix, unquote(last), got.query) == ("/ocpi/2.2.1/receiver/locations/NL/CPA", unquote(encoded), ""), (
            encoded,
            got.raw_path,
            got.query,
        )


async def test_item_43_body_id_differing_from_a_percent_encoded_url_id_is_2001(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    url = f"{cpo.hub_url('sessions', 'RECEIVER')}/NL/CPA/S%3F1"  # the session id is "S?1"
    good = await cpo.request_hub("PUT", url, json=session("S?1"), to=EMSP)
    assert good.json()["status_code"] == 1000, good.text
    bad = await cpo.request_hub("PUT", url, json=session("OTHER"), to=EMSP)
    assert bad.json()["status_code"] == 2001, bad.text
    assert len(functional(emsp)) == 1


# --- C.44 - C.45 -------------------------------------------------------------------------------


async def test_item_44_chain_of_hubs_keeps_routing_headers(
    connect_fake: StartFake, admin: PlatformAdmin, db: SessionFactory, start_fake: StartFake, hub_mounts: dict[str, Any]
) -> None:
    cpo = await connect_fake([("CPO", *CPO)], name="cpo")
    # hub B, a 2.2.1 hub (its credentials carry role HUB only), connects the eMSP DE*MS1; our operator
    # declares hub B an upstream OCPI hub (profile spec) through which DE*MS1 is reachable
    hub_b = await start_fake([("HUB", "DE", "HB2")], mounts=hub_mounts, name="Hub B")
    upstreams = UpstreamAdmin(admin, db)
    added = await upstreams.add(name="hub-b", kind="ocpi", hub_role="HUB:DE:HB2", routes=[parse_route("EMSP:DE:MS1")])
    await hub_b.register_with_hub(HUB_VERSIONS_URL, added.token_a)
    reply = await cpo.request_hub(
        "PUT", f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC1", json=location(), to=("DE", "MS1")
    )
    assert reply.json()["status_code"] == 1000, reply.text
    (got,) = functional(hub_b)
    # every hop keeps TO = the final receiver and FROM = the original sender (chains of hubs)
    assert routing_of(got.headers) == ("DE", "MS1", "NL", "CPA")
    assert got.path.endswith("/NL/CPA/LOC1")


@pytest.mark.hub_settings(request_timeout_seconds=0.5)
async def test_item_45_failed_push_is_neither_retried_nor_queued(connect_fake: StartFake, db: SessionFactory) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    outbox_before = await count_rows(db, "outbox_message")  # HubClientInfo PUTs of the registrations
    release = asyncio.Event()
    mode = {"fail": "hang"}

    async def failing(_: RecordedRequest) -> Response | None:
        if mode["fail"] == "hang":
            async with asyncio.timeout(5):
                await release.wait()
            return None
        body = dumps({"status_code": 3000, "status_message": "try later", "timestamp": STAMP})
        return answer(body, 503, routing=("NL", "CPA", "DE", "EMS"))

    emsp.on_request = only_functional(failing)
    url = f"{cpo.hub_url('sessions', 'RECEIVER')}/NL/CPA/SES1"
    try:
        timed_out = await cpo.request_hub("PUT", url, json=session(), to=EMSP)
    finally:
        release.set()
    assert timed_out.json()["status_code"] == 4002, timed_out.text
    mode["fail"] = "503"
    refused = await cpo.request_hub("PUT", url, json=session(), to=EMSP)
    assert (refused.status_code, refused.json()["status_code"]) == (503, 3000)
    # one attempt each (PUT is idempotent, still not retried), and nothing queued for later
    assert len(functional(emsp)) == 2
    assert await count_rows(db, "outbox_message") == outbox_before
    # the receiver is healthy again: the next push goes through, and only that one arrives
    emsp.on_request = None
    url2 = f"{cpo.hub_url('sessions', 'RECEIVER')}/NL/CPA/SES2"
    ok = await cpo.request_hub("PUT", url2, json=session("SES2"), to=EMSP)
    assert ok.json()["status_code"] == 1000, ok.text
    # SES2 went to the same receiver after both answers for SES1 were back, and the hub owes that
    # receiver nothing (no row queued, the outbox drained): no copy of SES1 is left to arrive
    await outbox_drained(db)
    assert await count_rows(db, "outbox_message") == outbox_before
    assert [r.path.rsplit("/", 1)[-1] for r in functional(emsp)] == ["SES1", "SES1", "SES2"]
