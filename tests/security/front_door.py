"""A hostile connected party at the hub's front door: shared setup and checks of tests.security
(and tests/flows/test_sender_identity.py).

`open_door(connect_fake, hub_app)` serves the in-process hub on a real loopback socket and connects
three fake platforms through the credentials handshake:

    CPO  NL*AAA   the usual attacker of the issue (pushes to the eMSP, reads from it)
    EMSP BE*EMS   the other party of every routed request
    CPO  DE*BBB   the victim: a real, connected party whose name the attacker borrows
    OTHER FR*AUD  an auditor that sends nothing but GET All from the hub's store (as FR*AUD for
    CPO  FR*AUC   CPO objects, as FR*AUC for tokens) and announces no functional endpoint, so no
                  attack can reach it: one that got through may have unregistered the hub at the
                  others (a broadcast DELETE climbing to their credentials endpoint does that)

`Door.send` sends one request with a raw request target (httpx would resolve `..` and re-encode
what it is given; the target is handed to the wire as is through httpcore's "target" extension),
with the sender's own token and a unique X-Correlation-ID. The hub keeps the correlation id on
what it forwards and broadcasts (transport_and_format, "Correlation"), so whatever a fake
receives is traced back to the request that caused it, even when requests run concurrently.

`Door.audit` then checks every request the fakes recorded: it must be inside an endpoint the fake
registered (path prefix of an announced URL, or its versions / version details URL), carry no dot
segment once decoded (once or twice: a receiver's framework may decode again), and any object in
it (path `{country_code}/{party_id}` of a Client Owned Object push, or the body's country_code and
party_id) must belong to the party that legitimately sent the request that caused it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
from starlette.applications import Starlette

from tests.fakes.ocpi import RecordedRequest, dumps, encode_token, new_id
from tests.fakes.party import FakePlatform
from tests.fakes.serving import serve_asgi

__all__ = [
    "CPO",
    "EMSP",
    "FUNCTIONAL",
    "HUB",
    "METHODS",
    "AUDITOR",
    "VICTIM",
    "Door",
    "Sent",
    "body_for",
    "envelope_of",
    "open_door",
]

CPO = ("NL", "AAA")
EMSP = ("BE", "EMS")
VICTIM = ("DE", "BBB")
AUDITOR = ("FR", "AUD")
AUDITOR_CPO = ("FR", "AUC")
HUB = ("NL", "HUB")  # hub_settings: country_code NL, party_id HUB
FUNCTIONAL = ("locations", "sessions", "cdrs", "tariffs", "tokens", "commands", "chargingprofiles")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
V = "/ocpi/2.2.1"
STAMP = "2026-01-01T00:00:00Z"
CLIENT_OWNED = ("locations", "sessions", "tariffs", "tokens")
# body_for's response_url: Door.send puts a URL at the sender's own origin there (the hub refuses a
# response_url that is not under an endpoint the sender registered: hub.egress.origins)
OWN_RESPONSE_URL = "http://own-response-url.invalid/cb"

Connect = Callable[..., Awaitable[FakePlatform]]


def body_for(module: str, owner: tuple[str, str], object_id: str = "X1") -> dict[str, Any]:
    """A small body for a push of `module`, owned by `owner` (country_code and party_id)."""
    cc, pid = owner
    if module == "commands":
        return {"response_url": OWN_RESPONSE_URL, "location_id": "LOC1", "token": {"uid": "TOK1"}}
    if module == "chargingprofiles":
        return {"response_url": OWN_RESPONSE_URL, "charging_profile": {"charging_rate_unit": "W"}}
    key = "uid" if module == "tokens" else "id"
    base: dict[str, Any] = {"country_code": cc, "party_id": pid, key: object_id, "last_updated": STAMP}
    if module == "tokens":
        base |= {"type": "RFID", "contract_id": f"{cc}-{pid}-C1", "issuer": "x", "valid": True, "whitelist": "ALLOWED"}
    return base


def envelope_of(response: httpx.Response) -> dict[str, Any] | None:
    """The OCPI envelope of a reply, or None when the body is not one."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("status_code"), int) or "timestamp" not in body:
        return None
    return body


@dataclass
class Sent:
    """One request the test sent to the hub, and what it got back."""

    label: str
    sender: tuple[str, str]
    method: str
    target: str
    correlation_id: str
    response: httpx.Response | None = None
    error: str | None = None  # the transport error, when the request could not be sent or read

    def describe(self) -> str:
        return f"[{self.label}] {self.method} {self.target}"


@dataclass
class Door:
    url: str
    client: httpx.AsyncClient
    cpo: FakePlatform
    emsp: FakePlatform
    victim: FakePlatform
    auditor: FakePlatform
    sent: list[Sent] = field(default_factory=list)

    @property
    def fakes(self) -> tuple[FakePlatform, ...]:
        return (self.cpo, self.emsp, self.victim, self.auditor)

    def fake_of(self, party: tuple[str, str]) -> FakePlatform:
        return next(f for f in self.fakes if party in f.parties)

    async def send(
        self,
        sender: FakePlatform,
        method: str,
        target: str,
        *,
        to: tuple[str, str] | None,
        from_: tuple[str, str] | None = None,
        body: Any = None,
        label: str = "",
        headers: Iterable[tuple[bytes, bytes]] = (),
        token: str | None = None,
    ) -> Sent:
        """`method target` (the raw request target: path and query, sent byte for byte) as `sender`.
        Routing headers: TO = `to` (none when None), FROM = `from_` or the sender's first party.
        `headers` are added as raw bytes after those (routing headers given there replace them)."""
        from_ = from_ or sender.parties[0]
        correlation = new_id()
        raw: dict[bytes, bytes] = {
            b"authorization": encode_token(token or str(sender.outbound_token)).encode(),
            b"x-request-id": new_id().encode(),
            b"x-correlation-id": correlation.encode(),
        }
        if to is not None:
            raw |= {b"ocpi-to-country-code": to[0].encode(), b"ocpi-to-party-id": to[1].encode()}
            raw |= {b"ocpi-from-country-code": from_[0].encode(), b"ocpi-from-party-id": from_[1].encode()}
        raw |= {name.lower(): value for name, value in headers}
        content = None
        if isinstance(body, dict) and body.get("response_url") == OWN_RESPONSE_URL:
            body = body | {"response_url": f"{sender.base_url}/ocpi/2.2.1/sender/commands/cb"}
        if body is not None:
            content = body if isinstance(body, bytes) else dumps(body)
            raw[b"content-type"] = b"application/json"
        request = self.client.build_request(method, self.url + "/", headers=list(raw.items()), content=content)
        request.extensions = {**request.extensions, "target": target.encode("ascii")}
        sent = Sent(label=label, sender=from_, method=method, target=target, correlation_id=correlation)
        try:
            sent.response = await self.client.send(request)
        except httpx.HTTPError as exc:
            sent.error = repr(exc)
        self.sent.append(sent)
        return sent

    def caused_by(self, sent: Sent) -> list[tuple[FakePlatform, RecordedRequest]]:
        """What the fakes received with this request's correlation id."""
        return [
            (fake, r)
            for fake in self.fakes
            for r in fake.requests
            if r.header("x-correlation-id") == sent.correlation_id
        ]

    async def drain(self, timeout: float = 10.0) -> str | None:
        """Wait until broadcasts accepted so far have been delivered: the CPO broadcasts one valid
        Location (a canary) and the eMSP receiving it shows the dispatcher's queue toward it is past
        everything sent before. Returns a problem (the canary not delivered) or None."""
        canary = f"CANARY{len(self.sent)}"
        sent = await self.send(
            self.cpo,
            "PUT",
            f"{V}/receiver/locations/{CPO[0]}/{CPO[1]}/{canary}",
            to=HUB,
            body=body_for("locations", CPO, canary),
            label="canary",
        )
        if sent.response is None or (envelope_of(sent.response) or {}).get("status_code") != 1000:
            return f"canary broadcast refused: {sent.response.text if sent.response else sent.error}"
        try:
            await self.emsp.wait_for(lambda: self.caused_by(sent), timeout=timeout)
        except TimeoutError:
            return f"canary broadcast not delivered to the eMSP within {timeout}s"
        return None

    async def stored(self, module: str) -> list[tuple[str, str, str]]:
        """(country_code, party_id, id) of what GET All from the hub's store returns for `module`,
        asked by the auditor (module docstring); a refused GET All is returned as ("?", "?", the answer)."""
        reader = AUDITOR_CPO if module == "tokens" else AUDITOR
        sent = await self.send(
            self.auditor, "GET", f"{V}/sender/{module}?limit=1000", to=HUB, from_=reader, label="store"
        )
        body = envelope_of(sent.response) if sent.response is not None else None
        if body is None or body["status_code"] != 1000:
            return [("?", "?", f"GET All refused: {sent.response.text if sent.response else sent.error}")]
        return [(o.get("country_code"), o.get("party_id"), o.get("id") or o.get("uid")) for o in body.get("data", [])]

    def audit(self, legit: Mapping[str, tuple[str, str]] | None = None) -> list[str]:
        """Problems in what the fakes recorded (see the module docstring). `legit` maps the
        correlation id of each request the test sent to the party that sent it; a recorded
        request that carries none of them (HubClientInfo, still-alive checks) is checked for its
        path only."""
        owners = legit if legit is not None else {s.correlation_id: s.sender for s in self.sent}
        problems: list[str] = []
        for fake in self.fakes:
            for recorded in fake.requests:
                problems += [f"audit {fake.parties[0]}: {p}" for p in _path_problems(fake, recorded)]
                sender = owners.get(recorded.header("x-correlation-id") or "")
                if sender is not None:
                    problems += [f"audit {fake.parties[0]}: {p}" for p in _owner_problems(fake, recorded, sender)]
        return problems


def _prefixes(fake: FakePlatform) -> tuple[list[str], list[str]]:
    """(endpoint path prefixes, exact configuration paths) the fake registered."""
    endpoints = [urlsplit(e["url"]).path for e in fake.endpoints()]
    exact = [urlsplit(fake.versions_url).path, urlsplit(fake.version_url()).path]
    return endpoints, exact


def _inside(path: str, prefixes: list[str], exact: list[str]) -> bool:
    if path in exact:
        return True
    for prefix in prefixes:
        bare = prefix.rstrip("/")
        if path == bare or path.startswith(bare + "/"):
            return True
    return False


def _path_problems(fake: FakePlatform, recorded: RecordedRequest) -> list[str]:
    prefixes, exact = _prefixes(fake)
    raw = recorded.raw_path or recorded.path
    problems = []
    if not _inside(raw, prefixes, exact) or not _inside(recorded.path, prefixes, exact):
        problems.append(f"{recorded.method} {raw} is outside every endpoint it registered")
    decoded_once = recorded.path.split("/")
    decoded_twice = [unquote(s) for s in decoded_once]
    if any(s in (".", "..") for s in decoded_once + decoded_twice) or any(
        "/.." in s or "\\" in s or "../" in s for s in decoded_twice
    ):
        problems.append(f"{recorded.method} {raw} has a dot segment or separator once decoded")
    return problems


def _owner_problems(fake: FakePlatform, recorded: RecordedRequest, sender: tuple[str, str]) -> list[str]:
    prefixes, _ = _prefixes(fake)
    problems = []
    for module in CLIENT_OWNED:
        for prefix in prefixes:
            if f"/receiver/{module}" not in prefix:
                continue
            bare = prefix.rstrip("/") + "/"
            if recorded.path.startswith(bare):
                parts = recorded.path[len(bare) :].split("/")
                if len(parts) >= 2 and (parts[0].upper(), parts[1].upper()) != sender:
                    problems.append(f"{recorded.method} {recorded.path}: path owner {parts[:2]} is not {sender}")
    try:
        body = json.loads(recorded.body) if recorded.body else None
    except ValueError:
        body = None
    if isinstance(body, dict) and ("country_code" in body or "party_id" in body):
        owner = (str(body.get("country_code", "")).upper(), str(body.get("party_id", "")).upper())
        if owner != sender:
            problems.append(f"{recorded.method} {recorded.path}: body owner {owner} is not {sender}")
    return problems


@asynccontextmanager
async def open_door(connect_fake: Connect, hub_app: Starlette, **fake_kwargs: Any) -> AsyncIterator[Door]:
    """The hub on a loopback socket, and the three connected fakes (module docstring)."""
    cpo = await connect_fake([("CPO", *CPO)], name="attacker-cpo", **fake_kwargs)
    emsp = await connect_fake([("EMSP", *EMSP)], name="emsp", **fake_kwargs)
    victim = await connect_fake([("CPO", *VICTIM)], name="victim-cpo", **fake_kwargs)
    auditor = await connect_fake(
        [("OTHER", *AUDITOR), ("CPO", *AUDITOR_CPO)], name="auditor", **fake_kwargs | {"omit_endpoints": FUNCTIONAL}
    )
    limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
    async with serve_asgi(hub_app, lifespan="off") as url, httpx.AsyncClient(timeout=15.0, limits=limits) as client:
        yield Door(url=url, client=client, cpo=cpo, emsp=emsp, victim=victim, auditor=auditor)


async def run_all(jobs: Iterable[Awaitable[Sent]], concurrency: int = 8) -> list[Sent]:
    """Run the sends `concurrency` at a time (correlation ids keep what they caused apart)."""
    gate = asyncio.Semaphore(concurrency)

    async def one(job: Awaitable[Sent]) -> Sent:
        async with gate:
            return await job

    return list(await asyncio.gather(*(one(j) for j in jobs)))


def first_lines(problems: list[str], limit: int = 40) -> str:
    """A readable failure message: a tally by kind (the first word of each problem), then the first
    problems of each kind."""
    kinds: dict[str, list[str]] = {}
    for problem in problems:
        kinds.setdefault(problem.split(" ", 1)[0], []).append(problem)
    tally = ", ".join(f"{kind}: {len(found)}" for kind, found in kinds.items())
    per_kind = max(limit // max(len(kinds), 1), 3)
    shown = "\n".join(line for found in kinds.values() for line in itertools.islice(found, per_kind))
    return f"{len(problems)} problem(s) ({tally}):\n{shown}"
