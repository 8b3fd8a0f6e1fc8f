"""The write path: routed Location pushes per second through one hub worker, whose mirror update
must be stored, on SQLite and on PostgreSQL, today's code beside the base commit's (issue 13:
within 20% of the base). Since issue 13 each push is answered only after its mirror update is
committed (group commit, `hub.mirror.writer`); before, the update was written in the background.

Per database and code tree: a fresh database seeded with a CPO (NL*CPA) and an eMSP (DE*EMS) whose
locations endpoint is the fast raw-ASGI receiver; `python -m hub serve --workers 1` started from
that tree; N concurrent pushers (aiohttp, in this process) each send PUT then PATCH of Location
ids of their own (distinct ids: every PUT inserts a mirror row) for the measured seconds, after a
short warm-up. Figures: updates answered 1000 per second, and the mirror rows found afterwards
against the PUTs answered 1000 (every one must be stored). Base and today run alternately, each
`rounds` times; the best round of each is reported (the machine is shared).

The base tree is a git worktree of `--write-base` (default 85c13fd, the commit before issue 13),
made under /tmp if missing (or BENCH_BASE_TREE, a checkout of it). PostgreSQL: 127.0.0.1:5432,
user postgres, database test, a schema per run (dropped afterwards); skipped, saying so, when
nothing answers there. The base answers before it writes: its "stored" figure (rows found up to
5 s after the run, against PUTs answered 1000) shows how far its answers ran ahead of its store. Loopback only; the
processes are ours, ended by PID.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson
from sqlalchemy import text

from benchmarks.harness import free_port, process, wait_http
from benchmarks.validation import location
from hub.db.db import create_engine, session_factory, session_scope
from hub.db.migrate import upgrade
from hub.db.models import Platform
from hub.db.repositories import EndpointSpec, PartySpec, RegistryRepository
from hub.settings import load_settings
from hub.token_vault import TokenVault

__all__ = ["run"]

SECRET = "benchmark-secret-key-0123456789"
CPO_TOKEN = "bench-write-cpo-token"
BASE_REF = "85c13fd"
ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"
WARMUP_SECONDS = 1.0
TARGET_RATIO = 0.8
_HEADERS = {
    "Authorization": "Token " + base64.b64encode(CPO_TOKEN.encode()).decode(),
    "Content-Type": "application/json",
    "OCPI-to-country-code": "DE",
    "OCPI-to-party-id": "EMS",
    "OCPI-from-country-code": "NL",
    "OCPI-from-party-id": "CPA",
}


def _postgres_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1.0):
            return True
    except OSError:
        return False


def base_tree(ref: str) -> Path:
    """A worktree of `ref` under /tmp (made once; read-only use), or BENCH_BASE_TREE if set."""
    tree = Path(os.environ.get("BENCH_BASE_TREE") or Path(tempfile.gettempdir()) / f"hub-bench-base-{ref}")
    if not (tree / "hub").is_dir():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), ref], check=True)
    return tree


async def _seed(db_url: str, schema: str | None, receiver_url: str) -> None:
    settings = load_settings(database_url=db_url, database_schema=schema, secret_key=SECRET)
    await upgrade(settings)
    engine = create_engine(settings)
    vault = TokenVault(SECRET)
    async with session_scope(session_factory(engine)) as session:
        repo = RegistryRepository(session)
        cpo = Platform(
            name="bench-cpo",
            status="CONNECTED",
            version="2.2.1",
            inbound_token_hash=vault.hash(CPO_TOKEN),
            outbound_token_enc=vault.encrypt("hub-to-cpo"),
        )
        await repo.add_platform(platform=cpo, parties=[PartySpec("CPO", "NL", "CPA")])
        emsp = Platform(
            name="bench-emsp",
            status="CONNECTED",
            version="2.2.1",
            inbound_token_hash=vault.hash("bench-write-emsp-token"),
            outbound_token_enc=vault.encrypt("hub-to-emsp"),
        )
        await repo.add_platform(platform=emsp, parties=[PartySpec("EMSP", "DE", "EMS")])
        assert emsp.id is not None
        await repo.replace_endpoints(
            platform_id=emsp.id, endpoints=[EndpointSpec("locations", "RECEIVER", f"{receiver_url}/locations")]
        )
    await engine.dispose()


async def _mirror_rows(db_url: str, schema: str | None, *, settle: float = 5.0) -> int:
    """Rows in the mirror once their count stops changing (the base code writes in the background)."""
    engine = create_engine(load_settings(database_url=db_url, database_schema=schema, secret_key=SECRET))
    try:
        last, deadline = -1, time.monotonic() + settle
        while True:
            async with engine.connect() as conn:
                row = (await conn.execute(text("SELECT count(*) FROM stored_object"))).first()
            count = int(row[0]) if row else 0
            if count == last or time.monotonic() > deadline:
                return count
            last = count
            await asyncio.sleep(0.3)
    finally:
        await engine.dispose()


async def _push(base_url: str, pushers: int, seconds: float) -> dict[str, float]:
    """`pushers` concurrent PUT-then-PATCH loops on ids of their own; counts after the warm-up."""
    put_body = location()
    counts = {"ok": 0, "puts_ok": 0, "failed": 0}
    started = time.perf_counter()
    measure_from = started + WARMUP_SECONDS
    stop_at = measure_from + seconds
    run_id = uuid.uuid4().hex[:6].upper()

    async def pusher(session: aiohttp.ClientSession, n: int) -> None:
        k = 0
        while time.perf_counter() < stop_at:
            object_id = f"W{run_id}{n:02d}{k:06d}"
            url = f"{base_url}/ocpi/2.2.1/receiver/locations/NL/CPA/{object_id}"
            for method, body in (
                ("PUT", {**put_body, "id": object_id}),
                ("PATCH", {"name": f"patched {k}", "last_updated": "2026-01-01T00:00:01Z"}),
            ):
                async with session.request(method, url, data=orjson.dumps(body), headers=_HEADERS) as reply:
                    answer = orjson.loads(await reply.read())
                ok = answer.get("status_code") == 1000
                if method == "PUT" and ok:
                    counts["puts_ok"] += 1
                if measure_from <= time.perf_counter() < stop_at:
                    counts["ok" if ok else "failed"] += 1
            k += 1

    connector = aiohttp.TCPConnector(limit=pushers)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(pusher(session, n) for n in range(pushers)))
    return {
        "updates_per_second": counts["ok"] / seconds,
        "failed": counts["failed"],
        "puts_answered_1000": counts["puts_ok"],
    }


def _measure(
    tree: Path, db_url: str, schema: str | None, receiver: str, pushers: int, seconds: float
) -> dict[str, Any]:
    asyncio.run(_seed(db_url, schema, receiver))
    port = free_port()
    env = {
        "PYTHONPATH": str(tree),
        "HUB_DATABASE_URL": db_url,
        "HUB_SECRET_KEY": SECRET,
        "HUB_OUTBOUND_ALLOW_LOOPBACK": "true",
        "HUB_RATE_LIMIT_PER_SECOND": "0",
        "HUB_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "HUB_LOG_FORMAT": "json",
        "HUB_LOG_LEVEL": "WARNING",
    }
    if schema:
        env["HUB_DATABASE_SCHEMA"] = schema
    args = [sys.executable, "-m", "hub", "serve", "--port", str(port), "--workers", "1", "--no-migrate"]
    with (
        tempfile.TemporaryDirectory(prefix="hub-write-") as logs,
        process(args, env=env, cwd=str(tree), log=Path(logs) / "hub.log"),
    ):
        wait_http(f"http://127.0.0.1:{port}/health/live")
        figures = asyncio.run(_push(f"http://127.0.0.1:{port}", pushers, seconds))
    figures["mirror_rows"] = asyncio.run(_mirror_rows(db_url, schema))
    return figures


async def _drop_schema(schema: str) -> None:
    connection = await asyncpg.connect(PG_DSN, timeout=10)
    try:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE', timeout=30)
    finally:
        await connection.close(timeout=10)


def run(seconds: float, pushers: int = 32, rounds: int = 2, base_ref: str = BASE_REF) -> dict[str, Any]:
    trees = {"before": base_tree(base_ref), "after": ROOT}
    rport = free_port()
    receiver = f"http://127.0.0.1:{rport}"
    uvicorn = [sys.executable, "-m", "uvicorn", "benchmarks.receiver:app", "--port", str(rport)]
    uvicorn += ["--log-level", "warning", "--http", "httptools", "--loop", "uvloop", "--no-access-log"]
    databases = ["sqlite"] + (["postgres"] if _postgres_up() else [])
    report: dict[str, Any] = {"base": base_ref, "pushers": pushers, "seconds": seconds}
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="hub-write-db-") as tmp:
        stack.enter_context(process(uvicorn, cwd=str(ROOT)))
        wait_http(f"{receiver}/x")
        for database in databases:
            seen: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
            for round_ in range(rounds):
                for name, tree in trees.items():
                    schema = f"bench_write_{uuid.uuid4().hex[:12]}" if database == "postgres" else None
                    db_url = PG_URL if schema else f"sqlite+aiosqlite:///{tmp}/{name}{round_}.db"
                    try:
                        seen[name].append(_measure(tree, db_url, schema, receiver, pushers, seconds))
                    finally:
                        if schema:
                            asyncio.run(_drop_schema(schema))
            best = {name: max(runs, key=lambda r: r["updates_per_second"]) for name, runs in seen.items()}
            ratio = best["after"]["updates_per_second"] / max(best["before"]["updates_per_second"], 1e-9)
            report[database] = {**best, "ratio_after_over_before": ratio, "runs": seen}
    if "postgres" not in databases:
        report["postgres"] = "skipped: nothing answers on 127.0.0.1:5432"
    _print(report)
    return report


def _print(report: dict[str, Any]) -> None:
    print(
        f"\nWrite path: routed Location PUT/PATCH updates/s, 1 hub worker, {report['pushers']} pushers, "
        f"{report['seconds']:.0f} s (best of the rounds), base {report['base']} vs today"
    )
    for database in ("sqlite", "postgres"):
        figures = report.get(database)
        if not isinstance(figures, dict):
            print(f"{database:9} {figures}")
            continue
        before, after = figures["before"], figures["after"]
        print(
            f"{database:9} before {before['updates_per_second']:7.0f}/s  after {after['updates_per_second']:7.0f}/s  "
            f"ratio {figures['ratio_after_over_before']:.2f} (target >= {TARGET_RATIO:.2f})  "
            f"stored/PUTs answered 1000: before {before['mirror_rows']}/{before['puts_answered_1000']}, "
            f"after {after['mirror_rows']}/{after['puts_answered_1000']}"
        )


if __name__ == "__main__":
    run(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)
