"""Plain helpers shared by the tests (fixtures live in conftest.py and use these)."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import structlog
from starlette.applications import Starlette
from starlette.routing import Match

import hub
from hub.app import create_app
from hub.settings import Settings

__all__ = [
    "HUB_URL",
    "HUB_VERSIONS_URL",
    "TEST_OPERATOR_TOKEN",
    "TEST_SECRET",
    "HubProcess",
    "auth_header",
    "cli_env",
    "run_cli_async",
    "run_cli_sync",
    "running_app",
    "serves",
    "start_hub_process",
    "stop_process",
]

HUB_URL = "http://hub.test"
HUB_VERSIONS_URL = f"{HUB_URL}/ocpi/versions"
TEST_SECRET = "test-secret-key-0123456789abcdef"
TEST_OPERATOR_TOKEN = "test-operator-token-0123456789"  # hub processes' operator_token (health details)
PROJECT_ROOT = Path(hub.__file__).resolve().parent.parent
LIFESPAN_EXIT_SECONDS = 10.0


def auth_header(token: str) -> dict[str, str]:
    """`{"Authorization": "Token <base64 of the UTF-8 token>"}` as OCPI 2.2.1 wants it."""
    return {"Authorization": "Token " + base64.b64encode(token.encode("utf-8")).decode("ascii")}


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[Starlette]:
    """The hub app from `create_app(settings)` with its lifespan running (state in app.state.hub)."""
    app = create_app(settings)
    # create_app() configures structlog with cache_logger_on_first_use=True: a module's logger
    # would then keep the processors (and stderr) of the first test that used it, and later
    # tests could not capture its events. Tests keep the hub's processors but not the caching.
    structlog.configure(cache_logger_on_first_use=False)
    lifespan = app.router.lifespan_context(app)
    await lifespan.__aenter__()
    try:
        yield app
    finally:
        # A background task that ignores cancellation would hang the test run at shutdown;
        # make that an error with a name instead.
        async with asyncio.timeout(LIFESPAN_EXIT_SECONDS) as deadline:
            await lifespan.__aexit__(None, None, None)
        if deadline.expired():
            raise RuntimeError(
                f"the hub's lifespan took over {LIFESPAN_EXIT_SECONDS}s to shut down: a background task "
                "ignored its cancellation (on Python 3.11, asyncio.wait_for can swallow one)"
            )


def serves(app: Starlette, method: str, path: str) -> bool:
    """Whether one of the app's routes takes `method path` (routes of later issues may be absent)."""
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": [], "query_string": b""}
    return any(route.matches(scope)[0] is Match.FULL for route in app.routes)


def cli_env(settings: Settings, *, public_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for `python -m hub ...` on the database of `settings` (no inherited HUB_*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    env |= {
        "HUB_DATABASE_URL": settings.database_url,
        "HUB_PUBLIC_URL": public_url,
        "HUB_SECRET_KEY": settings.secret_key,
        "HUB_REGISTRY_POLL_SECONDS": str(settings.registry_poll_seconds),
        "HUB_OUTBOUND_ALLOW_LOOPBACK": "true" if settings.outbound_allow_loopback else "false",
        "HUB_OPERATOR_TOKEN": settings.operator_token or TEST_OPERATOR_TOKEN,
    }
    if settings.database_schema:
        env["HUB_DATABASE_SCHEMA"] = settings.database_schema
    return env | dict(extra or {})


def run_cli_sync(args: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "hub", *args]
    return subprocess.run(command, env=dict(env), cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


async def run_cli_async(args: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Like `run_cli_sync`, without blocking the event loop (fakes served in it stay responsive)."""
    command = [sys.executable, "-m", "hub", *args]
    proc = await asyncio.create_subprocess_exec(
        *command, env=dict(env), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        async with asyncio.timeout(60):
            out, err = await proc.communicate()
    except TimeoutError:
        await stop_process(proc.pid, lambda: proc.returncode)
        raise
    assert proc.returncode is not None
    return subprocess.CompletedProcess(command, proc.returncode, out.decode(), err.decode())


@dataclass
class HubProcess:
    """A hub started as `python -m hub serve`; `url` is its base URL (also its public_url)."""

    url: str
    popen: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def versions_url(self) -> str:
        return f"{self.url}/ocpi/versions"

    def logs(self) -> str:
        """Everything the process wrote so far (stdout and stderr)."""
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(errors="replace")


async def start_hub_process(*, port: int, env: Mapping[str, str], cwd: Path, name: str = "hub") -> HubProcess:
    """Start the hub on 127.0.0.1:`port` and wait until /health/ready answers 200."""
    stdout_path, stderr_path = cwd / f"{name}-stdout.log", cwd / f"{name}-stderr.log"
    command = [sys.executable, "-m", "hub", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        popen = subprocess.Popen(command, env=dict(env), cwd=cwd, stdout=out, stderr=err)
    process = HubProcess(url=f"http://127.0.0.1:{port}", popen=popen, stdout_path=stdout_path, stderr_path=stderr_path)
    try:
        await _wait_ready(process)
    except BaseException:
        await stop_process(popen.pid, popen.poll)
        raise
    return process


async def _wait_ready(process: HubProcess, timeout: float = 30.0) -> None:
    async with httpx.AsyncClient(timeout=2.0) as client:
        try:
            async with asyncio.timeout(timeout):
                while True:
                    if process.popen.poll() is not None:
                        raise RuntimeError(f"hub exited with {process.popen.returncode}:\n{process.logs()}")
                    try:
                        if (await client.get(f"{process.url}/health/ready")).status_code == 200:
                            return
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.05)
        except TimeoutError:
            raise RuntimeError(f"hub not ready after {timeout}s:\n{process.logs()}") from None


async def stop_process(pid: int, poll: Any, *, grace: float = 10.0) -> None:
    """SIGTERM the process with this PID, SIGKILL it if it has not exited after `grace` seconds.
    `poll()` returns the exit code or None (it also reaps the child)."""
    if poll() is not None:
        return
    os.kill(pid, signal.SIGTERM)
    try:
        async with asyncio.timeout(grace):
            while poll() is None:
                await asyncio.sleep(0.02)
    except TimeoutError:
        os.kill(pid, signal.SIGKILL)
        while poll() is None:
            await asyncio.sleep(0.02)
