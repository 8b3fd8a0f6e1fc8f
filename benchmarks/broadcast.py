"""Broadcast Push: the pusher's response time with 1 and with 100 receivers (target: within 20%
of each other), and the dispatcher's deliveries per second (target: >= 2,000 per worker).

Everything runs on 127.0.0.1: one fast receiver process stands in for every receiving platform,
the hub runs as a subprocess with 1 worker on SQLite. Pushes are paced (not a flood) so the
figure is the acceptance path, measured while the dispatcher is delivering the fan-out.
"""

from __future__ import annotations

import asyncio
import base64
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from benchmarks.harness import free_port, process, wait_http
from hub.db.db import create_engine, session_factory, session_scope
from hub.db.migrate import upgrade
from hub.db.models import OutboxMessage, Platform
from hub.db.repositories import EndpointSpec, PartySpec, RegistryRepository
from hub.settings import load_settings
from hub.token_vault import TokenVault

SECRET = "benchmark-secret-key-0123456789"
CPO_TOKEN = "bench-cpo-token"
PACE = float(__import__("os").environ.get("BENCH_PUSH_PACE", "0.2"))  # seconds between pushes
LOCATION = {
    "country_code": "NL",
    "party_id": "CPA",
    "id": "LOC1",
    "publish": True,
    "address": "Street 1",
    "city": "Town",
    "country": "NLD",
    "coordinates": {"latitude": "52.000000", "longitude": "4.000000"},
    "time_zone": "Europe/Amsterdam",
    "last_updated": "2026-01-01T00:00:00Z",
}


async def _seed(db_url: str, receiver: str, receivers: int) -> list[int]:
    settings = load_settings(database_url=db_url, secret_key=SECRET)
    await upgrade(settings)
    engine = create_engine(settings)
    vault = TokenVault(SECRET)
    ids = []
    async with session_scope(session_factory(engine)) as session:
        repo = RegistryRepository(session)
        cpo = Platform(
            name="cpo",
            status="CONNECTED",
            version="2.2.1",
            inbound_token_hash=vault.hash(CPO_TOKEN),
            outbound_token_enc=vault.encrypt("to-cpo"),
        )
        await repo.add_platform(platform=cpo, parties=[PartySpec("CPO", "NL", "CPA")])
        for n in range(receivers):
            emsp = Platform(
                name=f"emsp{n}",
                status="CONNECTED",
                version="2.2.1",
                inbound_token_hash=vault.hash(f"emsp-{n}"),
                outbound_token_enc=vault.encrypt(f"to-emsp-{n}"),
            )
            await repo.add_platform(platform=emsp, parties=[PartySpec("EMSP", "DE", f"E{n:02d}")])
            assert emsp.id is not None
            ids.append(emsp.id)
            await repo.replace_endpoints(
                platform_id=emsp.id, endpoints=[EndpointSpec("locations", "RECEIVER", f"{receiver}/emsp{n}/locations")]
            )
    await engine.dispose()
    return ids


async def _fill_outbox(db_url: str, platform_ids: list[int], messages: int) -> None:
    settings = load_settings(database_url=db_url, secret_key=SECRET)
    engine = create_engine(settings)
    body = orjson.dumps(LOCATION).decode()
    async with session_scope(session_factory(engine)) as session:
        for n in range(messages):
            target = platform_ids[n % len(platform_ids)]
            session.add(
                OutboxMessage(
                    kind="broadcast",
                    receiver_key=f"party:DE*E{target:02d}",
                    receiver_platform_id=target,
                    to_country_code="DE",
                    to_party_id="EMS",
                    from_country_code="NL",
                    from_party_id="HUB",
                    module="locations",
                    interface_role="RECEIVER",
                    method="PUT",
                    rest="NL/CPA/LOC1",
                    body=body,
                    correlation_id=f"bench-{n}",
                )
            )
    await engine.dispose()


async def _outbox_done(db_url: str) -> int:
    settings = load_settings(database_url=db_url, secret_key=SECRET)
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            from sqlalchemy import text

            row = (await conn.execute(text("SELECT count(*) FROM outbox_message WHERE status != 'pending'"))).first()
            return int(row[0]) if row else 0
    finally:
        await engine.dispose()


def _pushes(url: str, count: int, interval: float) -> list[float]:
    headers = {
        "Authorization": "Token " + base64.b64encode(CPO_TOKEN.encode()).decode(),
        "OCPI-to-country-code": "NL",
        "OCPI-to-party-id": "HUB",
        "OCPI-from-country-code": "NL",
        "OCPI-from-party-id": "CPA",
        "Content-Type": "application/json",
    }
    timings = []
    with httpx.Client(timeout=10.0) as client:
        for n in range(count):
            body = orjson.dumps({**LOCATION, "last_updated": f"2026-01-01T00:{n // 60:02d}:{n % 60:02d}Z"})
            started = time.perf_counter()
            reply = client.put(url, content=body, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            assert reply.json()["status_code"] == 1000, reply.text
            time.sleep(interval)
    return timings


def _hub_env(db_url: str, port: int) -> dict[str, str]:
    return {
        "HUB_DATABASE_URL": db_url,
        "HUB_SECRET_KEY": SECRET,
        "HUB_OUTBOUND_ALLOW_LOOPBACK": "true",
        "HUB_RATE_LIMIT_PER_SECOND": "0",
        "HUB_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "HUB_LOG_FORMAT": "json",
        "HUB_LOG_LEVEL": "WARNING",
        "HUB_COUNTRY_CODE": "NL",
        "HUB_PARTY_ID": "HUB",
    }


def run(seconds: float) -> dict[str, Any]:
    py = sys.executable
    rport = free_port()
    receiver = f"http://127.0.0.1:{rport}"
    report: dict[str, Any] = {}
    args = [
        py,
        "-m",
        "uvicorn",
        "benchmarks.receiver:app",
        "--port",
        str(rport),
        "--log-level",
        "warning",
        "--http",
        "httptools",
        "--loop",
        "uvloop",
        "--no-access-log",
    ]
    pushes = max(50, int(seconds * 20))
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp, process(args):
        wait_http(f"{receiver}/x")
        for receivers in (1, 100):
            db_url = f"sqlite+aiosqlite:///{tmp}/push{receivers}.db"
            asyncio.run(_seed(db_url, receiver, receivers))
            port = free_port()
            with process(
                [py, "-m", "hub", "serve", "--port", str(port)],
                env=_hub_env(db_url, port),
                cwd=tmp,
                log=Path(tmp) / f"hub{receivers}.log",
            ):
                wait_http(f"http://127.0.0.1:{port}/health/live")
                timings = _pushes(f"http://127.0.0.1:{port}/ocpi/2.2.1/receiver/locations/NL/CPA/LOC1", pushes, PACE)
            ordered = sorted(timings)
            report[f"push_{receivers}_receivers_ms"] = {
                "p50": statistics.median(timings),
                "p99": ordered[int(len(ordered) * 0.99) - 1],
                "pushes": pushes,
            }
        db_url = f"sqlite+aiosqlite:///{tmp}/deliver.db"
        ids = asyncio.run(_seed(db_url, receiver, 50))
        messages = 20_000
        asyncio.run(_fill_outbox(db_url, ids, messages))
        port = free_port()
        with process(
            [py, "-m", "hub", "serve", "--port", str(port)],
            env=_hub_env(db_url, port),
            cwd=tmp,
            log=Path(tmp) / "deliver.log",
        ):
            wait_http(f"http://127.0.0.1:{port}/health/live")
            started = time.perf_counter()
            deadline = started + 120
            done = 0
            while time.perf_counter() < deadline:
                done = asyncio.run(_outbox_done(db_url))
                if done >= messages:
                    break
                time.sleep(0.5)
            elapsed = time.perf_counter() - started
        report["dispatcher"] = {
            "messages": messages,
            "delivered": done,
            "seconds": elapsed,
            "per_second": done / elapsed,
        }
    one, hundred = report["push_1_receivers_ms"], report["push_100_receivers_ms"]
    ratio = hundred["p50"] / one["p50"]
    report["push_p50_ratio_100_over_1"] = ratio
    print(f"\nBroadcast Push (hub 1 worker, SQLite, 127.0.0.1; one push every {PACE:.2f} s, BENCH_PUSH_PACE)")
    print(f"pusher response, 1 receiver:    p50 {one['p50']:.2f} ms  p99 {one['p99']:.2f} ms  ({pushes} pushes)")
    print(f"pusher response, 100 receivers: p50 {hundred['p50']:.2f} ms  p99 {hundred['p99']:.2f} ms")
    print(f"ratio p50 100/1: {ratio:.2f} (target <= 1.20)")
    d = report["dispatcher"]
    print(f"dispatcher: {d['delivered']} of {d['messages']} delivered in {d['seconds']:.1f} s", end="")
    print(f" = {d['per_second']:.0f}/s (target >= 2000)")
    return report
