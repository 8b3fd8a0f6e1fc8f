"""Habits of real parties the hub must live with (issue 12, "Also, found tried as a connecting party
would"), through the hub's front door with fake parties on loopback sockets:

- a platform whose web framework serves each collection at the URL it advertises, with a trailing
  slash (`.../locations/`), and answers the bare URL with a 307 redirect (`trailing_slash=True`
  on the fake): the hub must use the registered URL byte for byte for the collection and append
  path parameters after it with exactly one `/` (the fake 404s a `//`);
- a receiver that answers with an OCPI envelope and an HTTP error status (404 + 2004 for an
  unknown token, 400 + 2001): the envelope is relayed with its HTTP status, not replaced by 4000.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.responses import Response

from tests.conftest import StartFake
from tests.fakes.ocpi import RecordedRequest, dumps
from tests.flows.test_routing import (
    CPO,
    EMSP,
    STAMP,
    answer,
    cdr,
    functional,
    location,
    only_functional,
    routing_of,
    tariff,
    token,
)

LOCATION_REFERENCES = {"location_id": "LOC1", "evse_uids": ["EVSE1"]}


def next_link(reply: Any) -> str | None:
    link = reply.headers.get("link")
    return link[1 : link.index(">")] if link else None


async def test_paginated_get_all_and_tariffs_from_a_trailing_slash_cpo(connect_fake: StartFake) -> None:
    cpo = await connect_fake([("CPO", *CPO)], name="cpo", trailing_slash=True, page_limit=2)
    emsp = await connect_fake([("EMSP", *EMSP)], name="emsp")
    ids = [f"LOC{n}" for n in range(5)]
    for loc_id in ids:
        cpo.add_object("locations", location(loc_id))
    cpo.add_object("tariffs", tariff())

    pulled: list[str] = []
    reply = await emsp.request_hub("GET", emsp.hub_url("locations", "SENDER"), params={"limit": "2"}, to=CPO)
    for _ in range(5):
        assert (reply.status_code, reply.json()["status_code"]) == (200, 1000), reply.text
        assert routing_of(reply.headers) == ("DE", "EMS", "NL", "CPA")
        pulled += [o["id"] for o in reply.json()["data"]]
        following = next_link(reply)
        if following is None:
            break
        reply = await emsp.request_hub("GET", following, to=CPO)
    assert pulled == ids

    tariffs = await emsp.request_hub("GET", emsp.hub_url("tariffs", "SENDER"), to=CPO)
    assert (tariffs.status_code, tariffs.json()["status_code"]) == (200, 1000), tariffs.text
    assert [t["id"] for t in tariffs.json()["data"]] == ["TAR1"]

    # every request reached the advertised URL itself: no redirect was needed, none was followed
    got = functional(cpo)
    assert [(r.method, r.path) for r in got] == [("GET", "/ocpi/2.2.1/sender/locations/")] * 3 + [
        ("GET", "/ocpi/2.2.1/sender/tariffs/")
    ]
    assert [r.query_params.get("offset", "0") for r in got[:3]] == ["0", "2", "4"]


async def test_object_urls_below_a_trailing_slash_endpoint_are_joined_with_one_slash(connect_fake: StartFake) -> None:
    cpo = await connect_fake([("CPO", *CPO)], name="cpo", trailing_slash=True)
    emsp = await connect_fake([("EMSP", *EMSP)], name="emsp", trailing_slash=True)
    cpo.add_object("locations", location())
    got = await emsp.request_hub("GET", f"{emsp.hub_url('locations', 'SENDER')}/LOC1/EVSE1/1", to=CPO)
    assert (got.status_code, got.json()["status_code"]) == (200, 1000), got.text
    put = await cpo.request_hub("PUT", f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC1", json=location(), to=EMSP)
    assert (put.status_code, put.json()["status_code"]) == (201, 1000), put.text
    assert [r.path for r in functional(cpo)] == ["/ocpi/2.2.1/sender/locations/LOC1/EVSE1/1"]
    assert [r.path for r in functional(emsp)] == ["/ocpi/2.2.1/receiver/locations/NL/CPA/LOC1"]


async def test_cdr_post_to_a_trailing_slash_emsp(connect_fake: StartFake) -> None:
    cpo = await connect_fake([("CPO", *CPO)], name="cpo")
    emsp = await connect_fake([("EMSP", *EMSP)], name="emsp", trailing_slash=True)
    posted = await cpo.request_hub("POST", cpo.hub_url("cdrs", "RECEIVER"), json=cdr(), to=EMSP)
    assert posted.json()["status_code"] == 1000, posted.text
    assert posted.status_code in (200, 201)
    (got,) = functional(emsp)
    assert (got.method, got.raw_path) == ("POST", "/ocpi/2.2.1/receiver/cdrs/")
    assert emsp.store["cdrs"][("NL", "CPA", "CDR1")] == cdr()
    # the Location the hub hands back serves the CDR from the eMSP
    fetched = await cpo.request_hub("GET", posted.headers["location"], to=EMSP)
    assert fetched.json()["data"] == cdr(), fetched.text


@pytest.mark.parametrize("trailing_slash", [False, True], ids=["plain", "trailing-slash"])
async def test_unknown_token_authorization_relays_404_and_2004(connect_fake: StartFake, trailing_slash: bool) -> None:
    cpo = await connect_fake([("CPO", *CPO)], name="cpo")
    emsp = await connect_fake([("EMSP", *EMSP)], name="emsp", trailing_slash=trailing_slash)
    emsp.add_object("tokens", token("TOK1"))
    url = f"{cpo.hub_url('tokens', 'SENDER')}/NOPE/authorize?type=RFID"
    reply = await cpo.request_hub("POST", url, json=LOCATION_REFERENCES, to=EMSP)
    assert reply.status_code == 404, reply.text
    assert reply.json()["status_code"] == 2004 and "data" not in reply.json(), reply.text
    assert routing_of(reply.headers) == ("NL", "CPA", "DE", "EMS")
    (got,) = functional(emsp, "tokens")
    assert (got.method, got.path, got.query) == ("POST", "/ocpi/2.2.1/sender/tokens/NOPE/authorize", "type=RFID")
    known = await cpo.request_hub("POST", url.replace("NOPE", "TOK1"), json=LOCATION_REFERENCES, to=EMSP)
    assert (known.status_code, known.json()["status_code"]) == (200, 1000), known.text
    assert known.json()["data"]["allowed"] == "ALLOWED"


async def test_receiver_error_envelope_with_http_400_is_relayed(connect_fake: StartFake) -> None:
    cpo = await connect_fake([("CPO", *CPO)], name="cpo")
    emsp = await connect_fake([("EMSP", *EMSP)], name="emsp")
    body = dumps({"status_code": 2001, "status_message": "Missing field: address", "timestamp": STAMP})

    async def picky(_: RecordedRequest) -> Response:
        return answer(body, 400, routing=("NL", "CPA", "DE", "EMS"))

    emsp.on_request = only_functional(picky)
    reply = await cpo.request_hub(
        "PUT", f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC1", json=location(), to=EMSP
    )
    assert (reply.status_code, reply.content) == (400, body), reply.text
    assert routing_of(reply.headers) == ("NL", "CPA", "DE", "EMS")
    assert len(functional(emsp)) == 1
