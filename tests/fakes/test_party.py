"""The fake platform itself: other tests trust what it records and answers, so it is tested too.
Two fakes talk to each other directly here (no hub)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.responses import Response

from tests.conftest import StartFake
from tests.fakes.ocpi import RecordedRequest, decode_token, encode_token, envelope, new_token, paginate, reply
from tests.fakes.party import FakePlatform

CPO, EMSP = ("NL", "CPA"), ("DE", "EMS")


def pair(a: FakePlatform, b: FakePlatform) -> None:
    """Give two fakes matching tokens, as if they had registered with each other."""
    a_to_b, b_to_a = new_token(), new_token()
    a.direction = b.direction = "sender"
    a.token_c, b.token_b = a_to_b, a_to_b  # a sends, b expects
    b.token_c, a.token_b = b_to_a, b_to_a


@pytest.fixture
async def cpo_emsp(start_fake: StartFake) -> tuple[FakePlatform, FakePlatform]:
    cpo = await start_fake([("CPO", *CPO)], page_limit=2, callback_delay=0.01)
    emsp = await start_fake([("EMSP", *EMSP)])
    pair(cpo, emsp)
    return cpo, emsp


def test_token_encoding_is_strict() -> None:
    assert decode_token(encode_token("abc")) == "abc"
    assert decode_token("Token YWJjCg==") == "abc\n"  # kept: the fake forgives nothing
    assert decode_token("Token  YWJj") is None
    assert decode_token("Bearer YWJj") is None
    assert decode_token(encode_token("abc", "raw"), "raw") == "abc"


async def test_refuses_unknown_tokens_and_records_everything(start_fake: StartFake) -> None:
    fake = await start_fake()
    token_a = fake.issue_token_a()
    missing = await fake.client.get(fake.versions_url)
    wrong = await fake.client.get(fake.versions_url, headers={"Authorization": encode_token("wrong")})
    right = await fake.client.get(fake.versions_url, headers={"Authorization": encode_token(token_a)})
    assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert [r.authorization for r in fake.requests] == [None, encode_token("wrong"), encode_token(token_a)]
    # token A opens configuration modules only
    functional = await fake.client.get(
        fake.endpoint_url("locations", "SENDER"), headers={"Authorization": encode_token(token_a)}
    )
    assert functional.status_code == 401


async def test_endpoints_follow_roles(start_fake: StartFake) -> None:
    fake = await start_fake([("CPO", *CPO), ("EMSP", *EMSP)], omit_endpoints=("tariffs:RECEIVER", "commands"))
    pairs = {(e["identifier"], e["role"]) for e in fake.endpoints()}
    assert {("locations", "SENDER"), ("locations", "RECEIVER"), ("tariffs", "SENDER")} <= pairs
    assert ("tariffs", "RECEIVER") not in pairs and not any(m == "commands" for m, _ in pairs)
    assert sum(m == "credentials" for m, _ in pairs) == 1
    assert sum(m == "hubclientinfo" for m, _ in pairs) == 1


async def test_client_owned_objects_put_patch_get(cpo_emsp: tuple[FakePlatform, FakePlatform]) -> None:
    cpo, emsp = cpo_emsp
    url = emsp.endpoint_url("locations", "RECEIVER") + "/NL/CPA/LOC1"
    location = {"id": "LOC1", "country_code": "NL", "party_id": "CPA", "name": "One"}
    ids = {"X-Request-ID": "r-1", "X-Correlation-ID": "c-1"}

    created = await cpo.request_hub("PUT", url, json=location, to=EMSP, headers=ids)
    replaced = await cpo.request_hub("PUT", url, json=location, to=EMSP)
    patched = await cpo.request_hub("PATCH", url, json={"name": "Two"}, to=EMSP)
    fetched = await cpo.request_hub("GET", url, to=EMSP)
    unknown = await cpo.request_hub("GET", url.replace("LOC1", "LOC9"), to=EMSP)

    assert [r.status_code for r in (created, replaced, patched, fetched, unknown)] == [201, 200, 200, 200, 404]
    assert fetched.json()["data"] == location | {"name": "Two"}
    assert emsp.store["locations"][("NL", "CPA", "LOC1")]["name"] == "Two"
    assert created.headers["x-request-id"] == "r-1" and created.headers["x-correlation-id"] == "c-1"
    assert (created.headers["ocpi-to-country-code"], created.headers["ocpi-to-party-id"]) == CPO
    assert (created.headers["ocpi-from-country-code"], created.headers["ocpi-from-party-id"]) == EMSP


async def test_sender_lists_are_paginated(cpo_emsp: tuple[FakePlatform, FakePlatform]) -> None:
    cpo, emsp = cpo_emsp
    for day in range(1, 6):
        cpo.add_object("locations", {"id": f"LOC{day}", "last_updated": f"2024-01-0{day}T00:00:00Z"})
    url = cpo.endpoint_url("locations", "SENDER")

    first = await emsp.request_hub("GET", url, params={"limit": "10"}, to=CPO)
    assert [o["id"] for o in first.json()["data"]] == ["LOC1", "LOC2"]
    assert (first.headers["x-total-count"], first.headers["x-limit"]) == ("5", "2")
    seen, link = [], first.headers.get("link")
    while link:
        page = await emsp.request_hub("GET", link.split(">")[0].lstrip("<"), to=CPO)
        seen += [o["id"] for o in page.json()["data"]]
        link = page.headers.get("link")
    assert seen == ["LOC3", "LOC4", "LOC5"]

    window = {"date_from": "2024-01-02T00:00:00Z", "date_to": "2024-01-05T00:00:00Z", "limit": "2"}
    filtered = await emsp.request_hub("GET", url, params=window, to=CPO)
    assert [o["id"] for o in filtered.json()["data"]] == ["LOC2", "LOC3"]
    assert filtered.headers["x-total-count"] == "3"
    next_query = parse_qs(urlsplit(filtered.headers["link"].split(">")[0].lstrip("<")).query)
    assert next_query == {k: [v] for k, v in window.items()} | {"offset": ["2"]}
    assert (await emsp.request_hub("GET", f"{url}/LOC4", to=CPO)).json()["data"]["id"] == "LOC4"


def test_paginate_last_page_has_no_link() -> None:
    objects = [{"last_updated": "2024-01-01T00:00:00Z"}] * 3
    page, headers = paginate(objects, {"offset": "2"}, page_limit=2, url="http://x/l")
    assert len(page) == 1 and "Link" not in headers and headers["X-Limit"] == "2"


async def test_real_time_authorization(cpo_emsp: tuple[FakePlatform, FakePlatform]) -> None:
    cpo, emsp = cpo_emsp
    emsp.add_object("tokens", {"uid": "TOKEN1", "type": "RFID", "valid": True})
    emsp.add_object("tokens", {"uid": "TOKEN2", "type": "RFID", "valid": False})
    base = emsp.endpoint_url("tokens", "SENDER")
    known = await cpo.request_hub("POST", f"{base}/TOKEN1/authorize", to=EMSP)
    blocked = await cpo.request_hub("POST", f"{base}/TOKEN2/authorize", to=EMSP)
    unknown = await cpo.request_hub("POST", f"{base}/NOPE/authorize", to=EMSP)
    assert known.status_code == 200 and known.json()["data"]["allowed"] == "ALLOWED"
    assert known.json()["data"]["token"]["uid"] == "TOKEN1"
    assert blocked.status_code == 200 and blocked.json()["data"]["allowed"] == "BLOCKED"
    assert unknown.status_code == 404 and unknown.json()["status_code"] == 2004 and "data" not in unknown.json()


async def test_command_is_answered_then_its_result_is_posted(cpo_emsp: tuple[FakePlatform, FakePlatform]) -> None:
    cpo, emsp = cpo_emsp
    response_url = emsp.endpoint_url("commands", "SENDER") + "/START_SESSION/42"
    command = {"response_url": response_url, "token": {"uid": "TOKEN1"}, "location_id": "LOC1"}
    ids = {"X-Correlation-ID": "corr-42"}

    reply = await emsp.request_hub(
        "POST", cpo.endpoint_url("commands", "RECEIVER") + "/START_SESSION", json=command, to=CPO, headers=ids
    )

    assert reply.json()["data"] == {"result": "ACCEPTED", "timeout": 30}
    await cpo.wait_for(lambda: cpo.callbacks)
    (result,) = emsp.results
    assert result.path.endswith("/START_SESSION/42") and result.json == {"result": "ACCEPTED"}
    assert result.routing == {
        "ocpi-to-country-code": "DE",
        "ocpi-to-party-id": "EMS",
        "ocpi-from-country-code": "NL",
        "ocpi-from-party-id": "CPA",
    }
    assert result.header("x-correlation-id") == "corr-42"
    assert decode_token(result.authorization) == cpo.outbound_token
    assert cpo.callbacks[0].status == 200


async def test_cdr_post_returns_a_location_that_serves_it(cpo_emsp: tuple[FakePlatform, FakePlatform]) -> None:
    cpo, emsp = cpo_emsp
    cdr = {"id": "CDR1", "country_code": "NL", "party_id": "CPA", "total_cost": {"excl_vat": 1.5}}
    posted = await cpo.request_hub("POST", emsp.endpoint_url("cdrs", "RECEIVER"), json=cdr, to=EMSP)
    assert posted.status_code == 201
    location = posted.headers["location"]
    assert location.startswith(emsp.endpoint_url("cdrs", "RECEIVER"))
    assert (await cpo.request_hub("GET", location, to=EMSP)).json()["data"] == cdr


async def test_on_request_hook_overrides_the_answer(start_fake: StartFake) -> None:
    async def busy(request: RecordedRequest) -> Response:
        return reply(envelope(status_code=3000, status_message="busy"), 503)

    fake = await start_fake([("CPO", *CPO)], on_request=busy)
    pair(fake, await start_fake([("EMSP", *EMSP)]))
    headers = {"Authorization": encode_token(str(fake.inbound_token))}
    answer = await fake.client.get(fake.endpoint_url("locations", "SENDER"), headers=headers)
    assert answer.status_code == 503
    # configuration requests are not hooked (use the *_failure flags), nor are unauthenticated ones
    assert (await fake.client.get(fake.versions_url, headers=headers)).status_code == 200
    assert (await fake.client.get(fake.endpoint_url("locations", "SENDER"))).status_code == 401
    assert len(fake.requests) == 3


async def test_trailing_slash_platform_redirects_bare_collection_urls(start_fake: StartFake) -> None:
    cpo = await start_fake([("CPO", *CPO)], page_limit=2, trailing_slash=True)
    emsp = await start_fake([("EMSP", *EMSP)])
    pair(cpo, emsp)
    for day in range(1, 4):
        cpo.add_object("locations", {"id": f"LOC{day}", "last_updated": f"2024-01-0{day}T00:00:00Z"})
    announced = {e["identifier"]: e["url"] for e in cpo.endpoints()}
    assert announced["locations"] == cpo.endpoint_url("locations", "SENDER") + "/"
    assert not announced["credentials"].endswith("/")

    bare = await emsp.request_hub("GET", cpo.endpoint_url("locations", "SENDER"), params={"limit": "2"}, to=CPO)
    assert bare.status_code == 307
    assert bare.headers["location"] == announced["locations"] + "?limit=2"
    # the redirect comes from the router: no token needed to get it
    assert (await cpo.client.get(cpo.endpoint_url("tariffs", "SENDER"))).status_code == 307

    first = await emsp.request_hub("GET", announced["locations"], params={"limit": "2"}, to=CPO)
    assert first.status_code == 200 and [o["id"] for o in first.json()["data"]] == ["LOC1", "LOC2"]
    link = first.headers["link"].split(">")[0].lstrip("<")
    assert link.startswith(announced["locations"] + "?")
    rest = await emsp.request_hub("GET", link, to=CPO)
    assert [o["id"] for o in rest.json()["data"]] == ["LOC3"]
    one = await emsp.request_hub("GET", announced["locations"] + "LOC2", to=CPO)
    assert one.status_code == 200 and one.json()["data"]["id"] == "LOC2"
    doubled = await emsp.request_hub("GET", announced["locations"] + "/LOC2", to=CPO)
    assert doubled.status_code == 404


async def test_trailing_slash_emsp_takes_cdrs_only_at_the_slashed_url(start_fake: StartFake) -> None:
    cpo = await start_fake([("CPO", *CPO)])
    emsp = await start_fake([("EMSP", *EMSP)], trailing_slash=True)
    pair(cpo, emsp)
    cdr = {"id": "CDR1", "country_code": "NL", "party_id": "CPA"}
    bare = await cpo.request_hub("POST", emsp.endpoint_url("cdrs", "RECEIVER"), json=cdr, to=EMSP)
    assert bare.status_code == 307 and "cdrs" not in emsp.store
    posted = await cpo.request_hub("POST", emsp.collection_url("cdrs", "RECEIVER"), json=cdr, to=EMSP)
    assert posted.status_code == 201 and emsp.store["cdrs"][("NL", "CPA", "CDR1")] == cdr
    assert (await cpo.request_hub("GET", posted.headers["location"], to=EMSP)).json()["data"] == cdr
