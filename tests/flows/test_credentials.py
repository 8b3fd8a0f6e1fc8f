"""The credentials handshake end to end, in process: the hub app (lifespan running) and fake
platforms on real loopback sockets (checklist A.6, A.7, A.11, B.17-B.23, B.27-B.29)."""

from __future__ import annotations

import base64
import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from starlette.applications import Starlette

from hub.db.db import SessionFactory
from hub.errors import ClientApiError, MissingEndpoints
from hub.registration.platforms import PlatformAdmin, parse_role
from hub.token_vault import TokenVault
from tests.conftest import StartFake
from tests.fakes.ocpi import RecordedRequest, decode_token
from tests.fakes.party import FakePlatform, RegistrationError
from tests.fakes.serving import free_port
from tests.helpers import HUB_URL, HUB_VERSIONS_URL, TEST_SECRET, auth_header

CONFIG_PATHS = ("/ocpi/versions", "/ocpi/2.2.1", "/ocpi/2.2.1/credentials")
PRINTABLE = re.compile(r"^[\x21-\x7e]{1,64}$")
STRICT_HEADER = re.compile(r"^Token [A-Za-z0-9+/]+={0,2}$")


async def declare(admin: PlatformAdmin, fake: FakePlatform, name: str = "platform") -> tuple[int, str]:
    """The operator's step: declare the platform with the fake's roles; returns (id, token A)."""
    added = await admin.add(name=name, roles=[parse_role(":".join(r)) for r in fake.roles])
    assert added.platform.id is not None
    return added.platform.id, added.token_a


async def stored(admin: PlatformAdmin, platform_id: int) -> dict[str, Any]:
    (platform,) = await admin.describe(platform_id=platform_id)
    return platform


def endpoint_rows(fake: FakePlatform) -> list[dict[str, str]]:
    return [{"module": e["identifier"], "role": e["role"], "url": e["url"]} for e in fake.endpoints()]


async def outbound_token(db: SessionFactory, platform_id: int) -> str | None:
    """The token the hub uses toward the platform, as the hub would recover it."""
    async with db() as session:
        connection = await session.connection()
        query = text("SELECT outbound_token_enc FROM platform WHERE id = :id")
        sealed = (await connection.execute(query, {"id": platform_id})).scalar_one()
    return TokenVault(TEST_SECRET).decrypt(sealed) if sealed else None


async def hub_registers_at(hub_app: Starlette, platform_id: int, fake: FakePlatform, token_a: str) -> Any:
    return await hub_app.state.hub.registrar.register_with(
        platform_id=platform_id, versions_url=fake.versions_url, token_a=token_a
    )


# --- the hub as receiver of the handshake (the platform registers with the hub) -------------


async def test_item_17_post_credentials_registers_platform(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin, start_fake: StartFake, hub_mounts: dict[str, Any]
) -> None:
    fake = await start_fake([("CPO", "NL", "CPA")], mounts=hub_mounts, name="CPO One")
    platform_id, token_a = await declare(admin, fake)

    credentials = await fake.register_with_hub(HUB_VERSIONS_URL, token_a)

    # before answering, the hub read the client's versions and details with token B
    handshake = fake.handshake_requests
    assert [(r.method, r.path) for r in handshake] == [("GET", "/ocpi/versions"), ("GET", "/ocpi/2.2.1")]
    assert all(decode_token(r.authorization) == fake.token_b for r in fake.requests)
    # ...and answered with a new token C and its own credentials
    token_c = credentials["token"]
    assert token_c not in (token_a, fake.token_b)
    assert PRINTABLE.match(token_c)
    assert credentials["url"] == HUB_VERSIONS_URL
    assert [r["role"] for r in credentials["roles"]] == ["HUB"]
    platform = await stored(admin, platform_id)
    assert platform["status"] == "CONNECTED"
    assert platform["version"] == "2.2.1"
    assert platform["versions_url"] == fake.versions_url
    assert platform["registered"] is True
    assert platform["parties"] == [{"role": "CPO", "country_code": "NL", "party_id": "CPA"}]
    assert platform["endpoints"] == endpoint_rows(fake)
    assert (await hub_client.get("/ocpi/versions", headers=auth_header(token_c))).status_code == 200


async def test_item_17_platform_with_several_roles_registers_every_party(
    admin: PlatformAdmin, start_fake: StartFake, hub_mounts: dict[str, Any]
) -> None:
    roles = [("CPO", "NL", "CPA"), ("EMSP", "NL", "EMA"), ("CPO", "BE", "CPB")]
    fake = await start_fake(roles, mounts=hub_mounts)
    platform_id, token_a = await declare(admin, fake)
    await fake.register_with_hub(HUB_VERSIONS_URL, token_a)
    platform = await stored(admin, platform_id)
    assert platform["parties"] == [{"role": r, "country_code": cc, "party_id": pid} for r, cc, pid in roles]
    modules = {(e["module"], e["role"]) for e in platform["endpoints"]}
    assert {("locations", "SENDER"), ("locations", "RECEIVER"), ("tokens", "SENDER"), ("tokens", "RECEIVER")} <= modules


FAILURES = [
    pytest.param({"versions_failure": "500"}, id="versions-500"),
    pytest.param({"versions_failure": "html"}, id="versions-html"),
    pytest.param({"versions_failure": "not_envelope"}, id="versions-not-envelope"),
    pytest.param({"details_failure": "500"}, id="details-500"),
    pytest.param({"details_failure": "html"}, id="details-html"),
]


@pytest.mark.parametrize("failure", FAILURES)
async def test_item_18_client_api_failing_is_3001_and_nothing_is_stored(
    hub_client: httpx.AsyncClient,
    admin: PlatformAdmin,
    start_fake: StartFake,
    hub_mounts: dict[str, Any],
    failure: dict[str, str],
) -> None:
    fake = await start_fake([("CPO", "NL", "CPA")], mounts=hub_mounts, **failure)
    platform_id, token_a = await declare(admin, fake)
    with pytest.raises(RegistrationError) as refused:
        await fake.register_with_hub(HUB_VERSIONS_URL, token_a)
    assert refused.value.reply["status_code"] == 3001
    platform = await stored(admin, platform_id)
    assert (platform["status"], platform["registered"], platform["endpoints"]) == ("PLANNED", False, [])
    assert (await hub_client.get("/ocpi/versions", headers=auth_header(str(fake.token_b)))).status_code == 401

    # token A survives a failed attempt: once the platform is fixed, registration works
    fake.versions_failure = fake.details_failure = None
    await fake.register_with_hub(HUB_VERSIONS_URL, token_a)
    assert (await stored(admin, platform_id))["status"] == "CONNECTED"


async def test_item_18_unreachable_client_is_3001(hub_client: httpx.AsyncClient, admin: PlatformAdmin) -> None:
    token_a = (await admin.add(name="cpo", roles=[parse_role("CPO:NL:CPA")])).token_a
    body = {
        "token": "client-token-b",
        "url": f"http://127.0.0.1:{free_port()}/ocpi/versions",  # nobody listens there
        "roles": [{"role": "CPO", "business_details": {"name": "CPO"}, "party_id": "CPA", "country_code": "NL"}],
    }
    reply = await hub_client.post("/ocpi/2.2.1/credentials", headers=auth_header(token_a), json=body)
    assert reply.json()["status_code"] == 3001
    assert (await admin.describe())[0]["status"] == "PLANNED"


@pytest.mark.hub_settings(request_timeout_seconds=0.3)
async def test_item_18_client_that_does_not_answer_in_time_is_3001(
    admin: PlatformAdmin, start_fake: StartFake, hub_mounts: dict[str, Any]
) -> None:
    fake = await start_fake([("CPO", "NL", "CPA")], mounts=hub_mounts, versions_failure="slow", slow_seconds=0.6)
    _, token_a = await declare(admin, fake)
    with pytest.raises(RegistrationError) as refused:
        await fake.register_with_hub(HUB_VERSIONS_URL, token_a)
    assert refused.value.reply["status_code"] == 3001


async def test_client_without_a_common_version_is_3002(
    admin: PlatformAdmin, start_fake: StartFake, hub_mounts: dict[str, Any]
) -> None:
    fake = await start_fake([("CPO", "NL", "CPA")], mounts=hub_mounts, versions=("2.1.1",))
    platform_id, token_a = await declare(admin, fake)
    with pytest.raises(RegistrationError) as refused:
        await fake.register_with_hub(HUB_VERSIONS_URL, token_a)
    assert refused.value.reply["status_code"] == 3002
    assert (await stored(admin, platform_id))["status"] == "PLANNED"


@pytest.mark.hub_settings(required_endpoints=("locations", "tokens:RECEIVER"))
@pytest.mark.parametrize(
    ("roles", "omit", "registers"),
    [
        pytest.param([("CPO", "NL", "CPA")], (), True, id="all-present"),
        pytest.param([("CPO", "NL", "CPA")], ("locations",), False, id="module-missing"),
        pytest.param([("EMSP", "NL", "EMA")], (), False, id="role-missing"),  # tokens SENDER only
    ],
)
async def test_item_19_missing_required_endpoint_is_3003(
    admin: PlatformAdmin,
    start_fake: StartFake,
    hub_mounts: dict[str, Any],
    roles: list[tuple[str, str, str]],
    omit: tuple[str, ...],
    registers: bool,
) -> None:
    fake = await start_fake(roles, mounts=hub_mounts, omit_endpoints=omit)
    platform_id, token_a = await declare(admin, fake)
    if registers:
        await fake.register_with_hub(HUB_VERSIONS_URL, token_a)
        assert (await stored(admin, platform_id))["status"] == "CONNECTED"
        return
    with pytest.raises(RegistrationError) as refused:
        await fake.register_with_hub(HUB_VERSIONS_URL, token_a)
    assert refused.value.reply["status_code"] == 3003
    assert (await stored(admin, platform_id))["status"] == "PLANNED"


async def test_item_19_platform_without_credentials_endpoint_is_refused_by_default(
    admin: PlatformAdmin, start_fake: StartFake, hub_mounts: dict[str, Any], db: SessionFactory
) -> None:
    fake = await start_fake([("CPO", "NL", "CPA")], mounts=hub_mounts, omit_endpoints=("credentials",))
    platform_id, token_a = await declare(admin, fake)
    with pytest.raises(RegistrationError) as refused:
        await fake.register_with_hub(HUB_VERSIONS_URL, token_a)
    assert refused.value.status == 200
    assert refused.value.reply["status_code"] == 3003
    assert "credentials" in refused.value.reply["status_message"]
    # nothing stored: no endpoints, no token toward it, no token C, token A still the one to use
    platform = await stored(admin, platform_id)
    assert (platform["status"], platform["registered"], platform["endpoints"]) == ("PLANNED", False, [])
    assert platform["versions_url"] is None and await outbound_token(db, platform_id) is None
    fake.omit_endpoints = ()  # fixed on its side: the same token A registers it
    await fake.register_with_hub(HUB_VERSIONS_URL, token_a)
    assert (await stored(admin, platform_id))["status"] == "CONNECTED"


@pytest.mark.hub_settings(required_endpoints=())
async def test_item_19_required_endpoints_is_configurable(
    admin: PlatformAdmin, start_fake: StartFake, hub_mounts: dict[str, Any]
) -> None:
    fake = await start_fake([("CPO", "NL", "CPA")], mounts=hub_mounts, omit_endpoints=("credentials",))
    platform_id, token_a = await declare(admin, fake)
    await fake.register_with_hub(HUB_VERSIONS_URL, token_a)
    platform = await stored(admin, platform_id)
    assert platform["status"] == "CONNECTED"
    assert "credentials" not in {e["module"] for e in platform["endpoints"]}


async def test_item_20_post_by_a_registered_client_is_405(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin, connect_fake: StartFake
) -> None:
    fake = await connect_fake([("CPO", "NL", "CPA")])
    reply = await hub_client.post(
        "/ocpi/2.2.1/credentials", headers=auth_header(str(fake.token_c)), json=fake.credentials("another-b")
    )
    assert reply.status_code == 405
    assert reply.json()["status_code"] >= 2000
    assert (await stored(admin, fake.platform_id or 0))["status"] == "CONNECTED"
    assert (await hub_client.get("/ocpi/versions", headers=auth_header(str(fake.token_c)))).status_code == 200


async def test_item_21_put_refetches_endpoints_and_issues_a_new_token(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin, connect_fake: StartFake, db: SessionFactory
) -> None:
    fake = await connect_fake([("CPO", "NL", "CPA")])
    platform_id = fake.platform_id
    assert platform_id is not None
    old_c = str(fake.token_c)
    fake.omit_endpoints = ("tariffs",)  # the platform changed its endpoints
    seen = len(fake.handshake_requests)

    await fake.update_at_hub()

    new_c, new_b = str(fake.token_c), str(fake.token_b)
    assert new_c != old_c
    refetched = fake.handshake_requests[seen:]
    assert [(r.method, r.path) for r in refetched] == [("GET", "/ocpi/versions"), ("GET", "/ocpi/2.2.1")]
    assert all(decode_token(r.authorization) == new_b for r in refetched)
    platform = await stored(admin, platform_id)
    assert (platform["status"], platform["version"]) == ("CONNECTED", "2.2.1")
    assert platform["endpoints"] == endpoint_rows(fake)
    assert "tariffs" not in {e["module"] for e in platform["endpoints"]}
    assert await outbound_token(db, platform_id) == new_b
    assert (await hub_client.get("/ocpi/versions", headers=auth_header(old_c))).status_code == 401
    assert (await hub_client.get("/ocpi/versions", headers=auth_header(new_c))).status_code == 200


async def test_item_22_put_or_delete_before_registration_is_405(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin
) -> None:
    token_a = (await admin.add(name="cpo", roles=[parse_role("CPO:NL:CPA")])).token_a
    body = {
        "token": "client-token-b",
        "url": "http://127.0.0.1:9/ocpi/versions",
        "roles": [{"role": "CPO", "business_details": {"name": "CPO"}, "party_id": "CPA", "country_code": "NL"}],
    }
    put = await hub_client.put("/ocpi/2.2.1/credentials", headers=auth_header(token_a), json=body)
    delete = await hub_client.delete("/ocpi/2.2.1/credentials", headers=auth_header(token_a))
    assert (put.status_code, delete.status_code) == (405, 405)
    assert (await admin.describe())[0]["status"] == "PLANNED"
    assert (await hub_client.get("/ocpi/versions", headers=auth_header(token_a))).status_code == 200


async def test_item_23_delete_suspends_the_platform_and_kills_its_token(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin, connect_fake: StartFake, db: SessionFactory
) -> None:
    fake = await connect_fake([("CPO", "NL", "CPA")])
    platform_id = fake.platform_id
    assert platform_id is not None
    token_c = str(fake.token_c)

    reply = await fake.unregister_at_hub()

    assert reply.status_code == 200 and reply.json()["status_code"] == 1000
    for path in CONFIG_PATHS:
        assert (await hub_client.get(path, headers=auth_header(token_c))).status_code == 401
    platform = await stored(admin, platform_id)
    assert (platform["status"], platform["registered"]) == ("SUSPENDED", False)
    assert await outbound_token(db, platform_id) is None  # the hub forgot token B: no traffic to it
    # Pushing ClientInfo SUSPENDED for its parties to the other platforms is a later issue (G.65).

    # the operator can let it register again with a new token A
    token_a = await admin.issue_token_a(platform_id=platform_id)
    assert (await stored(admin, platform_id))["status"] == "PLANNED"
    await fake.register_with_hub(HUB_VERSIONS_URL, token_a)
    assert (await stored(admin, platform_id))["status"] == "CONNECTED"


# --- the hub as sender of the handshake (the hub registers at a platform) -------------------


async def test_item_27_hub_registers_with_token_a_and_keeps_token_c(
    hub_app: Starlette, admin: PlatformAdmin, start_fake: StartFake, hub_mounts: dict[str, Any], db: SessionFactory
) -> None:
    fake = await start_fake([("EMSP", "DE", "EMS")], mounts=hub_mounts)
    platform_id, _ = await declare(admin, fake)
    token_a = fake.issue_token_a()

    await hub_registers_at(hub_app, platform_id, fake, token_a)

    handshake = fake.handshake_requests
    assert [(r.method, r.path) for r in handshake] == [
        ("GET", "/ocpi/versions"),
        ("GET", "/ocpi/2.2.1"),
        ("POST", "/ocpi/2.2.1/credentials"),
    ]
    assert all(decode_token(r.authorization) == token_a for r in handshake)
    offered = handshake[-1].json
    assert offered["token"] == fake.token_b != token_a
    assert offered["url"] == HUB_VERSIONS_URL
    assert [r["role"] for r in offered["roles"]] == ["HUB"]
    assert fake.hub_endpoints  # the platform could read the hub's endpoints with token B
    platform = await stored(admin, platform_id)
    assert (platform["status"], platform["version"], platform["registered"]) == ("CONNECTED", "2.2.1", True)
    assert platform["endpoints"] == endpoint_rows(fake)
    assert await outbound_token(db, platform_id) == fake.token_c  # token C kept for all later calls
    own_view = await fake.request_hub("GET", f"{HUB_URL}/ocpi/2.2.1/credentials")
    assert own_view.json()["data"]["token"] == fake.token_b


async def test_item_27_hub_calls_the_platform_with_token_c_afterwards(
    hub_app: Starlette, admin: PlatformAdmin, start_fake: StartFake, hub_mounts: dict[str, Any], connect_fake: StartFake
) -> None:
    emsp = await start_fake([("EMSP", "DE", "EMS")], mounts=hub_mounts)
    platform_id, _ = await declare(admin, emsp, name="emsp")
    await hub_registers_at(hub_app, platform_id, emsp, emsp.issue_token_a())
    cpo = await connect_fake([("CPO", "NL", "CPA")], name="cpo")
    location = {"id": "LOC1", "country_code": "NL", "party_id": "CPA", "last_updated": "2024-01-01T00:00:00Z"}
    seen = len(emsp.received(module="locations"))

    reply = await cpo.request_hub(
        "PUT", cpo.hub_url("locations", "RECEIVER") + "/NL/CPA/LOC1", json=location, to=("DE", "EMS")
    )

    assert reply.status_code in (200, 201), reply.text
    (pushed,) = emsp.received(module="locations")[seen:]
    assert pushed.authorization == "Token " + base64.b64encode(str(emsp.token_c).encode()).decode()


@pytest.mark.parametrize(
    "omit",
    [
        pytest.param(("credentials",), id="no-credentials-endpoint"),
        pytest.param(
            ("credentials",),
            id="no-credentials-endpoint-even-when-not-required",
            marks=pytest.mark.hub_settings(required_endpoints=()),
        ),
        pytest.param(
            (), id="required-endpoint-missing", marks=pytest.mark.hub_settings(required_endpoints=("cdrs:SENDER",))
        ),
    ],
)
async def test_item_27_hub_never_posts_when_endpoints_are_missing(
    hub_app: Starlette, admin: PlatformAdmin, start_fake: StartFake, omit: tuple[str, ...]
) -> None:
    fake = await start_fake([("EMSP", "DE", "EMS")], omit_endpoints=omit)
    platform_id, _ = await declare(admin, fake)
    with pytest.raises(MissingEndpoints):
        await hub_registers_at(hub_app, platform_id, fake, fake.issue_token_a())
    assert [(r.method, r.path) for r in fake.requests] == [("GET", "/ocpi/versions"), ("GET", "/ocpi/2.2.1")]
    platform = await stored(admin, platform_id)
    assert (platform["status"], platform["registered"]) == ("PLANNED", False)


async def test_item_27_refused_credentials_post_revokes_token_b(
    hub_app: Starlette,
    hub_client: httpx.AsyncClient,
    admin: PlatformAdmin,
    start_fake: StartFake,
    hub_mounts: dict[str, Any],
) -> None:
    fake = await start_fake([("EMSP", "DE", "EMS")], mounts=hub_mounts, credentials_failure="500")
    platform_id, _ = await declare(admin, fake)
    with pytest.raises(ClientApiError):
        await hub_registers_at(hub_app, platform_id, fake, fake.issue_token_a())
    offered_b = fake.received(method="POST")[-1].json["token"]
    assert (await hub_client.get("/ocpi/versions", headers=auth_header(offered_b))).status_code == 401
    assert (await stored(admin, platform_id))["status"] == "PLANNED"


# --- what the hub's own requests look like (both directions) --------------------------------


@dataclass
class Traffic:
    """One registration each way: the fake that registered with the hub (`inbound`) and the fake
    the hub registered at (`outbound`, which issued `outbound_token_a`)."""

    inbound: FakePlatform
    outbound: FakePlatform
    outbound_token_a: str

    @property
    def hub_requests(self) -> list[tuple[RecordedRequest, set[str | None]]]:
        """Every request the hub made so far (the handshakes, and e.g. ClientInfo pushes), with
        the tokens the receiving fake accepts from the hub."""
        inbound, outbound = {self.inbound.token_b}, {self.outbound_token_a, self.outbound.token_c}
        return [(r, inbound) for r in self.inbound.requests] + [(r, outbound) for r in self.outbound.requests]


@pytest.fixture
async def traffic(
    hub_app: Starlette, admin: PlatformAdmin, start_fake: StartFake, hub_mounts: dict[str, Any]
) -> Traffic:
    inbound = await start_fake([("CPO", "NL", "CPA")], mounts=hub_mounts)
    _, token_a = await declare(admin, inbound, name="inbound")
    await inbound.register_with_hub(HUB_VERSIONS_URL, token_a)
    outbound = await start_fake([("EMSP", "DE", "EMS")], mounts=hub_mounts)
    platform_id, _ = await declare(admin, outbound, name="outbound")
    found = Traffic(inbound, outbound, outbound.issue_token_a())
    await hub_registers_at(hub_app, platform_id, outbound, found.outbound_token_a)
    assert len(inbound.handshake_requests) == 2 and len(outbound.handshake_requests) == 3
    return found


async def test_item_06_hub_sends_strict_base64_tokens(traffic: Traffic) -> None:
    for request, expected in traffic.hub_requests:
        header = request.authorization or ""
        assert STRICT_HEADER.match(header), header
        value = header.removeprefix("Token ")
        token = base64.b64decode(value, validate=True).decode()
        assert token in expected and not token.endswith(("\n", "\r"))
        assert base64.b64encode(token.encode()).decode() == value  # canonical padding, nothing extra


async def test_item_07_hub_sets_content_type_on_requests_with_a_body(traffic: Traffic) -> None:
    with_body = [r for r, _ in traffic.hub_requests if r.body]
    assert ("POST", "/ocpi/2.2.1/credentials") in [(r.method, r.path) for r in with_body]
    assert all(not r.body for r, _ in traffic.hub_requests if r.method == "GET")
    for request in with_body:
        assert request.header("content-type") == "application/json"
        assert isinstance(request.json, dict)


async def test_item_11_hub_requests_carry_fresh_unique_ids(traffic: Traffic) -> None:
    request_ids = []
    for request, _ in traffic.hub_requests:
        request_ids.append(str(uuid.UUID(request.header("x-request-id") or "")))
        uuid.UUID(request.header("x-correlation-id") or "")
    assert len(set(request_ids)) == len(request_ids)


async def test_item_28_hub_tokens_are_printable_ascii_and_not_wrapped(
    hub_client: httpx.AsyncClient, traffic: Traffic
) -> None:
    for token in (traffic.inbound.token_c, traffic.outbound.token_b):  # the tokens the hub made
        assert token is not None and PRINTABLE.match(token)
        # the JSON value is the token itself: encoding it once opens the hub
        assert (await hub_client.get("/ocpi/versions", headers=auth_header(token))).status_code == 200


async def test_item_29_no_routing_headers_on_configuration_traffic(
    hub_client: httpx.AsyncClient, traffic: Traffic
) -> None:
    for request, _ in traffic.hub_requests:
        assert request.path in CONFIG_PATHS or "/hubclientinfo/" in request.path, request.path
        assert set(request.routing.values()) == {None}, request.routing
    for path in CONFIG_PATHS:  # the hub answers them without routing headers, and sends none back
        reply = await hub_client.get(path, headers=auth_header(str(traffic.inbound.token_c)))
        assert reply.status_code == 200
        assert not any(name.lower().startswith("ocpi-") for name in reply.headers)


# --- logs ------------------------------------------------------------------------------------


async def test_no_token_appears_in_log_events(
    hub_app: Starlette,
    hub_client: httpx.AsyncClient,
    admin: PlatformAdmin,
    start_fake: StartFake,
    hub_mounts: dict[str, Any],
    capture_hub_logs: list[dict[str, Any]],
) -> None:
    # Rendered output of a real process is checked in test_registration_e2e; these are the events.
    inbound = await start_fake([("CPO", "NL", "CPA")], mounts=hub_mounts)
    _, inbound_a = await declare(admin, inbound, name="inbound")
    await inbound.register_with_hub(HUB_VERSIONS_URL, inbound_a)
    first_b, first_c = inbound.token_b, inbound.token_c
    await inbound.update_at_hub()
    outbound = await start_fake([("EMSP", "DE", "EMS")], mounts=hub_mounts, credentials_failure="500")
    platform_id, _ = await declare(admin, outbound, name="outbound")
    outbound_a = outbound.issue_token_a()
    with pytest.raises(ClientApiError):  # failures are logged too
        await hub_registers_at(hub_app, platform_id, outbound, outbound_a)
    failed_b = outbound.received(method="POST")[-1].json["token"]
    outbound.credentials_failure = None
    await hub_registers_at(hub_app, platform_id, outbound, outbound_a)
    await hub_client.get("/ocpi/versions", headers=auth_header("an-unknown-token"))

    assert {"platform_registered", "peer_call"} <= {e["event"] for e in capture_hub_logs}
    logged = repr(capture_hub_logs)
    tokens = [inbound_a, first_b, first_c, inbound.token_b, inbound.token_c, outbound_a, failed_b]
    for token in [*tokens, outbound.token_b, outbound.token_c, "an-unknown-token"]:
        assert token and token not in logged
        assert base64.b64encode(token.encode()).decode() not in logged
