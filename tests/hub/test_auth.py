"""hub.authentication through the front door: who may call what (checklist A.1-A.5)."""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from hub.ocpi.versions import V221, hub_endpoints
from hub.registration.platforms import PlatformAdmin, parse_role
from hub.types import TokenEncoding
from tests.conftest import StartFake
from tests.helpers import HUB_URL, HUB_VERSIONS_URL, auth_header, serves

CONFIGURATION = [
    ("GET", "/ocpi/versions"),
    ("GET", "/ocpi/2.2.1"),
    ("GET", "/ocpi/2.2.1/credentials"),
    ("POST", "/ocpi/2.2.1/credentials"),
    ("PUT", "/ocpi/2.2.1/credentials"),
    ("DELETE", "/ocpi/2.2.1/credentials"),
]
# Every functional module endpoint the hub advertises (hub_endpoints), SENDER and RECEIVER, in each
# URL form of the module's grammar (mod_*.asciidoc, "Interfaces and endpoints"), and hubclientinfo.
ROUTED = [
    ("GET", "/ocpi/2.2.1/sender/cdrs"),
    ("GET", "/ocpi/2.2.1/receiver/cdrs/CDR1"),
    ("POST", "/ocpi/2.2.1/receiver/cdrs"),
    ("POST", "/ocpi/2.2.1/sender/chargingprofiles/SESSION1"),
    ("PUT", "/ocpi/2.2.1/sender/chargingprofiles/SESSION1"),
    ("GET", "/ocpi/2.2.1/receiver/chargingprofiles/SESSION1"),
    ("PUT", "/ocpi/2.2.1/receiver/chargingprofiles/SESSION1"),
    ("DELETE", "/ocpi/2.2.1/receiver/chargingprofiles/SESSION1"),
    ("POST", "/ocpi/2.2.1/sender/commands/START_SESSION/CMD1"),
    ("POST", "/ocpi/2.2.1/receiver/commands/START_SESSION"),
    ("GET", "/ocpi/2.2.1/sender/locations"),
    ("GET", "/ocpi/2.2.1/sender/locations/LOC1"),
    ("GET", "/ocpi/2.2.1/sender/locations/LOC1/EVSE1/1"),
    ("GET", "/ocpi/2.2.1/receiver/locations/NL/CPA/LOC1"),
    ("PUT", "/ocpi/2.2.1/receiver/locations/NL/CPA/LOC1"),
    ("PUT", "/ocpi/2.2.1/receiver/locations/NL/CPA/LOC1/EVSE1"),
    ("PATCH", "/ocpi/2.2.1/receiver/locations/NL/CPA/LOC1/EVSE1/1"),
    ("GET", "/ocpi/2.2.1/sender/sessions"),
    ("PUT", "/ocpi/2.2.1/sender/sessions/SESSION1/charging_preferences"),
    ("GET", "/ocpi/2.2.1/receiver/sessions/NL/CPA/SESSION1"),
    ("PUT", "/ocpi/2.2.1/receiver/sessions/NL/CPA/SESSION1"),
    ("PATCH", "/ocpi/2.2.1/receiver/sessions/NL/CPA/SESSION1"),
    ("GET", "/ocpi/2.2.1/sender/tariffs"),
    ("GET", "/ocpi/2.2.1/receiver/tariffs/NL/CPA/TARIFF1"),
    ("PUT", "/ocpi/2.2.1/receiver/tariffs/NL/CPA/TARIFF1"),
    ("DELETE", "/ocpi/2.2.1/receiver/tariffs/NL/CPA/TARIFF1"),
    ("GET", "/ocpi/2.2.1/sender/tokens"),
    ("POST", "/ocpi/2.2.1/sender/tokens/TOKEN1/authorize"),
    ("GET", "/ocpi/2.2.1/receiver/tokens/DE/EMS/TOKEN1"),
    ("PUT", "/ocpi/2.2.1/receiver/tokens/DE/EMS/TOKEN1"),
    ("PATCH", "/ocpi/2.2.1/receiver/tokens/DE/EMS/TOKEN1"),
    ("GET", "/ocpi/2.2.1/sender/hubclientinfo"),
    ("PUT", "/ocpi/2.2.1/receiver/hubclientinfo/NL/CPA"),
]
BODY = {"token": "x", "url": "http://127.0.0.1:9/ocpi/versions", "roles": []}


def raw_header(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


async def token_a_for(admin: PlatformAdmin, *, encoding: TokenEncoding = TokenEncoding.BASE64) -> str:
    added = await admin.add(name="cpo", roles=[parse_role("CPO:NL:CPA")], token_encoding=encoding)
    return added.token_a


def served(app: Starlette, paths: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`paths`, once it is checked that the app serves every one of them: a route that went
    missing fails here rather than dropping out of the authentication tests unnoticed."""
    missing = [(m, p) for m, p in paths if not serves(app, m, p)]
    assert not missing, f"the hub does not serve {missing}"
    return paths


def test_the_routed_table_covers_every_endpoint_the_hub_advertises() -> None:
    advertised = {
        (e["identifier"], urlsplit(e["url"]).path)
        for e in hub_endpoints(V221, HUB_URL)
        if e["identifier"] != "credentials"
    }
    covered = {
        (module, base) for module, base in advertised if any(p == base or p.startswith(base + "/") for _, p in ROUTED)
    }
    assert covered == advertised, f"no ROUTED entry for {sorted(advertised - covered)}"


async def test_item_01_missing_authorization_is_401(hub_app: Starlette, hub_client: httpx.AsyncClient) -> None:
    for method, path in served(hub_app, CONFIGURATION + ROUTED):
        reply = await hub_client.request(method, path, json=BODY if method in ("POST", "PUT") else None)
        assert reply.status_code == 401, (method, path)
        assert isinstance(reply.json()["status_code"], int)


async def test_item_02_unknown_token_is_401(
    hub_app: Starlette, hub_client: httpx.AsyncClient, admin: PlatformAdmin
) -> None:
    await token_a_for(admin)  # a registry that is not empty
    # each request from its own address: failed authentications are rate limited per address
    for n, (method, path) in enumerate(served(hub_app, CONFIGURATION + ROUTED)):
        transport = httpx.ASGITransport(app=hub_app, client=(f"198.51.100.{n % 250}", 1000 + n))
        async with httpx.AsyncClient(transport=transport, base_url=str(hub_client.base_url)) as client:
            for header in (auth_header("no-such-token"), raw_header("no-such-token"), {"Authorization": "Token "}):
                reply = await client.request(method, path, headers=header)
                assert reply.status_code == 401, (method, path, header)


async def test_item_03_token_a_opens_versions_and_credentials(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin
) -> None:
    headers = auth_header(await token_a_for(admin))
    assert (await hub_client.get("/ocpi/versions", headers=headers)).status_code == 200
    assert (await hub_client.get("/ocpi/2.2.1", headers=headers)).status_code == 200
    assert (await hub_client.get("/ocpi/2.2.1/credentials", headers=headers)).status_code == 200


async def test_item_03_token_a_is_refused_on_functional_modules_and_hubclientinfo(
    hub_app: Starlette, hub_client: httpx.AsyncClient, admin: PlatformAdmin
) -> None:
    headers = auth_header(await token_a_for(admin))
    routing = {
        "OCPI-from-country-code": "NL",
        "OCPI-from-party-id": "CPA",
        "OCPI-to-country-code": "DE",
        "OCPI-to-party-id": "EMS",
    }
    for method, path in served(hub_app, ROUTED):
        json_body = {} if method != "GET" else None
        reply = await hub_client.request(method, path, headers=headers | routing, json=json_body)
        assert reply.status_code == 401, (method, path)


async def test_item_04_token_a_is_dead_after_registration(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin, start_fake: StartFake, hub_mounts: dict[str, object]
) -> None:
    token_a = await token_a_for(admin)
    fake = await start_fake([("CPO", "NL", "CPA")], mounts=hub_mounts)
    await fake.register_with_hub(HUB_VERSIONS_URL, token_a)
    for method, path in CONFIGURATION:
        reply = await hub_client.request(method, path, headers=auth_header(token_a))
        assert reply.status_code == 401, (method, path)
    assert (await hub_client.get("/ocpi/versions", headers=auth_header(str(fake.token_c)))).status_code == 200


async def test_item_05_base64_token_with_trailing_newline_is_accepted(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin
) -> None:
    token_a = await token_a_for(admin)
    for ending in ("\n", "\r\n"):
        value = base64.b64encode((token_a + ending).encode()).decode()
        reply = await hub_client.get("/ocpi/versions", headers={"Authorization": f"Token {value}"})
        assert reply.status_code == 200, repr(ending)


async def test_item_05_raw_token_is_refused_for_a_base64_platform(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin
) -> None:
    token_a = await token_a_for(admin)
    assert (await hub_client.get("/ocpi/versions", headers=raw_header(token_a))).status_code == 401
    assert (await hub_client.get("/ocpi/versions", headers=auth_header(token_a))).status_code == 200


async def test_item_05_raw_token_is_accepted_for_a_raw_platform(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin
) -> None:
    token_a = await token_a_for(admin, encoding=TokenEncoding.RAW)
    assert (await hub_client.get("/ocpi/versions", headers=raw_header(token_a))).status_code == 200
    # a raw platform that does encode is still understood
    assert (await hub_client.get("/ocpi/versions", headers=auth_header(token_a))).status_code == 200


@pytest.mark.hub_settings(accept_raw_tokens=True)
async def test_item_05_accept_raw_tokens_opens_raw_for_every_platform(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin
) -> None:
    token_a = await token_a_for(admin)
    assert (await hub_client.get("/ocpi/versions", headers=raw_header(token_a))).status_code == 200


async def test_item_05_raw_platform_registers_and_is_called_raw(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin, start_fake: StartFake, hub_mounts: dict[str, object]
) -> None:
    token_a = await token_a_for(admin, encoding=TokenEncoding.RAW)
    fake = await start_fake([("CPO", "NL", "CPA")], mounts=hub_mounts, token_encoding="raw")
    await fake.register_with_hub(HUB_VERSIONS_URL, token_a)
    calls = [r for r in fake.requests if r.path in ("/ocpi/versions", "/ocpi/2.2.1")]
    assert calls and all(r.authorization == f"Token {fake.token_b}" for r in calls)
    assert (await hub_client.get("/ocpi/versions", headers=raw_header(str(fake.token_c)))).status_code == 200


async def test_unknown_token_lookups_are_negatively_cached_but_new_platforms_are_seen(
    hub_app: Starlette, hub_client: httpx.AsyncClient, admin: PlatformAdmin
) -> None:
    # A token presented before it existed must work once the registry changes (cache cleared).
    assert (await hub_client.get("/ocpi/versions", headers=auth_header("later-token"))).status_code == 401
    added = await admin.add(name="late", roles=[parse_role("EMSP:DE:LAT")], token_a="later-token")
    assert added.token_a == "later-token"
    hub_app.state.hub.auth.invalidate()  # what the registry watcher does when it sees the revision move
    assert (await hub_client.get("/ocpi/versions", headers=auth_header("later-token"))).status_code == 200
