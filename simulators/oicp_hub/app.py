"""The simulated hub's HTTP side: the HBS paths of OICP 2.3 under a base (`/api/oicp`), every
request POST + JSON. Order of processing: journal, TLS/identity (client certificate common name,
or the `X-OICP-Partner` header in plain-HTTP mode), injected faults, rate limit (HTTP 429), path
ID = caller's ID (`017`), the operation's handler. Business outcomes are HTTP 200 with
`Result`/`AuthorizationStatus` and a StatusCode; unreadable JSON is HTTP 400."""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl

import orjson
from starlette.types import Receive, Scope, Send

from simulators.oicp_hub import data_ops, session_ops
from simulators.oicp_hub.codes import status
from simulators.oicp_hub.context import Call
from simulators.oicp_hub.ids import canonical
from simulators.oicp_hub.journal import Entry
from simulators.oicp_hub.parties import Partner
from simulators.oicp_hub.validation import OicpError

if TYPE_CHECKING:
    from simulators.oicp_hub.simulator import OicpHubSimulator

__all__ = ["OPERATIONS", "Operation", "OicpHubApp"]

Kind = Literal["ack", "authorization", "pull", "page"]
Handler = Callable[[Call], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    pattern: re.Pattern[str]
    role: Literal["operator", "provider"] | None  # whose ID the path carries
    kind: Kind  # shape of a negative answer
    rate_per_minute: int | None
    handler: Handler
    push: bool = False  # sequential-only push (overlaps are flagged)


def _op(name: str, path: str, kind: Kind, rate: int | None, handler: Handler, push: bool = False) -> Operation:
    role: Literal["operator", "provider"] | None = (
        "operator" if "{operator}" in path else "provider" if "{provider}" in path else None
    )
    regex = re.escape(path).replace(r"\{operator\}", "(?P<id>[^/]+)").replace(r"\{provider\}", "(?P<id>[^/]+)")
    return Operation(name, re.compile(f"^{regex}$"), role, kind, rate, handler, push)


OPERATIONS: tuple[Operation, ...] = (
    _op(
        "eRoamingPushEvseData",
        "/evsepush/v23/operators/{operator}/data-records",
        "ack",
        375,
        data_ops.push_evse_data,
        push=True,
    ),
    _op(
        "eRoamingPullEvseData", "/evsepull/v23/providers/{provider}/data-records", "page", 100, data_ops.pull_evse_data
    ),
    _op(
        "eRoamingPushEvseStatus",
        "/evsepush/v21/operators/{operator}/status-records",
        "ack",
        2000,
        data_ops.push_evse_status,
        push=True,
    ),
    _op(
        "eRoamingPullEvseStatus",
        "/evsepull/v21/providers/{provider}/status-records",
        "pull",
        6,
        data_ops.pull_evse_status,
    ),
    _op(
        "eRoamingPullEvseStatusById",
        "/evsepull/v21/providers/{provider}/status-records-by-id",
        "pull",
        300,
        data_ops.pull_evse_status_by_id,
    ),
    _op(
        "eRoamingPullEvseStatusByOperatorId",
        "/evsepull/v21/providers/{provider}/status-records-by-operator-id",
        "pull",
        75,
        data_ops.pull_evse_status_by_operator,
    ),
    _op(
        "eRoamingPushPricingProductData",
        "/dynamicpricing/v10/operators/{operator}/pricing-products",
        "ack",
        6,
        data_ops.push_pricing_products,
        push=True,
    ),
    _op(
        "eRoamingPushEVSEPricing",
        "/dynamicpricing/v10/operators/{operator}/evse-pricing",
        "ack",
        6,
        data_ops.push_evse_pricing,
        push=True,
    ),
    _op(
        "eRoamingPullPricingProductData",
        "/dynamicpricing/v10/providers/{provider}/pricing-products",
        "pull",
        300,
        data_ops.pull_pricing_products,
    ),
    _op(
        "eRoamingPullEVSEPricing",
        "/dynamicpricing/v10/providers/{provider}/evse-pricing",
        "pull",
        280,
        data_ops.pull_evse_pricing,
    ),
    _op(
        "eRoamingAuthorizeStart",
        "/charging/v21/operators/{operator}/authorize/start",
        "authorization",
        200,
        session_ops.authorize_start,
    ),
    _op(
        "eRoamingAuthorizeStop",
        "/charging/v21/operators/{operator}/authorize/stop",
        "authorization",
        50,
        session_ops.authorize_stop,
    ),
    _op(
        "eRoamingAuthorizeRemoteStart",
        "/charging/v21/providers/{provider}/authorize-remote/start",
        "ack",
        100,
        session_ops.remote_start,
    ),
    _op(
        "eRoamingAuthorizeRemoteStop",
        "/charging/v21/providers/{provider}/authorize-remote/stop",
        "ack",
        200,
        session_ops.remote_stop,
    ),
    _op(
        "eRoamingAuthorizeRemoteReservationStart",
        "/reservation/v11/providers/{provider}/reservation-start-request",
        "ack",
        None,
        session_ops.reservation_start,
    ),
    _op(
        "eRoamingAuthorizeRemoteReservationStop",
        "/reservation/v11/providers/{provider}/reservation-stop-request",
        "ack",
        None,
        session_ops.reservation_stop,
    ),
    _op(
        "eRoamingChargingNotifications",
        "/notificationmgmt/v11/charging-notifications",
        "ack",
        100,
        session_ops.charging_notification,
    ),
    _op(
        "eRoamingChargeDetailRecord",
        "/cdrmgmt/v22/operators/{operator}/charge-detail-record",
        "ack",
        350,
        session_ops.charge_detail_record,
    ),
    _op(
        "eRoamingGetChargeDetailRecords",
        "/cdrmgmt/v22/providers/{provider}/get-charge-detail-records-request",
        "page",
        200,
        session_ops.get_charge_detail_records,
    ),
    _op(
        "eRoamingPushAuthenticationData",
        "/authdata/v21/providers/{provider}/push-request",
        "ack",
        50,
        session_ops.push_authentication_data,
        push=True,
    ),
)


class _Answer(Exception):
    """Stop processing and answer this (HTTP status, JSON body, extra headers)."""

    def __init__(self, http_status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(http_status)
        self.http_status, self.body, self.headers = http_status, body, headers or {}


def negative(
    kind: Kind,
    code: str,
    additional_info: str | None = None,
    description: str | None = None,
    request: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The operation-shaped answer carrying a failure StatusCode (session IDs echoed)."""
    echo = {
        k: v
        for k, v in (request or {}).items()
        if k in ("SessionID", "CPOPartnerSessionID", "EMPPartnerSessionID") and isinstance(v, str)
    }
    code_object = status(code, additional_info, description)
    if kind == "authorization":
        return {**echo, "AuthorizationStatus": "NotAuthorized", "StatusCode": code_object}
    if kind == "page":
        return {
            "content": [],
            "number": 0,
            "size": 0,
            "totalElements": 0,
            "totalPages": 0,
            "first": True,
            "last": True,
            "numberOfElements": 0,
            "empty": True,
            "StatusCode": code_object,
        }
    if kind == "pull":
        return {"StatusCode": code_object}
    return {**echo, "Result": False, "StatusCode": code_object}


class OicpHubApp:
    """ASGI app; state and knobs live on the `OicpHubSimulator` it belongs to."""

    def __init__(self, sim: OicpHubSimulator) -> None:
        self.sim = sim
        self._calls: dict[tuple[str, str], deque[float]] = {}
        self._in_flight: dict[tuple[str, str], int] = {}
        self._applied: dict[tuple[str, str], asyncio.Event] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        raw = b"".join(chunks)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        raw_path = scope.get("raw_path") or scope["path"].encode()
        path_text = raw_path.decode("latin-1")
        try:
            body: Any = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            body = raw.decode("utf-8", "replace")
        operation, path_id = self._route(scope["path"])
        partner = self._identify(scope, headers)
        entry = self.sim.journal.open(
            "inbound",
            operation.name if operation else "unknown",
            scope["method"],
            path_text,
            partner.name if partner else None,
            headers,
            body,
        )
        key = (partner.name if partner else "?", operation.name if operation else "?")
        overlapping = operation is not None and operation.push and self._in_flight.get(key, 0) > 0
        if overlapping:
            entry.notes.append("overlapping push")
        self._in_flight[key] = self._in_flight.get(key, 0) + 1
        try:
            http_status, answer, extra = await self._process(
                scope, operation, path_id, partner, body, entry, overlapping
            )
        finally:
            self._in_flight[key] -= 1
        encoded = orjson.dumps(answer)
        out_headers = {"content-type": "application/json", **extra}
        self.sim.journal.close(entry, http_status, answer, headers=out_headers)
        await send(
            {
                "type": "http.response.start",
                "status": http_status,
                "headers": [(k.encode(), v.encode()) for k, v in out_headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": encoded})

    def _route(self, path: str) -> tuple[Operation | None, str | None]:
        base = self.sim.base_path.rstrip("/")
        if not path.startswith(base + "/"):
            return None, None
        rest = path[len(base) :]
        for operation in OPERATIONS:
            match = operation.pattern.match(rest)
            if match:
                return operation, match.groupdict().get("id")
        return None, None

    def _identify(self, scope: Scope, headers: dict[str, str]) -> Partner | None:
        if self.sim.tls is not None:
            client = scope.get("client")
            name = self.sim.server.peers.get(tuple(client)) if client else None
            return next((p for p in self.sim.partners if p.identity == name), None) if name else None
        wanted = headers.get(self.sim.identity_header.lower())
        if wanted is None:
            return self.sim.partners[0] if len(self.sim.partners) == 1 else None
        return next((p for p in self.sim.partners if wanted in (p.name, p.identity)), None)

    async def _process(
        self,
        scope: Scope,
        operation: Operation | None,
        path_id: str | None,
        partner: Partner | None,
        body: Any,
        entry: Entry,
        overlapping: bool,
    ) -> tuple[int, Any, dict[str, str]]:
        sim, faults = self.sim, self.sim.faults
        kind: Kind = operation.kind if operation else "ack"
        request = body if isinstance(body, dict) else None
        try:
            if sim.tls is not None and not sim.server.peers.get(tuple(scope.get("client") or ())):
                raise _Answer(400, {"message": "SSL certificate error"})
            if operation is None:
                raise _Answer(404, {"message": "no such OICP operation", "path": scope["path"]})
            if scope["method"] != "POST":
                raise _Answer(405, {"message": "OICP operations are POST"}, {"allow": "POST"})
            applies = faults.applies_to(operation.name)
            if applies and faults.tls_error:
                entry.notes.append("fault: tls error")
                raise _Answer(400, {"message": "SSL certificate error"})
            if applies and faults.too_many_requests:
                entry.notes.append("fault: 429")
                raise _Answer(429, {"message": "Too Many Requests"}, {"retry-after": str(faults.retry_after_seconds)})
            if applies and sim.fault_picker.server_error(faults):
                entry.notes.append("fault: 5xx")
                raise _Answer(500, negative(kind, "001"))
            if applies and faults.slow_seconds:
                entry.notes.append("fault: slow")
                await asyncio.sleep(faults.slow_seconds)
            if partner is None:
                raise _Answer(200, negative(kind, "017", "caller not identified as a hub partner"))
            self._rate_limit(partner, operation, entry)
            if request is None:
                raise _Answer(400, negative(kind, "022", "the body is not a JSON object"))
            if operation.role is not None:
                own = partner.operator_id if operation.role == "operator" else partner.provider_id
                if own is None or path_id is None or canonical(path_id) != canonical(own):
                    raise _Answer(200, negative(kind, "017", f"path ID {path_id!r} is not the caller's"))
            if applies and faults.status_code:
                entry.notes.append(f"fault: status {faults.status_code}")
                raise _Answer(200, negative(kind, faults.status_code, request=request))
            if operation.push and faults.overtaking:
                await self._overtake(partner, operation, overlapping)
            call = Call(
                sim, operation.name, partner, path_id, request, dict(parse_qsl(scope["query_string"].decode())), entry
            )
            try:
                answer = await operation.handler(call)
            except OicpError as error:
                raise _Answer(
                    error.http_status, negative(kind, error.code, error.additional_info, error.description, request)
                ) from None
            finally:
                if operation.push:
                    self._applied.setdefault((partner.name, operation.name), asyncio.Event()).set()
            return 200, answer, {}
        except _Answer as answer:
            return answer.http_status, answer.body, answer.headers

    def _rate_limit(self, partner: Partner, operation: Operation, entry: Entry) -> None:
        scale = self.sim.rate_limit_scale
        if scale is None or operation.rate_per_minute is None:
            return
        limit = max(1, int(operation.rate_per_minute * scale))
        calls = self._calls.setdefault((partner.name, operation.name), deque())
        now = time.monotonic()
        while calls and now - calls[0] > 60.0:
            calls.popleft()
        if len(calls) >= limit:
            entry.notes.append("rate limit")
            raise _Answer(
                429,
                {"message": f"rate limit of {limit} calls/min exceeded"},
                {"retry-after": str(int(60 - (now - calls[0])) + 1)},
            )
        calls.append(now)

    async def _overtake(self, partner: Partner, operation: Operation, overlapping: bool) -> None:
        """An earlier push waits (up to 1 s) for a later overlapping one to be applied first."""
        key = (partner.name, operation.name)
        if overlapping:
            return
        event = self._applied[key] = asyncio.Event()
        try:
            await asyncio.wait_for(event.wait(), self.sim.overtake_wait)
        except TimeoutError:
            pass
