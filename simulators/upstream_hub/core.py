"""The simulated upstream hub: one OCPI 2.2.1 platform with role HUB (FR*007 by default) that
answers for the parties behind it (upstream-ocpi-hub.md Part 4).

Inbound (ASGI, served on a loopback port by `SimServer`):
- `GET /ocpi/versions`, `GET /ocpi/2.2.1`, `GET|POST|PUT|DELETE /ocpi/2.2.1/credentials`: a
  configured platform registers with a token A from `issue_token_a(name)`; PUT is refused in the
  `gireve` profile; roles the platform presents are kept but not used (operators are configured);
- `/ocpi/2.2.1/{sender|receiver}/{module}/...`: Authorization `Token <base64>`, X-Request-ID and
  X-Correlation-ID, OCPI-from (a configured operator of the calling platform, with a role that may
  use that interface) and OCPI-to (the hub itself in `gireve`; the final party, or the hub for
  open routing, in `spec`), then `simulators.upstream_hub.routing` serves the request.
- Every answer is an envelope echoing X-Request-ID and X-Correlation-ID; fault modes apply first.

Outbound: the hub registers at a platform (`register_at`), deletes its credentials there
(`delete_credentials`, `rotate_token`), pushes ClientInfo (`spec`), pulls a platform's Sender
interfaces (`pull`), and delivers what its parties send (`broadcast`, `send_command`,
`authorize_at_platform`). Everything either way is in `journal`.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import orjson
import structlog
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
    UnknownReceiver,
    UnsupportedVersion,
)
from hub.forwarding.rewrite import next_link
from hub.ocpi.envelope import envelope_bytes, parse_envelope
from hub.ocpi.headers import authorization_header, new_message_id, token_candidates
from hub.ocpi.request import parse_routing
from hub.tasks import TaskGroup
from hub.types import ConnectionStatus, InterfaceRole, PartyKey, Role, TokenEncoding
from simulators.data import stamp
from simulators.emsp import CommandOutcome
from simulators.objects import ReceivedObjects
from simulators.platform import Answer, RegistrationFailed, Reply
from simulators.serving import SimServer
from simulators.upstream_hub.config import HubConfig, Operator, Rejection
from simulators.upstream_hub.faults import HubFaults
from simulators.upstream_hub.ids import IdRewriter
from simulators.upstream_hub.journal import Journal, JournalEntry
from simulators.upstream_hub.parties import BehindCpo, BehindEmsp
from simulators.upstream_hub.routing import Call, Router, page_of

__all__ = ["VERSION", "Connection", "Refused", "UpstreamHub"]

VERSION = "2.2.1"
R, S = InterfaceRole.RECEIVER, InterfaceRole.SENDER
Obj = dict[str, Any]
_log = structlog.get_logger("simulators.upstream_hub")

# the role the FROM operator needs to use a hub interface (the hub's side of it)
_ROLE_FOR: Mapping[tuple[str, InterfaceRole], Role] = {
    ("locations", R): Role.CPO,
    ("tariffs", R): Role.CPO,
    ("sessions", R): Role.CPO,
    ("cdrs", R): Role.CPO,
    ("tokens", S): Role.CPO,
    ("commands", S): Role.CPO,
    ("tokens", R): Role.EMSP,
    ("commands", R): Role.EMSP,
    ("locations", S): Role.EMSP,
    ("tariffs", S): Role.EMSP,
    ("sessions", S): Role.EMSP,
    ("cdrs", S): Role.EMSP,
}


class Refused(OcpiError):
    """A refusal whose OCPI status and HTTP status come from the configuration."""

    def __init__(self, rejection: Rejection, message: str) -> None:
        super().__init__(message, http_status=rejection.http_status)
        self.status_code = rejection.status_code


@dataclass(slots=True)
class Connection:
    """One connected platform: its configured operators and the credentials either way."""

    name: str
    operators: tuple[Operator, ...]
    token_a: str | None = None  # issued by the hub for the platform to register
    inbound_token: str | None = None  # what the platform presents to the hub
    outbound_token: str | None = None  # what the hub presents to the platform
    versions_url: str | None = None
    endpoints: dict[tuple[str, str], str] = field(default_factory=dict)
    roles: list[Obj] = field(default_factory=list)  # as the platform presented them (not used)
    registrations: int = 0

    @property
    def registered(self) -> bool:
        return self.outbound_token is not None and self.inbound_token is not None

    def operator(self, key: PartyKey) -> Operator | None:
        return next((o for o in self.operators if o.key == key), None)


class UpstreamHub:
    """See the module docstring."""

    def __init__(
        self, config: HubConfig | None = None, *, name: str = "upstream-hub", client: httpx.AsyncClient | None = None
    ) -> None:
        self.config = config or HubConfig()
        self.name = name
        self.journal = Journal()
        self.faults = HubFaults()
        self.ids = IdRewriter(self.config.rewrite, restore_auth_ref=self.config.auth_ref_to_emsp == "original")
        self.connections: dict[str, Connection] = {
            n: Connection(n, tuple(ops)) for n, ops in self.config.platforms.items()
        }
        self.cpos: dict[PartyKey, BehindCpo] = {s.key: BehindCpo(self, s) for s in self.config.cpos}
        self.emsps: dict[PartyKey, BehindEmsp] = {s.key: BehindEmsp(self, s) for s in self.config.emsps}
        self.party_status: dict[tuple[PartyKey, Role], ConnectionStatus] = {}
        for key in self.cpos:
            self.party_status[(key, Role.CPO)] = ConnectionStatus.CONNECTED
        for key in self.emsps:
            self.party_status[(key, Role.EMSP)] = ConnectionStatus.CONNECTED
        # what the platforms' parties sent (the hub's copy, "RPC")
        self.received_locations = ReceivedObjects("locations")
        self.received_tariffs = ReceivedObjects("tariffs")
        self.received_tokens = ReceivedObjects("tokens")
        self.received_cdrs: dict[tuple[str, str, str], Obj] = {}
        self.cdrs_sent: list[Obj] = []  # CDRs of the CPOs behind the hub, as the eMSPs see them
        self.rejected: list[tuple[str, list[str]]] = []  # (what, quality problems)
        self._commands: dict[str, tuple[BehindEmsp, str]] = {}  # response_url reference -> (eMSP, command)
        self._last_status: dict[tuple[PartyKey, str, str], str] = {}
        self._held: list[Callable[[], Awaitable[Reply]]] | None = None
        self._link = asyncio.Event()
        self._link.set()
        self.router = Router(self)
        self.server = SimServer(self, name=name)
        self.base_url: str | None = None
        self.tasks = TaskGroup()
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(timeout=self.config.timeout)

    # --- identity and addresses ----------------------------------------------------------------

    @property
    def hub(self) -> PartyKey:
        return self.config.hub

    @property
    def versions_url(self) -> str:
        if self.base_url is None:
            raise RuntimeError(f"{self.name} is not served yet: await hub.start()")
        return f"{self.base_url}/ocpi/versions"

    @property
    def version_url(self) -> str:
        return self.versions_url.removesuffix("/versions") + f"/{VERSION}"

    def endpoint_url(self, module: str, interface: InterfaceRole) -> str:
        return f"{self.version_url}/{interface.value.lower()}/{module}"

    def endpoints(self) -> list[Obj]:
        found: list[Obj] = [{"identifier": "credentials", "role": "SENDER", "url": f"{self.version_url}/credentials"}]
        for module, interface in self.router.interfaces():
            found.append({"identifier": module, "role": interface.value, "url": self.endpoint_url(module, interface)})
        if not self.config.gireve:
            found.append(
                {"identifier": "hubclientinfo", "role": "SENDER", "url": self.endpoint_url("hubclientinfo", S)}
            )
        return found

    def credentials(self, token: str) -> Obj:
        role = {
            "role": Role.HUB.value,
            "business_details": {"name": "Simulated upstream hub"},
            "party_id": self.hub.party_id,
            "country_code": self.hub.country_code,
        }
        roles = [role]
        if self.config.list_parties_in_roles:
            roles += [
                {
                    "role": r.value,
                    "business_details": {"name": party.name},
                    "party_id": key.party_id,
                    "country_code": key.country_code,
                }
                for r, parties in ((Role.CPO, self.cpos), (Role.EMSP, self.emsps))
                for key, party in parties.items()
            ]
        found: Obj = {"token": token, "url": self.versions_url, "roles": roles}
        if self.config.list_parties_in_roles:
            found["hub_party_id"] = f"{self.hub.country_code}{self.hub.party_id}"
        return found

    def cpo(self, country_code: str, party_id: str) -> BehindCpo:
        return self.cpos[PartyKey.of(country_code, party_id)]

    def emsp(self, country_code: str, party_id: str) -> BehindEmsp:
        return self.emsps[PartyKey.of(country_code, party_id)]

    def add_platform(self, name: str, operators: Sequence[Operator]) -> Connection:
        """Configure (or reconfigure) a platform's operator list while running."""
        connection = self.connections.get(name)
        if connection is None:
            connection = self.connections[name] = Connection(name, tuple(operators))
        else:
            connection.operators = tuple(operators)
        return connection

    def connection(self, name: str) -> Connection:
        try:
            return self.connections[name]
        except KeyError:
            raise KeyError(f"platform {name!r} is not configured at the upstream hub") from None

    def connection_of(self, party: PartyKey) -> Connection | None:
        """The registered platform that speaks for `party`."""
        return next((c for c in self.connections.values() if c.registered and c.operator(party)), None)

    def platform_parties(self, role: Role) -> list[PartyKey]:
        return [o.key for c in self.connections.values() if c.registered for o in c.operators if role in o.roles]

    def status_of(self, party: PartyKey, role: Role) -> ConnectionStatus | None:
        return self.party_status.get((party, role))

    # --- running -------------------------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1 (a free port unless `port`); returns the base URL."""
        if port:
            self.server.port = port
        self.base_url = await self.server.start()
        return self.base_url

    async def stop(self) -> None:
        self._link.set()
        await self.tasks.aclose()
        await self.server.stop()
        if self._own_client:
            await self._client.aclose()

    async def __aenter__(self) -> UpstreamHub:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> None:
        async def run() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # background work reports and goes on
                _log.warning("upstream_hub_task_failed", task=name, error=repr(exc))

        task = self.tasks.spawn(run(), name=f"{self.name}:{name}")
        task.add_done_callback(lambda _: coro.close())

    # --- faults --------------------------------------------------------------------------------

    async def link_down(self, mode: Literal["refuse", "hang"] = "refuse", *, seconds: float | None = None) -> None:
        """`refuse`: the port stops listening; `hang`: requests are held unanswered until the
        link is up again. With `seconds`, the link comes back by itself."""
        if mode == "refuse":
            await self.server.pause()
        else:
            self._link.clear()
        if seconds is not None:

            async def later() -> None:
                await asyncio.sleep(seconds)
                await self.link_up()

            self.spawn(later(), name="link_up")

    async def link_up(self) -> None:
        self._link.set()
        if not self.server.listening and self.base_url is not None:
            await self.server.resume()

    def hold_deliveries(self) -> None:
        """Keep every delivery to the platforms until `release_deliveries` (out-of-order faults)."""
        if self._held is None:
            self._held = []

    async def release_deliveries(self, *, reverse: bool = True) -> list[Reply]:
        """Send what was held, newest first with `reverse` (so they arrive out of order)."""
        held, self._held = self._held or [], None
        replies = []
        for send in reversed(held) if reverse else held:
            replies.append(await send())
        return replies

    # --- the platforms as clients of the hub (ASGI) -----------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        seq = self.journal.next_seq()
        started = time.time()
        await self._link.wait()
        raw = await request.body()
        entry = JournalEntry(
            seq,
            started,
            "in",
            None,
            request.method,
            str(request.url),
            _module_of([p for p in request.url.path.split("/") if p]),
            request_headers={k.lower(): v for k, v in request.headers.items()},
        )
        response = await self._answer(request, raw, entry)
        await response(scope, receive, send)
        entry.http_status = response.status_code
        entry.response_headers = {k.lower(): v for k, v in response.headers.items()}
        entry.response_body = parse_envelope(bytes(response.body))
        self.journal.add(entry)

    async def _answer(self, request: Request, raw: bytes, entry: JournalEntry) -> Response:
        ids = {
            name: value
            for name in ("X-Request-ID", "X-Correlation-ID")
            if (value := request.headers.get(name)) is not None
        }
        try:
            body = orjson.loads(raw) if raw.strip() else None
        except orjson.JSONDecodeError:
            body = None
            answer = Answer(status_code=2001, status_message="The body is not valid JSON", http_status=400)
            return _envelope(answer, ids)
        entry.request_body = body
        if self.faults.slow_seconds and self.faults.applies_to(entry.module):
            await asyncio.sleep(self.faults.slow_seconds)
        try:
            answer = await self._dispatch(request, body, entry)
        except OcpiError as exc:
            answer = Answer(status_code=exc.status_code, status_message=exc.message, http_status=exc.http_status)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            answer = Answer(status_code=2001, status_message=f"Invalid request: {exc!r}", http_status=400)
        except Exception as exc:  # a simulator bug must still answer an envelope
            _log.error("upstream_hub_failed", error=repr(exc), exc_info=exc)
            answer = Answer(status_code=3000, status_message="Simulator error", http_status=500)
        return _envelope(answer, ids | answer.headers)

    def _presented(self, request: Request) -> str | None:
        return next((c.token for c in token_candidates(request.headers.get("authorization")) if not c.raw), None)

    def _caller(self, token: str | None, configuration: bool) -> Connection:
        for connection in self.connections.values():
            if token is not None and token == connection.inbound_token:
                return connection
            if configuration and token is not None and token == connection.token_a:
                return connection
        raise AuthError("Unauthorized: unknown token")

    async def _dispatch(self, request: Request, body: Any, entry: JournalEntry) -> Answer:
        parts = [p for p in request.url.path.split("/") if p]
        if parts[:1] != ["ocpi"] or len(parts) < 2:
            raise NotFound("Not an OCPI path")
        configuration = entry.module in ("versions", "credentials")
        connection = self._caller(self._presented(request), configuration)
        entry.platform = connection.name
        for name in ("X-Request-ID", "X-Correlation-ID"):
            if not request.headers.get(name):
                raise Refused(self.config.missing_header, f"Header {name} is required")
        if parts == ["ocpi", "versions"]:
            return Answer([{"version": VERSION, "url": self.version_url}])
        if parts[1] != VERSION:
            raise NotFound(f"Unknown OCPI version {parts[1]}")
        if len(parts) == 2:
            return Answer({"version": VERSION, "endpoints": self.endpoints()})
        if parts[2] == "credentials" and len(parts) == 3:
            return await self._credentials(connection, request.method, body)
        if len(parts) < 4 or parts[2] not in ("sender", "receiver"):
            raise NotFound("Unknown endpoint")
        if connection.inbound_token is None:
            raise AuthError("Unauthorized: register first")
        module, interface = parts[3], InterfaceRole(parts[2].upper())
        if self.faults.take_server_error(module):
            return Answer(status_code=3000, status_message="Upstream hub error (simulated)", http_status=503)
        code = self.faults.take_hub_error(module)
        if code is not None:
            return Answer(status_code=code, status_message=f"Upstream hub answers {code} (simulated)")
        if module == "hubclientinfo" and interface is S and not self.config.gireve:
            return page_of(self.client_infos(), request.query_params, self.config.cap(module), str(request.url))
        from_, to = self._routing(request, connection, module, interface)
        call = Call(
            connection=connection,
            method=request.method,
            module=module,
            interface=interface,
            rest=parts[4:],
            query=request.query_params,
            body=body,
            from_=from_,
            to=to,
            correlation_id=request.headers.get("x-correlation-id") or new_message_id(),
            url=str(request.url).split("?", 1)[0],
        )
        answer = await self.router.handle(call)
        me = to if to is not None and not self.config.gireve else self.hub
        answer.headers |= {
            "OCPI-from-country-code": me.country_code,
            "OCPI-from-party-id": me.party_id,
            "OCPI-to-country-code": from_.country_code,
            "OCPI-to-party-id": from_.party_id,
        }
        return answer

    def _routing(
        self, request: Request, connection: Connection, module: str, interface: InterfaceRole
    ) -> tuple[PartyKey, PartyKey | None]:
        """FROM (a configured operator allowed to use this interface) and TO."""
        try:
            found_from, found_to = parse_routing(request.headers, "from"), parse_routing(request.headers, "to")
        except OcpiError as exc:
            raise Refused(self.config.missing_header, exc.message) from None
        if found_from is None or (self.config.gireve and found_to is None):
            raise Refused(self.config.missing_header, "OCPI-from-* and OCPI-to-* headers are required")
        from_, to = found_from.key, found_to.key if found_to else None
        operator = connection.operator(from_)
        if operator is None:
            raise Refused(self.config.forbidden_operator, f"{from_} is not an operator of platform {connection.name}")
        needed = _ROLE_FOR.get((module, interface))
        if needed is not None and needed not in operator.roles:
            raise Refused(self.config.forbidden_operator, f"{from_} may not use {module} {interface.value}")
        if self.config.gireve and to != self.hub and self.config.to_must_be_hub == "reject":
            raise Refused(self.config.to_not_hub, f"Requests go to the hub {self.hub}, not {to}")
        if to == self.hub:
            to = None
        if to is not None and self.config.gireve:
            to = None  # accepted, but the hub routes by content anyway
        if to is not None and not self.knows(to):
            raise UnknownReceiver(f"Unknown receiver {to}")
        return from_, to

    def knows(self, party: PartyKey) -> bool:
        return party in self.cpos or party in self.emsps

    # --- credentials: a platform registers here -----------------------------------------------------

    def issue_token_a(self, platform: str) -> str:
        """A token A for `platform` (configured in `HubConfig.platforms` or `add_platform`)."""
        connection = self.connection(platform)
        connection.token_a = secrets.token_urlsafe(24)
        return connection.token_a

    async def _credentials(self, connection: Connection, method: str, body: Any) -> Answer:
        if method == "GET":
            return Answer(self.credentials(connection.inbound_token or connection.token_a or ""))
        if method == "DELETE":
            if connection.inbound_token is None:
                raise MethodNotAllowed("Not registered")
            connection.inbound_token = connection.outbound_token = None
            connection.endpoints = {}
            return Answer()
        if method == "PUT":
            if self.config.gireve:
                raise Refused(self.config.put_credentials, "Credentials update is not supported: DELETE, then POST")
            if connection.inbound_token is None:
                raise MethodNotAllowed("Not registered: use POST")
        elif method == "POST":
            if connection.inbound_token is not None and connection.token_a is None:
                raise MethodNotAllowed("Already registered: use DELETE then POST")
        else:
            raise MethodNotAllowed()
        if not isinstance(body, dict) or not isinstance(body.get("token"), str) or not isinstance(body.get("url"), str):
            raise InvalidParameters("Expected a Credentials object")
        try:
            connection.endpoints = await self._discover(connection, body["url"], body["token"])
        except RegistrationFailed as exc:
            raise ClientApiError(f"Unable to use your API: {exc}", http_status=200) from None
        connection.versions_url = body["url"]
        connection.roles = [r for r in body.get("roles") or [] if isinstance(r, dict)]
        connection.outbound_token = body["token"]
        connection.inbound_token = secrets.token_urlsafe(24)
        connection.token_a = None
        connection.registrations += 1
        self._after_registration(connection, delay=self.config.client_info_delay)
        return Answer(self.credentials(connection.inbound_token))

    # --- credentials: the hub registers at a platform ------------------------------------------------

    async def register_at(self, platform: str, versions_url: str, token_a: str) -> Obj:
        """Register FromIOP: read the platform's versions with its token A, POST the hub's
        credentials, keep the platform's token. Returns the platform's credentials."""
        connection = self.connection(platform)
        endpoints = await self._discover(connection, versions_url, token_a)
        url = endpoints.get(("credentials", "SENDER")) or endpoints.get(("credentials", ""))
        if url is None:
            raise RegistrationFailed("the platform has no credentials endpoint")
        previous = connection.inbound_token
        connection.inbound_token = secrets.token_urlsafe(24)  # the platform may call us during its POST
        reply = await self._request(
            connection,
            "POST",
            url,
            token=token_a,
            json=self.credentials(connection.inbound_token),
            module="credentials",
        )
        if not reply.ok or not isinstance(reply.data, dict) or not isinstance(reply.data.get("token"), str):
            connection.inbound_token = previous
            raise RegistrationFailed(f"credentials POST: {reply.describe()}")
        connection.endpoints = endpoints
        connection.versions_url = versions_url
        connection.outbound_token = reply.data["token"]
        connection.roles = [r for r in reply.data.get("roles") or [] if isinstance(r, dict)]
        connection.registrations += 1
        self._after_registration(connection, delay=0.0)
        return dict(reply.data)

    async def delete_credentials(self, platform: str) -> Reply:
        """Unregister FromIOP: DELETE the hub's credentials at the platform; both tokens are dropped."""
        connection = self.connection(platform)
        url = connection.endpoints.get(("credentials", "SENDER")) or connection.endpoints.get(("credentials", ""))
        if url is None:
            raise RegistrationFailed(f"{platform} is not registered")
        reply = await self._request(connection, "DELETE", url, module="credentials")
        connection.inbound_token = connection.outbound_token = None
        return reply

    async def rotate_token(self, platform: str, token_a: str | None = None) -> Obj:
        """Token rotation Gireve's way: DELETE, then POST again (with `token_a`, default the
        token the hub used before). Returns the platform's new credentials."""
        connection = self.connection(platform)
        previous, versions_url = connection.outbound_token, connection.versions_url
        if versions_url is None or (token_a or previous) is None:
            raise RegistrationFailed(f"{platform} is not registered")
        await self.delete_credentials(platform)
        return await self.register_at(platform, versions_url, token_a or previous or "")

    async def _discover(self, connection: Connection, versions_url: str, token: str) -> dict[tuple[str, str], str]:
        versions = await self._request(connection, "GET", versions_url, token=token, module="versions")
        if not versions.ok or not isinstance(versions.data, list):
            raise RegistrationFailed(f"versions: {versions.describe()}")
        offered = {str(v.get("version")): v.get("url") for v in versions.data if isinstance(v, dict)}
        details_url = offered.get(VERSION)
        if not isinstance(details_url, str):
            raise RegistrationFailed(str(UnsupportedVersion(f"the platform offers {sorted(offered)}")))
        details = await self._request(connection, "GET", details_url, token=token, module="versions")
        if not details.ok or not isinstance(details.data, dict):
            raise RegistrationFailed(f"version details: {details.describe()}")
        return {
            (str(e["identifier"]), str(e.get("role", ""))): str(e["url"])
            for e in details.data.get("endpoints") or []
            if isinstance(e, dict) and isinstance(e.get("url"), str)
        }

    def _after_registration(self, connection: Connection, *, delay: float) -> None:
        if not self.config.push_client_info or ("hubclientinfo", "RECEIVER") not in connection.endpoints:
            return

        async def push() -> None:
            for attempt in range(5):
                await asyncio.sleep(delay * (attempt + 1))
                replies = await self.push_client_infos(connection.name)
                if all(r.ok for r in replies):
                    return

        self.spawn(push(), name=f"clientinfo:{connection.name}")

    # --- HubClientInfo ---------------------------------------------------------------------------

    def client_infos(self) -> list[Obj]:
        return [
            {
                "party_id": key.party_id,
                "country_code": key.country_code,
                "role": role.value,
                "status": status.value,
                "last_updated": stamp(),
            }
            for (key, role), status in self.party_status.items()
        ]

    async def push_client_infos(self, platform: str, infos: Sequence[Obj] | None = None) -> list[Reply]:
        """PUT ClientInfo objects (default: every party behind the hub) to the platform."""
        connection = self.connection(platform)
        url = connection.endpoints.get(("hubclientinfo", "RECEIVER"))
        if url is None or not connection.registered:
            return []
        replies = []
        for info in infos if infos is not None else self.client_infos():
            rest = f"{info['country_code']}/{info['party_id']}"
            replies.append(await self._request(connection, "PUT", f"{url}/{rest}", json=info, module="hubclientinfo"))
        return replies

    async def set_party_status(
        self, country_code: str, party_id: str, status: ConnectionStatus | str, *, role: Role | str | None = None
    ) -> list[Reply]:
        """Change a party's ConnectionStatus; with HubClientInfo push on, PUT it to every platform.
        In the `spec` profile requests to a party not CONNECTED get 4003."""
        key = PartyKey.of(country_code, party_id)
        chosen = ConnectionStatus(status)
        roles = [Role(role)] if role is not None else [r for (k, r) in self.party_status if k == key]
        if not roles:
            raise KeyError(f"{key} is not behind the upstream hub")
        infos = []
        for one in roles:
            self.party_status[(key, one)] = chosen
            infos.append(
                {
                    "party_id": key.party_id,
                    "country_code": key.country_code,
                    "role": one.value,
                    "status": chosen.value,
                    "last_updated": stamp(),
                }
            )
        if not self.config.push_client_info:
            return []
        replies: list[Reply] = []
        for connection in self.connections.values():
            replies += await self.push_client_infos(connection.name, infos)
        return replies

    # --- deliveries to the platforms ---------------------------------------------------------------

    def status_is_new(self, owner: PartyKey, location_id: str, evse_uid: str, status: str) -> bool:
        """Whether an EVSE status differs from the last one seen for that EVSE (and remember it)."""
        key = (owner, location_id.upper(), evse_uid.upper())
        if self._last_status.get(key) == status:
            return False
        self._last_status[key] = status
        return True

    def contracted(self, origin: PartyKey) -> list[PartyKey]:
        """The platforms' parties in agreement with a party behind the hub (CPO -> eMSPs, eMSP -> CPOs)."""
        if origin in self.cpos:
            return [e for e in self.platform_parties(Role.EMSP) if self.config.in_agreement(origin, e)]
        return [c for c in self.platform_parties(Role.CPO) if self.config.in_agreement(c, origin)]

    async def broadcast(
        self,
        origin: PartyKey,
        module: str,
        method: str,
        rest: str,
        body: Any,
        *,
        to: Sequence[PartyKey] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> list[Reply]:
        """Deliver one message of a party behind the hub to the platforms' parties (`to`, or all
        contracted ones) on their RECEIVER interface; one correlation id for the fan-out."""
        correlation = new_message_id()
        replies = []
        for target in list(to) if to is not None else self.contracted(origin):
            replies.append(
                await self.deliver(
                    target, method, module, R, rest, from_=origin, json=body, params=params, correlation_id=correlation
                )
            )
        return replies

    async def deliver(
        self,
        target: PartyKey,
        method: str,
        module: str,
        interface: InterfaceRole,
        rest: str = "",
        *,
        from_: PartyKey,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        correlation_id: str | None = None,
        url: str | None = None,
    ) -> Reply:
        """One request to a platform's party (the platform's endpoint for module/interface, or
        `url`), TO = `target`, FROM = `from_`; sent twice with `faults.duplicate`, kept back
        while deliveries are held."""
        connection = self.connection_of(target)
        if connection is None:
            self.journal.note(module, method, f"{target} {rest}", f"not delivered: no platform for {target}", json)
            return Reply(0, None, {}, 0.0, error=f"no registered platform speaks for {target}")
        if url is None:
            endpoint = connection.endpoints.get((module, interface.value))
            if endpoint is None:
                return Reply(0, None, {}, 0.0, error=f"{connection.name} has no {module} {interface.value} endpoint")
            url = endpoint + (f"/{rest}" if rest else "")
        request_id, correlation = new_message_id(), correlation_id or new_message_id()
        chosen_url = url

        async def send() -> Reply:
            reply = await self._request(
                connection,
                method,
                chosen_url,
                to=target,
                from_=from_,
                json=json,
                params=params,
                module=module,
                request_id=request_id,
                correlation_id=correlation,
            )
            if self.faults.duplicate:
                await self._request(
                    connection,
                    method,
                    chosen_url,
                    to=target,
                    from_=from_,
                    json=json,
                    params=params,
                    module=module,
                    request_id=request_id,
                    correlation_id=correlation,
                    note="duplicate",
                )
            return reply

        if self._held is not None:
            self._held.append(send)
            return Reply(0, None, {}, 0.0, error="held (out-of-order fault)")
        return await send()

    def _location_owner(self, location_id: str, emsp: PartyKey) -> PartyKey | None:
        for (cc, pid, object_id), _ in self.received_locations.objects.items():
            owner = PartyKey.of(cc, pid)
            if object_id == location_id.upper() and self.config.in_agreement(owner, emsp):
                return owner
        return None

    async def send_command(
        self, emsp: BehindEmsp, command: str, body: Obj, *, cpo: PartyKey | None = None, wait: float | None = 2.0
    ) -> CommandOutcome:
        """A command of an eMSP behind the hub to a platform's CPO, with the hub's own
        response_url; STOP_SESSION ids and authorization references are mapped back/forth."""
        command = command.upper()
        reference = secrets.token_hex(12)
        out = dict(body)
        target = cpo
        if command == "STOP_SESSION":
            owner, own_id = self.ids.session_in(str(body.get("session_id")))
            out["session_id"] = own_id
            target = target or owner
        elif command == "START_SESSION":
            target = target or self._location_owner(str(body.get("location_id")), emsp.key)
            out["authorization_reference"] = self.ids.auth_ref_to_cpo(emsp.key, body.get("authorization_reference"))
        if target is None:
            return CommandOutcome(Reply(0, None, {}, 0.0, error="the hub cannot tell which CPO this is for"), None)
        out["response_url"] = f"{self.endpoint_url('commands', S)}/{command}/{reference}"
        self._commands[reference] = (emsp, command)
        reply = await self.deliver(target, "POST", "commands", R, command, from_=emsp.key, json=out)
        accepted = reply.ok and isinstance(reply.data, dict) and reply.data.get("result") == "ACCEPTED"
        result = await emsp.wait_result(reference, wait) if wait and accepted else emsp.results.get(reference)
        return CommandOutcome(reply, result)

    def command_result(self, reference: str, result: Obj) -> None:
        """A platform's CPO POSTed a CommandResult to the hub's response_url."""
        found = self._commands.get(reference)
        if found is None:
            raise NotFound("Unknown command reference")
        found[0].store_result(reference, result)

    async def authorize_at_platform(
        self, cpo: PartyKey, uid: str, token_type: str, references: Obj, *, to: PartyKey | None = None
    ) -> Reply:
        """A CPO behind the hub asks the token's eMSP on a platform; the AuthorizationInfo comes
        back with the hub's authorization_reference."""
        target = to
        if target is None:
            target = next(
                (
                    PartyKey.of(cc, pid)
                    for (cc, pid, found), _ in self.received_tokens.objects.items()
                    if found == uid.upper()
                ),
                None,
            )
        if target is None or not self.config.in_agreement(cpo, target):
            return Reply(0, None, {}, 0.0, error=f"token {uid} is not visible to {cpo}")
        reply = await self.deliver(
            target,
            "POST",
            "tokens",
            S,
            f"{uid}/authorize",
            from_=cpo,
            json=references,
            params={"type": token_type},
        )
        if reply.ok and isinstance(reply.data, dict) and reply.envelope is not None:
            data = dict(reply.data)
            data["authorization_reference"] = self.ids.auth_ref_to_cpo(target, data.get("authorization_reference"))
            reply = Reply(reply.http_status, {**reply.envelope, "data": data}, reply.headers, reply.elapsed_ms)
        return reply

    async def pull(
        self, platform: str, module: str, *, party: PartyKey, limit: int | None = None, max_pages: int = 100
    ) -> tuple[list[Obj], list[Reply]]:
        """GET a platform party's Sender list (FromIOP pull), following Link; a page without
        X-Total-Count (not paginated) ends the pull and its data is ignored."""
        connection = self.connection(platform)
        endpoint = connection.endpoints.get((module, "SENDER"))
        if endpoint is None:
            raise RegistrationFailed(f"{platform} has no {module} SENDER endpoint")
        url: str | None = endpoint
        params = {"limit": str(limit)} if limit else None
        objects: list[Obj] = []
        replies: list[Reply] = []
        while url is not None and len(replies) < max_pages:
            reply = await self._request(connection, "GET", url, to=party, from_=self.hub, params=params, module=module)
            replies.append(reply)
            if not reply.ok or not isinstance(reply.data, list) or "x-total-count" not in reply.headers:
                break
            objects += reply.data
            url, params = next_link(reply.headers.get("link")), None
        return objects, replies

    async def _request(
        self,
        connection: Connection,
        method: str,
        url: str,
        *,
        token: str | None = None,
        to: PartyKey | None = None,
        from_: PartyKey | None = None,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        module: str,
        request_id: str | None = None,
        correlation_id: str | None = None,
        note: str = "",
    ) -> Reply:
        headers = {
            "X-Request-ID": request_id or new_message_id(),
            "X-Correlation-ID": correlation_id or new_message_id(),
        }
        presented = token or connection.outbound_token
        if presented is not None:
            headers["Authorization"] = authorization_header(presented, TokenEncoding.BASE64)
        if to is not None:
            headers |= {"OCPI-to-country-code": to.country_code, "OCPI-to-party-id": to.party_id}
        if from_ is not None:
            headers |= {"OCPI-from-country-code": from_.country_code, "OCPI-from-party-id": from_.party_id}
        content = None
        if json is not None:
            content = orjson.dumps(json)
            headers["Content-Type"] = "application/json"
        entry = JournalEntry(
            self.journal.next_seq(),
            time.time(),
            "out",
            connection.name,
            method,
            url,
            module,
            request_headers={k.lower(): v for k, v in headers.items()},
            request_body=json,
            note=note,
        )
        started = time.time()
        try:
            response = await self._client.request(method, url, content=content, params=params, headers=headers)
        except httpx.HTTPError as exc:
            reply = Reply(0, None, {}, (time.time() - started) * 1000, error=f"{type(exc).__name__}: {exc}".strip())
        else:
            envelope = parse_envelope(response.content)
            error = None if envelope is not None else f"not an OCPI reply (HTTP {response.status_code})"
            reply = Reply(response.status_code, envelope, response.headers, (time.time() - started) * 1000, error)
            entry.url = str(response.request.url)
            entry.response_headers = {k.lower(): v for k, v in response.headers.items()}
        entry.http_status, entry.response_body, entry.error = reply.http_status, reply.envelope, reply.error
        self.journal.add(entry)
        return reply


def _module_of(parts: list[str]) -> str:
    if parts[:2] == ["ocpi", "versions"] or len(parts) == 2:
        return "versions"
    if len(parts) >= 3 and parts[2] == "credentials":
        return "credentials"
    if len(parts) >= 4 and parts[2] in ("sender", "receiver"):
        return parts[3]
    return "unknown"


def _envelope(answer: Answer, headers: Mapping[str, str]) -> Response:
    return Response(
        envelope_bytes(answer.data, status_code=answer.status_code, status_message=answer.status_message),
        status_code=answer.http_status,
        headers=dict(headers),
        media_type="application/json",
    )
