"""OCPI Location / EVSE / Connector <-> OICP EvseDataRecord and EVSE status (oicp-bridge.md §7.1-7.3).

OCPI nests Location -> EVSE -> Connector; OICP has one flat record per EVSE that repeats the site
data. Fields OICP requires but OCPI does not have come from `EvseRecordConfig` (per CPO).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from adapters.oicp import ids
from adapters.oicp.errors import Unmappable
from adapters.oicp.models import (
    Address,
    ChargingFacility,
    DecimalDegree,
    EnergySource,
    EnvironmentalImpact,
    EvseDataRecord,
    EvseStatusRecord,
    GeoCoordinates,
    InfoText,
    OpeningTimes,
    Period,
    PullEvseDataRecord,
)
from adapters.oicp.timefmt import ocpi_time, utc_offset_label
from hub.types import PartyKey

__all__ = [
    "EvseRecordConfig",
    "LocationBatch",
    "cdr_location_from_evse_record",
    "evse_status_record",
    "evse_to_evse_record",
    "location_to_evse_records",
    "ocpi_evse_status",
    "evse_records_to_locations",
    "withdrawn_evse_ids",
]

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class EvseRecordConfig:
    """Per-CPO values OICP requires and OCPI 2.2.1 has no field for (§8 item 2)."""

    hotline_phone_number: str  # `+` and 5-15 digits
    accessibility: str = "Free publicly accessible"
    calibration_law_data_availability: Literal["Local", "External", "Not Available"] = "Not Available"
    language: str = "en"  # lang of ChargingStationNames / InfoTexts built from plain strings
    postal_code_placeholder: str | None = None  # None: a Location without postal_code is Unmappable
    house_number_placeholder: str = ""  # when the address has no recognisable house number
    plug_and_charge: bool = False  # add AuthenticationMode `PnC`
    is_hubject_compatible: bool = True
    dynamic_info_available: Literal["true", "false", "auto"] = "auto"
    dynamic_pricing: bool = False  # EVSE pricing is pushed: ValueAddedService `DynamicPricing`
    hub_operator_id: str | None = None


# ---- OCPI -> OICP ------------------------------------------------------------------------------

_SOCKET_OR_CABLE = {
    ("IEC_62196_T2", "SOCKET"): "Type 2 Outlet",
    ("IEC_62196_T2", "CABLE"): "Type 2 Connector (Cable Attached)",
}
_PLUG_OF_STANDARD = {
    "IEC_62196_T1": "Type 1 Connector (Cable Attached)",
    "IEC_62196_T2_COMBO": "CCS Combo 2 Plug (Cable Attached)",
    "IEC_62196_T1_COMBO": "CCS Combo 1 Plug (Cable Attached)",
    "CHADEMO": "CHAdeMO",
    "IEC_62196_T3A": "Type 3 Outlet",
    "IEC_62196_T3C": "Type 3 Outlet",
    "DOMESTIC_E": "Type E French Standard",
    "DOMESTIC_F": "Type F Schuko",
    "DOMESTIC_G": "Type G British Standard",
    "DOMESTIC_J": "Type J Swiss Standard",
    "NEMA_5_20": "NEMA 5-20",
    "IEC_60309_2_single_16": "IEC 60309 Single Phase",
    "IEC_60309_2_three_16": "IEC 60309 Three Phase",
    "IEC_60309_2_three_32": "IEC 60309 Three Phase",
    "IEC_60309_2_three_64": "IEC 60309 Three Phase",
    "TESLA_R": "Tesla Connector",
    "TESLA_S": "Tesla Connector",
}
_PHASES = {"AC_1_PHASE": 1, "AC_2_PHASE": 2, "AC_2_PHASE_SPLIT": 2, "AC_3_PHASE": 3, "DC": 1}
_OICP_POWER_TYPE: dict[str, Literal["AC_1_PHASE", "AC_3_PHASE", "DC"]] = {
    "AC_1_PHASE": "AC_1_PHASE",
    "AC_2_PHASE": "AC_1_PHASE",
    "AC_2_PHASE_SPLIT": "AC_1_PHASE",
    "AC_3_PHASE": "AC_3_PHASE",
    "DC": "DC",
}
_ENERGY = {
    "SOLAR": "Solar",
    "WIND": "Wind",
    "WATER": "HydroPower",
    "COAL": "Coal",
    "GAS": "NaturalGas",
    "NUCLEAR": "NuclearEnergy",
}
_PARKING = {
    "ON_STREET": "OnStreet",
    "PARKING_LOT": "ParkingLot",
    "PARKING_GARAGE": "ParkingGarage",
    "UNDERGROUND_GARAGE": "UndergroundParkingGarage",
}
_TERMINALS = {"CREDIT_CARD_PAYABLE", "DEBIT_CARD_PAYABLE", "CONTACTLESS_CARD_PAYABLE", "CHIP_CARD_SUPPORT"}
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NUMBER_LAST = re.compile(r"^(?P<street>.+?)[\s,]+(?P<num>\d[\w/.-]*)$")
_NUMBER_FIRST = re.compile(r"^(?P<num>\d[\w/.-]*)[\s,]+(?P<street>.+)$")
_COORDINATE = re.compile(r"^-?1?\d{1,2}\.\d{1,6}$")
_OICP_STATUS = {
    "AVAILABLE": "Available",
    "CHARGING": "Occupied",
    "BLOCKED": "Occupied",
    "RESERVED": "Reserved",
    "INOPERATIVE": "OutOfService",
    "OUTOFORDER": "OutOfService",
    "UNKNOWN": "Unknown",
}
_WITHHELD = {"PLANNED", "REMOVED"}


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Unmappable(field, "missing")
    return value.strip()


def _split_address(address: str, placeholder: str) -> tuple[str, str]:
    """Street and house number out of OCPI's one-line address (heuristic, §8 item 2)."""
    for pattern in (_NUMBER_LAST, _NUMBER_FIRST):
        if (found := pattern.match(address)) and len(found["num"]) <= 10:
            return found["street"].strip(" ,"), found["num"]
    return address, placeholder


def _coordinate(value: object, field: str) -> str:
    try:
        rounded = Decimal(str(value)).quantize(Decimal("0.000001"))
    except InvalidOperation:
        raise Unmappable(field, f"{value!r} is not a coordinate") from None
    text = format(rounded, "f")
    if not _COORDINATE.match(text):
        raise Unmappable(field, f"{value!r} is out of OICP's coordinate range")
    return text


def _geo(coordinates: object, field: str) -> GeoCoordinates:
    if not isinstance(coordinates, dict):
        raise Unmappable(field, "missing")
    return GeoCoordinates(
        decimal_degree=DecimalDegree(
            latitude=_coordinate(coordinates.get("latitude"), f"{field}.latitude"),
            longitude=_coordinate(coordinates.get("longitude"), f"{field}.longitude"),
        )
    )


def _address(location: Json, evse: Json, config: EvseRecordConfig, at: datetime) -> Address:
    street, house = _split_address(_text(location.get("address"), "address"), config.house_number_placeholder)
    if len(street) > 100 or len(house) > 10:
        raise Unmappable("address", "street longer than 100 or house number longer than 10 characters")
    postal_code = location.get("postal_code") or config.postal_code_placeholder
    if not postal_code:
        raise Unmappable("postal_code", "OICP requires a postal code and none is configured")
    floor = evse.get("floor_level")
    time_zone = location.get("time_zone")
    return Address(
        country=_text(location.get("country"), "country"),
        city=_text(location.get("city"), "city")[:50],
        street=street.ljust(2, "_"),
        postal_code=postal_code,
        house_num=house,
        floor=floor if isinstance(floor, str) and floor else None,
        region=location.get("state") or None,
        time_zone=utc_offset_label(time_zone, at) if time_zone else None,
    )


def _power_kw(connector: Json, where: str) -> int:
    watts = connector.get("max_electric_power")
    if not isinstance(watts, int | float):
        volts, amps = connector.get("max_voltage"), connector.get("max_amperage")
        if not (isinstance(volts, int | float) and isinstance(amps, int | float)):
            raise Unmappable(f"{where}.max_electric_power", "absent, and voltage x amperage is unknown")
        watts = volts * amps * _PHASES.get(str(connector.get("power_type")), 1)
    power = round(watts / 1000)
    if power > 999:
        raise Unmappable(f"{where}.max_electric_power", "above OICP's 999 kW")
    return power


def _plug(connector: Json, where: str) -> str:
    standard, fmt = connector.get("standard"), connector.get("format")
    plug = _SOCKET_OR_CABLE.get((str(standard), str(fmt))) or _PLUG_OF_STANDARD.get(str(standard))
    if plug is None:
        raise Unmappable(f"{where}.standard", f"connector standard {standard} has no OICP plug type")
    return plug


def _facility(connector: Json, where: str) -> ChargingFacility:
    power_type = str(connector.get("power_type"))
    if power_type not in _OICP_POWER_TYPE:
        raise Unmappable(f"{where}.power_type", f"unknown power type {power_type}")
    volts, amps = connector.get("max_voltage"), connector.get("max_amperage")
    mode: Literal["Mode_3", "Mode_4", "CHAdeMO"] = "Mode_3"
    if connector.get("standard") == "CHADEMO":
        mode = "CHAdeMO"
    elif power_type == "DC":
        mode = "Mode_4"
    return ChargingFacility(
        power_type=_OICP_POWER_TYPE[power_type],
        voltage=volts if isinstance(volts, int) and 0 <= volts <= 999 else None,
        amperage=amps if isinstance(amps, int) and 0 <= amps <= 99 else None,
        power=_power_kw(connector, where),
        charging_modes=[mode],
    )


def _opening_times(location: Json) -> tuple[bool, list[OpeningTimes] | None]:
    hours = location.get("opening_times")
    if not isinstance(hours, dict) or hours.get("twentyfourseven", False):
        return True, None
    per_day: dict[int, list[Period]] = {}
    for regular in hours.get("regular_hours") or []:
        per_day.setdefault(int(regular["weekday"]), []).append(
            Period(begin=regular["period_begin"], end=regular["period_end"])
        )
    if not per_day:
        raise Unmappable("opening_times.regular_hours", "not open 24/7 and no regular hours: OICP needs either")
    return False, [OpeningTimes(period=per_day[day], on=_DAYS[day - 1]) for day in sorted(per_day)]


def _energy(location: Json) -> tuple[bool, list[EnergySource] | None, EnvironmentalImpact | None]:
    mix = location.get("energy_mix")
    if not isinstance(mix, dict):
        return False, None, None
    sources = [
        EnergySource(energy=_ENERGY[s["source"]], percentage=min(round(float(s["percentage"])), 99))
        for s in mix.get("energy_sources") or []
        if s.get("source") in _ENERGY
    ]
    impact = {i.get("category"): float(i["amount"]) for i in mix.get("environ_impact") or []}
    environmental = None
    if impact:
        environmental = EnvironmentalImpact(
            co2_emission=impact.get("CARBON_DIOXIDE"), nuclear_waste=impact.get("NUCLEAR_WASTE")
        )
    return bool(mix.get("is_green_energy")), sources or None, environmental


def _info_texts(texts: object, limit: int = 150) -> list[InfoText] | None:
    if not isinstance(texts, list) or not texts:
        return None
    return [InfoText(lang=t["language"], value=t["text"][:limit]) for t in texts]


def _entrance(location: Json) -> GeoCoordinates | None:
    for index, related in enumerate(location.get("related_locations") or []):
        if "entrance" in str((related.get("name") or {}).get("text", "")).lower():
            return _geo(related, f"related_locations[{index}]")
    return None


def evse_to_evse_record(location: Json, evse_index: int, config: EvseRecordConfig, at: datetime) -> EvseDataRecord:
    """One OCPI EVSE (with its Location) as an OICP EvseDataRecord.

    Raises Unmappable for: an EVSE without `evse_id` or with an invalid one, a connector standard
    without OICP plug (§7.2), a Location without postal code (unless configured), unusable
    coordinates, power above 999 kW, an address that does not fit Street/HouseNum.
    Lost on the way (§8): facilities, parking_restrictions, charging_when_closed, exceptional
    openings/closings, status_schedule, capabilities other than those mapped below, connector
    terms_and_conditions and tariff_ids, connector `format` beyond the Type 2 distinction, AC_2_PHASE
    (sent as AC_1_PHASE), voltage > 999 V and amperage > 99 A (omitted), operator/owner, IANA zone
    (only today's offset), GENERAL_GREEN/GENERAL_FOSSIL sources, percentages above 99 (capped),
    images after the first or with URLs over 200 characters, texts cut to 150 characters.
    """
    evse = location["evses"][evse_index]
    where = f"evses[{evse_index}]"
    if not evse.get("evse_id"):
        raise Unmappable(f"{where}.evse_id", "OICP identifies EVSEs by EvseID and this EVSE has none")
    evse_id = ids.evse_id(evse["evse_id"], f"{where}.evse_id")
    connectors = evse.get("connectors") or []
    if not connectors:
        raise Unmappable(f"{where}.connectors", "an EVSE needs at least one connector")
    capabilities = set(evse.get("capabilities") or [])
    modes = ["NFC RFID Classic"] if "RFID_READER" in capabilities else []
    if "REMOTE_START_STOP_CAPABLE" in capabilities:
        modes.append("REMOTE")
    if capabilities & _TERMINALS:
        modes.append("Direct Payment")
    if config.plug_and_charge:
        modes.append("PnC")
    services = ["Reservation"] if "RESERVABLE" in capabilities else []
    if config.dynamic_pricing:
        services.append("DynamicPricing")
    name = location.get("name") or location.get("address") or location["id"]
    images = [i["url"] for i in location.get("images") or [] if len(i.get("url", "")) <= 200]
    twenty_four_seven, opening = _opening_times(location)
    green, sources, impact = _energy(location)
    party = PartyKey.of(location["country_code"], location["party_id"])
    coordinates = evse.get("coordinates") or location.get("coordinates")
    return EvseDataRecord(
        evse_id=evse_id,
        charging_pool_id=ids.pool_id_of_location(party, location["id"]),
        charging_station_id=evse.get("physical_reference") or None,
        charging_station_names=[InfoText(lang=config.language, value=str(name)[:150])],
        charging_station_image=images[0] if images else None,
        sub_operator_name=((location.get("suboperator") or {}).get("name") or "")[:100] or None,
        address=_address(location, evse, config, at),
        geo_coordinates=_geo(coordinates, f"{where}.coordinates" if evse.get("coordinates") else "coordinates"),
        plugs=[_plug(c, f"{where}.connectors[{i}]") for i, c in enumerate(connectors)],
        dynamic_power_level="CHARGING_PROFILE_CAPABLE" in capabilities,
        charging_facilities=[_facility(c, f"{where}.connectors[{i}]") for i, c in enumerate(connectors)],
        renewable_energy=green,
        energy_source=sources,
        environmental_impact=impact,
        calibration_law_data_availability=config.calibration_law_data_availability,
        authentication_modes=modes,
        payment_options=["Contract", "Direct"] if capabilities & _TERMINALS else ["Contract"],
        value_added_services=services or ["None"],
        accessibility=config.accessibility,
        accessibility_location=_PARKING.get(str(location.get("parking_type"))),
        hotline_phone_number=config.hotline_phone_number,
        charging_station_location_reference=_info_texts(evse.get("directions") or location.get("directions")),
        geo_charging_point_entrance=_entrance(location),
        is_open_24_hours=twenty_four_seven,
        opening_times=opening,
        hub_operator_id=config.hub_operator_id,
        is_hubject_compatible=config.is_hubject_compatible,
        dynamic_info_available=config.dynamic_info_available,
    )


def location_to_evse_records(location: Json, config: EvseRecordConfig, at: datetime) -> list[EvseDataRecord]:
    """Every live EVSE of an OCPI Location as OICP EvseDataRecords (one per EVSE).

    `at` fixes the UTC offset written to Address.TimeZone. EVSEs with status PLANNED or REMOVED are
    not records (PLANNED is withheld until live, REMOVED is a `delete`: see `withdrawn_evse_ids`).
    Raises Unmappable when the Location is not public (`publish` false: OICP has no restricted
    visibility) and for every case listed at `evse_to_evse_record`.
    """
    if location.get("publish") is False:
        raise Unmappable(
            "publish", "OICP has no restricted visibility (publish_allowed_to); unpublished Locations stay"
        )
    return [
        evse_to_evse_record(location, index, config, at)
        for index, evse in enumerate(location.get("evses") or [])
        if evse.get("status") not in _WITHHELD
    ]


def withdrawn_evse_ids(location: Json) -> list[str]:
    """EvseIDs of a Location's EVSEs that must not (or no longer) be in HBS: status PLANNED/REMOVED."""
    return [
        ids.evse_id(evse["evse_id"], f"evses[{index}].evse_id")
        for index, evse in enumerate(location.get("evses") or [])
        if evse.get("status") in _WITHHELD and evse.get("evse_id")
    ]


def evse_status_record(evse_id: str, status: str) -> EvseStatusRecord:
    """OCPI EVSE status as an OICP EvseStatusRecord. CHARGING and BLOCKED both become Occupied,
    INOPERATIVE and OUTOFORDER both OutOfService. PLANNED and REMOVED are data, not status: Unmappable."""
    if status not in _OICP_STATUS:
        raise Unmappable("status", f"{status} is not an OICP EVSE status (PLANNED/REMOVED travel as EVSE data)")
    return EvseStatusRecord(evse_id=ids.evse_id(evse_id, "evse_id"), evse_status=_OICP_STATUS[status])


_OCPI_STATUS = {
    "Available": "AVAILABLE",
    "Occupied": "CHARGING",
    "Reserved": "RESERVED",
    "OutOfService": "OUTOFORDER",
    "Unknown": "UNKNOWN",
}


def ocpi_evse_status(status: str) -> str:
    """OICP EvseStatus as OCPI EVSE.status (Occupied -> CHARGING, OutOfService -> OUTOFORDER).
    EvseNotFound is Unmappable: whether the EVSE is REMOVED is only known from a data pull."""
    if status not in _OCPI_STATUS:
        raise Unmappable("EvseStatus", f"{status} has no OCPI status; confirm the EVSE with a data pull")
    return _OCPI_STATUS[status]


# ---- OICP -> OCPI ------------------------------------------------------------------------------

_STANDARD_OF_PLUG: dict[str, tuple[str, str]] = {
    "Type 2 Outlet": ("IEC_62196_T2", "SOCKET"),
    "Type 2 Connector (Cable Attached)": ("IEC_62196_T2", "CABLE"),
    "Type 1 Connector (Cable Attached)": ("IEC_62196_T1", "CABLE"),
    "CCS Combo 2 Plug (Cable Attached)": ("IEC_62196_T2_COMBO", "CABLE"),
    "CCS Combo 1 Plug (Cable Attached)": ("IEC_62196_T1_COMBO", "CABLE"),
    "CHAdeMO": ("CHADEMO", "CABLE"),
    "Type 3 Outlet": ("IEC_62196_T3C", "SOCKET"),
    "Type E French Standard": ("DOMESTIC_E", "SOCKET"),
    "Type F Schuko": ("DOMESTIC_F", "SOCKET"),
    "Type G British Standard": ("DOMESTIC_G", "SOCKET"),
    "Type J Swiss Standard": ("DOMESTIC_J", "SOCKET"),
    "NEMA 5-20": ("NEMA_5_20", "SOCKET"),
    "IEC 60309 Single Phase": ("IEC_60309_2_single_16", "SOCKET"),
    "IEC 60309 Three Phase": ("IEC_60309_2_three_16", "SOCKET"),
    "Tesla Connector": ("TESLA_S", "CABLE"),
}
_NOMINAL_VOLTS = {"AC_1_PHASE": 230, "AC_3_PHASE": 230, "DC": 400}
_OCPI_ENERGY = {v: k for k, v in _ENERGY.items()} | {
    "GeothermalEnergy": "GENERAL_GREEN",
    "Biomass": "GENERAL_GREEN",
    "Petroleum": "GENERAL_FOSSIL",
}
_OCPI_PARKING = {v: k for k, v in _PARKING.items()}
_DAY_SETS = {"Everyday": range(1, 8), "Workdays": range(1, 6), "Weekend": range(6, 8)}


@dataclass(slots=True)
class LocationBatch:
    """OCPI Locations built from OICP records, and the records that could not become EVSEs."""

    locations: list[Json] = field(default_factory=list)
    rejected: list[tuple[str, Unmappable]] = field(default_factory=list)  # (EvseID, why)


def _connector(plug: str, facility: ChargingFacility, index: int, last_updated: str) -> Json:
    if plug not in _STANDARD_OF_PLUG:
        raise Unmappable("Plugs", f"plug type {plug!r} has no OCPI connector standard")
    standard, fmt = _STANDARD_OF_PLUG[plug]
    phases = 3 if facility.power_type == "AC_3_PHASE" else 1
    volts = facility.voltage or _NOMINAL_VOLTS[facility.power_type]
    amps = facility.amperage or round(facility.power * 1000 / (volts * phases))
    if standard == "IEC_60309_2_three_16":
        standard = "IEC_60309_2_three_64" if amps > 32 else "IEC_60309_2_three_32" if amps > 16 else standard
    return {
        "id": str(index + 1),
        "standard": standard,
        "format": fmt,
        "power_type": facility.power_type,
        "max_voltage": volts,
        "max_amperage": amps,
        "max_electric_power": facility.power * 1000,
        "last_updated": last_updated,
    }


def _connectors(record: EvseDataRecord, last_updated: str) -> list[Json]:
    facilities = record.charging_facilities
    if not facilities:
        raise Unmappable("ChargingFacilities", "no charging facility")
    if len(facilities) != len(record.plugs):
        strongest = max(facilities, key=lambda f: f.power)
        facilities = [strongest] * len(record.plugs)
    if not record.plugs:
        raise Unmappable("Plugs", "no plug")
    return [_connector(p, f, i, last_updated) for i, (p, f) in enumerate(zip(record.plugs, facilities, strict=True))]


def _ocpi_coordinate(value: str) -> str:
    """OCPI wants 5-7 decimals."""
    whole, _, decimals = value.strip().partition(".")
    return f"{whole}.{(decimals + '00000')[: max(len(decimals), 5)][:7]}"


def _dms(value: str) -> float:
    parts = re.match(r"^(-?)(\d{1,3})°\s?(\d{1,2})'\s?(\d{1,2}(?:\.\d+)?)''$", value.strip())
    if parts is None:
        raise Unmappable("GeoCoordinates.DegreeMinuteSeconds", f"{value!r} is not degrees/minutes/seconds")
    degrees = int(parts[2]) + int(parts[3]) / 60 + float(parts[4]) / 3600
    return -degrees if parts[1] else degrees


def _ocpi_geo(geo: GeoCoordinates) -> Json:
    if geo.decimal_degree is not None:
        lat, lon = geo.decimal_degree.latitude, geo.decimal_degree.longitude
    elif geo.google is not None:
        lat, lon = re.split(r"\s*,\s*|\s+", geo.google.coordinates.strip(), maxsplit=1)
    else:
        assert geo.degree_minute_seconds is not None
        lat = f"{_dms(geo.degree_minute_seconds.latitude):.6f}"
        lon = f"{_dms(geo.degree_minute_seconds.longitude):.6f}"
    return {"latitude": _ocpi_coordinate(lat), "longitude": _ocpi_coordinate(lon)}


def _regular_hours(opening: Sequence[OpeningTimes]) -> list[Json]:
    hours = []
    for entry in opening:
        days = _DAY_SETS.get(entry.on) or [_DAYS.index(entry.on) + 1]
        hours += [{"weekday": d, "period_begin": p.begin, "period_end": p.end} for d in days for p in entry.period]
    return sorted(hours, key=lambda h: (h["weekday"], h["period_begin"]))


def _display_texts(texts: Sequence[InfoText] | None) -> list[Json]:
    return [{"language": t.lang[:2], "text": t.value} for t in texts or []]


def _image(url: str) -> Json:
    extension = url.rsplit(".", 1)[-1].lower() if "." in url.rsplit("/", 1)[-1] else ""
    return {"url": url, "category": "OTHER", "type": extension[:4] or "jpeg"}


def _ocpi_evse(record: EvseDataRecord, status: str, last_updated: str) -> Json:
    evse: Json = {
        "uid": ids.evse_uid_of_evse_id(record.evse_id),
        "evse_id": ids.evse_id(record.evse_id),
        "status": "REMOVED" if record.delta_type == "delete" else status,
        "connectors": _connectors(record, last_updated),
        "coordinates": _ocpi_geo(record.geo_coordinates),
        "last_updated": last_updated,
    }
    capabilities = []
    if {"NFC RFID Classic", "NFC RFID DESFire"} & set(record.authentication_modes):
        capabilities.append("RFID_READER")
    if "REMOTE" in record.authentication_modes and record.is_hubject_compatible:
        capabilities.append("REMOTE_START_STOP_CAPABLE")
    if "Reservation" in record.value_added_services:
        capabilities.append("RESERVABLE")
    if capabilities:
        evse["capabilities"] = capabilities
    if record.address.floor and len(record.address.floor) <= 4:
        evse["floor_level"] = record.address.floor
    if record.charging_station_id and len(record.charging_station_id) <= 16:
        evse["physical_reference"] = record.charging_station_id
    return evse


def _location_key(record: PullEvseDataRecord) -> tuple[str, ...]:
    if record.charging_pool_id:
        return ("pool", ids.canonical(record.charging_pool_id))
    a, geo = record.address, _ocpi_geo(record.geo_coordinates)
    return (
        ids.canonical(record.operator_id),
        a.country,
        a.city,
        a.postal_code,
        a.street,
        a.house_num,
        geo["latitude"],
        geo["longitude"],
    )


def _ocpi_location(
    records: list[PullEvseDataRecord], evses: list[Json], party: PartyKey, time_zone: str, updated: str
) -> Json:
    first = records[0]
    a = first.address
    key = _location_key(first)
    location: Json = {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "id": ids.location_id_of_pool(first.charging_pool_id) if first.charging_pool_id else ids.stable_id(*key),
        "publish": True,
        "name": first.charging_station_names[0].value if first.charging_station_names else None,
        "address": f"{a.street} {a.house_num}".strip(),
        "city": a.city[:45],
        "postal_code": a.postal_code or None,
        "state": a.region,
        "country": a.country,
        "coordinates": _ocpi_geo(first.geo_coordinates),
        "parking_type": _OCPI_PARKING.get(first.accessibility_location or ""),
        "evses": evses,
        "directions": _display_texts((first.charging_station_location_reference or []) + (first.additional_info or []))
        or None,
        "operator": {"name": first.operator_name},
        "suboperator": {"name": first.sub_operator_name} if first.sub_operator_name else None,
        "time_zone": time_zone,
        "opening_times": {"twentyfourseven": True}
        if first.is_open_24_hours
        else {"twentyfourseven": False, "regular_hours": _regular_hours(first.opening_times or [])},
        "images": [_image(first.charging_station_image)] if first.charging_station_image else None,
        "last_updated": updated,
    }
    if first.renewable_energy or first.energy_source or first.environmental_impact:
        location["energy_mix"] = _ocpi_energy_mix(first)
    return {k: v for k, v in location.items() if v is not None}


def _ocpi_energy_mix(record: EvseDataRecord) -> Json:
    shares: dict[str, float] = {}
    for source in record.energy_source or []:
        if source.energy in _OCPI_ENERGY:
            shares[_OCPI_ENERGY[source.energy]] = shares.get(_OCPI_ENERGY[source.energy], 0) + (source.percentage or 0)
    mix: Json = {"is_green_energy": record.renewable_energy}
    if shares:
        mix["energy_sources"] = [{"source": s, "percentage": p} for s, p in shares.items()]
    impact = record.environmental_impact
    if impact is not None:
        amounts = [("CARBON_DIOXIDE", impact.co2_emission), ("NUCLEAR_WASTE", impact.nuclear_waste)]
        mix["environ_impact"] = [{"category": c, "amount": v} for c, v in amounts if v is not None]
    return mix


def evse_records_to_locations(
    records: Iterable[PullEvseDataRecord],
    *,
    time_zone: str,
    now: datetime,
    statuses: Mapping[str, str] | None = None,
    party_overrides: Mapping[str, PartyKey] | None = None,
) -> LocationBatch:
    """Pulled OICP EVSE records as OCPI Locations of the CPO parties behind Hubject.

    Records group into one Location by ChargingPoolID, else by operator + address + coordinates;
    the owner party comes from the EvseID prefix (`party_overrides` win). `statuses` maps EvseID ->
    OICP EvseStatus (default Unknown); `deltaType` delete gives status REMOVED. OICP carries no IANA
    zone, so every Location gets `time_zone`. A record that cannot become an EVSE (plug type without
    OCPI standard: Small/Large Paddle Inductive, AVCON; bad EvseID; DIN operator without override)
    is listed in `rejected`, never dropped silently.
    Lost (§7.1): HotlinePhoneNumber, Accessibility, CalibrationLawDataAvailability,
    DynamicInfoAvailable, DynamicPowerLevel, HardwareManufacturer, MaxCapacity, ClearinghouseID,
    HubOperatorID, PaymentOptions (no terminal type known), ValueAddedServices other than
    Reservation, AuthenticationModes PnC / No Authentication Required, ChargingModes, Floor over
    4 characters, ChargingStationId over 16 characters, TimeZone offset.
    """
    groups: dict[tuple[str, ...], tuple[PartyKey, list[PullEvseDataRecord], list[Json]]] = {}
    batch = LocationBatch()
    known = {ids.canonical(k): v for k, v in (statuses or {}).items()}
    for record in records:
        try:
            party = ids.party_of_evse_id(record.evse_id, party_overrides)
            updated = ocpi_time(record.last_update or now)
            status = ocpi_evse_status(known.get(ids.canonical(record.evse_id), "Unknown"))
            evse = _ocpi_evse(record, status, updated)
        except Unmappable as problem:
            batch.rejected.append((record.evse_id, problem))
            continue
        group = groups.setdefault(_location_key(record), (party, [], []))
        group[1].append(record)
        group[2].append(evse)
    for party, group_records, evses in groups.values():
        updated = max(e["last_updated"] for e in evses)
        batch.locations.append(_ocpi_location(group_records, evses, party, time_zone, updated))
    return batch


def cdr_location_from_evse_record(
    record: EvseDataRecord, *, location_id: str, evse_uid: str, connector_id: str = "1"
) -> Json:
    """OCPI CdrLocation from the stored OICP record of the EVSE a CDR names (§7.8)."""
    a = record.address
    connectors = _connectors(record, last_updated="")  # CdrLocation carries no connector timestamp
    connector = next((c for c in connectors if c["id"] == connector_id), connectors[0])
    cdr_location = {
        "id": location_id,
        "name": record.charging_station_names[0].value if record.charging_station_names else None,
        "address": f"{a.street} {a.house_num}".strip(),
        "city": a.city[:45],
        "postal_code": a.postal_code or None,
        "state": a.region,
        "country": a.country,
        "coordinates": _ocpi_geo(record.geo_coordinates),
        "evse_uid": evse_uid,
        "evse_id": ids.evse_id(record.evse_id),
        "connector_id": connector["id"],
        "connector_standard": connector["standard"],
        "connector_format": connector["format"],
        "connector_power_type": connector["power_type"],
    }
    return {k: v for k, v in cdr_location.items() if v is not None}
