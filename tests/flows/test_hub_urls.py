"""Hub URLs that stand in for URLs a party cannot reach (checklist F, items 60-63; requirements
§3.9): the `Link` of a paginated reply, the `response_url` of Commands and ChargingProfiles,
the `Location` of a CDR POST. Each one is followed through the hub and checked where it arrives;
a hub URL is only good for the platform it was issued to."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import select

from hub.db.db import SessionFactory
from hub.db.models import HubUrl
from tests.conftest import StartFake
from tests.fakes.ocpi import decode_token
from tests.fakes.party import FakePlatform
from tests.flows.test_routing import (
    CPO,
    EMSP,
    cdr,
    connect_pair,
    functional,
    location,
    routing_of,
    sent_ids,
    token,
)
from tests.helpers import HUB_URL

PROXY = f"{HUB_URL}/ocpi/2.2.1/proxy/"
NEXT = re.compile(r'^<([^>]+)>; ?rel="next"$')


def next_url(reply: Any) -> str | None:
    link = reply.headers.get("link")
    if link is None:
        return None
    match = NEXT.match(link)
    assert match, link
    return match.group(1)


def assert_hub_url(url: str, *fakes: FakePlatform) -> None:
    assert url.startswith(PROXY), url
    for fake in fakes:
        assert fake.base_url and fake.base_url not in url


async def test_item_60_locations_pulled_page_by_page_through_hub_links(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake, page_limit=2)
    ids = [f"LOC{n}" for n in range(5)]
    for loc_id in ids:
        cpo.add_object("locations", location(loc_id))
    first = f"{emsp.hub_url('locations', 'SENDER')}?date_from=2020-01-01T00:00:00Z&limit=50"
    pulled: list[str] = []
    replies = [await emsp.request_hub("GET", first, to=CPO)]
    while True:
        reply = replies[-1]
        assert (reply.status_code, reply.json()["status_code"]) == (200, 1000), reply.text
        assert (reply.headers["x-total-count"], reply.headers["x-limit"]) == ("5", "2")  # the CPO's, unchanged
        assert routing_of(reply.headers) == ("DE", "EMS", "NL", "CPA")
        assert reply.headers["x-request-id"] == sent_ids(reply)[0]
        pulled += [o["id"] for o in reply.json()["data"]]
        following = next_url(reply)
        if following is None:
            break
        assert_hub_url(following, cpo, emsp)
        assert len(replies) < 5, "the Link never ends"
        replies.append(await emsp.request_hub("GET", following, to=CPO))
    assert pulled == ids
    assert len(replies) == 3

    # what reached the CPO: three GETs on its SENDER endpoint, filters kept, headers of a routed request
    got = functional(cpo, "locations")
    assert [(r.method, r.path) for r in got] == [("GET", "/ocpi/2.2.1/sender/locations")] * 3
    assert [r.query_params.get("offset", "0") for r in got] == ["0", "2", "4"]
    assert all(r.query_params["date_from"] == "2020-01-01T00:00:00Z" for r in got)
    for reply, request in zip(replies, got, strict=True):
        assert routing_of(request.headers) == ("NL", "CPA", "DE", "EMS")
        assert request.header("x-correlation-id") == sent_ids(reply)[1]
        assert request.header("x-request-id") != sent_ids(reply)[0]
        assert decode_token(request.authorization) == cpo.inbound_token


async def test_item_60_large_pages_arrive_whole(connect_fake: StartFake) -> None:
    """Pages of realistic size (here ~0.5 MB: 100 locations with 20 EVSEs each) arrive complete, not cut
    at whatever the socket had buffered."""
    cpo, emsp = await connect_pair(connect_fake, page_limit=100)
    for n in range(150):
        big = location(f"LOC{n}")
        big["evses"] = [big["evses"][0] | {"uid": f"EVSE{k}", "evse_id": f"NL*CPA*E{n}X{k}"} for k in range(20)]
        cpo.add_object("locations", big)
    reply = await emsp.request_hub("GET", emsp.hub_url("locations", "SENDER"), to=CPO)
    assert reply.json()["status_code"] == 1000, reply.text[:300]
    assert len(reply.content) > 500_000
    rest = await emsp.request_hub("GET", next_url(reply) or "", to=CPO)
    assert [o["id"] for o in reply.json()["data"] + rest.json()["data"]] == [f"LOC{n}" for n in range(150)]


async def test_item_61_command_result_reaches_the_emsps_response_url_through_the_hub(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake, callback_delay=0.01)
    own_url = f"{emsp.endpoint_url('commands', 'SENDER')}/START_SESSION/cmd-42"
    command = {"response_url": own_url, "token": token(), "location_id": "LOC1", "evse_uid": "EVSE1"}
    reply = await emsp.request_hub(
        "POST", f"{emsp.hub_url('commands', 'RECEIVER')}/START_SESSION", json=command, to=CPO
    )
    assert reply.json()["status_code"] == 1000, reply.text
    assert reply.json()["data"] == {"result": "ACCEPTED", "timeout": 30}

    # the CPO got a hub URL instead of the eMSP's own, and everything else unchanged
    (received,) = functional(cpo, "commands")
    assert received.path == "/ocpi/2.2.1/receiver/commands/START_SESSION"
    assert_hub_url(received.json["response_url"], cpo, emsp)
    assert {k: v for k, v in received.json.items() if k != "response_url"} == {
        k: v for k, v in command.items() if k != "response_url"
    }

    # the CPO's CommandResult, POSTed to the hub URL, arrives at the eMSP's own response_url
    await emsp.wait_for(lambda: emsp.results)
    (result,) = emsp.results
    assert (result.method, result.path, result.query) == (
        "POST",
        "/ocpi/2.2.1/sender/commands/START_SESSION/cmd-42",
        "",
    )
    assert result.json == {"result": "ACCEPTED"}
    assert routing_of(result.headers) == ("DE", "EMS", "NL", "CPA")  # TO = eMSP, FROM = CPO
    assert result.header("x-correlation-id") == sent_ids(reply)[1]
    assert decode_token(result.authorization) == emsp.inbound_token
    await cpo.wait_for(lambda: cpo.callbacks)
    (callback,) = cpo.callbacks
    assert callback.url == received.json["response_url"]
    assert (callback.status, callback.reply["status_code"]) == (200, 1000)

    # the same response_url serves later results too (a CPO cancels a reservation that way, mod_commands 90-103)
    later = await cpo.request_hub("POST", callback.url, json={"result": "CANCELED_RESERVATION"}, to=EMSP)
    assert (later.status_code, later.json()["status_code"]) == (200, 1000), later.text
    assert [r.json["result"] for r in emsp.results] == ["ACCEPTED", "CANCELED_RESERVATION"]
    assert emsp.results[-1].path == "/ocpi/2.2.1/sender/commands/START_SESSION/cmd-42"
    assert emsp.results[-1].header("x-correlation-id") == sent_ids(later)[1]


async def test_item_62_charging_profile_results_reach_the_emsp_through_the_hub(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake, callback_delay=0.01)
    base = f"{emsp.hub_url('chargingprofiles', 'RECEIVER')}/SES1"
    own = emsp.endpoint_url("chargingprofiles", "SENDER")
    profile = {"charging_rate_unit": "W", "charging_profile_period": [{"start_period": 0, "limit": 7400.0}]}

    put = await emsp.request_hub(
        "PUT", base, json={"charging_profile": profile, "response_url": f"{own}/set/1"}, to=CPO
    )
    get = await emsp.request_hub("GET", base, params={"duration": "900", "response_url": f"{own}/active/2"}, to=CPO)
    delete = await emsp.request_hub("DELETE", base, params={"response_url": f"{own}/clear/3"}, to=CPO)
    for reply in (put, get, delete):
        assert reply.json()["data"] == {"result": "ACCEPTED", "timeout": 30}, reply.text

    sent_put, sent_get, sent_delete = functional(cpo, "chargingprofiles")
    assert sent_put.json["charging_profile"] == profile
    assert_hub_url(sent_put.json["response_url"], emsp)
    assert sent_get.query_params["duration"] == "900"
    for sent in (sent_get, sent_delete):
        assert sent.path == "/ocpi/2.2.1/receiver/chargingprofiles/SES1"
        assert_hub_url(sent.query_params["response_url"], emsp)

    await emsp.wait_for(lambda: len(emsp.results) == 3)
    by_path = {r.path: r for r in emsp.results}
    assert set(by_path) == {f"/ocpi/2.2.1/sender/chargingprofiles/{p}" for p in ("set/1", "active/2", "clear/3")}
    assert by_path["/ocpi/2.2.1/sender/chargingprofiles/set/1"].json == {"result": "ACCEPTED"}
    assert by_path["/ocpi/2.2.1/sender/chargingprofiles/active/2"].json["profile"]["charging_profile"] == profile
    for reply, path in ((put, "set/1"), (get, "active/2"), (delete, "clear/3")):
        arrived = by_path[f"/ocpi/2.2.1/sender/chargingprofiles/{path}"]
        assert arrived.method == "POST"
        assert routing_of(arrived.headers) == ("DE", "EMS", "NL", "CPA")
        assert arrived.header("x-correlation-id") == sent_ids(reply)[1]


async def test_item_63_cdr_location_is_a_hub_url_that_returns_the_cdr(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    posted = await cpo.request_hub("POST", cpo.hub_url("cdrs", "RECEIVER"), json=cdr(), to=EMSP)
    assert (posted.status_code, posted.json()["status_code"]) == (201, 1000), posted.text
    where = posted.headers["location"]
    assert_hub_url(where, cpo, emsp)

    fetched = await cpo.request_hub("GET", where, to=EMSP)
    assert (fetched.status_code, fetched.json()["status_code"]) == (200, 1000), fetched.text
    assert fetched.json()["data"] == cdr()
    assert routing_of(fetched.headers) == ("NL", "CPA", "DE", "EMS")
    assert fetched.headers["x-request-id"] == sent_ids(fetched)[0]
    arrived = functional(emsp, "cdrs")[-1]
    assert (arrived.method, arrived.path) == ("GET", "/ocpi/2.2.1/receiver/cdrs/NL/CPA/CDR1")
    assert routing_of(arrived.headers) == ("DE", "EMS", "NL", "CPA")
    assert arrived.header("x-correlation-id") == sent_ids(fetched)[1]


async def test_hub_url_followed_by_another_platform_is_404_and_nothing_forwarded(connect_fake: StartFake) -> None:
    cpo, emsp = await connect_pair(connect_fake, page_limit=1, callback_delay=0.5)
    other = await connect_fake([("CPO", "BE", "OTH"), ("EMSP", "BE", "OTE")], name="other")
    for loc_id in ("LOC1", "LOC2"):
        cpo.add_object("locations", location(loc_id))
    page = await emsp.request_hub("GET", emsp.hub_url("locations", "SENDER"), to=CPO)
    link = next_url(page)
    posted = await cpo.request_hub("POST", cpo.hub_url("cdrs", "RECEIVER"), json=cdr(), to=EMSP)
    where = posted.headers["location"]
    command = {"response_url": f"{emsp.endpoint_url('commands', 'SENDER')}/STOP_SESSION/9", "session_id": "SES1"}
    await emsp.request_hub("POST", f"{emsp.hub_url('commands', 'RECEIVER')}/STOP_SESSION", json=command, to=CPO)
    callback_url = functional(cpo, "commands")[-1].json["response_url"]
    assert link and where and callback_url
    before = (len(functional(cpo)), len(functional(emsp)))

    attempts = [
        await other.request_hub("GET", link, to=CPO, from_=("BE", "OTE")),  # the eMSP's Link
        await cpo.request_hub("GET", link, to=CPO),  # the CPO itself did not get it either
        await emsp.request_hub("GET", where, to=EMSP, from_=EMSP),  # the CPO's CDR Location
        await other.request_hub("POST", callback_url, json={"result": "FAILED"}, to=EMSP),  # the CPO's callback
        await emsp.request_hub("POST", callback_url, json={"result": "FAILED"}, to=EMSP, from_=EMSP),
        await emsp.request_hub("GET", PROXY + "no-such-id", to=CPO),
    ]
    for reply in attempts:
        assert reply.status_code == 404, (reply.request.url, reply.text)
        assert reply.json()["status_code"] >= 2000
    assert (len(functional(cpo)), len(functional(emsp))) == before
    assert not functional(other)
    await emsp.wait_for(lambda: emsp.results)  # the real callback, from the CPO, still works
    assert [r.json for r in emsp.results] == [{"result": "ACCEPTED"}]


async def test_a_hub_url_for_a_long_response_url_stays_within_255_characters(
    connect_fake: StartFake, db: SessionFactory
) -> None:
    """OCPI URLs are string(255): a sealed hub URL for a long response_url would be longer, so the
    hub names a stored row instead (hub.forwarding.proxies); the result still arrives."""
    cpo, emsp = await connect_pair(connect_fake, callback_delay=0.01)
    own_url = f"{emsp.endpoint_url('commands', 'SENDER')}/START_SESSION/{'c' * 150}"
    assert 200 < len(own_url) <= 255
    command = {"response_url": own_url, "token": token(), "location_id": "LOC1", "evse_uid": "EVSE1"}
    reply = await emsp.request_hub(
        "POST", f"{emsp.hub_url('commands', 'RECEIVER')}/START_SESSION", json=command, to=CPO
    )
    assert reply.json()["status_code"] == 1000, reply.text
    (received,) = functional(cpo, "commands")
    hub_url = received.json["response_url"]
    assert_hub_url(hub_url, cpo, emsp)
    assert len(hub_url) <= 255 and "/proxy/~" in hub_url, hub_url
    async with db() as session:
        (row,) = (await session.exec(select(HubUrl))).all()
    assert "c" * 20 not in row.sealed  # the target stays sealed at rest

    await emsp.wait_for(lambda: emsp.results)
    (result,) = emsp.results
    assert result.path == f"/ocpi/2.2.1/sender/commands/START_SESSION/{'c' * 150}"
    assert result.json == {"result": "ACCEPTED"}
    # the row is as good as the sealed URL: only the CPO may follow it
    stolen = await emsp.request_hub("POST", hub_url, json={"result": "REJECTED"}, to=CPO)
    assert stolen.status_code == 404, stolen.text
