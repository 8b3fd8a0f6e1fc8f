"""A routed 2.1.1 -> 2.2.1 Session push (with translation) against a 2.2.1 -> 2.2.1 Session push,
side by side in one hub process (1 worker), so the ratio is the cost of the 2.1.1 edge (issue 15).

The eMSP DE*EMS (2.2.1) receives Session PUTs: from the 2.2.1 CPO NL*CPA (routing headers, Base64
token, a 2.2.1 Session) and from the 2.1.1 CPO NL*OLD (raw token, no routing headers, a 2.1.1
Session with an embedded Location and an eMI3 contract id as auth_id, from which the hub derives
the receiver DE*EMS and the CdrToken; docs/editions.md). The 2.2.1 body is the hub's own
translation of the 2.1.1 one (owner NL*CPA), so both routes forward the same 2.2.1 object to the
same fast raw-ASGI receiver (benchmarks/receiver.py), which is not the bottleneck. Before
measuring, one request of each kind must be answered 1000 (a benchmark of errors measures
nothing). Measured alternately, `rounds` times; the best round of each counts. Target:
2.1.1 / 2.2.1 >= 0.8. All processes are ours, on 127.0.0.1, ended by PID.
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
import orjson

from benchmarks.harness import WrkResult, free_port, process, start_hub, wait_http, wrk
from benchmarks.validation import _group_cpu_seconds
from hub.db.db import create_engine, session_factory, session_scope
from hub.db.migrate import upgrade
from hub.db.models import Platform
from hub.db.repositories import EndpointSpec, PartySpec, RegistryRepository
from hub.settings import load_settings
from hub.token_vault import TokenVault
from hub.translation import ObjectKind, v211
from hub.types import TokenEncoding

__all__ = ["run"]

SECRET = "benchmark-secret-key-0123456789"
CPO_221_TOKEN = "bench-editions-cpo-221-token"
CPO_211_TOKEN = "bench-editions-cpo-211-token"
SESSION_ID = "BENCH-SESSION-1"
CONTRACT_ID = "DE-EMS-C12345678-1"  # eMI3: the hub derives the eMSP DE*EMS from it
TARGET = 0.8
EDITIONS = ("2.2.1", "2.1.1")
EDITION_211_SENDER = ("locations", "sessions", "cdrs", "tariffs")  # a 2.1.1 CPO's SENDER modules

SESSION_211: dict[str, Any] = {
    "id": SESSION_ID,
    "start_datetime": "2026-01-01T10:00:00Z",
    "kwh": 12.5,
    "auth_id": CONTRACT_ID,
    "auth_method": "WHITELIST",
    "location": {
        "id": "LOC1",
        "type": "ON_STREET",
        "name": "Benchmark street",
        "address": "Stationsplein 1",
        "city": "Amsterdam",
        "postal_code": "1012AB",
        "country": "NLD",
        "coordinates": {"latitude": "52.378900", "longitude": "4.900200"},
        "evses": [
            {
                "uid": "EVSE1",
                "evse_id": "NL*OLD*E1",
                "status": "CHARGING",
                "connectors": [
                    {
                        "id": "1",
                        "standard": "IEC_62196_T2",
                        "format": "SOCKET",
                        "power_type": "AC_3_PHASE",
                        "voltage": 230,
                        "amperage": 32,
                        "last_updated": "2026-01-01T00:00:00Z",
                    }
                ],
                "last_updated": "2026-01-01T00:00:00Z",
            }
        ],
        "time_zone": "Europe/Amsterdam",
        "last_updated": "2026-01-01T00:00:00Z",
    },
    "currency": "EUR",
    "total_cost": 3.75,
    "status": "ACTIVE",
    "last_updated": "2026-01-01T10:30:00Z",
}

# the same Session as the hub makes of the 2.1.1 one, owned by the 2.2.1 CPO
_CDR_TOKEN = {"country_code": "DE", "party_id": "EMS", "uid": CONTRACT_ID, "type": "OTHER", "contract_id": CONTRACT_ID}
SESSION_221 = v211.to_v221(ObjectKind.SESSION, SESSION_211, country_code="NL", party_id="CPA", cdr_token=_CDR_TOKEN)

PATHS = {
    "2.2.1": f"/ocpi/2.2.1/receiver/sessions/NL/CPA/{SESSION_ID}",
    "2.1.1": f"/ocpi/2.1.1/receiver/sessions/NL/OLD/{SESSION_ID}",
}
BODIES = {"2.2.1": orjson.dumps(SESSION_221), "2.1.1": orjson.dumps(SESSION_211)}
HEADERS = {
    "2.2.1": {
        "Authorization": "Token " + base64.b64encode(CPO_221_TOKEN.encode()).decode(),
        "OCPI-to-country-code": "DE",
        "OCPI-to-party-id": "EMS",
        "OCPI-from-country-code": "NL",
        "OCPI-from-party-id": "CPA",
        "X-Request-ID": "bench-request",
        "X-Correlation-ID": "bench-correlation",
        "Content-Type": "application/json",
    },
    "2.1.1": {"Authorization": f"Token {CPO_211_TOKEN}", "Content-Type": "application/json"},
}


async def _seed(db_url: str, receiver_url: str) -> None:
    settings = load_settings(database_url=db_url, secret_key=SECRET)
    await upgrade(settings)
    engine = create_engine(settings)
    vault = TokenVault(SECRET)
    async with session_scope(session_factory(engine)) as session:
        repo = RegistryRepository(session)
        emsp = Platform(name="bench-emsp", status="CONNECTED", version="2.2.1", outbound_token_enc=vault.encrypt("e"))
        await repo.add_platform(platform=emsp, parties=[PartySpec("EMSP", "DE", "EMS")])
        cpo = Platform(
            name="bench-cpo-221",
            status="CONNECTED",
            version="2.2.1",
            inbound_token_hash=vault.hash(CPO_221_TOKEN),
            outbound_token_enc=vault.encrypt("c"),
        )
        await repo.add_platform(platform=cpo, parties=[PartySpec("CPO", "NL", "CPA")])
        old = Platform(
            name="bench-cpo-211",
            status="CONNECTED",
            version="2.1.1",
            token_encoding=TokenEncoding.RAW.value,
            inbound_token_hash=vault.hash(CPO_211_TOKEN),
            outbound_token_enc=vault.encrypt("o"),
        )
        await repo.add_platform(platform=old, parties=[PartySpec("CPO", "NL", "OLD")])
        assert emsp.id is not None and cpo.id is not None and old.id is not None
        emsp_endpoints = [EndpointSpec("sessions", "RECEIVER", f"{receiver_url}/sessions")]
        await repo.replace_endpoints(platform_id=emsp.id, endpoints=emsp_endpoints)
        cpo_endpoints = [EndpointSpec("sessions", "SENDER", f"{receiver_url}/cpa/sessions")]
        await repo.replace_endpoints(platform_id=cpo.id, endpoints=cpo_endpoints)
        # a 2.1.1 CPO's endpoints as it lists them: what it sends (GET from it), what it receives
        old_endpoints = [EndpointSpec(m, "SENDER", f"{receiver_url}/old/{m}") for m in EDITION_211_SENDER]
        old_endpoints += [EndpointSpec(m, "RECEIVER", f"{receiver_url}/old/{m}") for m in ("tokens", "commands")]
        await repo.replace_endpoints(platform_id=old.id, endpoints=old_endpoints)
    await engine.dispose()


def _script(tmp: Path, edition: str) -> str:
    """wrk sends GET without a body; this Lua script makes every request the PUT of the Session."""
    path = tmp / f"put-{edition}.lua"
    body = BODIES[edition].decode()
    assert "]==]" not in body
    path.write_text(f'wrk.method = "PUT"\nwrk.body = [==[{body}]==]\n')
    return str(path)


def _check(base: str, edition: str) -> None:
    reply = httpx.put(base + PATHS[edition], content=BODIES[edition], headers=HEADERS[edition], timeout=10)
    try:
        status = reply.json().get("status_code")
    except ValueError:
        status = None
    if reply.status_code != 200 or status != 1000:
        raise RuntimeError(f"{edition} Session push is not answered 1000: HTTP {reply.status_code} {reply.text[:400]}")


def run(seconds: float, connections: int = 32, rounds: int = 2) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="hub-bench-editions-"))
    rport = free_port()
    receiver = f"http://127.0.0.1:{rport}"
    db_url = f"sqlite+aiosqlite:///{tmp}/bench.db"
    asyncio.run(_seed(db_url, receiver))
    scripts = {edition: _script(tmp, edition) for edition in EDITIONS}
    seen: dict[str, list[tuple[WrkResult, float]]] = {edition: [] for edition in EDITIONS}
    receiver_args = [sys.executable, "-m", "uvicorn", "benchmarks.receiver:app", "--port", str(rport)]
    receiver_args += ["--log-level", "warning", "--http", "httptools", "--loop", "uvloop", "--no-access-log"]
    try:
        with process(receiver_args, log=tmp / "receiver.log"), ExitStack() as stack:
            wait_http(f"{receiver}/sessions")
            base, pid = start_hub(stack, tmp, db_url=db_url, secret=SECRET)
            for edition in EDITIONS:
                _check(base, edition)
                url, headers = base + PATHS[edition], HEADERS[edition]
                wrk(url, headers=headers, connections=connections, seconds=1, script=scripts[edition])  # warm up
            for _ in range(rounds):
                for edition in EDITIONS:
                    url, headers = base + PATHS[edition], HEADERS[edition]
                    before = _group_cpu_seconds(pid)
                    result = wrk(
                        url, headers=headers, connections=connections, seconds=seconds, script=scripts[edition]
                    )
                    cpu_ms = (_group_cpu_seconds(pid) - before) / max(result.requests, 1) * 1000
                    seen[edition].append((result, cpu_ms))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    best = {edition: max((r for r, _ in found), key=lambda r: r.rps) for edition, found in seen.items()}
    cpu = {edition: min(ms for _, ms in found) for edition, found in seen.items()}
    print(
        f"\nRouted Session PUT to a 2.2.1 eMSP by sender edition, {connections} connections, 1 worker (wrk, 127.0.0.1)"
    )
    print(f"{'sender':<14} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'CPU ms/req':>10}  rounds req/s")
    for edition, r in best.items():
        each = " ".join(f"{x.rps:.0f}" for x, _ in seen[edition])
        print(
            f"{edition:<14} {r.rps:>8.0f} {r.p50_ms:>7.2f} {r.p99_ms:>7.2f} {r.errors:>6} {cpu[edition]:>10.3f}  {each}"
        )
    ratio = best["2.1.1"].rps / best["2.2.1"].rps
    verdict = "ok" if ratio >= TARGET else "UNDER TARGET"
    print(f"2.1.1 (translated) / 2.2.1: {ratio:.2f} (target >= {TARGET}): {verdict}")
    return {
        **{edition: vars(r) for edition, r in best.items()},
        "cpu_ms_per_request": cpu,
        "v211_ratio": ratio,
    }
