"""Token rotation (issue 13 item 8), on SQLite and PostgreSQL: a platform's credentials token
(`ocpi-hub platforms rotate-token`, a credentials PUT to the platform) and the key that seals
tokens at rest (`previous_secret_keys`, `ocpi-hub keys rotate`). The hub runs in process, the
CLI as a real `python -m hub` on the same database, fake platforms on loopback sockets."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from starlette.applications import Starlette

from hub.db.db import SessionFactory
from hub.forwarding.proxies import Proxies, ProxyKind, ProxyTarget
from hub.liveness.peer import PeerClient
from hub.registration.platforms import PlatformAdmin, parse_role
from hub.registration.rotation import TokenRotation
from hub.settings import Settings
from hub.token_vault import TokenVault
from hub.types import PartyKey
from tests.conftest import StartFake
from tests.drain import outbox_drained
from tests.fakes.ocpi import decode_token
from tests.fakes.party import FakePlatform
from tests.helpers import HUB_URL, HUB_VERSIONS_URL, TEST_SECRET, running_app

ArunCli = Callable[..., Awaitable[subprocess.CompletedProcess[str]]]
CPO, EMSP = ("NL", "CPA"), ("DE", "EMS")
NEW_SECRET = "the-next-secret-key-0123456789abcdef"
V = f"{HUB_URL}/ocpi/2.2.1"


async def row(db: SessionFactory, platform_id: int) -> dict[str, Any]:
    async with db() as session:
        connection = await session.connection()
        query = text(
            "SELECT status, token_a_hash, inbound_token_hash, outbound_token_enc, registration_claimed_at "
            "FROM platform WHERE id = :id"
        )
        return dict((await connection.execute(query, {"id": platform_id})).mappings().one())


async def client_info(fake: FakePlatform, token: str | None = None) -> httpx.Response:
    """A request only a registered platform may make (token A is refused here)."""
    return await fake.request_hub("GET", f"{V}/sender/hubclientinfo", token=token)


async def refused_within(fake: FakePlatform, token: str, seconds: float) -> float:
    """Poll until the hub refuses `token` (401 / 2000); how long that took."""
    started = time.monotonic()
    while True:
        reply = await client_info(fake, token)
        if reply.status_code == 401:
            assert reply.json()["status_code"] == 2000
            return time.monotonic() - started
        assert time.monotonic() - started < seconds, f"old token still accepted after {seconds} s"
        await asyncio.sleep(0.02)


# --- platforms rotate-token -------------------------------------------------------------------


async def test_rotate_token_hands_a_new_token_over_and_the_old_one_stops_working(
    hub_app: Starlette, hub_settings: Settings, connect_fake: StartFake, arun_cli: ArunCli, db: SessionFactory
) -> None:
    cpo = await connect_fake([("CPO", *CPO)])
    assert cpo.platform_id is not None
    old, hub_token = str(cpo.outbound_token), str(cpo.inbound_token)
    assert (await client_info(cpo)).status_code == 200  # cached by the hub as a valid token

    result = await arun_cli("platforms", "rotate-token", str(cpo.platform_id), env={"HUB_PUBLIC_URL": HUB_URL})
    assert result.returncode == 0, result.stderr
    assert "has a new token" in result.stdout

    # the platform got a credentials PUT, authorised with the token it gave the hub, carrying the new token
    (put,) = cpo.received(method="PUT", path_prefix="/ocpi/2.2.1/credentials")
    assert decode_token(put.authorization) == hub_token
    new = put.json["token"]
    assert new != old and cpo.outbound_token == new
    # the new token works at once; the old one is refused within registry_poll_seconds (another process rotated)
    assert (await client_info(cpo)).status_code == 200
    took = await refused_within(cpo, old, seconds=hub_settings.registry_poll_seconds + 2.0)
    assert took <= hub_settings.registry_poll_seconds + 2.0
    # the hub now calls the platform with the token the platform answered with
    stored = await row(db, cpo.platform_id)
    assert TokenVault(TEST_SECRET).decrypt(stored["outbound_token_enc"]) == cpo.inbound_token != hub_token
    assert (stored["token_a_hash"], stored["registration_claimed_at"]) == (None, None)
    assert stored["inbound_token_hash"] == TokenVault(TEST_SECRET).hash(new)


async def test_rotate_token_changes_nothing_when_the_platform_refuses_the_put(
    hub_app: Starlette, connect_fake: StartFake, arun_cli: ArunCli, db: SessionFactory
) -> None:
    cpo = await connect_fake([("CPO", *CPO)])
    assert cpo.platform_id is not None
    old = str(cpo.outbound_token)
    before = await row(db, cpo.platform_id)
    cpo.credentials_failure = "500"

    result = await arun_cli("platforms", "rotate-token", str(cpo.platform_id), env={"HUB_PUBLIC_URL": HUB_URL})
    assert result.returncode == 1
    assert "Credentials PUT failed" in result.stderr and "nothing changed" in result.stderr
    assert "OCPI status 3001" in result.stderr

    (put,) = cpo.received(method="PUT", path_prefix="/ocpi/2.2.1/credentials")
    assert await row(db, cpo.platform_id) == before  # tokens, token A slot and claim as they were
    assert (await client_info(cpo, old)).status_code == 200
    assert (await client_info(cpo, put.json["token"])).status_code == 401


async def test_rotation_in_the_hub_process_refuses_the_old_token_at_once(
    hub_app: Starlette, connect_fake: StartFake
) -> None:
    cpo = await connect_fake([("CPO", *CPO)])
    assert cpo.platform_id is not None
    old = str(cpo.outbound_token)
    assert (await client_info(cpo)).status_code == 200  # in the hub's token cache now
    hub = hub_app.state.hub
    rotation = TokenRotation(
        settings=hub.settings,
        sessions=hub.sessions,
        vault=hub.vault,
        peer=PeerClient(hub.http, timeout_seconds=5),
        on_change=hub.on_registry_change,
    )

    rotated = await rotation.rotate_token(platform_id=cpo.platform_id)

    assert rotated.platform_id == cpo.platform_id
    refused = await client_info(cpo, old)
    assert (refused.status_code, refused.json()["status_code"]) == (401, 2000)
    assert cpo.outbound_token != old and (await client_info(cpo)).status_code == 200


# --- key rotation -----------------------------------------------------------------------------


class CurrentHub(httpx.AsyncBaseTransport):
    """Lets fakes reach whichever in-process hub app runs now (one per key configuration)."""

    def __init__(self) -> None:
        self.app: Starlette | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert self.app is not None
        return await httpx.ASGITransport(app=self.app).handle_async_request(request)


async def routed_get(emsp: FakePlatform) -> httpx.Response:
    return await emsp.request_hub("GET", f"{V}/sender/locations/LOC1", to=CPO)


async def test_previous_keys_keep_the_hub_working_and_keys_rotate_moves_everything_to_the_new_key(
    hub_settings: Settings, admin: PlatformAdmin, start_fake: StartFake, arun_cli: ArunCli, db: SessionFactory
) -> None:
    hub = CurrentHub()
    cpo = await start_fake([("CPO", *CPO)], mounts={HUB_URL: hub})
    emsp = await start_fake([("EMSP", *EMSP)], mounts={HUB_URL: hub})
    cpo.add_object("locations", {"id": "LOC1"})
    ids: dict[str, int] = {}

    # 1. a hub under key K1 registers both platforms: tokens hashed and sealed under K1
    async with running_app(hub_settings) as hub.app:
        for name, fake in (("cpo", cpo), ("emsp", emsp)):
            added = await admin.add(name=name, roles=[parse_role(":".join(r)) for r in fake.roles])
            assert added.platform.id is not None
            ids[name] = added.platform.id
            await fake.register_with_hub(HUB_VERSIONS_URL, added.token_a)
        assert (await routed_get(emsp)).json()["status_code"] == 1000
        await outbox_drained(db)  # ClientInfo fan-out done before this hub stops

    old_key, new_key = TokenVault(TEST_SECRET), TokenVault(NEW_SECRET)
    rotating = hub_settings.model_copy(update={"secret_key": NEW_SECRET, "previous_secret_keys": (TEST_SECRET,)})
    # 2. secret_key K2, previous [K1]: the hub still authenticates both and forwards with their tokens
    async with running_app(rotating) as hub.app:
        answer = await routed_get(emsp)
        assert answer.json()["status_code"] == 1000 and answer.json()["data"]["id"] == "LOC1"
        assert decode_token(cpo.received(module="locations")[-1].authorization) == cpo.inbound_token
        assert (await client_info(cpo)).status_code == 200
        for name, fake in (("cpo", cpo), ("emsp", emsp)):  # each accepted token was re-hashed under K2
            assert (await row(db, ids[name]))["inbound_token_hash"] == new_key.hash(str(fake.outbound_token))

        env = {"HUB_SECRET_KEY": NEW_SECRET, "HUB_PREVIOUS_SECRET_KEYS": json.dumps([TEST_SECRET])}
        result = await arun_cli("keys", "rotate", env=env)  # while that hub serves
        assert result.returncode == 0, result.stderr
        assert "Platform tokens: 2 re-encrypted, 0 already under the current key, 0 unreadable" in result.stdout
        assert (await routed_get(emsp)).json()["status_code"] == 1000
        again = await arun_cli("keys", "rotate", env=env)
        assert "0 re-encrypted, 2 already under the current key" in again.stdout
        await outbox_drained(db)

    for platform_id in ids.values():
        sealed = (await row(db, platform_id))["outbound_token_enc"]
        with pytest.raises(ValueError):
            old_key.decrypt(sealed)
        assert new_key.decrypt(sealed)

    # 3. K2 alone: everything still works
    async with running_app(hub_settings.model_copy(update={"secret_key": NEW_SECRET})) as hub.app:
        assert (await routed_get(emsp)).json()["status_code"] == 1000
        assert (await client_info(cpo)).status_code == 200


def test_hub_urls_sealed_under_a_previous_key_still_open() -> None:
    target = ProxyTarget(
        ProxyKind.PAGE, "locations", "http://127.0.0.1:9/x", 1, 2, PartyKey("NL", "CPA"), PartyKey("DE", "EMS")
    )
    sealed = Proxies(secret_key=TEST_SECRET, public_url=HUB_URL, ttl_seconds=60).mint(target, version="2.2.1")
    token = sealed.rsplit("/", 1)[1]
    rotated = Proxies(secret_key=NEW_SECRET, public_url=HUB_URL, ttl_seconds=60, previous_secret_keys=[TEST_SECRET])
    assert rotated.open(token, caller_platform_id=2) == target
    assert Proxies(secret_key=NEW_SECRET, public_url=HUB_URL, ttl_seconds=60).open(token, caller_platform_id=2) is None
