"""A throwaway PostgreSQL cluster for one test: initdb into a fresh directory, pg_ctl on a free
loopback port with its unix socket in that directory, so that no other server is disturbed.

    cluster = PgCluster.create()       # or pytest.skip(reason) when it cannot be made here
    await cluster.init(); await cluster.start()
    cluster.url                         # postgresql+asyncpg://postgres@127.0.0.1:<port>/postgres
    await cluster.stop()                # pg_ctl stop -m fast; start() again on the same port
    await cluster.destroy()             # pg_ctl stop -m immediate if running, directory removed

initdb refuses to run as root: as root the cluster is made and run as the `postgres` OS user
(`runuser -u postgres --`), in a directory under /tmp that this user owns (pytest's tmp_path
is not reachable for other users).
"""

from __future__ import annotations

import asyncio
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.fakes.serving import free_port

__all__ = ["PgCluster", "find_binaries"]


def find_binaries() -> Path | None:
    """The bin directory of the newest installed PostgreSQL with initdb and pg_ctl."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).resolve().parent if on_path and shutil.which("pg_ctl") else None


@dataclass
class PgCluster:
    bin_dir: Path
    run_as: str | None  # OS user for initdb / pg_ctl (None: the current user)
    base: Path
    port: int = field(default_factory=free_port)
    running: bool = False

    @classmethod
    def create(cls) -> PgCluster | str:
        """A cluster to be initialised, or the reason why none can be made on this machine."""
        bin_dir = find_binaries()
        if bin_dir is None:
            return "no PostgreSQL server binaries (initdb, pg_ctl) installed"
        run_as = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return "running as root (initdb refuses) and there is no `postgres` OS user to run the cluster as"
            if shutil.which("runuser") is None:
                return "running as root (initdb refuses) and `runuser` is missing"
            run_as = "postgres"
        base = Path(tempfile.mkdtemp(prefix="hub-faults-pg-"))
        if run_as is not None:
            user = pwd.getpwnam(run_as)
            os.chown(base, user.pw_uid, user.pw_gid)
        return cls(bin_dir=bin_dir, run_as=run_as, base=base)

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    async def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as, "--", *command]
        proc = await asyncio.create_subprocess_exec(
            *command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
        )
        try:
            async with asyncio.timeout(timeout):
                out, err = await proc.communicate()
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise
        assert proc.returncode is not None
        return subprocess.CompletedProcess(command, proc.returncode, out.decode(), err.decode())

    async def init(self) -> subprocess.CompletedProcess[str]:
        return await self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"
        )

    async def start(self) -> None:
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off"
        done = await self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.base / "log"), "-w", "-t", "30", "-o", options, "start"
        )
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {done.stdout}{done.stderr}\n{self.log()}")
        self.running = True

    async def stop(self, mode: str = "fast") -> None:
        done = await self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl stop failed: {done.stdout}{done.stderr}")
        self.running = False

    def log(self) -> str:
        path = self.base / "log"
        return path.read_text(errors="replace") if path.exists() else ""

    async def destroy(self) -> None:
        try:
            if self.running or (self.data / "postmaster.pid").exists():
                await self.stop("immediate")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
