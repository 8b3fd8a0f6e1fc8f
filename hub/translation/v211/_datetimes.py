"""DateTimes in the form 2.1.1 parties expect (requirements §5.1): `YYYY-MM-DDTHH:MM:SSZ`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from hub.translation.errors import Untranslatable
from hub.translation.kinds import ObjectKind
from hub.translation.v211._common import V211, Obj

# Where the 2.1.1 classes hold DateTimes: class -> (DateTime fields, nested field -> class).
_PERIOD = "period"  # StatusSchedule, ExceptionalPeriod
_CHARGING_PERIOD = "ChargingPeriod"
_HOURS = "Hours"
_DATETIMES: dict[str, tuple[frozenset[str], Mapping[str, str]]] = {
    _PERIOD: (frozenset({"period_begin", "period_end"}), {}),
    _HOURS: (frozenset(), {"exceptional_openings": _PERIOD, "exceptional_closings": _PERIOD}),
    _CHARGING_PERIOD: (frozenset({"start_date_time"}), {}),
    ObjectKind.CONNECTOR: (frozenset({"last_updated"}), {}),
    ObjectKind.EVSE: (frozenset({"last_updated"}), {"status_schedule": _PERIOD, "connectors": ObjectKind.CONNECTOR}),
    ObjectKind.LOCATION: (frozenset({"last_updated"}), {"opening_times": _HOURS, "evses": ObjectKind.EVSE}),
    ObjectKind.SESSION: (
        frozenset({"start_datetime", "end_datetime", "last_updated"}),
        {"location": ObjectKind.LOCATION, "charging_periods": _CHARGING_PERIOD},
    ),
    ObjectKind.CDR: (
        frozenset({"start_date_time", "stop_date_time", "last_updated"}),
        {"location": ObjectKind.LOCATION, "charging_periods": _CHARGING_PERIOD, "tariffs": ObjectKind.TARIFF},
    ),
    ObjectKind.TARIFF: (frozenset({"last_updated"}), {}),
    ObjectKind.TOKEN: (frozenset({"last_updated"}), {}),
    ObjectKind.RESERVE_NOW: (frozenset({"expiry_date"}), {"token": ObjectKind.TOKEN}),
    ObjectKind.START_SESSION: (frozenset(), {"token": ObjectKind.TOKEN}),
}
_NONE: tuple[frozenset[str], Mapping[str, str]] = (frozenset(), {})

# An RFC 3339 / ISO 8601 date and time: OCPI's forms (Z or no designator, any fraction) and, leniently,
# a numeric offset (converted to UTC).
_PARSEABLE = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")


def datetime_to_v211(value: Any) -> Any:
    """`value` as a 2.1.1 DateTime `YYYY-MM-DDTHH:MM:SSZ` (fraction truncated, offset converted to UTC,
    a leap second kept); anything else that is not a parseable DateTime unchanged."""
    if not isinstance(value, str):
        return value
    found = _PARSEABLE.match(value)
    if found is None:
        return value
    date, hours, minutes, seconds, zone = found.groups()
    leap = seconds == "60"
    try:
        moment = datetime.fromisoformat(f"{date}T{hours}:{minutes}:{'59' if leap else seconds}")
        if zone and zone != "Z":
            digits = zone[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            moment = moment - offset if zone[0] == "+" else moment + offset
    except (ValueError, OverflowError):
        return value
    text = moment.isoformat(timespec="seconds")
    return f"{text[:-2]}60Z" if leap else f"{text}Z"


def _walk(obj: Mapping[str, Any], cls: str) -> Obj:
    fields, nested = _DATETIMES.get(cls, _NONE)
    out = dict(obj)
    for key in fields:
        if key in out:
            out[key] = datetime_to_v211(out[key])
    for key, inner in nested.items():
        value = out.get(key)
        if isinstance(value, list):
            out[key] = [_walk(v, inner) if isinstance(v, Mapping) else v for v in value]
        elif isinstance(value, Mapping):
            out[key] = _walk(value, inner)
    return out


def datetimes_to_v211(kind: ObjectKind, obj: Mapping[str, Any]) -> Obj:
    """The 2.1.1 object (or PATCH body) `obj` of `kind` with every DateTime, nested ones too, in the form
    `YYYY-MM-DDTHH:MM:SSZ` (requirements §5.1: fraction truncated, UTC 'Z'); values that are not
    parseable DateTimes are left as they are. `obj` is not changed."""
    if kind is ObjectKind.CANCEL_RESERVATION:
        raise Untranslatable(str(kind), V211, "OCPI 2.1.1 has no such object (no CANCEL_RESERVATION)")
    return _walk(obj, kind)
