"""The operator commands of issue 13, run as `python -m hub ...` against the test database:
`platforms rotate-token`, `keys rotate`, `privacy erase-token`, `privacy prune`, `serve --rate-limit`.
(Rotation end to end, with a platform answering the PUT: tests/flows/test_token_rotation.py.)"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import text
from starlette.applications import Starlette

from hub.db.db import SessionFactory, session_scope
from hub.db.models import StoredObject, utcnow
from tests.conftest import StartFake
from tests.helpers import HUB_URL, auth_header, stop_process

ArunCli = Callable[..., Awaitable[subprocess.CompletedProcess[str]]]
V = f"{HUB_URL}/ocpi/2.2.1"


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


async def test_rotate_token_refuses_unknown_and_unregistered_platforms(arun_cli: ArunCli) -> None:
    added = json.loads(ok(await arun_cli("platforms", "add", "--name", "cpo", "--role", "CPO:NL:CPA", "--json")))
    unknown, planned = await asyncio.gather(
        arun_cli("platforms", "rotate-token", "999"),
        arun_cli("platforms", "rotate-token", str(added["platform_id"])),
    )
    assert unknown.returncode == 1 and "No platform with id 999" in unknown.stderr
    assert planned.returncode == 1 and "is not registered: no token to rotate" in planned.stderr


async def test_pin_cert_pins_and_clears_a_platforms_client_certificate(arun_cli: ArunCli, db: SessionFactory) -> None:
    added = json.loads(ok(await arun_cli("platforms", "add", "--name", "cpo", "--role", "CPO:NL:CPA", "--json")))
    pid = str(added["platform_id"])
    digest = "AB:" * 31 + "CD"

    async def pinned() -> str | None:
        async with db() as session:
            query = text("SELECT client_cert_sha256 FROM platform WHERE id = :id")
            value = (await (await session.connection()).execute(query, {"id": int(pid)})).scalar_one()
            return None if value is None else str(value)

    assert "ab" * 31 + "cd" in ok(await arun_cli("platforms", "pin-cert", pid, "--sha256", digest))
    assert await pinned() == "ab" * 31 + "cd"
    bad, neither = await asyncio.gather(
        arun_cli("platforms", "pin-cert", pid, "--sha256", "beef"), arun_cli("platforms", "pin-cert", pid)
    )
    assert bad.returncode == 1 and "64 hex digits" in bad.stderr
    assert neither.returncode == 2
    assert await pinned() == "ab" * 31 + "cd"
    assert "not pinned" in ok(await arun_cli("platforms", "pin-cert", pid, "--clear"))
    assert await pinned() is None


async def test_keys_rotate_with_nothing_sealed_reports_zero(arun_cli: ArunCli) -> None:
    out = ok(await arun_cli("keys", "rotate"))
    assert "Platform tokens: 0 re-encrypted, 0 already under the current key, 0 unreadable" in out
    assert "Personal data: 0 row(s) re-encrypted" in out


async def test_privacy_prune_deletes_what_is_past_retention(arun_cli: ArunCli, db: SessionFactory) -> None:
    now = utcnow()
    ages = {("sessions", "OLDSES"): 31, ("sessions", "NEWSES"): 29, ("cdrs", "OLDCDR"): 101, ("cdrs", "NEWCDR"): 99}
    async with session_scope(db) as session:
        for (module, object_id), days in ages.items():
            session.add(
                StoredObject(
                    module=module,
                    country_code="NL",
                    party_id="CPA",
                    object_id=object_id,
                    data=None,
                    last_updated=now - timedelta(days=days),
                )
            )
    env = {"HUB_RETENTION_SESSIONS_DAYS": "30", "HUB_RETENTION_CDRS_DAYS": "100"}
    assert json.loads(ok(await arun_cli("privacy", "prune", env=env))) == {"sessions": 1, "cdrs": 1}
    async with db() as session:
        rows = await (await session.connection()).execute(text("SELECT object_id FROM stored_object"))
        assert {r[0] for r in rows.all()} == {"NEWSES", "NEWCDR"}


async def test_privacy_erase_token_erases_a_stored_token(
    hub_app: Starlette, connect_fake: StartFake, arun_cli: ArunCli
) -> None:
    emsp = await connect_fake([("EMSP", "DE", "EMS")])
    uid = "UIDERASE01"
    token = {
        "country_code": "DE",
        "party_id": "EMS",
        "uid": uid,
        "type": "RFID",
        "contract_id": "DE-EMS-C00000001",
        "issuer": "Issuer",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2026-01-01T00:00:00Z",
    }
    pushed = await emsp.request_hub("PUT", f"{V}/receiver/tokens/DE/EMS/{uid}", json=token, to=("NL", "HUB"))
    assert pushed.json()["status_code"] == 1000, pushed.text

    report = json.loads(ok(await arun_cli("privacy", "erase-token", "--party", "de:ems", "--uid", uid)))
    assert report["tokens"] == 1
    assert json.loads(ok(await arun_cli("privacy", "erase-token", "--party", "DE:EMS", "--uid", uid)))["tokens"] == 0
    listed = await emsp.request_hub("GET", f"{V}/sender/tokens", to=("NL", "HUB"))
    assert uid not in listed.text


async def test_bad_arguments_are_refused_by_the_parser(arun_cli: ArunCli) -> None:
    party, rate, burst = await asyncio.gather(
        arun_cli("privacy", "erase-token", "--party", "DEEMS", "--uid", "X"),
        arun_cli("serve", "--rate-limit", "fast"),
        arun_cli("serve", "--rate-limit", "10/0"),
    )
    assert party.returncode == 2 and "use CC:PID" in party.stderr
    assert rate.returncode == 2 and "use RATE/BURST" in rate.stderr
    assert burst.returncode == 2 and "BURST >= 1" in burst.stderr


async def test_serve_rate_limit_overrides_the_configured_limit(
    arun_cli: ArunCli, hub_env: dict[str, str], hub_port: int, tmp_path: Path
) -> None:
    """`--rate-limit 1/1` wins over the environment (the second request in a row is 429);
    `--rate-limit off` lifts a configured limit."""
    token_a = json.loads(ok(await arun_cli("platforms", "add", "--name", "cpo", "--role", "CPO:NL:CPA", "--json")))[
        "token_a"
    ]
    env = hub_env | {"HUB_RATE_LIMIT_PER_SECOND": "1", "HUB_RATE_LIMIT_BURST": "1"}
    url = f"http://127.0.0.1:{hub_port}"
    for flag, expected in (("1/1", [200, 429]), ("off", [200] * 5)):
        command = [sys.executable, "-m", "hub", "serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(hub_port)]
        with open(tmp_path / f"serve-{flag.replace('/', '-')}.log", "wb") as log:
            popen = subprocess.Popen(
                [*command, "--rate-limit", flag], env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                async with asyncio.timeout(30):
                    while True:
                        assert popen.poll() is None, "hub exited"
                        try:
                            if (await client.get(f"{url}/health/ready")).status_code == 200:
                                break
                        except httpx.TransportError:
                            pass
                        await asyncio.sleep(0.05)
                statuses = [
                    (await client.get(f"{url}/ocpi/versions", headers=auth_header(token_a))).status_code
                    for _ in expected
                ]
            assert statuses == expected, flag
        finally:
            await stop_process(popen.pid, popen.poll)
