"""hub.cli, run as `python -m hub ...` against the test database (checklist: operator actions)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from hub.db.db import SessionFactory
from hub.settings import Settings
from hub.token_vault import TokenVault
from tests.helpers import TEST_SECRET, auth_header, cli_env, run_cli_async, stop_process

RunCli = Callable[..., subprocess.CompletedProcess[str]]
ArunCli = Callable[..., Awaitable[subprocess.CompletedProcess[str]]]


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


async def token_a_hash(db: SessionFactory, platform_id: int) -> str | None:
    async with db() as session:
        connection = await session.connection()
        query = text("SELECT token_a_hash FROM platform WHERE id = :id")
        return (await connection.execute(query, {"id": platform_id})).scalar_one_or_none()


async def test_add_list_show_token_a_remove(arun_cli: ArunCli, hub_env: dict[str, str], db: SessionFactory) -> None:
    # independent commands run side by side: each `python -m hub` costs most of a second
    add_one, add_both = await asyncio.gather(
        arun_cli("platforms", "add", "--name", "cpo-one", "--role", "CPO:nl:cpa", "--json"),
        arun_cli(
            "platforms", "add", "--name", "both", "--role", "CPO:DE:CPB", "--role", "EMSP:DE:EMB",
            "--token-encoding", "raw", "--timeout", "3.5",
        ),
    )  # fmt: skip
    added = json.loads(ok(add_one))
    assert added["versions_url"] == hub_env["HUB_PUBLIC_URL"] + "/ocpi/versions"
    assert 0 < len(added["token_a"]) <= 64
    vault = TokenVault(TEST_SECRET)
    assert await token_a_hash(db, added["platform_id"]) == vault.hash(added["token_a"])
    assert "status PLANNED" in ok(add_both) and "token A:" in add_both.stdout
    one = str(added["platform_id"])

    as_json, as_table, shown, token_a = await asyncio.gather(
        arun_cli("platforms", "list", "--json"),
        arun_cli("platforms", "list"),
        arun_cli("platforms", "show", one, "--json"),
        arun_cli("platforms", "token-a", one),
    )
    listed = sorted(json.loads(ok(as_json)), key=lambda p: p["name"])
    assert [p["name"] for p in listed] == ["both", "cpo-one"]
    assert listed[1]["parties"] == [{"role": "CPO", "country_code": "NL", "party_id": "CPA"}]
    assert listed[0]["parties"] == [
        {"role": "CPO", "country_code": "DE", "party_id": "CPB"},
        {"role": "EMSP", "country_code": "DE", "party_id": "EMB"},
    ]
    assert (listed[0]["token_encoding"], listed[0]["status"], listed[0]["registered"]) == ("raw", "PLANNED", False)
    assert added["token_a"] not in as_json.stdout
    assert "cpo-one" in ok(as_table) and "CPO:NL:CPA" in as_table.stdout and "EMSP:DE:EMB" in as_table.stdout
    assert json.loads(ok(shown)) | {"updated_at": None} == listed[1] | {"updated_at": None}
    new_a = ok(token_a).strip()
    assert new_a != added["token_a"]
    assert await token_a_hash(db, added["platform_id"]) == vault.hash(new_a)

    assert "removed" in ok(await arun_cli("platforms", "remove", one, "--yes"))
    gone = await arun_cli("platforms", "show", one)
    assert gone.returncode == 1 and "No platform" in gone.stderr
    async with db() as session:
        connection = await session.connection()
        names = (await connection.execute(text("SELECT name FROM platform"))).scalars().all()
    assert names == ["both"]


async def test_operator_mistakes_are_refused_with_a_message(arun_cli: ArunCli) -> None:
    ok(await arun_cli("platforms", "add", "--name", "cpo", "--role", "CPO:NL:CPA"))
    mistakes = {
        "name taken": ("platforms", "add", "--name", "cpo", "--role", "CPO:NL:CPB"),
        "party taken": ("platforms", "add", "--name", "other", "--role", "EMSP:nl:cpa"),
        "no such platform": ("platforms", "token-a", "99"),
        "nothing to register": (
            "platforms",
            "register",
            "99",
            "--versions-url",
            "http://127.0.0.1:9/v",
            "--token-a",
            "x",
        ),
    }
    *results, listed = await asyncio.gather(
        *(arun_cli(*args) for args in mistakes.values()), arun_cli("platforms", "list", "--json")
    )
    for (mistake, _), result in zip(mistakes.items(), results, strict=True):
        assert result.returncode == 1, mistake
        assert result.stderr.strip() and "Traceback" not in result.stderr, mistake
    assert "exists already" in results[0].stderr
    assert "already served" in results[1].stderr
    assert len(json.loads(ok(listed))) == 1


async def test_bad_input_is_refused_before_touching_the_database(tmp_path: Path) -> None:
    env = cli_env(
        Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'never.db'}", secret_key=TEST_SECRET),
        public_url="http://127.0.0.1:9",
    )
    bad_role, bad_url, production, refused = await asyncio.gather(
        run_cli_async(["platforms", "add", "--name", "x", "--role", "CPO:NL"], env=env, cwd=tmp_path),
        run_cli_async(["platforms", "list"], env=env | {"HUB_PUBLIC_URL": "nope"}, cwd=tmp_path),
        run_cli_async(
            ["platforms", "add", "--name", "x", "--role", "CPO:NL"],
            env=env | {"HUB_ENVIRONMENT": "production"},
            cwd=tmp_path,
        ),
        run_cli_async(
            ["platforms", "add", "--name", "x", "--role", "CPO:NL"],
            env={k: v for k, v in env.items() if k != "HUB_SECRET_KEY"} | {"HUB_ENVIRONMENT": "production"},
            cwd=tmp_path,
        ),
    )
    assert bad_role.returncode == 1 and "ROLE:CC:PID" in bad_role.stderr
    assert bad_url.returncode == 2 and "public_url" in bad_url.stderr
    assert production.returncode == 1  # with a real secret, production settings are fine...
    assert refused.returncode == 2 and "HUB_SECRET_KEY" in refused.stderr  # ...the default is refused
    assert "Traceback" not in bad_role.stderr + bad_url.stderr + production.stderr + refused.stderr
    assert not (tmp_path / "never.db").exists()


PLATFORMS_TOML = """
[[platform]]
name = "cpo-from-file"
roles = ["CPO:NL:CPF"]

[[platform]]
name = "emsp-from-file"
roles = ["EMSP:DE:EMF", "CPO:DE:CPD"]
token_encoding = "raw"
token_a_env = "EMSP_TOKEN_A"
"""


async def test_apply_creates_declared_platforms_once(arun_cli: ArunCli, tmp_path: Path, db: SessionFactory) -> None:
    path = tmp_path / "platforms.toml"
    path.write_text(PLATFORMS_TOML)
    env = {"EMSP_TOKEN_A": "token-a-from-the-environment"}

    first = ok(await arun_cli("platforms", "apply", str(path), env=env))
    assert "cpo-from-file" in first and "emsp-from-file" in first
    listed = json.loads(ok(await arun_cli("platforms", "list", "--json")))
    assert [(p["name"], p["from_config"], p["token_encoding"]) for p in listed] == [
        ("cpo-from-file", True, "base64"),
        ("emsp-from-file", True, "raw"),
    ]
    assert len(listed[1]["parties"]) == 2
    assert await token_a_hash(db, listed[1]["platform_id"]) == TokenVault(TEST_SECRET).hash(env["EMSP_TOKEN_A"])

    again = ok(await arun_cli("platforms", "apply", str(path), env=env))
    assert "nothing" in again
    assert json.loads(ok(await arun_cli("platforms", "list", "--json"))) == listed


def test_db_upgrade_is_idempotent(run_cli: RunCli) -> None:
    # hub_settings already migrated this database; upgrading again changes nothing
    assert "latest revision" in ok(run_cli("db", "upgrade"))


def _children(pid: int) -> list[int]:
    """Every process whose parent is `pid` (read from /proc: no psutil here)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    return dict(item.partition("=")[::2] for item in raw.split("\0") if item)


def _is_worker(pid: int) -> bool:
    return b"multiprocessing.spawn" in Path(f"/proc/{pid}/cmdline").read_bytes()  # not the resource tracker


@pytest.mark.e2e
@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads worker environments from /proc")
async def test_serve_hands_config_and_overrides_to_every_worker_without_touching_the_environment(
    hub_env: dict[str, str], hub_port: int, tmp_path: Path, arun_cli: ArunCli
) -> None:
    """`--config` and `--host/--port/--workers` reach the workers with the app factory: a worker's
    environment is the CLI's own (a spawned worker inherits the environment of the moment, so an
    os.environ assignment in the CLI would show in it), and yet it serves the config file's values."""
    token_a = json.loads(ok(await arun_cli("platforms", "add", "--name", "cpo", "--role", "CPO:NL:CPA", "--json")))[
        "token_a"
    ]
    config = tmp_path / "hub.toml"
    config.write_text('public_url = "http://hub-from-config.test"\nbusiness_name = "From the config file"\n')
    env = {k: v for k, v in hub_env.items() if k != "HUB_PUBLIC_URL"}  # the environment would win over the file
    command = [sys.executable, "-m", "hub", "--config", str(config), "serve", "--no-migrate"]
    command += ["--host", "127.0.0.1", "--port", str(hub_port), "--workers", "2"]
    with open(tmp_path / "serve.log", "wb") as log:
        popen = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{hub_port}"
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            workers: list[int] = []
            async with asyncio.timeout(30):
                while True:
                    assert popen.poll() is None, (tmp_path / "serve.log").read_text()
                    workers = [pid for pid in _children(popen.pid) if _is_worker(pid)]
                    try:
                        if len(workers) == 2 and (await client.get(f"{url}/health/ready")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.05)
            for _ in range(6):  # fresh connections: the kernel hands them to either worker
                async with httpx.AsyncClient(timeout=5.0) as fresh:
                    reply = await fresh.get(f"{url}/ocpi/versions", headers=auth_header(token_a))
                assert reply.status_code == 200, reply.text
                assert reply.json()["data"][0]["url"].startswith("http://hub-from-config.test/ocpi/")
        launched = {k: v for k, v in env.items() if k.startswith("HUB_")}
        for pid in workers:
            assert {k: v for k, v in _environ(pid).items() if k.startswith("HUB_")} == launched, pid
    finally:
        await stop_process(popen.pid, popen.poll)
