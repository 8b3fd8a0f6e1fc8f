"""hub.ingress.configuration: the versions, version details and credentials endpoints the hub
answers itself (checklist A.8, B.14, B.15, B.24, B.25, and bad credentials input)."""

from __future__ import annotations

import httpx
import pytest

from hub.ocpi.versions import EDITIONS
from hub.registration.platforms import PlatformAdmin, parse_role
from tests.conftest import StartFake
from tests.helpers import HUB_URL, HUB_VERSIONS_URL, auth_header

FUNCTIONAL = ("cdrs", "chargingprofiles", "commands", "locations", "sessions", "tariffs", "tokens")


@pytest.fixture
async def token_a(admin: PlatformAdmin) -> str:
    return (await admin.add(name="cpo", roles=[parse_role("CPO:NL:CPA")])).token_a


async def test_item_14_versions_lists_every_supported_version(hub_client: httpx.AsyncClient, token_a: str) -> None:
    reply = await hub_client.get("/ocpi/versions", headers=auth_header(token_a))
    assert reply.status_code == 200
    versions = reply.json()["data"]
    assert {"version": "2.2.1", "url": f"{HUB_URL}/ocpi/2.2.1"} in versions
    assert sorted(v["version"] for v in versions) == sorted(EDITIONS)  # every edition the hub implements
    for version in versions:  # every listed URL answers with that version's details
        details = await hub_client.get(version["url"], headers=auth_header(token_a))
        assert details.json()["data"]["version"] == version["version"]


async def test_item_15_version_details_list_sender_and_receiver_of_every_module(
    hub_client: httpx.AsyncClient, token_a: str
) -> None:
    reply = await hub_client.get("/ocpi/2.2.1", headers=auth_header(token_a))
    data = reply.json()["data"]
    assert data["version"] == "2.2.1"
    endpoints = data["endpoints"]
    for endpoint in endpoints:
        assert set(endpoint) == {"identifier", "role", "url"}
        assert endpoint["role"] in ("SENDER", "RECEIVER")
        assert endpoint["url"].startswith(f"{HUB_URL}/ocpi/2.2.1/")
    pairs = [(e["identifier"], e["role"]) for e in endpoints]
    expected = {(m, r) for m in FUNCTIONAL for r in ("SENDER", "RECEIVER")}
    # hubclientinfo RECEIVER: where an upstream hub tells which parties it reaches (hub.routing.learn)
    expected |= {("hubclientinfo", "SENDER"), ("hubclientinfo", "RECEIVER"), ("credentials", "SENDER")}
    assert set(pairs) == expected
    assert len(pairs) == len(expected)  # credentials once, nothing twice
    assert len({e["url"] for e in endpoints}) == len(endpoints)  # SENDER and RECEIVER urls differ


async def test_unknown_version_is_404(hub_client: httpx.AsyncClient, token_a: str) -> None:
    for path in ("/ocpi/1.9", "/ocpi/9.9/credentials"):
        reply = await hub_client.get(path, headers=auth_header(token_a))
        assert reply.status_code == 404
        assert reply.json()["status_code"] >= 2000


async def test_item_24_get_credentials_returns_what_the_client_uses_toward_the_hub(
    hub_client: httpx.AsyncClient, connect_fake: StartFake
) -> None:
    fake = await connect_fake([("CPO", "NL", "CPA")])
    reply = await hub_client.get("/ocpi/2.2.1/credentials", headers=auth_header(str(fake.token_c)))
    data = reply.json()["data"]
    assert data["token"] == fake.token_c
    assert data["url"] == HUB_VERSIONS_URL
    assert [r["role"] for r in data["roles"]] == ["HUB"]
    assert fake.hub_credentials == data  # the same object the POST answered with


async def test_item_25_hub_reports_itself_only_as_hub(hub_client: httpx.AsyncClient, connect_fake: StartFake) -> None:
    fake = await connect_fake([("CPO", "NL", "CPA")])
    await connect_fake([("EMSP", "DE", "EMS")])  # other connected parties are not roles of the hub
    data = (await hub_client.get("/ocpi/2.2.1/credentials", headers=auth_header(str(fake.token_c)))).json()["data"]
    assert data["roles"] == [
        {"role": "HUB", "business_details": {"name": "OCPI Hub"}, "party_id": "HUB", "country_code": "NL"}
    ]


@pytest.mark.hub_settings(
    country_code="de", party_id="hbx", business_name="Test Hub GmbH", business_website="https://hub.example.com"
)
async def test_item_25_hub_role_uses_the_configured_identity(
    hub_client: httpx.AsyncClient, connect_fake: StartFake
) -> None:
    fake = await connect_fake([("CPO", "NL", "CPA")])
    assert fake.hub_credentials is not None
    assert fake.hub_credentials["roles"] == [
        {
            "role": "HUB",
            "business_details": {"name": "Test Hub GmbH", "website": "https://hub.example.com"},
            "party_id": "HBX",
            "country_code": "DE",
        }
    ]


async def test_item_08_body_that_is_not_json_is_400_with_2001(hub_client: httpx.AsyncClient, token_a: str) -> None:
    for body in (b"{not json", b"[1, 2", b"\xff\xfe", b"   ", b""):
        reply = await hub_client.post("/ocpi/2.2.1/credentials", headers=auth_header(token_a), content=body)
        assert reply.status_code == 400, body
        assert reply.json()["status_code"] == 2001


GOOD = {
    "token": "client-token-b",
    "url": "http://127.0.0.1:9/ocpi/versions",
    "roles": [{"role": "CPO", "business_details": {"name": "CPO"}, "party_id": "CPA", "country_code": "NL"}],
}


def without(key: str) -> dict[str, object]:
    return {k: v for k, v in GOOD.items() if k != key}


def with_role(**changes: object) -> dict[str, object]:
    return GOOD | {"roles": [GOOD["roles"][0] | changes]}  # type: ignore[index]


WRONG_SHAPES: list[tuple[object, str]] = [
    (["a", "list"], "body"),
    (without("token"), "token"),
    (without("url"), "url"),
    (GOOD | {"url": "ftp://example.com/versions"}, "url"),
    (GOOD | {"token": "has spaces in it"}, "token"),
    (GOOD | {"token": "x" * 65}, "token"),
    (GOOD | {"roles": []}, "roles"),
    (with_role(party_id="TOOLONG"), "roles.0.party_id"),
    (with_role(country_code="N1"), "roles.0.country_code"),
    (with_role(role="KING"), "roles.0.role"),
    (with_role(business_details={}), "roles.0.business_details.name"),
]


async def test_credentials_of_the_wrong_shape_are_2001_naming_the_field(
    hub_client: httpx.AsyncClient, token_a: str, admin: PlatformAdmin
) -> None:
    for body, field in WRONG_SHAPES:
        reply = await hub_client.post("/ocpi/2.2.1/credentials", headers=auth_header(token_a), json=body)
        # valid JSON addressing an existing resource: no HTTP error (status_codes.asciidoc 12)
        assert reply.status_code == 200, field
        envelope = reply.json()
        assert envelope["status_code"] == 2001, field
        assert field in envelope["status_message"], envelope["status_message"]
    assert (await admin.describe())[0]["status"] == "PLANNED"  # and token A still works:
    assert (await hub_client.get("/ocpi/versions", headers=auth_header(token_a))).status_code == 200


async def test_roles_not_declared_for_the_platform_are_refused(
    hub_client: httpx.AsyncClient, token_a: str, admin: PlatformAdmin
) -> None:
    # token_a's platform is declared as CPO:NL:CPA; it may not claim another party
    body = with_role(party_id="XYZ")
    reply = await hub_client.post("/ocpi/2.2.1/credentials", headers=auth_header(token_a), json=body)
    assert reply.status_code == 200
    assert reply.json()["status_code"] == 2001
    assert "not declared" in reply.json()["status_message"]
    (platform,) = await admin.describe()
    assert platform["status"] == "PLANNED"
