"""Routed GET through an upstream-hub adapter against the same GET through a direct route, side by
side in one hub process (1 worker), so the ratio is the adapter's own cost.

The eMSP DE*EMS asks for locations: from the CPO NL*CPA (a direct route) and from the CPO FR*CP1
behind an upstream OCPI hub in the gireve profile (TO rewritten to the upstream's party, the
route context built). Both routes end at the same fast raw-ASGI receiver, so neither receiver is
the bottleneck. Measured alternately, `rounds` times; the best round of each counts. Target:
upstream / direct >= 0.8. The OICP bridge (adapters/oicp_upstream) is not measured yet: reported as such.
All processes are ours, on 127.0.0.1, ended by PID.
"""

from __future__ import annotations

import asyncio
import base64
import shutil
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from benchmarks.harness import WrkResult, free_port, process, start_hub, wait_http, wrk
from benchmarks.validation import _group_cpu_seconds
from hub.db.db import create_engine, session_factory, session_scope
from hub.db.migrate import upgrade
from hub.db.models import Platform
from hub.db.repositories import EndpointSpec, PartySpec, RegistryRepository
from hub.routing.upstream_routes import RouteRepository, RouteSpec
from hub.settings import load_settings
from hub.token_vault import TokenVault
from hub.types import PartyKey, PlatformKind

__all__ = ["run"]

SECRET = "benchmark-secret-key-0123456789"
EMSP_TOKEN = "bench-upstream-emsp-token"
PATH = "/ocpi/2.2.1/sender/locations"
TARGET = 0.8
ROUTES = {"direct": ("NL", "CPA"), "ocpi upstream": ("FR", "CP1")}


def _headers(to: tuple[str, str]) -> dict[str, str]:
    return {
        "Authorization": "Token " + base64.b64encode(EMSP_TOKEN.encode()).decode(),
        "OCPI-to-country-code": to[0],
        "OCPI-to-party-id": to[1],
        "OCPI-from-country-code": "DE",
        "OCPI-from-party-id": "EMS",
        "X-Request-ID": "bench-request",
        "X-Correlation-ID": "bench-correlation",
    }


async def _seed(db_url: str, receiver_url: str) -> None:
    settings = load_settings(database_url=db_url, secret_key=SECRET)
    await upgrade(settings)
    engine = create_engine(settings)
    vault = TokenVault(SECRET)
    endpoints = [EndpointSpec("locations", "SENDER", f"{receiver_url}/locations")]
    async with session_scope(session_factory(engine)) as session:
        repo = RegistryRepository(session)
        emsp = Platform(
            name="bench-emsp",
            status="CONNECTED",
            version="2.2.1",
            inbound_token_hash=vault.hash(EMSP_TOKEN),
            outbound_token_enc=vault.encrypt("hub-to-emsp"),
        )
        await repo.add_platform(platform=emsp, parties=[PartySpec("EMSP", "DE", "EMS")])
        cpo = Platform(name="bench-cpo", status="CONNECTED", version="2.2.1", outbound_token_enc=vault.encrypt("c"))
        await repo.add_platform(platform=cpo, parties=[PartySpec("CPO", "NL", "CPA")])
        upstream = Platform(
            name="bench-upstream",
            status="CONNECTED",
            version="2.2.1",
            outbound_token_enc=vault.encrypt("u"),
            kind=PlatformKind.OCPI_UPSTREAM.value,
            profile="gireve",
            options={"hub_country_code": "FR", "hub_party_id": "007"},
        )
        await repo.add_platform(platform=upstream, parties=[PartySpec("HUB", "FR", "007")])
        assert cpo.id is not None and upstream.id is not None
        for platform_id in (cpo.id, upstream.id):
            await repo.replace_endpoints(platform_id=platform_id, endpoints=endpoints)
        spec = RouteSpec(key=PartyKey.of("FR", "CP1"), role="CPO")
        await RouteRepository(session).upsert(platform_id=upstream.id, kind=PlatformKind.OCPI_UPSTREAM, spec=spec)
    await engine.dispose()


def run(seconds: float, connections: int = 32, rounds: int = 2) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="hub-bench-upstream-"))
    rport = free_port()
    receiver = f"http://127.0.0.1:{rport}"
    db_url = f"sqlite+aiosqlite:///{tmp}/bench.db"
    asyncio.run(_seed(db_url, receiver))
    seen: dict[str, list[tuple[WrkResult, float]]] = {name: [] for name in ROUTES}
    receiver_args = [sys.executable, "-m", "uvicorn", "benchmarks.receiver:app", "--port", str(rport)]
    receiver_args += ["--log-level", "warning", "--http", "httptools", "--loop", "uvloop", "--no-access-log"]
    with process(receiver_args, log=tmp / "receiver.log"), ExitStack() as stack:
        wait_http(f"{receiver}/locations")
        base, pid = start_hub(stack, tmp, db_url=db_url, secret=SECRET)
        url = base + PATH
        for name, to in ROUTES.items():
            reply = httpx.get(url, headers=_headers(to), timeout=10)
            if reply.json().get("status_code") != 1000:
                raise RuntimeError(f"{name} route does not answer: {reply.status_code} {reply.text[:300]}")
            wrk(url, headers=_headers(to), connections=connections, seconds=1)  # warm caches and pools
        for _ in range(rounds):
            for name, to in ROUTES.items():
                before = _group_cpu_seconds(pid)
                result = wrk(url, headers=_headers(to), connections=connections, seconds=seconds)
                seen[name].append((result, (_group_cpu_seconds(pid) - before) / max(result.requests, 1) * 1000))
    shutil.rmtree(tmp, ignore_errors=True)
    best = {name: max((r for r, _ in found), key=lambda r: r.rps) for name, found in seen.items()}
    cpu = {name: min(ms for _, ms in found) for name, found in seen.items()}
    print(f"\nRouted GET locations through each route kind, {connections} connections, 1 worker (wrk, 127.0.0.1)")
    print(f"{'route':<14} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'CPU ms/req':>10}  rounds req/s")
    for name, r in best.items():
        each = " ".join(f"{x.rps:.0f}" for x, _ in seen[name])
        print(f"{name:<14} {r.rps:>8.0f} {r.p50_ms:>7.2f} {r.p99_ms:>7.2f} {r.errors:>6} {cpu[name]:>10.3f}  {each}")
    ratio = best["ocpi upstream"].rps / best["direct"].rps
    verdict = "ok" if ratio >= TARGET else "UNDER TARGET"
    print(f"ocpi upstream / direct: {ratio:.2f} (target >= {TARGET}): {verdict}; oicp bridge: not measured yet")
    return {
        **{name: vars(r) for name, r in best.items()},
        "cpu_ms_per_request": cpu,
        "ocpi_upstream_ratio": ratio,
        "oicp_bridge_ratio": None,
    }
