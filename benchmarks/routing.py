"""Routed 1 KB GET: directly to a fast receiver, through nginx (if installed), and through the
hub with 1 and 2 workers; requests/s, p50 and p99, ratios hub/nginx, and the latency the hub
adds on one connection. All processes are ours, on 127.0.0.1, ended by PID."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import sys
import tempfile
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


async def _seed(db_url: str, receiver_url: str) -> None:
    settings = load_settings(database_url=db_url, secret_key=SECRET)
    await upgrade(settings)
    engine = create_engine(settings)
    vault = TokenVault(SECRET)
    async with session_scope(session_factory(engine)) as session:
        repo = RegistryRepository(session)
        cpo = Platform(
            name="bench-cpo",
            status="CONNECTED",
            version="2.2.1",
            inbound_token_hash=vault.hash("bench-cpo-token"),
            outbound_token_enc=vault.encrypt("hub-to-cpo"),
        )
        await repo.add_platform(platform=cpo, parties=[PartySpec("CPO", "NL", "CPA")])
        assert cpo.id is not None
        await repo.replace_endpoints(
            platform_id=cpo.id, endpoints=[EndpointSpec("locations", "SENDER", f"{receiver_url}/locations")]
        )
        emsp = Platform(
            name="bench-emsp",
            status="CONNECTED",
            version="2.2.1",
            inbound_token_hash=vault.hash(EMSP_TOKEN),
            outbound_token_enc=vault.encrypt("hub-to-emsp"),
        )
        await repo.add_platform(platform=emsp, parties=[PartySpec("EMSP", "DE", "EMS")])
    await engine.dispose()


HUB_HEADERS = {
    "Authorization": "Token " + base64.b64encode(EMSP_TOKEN.encode()).decode(),
    "OCPI-to-country-code": "NL",
    "OCPI-to-party-id": "CPA",
    "OCPI-from-country-code": "DE",
    "OCPI-from-party-id": "EMS",
    "X-Request-ID": "bench-request",
    "X-Correlation-ID": "bench-correlation",
}

_NGINX = """
worker_processes 2;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/ngx-body; proxy_temp_path {tmp}/ngx-proxy;
  fastcgi_temp_path {tmp}/ngx-fcgi; uwsgi_temp_path {tmp}/ngx-uwsgi; scgi_temp_path {tmp}/ngx-scgi;
  upstream receiver {{ server 127.0.0.1:{rport}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{nport};
    location / {{ proxy_pass http://receiver; proxy_http_version 1.1; proxy_set_header Connection ""; }}
  }}
}}
"""


def run(seconds: float, connections: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    os.chmod(tmp, 0o755)
    py = sys.executable
    rport = free_port()
    receiver = f"http://127.0.0.1:{rport}"
    db_url = f"sqlite+aiosqlite:///{tmp}/bench.db"
    asyncio.run(_seed(db_url, receiver))
    results: dict[str, WrkResult] = {}
    single: dict[str, WrkResult] = {}
    receiver_args = [
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
    with process(receiver_args, log=tmp / "receiver.log"):
        wait_http(f"{receiver}/locations")
        results["direct"] = wrk(f"{receiver}/locations", headers={}, connections=connections, seconds=seconds)
        single["direct"] = wrk(f"{receiver}/locations", headers={}, connections=1, seconds=seconds)
        nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
        if nginx:
            nport = free_port()
            (tmp / "nginx.conf").write_text(_NGINX.format(tmp=tmp, rport=rport, nport=nport))
            with process([nginx, "-c", str(tmp / "nginx.conf"), "-p", str(tmp), "-g", "daemon off;"]):
                wait_http(f"http://127.0.0.1:{nport}/locations")
                results["nginx"] = wrk(
                    f"http://127.0.0.1:{nport}/locations", headers={}, connections=connections, seconds=seconds
                )
        for workers in (1, 2):
            hport = free_port()
            env = {
                "HUB_DATABASE_URL": db_url,
                "HUB_SECRET_KEY": SECRET,
                "HUB_PUBLIC_URL": f"http://127.0.0.1:{hport}",
                "HUB_LOG_FORMAT": "json",
                "HUB_LOG_LEVEL": "INFO",
            }
            args = [py, "-m", "hub", "serve", "--port", str(hport), "--workers", str(workers)]
            with process(args, env=env, cwd=str(tmp), log=tmp / f"hub{workers}.log"):
                url = f"http://127.0.0.1:{hport}/ocpi/2.2.1/sender/locations"
                wait_http(url, headers=HUB_HEADERS)
                wrk(url, headers=HUB_HEADERS, connections=connections, seconds=1)  # warm caches and pools
                results[f"hub_{workers}w"] = wrk(url, headers=HUB_HEADERS, connections=connections, seconds=seconds)
                if workers == 1:
                    single["hub_1w"] = wrk(url, headers=HUB_HEADERS, connections=1, seconds=seconds)
    shutil.rmtree(tmp, ignore_errors=True)
    return _report(results, single, connections)


def _report(results: dict[str, WrkResult], single: dict[str, WrkResult], connections: int) -> dict[str, Any]:
    print(f"\nRouted 1 KB GET, {connections} connections (wrk, 127.0.0.1)")
    print(f"{'path':<10} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, r in results.items():
        print(f"{name:<10} {r.rps:>10.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.errors:>7}")
    report: dict[str, Any] = {name: vars(r) for name, r in results.items()}
    if "nginx" in results:
        for name in ("hub_1w", "hub_2w"):
            ratio = results[name].rps / results["nginx"].rps
            report[f"{name}_over_nginx"] = ratio
            print(f"{name}/nginx throughput ratio: {ratio:.2f}  (target for 2 workers: >= 0.10)")
    added = single["hub_1w"].p50_ms - single["direct"].p50_ms
    report["added_latency_ms_p50_one_connection"] = added
    print(
        f"one connection p50: direct {single['direct'].p50_ms:.3f} ms, hub {single['hub_1w'].p50_ms:.3f} ms, "
        f"added {added:.3f} ms (target <= 0.5 ms)"
    )
    return report
