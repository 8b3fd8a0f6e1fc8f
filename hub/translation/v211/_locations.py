"""Locations (Location, EVSE, Connector) 2.1.1 <-> 2.2.1; rules in the package docstring.

The `*_fields_*` functions translate the fields present (a PATCH body, or a whole object before its
whole-object rules); EVSEs and Connectors have no whole-object rule of their own, so one function
serves both (nested objects in a PATCH are whole: a list in a PATCH replaces the list).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.translation.errors import Untranslatable
from hub.translation.v211._common import (
    _CAPABILITIES_211,
    _CONNECTORS_211,
    _FACILITIES_211,
    _PARKING_TYPES,
    _POWER_211,
    V211,
    V221,
    Obj,
    _energy_mix,
    _fit,
    _geo_down,
    _need,
    _rename,
)

# --- Connectors, EVSEs -----------------------------------------------------------------------------


def _connector_up(c: Mapping[str, Any], *, patch: bool = False) -> Obj:
    """patch: a PATCH body (tariff_id null says "no tariff": tariff_ids [])."""
    out = _rename(c, {"voltage": "max_voltage", "amperage": "max_amperage"}, frozenset({"tariff_id"}))
    if c.get("tariff_id") is not None:
        out["tariff_ids"] = [c["tariff_id"]]
    elif patch and "tariff_id" in c:
        out["tariff_ids"] = []
    return out


def _connector_down(c: Mapping[str, Any], path: str = "", *, patch: bool = False) -> Obj:
    """patch: a PATCH body (tariff_ids [] or null says "no tariff": tariff_id null)."""
    for key, allowed in (("standard", _CONNECTORS_211), ("power_type", _POWER_211)):
        if key in c and c[key] not in allowed:
            raise Untranslatable(f"{path}{key}", V211, f"{c[key]} does not exist in 2.1.1")
    out = _rename(
        c,
        {"max_voltage": "voltage", "max_amperage": "amperage"},
        frozenset({"tariff_ids", "max_electric_power"}),
    )
    tariffs = c.get("tariff_ids") or []
    if len(tariffs) > 1:
        raise Untranslatable(f"{path}tariff_ids", V211, "2.1.1 links a connector to one tariff only")
    if tariffs:
        out["tariff_id"] = tariffs[0]
    elif patch and "tariff_ids" in c:
        out["tariff_id"] = None
    return out


def _evse_up(e: Mapping[str, Any], path: str = "") -> Obj:
    out = dict(e)
    if e.get("uid") is not None:
        out["uid"] = _fit(e["uid"], 36, f"{path}uid", V221)
    if e.get("connectors") is not None:
        out["connectors"] = [_connector_up(c) for c in e["connectors"]]
    return out


def _evse_down(e: Mapping[str, Any], path: str = "") -> Obj:
    out = dict(e)
    if e.get("coordinates") is not None:
        out["coordinates"] = _geo_down(e["coordinates"])
    if e.get("capabilities") is not None:
        out["capabilities"] = [c for c in e["capabilities"] if c in _CAPABILITIES_211]
    if e.get("connectors") is not None:
        connectors = [
            _connector_down(c)
            for c in e["connectors"]
            if c.get("standard") in _CONNECTORS_211 and c.get("power_type") in _POWER_211
        ]
        if not connectors:
            why = "no connector has a standard and power type 2.1.1 knows"
            raise Untranslatable(f"{path}connectors", V211, why)
        out["connectors"] = connectors
    return out


# --- Locations -------------------------------------------------------------------------------------


def _hours_up(h: Mapping[str, Any]) -> Obj:
    out = dict(h)
    if not out.get("twentyfourseven"):
        out["twentyfourseven"] = False
        if not out.get("regular_hours"):
            why = "2.2.1 needs regular_hours when the location is not open 24/7"
            raise Untranslatable("opening_times.regular_hours", V221, why)
    return out


def _hours_down(h: Mapping[str, Any]) -> Obj:
    out = dict(h)
    if h["twentyfourseven"]:
        out.pop("regular_hours", None)
    else:
        del out["twentyfourseven"]
    return out


def _location_fields_up(loc: Mapping[str, Any]) -> Obj:
    """The fields of a 2.1.1 Location present in `loc`, in 2.2.1 form (type OTHER/UNKNOWN: no parking_type)."""
    out: Obj = {}
    for key, value in loc.items():
        if key == "type":
            if value in _PARKING_TYPES:
                out["parking_type"] = value
            continue
        if value is not None:
            if key == "id":
                value = _fit(value, 36, "id", V221)
            elif key == "evses":
                value = [_evse_up(e, f"evses[{i}].") for i, e in enumerate(value)]
            elif key == "opening_times":
                value = _hours_up(value)
            elif key == "energy_mix":
                value = _energy_mix(value, "source", "category")
        out[key] = value
    return out


def _location_up(loc: Mapping[str, Any], owner: Obj, time_zone: str | None) -> Obj:
    out: Obj = {**owner, "publish": True, **_location_fields_up(loc)}
    if out.get("time_zone") is None:
        out["time_zone"] = _need(time_zone, "time_zone", V221, "mandatory in 2.2.1; pass time_zone=")
    return out


def publishable_to_v211(location: Mapping[str, Any]) -> bool:
    """Whether a 2.2.1 Location may be sent to a 2.1.1 party at all: 2.1.1 cannot restrict who sees
    a location, so one with publish=false must not be sent (from_v221 raises for it)."""
    return bool(location.get("publish", True))


_LOCATION_DROPPED = frozenset({"country_code", "party_id", "publish", "publish_allowed_to", "state"})


def _evses_down(evses: list[Obj]) -> list[Obj]:
    out = []
    for i, e in enumerate(evses):
        try:
            out.append(_evse_down(e, f"evses[{i}]."))
        except Untranslatable as err:
            if err.field != f"evses[{i}].connectors":
                raise
    return out


def _location_fields_down(loc: Mapping[str, Any]) -> Obj:
    """The fields of a 2.2.1 Location present in `loc`, in 2.1.1 form."""
    if not publishable_to_v211(loc):
        raise Untranslatable("publish", V211, "the location is not public and 2.1.1 cannot restrict it")
    out: Obj = {}
    for key, value in loc.items():
        if key in _LOCATION_DROPPED:
            continue
        if key == "parking_type":
            out["type"] = value if value in _PARKING_TYPES else ("OTHER" if value else "UNKNOWN")
            continue
        if value is not None:
            if key == "evses":
                value = _evses_down(value)
            elif key == "coordinates":
                value = _geo_down(value)
            elif key == "related_locations":
                value = [_geo_down(r) for r in value]
            elif key == "opening_times":
                value = _hours_down(value)
            elif key == "energy_mix":
                value = _energy_mix(value, "category", "source")
            elif key == "facilities":
                value = [f for f in value if f in _FACILITIES_211]
        out[key] = value
    return out


def _location_down(loc: Mapping[str, Any]) -> Obj:
    out = _location_fields_down(loc)
    out.setdefault("type", "UNKNOWN")
    if out.get("postal_code") is None:
        out["postal_code"] = ""
    return out


def _reduce_location(location: Mapping[str, Any], location_id: str, evse_uid: str, connector_id: str) -> Obj:
    """A 2.2.1 Location holding only the EVSE and Connector a Session/CDR is about (2.1.1 form)."""
    if location["id"] != location_id:
        raise Untranslatable("location_id", V211, f"the location given is {location['id']}, not {location_id}")
    for evse in location.get("evses") or []:
        if evse["uid"] != evse_uid:
            continue
        for connector in evse["connectors"]:
            if connector["id"] == connector_id:
                one = {**location, "evses": [{**evse, "connectors": [connector]}]}
                return _location_down(one)
    raise Untranslatable("location", V211, f"the location has no EVSE {evse_uid} with connector {connector_id}")


def _one_connector(loc: Mapping[str, Any]) -> tuple[Obj, Obj]:
    evses = loc.get("evses") or []
    if len(evses) != 1 or len(evses[0]["connectors"]) != 1:
        raise Untranslatable("location.evses", V221, "must hold exactly one EVSE with one connector")
    return evses[0], evses[0]["connectors"][0]
