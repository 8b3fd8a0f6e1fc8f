"""Which OCPI object a message carries, from its module, interface, method and path. Pure.

`body_kind`: the object in a request body (a push, a command, an authorize's LocationReferences,
a command result at a response_url). `reply_kind`: the object (or list of objects) in a reply's
`data`. None: nothing to translate (no body, or a message every edition shapes alike).
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.ocpi.request import PathParams
from hub.translation import ObjectKind
from hub.types import InterfaceRole

__all__ = ["TRANSLATED_MODULES", "V221_ONLY", "ReplyKind", "body_kind", "reply_kind"]

_K = ObjectKind
_BY_DEPTH = (_K.LOCATION, _K.EVSE, _K.CONNECTOR)  # locations: location_id[, evse_uid[, connector_id]]
_OBJECTS = {"sessions": _K.SESSION, "cdrs": _K.CDR, "tariffs": _K.TARIFF, "tokens": _K.TOKEN}
_COMMANDS = {
    "START_SESSION": _K.START_SESSION,
    "STOP_SESSION": _K.STOP_SESSION,
    "RESERVE_NOW": _K.RESERVE_NOW,
    "CANCEL_RESERVATION": _K.CANCEL_RESERVATION,
    "UNLOCK_CONNECTOR": _K.UNLOCK_CONNECTOR,
}


# Fields a 2.2.1 object has under a name 2.1.1 does not (a 2.1.1 party sending one speaks the
# wrong version: requirements §5.4); 2.1.1 has no field of these names.
V221_ONLY: dict[ObjectKind, frozenset[str]] = {
    _K.LOCATION: frozenset({"country_code", "party_id", "parking_type", "publish", "publish_allowed_to"}),
    _K.CONNECTOR: frozenset({"max_voltage", "max_amperage", "tariff_ids", "max_electric_power"}),
    _K.SESSION: frozenset({"country_code", "party_id", "start_date_time", "end_date_time", "cdr_token", "location_id"}),
    _K.CDR: frozenset({"country_code", "party_id", "end_date_time", "cdr_token", "cdr_location"}),
    _K.TARIFF: frozenset({"country_code", "party_id", "min_price", "max_price"}),
    _K.TOKEN: frozenset({"country_code", "party_id", "contract_id"}),
}


# The modules whose bodies differ between editions (chargingprofiles, hubclientinfo and custom
# modules travel as they are).
TRANSLATED_MODULES = frozenset({"cdrs", "commands", "locations", "sessions", "tariffs", "tokens"})


@dataclass(frozen=True, slots=True)
class ReplyKind:
    kind: ObjectKind
    many: bool = False  # `data` is a list of `kind`


def _object_kind(module: str, path: PathParams) -> ObjectKind | None:
    if module == "locations":
        depth = len(path.object_ids)
        return _BY_DEPTH[depth - 1] if 1 <= depth <= 3 else None
    return _OBJECTS.get(module)


def body_kind(module: str, interface: InterfaceRole, method: str, path: PathParams) -> ObjectKind | None:
    if method not in ("PUT", "PATCH", "POST"):
        return None
    if interface is InterfaceRole.RECEIVER:
        if module == "commands":
            return _COMMANDS.get(path.get("command") or "")
        if module == "chargingprofiles":
            return None
        return _object_kind(module, path) if module != "cdrs" or method == "POST" else None
    if module == "tokens" and path.get("authorize") is not None:
        return _K.LOCATION_REFERENCES
    if module == "commands":
        return _K.COMMAND_RESULT
    return None


def reply_kind(module: str, interface: InterfaceRole, method: str, path: PathParams) -> ReplyKind | None:
    if method == "GET":
        if interface is InterfaceRole.SENDER and path.is_list:
            kind = _OBJECTS.get(module) or (_K.LOCATION if module == "locations" else None)
            return ReplyKind(kind, many=True) if kind is not None else None
        if module in ("commands", "chargingprofiles") or path.get("charging_preferences") is not None:
            return None
        kind = _object_kind(module, path) if module != "locations" or path.object_ids else None
        return ReplyKind(kind) if kind is not None else None
    if method == "POST":
        if module == "tokens" and path.get("authorize") is not None:
            return ReplyKind(_K.AUTHORIZATION_INFO)
        if module == "commands" and interface is InterfaceRole.RECEIVER:
            return ReplyKind(_K.COMMAND_RESPONSE)
    return None
