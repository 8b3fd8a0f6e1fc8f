"""Broadcast Push through the hub (requirements §3.4, checklist D 46-52), front door only:
fake platforms on loopback sockets push to the hub (OCPI-to = the hub) and the test watches
what every other platform receives. "Nothing else arrived" is asserted once the outbox has
drained (tests.drain), not after a pause."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlmodel import select
from starlette.responses import Response

from hub.db.db import SessionFactory
from hub.db.models import Broadcast, OutboxMessage
from hub.registration.platforms import PlatformAdmin, parse_role
from tests.conftest import StartFake
from tests.drain import outbox_drained
from tests.fakes.ocpi import RecordedRequest, decode_token, envelope, new_id, reply
from tests.fakes.party import FakePlatform
from tests.helpers import HUB_URL

HUB = ("NL", "HUB")
V = f"{HUB_URL}/ocpi/2.2.1"
LOCATION_PATH = "/ocpi/2.2.1/receiver/locations/NL/CPA/LOC1"


def location(
    loc_id: str = "LOC1", *, cc: str = "NL", pid: str = "CPA", at: str = "2026-01-01T00:00:00Z"
) -> dict[str, Any]:
    return {
        "country_code": cc,
        "party_id": pid,
        "id": loc_id,
        "publish": True,
        "address": "Street 1",
        "city": "Town",
        "country": "NLD",
        "coordinates": {"latitude": "52.000000", "longitude": "4.000000"},
        "time_zone": "Europe/Amsterdam",
        "last_updated": at,
    }


def token(uid: str, *, cc: str, pid: str) -> dict[str, Any]:
    return {
        "country_code": cc,
        "party_id": pid,
        "uid": uid,
        "type": "RFID",
        "contract_id": f"{cc}-{pid}-C{uid}",
        "issuer": "Issuer",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2026-01-01T00:00:00Z",
    }


def pushes(fake: FakePlatform, module: str = "locations") -> list[RecordedRequest]:
    return [r for r in fake.received(module=module) if r.method in ("PUT", "PATCH", "POST", "DELETE")]


def to_party(request: RecordedRequest) -> tuple[str | None, str | None]:
    return request.header("ocpi-to-country-code"), request.header("ocpi-to-party-id")


async def outbox_rows(db: SessionFactory, module: str) -> list[OutboxMessage]:
    async with db() as session:
        query = select(OutboxMessage).where(OutboxMessage.module == module).order_by(OutboxMessage.id)  # type: ignore[arg-type]
        return list((await session.exec(query)).all())


def assert_answer_from_hub(answer: Any, pusher: tuple[str, str]) -> None:
    assert answer.status_code == 200, answer.text
    assert answer.json()["status_code"] == 1000, answer.text
    assert (answer.headers["ocpi-to-country-code"], answer.headers["ocpi-to-party-id"]) == pusher
    assert (answer.headers["ocpi-from-country-code"], answer.headers["ocpi-from-party-id"]) == HUB


async def test_item_46_cpo_broadcast_answered_then_sent_to_emsp_nsp_other(
    connect_fake: StartFake, db: SessionFactory
) -> None:
    gate = asyncio.Event()

    async def held(req: RecordedRequest) -> Response | None:
        if "/locations/" in req.path:
            await gate.wait()  # the eMSP answers only when the test lets it
        return None

    emsp = await connect_fake([("EMSP", "DE", "EMS")], on_request=held)
    nsp = await connect_fake([("NSP", "BE", "NSP")])
    other = await connect_fake([("OTHER", "FR", "OTH")], extra_endpoints=["locations:RECEIVER"])
    other_without_module = await connect_fake([("OTHER", "FR", "OTX")])
    other_cpo = await connect_fake([("CPO", "DE", "CPB")], extra_endpoints=["locations:RECEIVER"])
    cpo = await connect_fake([("CPO", "NL", "CPA")])

    try:
        # the eMSP holds its copy until the test lets go: the pusher's answer must not wait for it
        put = await asyncio.wait_for(
            cpo.request_hub("PUT", V + "/receiver/locations/NL/CPA/LOC1", json=location(), to=HUB), 5
        )
        assert_answer_from_hub(put, ("NL", "CPA"))
        receivers = (emsp, nsp, other)
        await nsp.wait_for(lambda: all(len(pushes(f)) == 1 for f in receivers), timeout=10)
    finally:
        gate.set()

    patch_body = {"address": "Street 2", "last_updated": "2026-01-02T00:00:00Z"}
    patch = await cpo.request_hub("PATCH", V + "/receiver/locations/NL/CPA/LOC1", json=patch_body, to=HUB)
    assert_answer_from_hub(patch, ("NL", "CPA"))
    await emsp.wait_for(lambda: all(len(pushes(f)) == 2 for f in receivers), timeout=10)
    await outbox_drained(db, module="locations")

    for fake in receivers:
        assert [(r.method, r.path) for r in pushes(fake)] == [("PUT", LOCATION_PATH), ("PATCH", LOCATION_PATH)]
        assert pushes(fake)[1].json == patch_body
    # a CPO (even one announcing a locations RECEIVER), a party without the module and the pusher: nothing
    for fake in (other_cpo, other_without_module, cpo):
        assert pushes(fake) == []


async def test_item_47_fanned_out_request_headers_and_url(connect_fake: StartFake) -> None:
    emsp = await connect_fake([("EMSP", "DE", "EMS")])
    nsp = await connect_fake([("NSP", "BE", "NSP")])
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    request_id, correlation_id = new_id(), new_id()
    body = location()
    answer = await cpo.request_hub(
        "PUT",
        V + "/receiver/locations/NL/CPA/LOC1",
        json=body,
        to=HUB,
        headers={"X-Request-ID": request_id, "X-Correlation-ID": correlation_id},
    )
    assert_answer_from_hub(answer, ("NL", "CPA"))
    assert answer.headers["x-request-id"] == request_id
    assert answer.headers["x-correlation-id"] == correlation_id
    await emsp.wait_for(lambda: pushes(emsp) and pushes(nsp), timeout=10)

    sent = {"EMS": pushes(emsp)[0], "NSP": pushes(nsp)[0]}
    for (party, fake), request in zip(((("DE", "EMS"), emsp), (("BE", "NSP"), nsp)), sent.values(), strict=True):
        assert request.method == "PUT"
        # the Client Owned Object URL keeps the pusher's country code and party id, not the hub's
        assert request.path == LOCATION_PATH
        assert request.routing == {
            "ocpi-to-country-code": party[0],
            "ocpi-to-party-id": party[1],
            "ocpi-from-country-code": "NL",
            "ocpi-from-party-id": "HUB",
        }
        assert request.header("x-correlation-id") == correlation_id
        assert request.header("x-request-id") not in (None, "", request_id)
        assert decode_token(request.authorization) == fake.inbound_token
        assert (request.header("content-type") or "").startswith("application/json")
        assert request.json == body  # last_updated and everything else unchanged
    assert sent["EMS"].header("x-request-id") != sent["NSP"].header("x-request-id")


async def test_item_48_emsp_and_other_broadcasts_reach_only_cpos(connect_fake: StartFake, db: SessionFactory) -> None:
    able = ["tokens:RECEIVER"]  # every non-CPO receiver could take tokens: only the role keeps them out
    cpo_a = await connect_fake([("CPO", "NL", "CPA")])
    cpo_b = await connect_fake([("CPO", "BE", "CPB")])
    emsp_b = await connect_fake([("EMSP", "DE", "EMB")], extra_endpoints=able)
    nsp = await connect_fake([("NSP", "BE", "NSP")], extra_endpoints=able)
    other_b = await connect_fake([("OTHER", "FR", "OTB")], extra_endpoints=able)
    emsp = await connect_fake([("EMSP", "DE", "EMS")])
    other = await connect_fake([("OTHER", "FR", "OTH")])

    for pusher, (cc, pid) in ((emsp, ("DE", "EMS")), (other, ("FR", "OTH"))):
        url = f"{V}/receiver/tokens/{cc}/{pid}/UID-{pid}"
        answer = await pusher.request_hub("PUT", url, json=token(f"UID-{pid}", cc=cc, pid=pid), to=HUB)
        assert_answer_from_hub(answer, (cc, pid))
    await cpo_a.wait_for(lambda: len(pushes(cpo_a, "tokens")) == 2 and len(pushes(cpo_b, "tokens")) == 2, timeout=10)
    await outbox_drained(db, module="tokens")

    for cpo, party in ((cpo_a, ("NL", "CPA")), (cpo_b, ("BE", "CPB"))):
        assert [r.path for r in pushes(cpo, "tokens")] == [
            "/ocpi/2.2.1/receiver/tokens/DE/EMS/UID-EMS",
            "/ocpi/2.2.1/receiver/tokens/FR/OTH/UID-OTH",
        ]
        assert {to_party(r) for r in pushes(cpo, "tokens")} == {party}
    for fake in (emsp_b, nsp, other_b, emsp, other):
        assert pushes(fake, "tokens") == []
    assert {(m.to_country_code, m.to_party_id) for m in await outbox_rows(db, "tokens")} == {
        ("NL", "CPA"),
        ("BE", "CPB"),
    }


async def test_item_49_one_request_per_party_on_a_multi_party_platform(
    connect_fake: StartFake, db: SessionFactory
) -> None:
    multi = await connect_fake(
        [("EMSP", "DE", "EM1"), ("EMSP", "DE", "EM2"), ("EMSP", "DE", "EM3"), ("CPO", "DE", "CPX")]
    )
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    answer = await cpo.request_hub("PUT", V + "/receiver/locations/NL/CPA/LOC1", json=location(), to=HUB)
    assert_answer_from_hub(answer, ("NL", "CPA"))
    await multi.wait_for(lambda: len(pushes(multi)) >= 3, timeout=10)
    await outbox_drained(db, module="locations")

    received = pushes(multi)
    assert sorted(to_party(r) for r in received) == [("DE", "EM1"), ("DE", "EM2"), ("DE", "EM3")]  # not CPX
    assert {r.path for r in received} == {LOCATION_PATH}
    assert len({r.header("x-request-id") for r in received}) == 3


async def test_item_50_receiver_errors_not_propagated_to_the_pusher(
    connect_fake: StartFake, db: SessionFactory
) -> None:
    async def refuse(req: RecordedRequest) -> Response | None:
        if "/locations/" in req.path:
            return reply(envelope(status_code=2001, status_message="I do not want this"), 400)
        return None

    refusing = await connect_fake([("EMSP", "DE", "EMR")], on_request=refuse)
    willing = await connect_fake([("EMSP", "DE", "EMS")])
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    for n, loc_id in enumerate(("LOC1", "LOC2")):
        answer = await cpo.request_hub(
            "PUT",
            f"{V}/receiver/locations/NL/CPA/{loc_id}",
            json=location(loc_id, at=f"2026-01-0{n + 1}T00:00:00Z"),
            to=HUB,
        )
        assert_answer_from_hub(answer, ("NL", "CPA"))
        assert "status_message" not in answer.json()
    await willing.wait_for(lambda: len(pushes(willing)) == 2 and len(pushes(refusing)) == 2, timeout=10)
    await outbox_drained(db, module="locations")

    assert len(pushes(refusing)) == 2  # a refusal is final: not retried, and it does not block the next one
    # the hub told the pusher nothing about it (ClientInfo pushes aside)
    assert [r for r in cpo.requests if "/hubclientinfo/" not in r.path and r not in cpo.handshake_requests] == []
    statuses = {(m.to_party_id, m.rest): m.status for m in await outbox_rows(db, "locations")}
    assert statuses == {
        ("EMR", "NL/CPA/LOC1"): "rejected",
        ("EMR", "NL/CPA/LOC2"): "rejected",
        ("EMS", "NL/CPA/LOC1"): "delivered",
        ("EMS", "NL/CPA/LOC2"): "delivered",
    }


async def test_item_51_get_of_one_object_addressed_to_the_hub_is_2001(
    connect_fake: StartFake, db: SessionFactory
) -> None:
    emsp = await connect_fake([("EMSP", "DE", "EMS")])
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    cpo.add_object("locations", location())
    await cpo.request_hub("PUT", V + "/receiver/locations/NL/CPA/LOC1", json=location(), to=HUB)
    await emsp.wait_for(lambda: pushes(emsp), timeout=10)
    seen = (len(cpo.requests), len(emsp.requests))

    for fake, path in (
        (emsp, "/sender/locations/LOC1"),
        (emsp, "/sender/locations/LOC1/EVSE1"),
        (emsp, "/receiver/locations/NL/CPA/LOC1"),  # not its own object
    ):
        answer = await fake.request_hub("GET", V + path, to=HUB)
        assert answer.json()["status_code"] == 2001, (path, answer.text)
        assert answer.status_code in (200, 400)
    # the owner's GET of what it pushed is answered from the hub's store, and not sent on either
    own = await cpo.request_hub("GET", V + "/receiver/locations/NL/CPA/LOC1", to=HUB)
    assert own.json()["status_code"] == 1000 and own.json()["data"]["id"] == "LOC1", own.text
    await outbox_drained(db, module="locations")
    assert (len(cpo.requests), len(emsp.requests)) == seen
    async with db() as session:
        assert len((await session.exec(select(Broadcast))).all()) == 1  # only the PUT


async def test_stale_broadcast_is_answered_but_not_sent_on(connect_fake: StartFake, db: SessionFactory) -> None:
    emsp = await connect_fake([("EMSP", "DE", "EMS")])
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    await cpo.request_hub(
        "PUT", V + "/receiver/locations/NL/CPA/LOC1", json=location(at="2026-01-02T00:00:00Z"), to=HUB
    )
    older = location(at="2026-01-01T00:00:00Z") | {"address": "Old street"}
    stale = await cpo.request_hub("PUT", V + "/receiver/locations/NL/CPA/LOC1", json=older, to=HUB)
    assert_answer_from_hub(stale, ("NL", "CPA"))
    assert stale.json().get("status_message"), stale.text
    newer = location(at="2026-01-03T00:00:00Z") | {"address": "New street"}
    await cpo.request_hub("PUT", V + "/receiver/locations/NL/CPA/LOC1", json=newer, to=HUB)
    await emsp.wait_for(lambda: len(pushes(emsp)) == 2, timeout=10)
    await outbox_drained(db, module="locations")
    assert [r.json["last_updated"] for r in pushes(emsp)] == ["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"]
    listing = await emsp.request_hub("GET", V + "/sender/locations", to=HUB)
    assert listing.json()["data"] == [newer]


@pytest.mark.hub_settings(still_alive_seconds=0.5, liveness_check_seconds=0.1)
async def test_item_52_parties_not_connected_are_skipped(
    connect_fake: StartFake, admin: PlatformAdmin, db: SessionFactory
) -> None:
    watcher = await connect_fake([("EMSP", "DE", "EMS")])
    offline = await connect_fake([("EMSP", "DE", "EMO")])
    suspended = await connect_fake([("EMSP", "DE", "EMX")])
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    await admin.add(name="planned", roles=[parse_role("EMSP:DE:EMP")])  # PLANNED: never connected

    def statuses(party: str) -> list[str]:
        return [r.json["status"] for r in watcher.received(module="hubclientinfo") if r.path.endswith(f"/DE/{party}")]

    assert (await suspended.unregister_at_hub()).json()["status_code"] == 1000
    offline.versions_failure = "500"  # the still-alive check fails: the hub marks it OFFLINE
    await watcher.wait_for(
        lambda: statuses("EMO")[-1:] == ["OFFLINE"] and statuses("EMX")[-1:] == ["SUSPENDED"], timeout=10
    )

    await cpo.request_hub("PUT", V + "/receiver/locations/NL/CPA/LOC1", json=location(), to=HUB)
    await watcher.wait_for(lambda: pushes(watcher), timeout=10)
    await outbox_drained(db, module="locations")
    assert pushes(offline) == [] and pushes(suspended) == []
    assert {(m.to_party_id, m.status) for m in await outbox_rows(db, "locations")} == {("EMS", "delivered")}

    offline.versions_failure = None  # answers again: CONNECTED, and new broadcasts reach it
    await watcher.wait_for(lambda: statuses("EMO")[-1:] == ["CONNECTED"], timeout=10)
    await cpo.request_hub(
        "PUT", V + "/receiver/locations/NL/CPA/LOC2", json=location("LOC2", at="2026-01-02T00:00:00Z"), to=HUB
    )
    await offline.wait_for(lambda: pushes(offline), timeout=10)
    await outbox_drained(db, module="locations")
    # what was broadcast while it was OFFLINE is not queued for it (mod_hub_client_info 26-40)
    assert [r.path for r in pushes(offline)] == ["/ocpi/2.2.1/receiver/locations/NL/CPA/LOC2"]
    assert pushes(suspended) == []
