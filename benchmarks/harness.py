"""Process and load-generator helpers for benchmarks: free ports, subprocesses we own and end
by PID, readiness waits, and wrk runs parsed into numbers. Traffic goes to 127.0.0.1 only."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["WrkResult", "find_nginx", "free_port", "process", "start_hub", "tree_cpu_seconds", "wait_http", "wrk"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def find_nginx() -> str | None:
    """nginx from the Debian package (`apt-get install nginx`), or None: never downloaded."""
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds of `root` and every process below it, from /proc/<pid>/stat
    (fields 14 and 15, in clock ticks). Read before and after a run; the difference is the CPU
    the server under test spent on it (a worker that exits in between is not counted)."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue  # ended meanwhile
        fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) ": field 3 onwards
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        ticks[pid] = int(fields[11]) + int(fields[12])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(ticks.get(pid, 0) for pid in tree) / os.sysconf("SC_CLK_TCK")


@contextmanager
def process(
    args: list[str], *, env: dict[str, str] | None = None, cwd: str | None = None, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    out = open(log, "wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        args, env={**os.environ, **(env or {})}, cwd=cwd, stdout=out, stderr=out, start_new_session=True
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if log:
            out.close()  # type: ignore[union-attr]


def wait_http(url: str, *, headers: dict[str, str] | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, headers=headers, timeout=2.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up in {timeout}s")


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        return float("nan")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(
    url: str, *, headers: dict[str, str], connections: int, seconds: float, threads: int = 1, script: str | None = None
) -> WrkResult:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    if script:
        args += ["-s", script]
    out = subprocess.run([*args, url], capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # the "Latency Distribution" lines; "50%" alone would also match the thread stats' "75.50%"
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = 0
    for pattern in (
        r"Non-2xx or 3xx responses: (\d+)",
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
    ):
        match = re.search(pattern, out)
        if match:
            errors += sum(int(g) for g in match.groups())
    return WrkResult(rps=rps, p50_ms=p50, p99_ms=p99, errors=errors, requests=total)


def start_hub(
    stack: ExitStack,
    tmp: Path,
    *,
    db_url: str,
    secret: str,
    log_name: str = "hub.log",
    extra_env: dict[str, str] | None = None,
) -> tuple[str, int]:
    """One hub process (1 worker, rate limits off, loopback parties allowed) on a free port, ended
    with `stack`; returns its base URL and PID once it answers /health/live."""
    port = free_port()
    env = {
        "HUB_DATABASE_URL": db_url,
        "HUB_SECRET_KEY": secret,
        "HUB_OUTBOUND_ALLOW_LOOPBACK": "true",
        "HUB_RATE_LIMIT_PER_SECOND": "0",
        "HUB_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "HUB_LOG_FORMAT": "json",
        "HUB_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    args = [sys.executable, "-m", "hub", "serve", "--port", str(port), "--workers", "1"]
    hub = stack.enter_context(process(args, env=env, cwd=str(tmp), log=tmp / log_name))
    wait_http(f"http://127.0.0.1:{port}/health/live")
    return f"http://127.0.0.1:{port}", hub.pid
