"""End to end: the hub as a real process (`python -m hub serve`), managed with the real CLI,
and fake platforms on their own loopback ports; on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import text

from hub.db.db import SessionFactory
from hub.token_vault import TokenVault
from tests.conftest import StartFake
from tests.fakes.ocpi import decode_token
from tests.fakes.party import FakePlatform
from tests.helpers import TEST_SECRET, HubProcess

pytestmark = pytest.mark.e2e

ArunCli = Callable[..., Awaitable[subprocess.CompletedProcess[str]]]
StartHub = Callable[..., Awaitable[HubProcess]]


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def registry_entry(fake: FakePlatform) -> dict[str, Any]:
    """What `platforms show` must say about a fake that registered correctly."""
    return {
        "status": "CONNECTED",
        "version": "2.2.1",
        "versions_url": fake.versions_url,
        "registered": True,
        "parties": [{"role": r, "country_code": cc, "party_id": pid} for r, cc, pid in fake.roles],
        "endpoints": [{"module": e["identifier"], "role": e["role"], "url": e["url"]} for e in fake.endpoints()],
    }


def assert_no_token_in(output: str, tokens: list[str | None]) -> None:
    for token in tokens:
        assert token
        assert token not in output
        assert base64.b64encode(token.encode()).decode() not in output


async def test_e2e_platforms_register_with_the_hub_process(
    start_hub: StartHub, start_fake: StartFake, arun_cli: ArunCli
) -> None:
    cpo = await start_fake([("CPO", "NL", "CPA")], name="CPO One")
    emsp = await start_fake([("EMSP", "DE", "EMS")], name="eMSP One")
    hub, add_cpo, add_emsp = await asyncio.gather(  # the operator may add platforms before starting
        start_hub(),
        arun_cli("platforms", "add", "--name", "cpo-one", "--role", "CPO:NL:CPA", "--json"),
        arun_cli("platforms", "add", "--name", "emsp-one", "--role", "EMSP:DE:EMS", "--json"),
    )
    cpo_added, emsp_added = json.loads(ok(add_cpo)), json.loads(ok(add_emsp))
    assert cpo_added["versions_url"] == emsp_added["versions_url"] == hub.versions_url

    await asyncio.gather(
        cpo.register_with_hub(hub.versions_url, cpo_added["token_a"]),
        emsp.register_with_hub(hub.versions_url, emsp_added["token_a"]),
    )

    listed, shown = await asyncio.gather(
        arun_cli("platforms", "list", "--json"), arun_cli("platforms", "show", str(cpo_added["platform_id"]), "--json")
    )
    by_name = {p["name"]: p for p in json.loads(ok(listed))}
    for name, fake in (("cpo-one", cpo), ("emsp-one", emsp)):
        entry = by_name[name]
        assert {k: entry[k] for k in registry_entry(fake)} == registry_entry(fake), name
        # the hub read the platform with the token B it was given, never with anything else
        assert fake.requests and all(decode_token(r.authorization) == fake.token_b for r in fake.requests)
    assert json.loads(ok(shown)) == by_name["cpo-one"]

    own_view = await cpo.request_hub("GET", f"{hub.url}/ocpi/2.2.1/credentials")
    assert own_view.status_code == 200 and own_view.json()["data"]["token"] == cpo.token_c
    used_a = await cpo.request_hub("GET", hub.versions_url, token=cpo_added["token_a"])
    assert used_a.status_code == 401
    old_b, old_c = cpo.token_b, cpo.token_c
    await cpo.update_at_hub()  # PUT: new tokens both ways
    assert (await cpo.request_hub("GET", hub.versions_url, token=old_c)).status_code == 401
    assert (await cpo.request_hub("GET", hub.versions_url)).status_code == 200

    # the operator removes the CPO; the running hub drops it within its registry poll interval
    ok(await arun_cli("platforms", "remove", str(cpo_added["platform_id"]), "--yes"))
    async with asyncio.timeout(5):
        while (await cpo.request_hub("GET", hub.versions_url)).status_code != 401:
            await asyncio.sleep(0.05)
    assert (await emsp.request_hub("GET", hub.versions_url)).status_code == 200

    # the eMSP unregisters; its token dies with it
    emsp_c = emsp.token_c
    assert (await emsp.unregister_at_hub()).status_code == 200
    assert (await emsp.request_hub("GET", hub.versions_url, token=emsp_c)).status_code == 401
    assert (await cpo.request_hub("GET", hub.versions_url, token="never-issued")).status_code == 401

    output = hub.logs() + add_cpo.stderr + add_emsp.stderr + listed.stderr
    assert "platform_registered" in output  # the logs are there, and hold no token
    assert_no_token_in(
        output,
        [cpo_added["token_a"], emsp_added["token_a"], old_b, old_c, cpo.token_b, cpo.token_c]
        + [emsp.token_b, emsp_c, "never-issued"],
    )


async def test_e2e_hub_registers_at_a_platform_with_the_cli(
    start_hub: StartHub, start_fake: StartFake, arun_cli: ArunCli, db: SessionFactory
) -> None:
    fake = await start_fake([("CPO", "BE", "BCP"), ("EMSP", "BE", "BEM")], name="Combined")
    token_a = fake.issue_token_a()  # handed to the hub operator out of band
    hub, add = await asyncio.gather(
        start_hub(),
        arun_cli("platforms", "add", "--name", "combined", "--role", "CPO:BE:BCP", "--role", "EMSP:BE:BEM", "--json"),
    )
    added = json.loads(ok(add))
    platform_id = str(added["platform_id"])
    # `--token-a=` form: a token may begin with "-", which argparse would take for an option
    register_args = ("platforms", "register", platform_id, "--versions-url", fake.versions_url, f"--token-a={token_a}")
    fake.credentials_failure = "500"  # first attempt: the platform fails on the credentials POST

    failed = await arun_cli(*register_args)

    assert failed.returncode == 1 and "3001" in failed.stderr and "Traceback" not in failed.stderr
    failed_b = fake.received(method="POST")[-1].json["token"]
    assert (await fake.request_hub("GET", hub.versions_url, token=failed_b)).status_code == 401  # revoked
    fake.credentials_failure = None
    fake.requests.clear()

    register = await arun_cli(*register_args)

    assert "Registered" in ok(register) and "2.2.1" in register.stdout
    show, again = await asyncio.gather(
        arun_cli("platforms", "show", platform_id, "--json"),
        arun_cli("platforms", "register", platform_id, "--versions-url", fake.versions_url, "--token-a", "x"),
    )
    shown = json.loads(ok(show))
    assert {k: shown[k] for k in registry_entry(fake)} == registry_entry(fake)
    assert again.returncode == 1 and "already registered" in again.stderr

    # the platform saw the handshake of a correct sender...
    handshake = fake.handshake_requests
    assert [(r.method, r.path) for r in handshake] == [
        ("GET", "/ocpi/versions"),
        ("GET", "/ocpi/2.2.1"),
        ("POST", "/ocpi/2.2.1/credentials"),
    ]
    assert all(decode_token(r.authorization) == token_a for r in handshake)
    assert fake.direction == "receiver" and fake.token_a is None
    assert fake.token_b == handshake[-1].json["token"]
    assert fake.hub_credentials is not None and fake.hub_credentials["url"] == hub.versions_url
    # ...and, with token B, read the running hub's endpoints before answering with token C
    assert fake.hub_endpoints[("credentials", "SENDER")] == f"{hub.url}/ocpi/2.2.1/credentials"
    async with db() as session:
        connection = await session.connection()
        query = text("SELECT outbound_token_enc FROM platform WHERE id = :id")
        sealed = (await connection.execute(query, {"id": added["platform_id"]})).scalar_one()
    assert TokenVault(TEST_SECRET).decrypt(sealed) == fake.token_c  # stored for all later calls
    own_view = await fake.request_hub("GET", f"{hub.url}/ocpi/2.2.1/credentials")  # with token B
    assert own_view.status_code == 200 and own_view.json()["data"]["token"] == fake.token_b

    output = hub.logs() + failed.stdout + failed.stderr + register.stdout + register.stderr + again.stderr
    assert "platform_registered" in output
    assert_no_token_in(output, [token_a, failed_b, fake.token_b, fake.token_c])
