"""Sessions, CDRs and Tariffs 2.1.1 <-> 2.2.1; rules in the package docstring."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.translation.errors import Untranslatable
from hub.translation.v211._common import (
    _DIMENSIONS_211,
    _DIMENSIONS_221,
    V211,
    V221,
    Obj,
    _energy_mix,
    _fit,
    _need,
    _put,
)
from hub.translation.v211._locations import (
    _one_connector,
    _reduce_location,
)

# --- Sessions, CDRs --------------------------------------------------------------------------------


def _periods_up(periods: list[Obj]) -> list[Obj]:
    out = []
    for p in periods:
        dims = [d for d in p["dimensions"] if d["type"] in _DIMENSIONS_221]
        if dims:
            out.append({**p, "dimensions": dims})
    return out


def _periods_down(periods: list[Obj]) -> list[Obj]:
    out = []
    for p in periods:
        dims = [d for d in p["dimensions"] if d["type"] in _DIMENSIONS_211]
        if dims:
            out.append({"start_date_time": p["start_date_time"], "dimensions": dims})
    return out


def _nonempty(periods: list[Obj], target: str) -> list[Obj]:
    if not periods:
        raise Untranslatable("charging_periods", target, f"no dimension {target} knows is left; a CDR needs one")
    return periods


def _token_ref(obj: Mapping[str, Any], cdr_token: Mapping[str, Any] | None) -> Obj:
    token = _need(
        cdr_token,
        "auth_id",
        V221,
        "2.2.1 needs the Token behind auth_id; pass cdr_token= (its CdrToken)",
    )
    if token["contract_id"] != obj["auth_id"]:
        raise Untranslatable("auth_id", V221, "the cdr_token given has another contract_id")
    return dict(token)


_SESSION_RENAMED_UP = {"start_datetime": "start_date_time", "end_datetime": "end_date_time"}
_SESSION_RENAMED_DOWN = {v: k for k, v in _SESSION_RENAMED_UP.items()}
# What a Session names only by reference in one edition and embeds in the other: needs context.
SESSION_CONTEXT_UP = ("auth_id", "location")
SESSION_CONTEXT_DOWN = ("location_id", "evse_uid", "connector_id")


def _session_fields_up(s: Mapping[str, Any]) -> Obj:
    """The fields of a 2.1.1 Session present in `s` but auth_id and location, in 2.2.1 form."""
    out: Obj = {}
    for key, value in s.items():
        if key in SESSION_CONTEXT_UP:
            continue
        if value is not None:
            if key == "total_cost":
                value = {"excl_vat": value}
            elif key == "charging_periods":
                value = _periods_up(value)
        out[_SESSION_RENAMED_UP.get(key, key)] = value
    return out


def _session_up(s: Mapping[str, Any], owner: Obj, cdr_token: Mapping[str, Any] | None) -> Obj:
    evse, connector = _one_connector(s["location"])
    out: Obj = {**owner, **_session_fields_up(s)}
    out["cdr_token"] = _token_ref(s, cdr_token)
    out["location_id"] = _fit(s["location"]["id"], 36, "location.id", V221)
    out["evse_uid"] = _fit(evse["uid"], 36, "location.evses[0].uid", V221)
    out["connector_id"] = connector["id"]
    return out


def _status_down(obj: Obj) -> None:
    if obj.get("auth_method") == "COMMAND":
        obj["auth_method"] = "AUTH_REQUEST"
    if obj.get("status") == "RESERVATION":
        obj["status"] = "PENDING"


def _location_context(location: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if location is None:
        raise Untranslatable("location_id", V211, "2.1.1 embeds the Location; pass location= (2.2.1 Location)")
    return location


_SESSION_DROPPED = frozenset({"country_code", "party_id", "authorization_reference", *SESSION_CONTEXT_DOWN})


def _session_fields_down(s: Mapping[str, Any]) -> Obj:
    """The fields of a 2.2.1 Session present in `s` but location_id, evse_uid and connector_id, in 2.1.1 form."""
    out: Obj = {}
    for key, value in s.items():
        if key in _SESSION_DROPPED:
            continue
        if key == "cdr_token":
            out["auth_id"] = None if value is None else value["contract_id"]
            continue
        if value is not None:
            if key == "total_cost":
                value = value["excl_vat"]
            elif key == "charging_periods":
                value = _periods_down(value)
        out[_SESSION_RENAMED_DOWN.get(key, key)] = value
    _status_down(out)
    return out


def _session_down(s: Mapping[str, Any], location: Mapping[str, Any] | None) -> Obj:
    out = _session_fields_down(s)
    out["location"] = _reduce_location(_location_context(location), s["location_id"], s["evse_uid"], s["connector_id"])
    return out


def _cdr_up(c: Mapping[str, Any], owner: Obj, cdr_token: Mapping[str, Any] | None) -> Obj:
    loc = c["location"]
    evse, connector = _one_connector(loc)
    out: Obj = {**owner}
    for key, value in c.items():
        if key == "auth_id":
            out["cdr_token"] = _token_ref(c, cdr_token)
        elif key == "location":
            flat: Obj = {"id": _fit(loc["id"], 36, "location.id", V221)}
            for k in ("name", "address", "city", "postal_code", "country", "coordinates"):
                _put(flat, k, loc.get(k))
            flat["evse_uid"] = _fit(evse["uid"], 36, "location.evses[0].uid", V221)
            why = "mandatory in a 2.2.1 CdrLocation"
            flat["evse_id"] = _need(evse.get("evse_id"), "location.evses[0].evse_id", V221, why)
            flat["connector_id"] = connector["id"]
            flat["connector_standard"] = connector["standard"]
            flat["connector_format"] = connector["format"]
            flat["connector_power_type"] = connector["power_type"]
            out["cdr_location"] = flat
        elif key == "stop_date_time":
            out["end_date_time"] = value
        elif key == "total_cost":
            out["total_cost"] = {"excl_vat": value}
        elif key == "charging_periods":
            out[key] = _nonempty(_periods_up(value), V221)
        elif key == "tariffs":
            out[key] = [_tariff_up(t, owner) for t in value]
        else:
            out[key] = value
    return out


_CDR_DROPPED = frozenset(
    {
        "country_code",
        "party_id",
        "session_id",
        "authorization_reference",
        "signed_data",
        "total_fixed_cost",
        "total_energy_cost",
        "total_time_cost",
        "total_parking_cost",
        "total_reservation_cost",
        "invoice_reference_id",
        "credit",
        "credit_reference_id",
        "home_charging_compensation",
    }
)


def _cdr_down(c: Mapping[str, Any], location: Mapping[str, Any] | None) -> Obj:
    if c.get("credit"):
        raise Untranslatable("credit", V211, "2.1.1 has no credit CDR")
    if c.get("home_charging_compensation"):
        raise Untranslatable("home_charging_compensation", V211, "2.1.1 cannot mark a compensation CDR")
    _fit(c["id"], 36, "id", V211)
    out: Obj = {}
    for key, value in c.items():
        if key in _CDR_DROPPED:
            continue
        if key == "cdr_token":
            out["auth_id"] = value["contract_id"]
        elif key == "cdr_location":
            why = "2.1.1 embeds the full Location; pass location= (2.2.1 Location)"
            full = _need(location, "cdr_location", V211, why)
            out["location"] = _reduce_location(full, value["id"], value["evse_uid"], value["connector_id"])
        elif key == "end_date_time":
            out["stop_date_time"] = value
        elif key == "total_cost":
            out["total_cost"] = value["excl_vat"]
        elif key == "charging_periods":
            out[key] = _nonempty(_periods_down(value), V211)
        elif key == "tariffs":
            out[key] = [_tariff_down(t, f"tariffs[{i}].") for i, t in enumerate(value)]
        else:
            out[key] = value
    _status_down(out)
    return out


# --- Tariffs ---------------------------------------------------------------------------------------


def _tariff_fields_up(t: Mapping[str, Any]) -> Obj:
    """The fields of a 2.1.1 Tariff present in `t`, in 2.2.1 form."""
    out: Obj = dict(t)
    _put(out, "energy_mix", _energy_mix(t.get("energy_mix"), "source", "category"))
    return out


def _tariff_up(t: Mapping[str, Any], owner: Obj) -> Obj:
    return {**owner, **_tariff_fields_up(t)}


_TARIFF_REFUSED = ("min_price", "max_price", "start_date_time", "end_date_time")


def _elements_down(elements: list[Obj], path: str) -> list[Obj]:
    out = []
    for i, element in enumerate(elements):
        restrictions = element.get("restrictions") or {}
        if restrictions.get("reservation") is not None:
            continue
        for key in ("min_current", "max_current"):
            if restrictions.get(key) is not None:
                where = f"{path}elements[{i}].restrictions.{key}"
                raise Untranslatable(where, V211, "2.1.1 has no current restriction; the element would apply wider")
        new: Obj = {
            "price_components": [{k: v for k, v in p.items() if k != "vat"} for p in element["price_components"]]
        }
        if "restrictions" in element:
            new["restrictions"] = element["restrictions"]
        out.append(new)
    if not out:
        raise Untranslatable(f"{path}elements", V211, "only reservation elements, which 2.1.1 cannot express")
    return out


def _tariff_down(t: Mapping[str, Any], path: str = "") -> Obj:
    """The fields of a 2.2.1 Tariff present in `t` (a whole Tariff or a PATCH body), in 2.1.1 form."""
    if t.get("type") not in (None, "REGULAR"):
        raise Untranslatable(f"{path}type", V211, f"a {t['type']} tariff would apply to every 2.1.1 session")
    for key in _TARIFF_REFUSED:
        if t.get(key) is not None:
            raise Untranslatable(f"{path}{key}", V211, "2.1.1 has no such field and it changes the price")
    out = {k: v for k, v in t.items() if k not in ("country_code", "party_id", "type", *_TARIFF_REFUSED)}
    _put(out, "energy_mix", _energy_mix(t.get("energy_mix"), "category", "source"))
    if t.get("elements") is not None:
        out["elements"] = _elements_down(t["elements"], path)
    return out
