"""Registration is atomic (issue 13 item 5): one credentials exchange per platform at a time,
decided by the database, on SQLite and PostgreSQL. In process: the hub app and fake platforms on
real loopback sockets; a fake whose versions endpoint waits at a gate holds the winner inside its
exchange while the others arrive."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text, update
from starlette.applications import Starlette
from starlette.responses import Response

from hub.db.db import SessionFactory, session_scope
from hub.db.models import Platform, utcnow
from hub.errors import ClientError
from hub.liveness.peer import PeerClient
from hub.registration.claim import claim_seconds
from hub.registration.platforms import PlatformAdmin, parse_role
from hub.registration.rotation import TokenRotation
from hub.tasks import TaskGroup
from hub.token_vault import TokenVault
from tests.fakes.ocpi import new_token
from tests.fakes.party import FakePlatform
from tests.helpers import HUB_VERSIONS_URL, TEST_SECRET, auth_header

CREDENTIALS = "/ocpi/2.2.1/credentials"
N = 5


class GatedFake(FakePlatform):
    """A fake platform whose versions endpoint answers only once `gate` is open."""

    gate: asyncio.Event

    async def _versions(self, ids: dict[str, str]) -> Response:
        await self.gate.wait()
        return await super()._versions(ids)


async def declare(admin: PlatformAdmin, fake: FakePlatform) -> tuple[int, str]:
    added = await admin.add(name="cpo", roles=[parse_role(":".join(r)) for r in fake.roles])
    assert added.platform.id is not None
    return added.platform.id, added.token_a


async def row(db: SessionFactory, platform_id: int) -> dict[str, Any]:
    async with db() as session:
        connection = await session.connection()
        query = text(
            "SELECT status, token_a_hash, inbound_token_hash, outbound_token_enc, registration_claimed_at "
            "FROM platform WHERE id = :id"
        )
        return dict((await connection.execute(query, {"id": platform_id})).mappings().one())


async def set_claim(db: SessionFactory, platform_id: int, seconds_ago: float) -> None:
    """What another hub process's claim looks like in the database."""
    async with session_scope(db) as session:
        at = utcnow() - timedelta(seconds=seconds_ago)
        await session.exec(update(Platform).where(Platform.id == platform_id).values(registration_claimed_at=at))  # type: ignore[arg-type]


def versions_reads(fake: FakePlatform) -> int:
    return len([r for r in fake.requests if fake.local_path(r.path) == "/ocpi/versions"])


async def wait_until(predicate: Any, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


@pytest.fixture
async def tasks() -> Any:
    group = TaskGroup()
    try:
        yield group
    finally:
        await group.aclose()


@pytest.fixture
async def gated(hub_mounts: dict[str, httpx.AsyncBaseTransport]) -> Any:
    fake = GatedFake([("CPO", "NL", "CPA")], mounts=hub_mounts)
    fake.gate = asyncio.Event()
    async with fake.serve():
        yield fake
        fake.gate.set()


def is_in_progress(reply: httpx.Response) -> bool:
    body = reply.json()
    return (
        reply.status_code == 409
        and body["status_code"] == 2000
        and "in progress" in body["status_message"]
        and "data" not in body
    )


async def test_concurrent_posts_with_one_token_a_register_exactly_once(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin, gated: GatedFake, db: SessionFactory, tasks: TaskGroup
) -> None:
    platform_id, token_a = await declare(admin, gated)
    gated.direction, gated.token_b = "sender", new_token()  # the hub reads the fake with this token B

    async def post() -> httpx.Response:
        body = gated.credentials(str(gated.token_b))
        return await hub_client.post(CREDENTIALS, json=body, headers=auth_header(token_a))

    posts = [tasks.spawn(post(), name=f"post-{i}") for i in range(N)]
    # the winner waits in its discovery (the gate); every other POST is answered meanwhile
    await wait_until(lambda: sum(t.done() for t in posts) == N - 1 and versions_reads(gated) == 1)
    losers = [t.result() for t in posts if t.done()]
    assert all(is_in_progress(r) for r in losers), [r.text for r in losers]
    gated.gate.set()
    (winner,) = [r for r in await asyncio.gather(*posts) if r.status_code == 200]
    assert winner.json()["status_code"] == 1000
    token_c = winner.json()["data"]["token"]

    # only the winner read the platform's API and stored a token; the claim is given back
    assert versions_reads(gated) == 1
    stored = await row(db, platform_id)
    vault = TokenVault(TEST_SECRET)
    assert stored["status"] == "CONNECTED" and stored["registration_claimed_at"] is None
    assert (stored["inbound_token_hash"], stored["token_a_hash"]) == (vault.hash(token_c), None)
    # the winner's token C works; token A is void at once: another POST is 401 / 2000
    assert (await hub_client.get("/ocpi/2.2.1/sender/hubclientinfo", headers=auth_header(token_c))).status_code == 200
    again = await post()
    assert (again.status_code, again.json()["status_code"]) == (401, 2000)


async def test_a_claim_held_by_another_process_refuses_until_it_goes_stale(
    hub_client: httpx.AsyncClient,
    admin: PlatformAdmin,
    start_fake: Any,
    hub_mounts: dict[str, Any],
    db: SessionFactory,
    hub_settings: Any,
) -> None:
    fake = await start_fake([("CPO", "NL", "CPA")], mounts=hub_mounts)
    platform_id, token_a = await declare(admin, fake)
    fake.direction, fake.token_b = "sender", new_token()
    body = fake.credentials(str(fake.token_b))

    await set_claim(db, platform_id, seconds_ago=1)  # another hub process is exchanging right now
    busy = await hub_client.post(CREDENTIALS, json=body, headers=auth_header(token_a))
    assert is_in_progress(busy)
    assert fake.requests == []  # refused before any outbound call

    await set_claim(db, platform_id, seconds_ago=claim_seconds(hub_settings) + 1)  # that process died
    done = await hub_client.post(CREDENTIALS, json=body, headers=auth_header(token_a))
    assert (done.status_code, done.json()["status_code"]) == (200, 1000)
    assert (await row(db, platform_id))["registration_claimed_at"] is None


async def test_a_failed_registration_leaves_token_a_usable_and_no_claim(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin, start_fake: Any, hub_mounts: dict[str, Any], db: SessionFactory
) -> None:
    fake = await start_fake([("CPO", "NL", "CPA")], mounts=hub_mounts, versions_failure="500")
    platform_id, token_a = await declare(admin, fake)
    fake.direction, fake.token_b = "sender", new_token()
    body = fake.credentials(str(fake.token_b))

    failed = await hub_client.post(CREDENTIALS, json=body, headers=auth_header(token_a))
    assert failed.json()["status_code"] == 3001
    stored = await row(db, platform_id)
    assert stored["registration_claimed_at"] is None and stored["inbound_token_hash"] is None
    assert stored["token_a_hash"] == TokenVault(TEST_SECRET).hash(token_a)

    fake.versions_failure = None  # the platform fixed its side and retries with the same token A
    retried = await hub_client.post(CREDENTIALS, json=body, headers=auth_header(token_a))
    assert retried.json()["status_code"] == 1000


async def test_put_rotation_and_hub_registration_meet_a_running_exchange(
    hub_app: Starlette,
    hub_client: httpx.AsyncClient,
    admin: PlatformAdmin,
    gated: GatedFake,
    db: SessionFactory,
    tasks: TaskGroup,
) -> None:
    gated.gate.set()
    platform_id, token_a = await declare(admin, gated)
    await gated.register_with_hub(HUB_VERSIONS_URL, token_a)
    token_c = str(gated.token_c)
    hub = hub_app.state.hub

    gated.gate.clear()
    reads = versions_reads(gated)
    body = gated.credentials(str(gated.token_b))
    first = tasks.spawn(hub_client.put(CREDENTIALS, json=body, headers=auth_header(token_c)), name="put")
    await wait_until(lambda: versions_reads(gated) == reads + 1)  # the first PUT holds the claim

    second = await hub_client.put(CREDENTIALS, json=body, headers=auth_header(token_c))
    assert is_in_progress(second)
    rotation = TokenRotation(
        settings=hub.settings,
        sessions=hub.sessions,
        vault=hub.vault,
        peer=PeerClient(hub.http, timeout_seconds=5),
        on_change=hub.on_registry_change,
    )
    with pytest.raises(ClientError) as refused:
        await rotation.rotate_token(platform_id=platform_id)
    assert refused.value.http_status == 409
    assert versions_reads(gated) == reads + 1  # neither of them called the platform

    gated.gate.set()
    updated = await first
    assert updated.json()["status_code"] == 1000
    new_c = updated.json()["data"]["token"]
    stored = await row(db, platform_id)
    assert stored["inbound_token_hash"] == TokenVault(TEST_SECRET).hash(new_c)
    assert stored["registration_claimed_at"] is None


async def test_hub_registering_at_a_platform_meets_a_running_post(
    hub_app: Starlette, hub_client: httpx.AsyncClient, admin: PlatformAdmin, gated: GatedFake, tasks: TaskGroup
) -> None:
    platform_id, token_a = await declare(admin, gated)
    gated.direction, gated.token_b = "sender", new_token()
    body = gated.credentials(str(gated.token_b))
    post = tasks.spawn(hub_client.post(CREDENTIALS, json=body, headers=auth_header(token_a)), name="post")
    await wait_until(lambda: versions_reads(gated) == 1)

    with pytest.raises(ClientError) as refused:  # e.g. `ocpi-hub platforms register` at the same time
        await hub_app.state.hub.registrar.register_with(
            platform_id=platform_id, versions_url=gated.versions_url, token_a=new_token()
        )
    assert refused.value.http_status == 409
    assert versions_reads(gated) == 1

    gated.gate.set()
    assert (await post).json()["status_code"] == 1000
