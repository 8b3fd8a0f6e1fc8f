"""The routed path against references that are not the bottleneck (issue 12), in one run.

The receiver of every column is nginx (one worker process) answering every path with the same
static ~1 KB OCPI envelope (three Locations, status_code 1000). The columns, measured one after
the other with only that column's server running:

  direct          wrk -> static nginx                         (the floor of the load generator)
  nginx_proxy     wrk -> nginx, 1 worker, reverse proxy -> static nginx
  bare_forwarder  wrk -> benchmarks/bare_forwarder.py (Starlette + aiohttp) -> static nginx
  hub_1w, hub_2w  wrk -> `ocpi-hub serve --workers 1|2` -> static nginx (GET sender/locations,
                  eMSP DE*EMS to CPO NL*CPA)

For each: requests/s at N connections (wrk, 1 thread), CPU time per request of the server under
test (utime + stime of its process tree from /proc, before and after the N-connection run,
divided by the requests wrk counted), p50 and p99 at N connections, p50 at one connection and
what that adds to the direct p50. Every column is sent the same request headers (the hub's
Authorization and OCPI routing headers), so each hop forwards the same bytes.

The hub is driven only through its front door: its database is made by `ocpi-hub db upgrade`;
both platforms are declared with `ocpi-hub platforms add` and the hub registers at each with
`ocpi-hub platforms register` against a handshake-only fake (benchmarks/handshake.py) whose
version details point the CPO's locations endpoint at the static nginx; the sender then uses the
token the hub gave it. The hub runs with a short cache TTL (`--hub-cache-ttl`, 2 s by default) so
that every run crosses several expiries of the cached token and routes: a p99 measured in a run
shorter than the TTL would hide the stall an expiry may cause.

nginx and wrk come from the Debian packages; when one is missing the bench says so and skips
what needs it (nothing is downloaded). Everything listens on 127.0.0.1, runs for a bounded time,
and is ended by PID. With `profile=True` (`make bench BENCH_ARGS=--profile`), py-spy (if
installed; not a project dependency) samples hub_1w during one more run and the top functions are
printed and written next to the results.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from benchmarks.handshake import FakePlatforms, PlatformSpec
from benchmarks.harness import find_nginx, free_port, process, tree_cpu_seconds, wait_http, wrk
from benchmarks.receiver import BODY

SECRET = "benchmark-secret-key-0123456789"
PATH = "/ocpi/2.2.1/sender/locations"
RESULTS = Path(__file__).resolve().parent / "results"

_NGINX_COMMON = """
worker_processes 1;
pid {tmp}/{name}.pid;
error_log {tmp}/{name}-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path {tmp}/{name}-body; proxy_temp_path {tmp}/{name}-proxy;
  fastcgi_temp_path {tmp}/{name}-fcgi; uwsgi_temp_path {tmp}/{name}-uwsgi; scgi_temp_path {tmp}/{name}-scgi;
  {body}
}}
"""
_STATIC = """
  server {{
    listen 127.0.0.1:{port};
    location / {{
      default_type application/json;
      add_header X-Total-Count 3;
      add_header X-Limit 100;
      return 200 '{envelope}';
    }}
  }}
"""
_PROXY = """
  upstream receiver {{ server 127.0.0.1:{upstream}; keepalive 64; keepalive_requests 1000000; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{ proxy_pass http://receiver; proxy_http_version 1.1; proxy_set_header Connection ""; }}
  }}
"""

TARGETS = {"cpu_per_request": 1.5, "added_p50_one_connection": 1.5, "p99": 2.0}


def _nginx_conf(tmp: Path, name: str, body: str) -> Path:
    path = tmp / f"{name}.conf"
    path.write_text(_NGINX_COMMON.format(tmp=tmp, name=name, body=body))
    return path


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "hub", *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        raise RuntimeError(f"ocpi-hub {' '.join(args[:2])} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def _register(hub_env: dict[str, str], tmp: Path, fakes: FakePlatforms) -> None:
    """Declare both platforms and have the hub register at each (all through the CLI)."""
    _cli(["db", "upgrade"], hub_env, tmp)
    for name, spec in fakes.platforms.items():
        role = f"{spec.role}:{spec.country_code}:{spec.party_id}"
        added = json.loads(_cli(["platforms", "add", "--name", name, "--role", role, "--json"], hub_env, tmp))
        register = ["platforms", "register", str(added["platform_id"]), "--versions-url", fakes.versions_url(name)]
        _cli([*register, "--token-a", f"token-a-for-{name}"], hub_env, tmp)


def _check(url: str, headers: dict[str, str]) -> str | None:
    """None when `url` answers the static envelope's data, else what it answered."""
    try:
        reply = httpx.get(url, headers=headers, timeout=5.0)
        body = reply.json()
    except (httpx.HTTPError, ValueError) as exc:
        return repr(exc)
    if reply.status_code != 200 or body.get("status_code") != 1000 or len(body.get("data") or []) != 3:
        return f"HTTP {reply.status_code}: {reply.text[:300]}"
    return None


def _measure(url: str, headers: dict[str, str], pid: int, connections: int, seconds: float) -> dict[str, Any]:
    wrk(url, headers=headers, connections=connections, seconds=1)  # warm caches and connection pools
    cpu_before = tree_cpu_seconds(pid)
    loaded = wrk(url, headers=headers, connections=connections, seconds=seconds)
    cpu = tree_cpu_seconds(pid) - cpu_before
    one = wrk(url, headers=headers, connections=1, seconds=seconds)
    return {
        "rps": loaded.rps,
        "p50_ms": loaded.p50_ms,
        "p99_ms": loaded.p99_ms,
        "errors": loaded.errors + one.errors,
        "requests": loaded.requests,
        "cpu_seconds": cpu,
        "cpu_us_per_request": cpu / max(loaded.requests, 1) * 1e6,
        "one_connection_p50_ms": one.p50_ms,
        "one_connection_p99_ms": one.p99_ms,
    }


def _frame(text: str) -> str:
    """py-spy's `function (path/to/module.py:line)` as `function (package/module.py)`."""
    function, _, where = text.partition(" (")
    path = where.rsplit(":", 1)[0]
    return f"{function} ({'/'.join(path.split('/')[-2:])})"


def _profile(pid: int, url: str, headers: dict[str, str], connections: int, seconds: float) -> dict[str, Any]:
    """py-spy on the hub while wrk drives it; the functions that hold the CPU, self and total."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not os.path.exists(spy):
        print("py-spy is not installed (.venv/bin/pip install py-spy): no profile")
        return {}
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    raw, svg = RESULTS / f"profile-hub-{stamp}.txt", RESULTS / f"profile-hub-{stamp}.svg"
    duration = str(max(2, round(seconds)))
    common = ["--pid", str(pid), "--duration", duration, "--rate", "200", "--nonblocking"]
    out: dict[str, Any] = {}
    for fmt, path in (("raw", raw), ("flamegraph", svg)):
        with process([spy, "record", *common, "--format", fmt, "-o", str(path)]) as spying:
            time.sleep(0.5)  # py-spy attaches
            wrk(url, headers=headers, connections=connections, seconds=seconds)
            spying.wait(timeout=seconds + 30)
    if not raw.exists():
        print("py-spy wrote nothing (no ptrace permission?)")
        return {}
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [_frame(f) for f in stack.split(";")]
        n = int(count)
        samples += n
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    out = {
        "samples": samples,
        "self": [(f, n / samples) for f, n in own.most_common(15)],
        "total": [(f, n / samples) for f, n in total.most_common(40)],
        "flamegraph": str(svg),
    }
    print(f"\npy-spy on hub_1w ({samples} samples, flamegraph {svg}); top by own time:")
    for frame, share in out["self"]:
        print(f"  {share:6.1%}  {frame}")
    return out


def run(seconds: float, connections: int, *, cache_ttl: float = 2.0, profile: bool = False) -> dict[str, Any]:
    nginx = find_nginx()
    if shutil.which("wrk") is None:
        print("\nRouted path: wrk is not installed (apt-get install -y wrk): skipped")
        return {"skipped": "wrk not installed"}
    if nginx is None:
        print("\nRouted path: nginx (every column's receiver) is not installed (apt-get install -y nginx): skipped")
        return {"skipped": "nginx not installed"}
    tmp = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    os.chmod(tmp, 0o755)
    envelope = BODY.decode()
    assert not set(envelope) & set("'\\$"), "the envelope must fit in an nginx single-quoted string"
    py = sys.executable
    sport, pport, fport, hport = free_port(), free_port(), free_port(), free_port()
    static = f"http://127.0.0.1:{sport}"
    columns: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    report: dict[str, Any] = {"connections": connections, "seconds": seconds, "hub_cache_ttl_seconds": cache_ttl}
    hub_env = {
        "HUB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db",
        "HUB_SECRET_KEY": SECRET,
        "HUB_OUTBOUND_ALLOW_LOOPBACK": "true",
        "HUB_RATE_LIMIT_PER_SECOND": "0",
        "HUB_PUBLIC_URL": f"http://127.0.0.1:{hport}",
        "HUB_LOG_FORMAT": "json",
        "HUB_LOG_LEVEL": "INFO",
        "HUB_CACHE_TTL_SECONDS": str(cache_ttl),
        **{k: v for k, v in os.environ.items() if k.startswith("BENCH_HUB_")},
    }
    hub_env = {k.removeprefix("BENCH_"): v for k, v in hub_env.items()}
    platforms = {
        "bench-cpo": PlatformSpec("CPO", "NL", "CPA", {("locations", "SENDER"): f"{static}/cpo/2.2.1/locations"}),
        "bench-emsp": PlatformSpec("EMSP", "DE", "EMS"),
    }
    static_conf = _nginx_conf(tmp, "static", _STATIC.format(port=sport, envelope=envelope))
    nginx_args = [nginx or "nginx", "-p", str(tmp), "-e", str(tmp / "nginx-start.log"), "-g", "daemon off;", "-c"]
    try:
        with FakePlatforms(platforms) as fakes, process([*nginx_args, str(static_conf)], log=tmp / "static.log") as rx:
            wait_http(f"{static}/")
            try:
                _register(hub_env, tmp, fakes)
            except RuntimeError as exc:
                skipped.update({"hub_1w": str(exc), "hub_2w": str(exc)})
            token = platforms["bench-emsp"].token_to_hub or ""
            headers = {
                "Authorization": "Token " + base64.b64encode(token.encode()).decode(),
                "OCPI-to-country-code": "NL",
                "OCPI-to-party-id": "CPA",
                "OCPI-from-country-code": "DE",
                "OCPI-from-party-id": "EMS",
                "X-Request-ID": "bench-request",
                "X-Correlation-ID": "bench-correlation",
            }
            columns["direct"] = _measure(static + PATH, headers, rx.pid, connections, seconds)

            proxy_conf = _nginx_conf(tmp, "proxy", _PROXY.format(port=pport, upstream=sport))
            with process([*nginx_args, str(proxy_conf)], log=tmp / "proxy.log") as proxy:
                url = f"http://127.0.0.1:{pport}{PATH}"
                wait_http(url, headers=headers)
                columns["nginx_proxy"] = _measure(url, headers, proxy.pid, connections, seconds)

            fwd_args = [py, "-m", "uvicorn", "benchmarks.bare_forwarder:app", "--port", str(fport)]
            fwd_args += ["--log-level", "warning", "--http", "httptools", "--loop", "uvloop", "--no-access-log"]
            fwd_env = {"BARE_FORWARDER_UPSTREAM": static}
            with process(fwd_args, env=fwd_env, cwd=str(Path.cwd()), log=tmp / "forwarder.log") as fwd:
                url = f"http://127.0.0.1:{fport}{PATH}"
                wait_http(url, headers=headers)
                problem = _check(url, headers)
                if problem:
                    skipped["bare_forwarder"] = problem
                else:
                    columns["bare_forwarder"] = _measure(url, headers, fwd.pid, connections, seconds)

            for workers in (1, 2):
                name = f"hub_{workers}w"
                if name in skipped:
                    continue
                args = [py, "-m", "hub", "serve", "--port", str(hport), "--workers", str(workers), "--no-migrate"]
                with process(args, env=hub_env, cwd=str(tmp), log=tmp / f"{name}.log") as hub:
                    url = f"http://127.0.0.1:{hport}{PATH}"
                    try:
                        wait_http(f"http://127.0.0.1:{hport}/health/live")
                    except RuntimeError as exc:
                        log = (tmp / f"{name}.log").read_text(errors="replace").strip().splitlines()
                        skipped[name] = f"{exc}; its log ends: {log[-1] if log else '(empty)'}"
                        continue
                    problem = _check(url, headers)
                    if problem:
                        skipped[name] = problem
                        continue
                    columns[name] = _measure(url, headers, hub.pid, connections, seconds)
                    if profile and workers == 1:
                        report["profile_hub_1w"] = _profile(hub.pid, url, headers, connections, seconds)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report["columns"] = columns
    report["skipped"] = skipped
    report["ratios"] = _report(columns, skipped, connections, seconds, cache_ttl)
    return report


def _ratio(columns: dict[str, dict[str, Any]], a: str, b: str, key: str) -> float | None:
    if a not in columns or b not in columns or not columns[b][key]:
        return None
    return float(columns[a][key] / columns[b][key])


def _report(
    columns: dict[str, dict[str, Any]], skipped: dict[str, str], connections: int, seconds: float, ttl: float
) -> dict[str, Any]:
    direct_one = columns.get("direct", {}).get("one_connection_p50_ms", 0.0)
    for c in columns.values():
        c["added_p50_ms_one_connection"] = c["one_connection_p50_ms"] - direct_one
    print(
        f"\nRouted 1 KB GET, receiver: static nginx (1 worker); wrk 1 thread, {connections} connections, "
        f"{seconds:.0f} s per run; hub cache TTL {ttl:g} s"
    )
    print(
        f"{'column':<15} {'req/s':>8} {'CPU us/req':>10} {'p50 ms':>7} {'p99 ms':>8} "
        f"{'1-conn p50':>10} {'added ms':>8} {'errors':>6}"
    )
    for name, c in columns.items():
        print(
            f"{name:<15} {c['rps']:>8.0f} {c['cpu_us_per_request']:>10.0f} {c['p50_ms']:>7.2f} {c['p99_ms']:>8.2f} "
            f"{c['one_connection_p50_ms']:>10.3f} {c['added_p50_ms_one_connection']:>8.3f} {c['errors']:>6}"
        )
    for name, why in skipped.items():
        print(f"{name:<15} skipped: {why}")
    hub, floor = "hub_1w", "bare_forwarder"
    ratios: dict[str, Any] = {
        "hub_1w_over_bare_forwarder_cpu_per_request": _ratio(columns, hub, floor, "cpu_us_per_request"),
        "hub_1w_over_bare_forwarder_added_p50_one_connection": _ratio(
            columns, hub, floor, "added_p50_ms_one_connection"
        ),
        "hub_1w_over_bare_forwarder_p99": _ratio(columns, hub, floor, "p99_ms"),
        "hub_2w_over_bare_forwarder_p99": _ratio(columns, "hub_2w", floor, "p99_ms"),
        "hub_2w_over_nginx_proxy_rps": _ratio(columns, "hub_2w", "nginx_proxy", "rps"),
        "hub_1w_over_bare_forwarder_rps": _ratio(columns, hub, floor, "rps"),
        "bare_forwarder_over_nginx_proxy_rps": _ratio(columns, floor, "nginx_proxy", "rps"),
    }
    print("\nagainst the bare forwarder, same run          measured  target (issue 12)")
    lines = (
        ("hub 1w CPU per request", "hub_1w_over_bare_forwarder_cpu_per_request", TARGETS["cpu_per_request"]),
        (
            "hub 1w added p50, one connection",
            "hub_1w_over_bare_forwarder_added_p50_one_connection",
            TARGETS["added_p50_one_connection"],
        ),
        (f"hub 1w p99, {connections} connections", "hub_1w_over_bare_forwarder_p99", TARGETS["p99"]),
        (f"hub 2w p99, {connections} connections", "hub_2w_over_bare_forwarder_p99", TARGETS["p99"]),
    )
    for label, key, target in lines:
        value = ratios[key]
        shown = "n/a" if value is None else f"{value:.2f}x"
        verdict = "" if value is None else ("ok" if value <= target else "MISSED")
        print(f"  {label:<42} {shown:>8}  <= {target:g}x  {verdict}")
    for label, key, note in (
        ("hub 2w / nginx proxy, req/s", "hub_2w_over_nginx_proxy_rps", "(0.05-0.06 when issue 12 was filed)"),
        ("hub 1w / bare forwarder, req/s", "hub_1w_over_bare_forwarder_rps", ""),
        ("bare forwarder / nginx proxy, req/s", "bare_forwarder_over_nginx_proxy_rps", ""),
    ):
        value = ratios[key]
        print(f"  {label:<42} {'n/a' if value is None else f'{value:.3f}':>8}  {note}")
    return ratios
