"""PATCH bodies (partial objects) 2.1.1 <-> 2.2.1, and OCPI's PATCH merge; rules in the package docstring."""

from __future__ import annotations

from collections.abc import Mapping
from copy import deepcopy
from typing import Any

from hub.translation.errors import Untranslatable
from hub.translation.kinds import ObjectKind
from hub.translation.v211._common import V211, V221, Obj, _need
from hub.translation.v211._locations import (
    _connector_down,
    _connector_up,
    _evse_down,
    _evse_up,
    _location_fields_down,
    _location_fields_up,
)
from hub.translation.v211._money import (
    SESSION_CONTEXT_DOWN,
    SESSION_CONTEXT_UP,
    _session_fields_down,
    _session_fields_up,
    _tariff_down,
    _tariff_fields_up,
)
from hub.translation.v211._tokens import _token_down, _token_fields_up

PATCH_KINDS = frozenset(
    {ObjectKind.LOCATION, ObjectKind.EVSE, ObjectKind.CONNECTOR, ObjectKind.SESSION, ObjectKind.TARIFF}
    | {ObjectKind.TOKEN}
)


def _session_patch_up(s: Mapping[str, Any]) -> Obj:
    for key in SESSION_CONTEXT_UP:
        if key in s:
            why = "its 2.2.1 form needs context a PATCH does not carry (cdr_token / location ids); send a PUT"
            raise Untranslatable(key, V221, why)
    if s.get("charging_periods") == []:
        why = "an empty list clears the periods in 2.1.1; a 2.2.1 PATCH can only add periods (send a PUT)"
        raise Untranslatable("charging_periods", V221, why)
    out = _session_fields_up(s)
    if out.get("charging_periods") == []:  # only dimensions 2.2.1 lacks: nothing to add
        del out["charging_periods"]
    return out


def _session_patch_down(s: Mapping[str, Any]) -> Obj:
    for key in SESSION_CONTEXT_DOWN:
        if key in s:
            raise Untranslatable(key, V211, "2.1.1 embeds the Location; a PATCH carries no Location (send a PUT)")
    out = _session_fields_down(s)
    if out.get("charging_periods") == []:  # 2.2.1: no change; 2.1.1 would clear the periods
        del out["charging_periods"]
    return out


def patch_to_v221(kind: ObjectKind, obj: Mapping[str, Any], *, received_at: str | None = None) -> Obj:
    """The 2.2.1 form of the 2.1.1 PATCH body `obj` (a partial `kind`): only the fields present.

    received_at: the DateTime the hub received the PATCH; becomes `last_updated` when the body has
        none (mandatory in a 2.2.1 PATCH).
    A Tariff PATCH has no 2.2.1 form on the wire (2.2.1 has no Tariff PATCH): merge it into the stored
    2.1.1 Tariff with `merge_patch` and send the `to_v221` of the result as a PUT.
    """
    k = ObjectKind
    match kind:
        case k.LOCATION:
            out = _location_fields_up(obj)
        case k.EVSE:
            out = _evse_up(obj)
        case k.CONNECTOR:
            out = _connector_up(obj, patch=True)
        case k.SESSION:
            out = _session_patch_up(obj)
        case k.TARIFF:
            out = _tariff_fields_up(obj)
        case k.TOKEN:
            out = _token_fields_up(obj)
        case _:
            raise Untranslatable(str(kind), V221, "OCPI has no PATCH of this object")
    if out.get("last_updated") is None:
        why = "mandatory in a 2.2.1 PATCH; pass received_at="
        out["last_updated"] = _need(received_at, "last_updated", V221, why)
    return out


def patch_from_v221(kind: ObjectKind, obj: Mapping[str, Any]) -> Obj:
    """The 2.1.1 form of the 2.2.1 PATCH body `obj` (a partial `kind`): only the fields present."""
    k = ObjectKind
    match kind:
        case k.LOCATION:
            return _location_fields_down(obj)
        case k.EVSE:
            return _evse_down(obj)
        case k.CONNECTOR:
            return _connector_down(obj, patch=True)
        case k.SESSION:
            return _session_patch_down(obj)
        case k.TARIFF:
            return _tariff_down(obj)
        case k.TOKEN:
            return _token_down(obj)
        case _:
            raise Untranslatable(str(kind), V211, "OCPI has no PATCH of this object")


def merge_patch(stored: Mapping[str, Any], patch: Mapping[str, Any]) -> Obj:
    """`stored` updated by the PATCH body `patch`, as an OCPI receiver applies it (transport_and_format,
    PATCH): a field the PATCH leaves out stays; a field it carries replaces the stored one whole (a
    list or nested object is not merged element by element); a null removes the field. Neither
    argument is changed; the result shares no list or object with them. The merge is edition-blind:
    use it on two objects of the same edition."""
    out = deepcopy(dict(stored))
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = deepcopy(value)
    return out
