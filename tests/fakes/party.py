"""A fake OCPI 2.2.1 platform (CPO, eMSP or both) as a real Starlette app.

    fake = FakePlatform([("CPO", "NL", "CPA")])
    async with fake.serve():                       # real uvicorn on 127.0.0.1:<free port>
        await fake.register_with_hub(hub_versions_url, token_a)   # fake is the handshake sender
        # ...or let the hub register at the fake: token_a = fake.issue_token_a()
        fake.requests                              # every request received, in order

What it does:
- versions and version details; the endpoints it announces follow its roles (`ocpi.ROLE_ENDPOINTS`);
- credentials as the server (the hub registers at it: token A -> GET hub with token B -> token C,
  405 when appropriate) and as the client (`register_with_hub`, `update_at_hub`, `unregister_at_hub`);
- checks the Authorization of every request against the token it expects (strict Base64, or raw
  when built with `token_encoding="raw"`), 401 otherwise; records every request first;
- functional modules with an in-memory store (`tests.fakes.modules`): see that module's docstring;
- `trailing_slash=True` plays a platform whose web framework serves each collection at a URL ending
  in `/`: the module endpoints it announces end in `/` (`.../sender/locations/`; credentials keeps
  its bare URL), a request to the bare collection URL (`.../sender/locations`) is answered
  `307 Temporary Redirect` to the slashed one (before authentication, as a router does), object
  URLs below it (`.../sender/locations/LOC1`) work as usual, and a path with an empty segment
  (`.../locations//LOC1`) is 404 (a strict router: a client must join with exactly one `/`).

Tokens, named for the handshake the fake took part in (`direction`):
- fake registered with the hub (`direction == "sender"`): it made `token_b`, got `token_c`;
- the hub registered at the fake (`direction == "receiver"`): it issued `token_a`, got `token_b`
  from the hub and made `token_c`.
`inbound_token` is what the fake expects from the hub, `outbound_token` what it sends to the hub.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.tasks import TaskGroup
from tests.fakes import modules
from tests.fakes.ocpi import (
    ROLE_ENDPOINTS,
    RecordedRequest,
    SentCallback,
    decode_token,
    dumps,
    encode_token,
    envelope,
    new_id,
    new_token,
    reply,
)
from tests.fakes.serving import serve_asgi

__all__ = ["FakePlatform", "RecordedRequest", "RegistrationError", "SentCallback"]

Failure = Literal["500", "html", "not_envelope", "slow"] | None  # "slow": a valid answer after slow_seconds
Hook = Callable[[RecordedRequest], Awaitable[Response | None]]
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


class RegistrationError(Exception):
    """The hub did not accept the fake's credentials POST/PUT."""

    def __init__(self, status: int, reply: Any) -> None:
        super().__init__(f"HTTP {status}: {reply}")
        self.status = status
        self.reply = reply


@dataclass
class FakePlatform:
    """See the module docstring. Every field is a constructor argument; roles as (ROLE, CC, PID)."""

    roles: list[tuple[str, str, str]] = field(default_factory=lambda: [("CPO", "NL", "CPA")])
    versions: tuple[str, ...] = ("2.2.1",)
    name: str = "Fake platform"
    token_encoding: str = "base64"
    # httpx mounts for reaching an in-process hub, e.g. {"http://hub.test": ASGITransport(app)}
    mounts: Mapping[str, httpx.AsyncBaseTransport] | None = None
    versions_failure: Failure = None
    details_failure: Failure = None
    credentials_failure: Failure = None  # the fake's answer to the hub's credentials POST
    omit_endpoints: Iterable[str] = ()  # "module" or "module:ROLE"
    extra_endpoints: Iterable[str] = ()  # "module:ROLE" announced on top of what the roles implement
    page_limit: int = 50
    slow_seconds: float = 2.0
    command_response: str = "ACCEPTED"
    command_result: str = "ACCEPTED"
    callback_delay: float = 0.05
    # For functional module requests, after authentication: return a Response to answer
    # instead of the fake's logic (None: the fake answers). Configuration requests use the flags.
    on_request: Hook | None = None
    # served under this path (e.g. "/cpo-api"): its URLs differ from the hub's, so a hub that copied
    # its own paths instead of using the announced endpoints would miss
    url_prefix: str = ""
    # announce module endpoints with a trailing `/` and redirect the bare URLs (module docstring)
    trailing_slash: bool = False

    def __post_init__(self) -> None:
        self.roles = [(r.upper(), cc.upper(), pid.upper()) for r, cc, pid in self.roles]
        self.url_prefix = "/" + self.url_prefix.strip("/") if self.url_prefix.strip("/") else ""
        self.omit_endpoints = tuple(self.omit_endpoints)
        self.extra_endpoints = tuple(self.extra_endpoints)
        self.base_url: str | None = None
        self.platform_id: int | None = None  # the hub's id for this platform, set by the test fixtures
        self.requests: list[RecordedRequest] = []
        self.token_a: str | None = None
        self.token_b: str | None = None
        self.token_c: str | None = None
        self.direction: Literal["sender", "receiver"] | None = None
        self.hub_credentials: dict[str, Any] | None = None
        self.hub_endpoints: dict[tuple[str, str], str] = {}
        self.store: dict[str, dict[tuple[str, ...], Any]] = {}  # RECEIVER side: module -> URL key -> object
        self.objects: dict[str, list[dict[str, Any]]] = {}  # SENDER side: module -> own objects
        self.results: list[RecordedRequest] = []  # results received on commands/chargingprofiles SENDER
        self.callbacks: list[SentCallback] = []  # results the fake sent to response_urls
        self._client: httpx.AsyncClient | None = None
        self._tasks = TaskGroup()
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=_METHODS)])

    # --- addresses ------------------------------------------------------------------------

    @property
    def versions_url(self) -> str:
        return f"{self._base()}/ocpi/versions"

    def version_url(self, version: str = "2.2.1") -> str:
        return f"{self._base()}/ocpi/{version}"

    def endpoint_url(self, module: str, role: str, version: str = "2.2.1") -> str:
        return f"{self._base()}/ocpi/{version}/{role.lower()}/{module}"

    def collection_url(self, module: str, role: str, version: str = "2.2.1") -> str:
        """The URL the fake announces for a module endpoint (and serves its collection at):
        `endpoint_url`, plus a trailing `/` when built with `trailing_slash=True`."""
        return self.endpoint_url(module, role, version) + ("/" if self.trailing_slash else "")

    def _base(self) -> str:
        if self.base_url is None:
            raise RuntimeError("serve the fake first (async with fake.serve(): ...)")
        return self.base_url + self.url_prefix

    def local_path(self, path: str) -> str:
        """A request path without the fake's `url_prefix` (unchanged when there is none)."""
        if self.url_prefix and (path == self.url_prefix or path.startswith(self.url_prefix + "/")):
            return path[len(self.url_prefix) :] or "/"
        return path

    @property
    def parties(self) -> list[tuple[str, str]]:
        return [(cc, pid) for _, cc, pid in self.roles]

    def endpoints(self, version: str = "2.2.1") -> list[dict[str, str]]:
        """The version details endpoints: credentials plus what the roles implement, minus omissions."""
        found: list[tuple[str, str]] = [("credentials", "SENDER")]
        for role, _, _ in self.roles:
            found += [e for e in ROLE_ENDPOINTS.get(role, ()) if e not in found]
        for extra in self.extra_endpoints:
            module, _, role = extra.partition(":")
            if (module, role.upper()) not in found:
                found.append((module, role.upper()))
        kept = [(m, r) for m, r in found if m not in self.omit_endpoints and f"{m}:{r}" not in self.omit_endpoints]
        out = []
        for module, role in kept:
            url = f"{self.version_url(version)}/credentials" if module == "credentials" else None
            entry = {"identifier": module, "url": url or self.collection_url(module, role, version)}
            if version != "2.1.1":
                entry["role"] = role
            out.append(entry)
        return out

    def announces(self, module: str, role: str) -> bool:
        return any(e["identifier"] == module and e.get("role") == role for e in self.endpoints())

    def credentials(self, token: str) -> dict[str, Any]:
        """The fake's Credentials object."""
        roles = [
            {"role": r, "business_details": {"name": self.name}, "party_id": pid, "country_code": cc}
            for r, cc, pid in self.roles
        ]
        return {"token": token, "url": self.versions_url, "roles": roles}

    # --- tokens ---------------------------------------------------------------------------

    def issue_token_a(self) -> str:
        """A token A for the hub to register at this fake with (out of band, like a real operator)."""
        self.token_a = new_token()
        return self.token_a

    @property
    def inbound_token(self) -> str | None:
        return self.token_b if self.direction == "sender" else self.token_c if self.direction else None

    @property
    def outbound_token(self) -> str | None:
        return self.token_c if self.direction == "sender" else self.token_b if self.direction else None

    def received(
        self, *, module: str | None = None, method: str | None = None, path_prefix: str | None = None
    ) -> list[RecordedRequest]:
        """Recorded requests, filtered: `module` matches `/ocpi/{version}/{role}/{module}[/...]`."""
        found = self.requests
        if module is not None:
            found = [r for r in found if (self.local_path(r.path).split("/") + [""] * 5)[4] == module]
        if method is not None:
            found = [r for r in found if r.method == method]
        if path_prefix is not None:
            found = [r for r in found if r.path.startswith(path_prefix)]
        return found

    @property
    def handshake_requests(self) -> list[RecordedRequest]:
        """Requests to versions, version details and credentials (not e.g. hubclientinfo pushes)."""
        parts = [(r, [p for p in self.local_path(r.path).split("/") if p]) for r in self.requests]
        return [r for r, p in parts if len(p) == 2 or (len(p) == 3 and p[2] == "credentials")]

    def hub_url(self, module: str, role: str) -> str:
        """The URL the hub announced for (module, role) in its version details."""
        return self.hub_endpoints[(module, role.upper())]

    # --- serving --------------------------------------------------------------------------

    @asynccontextmanager
    async def serve(self, *, port: int | None = None) -> AsyncIterator[str]:
        """Serve on a free loopback port (or `port`, e.g. to come back where the hub knows the
        fake after a stop); yields the base URL. Background work stops at exit."""
        async with serve_asgi(self.app, port=port) as url:
            self.base_url = url
            try:
                yield url
            finally:
                await self.aclose()

    async def aclose(self) -> None:
        await self._tasks.aclose()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @property
    def client(self) -> httpx.AsyncClient:
        """The fake's outbound HTTP client (loopback, or an in-process hub through `mounts`)."""
        if self._client is None:
            self._client = httpx.AsyncClient(mounts=dict(self.mounts or {}), timeout=10.0)
        return self._client

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> None:
        """Poll until `predicate()` is truthy (e.g. a callback was sent); TimeoutError otherwise."""
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.01)

    def spawn(self, coro: Awaitable[Any], *, name: str) -> None:
        self._tasks.spawn(_run(coro), name=name)

    def add_object(self, module: str, obj: dict[str, Any]) -> dict[str, Any]:
        """An object this platform owns and serves on its SENDER interface (fills owner, last_updated)."""
        return modules.add_object(self, module, obj)

    # --- the fake as client of the hub ----------------------------------------------------

    async def request_hub(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        params: Mapping[str, str] | None = None,
        to: tuple[str, str] | None = None,
        from_: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        """One request to the hub with the fake's token (or `token`), fresh X-Request-ID and
        X-Correlation-ID, and routing headers when `to` is given (`from_` defaults to the first party)."""
        sent = {"X-Request-ID": new_id(), "X-Correlation-ID": new_id()}
        presented = token or self.outbound_token
        if presented is not None:
            sent["Authorization"] = encode_token(presented, self.token_encoding)
        if to is not None:
            from_ = from_ or self.parties[0]
            sent |= {"OCPI-to-country-code": to[0], "OCPI-to-party-id": to[1]}
            sent |= {"OCPI-from-country-code": from_[0], "OCPI-from-party-id": from_[1]}
        sent |= dict(headers or {})
        if json is not None:
            content = dumps(json)
            sent.setdefault("Content-Type", "application/json")
        return await self.client.request(method, url, content=content, params=params, headers=sent)

    async def _data(self, url: str, token: str) -> Any:
        reply = await self.request_hub("GET", url, token=token)
        body = reply.json()
        if reply.status_code != 200 or body.get("status_code") != 1000:
            raise RegistrationError(reply.status_code, body)
        return body.get("data")

    async def _discover_hub(self, versions_url: str, token: str) -> str:
        """GET the hub's versions and 2.2.1 details with `token`; returns its credentials URL."""
        offered = {v["version"]: v["url"] for v in await self._data(versions_url, token)}
        if "2.2.1" not in offered:
            raise RegistrationError(200, {"status_message": f"hub offers {sorted(offered)}"})
        details = await self._data(offered["2.2.1"], token)
        self.hub_endpoints = {(e["identifier"], e.get("role", "")): e["url"] for e in details["endpoints"]}
        return next(e["url"] for e in details["endpoints"] if e["identifier"] == "credentials")

    async def register_with_hub(self, versions_url: str, token_a: str) -> dict[str, Any]:
        """The sender side of the handshake (credentials.asciidoc 17-45); returns the hub's credentials."""
        credentials_url = await self._discover_hub(versions_url, token_a)
        self.direction, self.token_b, self.token_c = "sender", new_token(), None
        reply = await self.request_hub("POST", credentials_url, json=self.credentials(self.token_b), token=token_a)
        return self._accept_hub_credentials(reply)

    async def update_at_hub(self) -> dict[str, Any]:
        """PUT new credentials (new token B) with the current token C; stores the new token C."""
        assert self.direction == "sender" and self.token_c, "register_with_hub first"
        credentials_url = await self._discover_hub(self.hub_credentials_versions_url, self.token_c)
        old_c, self.token_b = self.token_c, new_token()
        reply = await self.request_hub("PUT", credentials_url, json=self.credentials(self.token_b), token=old_c)
        return self._accept_hub_credentials(reply)

    async def unregister_at_hub(self) -> httpx.Response:
        """DELETE at the hub's credentials endpoint with the current token; the fake keeps its tokens."""
        return await self.request_hub("DELETE", self.hub_url("credentials", "SENDER"))

    @property
    def hub_credentials_versions_url(self) -> str:
        assert self.hub_credentials is not None
        url: str = self.hub_credentials["url"]
        return url

    def _accept_hub_credentials(self, reply: httpx.Response) -> dict[str, Any]:
        body = reply.json()
        if reply.status_code != 200 or body.get("status_code") != 1000:
            raise RegistrationError(reply.status_code, body)
        self.hub_credentials = body["data"]
        self.token_c = body["data"]["token"]
        return self.hub_credentials

    # --- incoming requests ----------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        recorded = RecordedRequest(
            method=request.method,
            path=request.url.path,
            query=request.url.query,
            headers=dict(request.headers.items()),
            body=await request.body(),
            raw_path=request.scope.get("raw_path", b"").decode("latin-1") or None,
        )
        self.requests.append(recorded)
        parts = [p for p in self.local_path(recorded.path).split("/") if p]
        ids = _echo_ids(recorded)
        if self.url_prefix and self.local_path(recorded.path) == recorded.path:
            parts = []  # outside the prefix: not found
        if parts[:1] != ["ocpi"] or len(parts) < 2:
            return reply(envelope(status_code=2000, status_message="Not found"), 404, ids)
        if self.trailing_slash and (routed := self._slash_route(recorded, parts, ids)) is not None:
            return routed
        configuration = parts[1] == "versions" or len(parts) == 2 or parts[2:3] == ["credentials"]
        presented = decode_token(recorded.authorization, self.token_encoding)
        accepted = {self.inbound_token} | ({self.token_a} if configuration else set())
        if presented is None or presented not in accepted - {None}:
            return reply(envelope(status_code=2000, status_message="Unauthorized"), 401, ids)
        if parts[1] == "versions" and len(parts) == 2:
            return await self._versions(ids)
        if parts[1] not in self.versions:
            return reply(envelope(status_code=2000, status_message="Unknown version"), 404, ids)
        if len(parts) == 2:
            return await self._details(parts[1], ids)
        if parts[2] == "credentials" and len(parts) == 3:
            return await self._credentials(recorded, presented, ids)
        if len(parts) >= 4 and parts[2] in ("sender", "receiver") and self.announces(parts[3], parts[2].upper()):
            if self.on_request is not None and (override := await self.on_request(recorded)) is not None:
                return override
            return await modules.handle(self, recorded, parts[3], parts[2].upper(), parts[4:])
        return reply(envelope(status_code=2000, status_message="Not found"), 404, ids)

    def _slash_route(self, recorded: RecordedRequest, parts: list[str], ids: dict[str, str]) -> Response | None:
        """`trailing_slash` routing: 307 from a bare collection URL to the slashed one, 404 for a
        path with an empty segment; None when the request goes on to the usual handling."""
        local = self.local_path(recorded.path)
        if "//" in local.rstrip("/"):
            return reply(envelope(status_code=2000, status_message="Not found"), 404, ids)
        bare = len(parts) == 4 and parts[2] in ("sender", "receiver") and not local.endswith("/")
        if bare and parts[1] in self.versions and self.announces(parts[3], parts[2].upper()):
            location = self.collection_url(parts[3], parts[2], parts[1])
            location += f"?{recorded.query}" if recorded.query else ""
            return Response(status_code=307, headers={**ids, "Location": location})
        return None

    async def _versions(self, ids: dict[str, str]) -> Response:
        if self.versions_failure and (failed := await self._fail(self.versions_failure, ids)):
            return failed
        return reply(envelope([{"version": v, "url": self.version_url(v)} for v in self.versions]), 200, ids)

    async def _details(self, version: str, ids: dict[str, str]) -> Response:
        if self.details_failure and (failed := await self._fail(self.details_failure, ids)):
            return failed
        return reply(envelope({"version": version, "endpoints": self.endpoints(version)}), 200, ids)

    async def _fail(self, kind: str, ids: dict[str, str]) -> Response | None:
        """The failure answer, or None after sleeping `slow_seconds` for "slow" (then answer normally)."""
        if kind == "slow":
            await asyncio.sleep(self.slow_seconds)
            return None
        if kind == "html":
            return Response("<html><body>Bad gateway</body></html>", 502, ids, media_type="text/html")
        if kind == "not_envelope":
            return reply(["not", "an", "envelope"], 200, ids)
        return reply(envelope(status_code=3000, status_message="Internal error"), 500, ids)

    async def _credentials(self, recorded: RecordedRequest, presented: str, ids: dict[str, str]) -> Response:
        registered = presented == self.inbound_token
        if recorded.method == "GET":
            return reply(envelope(self.credentials(presented)), 200, ids)
        if recorded.method == "DELETE":
            if not registered:
                return reply(envelope(status_code=2000, status_message="Not registered"), 405, ids)
            self.direction = self.token_b = self.token_c = None
            return reply(envelope(), 200, ids)
        if recorded.method not in ("POST", "PUT") or registered != (recorded.method == "PUT"):
            message = "Already registered" if registered else "Not registered"
            return reply(envelope(status_code=2000, status_message=message), 405, ids)
        if self.credentials_failure and (failed := await self._fail(self.credentials_failure, ids)):
            return failed
        offered = recorded.json or {}
        try:
            await self._discover_hub(offered["url"], offered["token"])
        except (RegistrationError, httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
            message = f"Unable to use your API: {type(exc).__name__}"
            return reply(envelope(status_code=3001, status_message=message), 200, ids)
        self.direction, self.token_a = "receiver", None
        self.token_b, self.token_c, self.hub_credentials = offered["token"], new_token(), offered
        return reply(envelope(self.credentials(self.token_c)), 200, ids)


def _echo_ids(recorded: RecordedRequest) -> dict[str, str]:
    return {
        "X-Request-ID": recorded.header("x-request-id") or new_id(),
        "X-Correlation-ID": recorded.header("x-correlation-id") or new_id(),
    }


async def _run(coro: Awaitable[Any]) -> None:
    await coro
