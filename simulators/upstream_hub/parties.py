"""The parties behind the simulated upstream hub: in-process CPOs and eMSPs that answer what the
connected platforms ask and that tests drive to send traffic toward those platforms.

    cpo = hub.cpo("FR", "CP1")
    await cpo.push_evse_status("LOC00001", "LOC00001-1", "CHARGING")
    session = cpo.open_session(token, location_id="LOC00001", evse_uid="LOC00001-1")
    await cpo.push_session(session["id"], kwh=3.2)
    await cpo.push_cdr(session["id"])
    reply = await cpo.authorize(uid, location_id="LOC00001")

    emsp = hub.emsp("FR", "MS1")
    outcome = await emsp.start_session(location_id="LOC1", evse_uid="EVSE1", cpo=PartyKey.of("NL", "CPO"))
    outcome = await emsp.stop_session(session_id)        # the id the eMSP received (hub's id)
    await emsp.push_token(uid)

Every push goes through the hub's delivery (`UpstreamHub.deliver`), so ids are rewritten,
EVSE statuses deduped, agreements honoured and everything journaled.
"""

from __future__ import annotations

import asyncio
import itertools
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hub.errors import InvalidParameters, UnknownLocation
from hub.ocpi.headers import new_message_id
from hub.types import InterfaceRole, PartyKey
from simulators.data import make_locations, make_tariffs, stamp
from simulators.emsp import CommandOutcome
from simulators.objects import ReceivedObjects
from simulators.platform import Reply
from simulators.upstream_hub.config import CpoSpec, EmspSpec

if TYPE_CHECKING:
    from simulators.upstream_hub.core import UpstreamHub

__all__ = ["BehindCpo", "BehindEmsp"]

Obj = dict[str, Any]
R, S = InterfaceRole.RECEIVER, InterfaceRole.SENDER


def _owner(key: PartyKey) -> Obj:
    return {"country_code": key.country_code, "party_id": key.party_id}


class BehindCpo:
    """A CPO operation behind the hub (eMI3 operator id `CC*PID`)."""

    def __init__(self, hub: UpstreamHub, spec: CpoSpec) -> None:
        self.hub = hub
        self.key = spec.key
        self.name = spec.name or f"Upstream CPO {self.key}"
        self.operator_id = f"{self.key.country_code}*{self.key.party_id}"
        self.locations: dict[str, Obj] = {}
        self.tariffs: dict[str, Obj] = {t["id"]: t for t in make_tariffs(self.key)}
        for location in make_locations(
            self.key, evses=spec.locations * spec.evses_per_location, evses_per_location=spec.evses_per_location
        ):
            location["owner"] = {"name": self.name}
            location["operator"] = {"name": self.name}
            self.locations[location["id"]] = location
        self.sessions: dict[str, Obj] = {}  # by the CPO's own session id
        self.cdrs: dict[str, Obj] = {}
        self.tokens = ReceivedObjects("tokens")  # tokens platforms pushed to this CPO
        self.commands: list[Obj] = []  # command bodies received, as the CPO saw them
        self.auto_session = True  # START/STOP_SESSION push the Session (and CDR) by themselves
        self.command_results: dict[str, str] = {}  # command -> forced CommandResult result
        self._numbers = itertools.count(1)

    # --- data --------------------------------------------------------------------------------

    def location(self, location_id: str) -> Obj:
        found = self.locations.get(location_id)
        if found is None:
            raise UnknownLocation(f"{self.key} has no location {location_id}")
        return found

    def evse(self, location_id: str, evse_uid: str) -> Obj:
        for evse in self.location(location_id)["evses"]:
            if evse["uid"] == evse_uid:
                return dict(evse)
        raise UnknownLocation(f"{self.key} location {location_id} has no EVSE {evse_uid}")

    def _location_url(self, *ids: str) -> str:
        return "/".join([self.key.country_code, self.key.party_id, *ids])

    # --- pushes toward the platforms -----------------------------------------------------------

    async def push_location(self, location_id: str, *, to: Sequence[PartyKey] | None = None) -> list[Reply]:
        """PUT the whole Location (with `gireve_id`) to the contracted eMSPs (or `to`)."""
        location = self.location(location_id)
        body = self.hub.ids.with_gireve_id("location", location)
        return await self.hub.broadcast(self.key, "locations", "PUT", self._location_url(location_id), body, to=to)

    async def push_evse_status(
        self, location_id: str, evse_uid: str, status: str, *, to: Sequence[PartyKey] | None = None
    ) -> list[Reply]:
        """PATCH an EVSE's status; the same status as last time is not forwarded (deduped)."""
        for evse in self.location(location_id)["evses"]:
            if evse["uid"] == evse_uid:
                evse["status"] = status
                evse["last_updated"] = stamp()
                break
        else:
            raise UnknownLocation(f"unknown EVSE {evse_uid}")
        rest = self._location_url(location_id, evse_uid)
        if not self.hub.status_is_new(self.key, location_id, evse_uid, status):
            self.hub.journal.note("locations", "PATCH", rest, "deduped", {"status": status})
            return []
        body = {"status": status, "last_updated": stamp()}
        return await self.hub.broadcast(self.key, "locations", "PATCH", rest, body, to=to)

    async def push_tariff(self, tariff_id: str, *, to: Sequence[PartyKey] | None = None) -> list[Reply]:
        tariff = self.tariffs[tariff_id]
        body = self.hub.ids.with_gireve_id("tariff", tariff)
        rest = self._location_url(tariff_id)
        return await self.hub.broadcast(self.key, "tariffs", "PUT", rest, body, to=to)

    def open_session(
        self,
        token: Obj,
        *,
        location_id: str,
        evse_uid: str,
        connector_id: str | None = None,
        authorization_reference: str | None = None,
        auth_method: str = "AUTH_REQUEST",
    ) -> Obj:
        """A new ACTIVE session (not pushed yet) for `token` (a Token or CdrToken) at an EVSE."""
        evse = self.evse(location_id, evse_uid)
        now = stamp()
        session: Obj = {
            **_owner(self.key),
            "id": f"{self.key.party_id}-S{next(self._numbers):05d}",
            "start_date_time": now,
            "kwh": 0.0,
            "cdr_token": {
                "country_code": token["country_code"],
                "party_id": token["party_id"],
                "uid": token["uid"],
                "type": token.get("type", "RFID"),
                "contract_id": token.get("contract_id", token["uid"]),
            },
            "auth_method": auth_method,
            "location_id": location_id,
            "evse_uid": evse_uid,
            "connector_id": connector_id or evse["connectors"][0]["id"],
            "currency": "EUR",
            "status": "ACTIVE",
            "last_updated": now,
        }
        if authorization_reference is not None:
            session["authorization_reference"] = authorization_reference
        self.sessions[session["id"]] = session
        return session

    def _emsp_of(self, obj: Obj) -> PartyKey:
        token = obj.get("cdr_token") or {}
        return PartyKey.of(str(token.get("country_code", "")), str(token.get("party_id", "")))

    async def push_session(self, session_id: str, *, to: PartyKey | None = None, **changes: Any) -> list[Reply]:
        """PUT the Session (after applying `changes`) to its token's eMSP (or `to`), the
        session id and authorization reference rewritten per the id mode."""
        session = self.sessions[session_id]
        session.update(changes, last_updated=stamp())
        body = self.hub.ids.session_to_emsp(self.key, session)
        target = [to or self._emsp_of(session)]
        return await self.hub.broadcast(self.key, "sessions", "PUT", self._location_url(body["id"]), body, to=target)

    async def patch_session(self, session_id: str, *, to: PartyKey | None = None, **changes: Any) -> list[Reply]:
        session = self.sessions[session_id]
        session.update(changes, last_updated=stamp())
        rest = self._location_url(self.hub.ids.session_out(self.key, session_id))
        body = {**changes, "last_updated": session["last_updated"]}
        return await self.hub.broadcast(self.key, "sessions", "PATCH", rest, body, to=[to or self._emsp_of(session)])

    def make_cdr(self, session_id: str) -> Obj:
        session = self.sessions[session_id]
        location = self.location(str(session["location_id"]))
        evse = self.evse(str(session["location_id"]), str(session["evse_uid"]))
        connector = evse["connectors"][0]
        end = stamp()
        kwh = float(session.get("kwh") or 0.0)
        cdr: Obj = {
            **_owner(self.key),
            "id": f"CDR-{session_id}",
            "start_date_time": session["start_date_time"],
            "end_date_time": end,
            "session_id": session_id,
            "cdr_token": session["cdr_token"],
            "auth_method": session["auth_method"],
            "cdr_location": {
                "id": location["id"],
                "address": location["address"],
                "city": location["city"],
                "country": location["country"],
                "coordinates": location["coordinates"],
                "evse_uid": evse["uid"],
                "evse_id": evse["evse_id"],
                "connector_id": connector["id"],
                "connector_standard": connector["standard"],
                "connector_format": connector["format"],
                "connector_power_type": connector["power_type"],
            },
            "currency": "EUR",
            "charging_periods": [{"start_date_time": session["start_date_time"], "dimensions": []}],
            "total_cost": {"excl_vat": round(0.25 * kwh, 2)},
            "total_energy": kwh,
            "total_time": 0.5,
            "last_updated": end,
        }
        cdr["charging_periods"][0]["dimensions"].append({"type": "ENERGY", "volume": kwh})
        if session.get("authorization_reference") is not None:
            cdr["authorization_reference"] = session["authorization_reference"]
        return cdr

    async def push_cdr(self, session_id: str, *, to: PartyKey | None = None, **changes: Any) -> list[Reply]:
        """POST the session's CDR (built from the session, then `changes`) to its eMSP."""
        cdr = {**self.make_cdr(session_id), **changes}
        self.cdrs[cdr["id"]] = cdr
        body = self.hub.ids.cdr_to_emsp(self.key, cdr)
        self.hub.cdrs_sent.append(body)
        return await self.hub.broadcast(self.key, "cdrs", "POST", "", body, to=[to or self._emsp_of(cdr)])

    async def authorize(
        self,
        uid: str,
        *,
        location_id: str,
        evse_uids: Sequence[str] | None = None,
        token_type: str = "RFID",
        to: PartyKey | None = None,
    ) -> Reply:
        """Real-time authorization at the token's eMSP on a platform (found from the tokens
        pushed to the hub, or `to`); the reply's authorization_reference is the hub's."""
        references: Obj = {"location_id": location_id}
        if evse_uids:
            references["evse_uids"] = list(evse_uids)
        return await self.hub.authorize_at_platform(self.key, uid, token_type, references, to=to)

    # --- commands from the platforms -----------------------------------------------------------

    def command(self, command: str, body: Obj, emsp: PartyKey) -> tuple[Obj, Obj | None]:
        """(the CommandResponse, the CommandResult to send later or None) for a command."""
        self.commands.append({"command": command, **body})
        forced = self.command_results.get(command)
        if command == "START_SESSION":
            token, location_id = body.get("token"), body.get("location_id")
            if not isinstance(token, dict) or not isinstance(location_id, str):
                raise InvalidParameters("StartSession needs token and location_id")
            location = self.location(location_id)
            evse_uid = body.get("evse_uid") or location["evses"][0]["uid"]
            self.evse(location_id, str(evse_uid))
            if forced is None:
                self.open_session(
                    token,
                    location_id=location_id,
                    evse_uid=str(evse_uid),
                    connector_id=body.get("connector_id"),
                    authorization_reference=body.get("authorization_reference"),
                    auth_method="COMMAND",
                )
            return {"result": "ACCEPTED", "timeout": 30}, {"result": forced or "ACCEPTED"}
        if command == "STOP_SESSION":
            session = self.sessions.get(str(body.get("session_id")))
            if session is None:
                return {"result": "UNKNOWN_SESSION", "timeout": 0}, None
            if forced is None:
                session["status"] = "COMPLETED"
                session["end_date_time"] = stamp()
            return {"result": "ACCEPTED", "timeout": 30}, {"result": forced or "ACCEPTED"}
        return {"result": "NOT_SUPPORTED", "timeout": 0}, None

    def last_session(self) -> Obj | None:
        return next(reversed(self.sessions.values()), None)

    async def after_command(self, command: str, body: Obj) -> None:
        """What the charge point does once the result is out (with `auto_session`)."""
        if not self.auto_session or self.command_results.get(command):
            return
        if command == "START_SESSION":
            session = self.last_session()
            if session is not None:
                await self.push_session(session["id"], kwh=0.0)
        elif command == "STOP_SESSION":
            session_id = str(body.get("session_id"))
            await self.push_session(session_id, kwh=float(self.sessions[session_id].get("kwh") or 0.0) + 5.0)
            await self.push_cdr(session_id)


def _rfid_uid(key: PartyKey, number: int) -> str:
    """A 7-byte RFID UID in upper-case hex (14 characters), as Gireve wants them."""
    return f"{zlib.crc32(f'{key}:{number}'.encode()):08X}{number:06X}"


class BehindEmsp:
    """An eMSP behind the hub: RFID tokens, and what platforms' CPOs sent it."""

    def __init__(self, hub: UpstreamHub, spec: EmspSpec) -> None:
        self.hub = hub
        self.key = spec.key
        self.name = spec.name or f"Upstream eMSP {self.key}"
        self.tokens: dict[str, Obj] = {}
        base = datetime(2025, 1, 1, tzinfo=UTC)
        for number in range(1, spec.tokens + 1):
            uid = _rfid_uid(self.key, number)
            self.tokens[uid] = {
                **_owner(self.key),
                "uid": uid,
                "type": "RFID",
                "contract_id": f"{self.key.country_code}-{self.key.party_id}-C{number:08d}",
                "issuer": self.name,
                "valid": True,
                "whitelist": "ALLOWED",
                "last_updated": stamp(base.replace(second=number % 60)),
            }
        self.locations = ReceivedObjects("locations")
        self.tariffs = ReceivedObjects("tariffs")
        self.sessions = ReceivedObjects("sessions")
        self.cdrs: list[Obj] = []
        self.results: dict[str, Obj] = {}  # response_url reference -> CommandResult
        self.authorizations: list[Obj] = []  # AuthorizationInfo this eMSP answered
        self._waiting: dict[str, asyncio.Future[Obj]] = {}

    def token(self, uid: str) -> Obj | None:
        return self.tokens.get(uid) or next((t for t in self.tokens.values() if t["uid"].upper() == uid.upper()), None)

    def driver_token(self) -> Obj:
        return next(t for t in self.tokens.values() if t["valid"])

    async def push_token(self, uid: str, *, to: Sequence[PartyKey] | None = None) -> list[Reply]:
        """PUT one token to the contracted CPOs on the platforms (or `to`)."""
        token = self.tokens[uid]
        rest = f"{self.key.country_code}/{self.key.party_id}/{uid}"
        return await self.hub.broadcast(self.key, "tokens", "PUT", rest, token, to=to, params={"type": token["type"]})

    def authorize(self, uid: str, token_type: str, references: Obj) -> Obj | None:
        """AuthorizationInfo for a platform CPO's request, None for an unknown token."""
        token = self.token(uid)
        if token is None or token.get("type") != token_type:
            return None
        info: Obj = {
            "allowed": "ALLOWED" if token["valid"] else "BLOCKED",
            "token": token,
            "authorization_reference": new_message_id()[:36],
            "location": references,
        }
        self.authorizations.append(info)
        return info

    async def start_session(
        self,
        *,
        location_id: str,
        evse_uid: str | None = None,
        connector_id: str | None = None,
        token: Obj | None = None,
        cpo: PartyKey | None = None,
        authorization_reference: str | None = None,
        wait: float | None = 2.0,
    ) -> CommandOutcome:
        """START_SESSION at a platform's CPO (`cpo`, else the owner of the location as pushed to
        the hub); the response_url is the hub's own; with `wait`, wait for the CommandResult."""
        body: Obj = {"token": token or self.driver_token(), "location_id": location_id}
        if evse_uid is not None:
            body["evse_uid"] = evse_uid
        if connector_id is not None:
            body["connector_id"] = connector_id
        body["authorization_reference"] = authorization_reference or new_message_id()[:36]
        return await self.hub.send_command(self, "START_SESSION", body, cpo=cpo, wait=wait)

    async def stop_session(
        self, session_id: str, *, cpo: PartyKey | None = None, wait: float | None = 2.0
    ) -> CommandOutcome:
        """STOP_SESSION for a session id this eMSP received (the hub maps it back to the CPO's)."""
        return await self.hub.send_command(self, "STOP_SESSION", {"session_id": session_id}, cpo=cpo, wait=wait)

    async def command(
        self, command: str, body: Obj, *, cpo: PartyKey | None = None, wait: float | None = 2.0
    ) -> CommandOutcome:
        return await self.hub.send_command(self, command, body, cpo=cpo, wait=wait)

    def store_result(self, reference: str, result: Obj) -> None:
        """A CommandResult a platform's CPO POSTed to the hub's response_url for this eMSP."""
        self.results[reference] = result
        waiting = self._waiting.pop(reference, None)
        if waiting is not None and not waiting.done():
            waiting.set_result(result)

    async def wait_result(self, reference: str, timeout: float = 2.0) -> Obj | None:
        """The CommandResult for `reference` (None after `timeout`)."""
        if reference in self.results:
            return self.results[reference]
        future = self._waiting.setdefault(reference, asyncio.get_running_loop().create_future())
        try:
            async with asyncio.timeout(timeout):
                return await asyncio.shield(future)
        except TimeoutError:
            return None
