"""A simulated CPO: locations with EVSEs and connectors, tariffs, sessions and CDRs, and the
charge points behind them.

    cpo = SimulatedCpo(country_code="NL", party_id="CPO", evses=10_000)
    await cpo.start()                                  # uvicorn on 127.0.0.1:<free port>
    await cpo.register(hub_versions_url, token_a)      # credentials handshake with the hub
    await cpo.publish_tariffs(); await cpo.publish_locations()     # PUT to publish_to (or broadcast)

Interfaces (mod_*.asciidoc "Interfaces"): locations, sessions, cdrs and tariffs SENDER (GET of
one object, paginated lists), sessions `PUT /{id}/charging_preferences`; tokens, commands,
chargingprofiles and hubclientinfo RECEIVER.

Charge points: START_SESSION (CommandResponse at once, CommandResult to the response_url after
`command_delay`, then the session), STOP_SESSION, UNLOCK_CONNECTOR, RESERVE_NOW and
CANCEL_RESERVATION. A running session changes the EVSE status (PATCH), PUTs the Session, PATCHes
it with a charging period at every meter value (every `tick_seconds`, covering
`tick_seconds * time_scale` simulated seconds), and on stop PATCHes it COMPLETED, frees the EVSE
and POSTs a CDR priced by the connector's tariff (`simulators.pricing`) to the token's eMSP.
A token presented at a charge point (`charge_with_token`) is authorized in real time at its eMSP
(tokens SENDER `POST /{uid}/authorize`) unless the CPO holds it with whitelist ALWAYS.

With `time_scale > 1` a session's simulated times run ahead of the clock (a demo charges for
45 simulated minutes in a few seconds); `last_updated` is always the real time.

Editions (`version=`): a 2.3.0 CPO is the 2.2.1 one with 2.3.0 objects (Price with taxes, Tariff
tax_included, Parking). A 2.1.1 CPO (`SimulatedCpo(version="2.1.1")`) has no chargingprofiles,
sends 2.1.1 objects (`simulators.editions`), pushes each object once (the hub, not an OCPI-to
header, picks the receivers), answers commands with CommandResponse {result} and POSTs the
result as a CommandResponse too; CANCEL_RESERVATION does not exist in 2.1.1 (NOT_SUPPORTED).
Without routing headers every 2.1.1 command comes from the hub's party.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from hub.errors import InvalidParameters, MethodNotAllowed, NotFound, UnknownLocation
from hub.types import InterfaceRole, PartyKey
from simulators import editions
from simulators.data import connector_tariff_id, make_locations, make_tariffs, max_power_kw, stamp
from simulators.faults import Faults
from simulators.journal import Observer
from simulators.objects import Collection, Obj, ReceivedObjects
from simulators.platform import V211, VERSION, Answer, Inbound, OcpiPlatform, Party, Reply
from simulators.pricing import Costs, price_object, price_session

__all__ = ["ChargingSession", "EvseBusy", "SimulatedCpo"]

R, S = InterfaceRole.RECEIVER, InterfaceRole.SENDER
_HUB = PartyKey.of("ZZ", "HUB")  # who asks a 2.1.1 CPO when the hub did not say its party


class EvseBusy(Exception):
    """The EVSE cannot start a session now (charging, reserved by someone else, inoperative)."""


@dataclass
class ChargingSession:
    """A session running at one of the CPO's connectors."""

    session: Obj
    emsp: PartyKey
    location: Obj
    evse: Obj
    connector: Obj
    tariff: Obj | None
    power_kw: float
    period: timedelta  # simulated time one meter value covers
    started: datetime
    stop_requested: asyncio.Event = field(default_factory=asyncio.Event)
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    cdr: Obj | None = None
    periods: int = 0

    @property
    def id(self) -> str:
        return str(self.session["id"])


class SimulatedCpo(OcpiPlatform):
    """See the module docstring."""

    def __init__(
        self,
        *,
        country_code: str = "NL",
        party_id: str = "CPO",
        name: str | None = None,
        evses: int = 20,
        evses_per_location: int = 4,
        seed: int = 0,
        publish_to: Sequence[PartyKey] | None = None,
        tick_seconds: float = 1.0,
        time_scale: float = 1.0,
        car_power_kw: float | None = None,
        auto_stop_periods: int | None = None,
        command_delay: float = 0.1,
        faults: Faults | None = None,
        page_limit: int = 100,
        client: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
        observer: Observer | None = None,
        version: str = VERSION,
    ) -> None:
        party = Party.of("CPO", country_code, party_id, name)
        super().__init__(
            name=name or f"cpo-{party.key.country_code}-{party.key.party_id}".lower(),
            parties=[party],
            faults=faults,
            page_limit=page_limit,
            client=client,
            timeout=timeout,
            observer=observer,
            seed=seed,
            version=version,
        )
        self.publish_to = list(publish_to) if publish_to is not None else None
        self.tick_seconds = tick_seconds
        self.time_scale = time_scale
        self.car_power_kw = car_power_kw
        self.auto_stop_periods = auto_stop_periods
        self.command_delay = command_delay
        self.locations = Collection("id")
        self.tariffs = Collection("id")
        self.sessions = Collection("id")
        self.cdrs = Collection("id")
        self.tokens = ReceivedObjects("tokens")
        self.charging_profiles: dict[str, Obj] = {}
        self.active: dict[str, ChargingSession] = {}
        self.reservations: dict[str, tuple[PartyKey, str, str]] = {}  # id -> (eMSP, location, evse)
        self.completed: list[ChargingSession] = []
        self._evses: dict[str, tuple[Obj, Obj]] = {}  # EVSE uid -> (location, EVSE)
        self._sequence = itertools.count(1)
        for tariff in make_tariffs(party.key, version=version):
            self.tariffs.put(tariff)
        for location in make_locations(
            party.key, evses=evses, evses_per_location=evses_per_location, seed=seed, version=version
        ):
            self.add_location(location)
        self.handlers.update(
            {
                ("locations", S): self._locations,
                ("sessions", S): self._sessions,
                ("cdrs", S): self._cdrs,
                ("tariffs", S): self._tariffs,
                ("tokens", R): self._tokens,
                ("commands", R): self._commands,
            }
        )
        if version != V211:  # no Smart Charging module in 2.1.1
            self.handlers[("chargingprofiles", R)] = self._charging_profiles

    # --- data --------------------------------------------------------------------------------

    def add_location(self, location: Obj) -> None:
        self.locations.put(location)
        for evse in location.get("evses") or []:
            self._evses[str(evse["uid"]).upper()] = (location, evse)

    @property
    def evse_count(self) -> int:
        return len(self._evses)

    def evse(self, evse_uid: str) -> tuple[Obj, Obj]:
        found = self._evses.get(evse_uid.upper())
        if found is None:
            raise UnknownLocation(f"Unknown EVSE {evse_uid}")
        return found

    def _targets(self) -> list[PartyKey]:
        if self.publish_to is not None:
            return self.publish_to
        return [self.hub_party] if self.hub_party is not None else []

    # --- pushes (CPO as Sender of Client Owned Objects) ---------------------------------------

    async def _push_all(self, method: str, module: str, rest: str, body: Obj, to: Sequence[PartyKey]) -> list[Reply]:
        if self.version == V211:  # no OCPI-to in 2.1.1: one push, the hub picks the receivers
            return [await self.send(method, module, R, rest, to=None, json=body)]
        return list(await asyncio.gather(*(self.send(method, module, R, rest, to=t, json=body) for t in to)))

    async def publish_tariffs(self, to: Sequence[PartyKey] | None = None) -> list[Reply]:
        """PUT every tariff to `to` (default: `publish_to`, or a Broadcast Push via the hub)."""
        me = self.party.key
        replies: list[Reply] = []
        for tariff in self.tariffs:
            rest = f"{me.country_code}/{me.party_id}/{tariff['id']}"
            replies += await self._push_all("PUT", "tariffs", rest, tariff, to if to is not None else self._targets())
        return replies

    async def publish_locations(self, to: Sequence[PartyKey] | None = None, *, concurrency: int = 8) -> list[Reply]:
        """PUT every location (with its EVSEs and connectors), `concurrency` at a time."""
        me = self.party.key
        targets = to if to is not None else self._targets()
        gate = asyncio.Semaphore(concurrency)

        async def one(location: Obj) -> list[Reply]:
            async with gate:
                rest = f"{me.country_code}/{me.party_id}/{location['id']}"
                return await self._push_all("PUT", "locations", rest, location, targets)

        results = await asyncio.gather(*(one(loc) for loc in list(self.locations)))
        return [reply for replies in results for reply in replies]

    async def set_evse_status(self, evse_uid: str, status: str) -> list[Reply]:
        """Change an EVSE's status and PATCH it (with the new last_updated) to the publish targets."""
        location, evse = self.evse(evse_uid)
        now = stamp()
        evse["status"] = status
        evse["last_updated"] = location["last_updated"] = now
        self.locations.touched()
        me = self.party.key
        rest = f"{me.country_code}/{me.party_id}/{location['id']}/{evse['uid']}"
        return await self._push_all(
            "PATCH", "locations", rest, {"status": status, "last_updated": now}, self._targets()
        )

    # --- sessions -------------------------------------------------------------------------------

    def _new_session_id(self) -> str:
        return f"{self.party.key.party_id}-S{next(self._sequence):06d}-{secrets.token_hex(2).upper()}"

    def _connector(self, evse: Obj, connector_id: str | None) -> Obj:
        connectors = evse.get("connectors") or []
        if connector_id is None:
            return dict(connectors[0])
        found = next((c for c in connectors if str(c.get("id")) == str(connector_id)), None)
        if found is None:
            raise UnknownLocation(f"Unknown connector {connector_id}")
        return dict(found)

    async def start_session(
        self,
        *,
        token: Obj,
        location_id: str,
        evse_uid: str | None = None,
        connector_id: str | None = None,
        auth_method: str = "COMMAND",
        authorization_reference: str | None = None,
        emsp: PartyKey | None = None,
        run: bool = True,
    ) -> ChargingSession:
        """Start charging (the EVSE must be AVAILABLE, or RESERVED for this eMSP); returns at once,
        the session runs in the background until stopped (or `auto_stop_periods`). With
        `run=False` the EVSE is only claimed: `begin(session)` starts it."""
        location = self.locations.get(location_id)
        if location is None:
            raise UnknownLocation(f"Unknown location {location_id}")
        evse = self._pick_evse(location, evse_uid)
        owner = emsp or editions.token_owner(token) or self.hub_party or _HUB
        self._check_free(evse, owner)
        connector = self._connector(evse, connector_id)
        tariff_id = connector_tariff_id(connector)
        tariff = self.tariffs.get(tariff_id) if tariff_id else None
        max_kw = max_power_kw(connector)
        power = min(self.car_power_kw, max_kw) if self.car_power_kw else max_kw
        now = datetime.now(UTC)
        session = editions.session_object(
            self.version,
            party=self.party.key,
            session_id=self._new_session_id(),
            started=stamp(now),
            token=token,
            auth_method=auth_method,
            location=location,
            evse=evse,
            connector=connector,
            currency=(tariff or {}).get("currency", "EUR"),
            authorization_reference=authorization_reference,
        )
        running = ChargingSession(
            session=session,
            emsp=owner,
            location=location,
            evse=evse,
            connector=connector,
            tariff=tariff,
            power_kw=power,
            period=timedelta(seconds=self.tick_seconds * self.time_scale),
            started=now,
        )
        evse["status"] = "CHARGING"  # taken now, so a second start fails at once
        self._drop_reservation(evse)
        self.active[running.id] = running
        self.sessions.put(session)
        if run:
            self.begin(running)
        return running

    def begin(self, running: ChargingSession) -> None:
        """Run a session claimed with `start_session(run=False)`."""
        self.spawn(self._run(running), name=f"session:{running.id}")

    def _pick_evse(self, location: Obj, evse_uid: str | None) -> Obj:
        evses = location.get("evses") or []
        if evse_uid is not None:
            found: Obj | None = next((e for e in evses if str(e["uid"]).upper() == evse_uid.upper()), None)
            if found is None:
                raise UnknownLocation(f"Unknown EVSE {evse_uid}")
            return found
        free: Obj | None = next((e for e in evses if e.get("status") == "AVAILABLE"), None)
        if free is None:
            raise EvseBusy("No free EVSE at this location")
        return free

    def _check_free(self, evse: Obj, emsp: PartyKey) -> None:
        status = evse.get("status")
        if status == "RESERVED":
            held = [r for r in self.reservations.values() if r[2] == evse["uid"]]
            if held and held[0][0] != emsp:
                raise EvseBusy("EVSE reserved by someone else")
        elif status != "AVAILABLE":
            raise EvseBusy(f"EVSE is {status}")

    def _drop_reservation(self, evse: Obj) -> None:
        for reservation_id, (_, _, uid) in list(self.reservations.items()):
            if uid == evse["uid"]:
                del self.reservations[reservation_id]

    async def stop_session(self, session_id: str, *, wait: bool = True, timeout: float = 30.0) -> ChargingSession:
        """Ask a running session to stop; with `wait`, return after its CDR was sent."""
        running = self.active.get(session_id)
        if running is None:
            raise NotFound(f"Unknown session {session_id}")
        running.stop_requested.set()
        if wait:
            async with asyncio.timeout(timeout):
                await running.finished.wait()
        return running

    def _session_url(self, running: ChargingSession) -> str:
        me = self.party.key
        return f"{me.country_code}/{me.party_id}/{running.id}"

    def _costs(self, running: ChargingSession) -> Costs:
        return price_session(
            running.tariff,
            energy_kwh=float(running.session["kwh"]),
            charging_hours=running.periods * running.period.total_seconds() / 3600,
        )

    async def _run(self, running: ChargingSession) -> None:
        try:
            await self._charge(running)
        finally:
            self.active.pop(running.id, None)
            self.completed.append(running)
            running.finished.set()

    async def _charge(self, running: ChargingSession) -> None:
        await self.set_evse_status(str(running.evse["uid"]), "CHARGING")
        await self.send("PUT", "sessions", R, self._session_url(running), to=running.emsp, json=running.session)
        while not running.stop_requested.is_set():
            try:
                async with asyncio.timeout(self.tick_seconds):
                    await running.stop_requested.wait()
                break
            except TimeoutError:
                pass
            await self._meter_value(running)
            if self.auto_stop_periods is not None and running.periods >= self.auto_stop_periods:
                break
        await self._finish(running)

    def _period(self, running: ChargingSession, index: int, kwh: float) -> Obj:
        return editions.charging_period(
            self.version,
            start=stamp(running.started + running.period * index),
            kwh=kwh,
            hours=running.period.total_seconds() / 3600,
            tariff_id=running.tariff["id"] if running.tariff is not None else None,
        )

    async def _meter_value(self, running: ChargingSession) -> None:
        kwh = round(running.power_kw * running.period.total_seconds() / 3600, 3)
        period = self._period(running, running.periods, kwh)
        running.periods += 1
        session = running.session
        session["kwh"] = round(float(session["kwh"]) + kwh, 3)
        session["charging_periods"] = [*session["charging_periods"], period]
        session["total_cost"] = price_object(self._costs(running).total, self.version)
        session["last_updated"] = stamp()
        patch = {
            "kwh": session["kwh"],
            # 2.2+ append the periods of a PATCH; a 2.1.1 PATCH replaces the field
            "charging_periods": session["charging_periods"] if self.version == V211 else [period],
            "total_cost": session["total_cost"],
            "last_updated": session["last_updated"],
        }
        await self.send("PATCH", "sessions", R, self._session_url(running), to=running.emsp, json=patch)

    async def _finish(self, running: ChargingSession) -> None:
        self.active.pop(running.id, None)  # completed from here on: no more commands for it
        session = running.session
        if not session["charging_periods"]:  # stopped before the first meter value
            session["charging_periods"] = [self._period(running, 0, 0.0)]
            session["charging_periods"][0]["dimensions"][1]["volume"] = 0.0
        end = running.started + running.period * running.periods
        costs = self._costs(running)
        end_field = editions.end_field(self.version)
        session["status"] = "COMPLETED"
        session[end_field] = stamp(end)
        session["total_cost"] = price_object(costs.total, self.version)
        session["last_updated"] = stamp()
        patch = {k: session[k] for k in ("status", end_field, "kwh", "total_cost", "last_updated")}
        await self.send("PATCH", "sessions", R, self._session_url(running), to=running.emsp, json=patch)
        await self.set_evse_status(str(running.evse["uid"]), "AVAILABLE")
        cdr = self._cdr(running, costs, end)
        running.cdr = cdr
        self.cdrs.put(cdr)
        await self.send("POST", "cdrs", R, to=running.emsp, json=cdr)

    def _cdr(self, running: ChargingSession, costs: Costs, end: datetime) -> Obj:
        return editions.cdr_object(
            self.version,
            session=running.session,
            location=running.location,
            evse=running.evse,
            connector=running.connector,
            end=stamp(end),
            costs=costs,
            total_hours=running.periods * running.period.total_seconds() / 3600,
            tariffs=[running.tariff] if running.tariff is not None else [],
        )

    # --- a driver at the charge point ---------------------------------------------------------

    def _known_token(self, uid: str, token_type: str) -> Obj | None:
        for token in self.tokens.values():
            if str(token.get("uid", "")).upper() == uid.upper() and token.get("type", "RFID") == token_type:
                return token
        return None

    async def authorize(
        self, uid: str, *, token_type: str = "RFID", location_id: str | None = None, evse_uids: Sequence[str] = ()
    ) -> Reply:
        """Real-time authorization at the token's eMSP (TO = the eMSP if the CPO holds the token,
        else no TO: the hub finds the eMSP by the token uid)."""
        known = self._known_token(uid, token_type)
        to = editions.token_owner(known) if known else None
        body = None
        if location_id is not None:
            body = {"location_id": location_id, "evse_uids": list(evse_uids)}
        return await self.send("POST", "tokens", S, f"{uid}/authorize", to=to, json=body, params={"type": token_type})

    async def charge_with_token(
        self, uid: str, *, location_id: str, evse_uid: str, connector_id: str | None = None, token_type: str = "RFID"
    ) -> ChargingSession | None:
        """A driver holds a token to the reader: whitelisted ALWAYS tokens start at once, others
        are authorized in real time; returns the session, or None when not allowed."""
        known = self._known_token(uid, token_type)
        if known is not None and known.get("whitelist") == "ALWAYS" and known.get("valid"):
            return await self.start_session(
                token=known,
                location_id=location_id,
                evse_uid=evse_uid,
                connector_id=connector_id,
                auth_method="WHITELIST",
            )
        reply = await self.authorize(uid, token_type=token_type, location_id=location_id, evse_uids=[evse_uid])
        info = reply.data if reply.ok and isinstance(reply.data, dict) else None
        if info is None:
            if known is not None and known.get("whitelist") == "ALLOWED_OFFLINE" and known.get("valid"):
                return await self.start_session(
                    token=known, location_id=location_id, evse_uid=evse_uid, auth_method="WHITELIST"
                )
            return None
        if info.get("allowed") != "ALLOWED":
            return None
        token = info.get("token")
        if not isinstance(token, dict):  # 2.1.1 AuthorizationInfo names no token
            token = known or {"uid": uid, "type": token_type, "auth_id": uid}
        return await self.start_session(
            token=token,
            location_id=location_id,
            evse_uid=evse_uid,
            connector_id=connector_id,
            auth_method="AUTH_REQUEST",
            authorization_reference=info.get("authorization_reference"),
        )

    # --- SENDER interfaces ----------------------------------------------------------------------

    def _limit(self) -> int:
        return 1 if self.faults.one_item_pages else self.page_limit

    def _list(self, collection: Collection, inbound: Inbound) -> Answer:
        page, headers = collection.page(
            inbound.query, page_limit=self._limit(), base_url=self.endpoint_url(inbound.module, S)
        )
        return Answer(page, headers=headers)

    async def _locations(self, inbound: Inbound) -> Answer:
        if inbound.method != "GET":
            raise MethodNotAllowed()
        if not inbound.rest:
            return self._list(self.locations, inbound)
        location = self.locations.get(inbound.rest[0])
        if location is None or len(inbound.rest) > 3:
            raise UnknownLocation(f"Unknown location {inbound.rest[0]}", http_status=404)
        if len(inbound.rest) == 1:
            return Answer(location)
        evse = next((e for e in location.get("evses") or [] if e["uid"] == inbound.rest[1]), None)
        if evse is None:
            raise UnknownLocation(f"Unknown EVSE {inbound.rest[1]}", http_status=404)
        if len(inbound.rest) == 2:
            return Answer(evse)
        connector = next((c for c in evse.get("connectors") or [] if c["id"] == inbound.rest[2]), None)
        if connector is None:
            raise UnknownLocation(f"Unknown connector {inbound.rest[2]}", http_status=404)
        return Answer(connector)

    async def _sessions(self, inbound: Inbound) -> Answer:
        if inbound.method == "GET" and not inbound.rest:
            if not inbound.query.get("date_from"):
                raise InvalidParameters("date_from is required for sessions")
            return self._list(self.sessions, inbound)
        if inbound.method == "PUT" and len(inbound.rest) == 2 and inbound.rest[1] == "charging_preferences":
            preferences = inbound.json_object()
            if "profile_type" not in preferences:
                raise InvalidParameters("ChargingPreferences needs profile_type")
            if inbound.rest[0] not in self.active:
                raise InvalidParameters(f"Unknown session {inbound.rest[0]}", http_status=404)
            return Answer("ACCEPTED")
        raise MethodNotAllowed()

    async def _cdrs(self, inbound: Inbound) -> Answer:
        if inbound.method != "GET" or inbound.rest:
            raise MethodNotAllowed()
        return self._list(self.cdrs, inbound)

    async def _tariffs(self, inbound: Inbound) -> Answer:
        if inbound.method != "GET" or inbound.rest:
            raise MethodNotAllowed()
        return self._list(self.tariffs, inbound)

    # --- RECEIVER interfaces --------------------------------------------------------------------

    async def _tokens(self, inbound: Inbound) -> Answer:
        if inbound.method == "GET":
            token = self.tokens.get(inbound.rest)
            if token.get("type", "RFID") != inbound.query.get("type", "RFID"):
                raise NotFound("Unknown token")
            return Answer(token)
        if inbound.method == "PUT":
            self.tokens.put(inbound.rest, inbound.json_object())
            return Answer()
        if inbound.method == "PATCH":
            self.tokens.patch(inbound.rest, inbound.json_object())
            return Answer()
        raise MethodNotAllowed()

    def _requester(self, inbound: Inbound) -> tuple[PartyKey, PartyKey]:
        """(the requester, the CPO party it addressed) of a command or charging-profile request."""
        if self.version == V211:  # one connection: every request comes from the hub
            return self.hub_party or _HUB, self.party.key
        if inbound.sender is None:
            raise InvalidParameters("OCPI-from-country-code and OCPI-from-party-id are required")
        me = inbound.receiver if any(p.key == inbound.receiver for p in self.parties) else self.party.key
        assert me is not None
        return inbound.sender, me

    def _callback(
        self,
        inbound: Inbound,
        url: str,
        result: Obj,
        *,
        then: Callable[[], Awaitable[Obj]] | None = None,
        after: Callable[[], None] | None = None,
        name: str = "callback",
    ) -> None:
        """After `command_delay`, POST `result` (or what `then` returns) to `url`, with TO = the
        requester and FROM = us; then call `after` (what the charge point does next)."""
        requester, me = self._requester(inbound)
        correlation = inbound.headers.get("x-correlation-id")

        async def send() -> None:
            await asyncio.sleep(self.command_delay)
            outcome = result
            if then is not None:
                outcome = await then()
            if inbound.module == "commands" and self.version == V211:  # a CommandResponse of 2.1.1 values
                outcome = editions.command_result(self.version, str(outcome["result"]))
            await self.post_url(
                url, json=outcome, to=requester, from_=me, correlation_id=correlation, module=inbound.module
            )
            if after is not None:
                after()

        self.spawn(send(), name=name)

    def _response(self, result: str, timeout: int) -> Answer:
        """A CommandResponse (2.1.1: no timeout, 2.1.1 values only)."""
        return Answer(editions.command_response(self.version, result, timeout))

    async def _commands(self, inbound: Inbound) -> Answer:
        if inbound.method != "POST" or len(inbound.rest) != 1:
            raise MethodNotAllowed("POST {commands}/{command}")
        command = inbound.rest[0].upper()
        body = inbound.json_object()
        url = body.get("response_url")
        if not isinstance(url, str) or not url:
            raise InvalidParameters("response_url is required")
        requester, _ = self._requester(inbound)
        accepted = self._response("ACCEPTED", 30)
        if command == "START_SESSION":
            token = body.get("token")
            if not isinstance(token, dict) or not isinstance(body.get("location_id"), str):
                raise InvalidParameters("StartSession needs token and location_id")
            location = self.locations.get(body["location_id"])
            if location is None:
                raise UnknownLocation(f"Unknown location {body['location_id']}")
            if body.get("evse_uid") is not None:
                self._pick_evse(location, str(body["evse_uid"]))

            claimed: list[ChargingSession] = []

            async def start() -> Obj:
                try:
                    running = await self.start_session(
                        token=token,
                        location_id=body["location_id"],
                        evse_uid=body.get("evse_uid"),
                        connector_id=body.get("connector_id"),
                        auth_method="COMMAND",
                        authorization_reference=body.get("authorization_reference"),
                        emsp=requester,
                        run=False,
                    )
                except EvseBusy:
                    return {"result": "EVSE_OCCUPIED"}
                claimed.append(running)
                return {"result": "ACCEPTED"}

            def begin() -> None:  # the session starts once the result is out
                for running in claimed:
                    self.begin(running)

            self._callback(inbound, url, {}, then=start, after=begin, name="start_session")
            return accepted
        if command == "STOP_SESSION":
            running = self.active.get(str(body.get("session_id")))
            if running is None:
                return self._response("UNKNOWN_SESSION", 0)
            if running.emsp != requester:
                return self._response("REJECTED", 0)

            self._callback(inbound, url, {"result": "ACCEPTED"}, after=running.stop_requested.set, name="stop_session")
            return accepted
        if command == "UNLOCK_CONNECTOR":
            location = self.locations.get(str(body.get("location_id")))
            if location is None:
                raise UnknownLocation(f"Unknown location {body.get('location_id')}")
            self._connector(self._pick_evse(location, str(body.get("evse_uid"))), str(body.get("connector_id")))
            self._callback(inbound, url, {"result": "ACCEPTED"}, name="unlock")
            return accepted
        if command == "RESERVE_NOW":
            return self._reserve(inbound, body, url, requester)
        if command == "CANCEL_RESERVATION" and self.version != V211:  # not a 2.1.1 command
            reservation = self.reservations.get(str(body.get("reservation_id")))
            if reservation is None or reservation[0] != requester:
                self._callback(inbound, url, {"result": "UNKNOWN_RESERVATION"}, name="cancel")
                return accepted

            async def cancel() -> Obj:
                self.reservations.pop(str(body["reservation_id"]), None)
                await self.set_evse_status(reservation[2], "AVAILABLE")
                return {"result": "ACCEPTED"}

            self._callback(inbound, url, {}, then=cancel, name="cancel")
            return accepted
        return self._response("NOT_SUPPORTED", 0)

    def _reserve(self, inbound: Inbound, body: Obj, url: str, requester: PartyKey) -> Answer:
        reservation_type = int if self.version == V211 else str  # 2.1.1 reservation_id is an int
        reserved = body.get("reservation_id")
        if not isinstance(reserved, reservation_type) or isinstance(reserved, bool):
            raise InvalidParameters("ReserveNow needs reservation_id and location_id")
        if not isinstance(body.get("location_id"), str):
            raise InvalidParameters("ReserveNow needs reservation_id and location_id")
        location = self.locations.get(body["location_id"])
        if location is None:
            raise UnknownLocation(f"Unknown location {body['location_id']}")
        evse_uid = body.get("evse_uid")
        evse = self._pick_evse(location, str(evse_uid) if evse_uid is not None else None)
        reservation_id = str(body["reservation_id"])

        async def reserve() -> Obj:
            replacing = self.reservations.get(reservation_id)
            if evse.get("status") != "AVAILABLE" and not (replacing and replacing[2] == evse["uid"]):
                return {"result": "EVSE_OCCUPIED"}
            self.reservations[reservation_id] = (requester, str(location["id"]), str(evse["uid"]))
            await self.set_evse_status(str(evse["uid"]), "RESERVED")
            return {"result": "ACCEPTED"}

        self._callback(inbound, url, {}, then=reserve, name="reserve")
        return self._response("ACCEPTED", 30)

    async def _charging_profiles(self, inbound: Inbound) -> Answer:
        if len(inbound.rest) != 1:
            raise MethodNotAllowed("{chargingprofiles}/{session_id}")
        session_id = inbound.rest[0]
        known = session_id in self.active
        if inbound.method == "PUT":
            body = inbound.json_object()
            url = body.get("response_url")
            if not isinstance(url, str) or not isinstance(body.get("charging_profile"), dict):
                raise InvalidParameters("SetChargingProfile needs charging_profile and response_url")
            if not known:
                return Answer({"result": "UNKNOWN_SESSION", "timeout": 0})
            self.charging_profiles[session_id] = body["charging_profile"]
            self._callback(inbound, url, {"result": "ACCEPTED"}, name="set_profile")
        elif inbound.method in ("GET", "DELETE"):
            url = inbound.query.get("response_url")
            if not url:
                raise InvalidParameters("response_url is required")
            if not known:
                return Answer({"result": "UNKNOWN_SESSION", "timeout": 0})
            if inbound.method == "GET":
                running = self.active[session_id]
                profile = self.charging_profiles.get(session_id) or {
                    "charging_rate_unit": "W",
                    "charging_profile_period": [{"start_period": 0, "limit": running.power_kw * 1000}],
                }
                result = {"result": "ACCEPTED", "profile": {"start_date_time": stamp(), "charging_profile": profile}}
                self._callback(inbound, url, result, name="get_profile")
            else:
                self.charging_profiles.pop(session_id, None)
                self._callback(inbound, url, {"result": "ACCEPTED"}, name="clear_profile")
        else:
            raise MethodNotAllowed()
        return Answer({"result": "ACCEPTED", "timeout": 30})
