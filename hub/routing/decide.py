"""decide(request, sender, view) -> Forward | Broadcast | AnswerFromStore | Reject. Pure; no I/O.

The one place that says what happens to a functional-module request, and the one place where
the sender's identity ("this platform may speak as this party") and the ownership of pushed
objects ("this object belongs to the sender") are checked. The caller gathers what it needs
beforehand (`hub.routing.view`): the receiver named by OCPI-to or found by Open Routing, that
party's route entries, the agreements and the modules the sender's platform offers.

Spec: party-to-party routing (transport_and_format.asciidoc 517-524), Broadcast Push (426-457),
GET All via the hub (476-487), Open Routing (460-473), hub errors (status_codes.asciidoc 87-103)
with our policy (requirements §3.7): unknown party or a party without the module/interface ->
4001; known but not CONNECTED -> 4003. Checklist C.41 (FROM), C.43 and H.73 (pushes).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from hub.errors import InvalidParameters, NotFound, OcpiError, ReceiverUnreachable, UnknownReceiver
from hub.identity import Identity
from hub.mirror.merge import STORED_MODULES
from hub.ocpi.grammar import known_module
from hub.ocpi.request import NO_BODY, OcpiRequest
from hub.routing.agreements import AgreementPolicy
from hub.routing.pins import pin_key
from hub.routing.table import RouteEntry
from hub.types import InterfaceRole, PartyKey, Role

__all__ = [
    "AnswerFromStore",
    "Broadcast",
    "Decision",
    "Forward",
    "Reject",
    "RouteView",
    "decide",
    "sender_party",
]

_PUSHES = frozenset({"PUT", "PATCH", "POST", "DELETE"})
_ID_FIELDS: dict[str, tuple[str, ...]] = {
    "locations": ("id", "uid", "id"),
    "sessions": ("id",),
    "tariffs": ("id",),
    "tokens": ("uid",),
}


@dataclass(frozen=True, slots=True)
class RouteView:
    """What the decision may look at: gathered by `hub.routing.view.RouteViews`."""

    hub_party: PartyKey
    receiver: PartyKey | None  # OCPI-to, or the party Open Routing found, or None
    open_routed: bool
    entries: tuple[RouteEntry, ...]
    policy: AgreementPolicy
    sender_modules: frozenset[str]
    from_entries: tuple[RouteEntry, ...] = ()  # routes to OCPI-from's party, when an upstream hub sends
    pin: str | None = None  # the flow the request belongs to, when the receiver has several routes
    pinned: int | None = None  # the platform that flow is pinned to
    held_down: frozenset[int] = frozenset()  # platforms recently unreachable (hub.forwarding.resilience.HoldDown)


@dataclass(frozen=True, slots=True)
class Forward:
    """Send the request to `route`'s platform; the reply goes back to `sender`. `alternates`:
    further routes to the same party, in order, for failover (`hub.forwarding.send`); `pin`: the
    flow to pin to the route that carries it (several routes only)."""

    route: RouteEntry
    endpoint: str
    sender: PartyKey
    receiver: PartyKey
    alternates: tuple[tuple[RouteEntry, str], ...] = ()
    pin: str | None = None
    learned_pin: str | None = None  # an upstream sent it: its flow stays on that upstream's route


@dataclass(frozen=True, slots=True)
class Broadcast:
    """Accept a push addressed to the hub and fan it out to every party allowed to receive it."""

    pusher: PartyKey
    role: Role


@dataclass(frozen=True, slots=True)
class AnswerFromStore:
    """GET All via the hub: the combined list from the hub's mirror, filtered for `requester`."""

    requester: PartyKey
    roles: frozenset[Role]


@dataclass(frozen=True, slots=True)
class Reject:
    error: OcpiError


Decision = Forward | Broadcast | AnswerFromStore | Reject


def sender_party(request: OcpiRequest, sender: Identity, view: RouteView | None = None) -> PartyKey:
    """FROM must be one of the sender platform's parties; inferred if it has exactly one. An
    upstream hub speaks for the parties behind it: any party but the hub itself and the parties
    another platform connects directly (loop guard: our own parties never come back through an
    upstream)."""
    if sender.upstream:
        return _upstream_sender(request, sender, view)
    if request.from_ is None:
        keys = sender.party_keys
        if len(keys) != 1:
            raise InvalidParameters("OCPI-from-country-code and OCPI-from-party-id are required")
        return next(iter(keys))
    if not sender.serves(request.from_.key):
        raise InvalidParameters(f"OCPI-from {request.from_.key} is not one of your registered parties")
    return request.from_.key


def _upstream_sender(request: OcpiRequest, sender: Identity, view: RouteView | None) -> PartyKey:
    if request.from_ is None:
        raise InvalidParameters("OCPI-from-country-code and OCPI-from-party-id are required from a hub")
    key = request.from_.key
    if view is not None and key == view.hub_party:
        raise InvalidParameters(f"OCPI-from {key} is this hub")
    if sender.serves(key):
        return key
    direct = view.from_entries if view is not None else ()
    if any(not e.platform.upstream and e.platform.platform_id != sender.platform_id for e in direct):
        raise InvalidParameters(f"OCPI-from {key} is connected to this hub directly, not through your hub")
    return key


def decide(request: OcpiRequest, sender: Identity, view: RouteView) -> Decision:
    try:
        party = sender_party(request, sender, view)
        if not known_module(request.module) and request.module not in view.sender_modules:
            raise NotFound(f"Unknown module {request.module}")
        _check_push(request, party)
        if view.receiver == view.hub_party and not view.open_routed:
            return _to_hub(request, sender, party, view)
        return _forward(request, party, view)
    except OcpiError as error:
        return Reject(error)


def _to_hub(request: OcpiRequest, sender: Identity, party: PartyKey, view: RouteView) -> Decision:
    roles = frozenset(p.role for p in sender.parties if p.key == party)
    if sender.upstream and not roles:  # a party behind an upstream hub: its routes say its roles
        mine = frozenset(e.role for e in view.from_entries if e.platform.platform_id == sender.platform_id)
        roles = mine or frozenset({Role.CPO, Role.EMSP})
    if request.method in _PUSHES:
        if request.module not in STORED_MODULES or request.interface is not InterfaceRole.RECEIVER:
            # Sessions, CDRs and commands are meant for one party (personal data, transport_and_format 449-452).
            raise InvalidParameters(
                f"{request.module} {request.interface.value} cannot be broadcast: address the receiving party"
            )
        return Broadcast(pusher=party, role=_pusher_role(roles, request.module))
    if request.is_list_get:
        if request.module not in STORED_MODULES:
            raise InvalidParameters("GET All via the hub serves locations, tariffs and tokens")
        return AnswerFromStore(requester=party, roles=roles)
    if _own_object_get(request, party):  # what the sender pushed to the hub, as the hub keeps it
        return AnswerFromStore(requester=party, roles=roles)
    raise InvalidParameters("A GET of one object cannot be addressed to the hub: address its owner")


def _own_object_get(request: OcpiRequest, party: PartyKey) -> bool:
    """`GET .../{cc}/{pid}/{id}` on a Receiver interface, by the object's owner, of a module the
    hub keeps (a party checking what it broadcast; a 2.1.1 eMSP's GET of its Token by uid)."""
    return (
        request.method == "GET"
        and request.interface is InterfaceRole.RECEIVER
        and request.module in STORED_MODULES
        and request.path.owner == party
    )


def _pusher_role(roles: Collection[Role], module: str) -> Role:
    """The role a party pushes in: tokens are eMSP data, the other modules CPO data."""
    preferred = Role.EMSP if module == "tokens" else Role.CPO
    if preferred in roles:
        return preferred
    return sorted(roles)[0] if roles else Role.OTHER


def _forward(request: OcpiRequest, party: PartyKey, view: RouteView) -> Decision:
    receiver = view.receiver
    if receiver is None:
        if request.is_list_get:
            raise InvalidParameters("OCPI-to headers are required for a list GET (GET All is never open-routed)")
        raise UnknownReceiver("No OCPI-to headers, and the hub cannot tell the receiver from the request")
    entries = view.entries
    if not entries:
        raise UnknownReceiver(f"Unknown receiver {receiver}")
    if not any(e.connected for e in entries):
        raise ReceiverUnreachable(f"Receiver {receiver} is not connected ({entries[0].effective_status.value})")
    able = [(e, url) for e in entries if (url := e.carries(request.module, request.interface))]
    if not able:
        raise UnknownReceiver(f"Receiver {receiver} does not implement {request.module} {request.interface.value}")
    routes = _candidates(able, view)
    if not routes:
        status = able[0][0].effective_status.value
        raise ReceiverUnreachable(f"Receiver {receiver} is not connected ({status})")
    if not view.policy.allows(party, receiver, request.module):
        raise UnknownReceiver(f"No agreement lets {party} and {receiver} exchange {request.module}")
    (route, endpoint), *alternates = routes
    several = len({e.platform.platform_id for e, _ in able}) > 1
    return Forward(
        route=route,
        endpoint=endpoint,
        sender=party,
        receiver=receiver,
        alternates=tuple(alternates),
        pin=view.pin if several else None,
        learned_pin=pin_key(request, party) if len({e.platform.platform_id for e in view.from_entries}) > 1 else None,
    )


def _candidates(able: list[tuple[RouteEntry, str]], view: RouteView) -> list[tuple[RouteEntry, str]]:
    """Connected routes, one per platform: the pinned one alone if the flow is pinned (its
    follow-ups never switch routes), else by priority with held-down routes last."""
    usable: list[tuple[RouteEntry, str]] = []
    seen: set[int] = set()
    for entry, url in able:
        if entry.connected and entry.platform.platform_id not in seen:
            seen.add(entry.platform.platform_id)
            usable.append((entry, url))
    if view.pinned is not None and any(e.platform.platform_id == view.pinned for e, _ in able):
        return [(e, u) for e, u in usable if e.platform.platform_id == view.pinned][:1]
    usable.sort(key=lambda r: (r[0].platform.platform_id in view.held_down, r[0].priority))
    return usable


def _check_push(request: OcpiRequest, party: PartyKey) -> None:
    """A push must carry a JSON object, PATCH its last_updated, and name only the sender as owner."""
    to_receiver = request.interface is InterfaceRole.RECEIVER
    body = request.parsed
    if body is NO_BODY:
        if request.method == "PATCH" or (request.method == "PUT" and to_receiver and request.module in _ID_FIELDS):
            raise InvalidParameters(f"{request.method} needs a JSON body")
    elif request.method == "PATCH" or (to_receiver and request.method in ("PUT", "POST")):
        if not isinstance(body, dict):
            raise InvalidParameters(f"{request.method} body must be a JSON object")
        if request.method == "PATCH" and "last_updated" not in body:
            raise InvalidParameters("PATCH must contain last_updated")
    if not to_receiver or request.method == "GET":
        return
    owner = request.path.owner
    if owner is not None and owner != party:
        raise InvalidParameters(f"URL country_code/party_id {owner} is not the sender {party} (OCPI-from)")
    if isinstance(body, dict):
        _check_body_owner(body, owner or party, request)


def _check_body_owner(body: dict[str, Any], owner: PartyKey, request: OcpiRequest) -> None:
    where = "URL" if request.path.owner is not None else "sender (OCPI-from)"
    if "country_code" in body and not _same(body["country_code"], owner.country_code):
        raise InvalidParameters(f"Body country_code differs from the {where} country_code")
    if "party_id" in body and not _same(body["party_id"], owner.party_id):
        raise InvalidParameters(f"Body party_id differs from the {where} party_id")
    ids = request.path.object_ids
    fields = _ID_FIELDS.get(request.module)
    if fields and ids and request.path.owner is not None:
        field = fields[len(ids) - 1]
        if field in body and not _same(body[field], ids[-1]):
            raise InvalidParameters(f"Body {field} differs from the object id in the URL")


def _same(a: Any, b: str) -> bool:
    return isinstance(a, str) and a.upper() == b.upper()
