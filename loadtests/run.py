"""`make loadtest` / `python -m loadtests.run`: the hub under a realistic OCPI mix, headless.

1. starts the hub (`python -m hub serve`, a temporary SQLite file unless --database-url) on a
   free loopback port, and N simulated CPOs and M simulated eMSPs in this process;
2. declares them with `ocpi-hub platforms add`, lets them register, and has every CPO PUT its
   tariffs and locations to every eMSP through the hub (so the EVSE PATCHes have a target);
3. runs Locust (`loadtests/locustfile.py`) headless for a bounded time, writing its CSV files;
4. prints and writes a summary: requests/s, p50/p95/p99 and errors per request type, and the
   simulators' own traffic through the hub (command results, session updates, CDRs);
5. stops Locust, the simulators and the hub by PID. Exit status 1 when any request failed.

Traffic stays on 127.0.0.1. See loadtests/README.md for running it at scale and reading it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import importlib.util
import json
import logging
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hub.types import InterfaceRole, PartyKey
from simulators.cpo import SimulatedCpo
from simulators.emsp import SimulatedEmsp
from simulators.faults import Faults
from simulators.platform import OcpiPlatform
from simulators.stack import HubProcess, connect

ROOT = Path(__file__).resolve().parent
DEFAULT_WEIGHTS = {"evse_status": 40, "authorize": 20, "location_page": 10, "session": 12, "cdr": 8, "command": 10}
SAMPLE_LOCATIONS = 200
SAMPLE_TOKENS = 100


def _weights(text: str) -> dict[str, int]:
    weights = dict(DEFAULT_WEIGHTS)
    for item in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = item.partition("=")
        if name not in weights:
            raise argparse.ArgumentTypeError(f"unknown task {name!r}; tasks: {', '.join(DEFAULT_WEIGHTS)}")
        weights[name] = int(value)
    return weights


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m loadtests.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=int, default=30, help="seconds of load (default 30)")
    p.add_argument("--users", type=int, default=20, help="concurrent Locust users (default 20)")
    p.add_argument("--spawn-rate", type=float, default=10.0, help="users started per second (default 10)")
    p.add_argument("--wait", default="0.05-0.25", help="seconds between a user's tasks, MIN-MAX (default 0.05-0.25)")
    p.add_argument("--cpos", type=int, default=2, help="simulated CPOs (default 2)")
    p.add_argument("--emsps", type=int, default=2, help="simulated eMSPs (default 2)")
    p.add_argument("--evses", type=int, default=400, help="EVSEs per CPO (default 400)")
    p.add_argument("--evses-per-location", type=int, default=4)
    p.add_argument("--tokens", type=int, default=200, help="tokens per eMSP (default 200)")
    p.add_argument("--page-limit", type=int, default=10, help="`limit` of the location page pulls (default 10)")
    p.add_argument("--weights", type=_weights, default=dict(DEFAULT_WEIGHTS), help="e.g. evse_status=60,command=0")
    p.add_argument("--processes", type=int, default=1, help="Locust worker processes (default 1; -1: one per core)")
    p.add_argument("--hub-workers", type=int, default=1, help="hub worker processes (default 1)")
    p.add_argument("--database-url", help="the hub's database (default: a temporary SQLite file)")
    p.add_argument("--hub-env", action="append", default=[], help="extra HUB_*=VALUE for the hub (repeatable)")
    p.add_argument("--fault", action="append", default=[], help="NAME:FAULTS for a simulator, e.g. cpo-1:slow=0.2")
    p.add_argument("--results", type=Path, default=ROOT / "results", help="where the CSV and summary go")
    p.add_argument("--seed", type=int, default=1)
    return p


def _party_config(platform: OcpiPlatform) -> dict[str, Any]:
    key = platform.party.key
    assert platform.outbound_token is not None
    return {
        "name": platform.name,
        "country_code": key.country_code,
        "party_id": key.party_id,
        "token": platform.outbound_token,
    }


def _cpo_config(cpo: SimulatedCpo) -> dict[str, Any]:
    locations = []
    for location in list(cpo.locations)[:SAMPLE_LOCATIONS]:
        evses = [
            {
                "uid": e["uid"],
                "evse_id": e["evse_id"],
                "connector": {k: e["connectors"][0][k] for k in ("id", "standard", "format", "power_type")},
            }
            for e in location["evses"]
        ]
        fields = ("id", "address", "city", "country", "coordinates")
        locations.append({**{k: location[k] for k in fields}, "evses": evses})
    return _party_config(cpo) | {"locations": locations, "location_count": len(cpo.locations)}


def _emsp_config(emsp: SimulatedEmsp) -> dict[str, Any]:
    tokens = list(emsp.tokens)[:SAMPLE_TOKENS]
    return _party_config(emsp) | {"tokens": tokens, "commands_url": emsp.endpoint_url("commands", InterfaceRole.SENDER)}


def _read_stats(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _summary(
    stats: list[dict[str, str]], sims: Sequence[OcpiPlatform], args: argparse.Namespace, seconds: float
) -> str:
    lines = [
        f"OCPI hub load test: {args.cpos} CPOs x {args.evses} EVSEs, {args.emsps} eMSPs x {args.tokens} tokens, "
        f"{args.users} users, wait {args.wait} s, {args.duration} s of load ({seconds:.0f} s in all)",
        "",
        f"{'request type':<30} {'requests':>9} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>7}",
    ]
    for row in stats:
        if row["Name"] == "Aggregated":
            lines.append("-" * 80)
        lines.append(
            f"{row['Name']:<30} {int(row['Request Count']):>9} {float(row['Requests/s']):>8.1f} "
            f"{row['50%']:>7} {row['95%']:>7} {row['99%']:>7} {int(row['Failure Count']):>7}"
        )
    sent = sum(s.sent for s in sims)
    failed = sum(s.failed for s in sims)
    lines += [
        "",
        f"Simulators' own requests through the hub during the run (command results, session PUT/PATCH, "
        f"EVSE status, CDRs): {sent}, failed: {failed}",
    ]
    reasons = Counter(
        f"{e.platform} {e.method} {e.module}: {e.error or f'HTTP {e.http_status}, OCPI {e.ocpi_status}'}"
        for s in sims
        for e in s.history
        if e.direction == "sent" and not e.ok
    )
    lines += [f"  {count:>5} x {reason}" for reason, count in reasons.most_common(10)]
    return "\n".join(lines)


async def _run_locust(args: argparse.Namespace, hub: HubProcess, config_path: Path, prefix: Path) -> int:
    wait_min, _, wait_max = args.wait.partition("-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env["OCPI_LOADTEST_CONFIG"] = str(config_path)
    command = [
        sys.executable, "-m", "locust", "-f", str(ROOT / "locustfile.py"), "--headless",
        "--users", str(args.users), "--spawn-rate", str(args.spawn_rate), "--run-time", f"{args.duration}s",
        "--host", hub.url, "--csv", str(prefix), "--only-summary", "--stop-timeout", "5",
        "--loglevel", "WARNING", "--processes", str(args.processes),
    ]  # fmt: skip
    del wait_min, wait_max  # read by the locustfile from the config
    process = await asyncio.create_subprocess_exec(*command, env=env, cwd=ROOT.parent)
    try:
        async with asyncio.timeout(args.duration + 60):
            return await process.wait()
    except (TimeoutError, asyncio.CancelledError):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, sig)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(10):
                    await process.wait()
                    break
        raise


async def run(args: argparse.Namespace) -> int:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    started = time.time()
    workdir = Path(tempfile.mkdtemp(prefix="ocpi-hub-loadtest-"))
    run_dir = args.results / time.strftime("%Y%m%d-%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=True)
    extra = dict(item.split("=", 1) for item in args.hub_env)
    extra["HUB_WORKERS"] = str(args.hub_workers)
    hub = HubProcess(workdir, database_url=args.database_url, extra_env=extra)
    emsps = [
        SimulatedEmsp(country_code="DE", party_id=f"M{i:02d}", name=f"emsp-{i}", tokens=args.tokens, seed=args.seed + i)
        for i in range(1, args.emsps + 1)
    ]
    cpos = [
        SimulatedCpo(
            country_code="NL",
            party_id=f"C{i:02d}",
            name=f"cpo-{i}",
            evses=args.evses,
            evses_per_location=args.evses_per_location,
            seed=args.seed + i,
            publish_to=[e.party.key for e in emsps],
            tick_seconds=1.0,
            time_scale=900.0,  # one meter value per 15 simulated minutes, every second
            auto_stop_periods=3,
            command_delay=0.05,
        )
        for i in range(1, args.cpos + 1)
    ]
    sims: list[OcpiPlatform] = [*cpos, *emsps]
    faults = {name: Faults.parse(spec) for name, _, spec in (f.partition(":") for f in args.fault)}
    try:
        print(f"Starting the hub ({args.database_url or 'SQLite'}, {args.hub_workers} worker(s)) ...", flush=True)
        await hub.start()
        await asyncio.gather(*(s.start() for s in sims))
        print(f"Registering {len(cpos)} CPOs and {len(emsps)} eMSPs at {hub.url} ...", flush=True)
        await connect(hub, sims)
        print("Syncing tariffs and locations (CPO -> every eMSP, through the hub) ...", flush=True)
        emsp_keys: list[PartyKey] = [e.party.key for e in emsps]
        for cpo in cpos:
            replies = await cpo.publish_tariffs(emsp_keys) + await cpo.publish_locations(emsp_keys, concurrency=16)
            bad = [r for r in replies if not r.ok]
            if bad:
                print(
                    f"{cpo.name}: {len(bad)} of {len(replies)} pushes failed, e.g. {bad[0].describe()}", file=sys.stderr
                )
                return 2
        for sim in sims:
            sim.sent = sim.failed = 0
            if sim.name in faults:
                await sim.set_faults(faults[sim.name])
        wait_min, _, wait_max = args.wait.partition("-")
        config = {
            "hub": hub.url,
            "cpos": [_cpo_config(c) for c in cpos],
            "emsps": [_emsp_config(e) for e in emsps],
            "weights": args.weights,
            "page_limit": args.page_limit,
            "wait_min": float(wait_min),
            "wait_max": float(wait_max or wait_min),
        }
        config_path = workdir / "parties.json"  # holds credentials tokens: kept out of results/
        config_path.write_text(json.dumps(config), encoding="utf-8")
        print(f"Load: {args.users} users for {args.duration} s, weights {args.weights} ...", flush=True)
        code = await _run_locust(args, hub, config_path, run_dir / "locust")
        await asyncio.sleep(1.5)  # command results and sessions still on their way
        stats_path = run_dir / "locust_stats.csv"
        if not stats_path.exists():
            print(f"Locust wrote no statistics (exit {code}); hub log:\n{hub.logs()}", file=sys.stderr)
            return 2
        stats = _read_stats(stats_path)
        summary = _summary(stats, sims, args, time.time() - started)
        (run_dir / "summary.txt").write_text(summary + "\n", encoding="utf-8")
        print("\n" + summary)
        print(f"\nCSV and summary in {run_dir}")
        aggregated = next((r for r in stats if r["Name"] == "Aggregated"), None)
        errors = int(aggregated["Failure Count"]) if aggregated else 1
        return 1 if errors or sum(s.failed for s in sims) else 0
    finally:
        await asyncio.gather(*(s.stop() for s in sims), return_exceptions=True)
        await hub.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if importlib.util.find_spec("locust") is None:
        print("Locust is not installed: .venv/bin/pip install -e '.[dev,loadtest]' (make loadtest does it)")
        return 2
    random.seed(args.seed)
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
