"""EVSE data, EVSE status and pricing: the CPO pushes (ActionType semantics, all-or-nothing,
`018` for foreign EvseIDs) and the EMP pulls (pages, filters, deltas, coordinate formats)."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from simulators.oicp_hub import ids
from simulators.oicp_hub.codes import status
from simulators.oicp_hub.context import Call, page, paging
from simulators.oicp_hub.ids import canonical, operator_of_evse
from simulators.oicp_hub.validation import (
    ACCESSIBILITY,
    ACTION_TYPES,
    AUTHENTICATION_MODES,
    CALIBRATION,
    EVSE_STATUSES,
    REFERENCE_UNITS,
    Checker,
    OicpError,
    check_currency,
    check_evse_data_record,
    check_geo,
    check_pricing_product,
    parse_time,
)

__all__ = [
    "pull_evse_data",
    "pull_evse_pricing",
    "pull_evse_status",
    "pull_evse_status_by_id",
    "pull_evse_status_by_operator",
    "pull_pricing_products",
    "push_evse_data",
    "push_evse_pricing",
    "push_evse_status",
    "push_pricing_products",
    "to_lat_lon",
]

_GEO_FORMATS = ("Google", "DegreeMinuteSeconds", "DecimalDegree")
_DMS = re.compile(r"^(-?)(\d{1,3})°[ ]?(\d{1,2})'[ ]?(\d{1,2}\.\d+)''$")


def _ack() -> dict[str, Any]:
    return {"Result": True, "StatusCode": status("000")}


def _duplicates(keys: list[Any]) -> None:
    seen: set[Any] = set()
    twice = sorted({str(k) for k in keys if k in seen or seen.add(k)})  # type: ignore[func-returns-value]
    if twice:
        raise OicpError("022", "Data error", f"record(s) given twice: {', '.join(twice)}")


async def push_evse_data(call: Call) -> dict[str, Any]:
    body, c = call.body, Checker()
    data = c.obj(body.get("OperatorEvseData"), "OperatorEvseData")
    if data.get("OperatorID") is not None:
        call.own_id("operator", data["OperatorID"], "OperatorEvseData.OperatorID")
    action = c.value(body, "ActionType", "", enum=ACTION_TYPES)
    operator_id = c.value(data, "OperatorID", "OperatorEvseData", pattern=ids.OPERATOR_ID)
    name = c.value(data, "OperatorName", "OperatorEvseData", max_len=100)
    records = c.items(data, "EvseDataRecord", "OperatorEvseData")
    evse_ids = [check_evse_data_record(c, r, f"OperatorEvseData.EvseDataRecord[{i}]") for i, r in enumerate(records)]
    c.done()
    keys = [canonical(e) for e in evse_ids if e]
    _duplicates(keys)
    call.check_evses(e for e in evse_ids if e)
    incoming = {k: {**r, "OperatorID": operator_id, "OperatorName": name} for k, r in zip(keys, records, strict=True)}
    call.sim.state.evse_data.apply(str(action), call.operator_key, incoming)
    return _ack()


async def push_evse_status(call: Call) -> dict[str, Any]:
    body, c = call.body, Checker()
    data = c.obj(body.get("OperatorEvseStatus"), "OperatorEvseStatus")
    if data.get("OperatorID") is not None:
        call.own_id("operator", data["OperatorID"], "OperatorEvseStatus.OperatorID")
    action = c.value(body, "ActionType", "", enum=ACTION_TYPES)
    operator_id = c.value(data, "OperatorID", "OperatorEvseStatus", pattern=ids.OPERATOR_ID)
    name = c.value(data, "OperatorName", "OperatorEvseStatus", required=False, max_len=100)
    incoming: dict[str, dict[str, Any]] = {}
    evse_ids: list[str] = []
    for i, item in enumerate(c.items(data, "EvseStatusRecord", "OperatorEvseStatus")):
        where = f"OperatorEvseStatus.EvseStatusRecord[{i}]"
        rec = c.obj(item, where)
        evse_id = c.value(rec, "EvseID", where, pattern=ids.EVSE_ID)
        value = c.value(rec, "EvseStatus", where, enum=EVSE_STATUSES - {"EvseNotFound"})
        if isinstance(evse_id, str):
            evse_ids.append(evse_id)
            incoming[canonical(evse_id)] = {
                "EvseID": evse_id,
                "EvseStatus": value,
                "OperatorID": operator_id,
                "OperatorName": name,
            }
    c.done()
    _duplicates([canonical(e) for e in evse_ids])
    call.check_evses(evse_ids)
    call.sim.state.evse_status.apply(str(action), call.operator_key, incoming)
    return _ack()


async def push_pricing_products(call: Call) -> dict[str, Any]:
    body, c = call.body, Checker()
    data = c.obj(body.get("PricingProductData"), "PricingProductData")
    if data.get("OperatorID") is not None:
        call.own_id("operator", data["OperatorID"], "PricingProductData.OperatorID")
    action = c.value(body, "ActionType", "", enum=ACTION_TYPES)
    c.value(data, "OperatorID", "PricingProductData", pattern=ids.OPERATOR_ID)
    c.value(data, "OperatorName", "PricingProductData", required=False, max_len=100)
    provider = c.value(data, "ProviderID", "PricingProductData")
    if isinstance(provider, str) and provider != "*" and not ids.PROVIDER_ID.match(provider):
        c.fail("PricingProductData.ProviderID", f"{provider!r} is neither a ProviderID nor '*'")
    c.value(data, "PricingDefaultPrice", "PricingProductData", kind=float, minimum=0)
    check_currency(c, data, "PricingDefaultPriceCurrency", "PricingProductData")
    c.value(data, "PricingDefaultReferenceUnit", "PricingProductData", enum=REFERENCE_UNITS)
    records = c.items(data, "PricingProductDataRecords", "PricingProductData")
    products = [
        check_pricing_product(c, r, f"PricingProductData.PricingProductDataRecords[{i}]") for i, r in enumerate(records)
    ]
    c.done()
    _duplicates(products)
    data_set = f"{call.operator_key}|{'*' if provider == '*' else canonical(str(provider))}"
    header = {k: v for k, v in data.items() if k != "PricingProductDataRecords"}
    incoming = {(data_set, str(p)): r for p, r in zip(products, records, strict=True)}
    state = call.sim.state
    state.pricing_products.apply(str(action), call.operator_key, incoming, owns=lambda key: key[0] == data_set)
    state.pricing_sets[data_set] = header
    return _ack()


async def push_evse_pricing(call: Call) -> dict[str, Any]:
    body, c = call.body, Checker()
    action = c.value(body, "ActionType", "", enum=ACTION_TYPES)
    incoming: dict[tuple[str, str], dict[str, Any]] = {}
    evse_ids: list[str] = []
    for i, item in enumerate(c.items(body, "EVSEPricing", "", min_items=1)):
        where = f"EVSEPricing[{i}]"
        rec = c.obj(item, where)
        evse_id = c.value(rec, "EvseID", where, pattern=ids.EVSE_ID)
        provider = c.value(rec, "ProviderID", where)
        if isinstance(provider, str) and provider != "*" and not ids.PROVIDER_ID.match(provider):
            c.fail(f"{where}.ProviderID", f"{provider!r} is neither a ProviderID nor '*'")
        for j, product in enumerate(c.items(rec, "EvseIDProductList", where, min_items=1)):
            if not isinstance(product, str) or not 1 <= len(product) <= 50:
                c.fail(f"{where}.EvseIDProductList[{j}]", "a ProductID of 1 to 50 characters expected")
        if isinstance(evse_id, str) and isinstance(provider, str):
            evse_ids.append(evse_id)
            key = (canonical(evse_id), "*" if provider == "*" else canonical(provider))
            if key in incoming:
                c.fail(where, "EvseID and ProviderID given twice")
            incoming[key] = rec
    c.done()
    call.check_evses(evse_ids)
    call.sim.state.evse_pricing.apply(str(action), call.operator_key, incoming)
    return _ack()


# ---- pulls ------------------------------------------------------------------------------------


def to_lat_lon(geo: dict[str, Any]) -> tuple[float, float]:
    """(latitude, longitude) of GeoCoordinates in any of the three forms."""
    if "Google" in geo:
        lat, lon = re.split(r"[\s,]+", str(geo["Google"]["Coordinates"]).strip())[:2]
        return float(lat), float(lon)
    if "DecimalDegree" in geo:
        return float(geo["DecimalDegree"]["Latitude"]), float(geo["DecimalDegree"]["Longitude"])
    dms = geo["DegreeMinuteSeconds"]

    def degrees(text: str) -> float:
        match = _DMS.match(text)
        if not match:
            raise ValueError(text)
        value = int(match.group(2)) + int(match.group(3)) / 60 + float(match.group(4)) / 3600
        return -value if match.group(1) else value

    return degrees(dms["Latitude"]), degrees(dms["Longitude"])


def _geo_as(lat: float, lon: float, form: str) -> dict[str, Any]:
    if form == "Google":
        return {"Google": {"Coordinates": f"{lat:.6f} {lon:.6f}"}}
    if form == "DecimalDegree":
        return {"DecimalDegree": {"Latitude": f"{lat:.6f}", "Longitude": f"{lon:.6f}"}}

    def dms(value: float) -> str:
        sign, value = ("-" if value < 0 else ""), abs(value)
        deg = int(value)
        minutes = int((value - deg) * 60)
        seconds = (value - deg - minutes / 60) * 3600
        return f"{sign}{deg}°{minutes}'{seconds:.3f}''"

    return {"DegreeMinuteSeconds": {"Latitude": dms(lat), "Longitude": dms(lon)}}


def _distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def _search_center(c: Checker, body: dict[str, Any]) -> tuple[tuple[float, float], float] | None:
    if body.get("SearchCenter") is None:
        return None
    center = c.obj(body["SearchCenter"], "SearchCenter")
    check_geo(c, center.get("GeoCoordinates"), "SearchCenter.GeoCoordinates")
    radius = c.value(center, "Radius", "SearchCenter", kind=float, minimum=0)
    c.done()
    return to_lat_lon(center["GeoCoordinates"]), float(radius)


def _contracted(call: Call, operator_id: Any) -> bool:
    return isinstance(operator_id, str) and call.sim.contracts.has(operator_id, call.partner.provider_id or "")


def _last_call(c: Checker, body: dict[str, Any]) -> datetime | None:
    text = c.date_time(body, "LastCall", "", required=False)
    return parse_time(text) if text else None


async def pull_evse_data(call: Call) -> dict[str, Any]:
    body, c = call.body, Checker()
    number, size = paging(call.query)
    call.own_id("provider", body.get("ProviderID"), "ProviderID")
    form = c.value(body, "GeoCoordinatesResponseFormat", "", enum=_GEO_FORMATS)
    last_call = _last_call(c, body)
    countries = c.items(body, "CountryCodes", "", required=False)
    operators = c.items(body, "OperatorIds", "", required=False, aliases=("OperatorIDs",))
    if last_call and (body.get("SearchCenter") or countries or operators):
        c.fail("LastCall", "cannot be combined with SearchCenter, CountryCodes or OperatorIds")
    filters = {
        "AuthenticationModes": c.enum_list(body, "AuthenticationModes", "", AUTHENTICATION_MODES, required=False),
        "Accessibility": c.enum_list(body, "Accessibility", "", ACCESSIBILITY, required=False),
        "CalibrationLawDataAvailability": c.enum_list(
            body, "CalibrationLawDataAvailability", "", CALIBRATION, required=False
        ),
    }
    flags = {
        k: c.value(body, k, "", kind=bool, required=False)
        for k in ("RenewableEnergy", "IsHubjectCompatible", "IsOpen24Hours")
    }
    c.done()
    center = _search_center(c, body)
    store = call.sim.state.evse_data
    rows: list[dict[str, Any]] = []
    if last_call is not None:
        for key, delta, record, at in store.since(last_call):
            rec = record or _last_known(call, key)
            if rec is not None:
                rows.append({**rec, "deltaType": delta, "lastUpdate": at.isoformat()})
    else:
        for key, (_owner, rec) in store.current.items():
            last = store.last_update(key)
            rows.append({**rec, "lastUpdate": last.isoformat() if last else None})
    wanted_countries = {str(x).upper() for x in countries}
    wanted_operators = {canonical(str(x)) for x in operators}
    out = []
    for rec in rows:
        if not _contracted(call, rec.get("OperatorID")):
            continue
        if wanted_countries and str(rec.get("Address", {}).get("Country", "")).upper() not in wanted_countries:
            continue
        if wanted_operators and canonical(str(rec.get("OperatorID", ""))) not in wanted_operators:
            continue
        if any(wanted and not set(_as_list(rec.get(k))) & set(wanted) for k, wanted in filters.items()):
            continue
        if any(v is not None and rec.get(k) is not v for k, v in flags.items()):
            continue
        lat_lon = to_lat_lon(rec["GeoCoordinates"])
        if center and _distance_km(center[0], lat_lon) > center[1]:
            continue
        out.append({**rec, "GeoCoordinates": _geo_as(*lat_lon, str(form))})
    return page(out, number, size)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _last_known(call: Call, key: str) -> dict[str, Any] | None:
    return next((c.record for c in reversed(call.sim.state.evse_data.changes) if c.key == key and c.record), None)


def _status_groups(call: Call, records: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[str, dict[str, Any]] = {}
    for rec in records:
        group = groups.setdefault(
            canonical(str(rec["OperatorID"])),
            {"OperatorID": rec["OperatorID"], "OperatorName": rec.get("OperatorName"), "EvseStatusRecord": []},
        )
        group["EvseStatusRecord"].append({"EvseID": rec["EvseID"], "EvseStatus": rec["EvseStatus"]})
    return {"EvseStatuses": {"OperatorEvseStatus": list(groups.values())}, "StatusCode": status("000")}


def _visible_statuses(call: Call) -> list[dict[str, Any]]:
    return [rec for _owner, rec in call.sim.state.evse_status.current.values() if _contracted(call, rec["OperatorID"])]


async def pull_evse_status(call: Call) -> dict[str, Any]:
    body = call.body
    if body.get("EvseID") is not None:  # the OpenAPI file models the three pulls as one path
        return await pull_evse_status_by_id(call)
    if body.get("OperatorID") is not None:
        return await pull_evse_status_by_operator(call)
    c = Checker()
    call.own_id("provider", body.get("ProviderID"), "ProviderID")
    wanted = c.value(body, "EVSEStatus", "", required=False, enum=EVSE_STATUSES, aliases=("EvseStatus",))
    c.done()
    center = _search_center(c, body)
    records = []
    for rec in _visible_statuses(call):
        if wanted and rec["EvseStatus"] != wanted:
            continue
        if center:
            data = call.sim.state.evse(canonical(rec["EvseID"]))
            if data is None or _distance_km(center[0], to_lat_lon(data["GeoCoordinates"])) > center[1]:
                continue
        records.append(rec)
    return _status_groups(call, records)


async def pull_evse_status_by_id(call: Call) -> dict[str, Any]:
    body, c = call.body, Checker()
    call.own_id("provider", body.get("ProviderID"), "ProviderID")
    evse_ids = c.items(body, "EvseID", "", min_items=1, max_items=100)
    for i, evse_id in enumerate(evse_ids):
        if not isinstance(evse_id, str) or not ids.EVSE_ID.match(evse_id):
            c.fail(f"EvseID[{i}]", "not an EvseID")
    c.done()
    visible = {canonical(r["EvseID"]): r for r in _visible_statuses(call)}
    out = [
        {"EvseID": e, "EvseStatus": visible[canonical(e)]["EvseStatus"] if canonical(e) in visible else "EvseNotFound"}
        for e in evse_ids
    ]
    return {"EVSEStatusRecords": {"EvseStatusRecord": out}, "StatusCode": status("000")}


async def pull_evse_status_by_operator(call: Call) -> dict[str, Any]:
    body, c = call.body, Checker()
    call.own_id("provider", body.get("ProviderID"), "ProviderID")
    operators = c.items(body, "OperatorID", "", min_items=1)
    for i, op in enumerate(operators):
        if not isinstance(op, str) or not ids.OPERATOR_ID.match(op):
            c.fail(f"OperatorID[{i}]", "not an OperatorID")
    c.done()
    wanted = {canonical(o) for o in operators}
    return _status_groups(call, [r for r in _visible_statuses(call) if canonical(r["OperatorID"]) in wanted])


def _operator_filter(c: Checker, body: dict[str, Any]) -> set[str]:
    operators = c.items(body, "OperatorIDs", "", aliases=("OperatorIds",))
    return {canonical(str(o)) for o in operators}


def _for_me(call: Call, provider: str) -> bool:
    return provider == "*" or provider == call.provider_key


async def pull_pricing_products(call: Call) -> dict[str, Any]:
    body, c = call.body, Checker()
    call.own_id("provider", body.get("ProviderID", call.path_id), "ProviderID")
    last_call = _last_call(c, body)
    operators = _operator_filter(c, body)
    c.done()
    state = call.sim.state
    out = []
    for data_set, header in state.pricing_sets.items():
        operator, provider = data_set.split("|")
        if (operators and operator not in operators) or not _for_me(call, provider):
            continue
        if not _contracted(call, header.get("OperatorID")):
            continue
        changed = [ch for ch in state.pricing_products.changes if ch.key[0] == data_set]
        if last_call and not any(ch.at > last_call for ch in changed):
            continue
        records = [rec for (ds, _p), (_o, rec) in state.pricing_products.current.items() if ds == data_set]
        out.append({**header, "PricingProductDataRecords": records})
    return {"PricingProductData": out, "StatusCode": status("000")}


async def pull_evse_pricing(call: Call) -> dict[str, Any]:
    body, c = call.body, Checker()
    call.own_id("provider", body.get("ProviderID"), "ProviderID")
    last_call = _last_call(c, body)
    operators = _operator_filter(c, body)
    c.done()
    store = call.sim.state.evse_pricing
    changed_after = {ch.key for ch in store.changes if last_call and ch.at > last_call}
    groups: dict[str, dict[str, Any]] = {}
    for (evse_key, provider), (owner, rec) in store.current.items():
        if (operators and owner not in operators) or not _for_me(call, provider):
            continue
        if last_call and (evse_key, provider) not in changed_after:
            continue
        if not call.sim.contracts.has(owner, call.partner.provider_id or ""):
            continue
        operator_id = operator_of_evse(rec["EvseID"])
        group = groups.setdefault(
            owner, {"OperatorID": call.sim.operator_id_of(owner) or operator_id, "EVSEPricing": []}
        )
        group["EVSEPricing"].append(rec)
    return {"EVSEPricing": list(groups.values()), "StatusCode": status("000")}
