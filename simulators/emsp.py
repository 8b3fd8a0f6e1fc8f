"""A simulated eMSP: tokens, and everything CPOs send it.

    emsp = SimulatedEmsp(country_code="DE", party_id="MSP", tokens=1_000)
    await emsp.start(); await emsp.register(hub_versions_url, token_a)
    await emsp.push_tokens(to=[cpo_key])                                 # PUT tokens at the CPO
    outcome = await emsp.start_session(cpo_key, location_id="LOC00001", evse_uid="LOC00001-1")
    outcome.response.data["result"], outcome.result["result"]           # CommandResponse, CommandResult

Interfaces: tokens SENDER (paginated list, `POST /{uid}/authorize` answering AuthorizationInfo:
ALLOWED for valid tokens, BLOCKED otherwise, HTTP 404 + 2004 for unknown ones), commands and
chargingprofiles SENDER (the results CPOs POST to our response_urls, ActiveChargingProfile PUTs);
locations, sessions, cdrs, tariffs and hubclientinfo RECEIVER (what CPOs and the hub push: PUT,
PATCH, GET, DELETE for tariffs; CDRs by POST, answered 201 with a Location to GET them back).

Editions (`version=`): a 2.3.0 eMSP is the 2.2.1 one with 2.3.0 objects (CDR and Session prices
{before_taxes, taxes}). A 2.1.1 eMSP (`SimulatedEmsp(version="2.1.1")`) has 2.1.1 tokens
(auth_id, no party), answers AuthorizationInfo {allowed, location?}, sends StartSession without
connector_id/authorization_reference, has no chargingprofiles, lists no commands endpoint (the
results come to the response_urls it gives, under `/ocpi/2.1.1/commands/...`), pushes each token
once (the hub picks the CPOs), takes a session PATCH's charging_periods as the whole list, and
keeps CDRs under ("", "", id) (a 2.1.1 CDR names no party; the Location is `{cdrs}/{id}`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from hub.errors import InvalidParameters, MethodNotAllowed, NotFound, UnknownToken
from hub.forwarding.rewrite import next_link
from hub.ocpi.headers import new_message_id
from hub.types import InterfaceRole, PartyKey
from simulators import editions
from simulators.data import make_tokens, stamp
from simulators.faults import Faults
from simulators.journal import Observer
from simulators.objects import Collection, Obj, ReceivedObjects
from simulators.platform import V211, VERSION, Answer, Handler, Inbound, OcpiPlatform, Party, Reply
from simulators.pricing import read_price

__all__ = ["CommandOutcome", "SimulatedEmsp"]

R, S = InterfaceRole.RECEIVER, InterfaceRole.SENDER


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    """A command's CommandResponse (the hub's reply) and, when it came, its CommandResult."""

    response: Reply
    result: Obj | None

    @property
    def accepted(self) -> bool:
        return (
            self.response.ok and isinstance(self.response.data, dict) and self.response.data.get("result") == "ACCEPTED"
        )


class SimulatedEmsp(OcpiPlatform):
    """See the module docstring."""

    def __init__(
        self,
        *,
        country_code: str = "DE",
        party_id: str = "MSP",
        name: str | None = None,
        tokens: int = 20,
        seed: int = 0,
        faults: Faults | None = None,
        page_limit: int = 100,
        client: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
        observer: Observer | None = None,
        version: str = VERSION,
    ) -> None:
        party = Party.of("EMSP", country_code, party_id, name)
        super().__init__(
            name=name or f"emsp-{party.key.country_code}-{party.key.party_id}".lower(),
            parties=[party],
            faults=faults,
            page_limit=page_limit,
            client=client,
            timeout=timeout,
            observer=observer,
            seed=seed,
            version=version,
        )
        self.tokens = Collection("uid")
        for token in make_tokens(party.key, count=tokens, seed=seed, version=version):
            self.tokens.put(token)
        self.locations = ReceivedObjects("locations")
        self.sessions = ReceivedObjects("sessions", append_periods=version != V211)
        self.tariffs = ReceivedObjects("tariffs")
        self.cdrs: dict[tuple[str, str, str], Obj] = {}
        self.results: dict[str, Obj] = {}  # response_url reference -> CommandResult / profile result
        self.active_profiles: dict[str, Obj] = {}  # session id -> ActiveChargingProfile
        self.authorizations: list[Obj] = []  # AuthorizationInfo we answered
        self._waiting: dict[str, asyncio.Future[Obj]] = {}
        self.handlers.update(
            {
                ("locations", R): self._received(self.locations, ("GET", "PUT", "PATCH")),
                ("sessions", R): self._received(self.sessions, ("GET", "PUT", "PATCH")),
                ("tariffs", R): self._received(self.tariffs, ("GET", "PUT", "DELETE")),
                ("cdrs", R): self._cdrs,
                ("tokens", S): self._tokens,
                ("commands", S): self._results,
            }
        )
        if version == V211:  # results come to our response_urls; no endpoint to list
            self.unlisted.add(("commands", S))
        else:  # no Smart Charging module in 2.1.1
            self.handlers[("chargingprofiles", S)] = self._profile_results

    # --- tokens ------------------------------------------------------------------------------

    def token(self, uid: str, token_type: str | None = None) -> Obj | None:
        found = self.tokens.get(uid)
        if found is None:
            found = next((t for t in self.tokens if str(t["uid"]).upper() == uid.upper()), None)
        if found is not None and token_type is not None and found.get("type") != token_type:
            return None
        return found

    def driver_token(self, *, token_type: str = "RFID") -> Obj:
        """The first valid token of that type (the demo's driver)."""
        return next(t for t in self.tokens if t["valid"] and t["type"] == token_type)

    async def set_token_valid(self, uid: str, valid: bool, to: Sequence[PartyKey] | None = None) -> list[Reply]:
        """Block or unblock a token, PATCHing the CPOs in `to` (or broadcasting via the hub)."""
        token = self.token(uid)
        if token is None:
            raise KeyError(uid)
        token.update(valid=valid, last_updated=stamp())
        self.tokens.touched()
        me = self.party.key
        rest = f"{me.country_code}/{me.party_id}/{token['uid']}"
        patch = {"valid": valid, "last_updated": token["last_updated"]}
        targets = self._targets(to)
        return list(
            await asyncio.gather(
                *(
                    self.send("PATCH", "tokens", R, rest, to=t, json=patch, params={"type": token["type"]})
                    for t in targets
                )
            )
        )

    async def push_tokens(
        self, to: Sequence[PartyKey] | None = None, *, tokens: Sequence[Obj] | None = None, concurrency: int = 8
    ) -> list[Reply]:
        """PUT tokens (default: all) at the CPOs in `to` (default: a Broadcast Push via the hub)."""
        targets = self._targets(to)
        me = self.party.key
        gate = asyncio.Semaphore(concurrency)

        async def one(token: Obj, target: PartyKey | None) -> Reply:
            async with gate:
                rest = f"{me.country_code}/{me.party_id}/{token['uid']}"
                return await self.send("PUT", "tokens", R, rest, to=target, json=token, params={"type": token["type"]})

        chosen = list(tokens) if tokens is not None else list(self.tokens)
        return list(await asyncio.gather(*(one(t, target) for t in chosen for target in targets)))

    def _targets(self, to: Sequence[PartyKey] | None) -> list[PartyKey | None]:
        """Who a push goes to: `to`, else a Broadcast Push via the hub; 2.1.1: once, no OCPI-to."""
        if self.version == V211:
            return [None]
        return list(to) if to is not None else ([self.hub_party] if self.hub_party else [])

    # --- commands ----------------------------------------------------------------------------

    def _response_url(self, command: str) -> tuple[str, str]:
        reference = uuid.uuid4().hex
        return f"{self.endpoint_url('commands', S)}/{command}/{reference}", reference

    async def wait_result(self, reference: str, timeout: float = 10.0) -> Obj | None:
        """The result POSTed to the response_url with this reference (None after `timeout`)."""
        if reference in self.results:
            return self.results[reference]
        future = self._waiting.setdefault(reference, asyncio.get_running_loop().create_future())
        try:
            async with asyncio.timeout(timeout):
                return await asyncio.shield(future)
        except TimeoutError:
            return None
        finally:
            self._waiting.pop(reference, None)

    async def command(
        self, cpo: PartyKey | None, command: str, body: Obj, *, wait: float | None = 10.0
    ) -> CommandOutcome:
        """POST a command to a CPO via the hub (`cpo=None`: Open Routing by location or session);
        with `wait`, also wait that long for its CommandResult."""
        url, reference = self._response_url(command)
        reply = await self.send("POST", "commands", R, command, to=cpo, json={"response_url": url, **body})
        accepted = reply.ok and isinstance(reply.data, dict) and reply.data.get("result") == "ACCEPTED"
        result = await self.wait_result(reference, wait) if wait and accepted else self.results.get(reference)
        return CommandOutcome(reply, result)

    async def start_session(
        self,
        cpo: PartyKey | None,
        *,
        location_id: str,
        evse_uid: str | None = None,
        connector_id: str | None = None,
        token: Obj | None = None,
        wait: float | None = 10.0,
    ) -> CommandOutcome:
        """START_SESSION with one of our tokens (default: the driver's RFID card). 2.1.1 StartSession
        has no connector_id and no authorization_reference."""
        body: Obj = {"token": token or self.driver_token(), "location_id": location_id}
        if evse_uid is not None:
            body["evse_uid"] = evse_uid
        if self.version == V211:
            return await self.command(cpo, "START_SESSION", body, wait=wait)
        if connector_id is not None:
            body["connector_id"] = connector_id
        body["authorization_reference"] = new_message_id()[:36]
        return await self.command(cpo, "START_SESSION", body, wait=wait)

    async def stop_session(self, cpo: PartyKey | None, session_id: str, *, wait: float | None = 10.0) -> CommandOutcome:
        return await self.command(cpo, "STOP_SESSION", {"session_id": session_id}, wait=wait)

    async def set_charging_profile(
        self, cpo: PartyKey | None, session_id: str, profile: Obj, *, wait: float | None = 10.0
    ) -> CommandOutcome:
        if self.version == V211:
            raise RuntimeError("OCPI 2.1.1 has no Smart Charging (chargingprofiles) module")
        url = f"{self.endpoint_url('chargingprofiles', S)}/result/{uuid.uuid4().hex}"
        reply = await self.send(
            "PUT", "chargingprofiles", R, session_id, to=cpo, json={"charging_profile": profile, "response_url": url}
        )
        reference = url.rsplit("/", 1)[-1]
        accepted = reply.ok and isinstance(reply.data, dict) and reply.data.get("result") == "ACCEPTED"
        return CommandOutcome(reply, await self.wait_result(reference, wait) if wait and accepted else None)

    # --- pulling from CPOs ---------------------------------------------------------------------

    async def pull(
        self, cpo: PartyKey, module: str = "locations", *, limit: int | None = None, max_pages: int = 1000
    ) -> tuple[list[Obj], list[Reply]]:
        """A paginated GET of a CPO's list through the hub, following `Link` until the end."""
        params = {"limit": str(limit)} if limit else None
        reply = await self.send("GET", module, S, to=cpo, params=params)
        replies = [reply]
        objects: list[Obj] = []
        while reply.ok and isinstance(reply.data, list):
            objects += reply.data
            following = next_link(reply.headers.get("link"))
            if following is None or len(replies) >= max_pages:
                break
            reply = await self.get_url(following, to=cpo, module=module)
            replies.append(reply)
        return objects, replies

    # --- RECEIVER interfaces ---------------------------------------------------------------------

    def _received(self, store: ReceivedObjects, methods: tuple[str, ...]) -> Handler:
        async def handle(inbound: Inbound) -> Answer:
            if inbound.method not in methods:
                raise MethodNotAllowed()
            if inbound.method == "GET":
                return Answer(store.get(inbound.rest))
            if inbound.method == "PUT":
                store.put(inbound.rest, inbound.json_object())
            elif inbound.method == "PATCH":
                store.patch(inbound.rest, inbound.json_object())
            else:
                store.delete(inbound.rest)
            return Answer()

        return handle

    _CDR_FIELDS = {
        "2.1.1": ("id", "auth_id", "location", "total_cost", "charging_periods"),
        "2.2.1": ("country_code", "party_id", "id", "total_cost", "charging_periods"),
        "2.3.0": ("country_code", "party_id", "id", "total_cost", "charging_periods"),
    }

    def _check_price(self, price: object) -> None:
        """A 2.1.1 cost is a number, a 2.3.0 Price has before_taxes (and TaxAmounts)."""
        try:
            read_price(price)
        except ValueError:
            raise InvalidParameters("The CDR's total_cost is not a price") from None
        if self.version == V211 and not isinstance(price, int | float):
            raise InvalidParameters("The CDR's total_cost is not an OCPI 2.1.1 number")
        if self.version == "2.3.0" and not (isinstance(price, dict) and "before_taxes" in price):
            raise InvalidParameters("The CDR's total_cost is not an OCPI 2.3.0 Price")

    async def _cdrs(self, inbound: Inbound) -> Answer:
        if inbound.method == "POST" and not inbound.rest:
            cdr = inbound.json_object()
            for name in self._CDR_FIELDS[self.version]:
                if name not in cdr:
                    raise InvalidParameters(f"CDR without {name}")
            if self.version != VERSION:
                self._check_price(cdr["total_cost"])
            if self.version == V211:
                key = ("", "", str(cdr["id"]))
                self.cdrs[key] = cdr
                return Answer(http_status=201, headers={"Location": f"{self.endpoint_url('cdrs', R)}/{key[2]}"})
            key = (str(cdr["country_code"]).upper(), str(cdr["party_id"]).upper(), str(cdr["id"]))
            if inbound.sender is not None and (key[0], key[1]) != (
                inbound.sender.country_code,
                inbound.sender.party_id,
            ):
                raise InvalidParameters("The CDR's country_code/party_id is not the sender's")
            self.cdrs[key] = cdr
            location = f"{self.endpoint_url('cdrs', R)}/{key[0]}/{key[1]}/{key[2]}"
            return Answer(http_status=201, headers={"Location": location})
        if inbound.method == "GET" and len(inbound.rest) == (1 if self.version == V211 else 3):
            wanted = ("", "", inbound.rest[0]) if self.version == V211 else inbound.rest
            found = self.cdrs.get((wanted[0].upper(), wanted[1].upper(), wanted[2]))
            if found is None:
                raise NotFound("Unknown CDR")
            return Answer(found)
        raise MethodNotAllowed()

    # --- SENDER interfaces -----------------------------------------------------------------------

    async def _tokens(self, inbound: Inbound) -> Answer:
        if inbound.method == "GET" and not inbound.rest:
            limit = 1 if self.faults.one_item_pages else self.page_limit
            page, headers = self.tokens.page(inbound.query, page_limit=limit, base_url=self.endpoint_url("tokens", S))
            return Answer(page, headers=headers)
        if inbound.method == "POST" and len(inbound.rest) == 2 and inbound.rest[1] == "authorize":
            return self._authorize(inbound, inbound.rest[0])
        raise MethodNotAllowed()

    def _authorize(self, inbound: Inbound, uid: str) -> Answer:
        token = self.token(uid, inbound.query.get("type", "RFID"))
        if token is None:
            raise UnknownToken(f"Unknown token {uid}")
        location = None
        if isinstance(inbound.body, dict) and isinstance(inbound.body.get("location_id"), str):
            location = {k: v for k, v in inbound.body.items() if k in ("location_id", "evse_uids")}
        info = editions.authorization_info(
            self.version,
            token=token,
            allowed="ALLOWED" if token["valid"] else "BLOCKED",
            location=location,
            reference=uuid.uuid4().hex[:36],
        )
        self.authorizations.append(info)
        return Answer(info)

    def _store_result(self, inbound: Inbound) -> Answer:
        if inbound.method != "POST" or not inbound.rest:
            raise MethodNotAllowed()
        result = inbound.json_object()
        if "result" not in result:
            raise InvalidParameters("A result needs `result`")
        reference = inbound.rest[-1]
        self.results[reference] = result
        waiting = self._waiting.get(reference)
        if waiting is not None and not waiting.done():
            waiting.set_result(result)
        return Answer()

    async def _results(self, inbound: Inbound) -> Answer:
        return self._store_result(inbound)

    async def _profile_results(self, inbound: Inbound) -> Answer:
        if inbound.method == "PUT" and len(inbound.rest) == 1:
            self.active_profiles[inbound.rest[0]] = inbound.json_object()
            return Answer()
        return self._store_result(inbound)
