"""The common part of every simulated OCPI platform: an ASGI app and an HTTP client.

A platform speaks one edition, `version` ("2.2.1" by default, "2.1.1" or "2.3.0"); `{v}` below.

Inbound (the app, `OcpiPlatform.__call__`):
- `GET /ocpi/versions`, `GET /ocpi/{v}` (version details: credentials plus every module
  interface the subclass handles), `GET|POST|PUT|DELETE /ocpi/{v}/credentials` (the hub may
  register at the simulator with a token A from `issue_token_a()`);
- 2.2.1 / 2.3.0: `/ocpi/{v}/{sender|receiver}/{module}/...` to the subclass's handler for
  (module, interface); 2.1.1: `/ocpi/2.1.1/{module}/...` to the handler of the interface the
  party's role implies (version details list one URL per module, without a role);
- every request needs `Authorization: Token <base64>` (2.1.1: `Token <raw token>`) with the token
  the hub was given (token A is accepted only by the configuration modules), 401 otherwise;
- every reply is an OCPI envelope echoing X-Request-ID and X-Correlation-ID, with OCPI-from =
  the simulated party and OCPI-to = the requester (2.1.1: no routing headers; they are ignored
  in requests); fault modes (`simulators.faults`) apply first.

Outbound (`register`, `send`, `post_url`): requests to the hub with the credentials token, a new
X-Request-ID, an X-Correlation-ID and OCPI-from/to headers (2.1.1: the raw token and none of
these headers). Every exchange either way is reported to `observer` and counted (`sent`,
`failed`), so background traffic does not fail silently.

Credentials: 2.2.1 / 2.3.0 `{token, url, roles}`, 2.1.1 `{token, url, business_details, party_id,
country_code}` (one party). The hub's own party is learned from its credentials: the HUB role
(2.2.1), `hub_party_id` (2.3.0), the top-level country_code/party_id (2.1.1).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import structlog
from starlette.datastructures import Headers, QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from hub.errors import (
    AuthError,
    ClientApiError,
    InvalidParameters,
    MethodNotAllowed,
    NotFound,
    OcpiError,
    ServerError,
    UnsupportedVersion,
)
from hub.ocpi.envelope import envelope_bytes, parse_envelope
from hub.ocpi.headers import authorization_header, new_message_id, token_candidates
from hub.ocpi.request import parse_routing
from hub.tasks import TaskGroup
from hub.types import InterfaceRole, PartyKey, Role, TokenEncoding
from simulators.data import check_version
from simulators.faults import FaultPicker, Faults, Injected
from simulators.journal import Exchange, Observer, describe
from simulators.objects import ReceivedObjects
from simulators.serving import SimServer


@dataclass(frozen=True, slots=True)
class _Routing:
    """The OCPI-to/from parties of a request the simulated platform received (None when absent or malformed)."""

    to: PartyKey | None
    from_: PartyKey | None

    @classmethod
    def of(cls, headers: Mapping[str, str]) -> _Routing:
        def pair(prefix: str) -> PartyKey | None:
            try:
                found = parse_routing(headers, prefix)
            except OcpiError:
                return None
            return found.key if found else None

        return cls(pair("to"), pair("from"))


__all__ = ["VERSION", "Answer", "Handler", "Inbound", "OcpiPlatform", "Party", "RegistrationFailed", "Reply"]

VERSION = "2.2.1"  # the default edition
V211 = "2.1.1"
_log = structlog.get_logger("simulators")
_HISTORY = 2000


@dataclass(frozen=True, slots=True)
class Party:
    """One role a platform plays: CPO NL*CPO, EMSP DE*MSP, ..."""

    role: Role
    key: PartyKey
    name: str

    @classmethod
    def of(cls, role: str, country_code: str, party_id: str, name: str | None = None) -> Party:
        key = PartyKey.of(country_code, party_id)
        return cls(Role(role.upper()), key, name or f"Simulated {role.upper()} {key}")

    @property
    def label(self) -> str:
        return f"{'eMSP' if self.role is Role.EMSP else self.role.value} {self.key}"


@dataclass(frozen=True, slots=True)
class Inbound:
    """A functional-module request as a handler sees it."""

    method: str
    module: str
    interface: InterfaceRole
    rest: list[str]
    query: QueryParams
    headers: Headers
    body: Any
    sender: PartyKey | None  # OCPI-from
    receiver: PartyKey | None  # OCPI-to
    url: str

    def json_object(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise InvalidParameters(f"{self.method} needs a JSON object body")
        return self.body


@dataclass(slots=True)
class Answer:
    """What a handler answers: the envelope's data and status, the HTTP status, extra headers."""

    data: Any = None
    status_code: int = 1000
    status_message: str | None = None
    http_status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Inbound], Awaitable[Answer]]


@dataclass(frozen=True, slots=True)
class Reply:
    """The hub's answer to a request the platform sent."""

    http_status: int  # 0: no HTTP answer (see error)
    envelope: dict[str, Any] | None
    headers: Mapping[str, str]
    elapsed_ms: float
    error: str | None = None

    @property
    def status_code(self) -> int | None:
        return None if self.envelope is None else int(self.envelope["status_code"])

    @property
    def data(self) -> Any:
        return None if self.envelope is None else self.envelope.get("data")

    @property
    def ok(self) -> bool:
        return 200 <= self.http_status < 300 and self.status_code == 1000

    def describe(self) -> str:
        message = self.envelope.get("status_message") if self.envelope else None
        return self.error or f"HTTP {self.http_status}, OCPI {self.status_code}{f': {message}' if message else ''}"


class RegistrationFailed(Exception):
    """The credentials handshake with the hub did not complete."""


class OcpiPlatform:
    """See the module docstring. Subclasses fill `self.handlers[(module, InterfaceRole)]`."""

    def __init__(
        self,
        *,
        name: str,
        parties: Sequence[Party],
        faults: Faults | None = None,
        page_limit: int = 100,
        client: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
        observer: Observer | None = None,
        seed: int = 0,
        version: str = VERSION,
    ) -> None:
        if not parties:
            raise ValueError("a platform serves at least one party")
        self.version = check_version(version)
        if version == V211 and len(parties) != 1:
            raise ValueError("a 2.1.1 connection is one party with one role")
        self.name = name
        self.parties = list(parties)
        self.faults = faults or Faults()
        self.page_limit = page_limit
        self.observer = observer
        self.handlers: dict[tuple[str, InterfaceRole], Handler] = {}
        if version != V211:  # 2.1.1 has no hubclientinfo
            self.handlers[("hubclientinfo", InterfaceRole.RECEIVER)] = self._client_info_pushed
        # handled but not in version details (a 2.1.1 eMSP's command results: response_url only)
        self.unlisted: set[tuple[str, InterfaceRole]] = set()
        self.client_info = ReceivedObjects("hubclientinfo")  # what the hub told us about other parties
        self.server = SimServer(self, name=name)
        self.base_url: str | None = None
        # credentials (see credentials.asciidoc 17-45 for the names A, B and C)
        self.token_a: str | None = None  # issued by us for the hub to register here
        self.inbound_token: str | None = None  # what the hub presents to us
        self.outbound_token: str | None = None  # what we present to the hub
        self.hub_versions_url: str | None = None
        self.hub_endpoints: dict[tuple[str, str], str] = {}
        self.hub_party: PartyKey | None = None
        self.history: deque[Exchange] = deque(maxlen=_HISTORY)
        self.sent = 0
        self.failed = 0
        self._picker = FaultPicker(seed)
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=timeout, limits=httpx.Limits(max_connections=200, max_keepalive_connections=50)
        )
        self.tasks = TaskGroup()

    # --- identity and addresses ------------------------------------------------------------

    @property
    def party(self) -> Party:
        return self.parties[0]

    def party_for(self, role: Role) -> Party:
        return next((p for p in self.parties if p.role is role), self.parties[0])

    def label(self, key: PartyKey | None) -> str:
        if key is None:
            return "?"
        own = next((p for p in self.parties if p.key == key), None)
        if own is not None:
            return own.label
        if key == self.hub_party:
            return f"HUB {key}"
        info = self.client_info.objects.get((key.country_code, key.party_id))
        role = str(info.get("role", "")) if info else ""
        return f"{'eMSP' if role == 'EMSP' else role} {key}".strip()

    @property
    def hub_label(self) -> str:
        return f"HUB {self.hub_party}" if self.hub_party else "HUB"

    @property
    def versions_url(self) -> str:
        return f"{self._base()}/ocpi/versions"

    @property
    def version_url(self) -> str:
        return f"{self._base()}/ocpi/{self.version}"

    @property
    def raw_tokens(self) -> bool:
        """2.1.1: `Authorization: Token <raw token>`; 2.2+: Base64."""
        return self.version == V211

    @property
    def routing_headers(self) -> bool:
        """2.2+: OCPI-to/from-* headers; 2.1.1 has none (one connection, one party)."""
        return self.version != V211

    def endpoint_url(self, module: str, interface: InterfaceRole) -> str:
        if self.version == V211:
            return f"{self.version_url}/{module}"
        return f"{self.version_url}/{interface.value.lower()}/{module}"

    def _base(self) -> str:
        if self.base_url is None:
            raise RuntimeError(f"{self.name} is not served yet: await platform.start()")
        return self.base_url

    def endpoints(self) -> list[dict[str, str]]:
        if self.version == V211:
            found = [{"identifier": "credentials", "url": f"{self.version_url}/credentials"}]
            for module, interface in self.handlers:
                if (module, interface) not in self.unlisted:
                    found.append({"identifier": module, "url": self.endpoint_url(module, interface)})
            return found
        found = [{"identifier": "credentials", "role": "SENDER", "url": f"{self.version_url}/credentials"}]
        for module, interface in self.handlers:
            if (module, interface) not in self.unlisted:
                url = self.endpoint_url(module, interface)
                found.append({"identifier": module, "role": interface.value, "url": url})
        return found

    def credentials(self, token: str) -> dict[str, Any]:
        if self.version == V211:
            party = self.party
            return {
                "token": token,
                "url": self.versions_url,
                "business_details": {"name": party.name},
                "party_id": party.key.party_id,
                "country_code": party.key.country_code,
            }
        roles = [
            {
                "role": p.role.value,
                "business_details": {"name": p.name},
                "party_id": p.key.party_id,
                "country_code": p.key.country_code,
            }
            for p in self.parties
        ]
        return {"token": token, "url": self.versions_url, "roles": roles}

    @property
    def registered(self) -> bool:
        return self.outbound_token is not None and bool(self.hub_endpoints)

    # --- running ----------------------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1 (a free port unless `port`); returns the base URL."""
        if port:
            self.server.port = port
        self.base_url = await self.server.start()
        if self.faults.refuse_connections:
            await self.server.pause()
        return self.base_url

    async def stop(self) -> None:
        await self.tasks.aclose()
        await self.server.stop()
        if self._own_client:
            await self._client.aclose()

    async def __aenter__(self) -> OcpiPlatform:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def set_faults(self, faults: Faults) -> None:
        """Switch fault modes now; `refuse_connections` closes or reopens the port."""
        self.faults = faults
        if faults.refuse_connections and self.server.listening:
            await self.server.pause()
        elif not faults.refuse_connections and not self.server.listening and self.base_url is not None:
            await self.server.resume()

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> None:
        """Run `coro` in the background (stopped with the platform); failures are logged."""

        async def run() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # background work reports and goes on
                _log.warning("simulator_task_failed", platform=self.name, task=name, error=repr(exc))

        task = self.tasks.spawn(run(), name=f"{self.name}:{name}")
        task.add_done_callback(lambda _: coro.close())  # cancelled before it started: not "never awaited"

    # --- the hub as a client of the platform (ASGI) -----------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        started = time.time()
        response, module, note, ocpi_status = await self._answer(request)
        await response(scope, receive, send)
        self._record_inbound(request, started, response, module, note, ocpi_status)

    async def _answer(self, request: Request) -> tuple[Response, str, str, int | None]:
        """The response, and for the record: module, what it said, OCPI status."""
        parts = [p for p in request.url.path.split("/") if p]
        module = _module_of(parts)
        ids = {
            "X-Request-ID": request.headers.get("x-request-id") or new_message_id(),
            "X-Correlation-ID": request.headers.get("x-correlation-id") or new_message_id(),
        }
        faults = self.faults
        if faults.slow_seconds and faults.applies_to(module):
            await asyncio.sleep(faults.slow_seconds)
        injected = self._picker.pick(faults, module)
        if injected is not None:
            return _fault_response(injected, faults, ids), module, f"fault: {injected}", None
        body: Any = None
        try:
            raw = await request.body()
            body = orjson.loads(raw) if raw.strip() else None
        except orjson.JSONDecodeError:
            error: OcpiError = InvalidParameters("The body is not valid JSON")
            return _envelope(error.http_status, None, error.status_code, error.message, ids), module, "", 2001
        try:
            answer = await self._dispatch(request, parts, body)
        except OcpiError as exc:
            answer = Answer(status_code=exc.status_code, status_message=exc.message, http_status=exc.http_status)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            answer = Answer(status_code=2001, status_message=f"Invalid request: {exc!r}", http_status=400)
        except Exception as exc:  # a simulator bug must still answer an envelope
            _log.error("simulator_handler_failed", platform=self.name, error=repr(exc), exc_info=exc)
            answer = Answer(status_code=3000, status_message="Simulator error", http_status=500)
        headers = ids | self._routing_answer_headers(request) | answer.headers
        response = _envelope(answer.http_status, answer.data, answer.status_code, answer.status_message, headers)
        note = describe(module, request.method, _inbound_path(parts, module), body, answer.data)
        return response, module, note, answer.status_code

    def _routing_answer_headers(self, request: Request) -> dict[str, str]:
        if not self.routing_headers:
            return {}
        routing = _Routing.of(request.headers)
        if routing.from_ is None and routing.to is None:
            return {}  # configuration modules and hub pushes without routing headers
        me = next((p.key for p in self.parties if p.key == routing.to), self.party.key)
        headers = {"OCPI-from-country-code": me.country_code, "OCPI-from-party-id": me.party_id}
        if routing.from_ is not None:
            headers |= {"OCPI-to-country-code": routing.from_.country_code, "OCPI-to-party-id": routing.from_.party_id}
        return headers

    def _presented(self, request: Request) -> str | None:
        if self.raw_tokens:  # 2.1.1: the token as it is; a Base64 form is another (unknown) token
            scheme, _, value = (request.headers.get("authorization") or "").strip().partition(" ")
            if scheme.lower() != "token" or not value.strip():
                return None
            return value.strip()
        for candidate in token_candidates(request.headers.get("authorization")):
            if not candidate.raw:
                return candidate.token
        return None

    async def _dispatch(self, request: Request, parts: list[str], body: Any) -> Answer:
        if parts[:1] != ["ocpi"] or len(parts) < 2:
            raise NotFound("Not an OCPI path")
        presented = self._presented(request)
        configuration = parts[1] == "versions" or len(parts) == 2 or parts[2] == "credentials"
        accepted = {self.inbound_token} | ({self.token_a} if configuration else set())
        if presented is None or presented not in accepted - {None}:
            raise AuthError("Unauthorized: unknown token")
        if parts == ["ocpi", "versions"]:
            if request.method != "GET":
                raise MethodNotAllowed()
            return Answer([{"version": self.version, "url": self.version_url}])
        if parts[1] != self.version:
            raise NotFound(f"Unknown OCPI version {parts[1]}")
        if len(parts) == 2:
            return Answer({"version": self.version, "endpoints": self.endpoints()})
        if parts[2] == "credentials" and len(parts) == 3:
            return await self._credentials(request.method, presented, body)
        found = self._route(parts)
        if found is not None:
            module, interface, rest = found
            handler = self.handlers[(module, interface)]
            routing = _Routing.of(request.headers) if self.routing_headers else _Routing(None, None)
            inbound = Inbound(
                method=request.method,
                module=module,
                interface=interface,
                rest=rest,
                query=request.query_params,
                headers=request.headers,
                body=body,
                sender=routing.from_,
                receiver=routing.to,
                url=str(request.url),
            )
            return await handler(inbound)
        raise NotFound("Unknown endpoint")

    def _route(self, parts: list[str]) -> tuple[str, InterfaceRole, list[str]] | None:
        """(module, interface, rest of the path) of a functional-module path, None if unknown."""
        if self.version == V211:  # /ocpi/2.1.1/{module}/...: one interface per module
            if len(parts) >= 3:
                interface = next((i for m, i in self.handlers if m == parts[2]), None)
                if interface is not None:
                    return parts[2], interface, parts[3:]
            return None
        if len(parts) >= 4 and parts[2] in ("sender", "receiver"):
            interface = InterfaceRole(parts[2].upper())
            if (parts[3], interface) in self.handlers:
                return parts[3], interface, parts[4:]
        return None

    def _record_inbound(
        self,
        request: Request,
        started: float,
        response: Response,
        module: str,
        note: str,
        ocpi_status: int | None,
    ) -> None:
        routing = _Routing.of(request.headers) if self.routing_headers else _Routing(None, None)
        parts = [p for p in request.url.path.split("/") if p]
        exchange = Exchange(
            at=started,
            platform=self.name,
            direction="received",
            sender=self.label(routing.from_) if routing.from_ else self.hub_label,
            receiver=self.label(routing.to) if routing.to else self.party.label,
            method=request.method,
            module=module,
            path=_inbound_path(parts, module),
            http_status=response.status_code,
            ocpi_status=ocpi_status,
            elapsed_ms=(time.time() - started) * 1000,
            note=note,
        )
        self._observe(exchange)

    def _observe(self, exchange: Exchange) -> None:
        self.history.append(exchange)
        if self.observer is not None:
            try:
                self.observer(exchange)
            except Exception as exc:  # an observer must not break the platform
                _log.warning("simulator_observer_failed", error=repr(exc))

    async def _client_info_pushed(self, inbound: Inbound) -> Answer:
        """hubclientinfo RECEIVER (mod_hub_client_info.asciidoc): the hub PUTs each party's status."""
        if inbound.method == "GET":
            return Answer(self.client_info.get(inbound.rest))
        if inbound.method == "PUT":
            self.client_info.put(inbound.rest, inbound.json_object())
            return Answer()
        raise MethodNotAllowed()

    # --- credentials: the hub registers here -------------------------------------------------

    def issue_token_a(self) -> str:
        """A token A for the hub operator (`ocpi-hub platforms register ID --token-a ...`)."""
        self.token_a = secrets.token_urlsafe(24)
        return self.token_a

    async def _credentials(self, method: str, presented: str, body: Any) -> Answer:
        registered = self.inbound_token is not None and presented == self.inbound_token
        if method == "GET":
            return Answer(self.credentials(presented))
        if method == "DELETE":
            if not registered:
                raise MethodNotAllowed("Not registered")
            self.inbound_token = self.outbound_token = None
            self.hub_endpoints = {}
            return Answer()
        if method not in ("POST", "PUT"):
            raise MethodNotAllowed()
        if registered != (method == "PUT"):
            raise MethodNotAllowed("Already registered: use PUT" if registered else "Not registered: use POST")
        if not isinstance(body, dict) or not isinstance(body.get("token"), str) or not isinstance(body.get("url"), str):
            raise InvalidParameters("Expected a Credentials object")
        try:
            await self._discover(body["url"], body["token"])
        except RegistrationFailed as exc:
            raise ClientApiError(f"Unable to use your API: {exc}", http_status=200) from None
        self._learn_hub(body)
        self.token_a = None
        self.outbound_token = body["token"]
        self.inbound_token = secrets.token_urlsafe(24)
        return Answer(self.credentials(self.inbound_token))

    # --- credentials: the platform registers at the hub --------------------------------------

    async def register(self, versions_url: str, token_a: str) -> dict[str, Any]:
        """The handshake as sender (credentials.asciidoc 17-45): read the hub's versions and
        details with token A, POST our credentials (token B), keep the hub's token C."""
        credentials_url = await self._discover(versions_url, token_a)
        token_b = secrets.token_urlsafe(24)
        previous = self.inbound_token
        self.inbound_token = token_b  # the hub reads our versions with token B during the POST
        reply = await self._request(
            "POST", credentials_url, token=token_a, json=self.credentials(token_b), module="credentials"
        )
        if not reply.ok or not isinstance(reply.data, dict) or not isinstance(reply.data.get("token"), str):
            self.inbound_token = previous
            raise RegistrationFailed(f"credentials POST: {reply.describe()}")
        self.outbound_token = reply.data["token"]
        self._learn_hub(reply.data)
        return dict(reply.data)

    async def unregister(self) -> Reply:
        """DELETE our credentials at the hub."""
        reply = await self._request("DELETE", self.hub_url("credentials", "SENDER"), module="credentials")
        if reply.ok:
            self.inbound_token = self.outbound_token = None
        return reply

    def _learn_hub(self, credentials: dict[str, Any]) -> None:
        self.hub_versions_url = str(credentials.get("url") or self.hub_versions_url)
        if self.version == V211:  # one party per 2.1.1 connection: the hub's own
            cc, pid = credentials.get("country_code"), credentials.get("party_id")
            if isinstance(cc, str) and isinstance(pid, str) and cc and pid:
                self.hub_party = PartyKey.of(cc, pid)
            return
        if self.version == "2.3.0":  # no HUB role in 2.3.0: hub_party_id, "NLHUB"
            hub_party_id = credentials.get("hub_party_id")
            if isinstance(hub_party_id, str) and len(hub_party_id) == 5:
                self.hub_party = PartyKey.of(hub_party_id[:2], hub_party_id[2:])
            return
        for role in credentials.get("roles") or []:
            if isinstance(role, dict) and role.get("role") == Role.HUB.value:
                self.hub_party = PartyKey.of(str(role["country_code"]), str(role["party_id"]))

    async def _discover(self, versions_url: str, token: str) -> str:
        versions = await self._request("GET", versions_url, token=token, module="versions")
        if not versions.ok or not isinstance(versions.data, list):
            raise RegistrationFailed(f"versions: {versions.describe()}")
        offered = {str(v.get("version")): v.get("url") for v in versions.data if isinstance(v, dict)}
        details_url = offered.get(self.version)
        if not isinstance(details_url, str):
            raise RegistrationFailed(str(UnsupportedVersion(f"the hub offers {sorted(offered)}")))
        details = await self._request("GET", details_url, token=token, module="versions", path="details")
        if not details.ok or not isinstance(details.data, dict):
            raise RegistrationFailed(f"version details: {details.describe()}")
        endpoints: dict[tuple[str, str], str] = {
            (str(e["identifier"]), str(e.get("role", ""))): str(e["url"])
            for e in details.data.get("endpoints") or []
            if isinstance(e, dict) and isinstance(e.get("url"), str)
        }
        if ("credentials", "SENDER") not in endpoints and ("credentials", "") not in endpoints:
            raise RegistrationFailed("the hub has no credentials endpoint")
        self.hub_endpoints = endpoints
        return endpoints.get(("credentials", "SENDER")) or endpoints[("credentials", "")]

    # --- requests to the hub -----------------------------------------------------------------

    def _hub_endpoint(self, module: str, role: str) -> str | None:
        """The hub's URL for (module, role); 2.1.1 endpoints have no role: by identifier."""
        if self.version == V211:
            return self.hub_endpoints.get((module, "")) or self.hub_endpoints.get((module, role))
        return self.hub_endpoints.get((module, role))

    def hub_url(self, module: str, interface: InterfaceRole | str) -> str:
        role = interface.value if isinstance(interface, InterfaceRole) else interface.upper()
        found = self._hub_endpoint(module, role)
        if found is None:
            raise RuntimeError(f"{self.name}: the hub has no {module} {role} endpoint (registered?)")
        return found

    async def send(
        self,
        method: str,
        module: str,
        interface: InterfaceRole,
        rest: str = "",
        *,
        to: PartyKey | None,
        from_: PartyKey | None = None,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        correlation_id: str | None = None,
    ) -> Reply:
        """A functional request to the hub's (module, interface) endpoint; `to=None` leaves the
        receiver to the hub (Open Routing). Not registered: a failed Reply, nothing sent."""
        endpoint = self._hub_endpoint(module, interface.value)
        if endpoint is None:
            self.sent += 1
            self.failed += 1
            return Reply(
                0, None, {}, 0.0, error=f"the hub has no {module} {interface.value} endpoint (not registered?)"
            )
        url = endpoint + (f"/{rest}" if rest else "")
        return await self._request(
            method,
            url,
            to=to,
            from_=from_ or self._own_party_for(module, interface),
            json=json,
            params=params,
            correlation_id=correlation_id,
            module=module,
            path=rest,
        )

    async def post_url(
        self,
        url: str,
        *,
        json: Any,
        to: PartyKey | None,
        from_: PartyKey | None = None,
        correlation_id: str | None = None,
        module: str = "commands",
    ) -> Reply:
        """POST to a URL the hub gave us (a command's response_url)."""
        return await self._request(
            "POST",
            url,
            to=to,
            from_=from_,
            json=json,
            correlation_id=correlation_id,
            module=module,
            path="(response_url)",
        )

    async def get_url(
        self, url: str, *, to: PartyKey | None, from_: PartyKey | None = None, module: str, what: str = "next page"
    ) -> Reply:
        """GET a URL the hub gave us (a Link to the next page, a CDR Location)."""
        return await self._request("GET", url, to=to, from_=from_, module=module, path=f"({what})")

    async def _call(
        self,
        method: str,
        url: str,
        *,
        json: Any,
        params: Mapping[str, str] | None,
        headers: dict[str, str],
        started: float,
    ) -> Reply:
        """One HTTP exchange, its reply read as an OCPI envelope (or the error), counted."""
        content = None
        if json is not None:
            content = orjson.dumps(json)
            headers.setdefault("Content-Type", "application/json")
        try:
            response = await self._client.request(method, url, content=content, params=params, headers=headers)
        except httpx.HTTPError as exc:
            reply = Reply(0, None, {}, (time.time() - started) * 1000, error=f"{type(exc).__name__}: {exc}".strip())
        else:
            envelope = parse_envelope(response.content)
            error = None if envelope is not None else f"not an OCPI reply (HTTP {response.status_code})"
            reply = Reply(response.status_code, envelope, response.headers, (time.time() - started) * 1000, error)
        self.sent += 1
        if not reply.ok:
            self.failed += 1
        return reply

    async def request_raw(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        module: str = "raw",
    ) -> Reply:
        """Any request to the hub with our credentials token (in the edition's form) and exactly
        the extra `headers` given: no routing headers or ids added, so a test can make a party
        send what its edition does not (e.g. OCPI-to headers from a 2.1.1 party)."""
        started = time.time()
        sent = dict(headers or {})
        if self.outbound_token is not None:
            encoding = TokenEncoding.RAW if self.raw_tokens else TokenEncoding.BASE64
            sent.setdefault("Authorization", authorization_header(self.outbound_token, encoding))
        reply = await self._call(method, url, json=json, params=params, headers=sent, started=started)
        self._observe(
            Exchange(
                at=started,
                platform=self.name,
                direction="sent",
                sender=self.party.label,
                receiver=self.hub_label,
                method=method,
                module=module,
                path="(raw)",
                http_status=reply.http_status,
                ocpi_status=reply.status_code,
                elapsed_ms=reply.elapsed_ms,
                note=reply.describe(),
                error=reply.error,
            )
        )
        return reply

    def _own_party_for(self, module: str, interface: InterfaceRole) -> PartyKey:
        wants = {
            ("locations", InterfaceRole.RECEIVER): Role.CPO,
            ("sessions", InterfaceRole.RECEIVER): Role.CPO,
            ("cdrs", InterfaceRole.RECEIVER): Role.CPO,
            ("tariffs", InterfaceRole.RECEIVER): Role.CPO,
            ("tokens", InterfaceRole.SENDER): Role.CPO,
            ("commands", InterfaceRole.SENDER): Role.CPO,
            ("chargingprofiles", InterfaceRole.SENDER): Role.CPO,
        }
        role = wants.get((module, interface), Role.EMSP)
        return self.party_for(role).key

    async def _request(
        self,
        method: str,
        url: str,
        *,
        token: str | None = None,
        to: PartyKey | None = None,
        from_: PartyKey | None = None,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        correlation_id: str | None = None,
        module: str,
        path: str = "",
    ) -> Reply:
        presented = token or self.outbound_token
        headers: dict[str, str] = {}
        if self.routing_headers:  # a 2.1.1 party knows neither these ids nor routing headers
            headers = {"X-Request-ID": new_message_id(), "X-Correlation-ID": correlation_id or new_message_id()}
        else:
            to = from_ = None
        if presented is not None:
            encoding = TokenEncoding.RAW if self.raw_tokens else TokenEncoding.BASE64
            headers["Authorization"] = authorization_header(presented, encoding)
        if to is not None:
            sender = from_ or self.party.key
            headers |= {"OCPI-to-country-code": to.country_code, "OCPI-to-party-id": to.party_id}
            headers |= {"OCPI-from-country-code": sender.country_code, "OCPI-from-party-id": sender.party_id}
        elif from_ is not None:
            headers |= {"OCPI-from-country-code": from_.country_code, "OCPI-from-party-id": from_.party_id}
        started = time.time()
        reply = await self._call(method, url, json=json, params=params, headers=headers, started=started)
        author = from_ if from_ is not None else (self.party.key if to is not None else None)
        self._observe(
            Exchange(
                at=started,
                platform=self.name,
                direction="sent",
                sender=self.label(author) if author else self.party.label,
                receiver=self.label(to) if to else self.hub_label,
                method=method,
                module=module,
                path=path,
                http_status=reply.http_status,
                ocpi_status=reply.status_code,
                elapsed_ms=reply.elapsed_ms,
                note=describe(module, method, path, json, reply.data) if reply.ok else reply.describe(),
                error=reply.error,
            )
        )
        return reply


def _module_of(parts: list[str]) -> str:
    if parts[:2] == ["ocpi", "versions"] or len(parts) == 2:
        return "versions"
    if len(parts) >= 3 and parts[2] == "credentials":
        return "credentials"
    if len(parts) >= 4 and parts[2] in ("sender", "receiver"):
        return parts[3]
    if len(parts) >= 3 and parts[1] == V211:
        return parts[2]
    return "unknown"


def _inbound_path(parts: list[str], module: str) -> str:
    if module == "versions":
        return "details" if len(parts) == 2 and parts[1] != "versions" else ""
    if len(parts) >= 3 and parts[1] == V211:
        return "/".join(parts[3:])
    return "/".join(parts[4:])


def _envelope(
    http_status: int, data: Any, status_code: int, message: str | None, headers: Mapping[str, str]
) -> Response:
    return Response(
        envelope_bytes(data, status_code=status_code, status_message=message),
        status_code=http_status,
        headers=dict(headers),
        media_type="application/json",
    )


def _fault_response(kind: Injected, faults: Faults, ids: dict[str, str]) -> Response:
    if kind == "too_many_requests":
        headers = ids | {"Retry-After": str(faults.retry_after_seconds)}
        return _envelope(429, None, 2000, "Too many requests (simulated)", headers)
    if kind == "server_error":
        error = ServerError("Internal error (simulated)")
        return _envelope(500, None, error.status_code, error.message, ids)
    return Response(b'{"data": [{"id": "LOC', status_code=200, headers=ids, media_type="application/json")
