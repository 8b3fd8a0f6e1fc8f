"""Shared constants and helpers of the 2.1.1 <-> 2.2.1 translation."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from hub.translation.errors import Untranslatable

Obj = dict[str, Any]
V211, V221 = "2.1.1", "2.2.1"

_CAPABILITIES_211 = frozenset(
    {
        "CHARGING_PROFILE_CAPABLE",
        "CREDIT_CARD_PAYABLE",
        "REMOTE_START_STOP_CAPABLE",
        "RESERVABLE",
        "RFID_READER",
        "UNLOCK_CAPABLE",
    }
)
_CONNECTORS_211 = frozenset(
    {"CHADEMO", *(f"DOMESTIC_{c}" for c in "ABCDEFGHIJKL"), "IEC_60309_2_single_16"}
    | {f"IEC_60309_2_three_{a}" for a in (16, 32, 64)}
    | {"IEC_62196_T1", "IEC_62196_T1_COMBO", "IEC_62196_T2", "IEC_62196_T2_COMBO", "IEC_62196_T3A"}
    | {"IEC_62196_T3C", "TESLA_R", "TESLA_S"}
)
_POWER_211 = frozenset({"AC_1_PHASE", "AC_3_PHASE", "DC"})
_FACILITIES_211 = frozenset(
    {"HOTEL", "RESTAURANT", "CAFE", "MALL", "SUPERMARKET", "SPORT", "RECREATION_AREA", "NATURE", "MUSEUM"}
    | {"BUS_STOP", "TAXI_STAND", "TRAIN_STATION", "AIRPORT", "CARPOOL_PARKING", "FUEL_STATION", "WIFI"}
)
_PARKING_TYPES = frozenset({"ON_STREET", "PARKING_GARAGE", "UNDERGROUND_GARAGE", "PARKING_LOT"})
_DIMENSIONS_211 = frozenset({"ENERGY", "FLAT", "MAX_CURRENT", "MIN_CURRENT", "PARKING_TIME", "TIME"})
_DIMENSIONS_221 = (_DIMENSIONS_211 - {"FLAT"}) | {
    "CURRENT",
    "ENERGY_EXPORT",
    "ENERGY_IMPORT",
    "MAX_POWER",
    "MIN_POWER",
    "POWER",
    "RESERVATION_TIME",
    "STATE_OF_CHARGE",
}
_RESULT_DOWN = {"ACCEPTED": "ACCEPTED", "NOT_SUPPORTED": "NOT_SUPPORTED", "TIMEOUT": "TIMEOUT"}


# --- small helpers ---------------------------------------------------------------------------------


def _put(out: Obj, key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


def _need(value: Any, field: str, target: str, reason: str) -> Any:
    if value is None:
        raise Untranslatable(field, target, reason)
    return value


def _fit(value: str, limit: int, field: str, target: str) -> str:
    if len(value) > limit:
        raise Untranslatable(field, target, f"{len(value)} characters, {target} allows {limit}")
    return value


def _owner(country_code: str | None, party_id: str | None) -> Obj:
    why = "2.1.1 objects carry no owner; pass country_code= and party_id= of the owning party"
    return {
        "country_code": _need(country_code, "country_code", V221, why),
        "party_id": _need(party_id, "party_id", V221, why),
    }


def _rename(obj: Mapping[str, Any], names: Mapping[str, str], drop: frozenset[str] = frozenset()) -> Obj:
    return {names.get(k, k): v for k, v in obj.items() if k not in drop}


def _coordinate(value: str) -> str:
    if len(value.partition(".")[2]) == 6:
        return value
    return str(Decimal(value).quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN))


def _geo_down(geo: Mapping[str, Any]) -> Obj:
    return {
        **geo,
        "latitude": _coordinate(geo["latitude"]),
        "longitude": _coordinate(geo["longitude"]),
    }


def _energy_mix(mix: Mapping[str, Any] | None, old: str, new: str) -> Obj | None:
    if mix is None:
        return None
    out = dict(mix)
    if mix.get("environ_impact") is not None:
        out["environ_impact"] = [_rename(i, {old: new}) for i in mix["environ_impact"]]
    return out
