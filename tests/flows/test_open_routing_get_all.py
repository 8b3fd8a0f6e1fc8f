"""Open Routing and GET All via the hub (requirements §3.5-3.6, checklist E 53-59), front door
only: the hub learns owners from pushes that pass through it, then routes requests without
OCPI-to headers, and serves combined lists from its store."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from hub.admin.agreements import AgreementAdmin
from hub.db.db import SessionFactory
from hub.registration.platforms import PlatformAdmin
from tests.conftest import StartFake
from tests.drain import outbox_drained
from tests.fakes.party import FakePlatform
from tests.helpers import HUB_URL

HUB = ("NL", "HUB")
V = f"{HUB_URL}/ocpi/2.2.1"


def location(loc_id: str, *, cc: str = "NL", pid: str = "CPA", at: str = "2026-01-01T00:00:00Z") -> dict[str, Any]:
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
        "evses": [{"uid": "EVSE1", "evse_id": f"{cc}*{pid}*E1", "status": "AVAILABLE", "last_updated": at}],
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


def routing_of(answer: httpx.Response) -> tuple[tuple[str, str], tuple[str, str]]:
    h = answer.headers
    return (h["ocpi-to-country-code"], h["ocpi-to-party-id"]), (h["ocpi-from-country-code"], h["ocpi-from-party-id"])


def functional(fake: FakePlatform) -> list[Any]:
    """What a fake received besides the handshake and ClientInfo pushes."""
    return [r for r in fake.requests if r not in fake.handshake_requests and "/hubclientinfo/" not in r.path]


async def broadcast(fake: FakePlatform, module: str, obj: dict[str, Any], object_id: str) -> None:
    url = f"{V}/receiver/{module}/{obj['country_code']}/{obj['party_id']}/{object_id}"
    answer = await fake.request_hub("PUT", url, json=obj, to=HUB)
    assert answer.json()["status_code"] == 1000, answer.text


async def open_request(fake: FakePlatform, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """A request without OCPI-to headers (FROM given, as a multi-party platform must)."""
    cc, pid = fake.parties[0]
    headers = {"OCPI-from-country-code": cc, "OCPI-from-party-id": pid}
    return await fake.request_hub(method, V + path, headers=headers, **kwargs)


# --- Open Routing -----------------------------------------------------------------------------


async def test_item_53_54_55_authorize_routed_to_the_token_owner(
    connect_fake: StartFake, hub_app: Starlette, db: SessionFactory
) -> None:
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    owner = await connect_fake([("EMSP", "DE", "EMS")])
    routed_owner = await connect_fake([("EMSP", "DE", "EMT")])
    owner.add_object("tokens", token("TOK1", cc="DE", pid="EMS"))
    routed_owner.add_object("tokens", token("TOK2", cc="DE", pid="EMT"))
    # learned from a broadcast (stored in the accepting transaction) ...
    await broadcast(owner, "tokens", token("TOK1", cc="DE", pid="EMS"), "TOK1")
    # ... and from a push routed party to party (stored in the background)
    pushed = await routed_owner.request_hub(
        "PUT", f"{V}/receiver/tokens/DE/EMT/TOK2", json=token("TOK2", cc="DE", pid="EMT"), to=("NL", "CPA")
    )
    assert pushed.json()["status_code"] == 1000, pushed.text
    await hub_app.state.hub.store_writer.drain()

    for uid, fake, party in (("TOK1", owner, ("DE", "EMS")), ("TOK2", routed_owner, ("DE", "EMT"))):
        answer = await open_request(cpo, "POST", f"/sender/tokens/{uid}/authorize", params={"type": "RFID"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["status_code"] == 1000, answer.text
        assert answer.json()["data"]["allowed"] == "ALLOWED"
        assert answer.json()["data"]["token"]["uid"] == uid
        assert routing_of(answer) == (("NL", "CPA"), party)  # item 55: TO = requester, FROM = actual receiver
        got = [r for r in fake.received(module="tokens") if r.path.endswith("/authorize")]
        assert [r.path for r in got] == [f"/ocpi/2.2.1/sender/tokens/{uid}/authorize"]
        assert got[0].query_params == {"type": "RFID"}
        assert got[0].routing == {
            "ocpi-to-country-code": party[0],
            "ocpi-to-party-id": party[1],
            "ocpi-from-country-code": "NL",
            "ocpi-from-party-id": "CPA",
        }
    assert len([r for r in owner.received(module="tokens") if r.path.endswith("/authorize")]) == 1

    # item 54: an owner the hub cannot tell -> 4001, nothing forwarded
    seen = [len(functional(f)) for f in (owner, routed_owner)]
    unknown = await open_request(cpo, "POST", "/sender/tokens/NOBODY/authorize")
    assert unknown.json()["status_code"] == 4001, unknown.text
    await outbox_drained(db)  # answered, and the hub owes nobody anything
    assert [len(functional(f)) for f in (owner, routed_owner)] == seen


async def test_item_53_55_location_get_and_command_routed_to_the_cpo(connect_fake: StartFake) -> None:
    emsp = await connect_fake([("EMSP", "DE", "EMS")])
    cpo = await connect_fake([("CPO", "NL", "CPA")], callback_delay=3600)
    other_cpo = await connect_fake([("CPO", "BE", "CPB")])
    cpo.add_object("locations", location("LOC1"))
    await broadcast(cpo, "locations", location("LOC1"), "LOC1")
    await broadcast(other_cpo, "locations", location("LOC9", cc="BE", pid="CPB"), "LOC9")

    for path, wanted in (("/sender/locations/LOC1", "LOC1"), ("/sender/locations/LOC1/EVSE1", "EVSE1")):
        answer = await open_request(emsp, "GET", path)
        assert answer.json()["status_code"] == 1000, answer.text
        data = answer.json()["data"]
        assert data.get("id", data.get("uid")) == wanted
        assert routing_of(answer) == (("DE", "EMS"), ("NL", "CPA"))
    got = cpo.received(module="locations", method="GET")
    assert [r.path for r in got] == ["/ocpi/2.2.1/sender/locations/LOC1", "/ocpi/2.2.1/sender/locations/LOC1/EVSE1"]
    assert {r.header("ocpi-to-party-id") for r in got} == {"CPA"}
    assert {r.header("ocpi-from-party-id") for r in got} == {"EMS"}

    # a POST without TO: the CPO of the body's location_id
    command = {
        "response_url": f"{emsp.endpoint_url('commands', 'SENDER')}/START_SESSION/1",  # under its own endpoint
        "token": token("TOK1", cc="DE", pid="EMS"),
        "location_id": "LOC1",
        "evse_uid": "EVSE1",
    }
    started = await open_request(emsp, "POST", "/receiver/commands/START_SESSION", json=command)
    assert started.json()["status_code"] == 1000, started.text
    assert routing_of(started) == (("DE", "EMS"), ("NL", "CPA"))
    posted = cpo.received(module="commands", method="POST")
    assert [r.path for r in posted] == ["/ocpi/2.2.1/receiver/commands/START_SESSION"]
    assert posted[0].header("ocpi-to-party-id") == "CPA"
    assert functional(other_cpo) == []

    # unknown location -> 4001, nothing forwarded
    missing = await open_request(emsp, "GET", "/sender/locations/NOWHERE")
    assert missing.json()["status_code"] == 4001, missing.text
    assert len(cpo.received(module="locations", method="GET")) == 2


async def test_item_53_put_and_delete_routed_to_the_cpo_of_the_session(
    connect_fake: StartFake, hub_app: Starlette
) -> None:
    emsp = await connect_fake([("EMSP", "DE", "EMS")])
    cpo = await connect_fake([("CPO", "NL", "CPA")], callback_delay=3600)
    other_cpo = await connect_fake([("CPO", "BE", "CPB")])
    session = {
        "country_code": "NL",
        "party_id": "CPA",
        "id": "SES1",
        "start_date_time": "2026-01-01T00:00:00Z",
        "kwh": 0.0,
        "cdr_token": {
            "country_code": "DE",
            "party_id": "EMS",
            "uid": "TOK1",
            "type": "RFID",
            "contract_id": "DE-EMS-C1",
        },
        "auth_method": "WHITELIST",
        "location_id": "LOC1",
        "evse_uid": "EVSE1",
        "connector_id": "1",
        "currency": "EUR",
        "status": "ACTIVE",
        "last_updated": "2026-01-01T00:00:00Z",
    }
    # the hub learns who owns SES1 from the session push it routes to the eMSP
    pushed = await cpo.request_hub("PUT", f"{V}/receiver/sessions/NL/CPA/SES1", json=session, to=("DE", "EMS"))
    assert pushed.json()["status_code"] == 1000, pushed.text
    await hub_app.state.hub.store_writer.drain()

    preferences = {"profile_type": "FAST", "departure_time": "2026-01-01T08:00:00Z", "energy_need": 20}
    put = await open_request(emsp, "PUT", "/sender/sessions/SES1/charging_preferences", json=preferences)
    assert routing_of(put) == (("DE", "EMS"), ("NL", "CPA"))
    deleted = await open_request(
        emsp,
        "DELETE",
        "/receiver/chargingprofiles/SES1",
        params={"response_url": f"{emsp.endpoint_url('chargingprofiles', 'SENDER')}/1"},
    )
    assert deleted.json()["status_code"] == 1000, deleted.text
    assert routing_of(deleted) == (("DE", "EMS"), ("NL", "CPA"))
    got = [(r.method, r.path, r.header("ocpi-to-party-id"), r.header("ocpi-from-party-id")) for r in functional(cpo)]
    assert got == [
        ("PUT", "/ocpi/2.2.1/sender/sessions/SES1/charging_preferences", "CPA", "EMS"),
        ("DELETE", "/ocpi/2.2.1/receiver/chargingprofiles/SES1", "CPA", "EMS"),
    ]
    assert functional(other_cpo) == []
    # an unknown session: 4001, nothing forwarded
    unknown = await open_request(emsp, "PUT", "/sender/sessions/NOPE/charging_preferences", json=preferences)
    assert unknown.json()["status_code"] == 4001, unknown.text
    assert len(functional(cpo)) == 2


async def test_item_53_an_id_two_parties_own_is_not_open_routed(connect_fake: StartFake) -> None:
    emsp = await connect_fake([("EMSP", "DE", "EMS")])
    cpo_a = await connect_fake([("CPO", "NL", "CPA")])
    cpo_b = await connect_fake([("CPO", "BE", "CPB")])
    for cpo, (cc, pid) in ((cpo_a, ("NL", "CPA")), (cpo_b, ("BE", "CPB"))):
        cpo.add_object("locations", location("LOC1", cc=cc, pid=pid))
        await broadcast(cpo, "locations", location("LOC1", cc=cc, pid=pid), "LOC1")
    answer = await open_request(emsp, "GET", "/sender/locations/LOC1")
    # location ids are unique per party only: the hub cannot tell which LOC1 is meant
    assert answer.json()["status_code"] == 4001, answer.text
    assert cpo_a.received(module="locations", method="GET") == []
    assert cpo_b.received(module="locations", method="GET") == []


async def test_item_56_list_get_without_to_is_2001(connect_fake: StartFake, db: SessionFactory) -> None:
    emsp = await connect_fake([("EMSP", "DE", "EMS")])
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    cpo.add_object("locations", location("LOC1"))
    await broadcast(cpo, "locations", location("LOC1"), "LOC1")
    answer = await open_request(emsp, "GET", "/sender/locations", params={"limit": "10"})
    assert answer.json()["status_code"] == 2001, answer.text
    bare = await emsp.request_hub("GET", V + "/sender/locations")  # no routing headers at all
    assert bare.json()["status_code"] == 2001, bare.text
    await outbox_drained(db)  # answered, and the hub owes nobody anything
    assert functional(cpo) == []


# --- GET All ----------------------------------------------------------------------------------


async def test_item_57_get_all_combines_parties_from_the_store(connect_fake: StartFake) -> None:
    emsp = await connect_fake([("EMSP", "DE", "EMS")])
    cpo_a = await connect_fake([("CPO", "NL", "CPA")])
    cpo_b = await connect_fake([("CPO", "BE", "CPB")])
    await broadcast(cpo_a, "locations", location("LOC1", at="2026-01-01T00:00:00Z"), "LOC1")
    await broadcast(cpo_b, "locations", location("LOC2", cc="BE", pid="CPB", at="2026-01-02T00:00:00Z"), "LOC2")
    await broadcast(cpo_a, "locations", location("LOC3", at="2026-01-03T00:00:00Z"), "LOC3")
    await broadcast(emsp, "tokens", token("TOK1", cc="DE", pid="EMS"), "TOK1")

    answer = await emsp.request_hub("GET", V + "/sender/locations", to=HUB)
    assert answer.json()["status_code"] == 1000, answer.text
    assert [(o["country_code"], o["party_id"], o["id"]) for o in answer.json()["data"]] == [
        ("NL", "CPA", "LOC1"),
        ("BE", "CPB", "LOC2"),
        ("NL", "CPA", "LOC3"),
    ]
    assert answer.json()["data"][1] == location("LOC2", cc="BE", pid="CPB", at="2026-01-02T00:00:00Z")
    assert routing_of(answer) == (("DE", "EMS"), HUB)
    assert answer.headers["x-total-count"] == "3"
    assert "link" not in answer.headers

    tokens = await cpo_b.request_hub("GET", V + "/sender/tokens", to=HUB)
    assert [(o["party_id"], o["uid"]) for o in tokens.json()["data"]] == [("EMS", "TOK1")]
    assert routing_of(tokens) == (("BE", "CPB"), HUB)
    # served from the hub's store: no platform was asked
    assert functional(cpo_a) == [] and functional(cpo_b) == []
    assert [r for r in functional(emsp) if r.method == "GET"] == []


def link_query(answer: httpx.Response) -> dict[str, list[str]]:
    link = answer.headers["link"]
    assert link.endswith('>; rel="next"'), link
    url = link[1 : link.index(">")]
    assert url.startswith(V + "/sender/locations?"), url
    return parse_qs(urlsplit(url).query)


@pytest.mark.hub_settings(page_limit=50)
async def test_item_58_get_all_filters_and_pagination(connect_fake: StartFake) -> None:
    emsp = await connect_fake([("EMSP", "DE", "EMS")])
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    for day in range(1, 7):  # LOC1 .. LOC6, last_updated 2026-01-01 .. 2026-01-06
        await broadcast(cpo, "locations", location(f"LOC{day}", at=f"2026-01-0{day}T00:00:00Z"), f"LOC{day}")
    # date_from inclusive (LOC2), date_to exclusive (not LOC6): LOC2..LOC5
    window = {"date_from": "2026-01-02T00:00:00Z", "date_to": "2026-01-06T00:00:00Z"}

    first = await emsp.request_hub("GET", V + "/sender/locations", params=window | {"limit": "3"}, to=HUB)
    assert first.json()["status_code"] == 1000, first.text
    assert [o["id"] for o in first.json()["data"]] == ["LOC2", "LOC3", "LOC4"]
    assert first.headers["x-total-count"] == "4"
    assert first.headers["x-limit"] == "50"
    assert link_query(first) == {
        "date_from": [window["date_from"]],
        "date_to": [window["date_to"]],
        "offset": ["3"],
        "limit": ["3"],
    }

    following = first.headers["link"][1 : first.headers["link"].index(">")]
    last = await emsp.request_hub("GET", following, to=HUB)
    assert [o["id"] for o in last.json()["data"]] == ["LOC5"]
    assert last.headers["x-total-count"] == "4"
    assert last.headers["x-limit"] == "50"
    assert "link" not in last.headers

    middle = await emsp.request_hub("GET", V + "/sender/locations", params={"offset": "1", "limit": "2"}, to=HUB)
    assert [o["id"] for o in middle.json()["data"]] == ["LOC2", "LOC3"]
    assert middle.headers["x-total-count"] == "6"
    assert link_query(middle) == {"offset": ["3"], "limit": ["2"]}


@pytest.mark.hub_settings(page_limit=2)
async def test_item_59_limit_above_the_hub_maximum_is_capped(connect_fake: StartFake) -> None:
    emsp = await connect_fake([("EMSP", "DE", "EMS")])
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    for n in range(1, 4):
        await broadcast(cpo, "locations", location(f"LOC{n}", at=f"2026-01-0{n}T00:00:00Z"), f"LOC{n}")
    answer = await emsp.request_hub("GET", V + "/sender/locations", params={"limit": "100"}, to=HUB)
    assert [o["id"] for o in answer.json()["data"]] == ["LOC1", "LOC2"]
    assert answer.headers["x-limit"] == "2"
    assert answer.headers["x-total-count"] == "3"
    assert link_query(answer) == {"offset": ["2"], "limit": ["2"]}


async def test_item_57_get_all_forgets_a_removed_platform(connect_fake: StartFake, admin: PlatformAdmin) -> None:
    emsp = await connect_fake([("EMSP", "DE", "EMS")])
    cpo_a = await connect_fake([("CPO", "NL", "CPA")])
    cpo_b = await connect_fake([("CPO", "BE", "CPB")])
    await broadcast(cpo_a, "locations", location("LOC1"), "LOC1")
    await broadcast(cpo_b, "locations", location("LOC2", cc="BE", pid="CPB", at="2026-01-02T00:00:00Z"), "LOC2")
    assert cpo_b.platform_id is not None
    assert await admin.remove(platform_id=cpo_b.platform_id)

    async def listed() -> list[tuple[str, str]]:
        answer = await emsp.request_hub("GET", V + "/sender/locations", to=HUB)
        return [(o["party_id"], o["id"]) for o in answer.json()["data"]]

    async with asyncio.timeout(5):  # the running hub sees the removal at its next registry poll
        while await listed() != [("CPA", "LOC1")]:
            await asyncio.sleep(0.05)


async def test_get_all_leaves_out_parties_without_an_agreement(connect_fake: StartFake, db: SessionFactory) -> None:
    emsp = await connect_fake([("EMSP", "DE", "EMS")])
    other_emsp = await connect_fake([("EMSP", "DE", "EMT")])
    cpo_a = await connect_fake([("CPO", "NL", "CPA")])
    cpo_b = await connect_fake([("CPO", "BE", "CPB")])
    await broadcast(cpo_a, "locations", location("LOC1", at="2026-01-01T00:00:00Z"), "LOC1")
    await broadcast(cpo_b, "locations", location("LOC2", cc="BE", pid="CPB", at="2026-01-02T00:00:00Z"), "LOC2")
    await AgreementAdmin(sessions=db).set(a="DE:EMS", b="BE:CPB", module="locations", allow=False)

    async def ids(fake: FakePlatform) -> tuple[list[str], str]:
        answer = await fake.request_hub("GET", V + "/sender/locations", to=HUB)
        return [o["id"] for o in answer.json()["data"]], answer.headers["x-total-count"]

    async with asyncio.timeout(5):  # the running hub picks the rule up at its next registry poll
        while await ids(emsp) != (["LOC1"], "1"):
            await asyncio.sleep(0.05)
    assert await ids(other_emsp) == (["LOC1", "LOC2"], "2")  # the rule names DE*EMS only
