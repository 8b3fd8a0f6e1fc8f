"""Fixtures for the whole suite.

Storage: every test that asks for `hub_settings` (directly or through `hub_app`, `hub_client`,
`admin`, `hub_process`, `run_cli` ...) runs twice, on SQLite (a file in tmp_path) and on
PostgreSQL (a fresh schema in database `test` at 127.0.0.1:5432, dropped afterwards). The
PostgreSQL cases skip, saying so, only when no server answers on that port.

    hub_settings        Settings on a fresh, migrated database; public_url http://hub.test
                        (tune per test: @pytest.mark.hub_settings(required_endpoints=("locations",)))
    hub_app             the Starlette app of hub.app.create_app with its lifespan running
    hub_client          httpx.AsyncClient on hub_app through ASGITransport, base_url http://hub.test
    hub_mounts          {"http://hub.test": ASGITransport(hub_app)}: lets a FakePlatform reach hub_app
    admin               PlatformAdmin on the same database (add platforms, get token A)
    db                  an async_sessionmaker on the same database (read rows in assertions)
    start_fake          await start_fake([("CPO","NL","CPA")], **FakePlatform kwargs) -> served FakePlatform
    connect_fake        await connect_fake([("EMSP","DE","EMS")]) -> FakePlatform registered with hub_app
    register_hub_at     await register_hub_at(fake) -> platform id: hub_app registers AT the fake
    hub_env             environment for `python -m hub` on the same database, HUB_PUBLIC_URL = hub_port
    run_cli / arun_cli  run_cli("platforms", "list", "--json") -> CompletedProcess (arun_cli: awaitable)
    hub_process         the hub as a real process (`python -m hub serve`) on hub_port; yields its base URL
    start_hub           await start_hub(extra_env={...}) -> HubProcess (pid, url, logs()) for custom runs

Plain helpers: tests.helpers (auth_header, HUB_URL, HUB_VERSIONS_URL, running_app, serves),
tests.fakes.serving.serve_asgi (any ASGI app on a loopback port), tests.fakes.party.FakePlatform.

    capture_hub_logs    list of structlog event dicts logged during the test (in-process hub included)

Logs: create_app() configures structlog for the whole process; running_app() then turns logger
caching off so capture_hub_logs works in every test. Rendered output (what an operator reads) is
best checked on a hub process: `(await start_hub()).logs()`.
"""

from __future__ import annotations

import asyncio
import functools
import os
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import structlog
from starlette.applications import Starlette

from hub.db.db import SessionFactory, create_engine, session_factory
from hub.db.migrate import upgrade
from hub.registration.platforms import PlatformAdmin, parse_role
from hub.settings import Settings
from hub.token_vault import TokenVault
from tests.fakes.party import FakePlatform
from tests.fakes.serving import free_port, serve_asgi
from tests.helpers import (
    HUB_URL,
    HUB_VERSIONS_URL,
    TEST_SECRET,
    HubProcess,
    auth_header,
    cli_env,
    run_cli_async,
    run_cli_sync,
    running_app,
    start_hub_process,
    stop_process,
)

__all__ = ["auth_header", "serve_asgi"]

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_URL = f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/test"
PG_DSN = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/test"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "hub_settings(**overrides): Settings values for this test's hub")


@functools.cache
def postgres_reachable() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1.0):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _no_hub_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read HUB_* variables: a developer's shell must not leak into the tests."""
    for name in list(os.environ):
        if name.startswith("HUB_"):
            monkeypatch.delenv(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], ids=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and not postgres_reachable():
        pytest.skip(f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT}; start it (e.g. .ci/run) to run these cases")
    return str(request.param)


@pytest.fixture
async def hub_settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Settings]:
    marker = request.node.get_closest_marker("hub_settings")
    overrides: dict[str, Any] = dict(marker.kwargs) if marker else {}
    values: dict[str, Any] = {
        "public_url": HUB_URL,
        "secret_key": TEST_SECRET,
        "registry_poll_seconds": 0.2,
        "log_level": "INFO",
        "outbound_allow_loopback": True,  # fake parties listen on 127.0.0.1 (development policy)
    }
    schema = None
    if backend == "sqlite":
        values["database_url"] = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    else:
        schema = f"test_{uuid.uuid4().hex[:16]}"
        values |= {"database_url": PG_URL, "database_schema": schema}
    settings = Settings(**(values | overrides))
    threads_before = set(threading.enumerate())
    try:
        await upgrade(settings)
        yield settings
    finally:
        await _settle_sqlite_threads(threads_before)
        if schema is not None:
            connection = await asyncpg.connect(PG_DSN, timeout=10)
            try:
                await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE', timeout=30)
            finally:
                await connection.close(timeout=10)


async def _settle_sqlite_threads(before: set[threading.Thread], limit: float = 1.0) -> None:
    """Let aiosqlite worker threads of this test finish while the event loop still runs.

    A connection terminated by a cancelled task (e.g. a background poll cancelled at shutdown)
    is stopped without being awaited; its thread then reports to the loop, and fails with
    "Event loop is closed" in a later test if pytest-asyncio closed the loop first.
    """
    workers = [t for t in threading.enumerate() if t not in before and "_connection_worker" in t.name]
    deadline = time.monotonic() + limit
    while any(t.is_alive() for t in workers) and time.monotonic() < deadline:
        await asyncio.sleep(0.001)


@pytest.fixture
async def hub_app(hub_settings: Settings) -> AsyncIterator[Starlette]:
    async with running_app(hub_settings) as app:
        yield app


@pytest.fixture
async def hub_client(hub_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=hub_app), base_url=HUB_URL) as client:
        yield client


@pytest.fixture
def hub_mounts(hub_app: Starlette) -> dict[str, httpx.AsyncBaseTransport]:
    return {HUB_URL: httpx.ASGITransport(app=hub_app)}


@pytest.fixture
async def db(hub_settings: Settings) -> AsyncIterator[SessionFactory]:
    engine = create_engine(hub_settings)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def admin(hub_settings: Settings, db: SessionFactory) -> PlatformAdmin:
    return PlatformAdmin(settings=hub_settings, sessions=db, vault=TokenVault(hub_settings.secret_key))


StartFake = Callable[..., Awaitable[FakePlatform]]


@pytest.fixture
async def start_fake() -> AsyncIterator[StartFake]:
    """`await start_fake(roles, **kwargs)`: a FakePlatform served on loopback until the test ends."""
    serving: list[AbstractAsyncContextManager[str]] = []

    async def start(roles: list[tuple[str, str, str]] | None = None, **kwargs: Any) -> FakePlatform:
        fake = FakePlatform(roles or [("CPO", "NL", "CPA")], **kwargs)
        context = fake.serve()
        await context.__aenter__()
        serving.append(context)
        return fake

    try:
        yield start
    finally:  # stop them together: each uvicorn shutdown takes ~0.15 s
        results = await asyncio.gather(*(c.__aexit__(None, None, None) for c in serving), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise errors[0]


@pytest.fixture
def connect_fake(
    hub_app: Starlette, admin: PlatformAdmin, start_fake: StartFake, hub_mounts: dict[str, httpx.AsyncBaseTransport]
) -> StartFake:
    """`await connect_fake(roles, name=..., **kwargs)`: a served FakePlatform, declared with those
    roles and registered with hub_app (the fake is the handshake sender). `fake.platform_id` is set."""

    async def connect(
        roles: list[tuple[str, str, str]] | None = None, *, name: str | None = None, **kwargs: Any
    ) -> FakePlatform:
        roles = roles or [("CPO", "NL", "CPA")]
        fake = await start_fake(roles, mounts=hub_mounts, **kwargs)
        name = name or "-".join(f"{r}-{cc}-{pid}" for r, cc, pid in roles).lower()
        added = await admin.add(name=name, roles=[parse_role(":".join(r)) for r in roles])
        await fake.register_with_hub(HUB_VERSIONS_URL, added.token_a)
        fake.platform_id = added.platform.id
        return fake

    return connect


@pytest.fixture
def register_hub_at(hub_app: Starlette, admin: PlatformAdmin) -> Callable[..., Awaitable[int]]:
    """`await register_hub_at(fake, name=...)`: declare the fake's roles, let hub_app register AT the
    fake with a token A the fake issued (the hub is the handshake sender); returns the platform id.
    The fake must reach hub_app: start it with `mounts=hub_mounts`."""

    async def register(fake: FakePlatform, *, name: str | None = None) -> int:
        name = name or "-".join(f"{r}-{cc}-{pid}" for r, cc, pid in fake.roles).lower()
        added = await admin.add(name=name, roles=[parse_role(":".join(r)) for r in fake.roles])
        assert added.platform.id is not None
        await hub_app.state.hub.registrar.register_with(
            platform_id=added.platform.id, versions_url=fake.versions_url, token_a=fake.issue_token_a()
        )
        fake.platform_id = added.platform.id
        return added.platform.id

    return register


@pytest.fixture
def hub_port() -> int:
    return free_port()


@pytest.fixture
def hub_env(hub_settings: Settings, hub_port: int) -> dict[str, str]:
    return cli_env(hub_settings, public_url=f"http://127.0.0.1:{hub_port}")


@pytest.fixture
def run_cli(hub_env: dict[str, str], tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`run_cli("platforms", "add", ...)`: blocks; use `arun_cli` while fakes are served in the loop."""

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return run_cli_sync(args, env=hub_env | (env or {}), cwd=tmp_path)

    return run


@pytest.fixture
def arun_cli(hub_env: dict[str, str], tmp_path: Path) -> Callable[..., Awaitable[subprocess.CompletedProcess[str]]]:
    async def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return await run_cli_async(args, env=hub_env | (env or {}), cwd=tmp_path)

    return run


@pytest.fixture
async def start_hub(hub_env: dict[str, str], hub_port: int, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """`await start_hub(extra_env=None)`: the hub as a process on hub_port; stopped by PID at teardown."""
    started: list[HubProcess] = []

    async def start(extra_env: dict[str, str] | None = None) -> HubProcess:
        process = await start_hub_process(port=hub_port, env=hub_env | (extra_env or {}), cwd=tmp_path)
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in reversed(started):
            await stop_process(process.pid, process.popen.poll)


@pytest.fixture
async def hub_process(start_hub: Callable[..., Awaitable[HubProcess]]) -> AsyncIterator[str]:
    process = await start_hub()
    yield process.url


@pytest.fixture
def capture_hub_logs(request: pytest.FixtureRequest) -> Iterator[list[dict[str, Any]]]:
    """The structlog events (dicts) logged in this process during the test, e.g. by hub_app."""
    if "hub_app" in request.fixturenames:
        # create_app() replaces structlog's processors: start capturing after it, whatever the
        # order in which the test asks for its fixtures.
        request.getfixturevalue("hub_app")
    with structlog.testing.capture_logs() as events:
        yield events
