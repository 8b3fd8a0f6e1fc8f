"""What the upstream hub does with a functional request from a connected platform: find the party
behind the hub it is for (TO in the `spec` profile; content and agreements otherwise: location
owner, token owner, the session's CPO, the CdrToken's eMSP), apply the quality gate, rewrite ids,
and answer for that party or hand the message to it (journaled as `internal`).

The hub's interfaces, from the platform's side: locations/tariffs/sessions/cdrs/tokens/commands
RECEIVER (the platform's CPO or eMSP pushes), locations/tariffs/tokens/sessions/cdrs SENDER (the
platform pulls; lists are paginated with the hub's caps), tokens SENDER `/{uid}/authorize`,
commands SENDER (CommandResults for the hub's own response_urls).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.datastructures import QueryParams

from hub.errors import (
    InvalidParameters,
    MethodNotAllowed,
    NotEnoughInformation,
    NotFound,
    ReceiverUnreachable,
    UnknownLocation,
    UnknownReceiver,
    UnknownToken,
)
from hub.ocpi.pagination import Page, PageRequest, parse_datetime
from hub.types import ConnectionStatus, InterfaceRole, PartyKey, Role
from simulators.platform import Answer
from simulators.upstream_hub.quality import connector_problems, evse_problems, location_problems, token_problems

if TYPE_CHECKING:
    from simulators.upstream_hub.core import Connection, UpstreamHub
    from simulators.upstream_hub.parties import BehindCpo, BehindEmsp

__all__ = ["Call", "Router", "page_of"]

Obj = dict[str, Any]
R, S = InterfaceRole.RECEIVER, InterfaceRole.SENDER
_FORWARDED_TARIFFS = frozenset({"REGULAR"})  # Gireve forwards B2B regular tariffs only
_STATUS_ONLY = frozenset({"status", "last_updated"})


@dataclass(frozen=True, slots=True)
class Call:
    """A functional request that passed authentication and header validation."""

    connection: Connection
    method: str
    module: str
    interface: InterfaceRole  # the hub's interface the platform addressed
    rest: list[str]
    query: QueryParams
    body: Any
    from_: PartyKey  # the platform's operator
    to: PartyKey | None  # a party behind the hub (spec profile), None: the hub decides
    correlation_id: str
    url: str  # without the query

    def obj(self) -> Obj:
        if not isinstance(self.body, dict):
            raise InvalidParameters(f"{self.method} needs a JSON object body")
        return self.body

    def owner_path(self, deepest: int) -> tuple[PartyKey, list[str]]:
        """The `{country_code}/{party_id}/{id}...` path of a Client Owned Object; the owner must
        be the FROM operator (Gireve: URLs carry the owner's cc/party_id)."""
        if not 3 <= len(self.rest) <= deepest:
            raise InvalidParameters(f"Expected /{{country_code}}/{{party_id}}/{{id}} for {self.module}")
        owner = PartyKey.of(self.rest[0], self.rest[1])
        if owner != self.from_:
            raise InvalidParameters(f"The object's owner {owner} is not the sender {self.from_}")
        return owner, [p.upper() if i < 2 else p for i, p in enumerate(self.rest)]


def _moment(obj: Obj) -> Any:
    return parse_datetime(str(obj.get("last_updated") or "1970-01-01T00:00:00Z"), "last_updated")


def page_of(objects: Iterable[Obj], query: QueryParams, cap: int, base_url: str) -> Answer:
    """One page of `objects` (oldest `last_updated` first) with the hub's cap: no `limit` or a
    larger one gets `cap` items, X-Total-Count, X-Limit, and Link while more remain."""
    request = PageRequest.parse(query, max_limit=cap)
    matching = sorted(
        (o for o in objects if request.admits(_moment(o))),
        key=lambda o: (_moment(o), str(o.get("country_code")), str(o.get("party_id")), str(o.get("id", o.get("uid")))),
    )
    chunk = matching[request.offset : request.offset + request.limit]
    return Answer(chunk, headers=Page(total=len(matching), request=request).headers(base_url, query))


class Router:
    """See the module docstring."""

    def __init__(self, hub: UpstreamHub) -> None:
        self.hub = hub
        self._handlers: dict[tuple[str, InterfaceRole], Callable[[Call], Awaitable[Answer]]] = {
            ("locations", R): self._push_location,
            ("tariffs", R): self._push_tariff,
            ("sessions", R): self._push_session,
            ("cdrs", R): self._push_cdr,
            ("tokens", R): self._push_token,
            ("commands", R): self._command,
            ("locations", S): self._pull_locations,
            ("tariffs", S): self._pull_tariffs,
            ("tokens", S): self._tokens,
            ("sessions", S): self._pull_sessions,
            ("cdrs", S): self._pull_cdrs,
            ("commands", S): self._command_result,
        }

    def interfaces(self) -> list[tuple[str, InterfaceRole]]:
        return list(self._handlers)

    async def handle(self, call: Call) -> Answer:
        handler = self._handlers.get((call.module, call.interface))
        if handler is None:
            raise NotFound(f"The hub has no {call.module} {call.interface.value} interface")
        return await handler(call)

    # --- choosing the party behind the hub -------------------------------------------------------------

    def _check_status(self, party: PartyKey, role: Role) -> None:
        status = self.hub.status_of(party, role)
        if status is not None and status is not ConnectionStatus.CONNECTED:
            raise ReceiverUnreachable(f"{party} is {status.value}")

    def _addressed_cpo(self, call: Call) -> BehindCpo | None:
        if call.to is None:
            return None
        cpo = self.hub.cpos.get(call.to)
        if cpo is None:
            raise UnknownReceiver(f"{call.to} is not a CPO behind the hub")
        self._check_status(cpo.key, Role.CPO)
        return cpo

    def _addressed_emsp(self, call: Call) -> BehindEmsp | None:
        if call.to is None:
            return None
        emsp = self.hub.emsps.get(call.to)
        if emsp is None:
            raise UnknownReceiver(f"{call.to} is not an eMSP behind the hub")
        self._check_status(emsp.key, Role.EMSP)
        return emsp

    def _visible_cpos(self, call: Call) -> list[BehindCpo]:
        addressed = self._addressed_cpo(call)
        if addressed is not None:
            return [addressed] if self.hub.config.in_agreement(addressed.key, call.from_) else []
        return [c for c in self.hub.cpos.values() if self.hub.config.in_agreement(c.key, call.from_)]

    def _visible_emsps(self, call: Call) -> list[BehindEmsp]:
        addressed = self._addressed_emsp(call)
        if addressed is not None:
            return [addressed] if self.hub.config.in_agreement(call.from_, addressed.key) else []
        return [e for e in self.hub.emsps.values() if self.hub.config.in_agreement(call.from_, e.key)]

    def _emsp_for(self, call: Call, obj: Obj) -> BehindEmsp:
        """The eMSP behind the hub a Session/CDR is for: TO, else its CdrToken's owner."""
        addressed = self._addressed_emsp(call)
        if addressed is not None:
            return addressed
        found = obj.get("cdr_token")
        token: Obj = found if isinstance(found, dict) else {}
        key = PartyKey.of(str(token.get("country_code", "")), str(token.get("party_id", "")))
        emsp = self.hub.emsps.get(key)
        if emsp is None or not self.hub.config.in_agreement(call.from_, key):
            raise UnknownReceiver(f"No eMSP {key} in agreement with {call.from_} behind the hub")
        return emsp

    def _reject(self, what: str, problems: list[str]) -> None:
        if problems and self.hub.config.gate:
            self.hub.rejected.append((what, problems))
            self.hub.journal.note(what.split(" ", 1)[0], "PUT", what, "rejected: " + "; ".join(problems))
            raise InvalidParameters("Quality gate: " + "; ".join(problems))

    def _forward(self, module: str, method: str, party: PartyKey, path: list[str], body: Any) -> None:
        self.hub.journal.note(module, method, f"{party} {'/'.join(path)}", f"forwarded to {party}", body)

    # --- pushes from the platforms' parties ------------------------------------------------------------

    async def _push_location(self, call: Call) -> Answer:
        store = self.hub.received_locations
        if call.method == "GET":
            if len(call.rest) < 3:
                raise InvalidParameters("GET /{country_code}/{party_id}/{location_id}")
            return Answer(store.get(call.rest))
        if call.method not in ("PUT", "PATCH"):
            raise MethodNotAllowed()
        owner, path = call.owner_path(5)
        body = call.obj()
        operator = call.connection.operator(owner)
        operator_ids = operator.operator_ids if operator is not None else ()
        what = f"locations {'/'.join(path)}"
        if call.method == "PUT":
            if len(path) == 3:
                self._reject(what, location_problems(body, operator_ids))
            elif len(path) == 4:
                self._reject(what, evse_problems(body, operator_ids))
            else:
                self._reject(what, connector_problems(body))
        elif len(path) == 4 and isinstance(body.get("evse_id"), str):
            self._reject(what, evse_problems({"capabilities": [], **body}, operator_ids))
        status = body.get("status")
        if len(path) == 4 and isinstance(status, str):
            new = self.hub.status_is_new(owner, path[2], path[3], status)
            if not new and call.method == "PATCH" and set(body) <= _STATUS_ONLY:
                self.hub.journal.note("locations", call.method, what, "deduped", body)
                return Answer()
        if call.method == "PUT":
            store.put(path, body)
        else:
            store.patch(path, body)
        delay = self.hub.config.integration_delay
        if call.method == "PUT" and len(path) == 3 and delay > 0:  # static data: after the quality process
            self.hub.spawn(self._integrate_later(call, path, body, delay), name="integrate")
        else:
            self._forward_location(call, path, body)
        return Answer()

    async def _integrate_later(self, call: Call, path: list[str], body: Obj, delay: float) -> None:
        await asyncio.sleep(delay)
        self._forward_location(call, path, body)

    def _forward_location(self, call: Call, path: list[str], body: Obj) -> None:
        for emsp in self._visible_emsps(call):
            sent = self.hub.ids.with_gireve_id("location", body) if len(path) == 3 else body
            try:
                if call.method == "PUT":
                    emsp.locations.put(path, dict(sent))
                else:
                    emsp.locations.patch(path, dict(sent))
            except (NotFound, InvalidParameters):
                continue  # the eMSP never got the location: it re-syncs from the hub's copy
            self._forward("locations", call.method, emsp.key, path, sent)

    async def _push_tariff(self, call: Call) -> Answer:
        store = self.hub.received_tariffs
        if call.method == "GET":
            return Answer(store.get(call.rest))
        owner, path = call.owner_path(3)
        if call.method == "DELETE":
            store.delete(path)
            for emsp in self._visible_emsps(call):
                if emsp.tariffs.find(*path) is not None:
                    emsp.tariffs.delete(path)
                    self._forward("tariffs", "DELETE", emsp.key, path, None)
            return Answer()
        if call.method != "PUT":
            raise MethodNotAllowed()
        body = call.obj()
        store.put(path, body)
        if str(body.get("type") or "REGULAR") not in _FORWARDED_TARIFFS:
            self.hub.journal.note("tariffs", "PUT", "/".join(path), "not forwarded: not a B2B regular tariff", body)
            return Answer()
        for emsp in self._visible_emsps(call):
            emsp.tariffs.put(path, self.hub.ids.with_gireve_id("tariff", body))
            self._forward("tariffs", "PUT", emsp.key, path, body)
        return Answer()

    async def _push_session(self, call: Call) -> Answer:
        owner, path = call.owner_path(3)
        if call.method == "PATCH" and not self.hub.config.accepts_session_patch:
            raise MethodNotAllowed("PATCH Sessions is not supported by the hub: PUT the whole Session")
        if call.method not in ("PUT", "PATCH"):
            raise MethodNotAllowed()
        body = call.obj()
        emsp: BehindEmsp | None
        if call.method == "PUT":
            emsp = self._emsp_for(call, body)
            sent = self.hub.ids.session_to_emsp(owner, {**body, "id": path[2]})
            hub_path = [path[0], path[1], str(sent["id"])]
            emsp.sessions.put(hub_path, sent)
        else:
            hub_path = [path[0], path[1], self.hub.ids.session_out(owner, path[2])]
            emsp = next((e for e in self.hub.emsps.values() if e.sessions.find(*hub_path) is not None), None)
            if emsp is None:
                raise NotFound("Unknown session")
            sent = dict(body)
            if sent.get("authorization_reference") is not None:
                sent["authorization_reference"] = self.hub.ids.auth_ref_to_emsp(str(sent["authorization_reference"]))
            emsp.sessions.patch(hub_path, sent)
        self._forward("sessions", call.method, emsp.key, hub_path, sent)
        return Answer()

    async def _push_cdr(self, call: Call) -> Answer:
        if call.method == "GET":
            found = self.hub.received_cdrs.get(tuple(p.upper() for p in call.rest))  # type: ignore[arg-type]
            if found is None:
                raise NotFound("Unknown CDR")
            return Answer(found)
        if call.method != "POST" or call.rest:
            raise MethodNotAllowed()
        body = call.obj()
        owner = PartyKey.of(str(body.get("country_code", "")), str(body.get("party_id", "")))
        if owner != call.from_:
            raise InvalidParameters(f"The CDR's owner {owner} is not the sender {call.from_}")
        emsp = self._emsp_for(call, body)
        key = (owner.country_code, owner.party_id, str(body.get("id", "")).upper())
        self.hub.received_cdrs[key] = body
        sent = self.hub.ids.cdr_to_emsp(owner, body)
        emsp.cdrs.append(sent)
        self._forward("cdrs", "POST", emsp.key, list(key), sent)
        return Answer(http_status=201, headers={"Location": f"{call.url}/{'/'.join(key)}"})

    async def _push_token(self, call: Call) -> Answer:
        store = self.hub.received_tokens
        if call.method == "GET":
            return Answer(store.get(call.rest))
        if call.method not in ("PUT", "PATCH"):
            raise MethodNotAllowed()
        _, path = call.owner_path(3)
        body = call.obj()
        if call.method == "PUT":
            self._reject(f"tokens {'/'.join(path)}", token_problems({"type": call.query.get("type", "RFID"), **body}))
            store.put(path, body)
        else:
            store.patch(path, body)
        for cpo in self._visible_cpos(call):
            try:
                if call.method == "PUT":
                    cpo.tokens.put(path, dict(body))
                else:
                    cpo.tokens.patch(path, dict(body))
            except NotFound:
                continue
            self._forward("tokens", call.method, cpo.key, path, body)
        return Answer()

    # --- commands from the platforms' eMSPs ----------------------------------------------------------

    async def _command(self, call: Call) -> Answer:
        if call.method != "POST" or len(call.rest) != 1:
            raise MethodNotAllowed("POST {commands}/{command}")
        command = call.rest[0].upper()
        body = call.obj()
        response_url = body.get("response_url")
        if not isinstance(response_url, str) or not response_url:
            raise InvalidParameters("response_url is required")
        if command not in ("START_SESSION", "STOP_SESSION"):
            return Answer({"result": "NOT_SUPPORTED", "timeout": 0, "message": [_text("Not supported by the hub")]})
        forwarded = dict(body)
        cpo: BehindCpo | None
        if command == "START_SESSION":
            cpo = self._cpo_of_location(call, str(body.get("location_id")))
            forwarded["authorization_reference"] = self.hub.ids.auth_ref_to_cpo(
                call.from_, body.get("authorization_reference")
            )
        else:
            owner, own_id = self.hub.ids.session_in(str(body.get("session_id")))
            forwarded["session_id"] = own_id
            cpo = self._addressed_cpo(call) or (self.hub.cpos.get(owner) if owner else None)
            if cpo is None:
                cpo = next((c for c in self.hub.cpos.values() if own_id in c.sessions), None)
            if cpo is None:
                return Answer({"result": "UNKNOWN_SESSION", "timeout": 0})
        self._forward("commands", "POST", cpo.key, [command], forwarded)
        response, result = cpo.command(command, forwarded, call.from_)
        if result is not None:
            self.hub.spawn(self._send_result(call, cpo, command, forwarded, response_url, result), name="result")
        return Answer(response)

    def _cpo_of_location(self, call: Call, location_id: str) -> BehindCpo:
        for cpo in self._visible_cpos(call):
            if location_id in cpo.locations:
                return cpo
        raise UnknownLocation(f"No CPO in agreement with {call.from_} has location {location_id}")

    async def _send_result(
        self, call: Call, cpo: BehindCpo, command: str, body: Obj, response_url: str, result: Obj
    ) -> None:
        await asyncio.sleep(self.hub.config.command_result_delay)
        await self.hub.deliver(
            call.from_,
            "POST",
            "commands",
            S,
            from_=cpo.key,
            json=result,
            correlation_id=call.correlation_id,
            url=response_url,
        )
        await cpo.after_command(command, body)

    async def _command_result(self, call: Call) -> Answer:
        if call.method != "POST" or len(call.rest) != 2:
            raise MethodNotAllowed("POST {response_url}")
        result = call.obj()
        if "result" not in result:
            raise InvalidParameters("A CommandResult needs `result`")
        self.hub.command_result(call.rest[1], result)
        return Answer()

    # --- pulls by the platforms' parties --------------------------------------------------------------

    def _list_or_one(self, call: Call, objects: list[Obj], cap_module: str) -> Answer:
        if call.method != "GET":
            raise MethodNotAllowed()
        if not call.rest:
            return page_of(objects, call.query, self.hub.config.cap(cap_module), call.url)
        found = next((o for o in objects if str(o.get("id")) == call.rest[0]), None)
        if found is None:
            raise NotFound(f"Unknown {call.module} object {call.rest[0]}")
        if call.module == "locations" and len(call.rest) > 1:
            evse = next((e for e in found.get("evses") or [] if e.get("uid") == call.rest[1]), None)
            if evse is None:
                raise NotFound("Unknown EVSE")
            if len(call.rest) == 2:
                return Answer(evse)
            connector = next((c for c in evse.get("connectors") or [] if c.get("id") == call.rest[2]), None)
            if connector is None:
                raise NotFound("Unknown connector")
            return Answer(connector)
        return Answer(found)

    async def _pull_locations(self, call: Call) -> Answer:
        objects = [
            self.hub.ids.with_gireve_id("location", o) for c in self._visible_cpos(call) for o in c.locations.values()
        ]
        return self._list_or_one(call, objects, "locations")

    async def _pull_tariffs(self, call: Call) -> Answer:
        objects = [
            self.hub.ids.with_gireve_id("tariff", o) for c in self._visible_cpos(call) for o in c.tariffs.values()
        ]
        return self._list_or_one(call, objects, "tariffs")

    async def _pull_sessions(self, call: Call) -> Answer:
        objects = [
            self.hub.ids.session_to_emsp(c.key, s)
            for c in self._visible_cpos(call)
            for s in c.sessions.values()
            if PartyKey.of(s["cdr_token"]["country_code"], s["cdr_token"]["party_id"]) == call.from_
        ]
        return self._list_or_one(call, objects, "sessions")

    async def _pull_cdrs(self, call: Call) -> Answer:
        objects = [
            c
            for c in self.hub.cdrs_sent
            if PartyKey.of(c["cdr_token"]["country_code"], c["cdr_token"]["party_id"]) == call.from_
        ]
        return self._list_or_one(call, objects, "cdrs")

    async def _tokens(self, call: Call) -> Answer:
        if call.method == "POST" and len(call.rest) == 2 and call.rest[1] == "authorize":
            return self._authorize(call, call.rest[0])
        if call.method != "GET" or call.rest:
            raise MethodNotAllowed()
        objects = [t for e in self._visible_emsps(call) for t in e.tokens.values()]
        return page_of(objects, call.query, self.hub.config.cap("tokens"), call.url)

    def _authorize(self, call: Call, uid: str) -> Answer:
        """Real-time authorization: LocationReferences with a location are required; the hub
        picks one EVSE and replaces the eMSP's authorization_reference by its own."""
        references = call.body if isinstance(call.body, dict) else {}
        if not isinstance(references.get("location_id"), str):
            raise NotEnoughInformation("LocationReferences with a location_id are required")
        token_type = call.query.get("type", "RFID")
        chosen: Obj = {"location_id": references["location_id"]}
        evse_uids = references.get("evse_uids")
        if isinstance(evse_uids, list) and evse_uids:
            chosen["evse_uids"] = [evse_uids[0]]
        for emsp in self._visible_emsps(call):
            info = emsp.authorize(uid, token_type, chosen)
            if info is not None:
                self._forward("tokens", "POST", emsp.key, [uid, "authorize"], chosen)
                out = dict(info)
                out["authorization_reference"] = self.hub.ids.auth_ref_to_cpo(emsp.key, info["authorization_reference"])
                return Answer(out)
        raise UnknownToken(f"Unknown token {uid}")


def _text(text: str) -> Obj:
    return {"language": "en", "text": text}
