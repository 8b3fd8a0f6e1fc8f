"""One bad receiver must not slow the others: routed GETs to nine healthy receivers, measured
alone and then while a tenth receiver hangs (it accepts and never answers) and two senders keep
calling it. The hub's timeout is 1 s; its circuit breaker then answers 4003 without calling.
Target: the nine keep their throughput within 10% of the run without the hanging one."""

from __future__ import annotations

import asyncio
import base64
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import WrkResult, free_port, process, wait_http, wrk
from hub.db.db import create_engine, session_factory, session_scope
from hub.db.migrate import upgrade
from hub.db.models import Platform
from hub.db.repositories import EndpointSpec, PartySpec, RegistryRepository
from hub.settings import load_settings
from hub.token_vault import TokenVault

SECRET = "benchmark-secret-key-0123456789"
EMSP_TOKEN = "bench-emsp-token"
HEALTHY = 9

_ROTATE = """
local n = 0
request = function()
  n = n + 1
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["OCPI-to-party-id"] = string.format("C%02d", n % RECEIVERS)
  return wrk.format("GET", "/ocpi/2.2.1/sender/locations", headers)
end
"""


async def _seed(db_url: str, receiver: str, hang: str) -> None:
    settings = load_settings(database_url=db_url, secret_key=SECRET)
    await upgrade(settings)
    engine = create_engine(settings)
    vault = TokenVault(SECRET)
    async with session_scope(session_factory(engine)) as session:
        repo = RegistryRepository(session)
        for n in range(HEALTHY + 1):
            base = f"{receiver}/c{n}" if n < HEALTHY else hang
            cpo = Platform(
                name=f"cpo{n}",
                status="CONNECTED",
                version="2.2.1",
                inbound_token_hash=vault.hash(f"cpo-{n}"),
                outbound_token_enc=vault.encrypt(f"to-cpo-{n}"),
            )
            await repo.add_platform(platform=cpo, parties=[PartySpec("CPO", "NL", f"C{n:02d}")])
            assert cpo.id is not None
            await repo.replace_endpoints(
                platform_id=cpo.id, endpoints=[EndpointSpec("locations", "SENDER", f"{base}/locations")]
            )
        emsp = Platform(
            name="emsp",
            status="CONNECTED",
            version="2.2.1",
            inbound_token_hash=vault.hash(EMSP_TOKEN),
            outbound_token_enc=vault.encrypt("to-emsp"),
        )
        await repo.add_platform(platform=emsp, parties=[PartySpec("EMSP", "DE", "EMS")])
    await engine.dispose()


def _headers(to_party: str | None = None) -> dict[str, str]:
    headers = {
        "Authorization": "Token " + base64.b64encode(EMSP_TOKEN.encode()).decode(),
        "OCPI-to-country-code": "NL",
        "OCPI-from-country-code": "DE",
        "OCPI-from-party-id": "EMS",
    }
    if to_party:
        headers["OCPI-to-party-id"] = to_party
    return headers


def run(seconds: float, connections: int) -> dict[str, Any]:
    py = sys.executable
    rport, hport, port = free_port(), free_port(), free_port()
    receiver, hang = f"http://127.0.0.1:{rport}", f"http://127.0.0.1:{hport}"
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
        script = Path(tmp) / "rotate.lua"
        script.write_text(_ROTATE.replace("RECEIVERS", str(HEALTHY)))
        db_url = f"sqlite+aiosqlite:///{tmp}/iso.db"
        asyncio.run(_seed(db_url, receiver, hang))
        env = {
            "HUB_DATABASE_URL": db_url,
            "HUB_SECRET_KEY": SECRET,
            "HUB_OUTBOUND_ALLOW_LOOPBACK": "true",
            "HUB_RATE_LIMIT_PER_SECOND": "0",
            "HUB_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "HUB_LOG_LEVEL": "WARNING",
            "HUB_LOG_FORMAT": "json",
            "HUB_REQUEST_TIMEOUT_SECONDS": "1",
        }
        recv_args = [
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
        url = f"http://127.0.0.1:{port}/ocpi/2.2.1/sender/locations"
        with (
            process(recv_args),
            process([py, "-m", "benchmarks.hang", str(hport)]),
            process(
                [py, "-m", "hub", "serve", "--port", str(port), "--workers", "2"],
                env=env,
                cwd=tmp,
                log=Path(tmp) / "hub.log",
            ),
        ):
            wait_http(f"{receiver}/x")
            wait_http(f"http://127.0.0.1:{port}/health/live")
            wrk(url, headers=_headers(), connections=connections, seconds=1, script=str(script))  # warm up
            alone = wrk(url, headers=_headers(), connections=connections, seconds=seconds, script=str(script))
            bad: dict[str, WrkResult] = {}

            def hammer() -> None:
                bad["r"] = wrk(url, headers=_headers("C09"), connections=2, seconds=seconds + 6)

            thread = threading.Thread(target=hammer)
            thread.start()
            time.sleep(4)  # the hanging receiver's callers are already waiting when the measurement starts
            with_hang = wrk(url, headers=_headers(), connections=connections, seconds=seconds, script=str(script))
            thread.join()
    ratio = with_hang.rps / alone.rps
    print("\nIsolation: 9 healthy receivers, then the same while a 10th hangs (hub 2 workers, timeout 1 s)")
    for label, r in (("healthy alone:", alone), ("healthy, 10th hangs:", with_hang)):
        print(f"{label:<22}{r.rps:8.0f} req/s  p50 {r.p50_ms:.2f} ms  p99 {r.p99_ms:.2f} ms  errors {r.errors}")
    print(f"ratio: {ratio:.2f} (target >= 0.90); calls to the hanging one: {bad['r'].requests} answered (4002/4003)")
    return {"alone": vars(alone), "with_hang": vars(with_hang), "ratio": ratio, "hanging_calls": vars(bad["r"])}
