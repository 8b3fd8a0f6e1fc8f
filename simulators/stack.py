"""Run a hub and simulated parties on this machine: the hub as a child process on a temporary
SQLite file and a free loopback port, platforms declared with the real CLI
(`ocpi-hub platforms add --json`), simulators registered with the token A it prints.
Used by the demo and the load tests; everything started here is stopped by PID.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from simulators.platform import OcpiPlatform
from simulators.serving import free_port

__all__ = ["HubProcess", "StackError", "connect"]


class StackError(Exception):
    """The hub did not start, or a platform could not be added or registered."""


@dataclass
class HubProcess:
    """`python -m hub serve` on 127.0.0.1:`port`, its database and logs under `workdir`."""

    workdir: Path
    port: int = 0
    database_url: str | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    country_code: str = "NL"  # the hub's own party (HUB role)
    party_id: str = "HUB"
    process: asyncio.subprocess.Process | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def versions_url(self) -> str:
        return f"{self.url}/ocpi/versions"

    @property
    def party(self) -> str:
        """`CC:PID` of the hub's own party."""
        return f"{self.country_code}:{self.party_id}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "hub.log"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def env(self) -> dict[str, str]:
        """The environment for `python -m hub ...` on this hub's database (no inherited HUB_*)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        env |= {
            "HUB_DATABASE_URL": self.database_url or f"sqlite+aiosqlite:///{self.workdir / 'hub.db'}",
            "HUB_PUBLIC_URL": self.url,
            "HUB_SECRET_KEY": self.secret_key,
            "HUB_REGISTRY_POLL_SECONDS": "0.2",
            "HUB_OUTBOUND_ALLOW_LOOPBACK": "true",
            "HUB_DISPATCHER_POLL_SECONDS": "0.2",
            "HUB_LOG_LEVEL": "WARNING",
            "HUB_COUNTRY_CODE": self.country_code,
            "HUB_PARTY_ID": self.party_id,
        }
        return env | dict(self.extra_env)

    async def start(self, *, timeout: float = 30.0) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        command = [sys.executable, "-m", "hub", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        with open(self.log_path, "wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                *command, env=self.env(), cwd=self.workdir, stdout=log, stderr=asyncio.subprocess.STDOUT
            )
        try:
            await self._wait_ready(timeout)
        except BaseException:
            await self.stop()
            raise

    async def _wait_ready(self, timeout: float) -> None:
        async with httpx.AsyncClient(timeout=2.0) as client:
            try:
                async with asyncio.timeout(timeout):
                    while True:
                        if self.process is None or self.process.returncode is not None:
                            raise StackError(f"the hub exited at start:\n{self.logs()}")
                        with contextlib.suppress(httpx.TransportError):
                            if (await client.get(f"{self.url}/health/ready")).status_code == 200:
                                return
                        await asyncio.sleep(0.05)
            except TimeoutError:
                raise StackError(f"the hub was not ready after {timeout:.0f} s:\n{self.logs()}") from None

    def logs(self, tail: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    async def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the hub by its PID; SIGKILL if it has not exited after `grace` seconds."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        try:
            async with asyncio.timeout(grace):
                await process.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
            await process.wait()

    async def cli(self, *args: str, timeout: float = 60.0) -> str:
        """Run `python -m hub ARGS` on this hub's database; returns stdout (StackError on failure)."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "hub",
            *args,
            env=self.env(),
            cwd=self.workdir,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            async with asyncio.timeout(timeout):
                out, err = await process.communicate()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
            await process.wait()
            raise StackError(f"ocpi-hub {' '.join(args)}: no answer after {timeout:.0f} s") from None
        if process.returncode != 0:
            raise StackError(f"ocpi-hub {' '.join(args)} failed: {err.decode(errors='replace').strip()}")
        return out.decode()

    async def add_platform(self, name: str, roles: Sequence[str], *, raw_tokens: bool = False) -> dict[str, Any]:
        """`ocpi-hub platforms add --name NAME --role ROLE:CC:PID ... --json` (`raw_tokens`: with
        `--token-encoding raw`, as a 2.1.1 party needs)."""
        args = ["platforms", "add", "--name", name, "--json"]
        for role in roles:
            args += ["--role", role]
        if raw_tokens:
            args += ["--token-encoding", "raw"]
        added: dict[str, Any] = json.loads(await self.cli(*args))
        return added


def roles_of(platform: OcpiPlatform) -> list[str]:
    return [f"{p.role.value}:{p.key.country_code}:{p.key.party_id}" for p in platform.parties]


async def connect(hub: HubProcess, platforms: Sequence[OcpiPlatform]) -> list[dict[str, Any]]:
    """Declare every platform at the hub (CLI, in parallel), then let each register with its
    token A; the platforms must be started. Returns what `platforms add --json` printed."""
    added = await asyncio.gather(*(hub.add_platform(p.name, roles_of(p), raw_tokens=p.raw_tokens) for p in platforms))
    await asyncio.gather(*(p.register(a["versions_url"], a["token_a"]) for p, a in zip(platforms, added, strict=True)))
    return list(added)
