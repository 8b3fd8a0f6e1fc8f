"""The three OCPI versions at the hub's front door (issue 15), on SQLite and PostgreSQL: the versions
list, 2.1.1 version details that follow the caller's declared role, raw tokens on 2.1.1 URLs, the
hub's credentials in each version's shape, and what a 2.1.1 party is refused and why."""

from __future__ import annotations

import base64
import functools

import httpx
import pytest
from starlette.applications import Starlette

from hub.errors import InvalidParameters
from hub.registration.platforms import PlatformAdmin, parse_role
from hub.types import InterfaceRole, TokenEncoding
from tests.conftest import StartFake
from tests.helpers import HUB_URL


def raw(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


def b64(token: str) -> dict[str, str]:
    return {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}


async def declare(admin: PlatformAdmin, role: str, encoding: TokenEncoding = TokenEncoding.RAW) -> str:
    added = await admin.add(name=f"old-{role.lower()}", roles=[parse_role(f"{role}:NL:OLD")], token_encoding=encoding)
    return added.token_a


async def test_the_hub_offers_2_1_1_2_2_1_and_2_3_0(hub_client: httpx.AsyncClient, admin: PlatformAdmin) -> None:
    token_a = await declare(admin, "CPO")
    reply = (await hub_client.get("/ocpi/versions", headers=raw(token_a))).json()
    assert reply["data"] == [{"version": v, "url": f"{HUB_URL}/ocpi/{v}"} for v in ("2.1.1", "2.2.1", "2.3.0")]


async def test_2_1_1_version_details_list_the_hub_side_for_the_callers_role(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin
) -> None:
    root = f"{HUB_URL}/ocpi/2.1.1"
    cpo = (await hub_client.get("/ocpi/2.1.1", headers=raw(await declare(admin, "CPO")))).json()["data"]
    assert all("role" not in e for e in cpo["endpoints"])  # 2.1.1 endpoints have no role
    assert {e["identifier"]: e["url"] for e in cpo["endpoints"]} == {
        "credentials": f"{root}/credentials",
        "locations": f"{root}/receiver/locations",  # toward a CPO the hub is an eMSP
        "sessions": f"{root}/receiver/sessions",
        "cdrs": f"{root}/receiver/cdrs",
        "tariffs": f"{root}/receiver/tariffs",
        "tokens": f"{root}/sender/tokens",
    }
    emsp_token = (await admin.add(name="old-emsp", roles=[parse_role("EMSP:DE:OLD")])).token_a
    emsp = (await hub_client.get("/ocpi/2.1.1", headers=raw(emsp_token))).json()["data"]
    assert {e["identifier"]: e["url"] for e in emsp["endpoints"]} == {
        "credentials": f"{root}/credentials",
        "locations": f"{root}/sender/locations",  # toward an eMSP the hub is a CPO
        "sessions": f"{root}/sender/sessions",
        "cdrs": f"{root}/sender/cdrs",
        "tariffs": f"{root}/sender/tariffs",
        "tokens": f"{root}/receiver/tokens",
        "commands": f"{root}/receiver/commands",
    }


async def test_raw_tokens_open_2_1_1_urls_only(hub_client: httpx.AsyncClient, admin: PlatformAdmin) -> None:
    token_a = await declare(admin, "CPO", TokenEncoding.BASE64)
    assert (await hub_client.get("/ocpi/2.1.1", headers=raw(token_a))).status_code == 200
    assert (await hub_client.get("/ocpi/2.2.1", headers=raw(token_a))).status_code == 401
    assert (await hub_client.get("/ocpi/2.2.1", headers=b64(token_a))).status_code == 200


async def test_the_hubs_credentials_in_each_versions_shape(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin, connect_fake: StartFake
) -> None:
    token_a = await declare(admin, "CPO")
    v211 = (await hub_client.get("/ocpi/2.1.1/credentials", headers=raw(token_a))).json()["data"]
    assert set(v211) == {"token", "url", "business_details", "party_id", "country_code"}
    assert (v211["country_code"], v211["party_id"], v211["token"]) == ("NL", "HUB", token_a)

    v230 = (await hub_client.get("/ocpi/2.3.0/credentials", headers=b64(token_a))).json()["data"]
    assert v230["hub_party_id"] == "NLHUB"
    assert [r["role"] for r in v230["roles"]] == ["OTHER"]  # nobody else connected yet: the hub itself
    await connect_fake([("EMSP", "DE", "EMS")])
    v230 = (await hub_client.get("/ocpi/2.3.0/credentials", headers=b64(token_a))).json()["data"]
    assert [(r["role"], r["country_code"], r["party_id"]) for r in v230["roles"]] == [("EMSP", "DE", "EMS")]
    assert "HUB" not in {r["role"] for r in v230["roles"]}  # 2.3.0 has no HUB role


async def test_a_2_1_1_registration_needs_one_declared_cpo_or_emsp(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin
) -> None:
    added = await admin.add(name="two-roles", roles=[parse_role("CPO:NL:TWO"), parse_role("EMSP:NL:TWO")])
    credentials = {
        "token": "some-token-b",
        "url": "http://127.0.0.1:9/ocpi/versions",
        "business_details": {"name": "Two"},
        "party_id": "TWO",
        "country_code": "NL",
    }
    reply = await hub_client.post("/ocpi/2.1.1/credentials", json=credentials, headers=raw(added.token_a))
    body = reply.json()
    assert body["status_code"] == 2001 and "one CPO or eMSP party" in body["status_message"]
    shaped_221 = await hub_client.post(
        "/ocpi/2.1.1/credentials",
        json={"token": "t", "url": "http://x/ocpi/versions", "roles": []},
        headers=raw(added.token_a),
    )
    assert shaped_221.json()["status_code"] == 2001
    assert "OCPI 2.1.1 credentials have" in shaped_221.json()["status_message"]


async def test_item_77_a_2_1_1_timeout_result_reaches_a_2_2_1_emsp_as_a_timeout_command_result(
    hub_app: Starlette,
) -> None:
    """A 2.1.1 CPO's asynchronous CommandResponse at the hub's response_url, on its way to the
    2.2.1 eMSP (`ingress.functional.follow` relays what `Editions.relay` gives)."""
    editions = hub_app.state.hub.editions
    relay = functools.partial(
        editions.relay, "2.1.1", "2.2.1", module="commands", interface=InterfaceRole.SENDER, method="POST"
    )
    assert await relay(body={"result": "TIMEOUT"}) == {"result": "TIMEOUT"}
    assert await relay(body={"result": "UNKNOWN_SESSION"}) == {"result": "FAILED"}  # no such 2.2.1 result
    assert await relay(body={"result": "ACCEPTED"}) == {"result": "ACCEPTED"}


async def test_a_command_result_the_translation_cannot_read_is_2001(hub_app: Starlette) -> None:
    relay = functools.partial(
        hub_app.state.hub.editions.relay, "2.1.1", "2.2.1", module="commands", interface=InterfaceRole.SENDER
    )
    with pytest.raises(InvalidParameters, match="Not a valid OCPI 2.1.1 CommandResult object"):
        await relay(method="POST", body={"outcome": "ACCEPTED"})


async def test_2_3_0_credentials_whose_roles_are_no_list_are_2001(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin
) -> None:
    token_a = (await admin.add(name="new-cpo", roles=[parse_role("CPO:NL:NEW")])).token_a
    body = {"token": "token-b", "url": "http://127.0.0.1:9/ocpi/versions", "hub_party_id": "NLNEW", "roles": 5}
    reply = await hub_client.post("/ocpi/2.3.0/credentials", json=body, headers=b64(token_a))
    assert reply.status_code == 200 and reply.json()["status_code"] == 2001, reply.text
