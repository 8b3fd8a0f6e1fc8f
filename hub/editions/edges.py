"""The translation at the edges (see the package docstring): `inbound` for a request as it
enters, `to_receiver` for a body as it leaves, `reply` for the answer on its way back.

A 2.1.1 sender names no receiver and no sender (requirements §5.1); `inbound` derives both:
FROM is the connection's one party; TO is the hub for what the hub answers or broadcasts (list
GETs, Location / Tariff / Token pushes), the owner of the token for a Session or CDR (its stored
Token when the auth_id is a uid the hub knows, else the eMSP an eMI3 contract id names), the CPO
of a stored Session for its PATCH, and Open Routing's answer for the rest (authorize by token uid,
a Location GET, a command by its location or session). What cannot be derived is 2001 with the
reason. Context the 2.2.1 form needs (owner, CdrToken, the Token of an AuthorizationInfo, the
Location a 2.1.1 Session or CDR embeds) comes from the hub's store.

Policies (documented in docs/editions.md):
- a 2.1.1 CdrToken for a token the hub does not know by uid: uid = contract_id = auth_id, type OTHER;
- an AuthorizationInfo from a 2.1.1 eMSP: `token` is the stored Token, else one made of the uid,
  the type asked, contract_id = uid, the eMSP as owner and issuer, valid = allowed, whitelist NEVER;
- a list reply whose item cannot be translated: the item is left out and logged (a page is not
  lost for one object); a single object that cannot be translated is 2001 naming the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog
from cachetools import TTLCache

from hub.db.db import SessionFactory
from hub.editions.kinds import V221_ONLY, body_kind, reply_kind
from hub.errors import HubError, InvalidParameters, OcpiError
from hub.identity import Identity
from hub.mirror.merge import STORED_MODULES
from hub.mirror.repository import StoreRepository
from hub.ocpi.envelope import ocpi_timestamp, v211_status
from hub.ocpi.request import OcpiRequest, PathParams, RoutingPair
from hub.ocpi.versions import EDITIONS, PIVOT, V211, V230, Edition
from hub.privacy.personal import PersonalData
from hub.routing.open_routing import emi3_party
from hub.translation import ObjectKind, Untranslatable, v211, v230
from hub.types import InterfaceRole, PartyKey

__all__ = ["Editions", "bridges_v211", "edition_of"]

_log = structlog.get_logger("hub.editions")
_K = ObjectKind
_TO_HUB_METHODS = frozenset({"GET", "PUT", "PATCH", "DELETE"})


def edition_of(version: str | None) -> Edition:
    return EDITIONS.get(version or "", PIVOT)


def bridges_v211(*versions: str | None) -> bool:
    """Whether a 2.1.1 party is on one side: then the store keeps a Session's memo."""
    return any(edition_of(v) is V211 for v in versions)


@contextmanager
def _checked(edition: Edition, kind: ObjectKind, *, receiver: bool = False) -> Iterator[None]:
    """An object the translation cannot read (a field missing or of the wrong type: the models
    were not applied, e.g. validation off) is an OCPI error, never a crash: 2001 for the sender's
    own object, 4000 for a receiver's reply. Untranslatable passes as it is (2001 naming the field)."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        if receiver:
            raise HubError(f"The receiver's reply is not a valid OCPI {edition.number} {kind.value}") from exc
        raise InvalidParameters(f"Not a valid OCPI {edition.number} {kind.value} object") from exc


class Editions:
    def __init__(
        self, *, sessions: SessionFactory, personal: PersonalData, hub_party: PartyKey, cache_seconds: float = 60.0
    ) -> None:
        # auth_id -> CdrToken (None: no owner known): one store query per auth_id a minute, not
        # per push (a 2.1.1 CPO sends a Session many times); in memory only, bounded.
        self._cdr_tokens: TTLCache[str, dict[str, Any] | None] = TTLCache(maxsize=50_000, ttl=cache_seconds)
        self._sessions = sessions
        self._personal = personal
        self._hub_party = hub_party

    # --- ingress ---------------------------------------------------------------------------

    async def inbound(self, request: OcpiRequest, sender: Identity) -> OcpiRequest:
        """The request with its body in 2.2.1 form and, from 2.1.1, its routing derived."""
        edition = edition_of(request.version)
        if edition is PIVOT:
            return request
        if sender.version and sender.version != edition.number and not sender.upstream:
            raise InvalidParameters(f"You are registered for OCPI {sender.version}: use the endpoints of that version")
        party: PartyKey | None = None
        memo: dict[str, Any] | None = None  # a 2.1.1 Session PATCH's stored Session, read once
        if edition is V211:
            request, party = self._v211_routing(request, sender)
            memo = await self._session_memo(request)
        kind = body_kind(request.module, request.interface, request.method, request.path)
        if kind is not None and request.body is not None and isinstance(request.parsed, dict):
            if edition is V211 and (wrong := sorted(V221_ONLY.get(kind, frozenset()) & request.parsed.keys())):
                raise InvalidParameters(
                    f"{kind.value} field {wrong[0]} is OCPI 2.2.1, not 2.1.1: you are connected with OCPI 2.1.1"
                )
            owner = party or (request.from_.key if request.from_ else None)
            parsed = await self._body_up(edition, kind, request, owner)
            if edition is V211 and request.method == "PATCH":
                request, parsed = await self._v211_patch(request, parsed, memo)
            request = replace(request, parsed=parsed, body=orjson.dumps(parsed))
        return self._v211_receiver(request, memo) if edition is V211 else request

    async def _session_memo(self, request: OcpiRequest) -> dict[str, Any] | None:
        """What the store keeps of the Session a 2.1.1 PATCH is about (its token's party, its
        charging periods: `hub.mirror.merge.session_memo`)."""
        owner, ids = request.path.owner, request.path.object_ids
        if request.module != "sessions" or request.method != "PATCH" or owner is None or not ids:
            return None
        return await self._stored("sessions", owner, ids[0])

    async def _v211_patch(
        self, request: OcpiRequest, patch: dict[str, Any], memo: dict[str, Any] | None
    ) -> tuple[OcpiRequest, dict[str, Any]]:
        """What 2.1.1 PATCH means in 2.2.1 terms, from the stored object: a Tariff PATCH (2.2.1 has
        none) becomes a PUT of the merged Tariff; a Session's charging_periods (2.1.1 replaces the
        list, 2.2.1 appends to it) keep only the periods the stored Session does not have yet."""
        owner, ids = request.path.owner, request.path.object_ids
        if request.module == "tariffs" and owner is not None and len(ids) == 1:
            stored = await self._stored("tariffs", owner, ids[0])
            if stored is None:
                raise InvalidParameters(
                    "OCPI 2.2.1 has no Tariff PATCH and the hub has no copy of this Tariff to apply it to: PUT it"
                )
            return replace(request, method="PUT"), v211.merge_patch(stored, patch)
        if request.module == "sessions" and isinstance(patch.get("charging_periods"), list):
            known = len((memo or {}).get("charging_periods") or [])
            return request, {**patch, "charging_periods": patch["charging_periods"][known:]}
        return request, patch

    async def _stored(self, module: str, owner: PartyKey, object_id: str) -> dict[str, Any] | None:
        async with self._sessions() as session:
            return await StoreRepository(session, self._personal).get(module=module, owner=owner, object_id=object_id)

    def _v211_routing(self, request: OcpiRequest, sender: Identity) -> tuple[OcpiRequest, PartyKey]:
        if request.to is not None or request.from_ is not None:
            raise InvalidParameters(
                "OCPI 2.1.1 has no routing headers (OCPI-to-*, OCPI-from-*): leave them out, the hub finds the receiver"
            )
        keys = list(sender.party_keys)
        if len(keys) != 1:
            raise InvalidParameters("An OCPI 2.1.1 connection serves exactly one party")
        party = keys[0]
        # the hub answers a list GET (GET All) and an object GET (the sender's own, as kept), and
        # broadcasts a push of what it keeps (Locations, Tariffs, Tokens)
        to_hub = request.is_list_get or (
            request.interface is InterfaceRole.RECEIVER
            and request.module in STORED_MODULES
            and request.method in _TO_HUB_METHODS
        )
        hub = RoutingPair(self._hub_party.country_code, self._hub_party.party_id)
        return replace(
            request, from_=RoutingPair(party.country_code, party.party_id), to=hub if to_hub else None
        ), party

    def _v211_receiver(self, request: OcpiRequest, memo: dict[str, Any] | None) -> OcpiRequest:
        """TO of a 2.1.1 Session or CDR push: the owner of its token (or of the stored Session's);
        anything else without a TO is left to Open Routing (authorize, commands, one Location)."""
        if request.to is not None or request.interface is not InterfaceRole.RECEIVER:
            return request
        if request.module not in ("sessions", "cdrs"):
            return request
        parsed = request.parsed if request.body is not None else None
        token = parsed.get("cdr_token") if isinstance(parsed, dict) else None
        token = token if isinstance(token, dict) else (memo or {}).get("cdr_token")
        cc, pid = (token.get("country_code"), token.get("party_id")) if isinstance(token, dict) else (None, None)
        if not (isinstance(cc, str) and isinstance(pid, str)):
            raise InvalidParameters(
                f"The hub cannot tell the receiver of this {request.module[:-1]}: no token owner is known for it"
            )
        return replace(request, to=RoutingPair(cc, pid))

    async def _body_up(self, edition: Edition, kind: ObjectKind, request: OcpiRequest, owner: PartyKey | None) -> Any:
        body: dict[str, Any] = request.parsed
        if edition is V230:
            with _checked(edition, kind):
                return v230.to_v221(kind, body)
        if request.method == "PATCH":
            with _checked(edition, kind):
                return v211.patch_to_v221(kind, body, received_at=ocpi_timestamp())
        context: dict[str, Any] = {}
        if owner is not None:
            context |= {"country_code": owner.country_code, "party_id": owner.party_id}
        if kind in (_K.SESSION, _K.CDR) and isinstance(body.get("auth_id"), str):
            context["cdr_token"] = await self._cdr_token(body["auth_id"])
            if context["cdr_token"] is None:
                raise InvalidParameters(
                    f"The hub cannot tell the receiver of this {kind.value}: no token owner is known for its "
                    "auth_id (no Token the hub knows has that uid, and it is no eMI3 contract id)"
                )
        with _checked(edition, kind):
            return v211.to_v221(kind, body, **context)

    async def _cdr_token(self, auth_id: str) -> dict[str, Any] | None:
        """The 2.2.1 CdrToken behind a 2.1.1 auth_id: the stored Token with that uid, else the
        eMSP an eMI3 contract id names (uid = contract_id = auth_id, type OTHER), else None.
        Remembered for `cache_seconds` (a Token stored meanwhile is seen after at most that)."""
        if auth_id not in self._cdr_tokens:
            self._cdr_tokens[auth_id] = await self._find_cdr_token(auth_id)
        found = self._cdr_tokens[auth_id]
        return dict(found) if found is not None else None

    async def _find_cdr_token(self, auth_id: str) -> dict[str, Any] | None:
        async with self._sessions() as session:
            repo = StoreRepository(session, self._personal)
            owner = await repo.owner_of(module="tokens", object_id=auth_id)
            token = await repo.get(module="tokens", owner=owner, object_id=auth_id) if owner else None
        if token is not None:
            return {k: token[k] for k in ("country_code", "party_id", "uid", "type", "contract_id") if k in token}
        party = emi3_party(auth_id)
        if party is None:
            return None
        return {
            "country_code": party.country_code,
            "party_id": party.party_id,
            "uid": auth_id,
            "type": "OTHER",
            "contract_id": auth_id,
        }

    async def relay(
        self, source: str, target: str | None, *, module: str, interface: InterfaceRole, method: str, body: Any
    ) -> Any:
        """A body sent to a hub URL (a command result at a response_url) from the caller's edition
        to the edition of the party behind the URL."""
        kind = body_kind(module, interface, method, PathParams())
        if kind is None or not isinstance(body, dict):
            return body
        edition = edition_of(source)
        pivot = body
        with _checked(edition, kind):
            if edition is V230:
                pivot = v230.to_v221(kind, body)
            elif edition is V211:
                pivot = v211.to_v221(kind, body)
        return await self.to_receiver(
            target, module=module, interface=interface, method=method, path=PathParams(), body=pivot
        )

    # --- egress ----------------------------------------------------------------------------

    async def to_receiver(
        self, version: str | None, *, module: str, interface: InterfaceRole, method: str, path: PathParams, body: Any
    ) -> Any:
        """`body` (2.2.1) in the receiver's edition; Untranslatable (2001) names what cannot go."""
        edition = edition_of(version)
        kind = body_kind(module, interface, method, path)
        if edition is PIVOT or kind is None or not isinstance(body, dict):
            return body
        if edition is V211 and kind is _K.SESSION and method == "PATCH" and "charging_periods" in body:
            # 2.2.1 appends the periods, 2.1.1 replaces the list: send the whole list
            owner, ids = path.owner, path.object_ids
            stored = await self._stored("sessions", owner, ids[0]) if owner is not None and ids else None
            body = {
                **body,
                "charging_periods": [*((stored or {}).get("charging_periods") or []), *body["charging_periods"]],
            }
        return await self._down(edition, kind, body, patch=method == "PATCH")

    async def _down(self, edition: Edition, kind: ObjectKind, obj: dict[str, Any], *, patch: bool = False) -> Any:
        """A 2.2.1 object in `edition`; one the 2.2.1 models would refuse (validation off) is 2001
        (a Location that is not public is Untranslatable for 2.1.1: `v211.from_v221`)."""
        location = (
            await self._location_of(obj) if edition is V211 and not patch and kind in (_K.SESSION, _K.CDR) else None
        )
        with _checked(PIVOT, kind):
            if edition is V230:
                return v230.from_v221(kind, obj)
            if patch:
                return v211.datetimes_to_v211(kind, v211.patch_from_v221(kind, obj))
            return v211.datetimes_to_v211(kind, v211.from_v221(kind, obj, location=location))

    async def _location_of(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        location_id = obj.get("location_id") or (obj.get("cdr_location") or {}).get("id")
        cc, pid = obj.get("country_code"), obj.get("party_id")
        if not (isinstance(location_id, str) and isinstance(cc, str) and isinstance(pid, str)):
            return None
        async with self._sessions() as session:
            return await StoreRepository(session, self._personal).get(
                module="locations", owner=PartyKey.of(cc, pid), object_id=location_id
            )

    # --- replies ---------------------------------------------------------------------------

    async def reply(
        self, request: OcpiRequest, envelope: dict[str, Any], *, receiver_version: str | None, receiver: PartyKey
    ) -> dict[str, Any] | None:
        """The receiver's envelope as the requester reads it, or None when nothing changes (the
        fast path: both speak 2.2.1). Its data goes receiver edition -> 2.2.1 -> requester edition."""
        source, target = edition_of(receiver_version), edition_of(request.version)
        if source is PIVOT and target is PIVOT:
            return None
        out = dict(envelope)
        shape = reply_kind(request.module, request.interface, request.method, request.path)
        data = envelope.get("data")
        if shape is not None and data is not None and 1000 <= int(envelope.get("status_code", 0)) < 2000:
            try:
                if shape.many and isinstance(data, list):
                    out["data"] = [
                        t
                        for item in data
                        if (t := await self._item(request, shape.kind, item, source, target, receiver)) is not None
                    ]
                elif isinstance(data, dict):
                    out["data"] = await self._cross(request, shape.kind, data, source, target, receiver)
            except Untranslatable as exc:
                _log.warning("reply_untranslatable", module=request.module, field=exc.field, target=exc.target)
                raise
        if target is V211 and isinstance(out.get("status_code"), int):
            out["status_code"] = v211_status(out["status_code"])
        return out

    async def listing(self, request: OcpiRequest, items: list[dict[str, Any]]) -> list[Any]:
        """Objects of the hub's store (2.2.1) in the requester's edition; one that cannot be
        translated (a non-public Location for 2.1.1) is left out."""
        shape = reply_kind(request.module, request.interface, request.method, request.path)
        if shape is None:
            return items
        target = edition_of(request.version)
        return [
            t for item in items if (t := await self._item(request, shape.kind, item, PIVOT, target, None)) is not None
        ]

    async def _item(
        self,
        request: OcpiRequest,
        kind: ObjectKind,
        item: Any,
        source: Edition,
        target: Edition,
        owner: PartyKey | None,
    ) -> Any:
        if not isinstance(item, dict):
            return None
        try:
            return await self._cross(request, kind, item, source, target, owner)
        except OcpiError as exc:  # Untranslatable, or an object the translation cannot read
            _log.warning("list_item_left_out", module=request.module, reason=type(exc).__name__, target=target.number)
            return None

    async def _cross(
        self,
        request: OcpiRequest,
        kind: ObjectKind,
        obj: dict[str, Any],
        source: Edition,
        target: Edition,
        owner: PartyKey | None,
    ) -> Any:
        pivot = obj
        context = await self._reply_context(request, kind, obj, owner) if source is V211 and owner else {}
        with _checked(source, kind, receiver=True):
            if source is V230:
                pivot = v230.to_v221(kind, obj)
            elif source is V211 and owner is not None:
                pivot = v211.to_v221(kind, obj, **context)
        if target is PIVOT:
            return pivot
        return await self._down(target, kind, pivot)

    async def _reply_context(
        self, request: OcpiRequest, kind: ObjectKind, obj: dict[str, Any], owner: PartyKey
    ) -> dict[str, Any]:
        """What a 2.1.1 reply object needs to become 2.2.1 (module docstring)."""
        context: dict[str, Any] = {"country_code": owner.country_code, "party_id": owner.party_id}
        if kind is _K.AUTHORIZATION_INFO:
            return {"token": await self._authorized_token(request, obj, owner)}
        if kind is _K.COMMAND_RESPONSE:
            return {}
        if kind in (_K.SESSION, _K.CDR) and isinstance(obj.get("auth_id"), str):
            context["cdr_token"] = await self._cdr_token(obj["auth_id"])
        return context

    async def _authorized_token(self, request: OcpiRequest, info: dict[str, Any], emsp: PartyKey) -> dict[str, Any]:
        uid = request.path.get("token_uid") or ""
        async with self._sessions() as session:
            stored = await StoreRepository(session, self._personal).get(module="tokens", owner=emsp, object_id=uid)
        if stored is not None:
            return stored
        token_type = dict(request.query).get("type", "RFID").upper()
        return {
            "country_code": emsp.country_code,
            "party_id": emsp.party_id,
            "uid": uid,
            "type": token_type,
            "contract_id": uid,
            "issuer": f"{emsp.country_code}{emsp.party_id}",
            "valid": info.get("allowed") == "ALLOWED",
            "whitelist": "NEVER",
            "last_updated": ocpi_timestamp(datetime.now(UTC)),
        }
