"""Shared pieces of the fault suite: parties registered with a hub process, steady routed
traffic with its latency, readiness and log reading, registry edits the hub process picks up.

Everything talks to the hub through its front door (HTTP on 127.0.0.1); the database is
touched only to point a platform's endpoints elsewhere, as an operator's edit would, and to
read outbox rows in assertions.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlmodel import col, select

from hub.db.db import SessionFactory, session_scope
from hub.db.models import Endpoint
from hub.db.repositories import RegistryRepository
from hub.registration.platforms import PlatformAdmin, parse_role
from tests.fakes.party import FakePlatform
from tests.faults.servers import RawServer
from tests.helpers import TEST_OPERATOR_TOKEN, HubProcess

__all__ = [
    "BAD_CALLER",
    "BAD_CPO",
    "HEALTHY_CPO",
    "HEALTHY_EMSP",
    "Cast",
    "Outcome",
    "StartRaw",
    "Steady",
    "Traffic",
    "assert_isolated",
    "assert_no_crash_logged",
    "bound_ms",
    "breaker_events",
    "connect",
    "location",
    "log_events",
    "make_cast",
    "point_endpoints",
    "ready",
    "wait_until",
]

StartRaw = Callable[..., Awaitable[RawServer]]
Steady = Callable[..., AbstractAsyncContextManager["Traffic"]]

HEALTHY_CPO = ("CPO", "NL", "CPA")
HEALTHY_EMSP = ("EMSP", "DE", "EMS")
BAD_CPO = ("CPO", "NL", "BAD")
BAD_CALLER = ("EMSP", "DE", "EMB")
STAMP = "2026-01-01T00:00:00Z"


def location(loc_id: str, owner: tuple[str, str] = ("NL", "CPA"), last_updated: str = STAMP) -> dict[str, Any]:
    """A valid OCPI 2.2.1 Location owned by `owner`."""
    return {
        "country_code": owner[0],
        "party_id": owner[1],
        "id": loc_id,
        "publish": True,
        "address": "Street 1",
        "city": "Town",
        "country": "NLD",
        "coordinates": {"latitude": "52.000000", "longitude": "4.000000"},
        "time_zone": "Europe/Amsterdam",
        "last_updated": last_updated,
    }


async def connect(
    hub: HubProcess,
    admin: PlatformAdmin,
    start_fake: Callable[..., Awaitable[FakePlatform]],
    *roles: tuple[str, str, str],
    **kwargs: Any,
) -> FakePlatform:
    """A served FakePlatform (`start_fake(roles, **kwargs)`, e.g. the `fakes.start` fixture),
    declared by the operator and registered with the hub process
    through the credentials handshake (the fake is the sender); `fake.platform_id` is set."""
    fake = await start_fake(list(roles), name="-".join(f"{r}{cc}{pid}" for r, cc, pid in roles), **kwargs)
    added = await admin.add(
        name="-".join(f"{r}-{cc}-{pid}" for r, cc, pid in roles).lower(),
        roles=[parse_role(":".join(r)) for r in roles],
    )
    await fake.register_with_hub(hub.versions_url, added.token_a)
    fake.platform_id = added.platform.id
    return fake


def _with_origin(url: str, origin: str) -> str:
    new, old = urlsplit(origin), urlsplit(url)
    return urlunsplit((new.scheme, new.netloc, old.path, old.query, old.fragment))


async def point_endpoints(
    db: SessionFactory, platform_id: int, origin: str, modules: Iterable[str] | None = None
) -> None:
    """Move a platform's endpoint URLs (all, or those of `modules`) to `origin`, keeping their
    paths, and bump the registry revision so running hub processes drop their caches."""
    wanted = set(modules) if modules is not None else None
    async with session_scope(db) as session:
        rows = (await session.exec(select(Endpoint).where(col(Endpoint.platform_id) == platform_id))).all()
        for row in rows:
            if wanted is None or row.module in wanted:
                row.url = _with_origin(row.url, origin)
                session.add(row)
        await RegistryRepository(session).bump_revision()


async def wait_until(predicate: Callable[[], Awaitable[bool]], *, timeout: float, what: str) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not await predicate():
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"not within {timeout}s: {what}") from None


OPERATOR = {"Authorization": f"Bearer {TEST_OPERATOR_TOKEN}"}  # health details are the operator's


async def ready(hub: HubProcess) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        reply = await client.get(f"{hub.url}/health/ready", headers=OPERATOR)
    return reply.status_code, reply.json()


def log_events(hub: HubProcess, event: str | None = None) -> list[dict[str, Any]]:
    """The hub's JSON log lines (start it with HUB_LOG_FORMAT=json), optionally one event."""
    found = []
    for line in hub.logs().splitlines():
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if event is None or record.get("event") == event:
            found.append(record)
    return found


def breaker_events(hub: HubProcess, origin: str) -> list[tuple[str, str]]:
    """(old, new) of every `breaker_state_changed` event of the breaker named `origin`."""
    return [(e["old"], e["new"]) for e in log_events(hub, "breaker_state_changed") if e.get("breaker") == origin]


@dataclass
class Outcome:
    """One request's result as the sender saw it."""

    http: int  # 0: no HTTP answer (transport error)
    ocpi: int | None
    message: str
    ms: float
    started: float  # time.monotonic() when sent

    @property
    def ok(self) -> bool:
        return 200 <= self.http < 300 and self.ocpi == 1000


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def bound_ms(baseline_p95: float) -> float:
    """The latency the healthy pair may reach under a fault: 3x its own baseline p95 + 20 ms."""
    return 3 * baseline_p95 + 20.0


@dataclass
class Traffic:
    """Outcomes of a stream of requests."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def p95(self) -> float:
        return _percentile([o.ms for o in self.outcomes], 0.95)

    def codes(self) -> list[tuple[int, int | None]]:
        return [(o.http, o.ocpi) for o in self.outcomes]

    async def one(self, send: Callable[[], Awaitable[httpx.Response]]) -> Outcome:
        started = time.monotonic()
        t0 = time.perf_counter()
        try:
            reply = await send()
        except httpx.HTTPError as exc:
            outcome = Outcome(0, None, type(exc).__name__, (time.perf_counter() - t0) * 1000, started)
        else:
            try:
                body = reply.json()
            except ValueError:
                body = {}
            code = body.get("status_code") if isinstance(body, dict) else None
            message = body.get("status_message", "") if isinstance(body, dict) else ""
            outcome = Outcome(reply.status_code, code, message or "", (time.perf_counter() - t0) * 1000, started)
        self.outcomes.append(outcome)
        return outcome

    async def run(
        self,
        send: Callable[[int], Awaitable[httpx.Response]],
        *,
        count: int,
        workers: int,
        gap: float,
        until: asyncio.Event | None = None,
    ) -> Traffic:
        """`count` requests (at most) from `workers` concurrent senders, each pausing `gap`
        seconds between its requests; stops early once `until` is set."""
        counter = iter(range(count))

        async def worker() -> None:
            for n in counter:
                if until is not None and until.is_set():
                    return
                await self.one(functools.partial(send, n))
                await asyncio.sleep(gap)

        await asyncio.gather(*(worker() for _ in range(workers)))
        return self


@dataclass
class Cast:
    """The parties of a fault test, registered with `hub`: a healthy CPO (NL/CPA) and eMSP
    (DE/EMS) exchanging routed traffic, a CPO that will go bad (NL/BAD) and the eMSP calling it
    (DE/EMB)."""

    hub: HubProcess
    cpo: FakePlatform
    emsp: FakePlatform
    bad: FakePlatform
    caller: FakePlatform
    accepted_puts: set[str] = field(default_factory=set)
    _seq: Iterator[int] = field(default_factory=itertools.count)

    def url(self, path: str) -> str:
        return f"{self.hub.url}/ocpi/2.2.1/{path}"

    async def healthy(self, n: int) -> httpx.Response:
        """Even n: the eMSP GETs LOC1 from the CPO; odd n: the CPO PUTs a new location to the eMSP
        (each with its own id; those answered 1000 are kept in `accepted_puts`)."""
        if n % 2 == 0:
            return await self.emsp.request_hub("GET", self.url("sender/locations/LOC1"), to=("NL", "CPA"))
        loc_id = f"L{next(self._seq)}"
        reply = await self.cpo.request_hub(
            "PUT", self.url(f"receiver/locations/NL/CPA/{loc_id}"), json=location(loc_id), to=("DE", "EMS")
        )
        if reply.status_code in (200, 201) and reply.json().get("status_code") == 1000:
            self.accepted_puts.add(loc_id)
        return reply

    async def to_bad(self, _n: int = 0) -> httpx.Response:
        return await self.caller.request_hub("GET", self.url("sender/locations/LOC1"), to=("NL", "BAD"))

    def lost_pushes(self) -> set[str]:
        """Routed PUTs of the healthy pair answered 1000 that the eMSP never received."""
        received = {key[-1] for key in self.emsp.store.get("locations", {})}
        return self.accepted_puts - received

    async def route_bad_to(self, db: SessionFactory, server: RawServer) -> None:
        """Point NL/BAD's locations endpoint at `server` (in "ok" mode) and wait until the hub
        process sends there."""
        assert self.bad.platform_id is not None
        before = server.requests
        await point_endpoints(db, self.bad.platform_id, server.origin, modules=["locations"])

        async def arrived() -> bool:
            await self.to_bad()
            return server.requests > before

        await wait_until(arrived, timeout=10, what="the hub process routes NL/BAD to the raw server")


async def make_cast(hub: HubProcess, admin: PlatformAdmin, start_fake: Callable[..., Awaitable[FakePlatform]]) -> Cast:
    """The four parties of a Cast, served and registered with `hub` (concurrently)."""
    cpo, emsp, bad, caller = await asyncio.gather(
        *(connect(hub, admin, start_fake, roles) for roles in (HEALTHY_CPO, HEALTHY_EMSP, BAD_CPO, BAD_CALLER))
    )
    cpo.add_object("locations", location("LOC1"))
    bad.add_object("locations", location("LOC1", owner=("NL", "BAD")))
    return Cast(hub, cpo, emsp, bad, caller)


def assert_isolated(name: str, cast: Cast, baseline: Traffic, under: Traffic) -> None:
    """The healthy pair had no error, before or during the fault, its p95 latency during the
    fault stayed within `bound_ms` of its baseline, and each of its pushes answered 1000 (in the
    whole test) arrived.
    Prints the figures (`pytest -s` shows them)."""
    print(
        f"\n[isolation] {name}: baseline p95 {baseline.p95():.1f} ms (n={len(baseline.outcomes)}), "
        f"under fault p95 {under.p95():.1f} ms (n={len(under.outcomes)}), bound {bound_ms(baseline.p95()):.1f} ms"
    )
    assert baseline.errors == [], baseline.errors[:3]
    assert under.errors == [], under.errors[:3]
    assert len(under.outcomes) >= 20, "the healthy pair must have been measured during the fault"
    assert under.p95() <= bound_ms(baseline.p95()), (under.p95(), baseline.p95())
    assert len(cast.accepted_puts) >= 10 and cast.lost_pushes() == set()
    assert_no_crash_logged(cast.hub)


def assert_no_crash_logged(hub: HubProcess) -> None:
    """No request ended in the hub's catch-all handler and no background task died."""
    assert log_events(hub, "unhandled_error") == [], log_events(hub, "unhandled_error")[:2]
    assert log_events(hub, "task_failed") == [], log_events(hub, "task_failed")[:2]
