"""Field checks of OICP 2.3 messages as the simulated hub applies them (oicp-bridge.md §4): every
problem of a message is collected, then the whole message is refused with one StatusCode (`022`
Data error, the problems in AdditionalInfo), as HBS refuses a push all-or-nothing."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from simulators.oicp_hub import ids

__all__ = [
    "ACTION_TYPES",
    "Checker",
    "OicpError",
    "check_evse_data_record",
    "check_geo",
    "check_identification",
    "parse_time",
]

ACTION_TYPES = ("fullLoad", "update", "insert", "delete")
IDENTIFICATIONS = (
    "RFIDMifareFamilyIdentification",
    "RFIDIdentification",
    "QRCodeIdentification",
    "PlugAndChargeIdentification",
    "RemoteIdentification",
)
AUTHORIZATION_IDENTIFICATIONS = frozenset(IDENTIFICATIONS) - {"RFIDIdentification"}
PLUGS = frozenset(
    {
        "Small Paddle Inductive",
        "Large Paddle Inductive",
        "AVCON Connector",
        "Tesla Connector",
        "NEMA 5-20",
        "Type E French Standard",
        "Type F Schuko",
        "Type G British Standard",
        "Type J Swiss Standard",
        "Type 1 Connector (Cable Attached)",
        "Type 2 Outlet",
        "Type 2 Connector (Cable Attached)",
        "Type 3 Outlet",
        "IEC 60309 Single Phase",
        "IEC 60309 Three Phase",
        "CCS Combo 2 Plug (Cable Attached)",
        "CCS Combo 1 Plug (Cable Attached)",
        "CHAdeMO",
    }
)
POWER_TYPES = frozenset({"AC_1_PHASE", "AC_3_PHASE", "DC"})
CHARGING_MODES = frozenset({"Mode_1", "Mode_2", "Mode_3", "Mode_4", "CHAdeMO"})
AUTHENTICATION_MODES = frozenset(
    {"NFC RFID Classic", "NFC RFID DESFire", "PnC", "REMOTE", "Direct Payment", "No Authentication Required"}
)
VALUE_ADDED_SERVICES = frozenset(
    {
        "Reservation",
        "DynamicPricing",
        "ParkingSensors",
        "MaximumPowerCharging",
        "PredictiveChargePointUsage",
        "ChargingPlans",
        "RoofProvided",
        "None",
    }
)
ACCESSIBILITY = frozenset(
    {"Free publicly accessible", "Restricted access", "Paying publicly accessible", "Test Station"}
)
ACCESSIBILITY_LOCATIONS = frozenset({"OnStreet", "ParkingLot", "ParkingGarage", "UndergroundParkingGarage"})
ENERGY = frozenset(
    {"Solar", "Wind", "HydroPower", "GeothermalEnergy", "Biomass", "Coal", "NuclearEnergy", "Petroleum", "NaturalGas"}
)
PAYMENT_OPTIONS = frozenset({"No Payment", "Direct", "Contract"})
CALIBRATION = frozenset({"Local", "External", "Not Available"})
DAYS = frozenset(
    {"Everyday", "Workdays", "Weekend", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
)
EVSE_STATUSES = frozenset({"Available", "Reserved", "Occupied", "OutOfService", "EvseNotFound", "Unknown"})
REFERENCE_UNITS = frozenset({"HOUR", "KILOWATT_HOUR", "MINUTE"})
ADDITIONAL_REFERENCES = frozenset({"START FEE", "FIXED FEE", "PARKING FEE", "MINIMUM FEE", "MAXIMUM FEE"})
RFID_TYPES = frozenset({"mifareCls", "mifareDes", "calypso", "nfc", "mifareFamily"})

_LANG = re.compile(r"^[a-z]{2,3}(?:-[A-Z]{2,3}(?:-[a-zA-Z]{4})?)?(?:-x-[a-zA-Z0-9]{1,8})?$")
_COUNTRY3 = re.compile(r"^[A-Z]{3}$")
_TIME_ZONE = re.compile(r"^[U][T][C][+,-][0-9][0-9][:][0-9][0-9]$")
_GOOGLE = re.compile(r"^-?1?\d{1,2}\.\d{1,6}\s*\,?\s*-?1?\d{1,2}\.\d{1,6}$")
_DECIMAL = re.compile(r"^-?1?\d{1,2}\.\d{1,6}$")
_DMS = re.compile(r"^-?1?\d{1,2}°[ ]?\d{1,2}'[ ]?\d{1,2}\.\d+''$")
_PHONE = re.compile(r"^\+[0-9]{5,15}$")
_HHMM = re.compile(r"^[0-9]{2}:[0-9]{2}$")
_POOL = re.compile(r"^[A-Za-z]{2}\*?[A-Za-z0-9]{3}\*?P[A-Za-z0-9\*]{1,30}$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_HASHED_PIN = re.compile(r"^[0-9A-Za-z\.+/=\$]{10,100}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class OicpError(Exception):
    """A request the simulated hub refuses: the StatusCode it answers (and the HTTP status)."""

    def __init__(
        self, code: str, description: str, additional_info: str | None = None, *, http_status: int = 200
    ) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.additional_info = additional_info
        self.http_status = http_status


def parse_time(value: str) -> datetime:
    """An OICP date-time (ISO 8601 with an offset) as an aware datetime."""
    return datetime.fromisoformat(value)


@dataclass
class Checker:
    """Collects the problems of one message; `done()` raises them as one `022`."""

    problems: list[str] = field(default_factory=list)

    def fail(self, path: str, problem: str) -> None:
        self.problems.append(f"{path}: {problem}")

    def done(self) -> None:
        if self.problems:
            raise OicpError("022", "Data error", "; ".join(self.problems)[:1000])

    def obj(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, "object expected")
            return {}
        return value

    def value(
        self,
        parent: dict[str, Any],
        name: str,
        path: str,
        *,
        kind: type | tuple[type, ...] = str,
        required: bool = True,
        pattern: re.Pattern[str] | None = None,
        max_len: int | None = None,
        min_len: int = 0,
        enum: Collection[str] | None = None,
        minimum: float | None = None,
        maximum: float | None = None,
        aliases: Sequence[str] = (),
    ) -> Any:
        """One field: presence, JSON type, and its constraint (regex, length, enum, range)."""
        key = next((k for k in (name, *aliases) if parent.get(k) is not None), None)
        where = f"{path}.{name}" if path else name
        if key is None:
            if required:
                self.fail(where, "mandatory field missing")
            return None
        value = parent[key]
        if kind is float:
            kind = (int, float)
        if isinstance(value, bool) and kind is not bool:
            self.fail(where, "wrong type")
            return None
        if not isinstance(value, kind):
            self.fail(where, "wrong type")
            return None
        if isinstance(value, str):
            if pattern is not None and not pattern.match(value):
                self.fail(where, f"{value!r} has an invalid format")
            if max_len is not None and len(value) > max_len:
                self.fail(where, f"longer than {max_len}")
            if len(value) < min_len:
                self.fail(where, f"shorter than {min_len}")
            if enum is not None and value not in enum:
                self.fail(where, f"{value!r} is not an allowed value")
        if isinstance(value, int | float) and not isinstance(value, bool):
            if minimum is not None and value < minimum:
                self.fail(where, f"below {minimum}")
            if maximum is not None and value > maximum:
                self.fail(where, f"above {maximum}")
        return value

    def items(
        self,
        parent: dict[str, Any],
        name: str,
        path: str,
        *,
        required: bool = True,
        min_items: int = 0,
        max_items: int | None = None,
        aliases: Sequence[str] = (),
    ) -> list[Any]:
        """A list field (empty list when missing or wrong)."""
        value = self.value(parent, name, path, kind=list, required=required, aliases=aliases)
        if value is None:
            return []
        where = f"{path}.{name}" if path else name
        if len(value) < min_items:
            self.fail(where, f"at least {min_items} item(s) needed")
        if max_items is not None and len(value) > max_items:
            self.fail(where, f"at most {max_items} item(s) allowed")
        return list(value)

    def enum_list(
        self, parent: dict[str, Any], name: str, path: str, allowed: Collection[str], *, required: bool = True
    ) -> list[Any]:
        values = self.items(parent, name, path, required=required)
        for i, item in enumerate(values):
            if item not in allowed:
                self.fail(f"{path}.{name}[{i}]", f"{item!r} is not an allowed value")
        return values

    def date_time(self, parent: dict[str, Any], name: str, path: str, *, required: bool = True) -> str | None:
        """A date-time with a UTC offset (OICP forbids times without one)."""
        value = self.value(parent, name, path, required=required, pattern=_DATE_TIME)
        if value is None:
            return None
        try:
            parse_time(value)
        except ValueError:
            self.fail(f"{path}.{name}", "not a date-time")
            return None
        return str(value)

    def info_texts(self, parent: dict[str, Any], name: str, path: str, *, required: bool) -> None:
        for i, item in enumerate(self.items(parent, name, path, required=required)):
            text = self.obj(item, f"{path}.{name}[{i}]")
            self.value(text, "lang", f"{path}.{name}[{i}]", pattern=_LANG)
            self.value(text, "value", f"{path}.{name}[{i}]", max_len=150)


def check_geo(c: Checker, value: Any, path: str) -> None:
    """GeoCoordinates: exactly one of Google / DecimalDegree / DegreeMinuteSeconds."""
    geo = c.obj(value, path)
    present = [k for k in ("Google", "DecimalDegree", "DegreeMinuteSeconds") if geo.get(k) is not None]
    if len(present) != 1:
        c.fail(path, "exactly one of Google, DecimalDegree, DegreeMinuteSeconds expected")
        return
    form = present[0]
    inner = c.obj(geo[form], f"{path}.{form}")
    if form == "Google":
        c.value(inner, "Coordinates", f"{path}.Google", pattern=_GOOGLE)
    else:
        pattern = _DECIMAL if form == "DecimalDegree" else _DMS
        c.value(inner, "Longitude", f"{path}.{form}", pattern=pattern)
        c.value(inner, "Latitude", f"{path}.{form}", pattern=pattern)


def check_identification(c: Checker, value: Any, path: str, allowed: Collection[str]) -> tuple[str, str] | None:
    """Identification (exactly one option, of `allowed`): returns (option, upper-cased UID or EvcoID)."""
    ident = c.obj(value, path)
    present = [k for k in IDENTIFICATIONS if ident.get(k) is not None]
    if len(present) != 1:
        c.fail(path, f"exactly one of {', '.join(IDENTIFICATIONS)} expected")
        return None
    option = present[0]
    if option not in allowed:
        c.fail(f"{path}.{option}", "not allowed in this message")
        return None
    inner = c.obj(ident[option], f"{path}.{option}")
    where = f"{path}.{option}"
    if option in ("RFIDMifareFamilyIdentification", "RFIDIdentification"):
        uid = c.value(inner, "UID", where, max_len=50)
        if isinstance(uid, str) and not ids.UID.match(uid.upper()):
            c.fail(f"{where}.UID", f"{uid!r} is not 8, 14 or 20 hex digits")
        if option == "RFIDIdentification":
            c.value(inner, "RFID", where, enum=RFID_TYPES)
            c.value(inner, "EvcoID", where, required=False, pattern=ids.EVCO_ID)
            c.value(inner, "PrintedNumber", where, required=False, max_len=150)
            c.date_time(inner, "ExpiryDate", where, required=False)
        return (option, uid.upper()) if isinstance(uid, str) else None
    evco = c.value(inner, "EvcoID", where, pattern=ids.EVCO_ID)
    if option == "QRCodeIdentification":
        pin = c.value(inner, "PIN", where, required=False, max_len=20)
        hashed = inner.get("HashedPIN")
        if pin is None and hashed is None:
            c.fail(where, "PIN or HashedPIN needed")
        if hashed is not None:
            hashed_pin = c.obj(hashed, f"{where}.HashedPIN")
            c.value(hashed_pin, "Value", f"{where}.HashedPIN", pattern=_HASHED_PIN)
            c.value(hashed_pin, "Function", f"{where}.HashedPIN", enum=("Bcrypt",))
    return (option, evco.upper()) if isinstance(evco, str) else None


def _check_address(c: Checker, value: Any, path: str) -> None:
    address = c.obj(value, path)
    c.value(address, "Country", path, pattern=_COUNTRY3)
    c.value(address, "City", path, min_len=1, max_len=50)
    c.value(address, "Street", path, min_len=2, max_len=100)
    c.value(address, "PostalCode", path, max_len=10)
    c.value(address, "HouseNum", path, max_len=10)
    c.value(address, "Floor", path, required=False, max_len=5)
    c.value(address, "Region", path, required=False, max_len=50)
    c.value(address, "ParkingFacility", path, kind=bool, required=False)
    c.value(address, "ParkingSpot", path, required=False, max_len=5)
    c.value(address, "TimeZone", path, required=False, pattern=_TIME_ZONE)


def check_evse_data_record(c: Checker, value: Any, path: str) -> str | None:
    """One EvseDataRecord (2.3 rules: no `Unspecified`); returns its EvseID."""
    rec = c.obj(value, path)
    evse_id = c.value(rec, "EvseID", path, pattern=ids.EVSE_ID)
    c.value(rec, "ChargingPoolID", path, required=False, pattern=_POOL)
    c.value(rec, "ChargingStationId", path, required=False, max_len=50, aliases=("ChargingStationID",))
    c.info_texts(rec, "ChargingStationNames", path, required=True)
    c.value(rec, "HardwareManufacturer", path, required=False, max_len=50)
    c.value(rec, "ChargingStationImage", path, required=False, max_len=200)
    c.value(rec, "SubOperatorName", path, required=False, max_len=100)
    _check_address(c, rec.get("Address"), f"{path}.Address")
    check_geo(c, rec.get("GeoCoordinates"), f"{path}.GeoCoordinates")
    c.enum_list(rec, "Plugs", path, PLUGS)
    c.value(rec, "DynamicPowerLevel", path, kind=bool, required=False)
    for i, item in enumerate(c.items(rec, "ChargingFacilities", path)):
        where = f"{path}.ChargingFacilities[{i}]"
        facility = c.obj(item, where)
        c.value(facility, "PowerType", where, enum=POWER_TYPES)
        c.value(facility, "Voltage", where, kind=int, required=False, minimum=0, maximum=999)
        c.value(facility, "Amperage", where, kind=int, required=False, minimum=0, maximum=99)
        c.value(facility, "Power", where, kind=int, minimum=0, maximum=999)
        c.enum_list(facility, "ChargingModes", where, CHARGING_MODES, required=False)
    c.value(rec, "RenewableEnergy", path, kind=bool)
    for i, item in enumerate(c.items(rec, "EnergySource", path, required=False)):
        source = c.obj(item, f"{path}.EnergySource[{i}]")
        c.value(source, "Energy", f"{path}.EnergySource[{i}]", required=False, enum=ENERGY)
        c.value(source, "Percentage", f"{path}.EnergySource[{i}]", kind=int, required=False, minimum=0, maximum=99)
    c.value(rec, "CalibrationLawDataAvailability", path, enum=CALIBRATION)
    c.enum_list(rec, "AuthenticationModes", path, AUTHENTICATION_MODES)
    c.value(rec, "MaxCapacity", path, kind=int, required=False)
    payment = c.enum_list(rec, "PaymentOptions", path, PAYMENT_OPTIONS)
    if "No Payment" in payment and len(payment) > 1:
        c.fail(f"{path}.PaymentOptions", "'No Payment' cannot be combined")
    c.enum_list(rec, "ValueAddedServices", path, VALUE_ADDED_SERVICES)
    c.value(rec, "Accessibility", path, enum=ACCESSIBILITY)
    c.value(rec, "AccessibilityLocation", path, required=False, enum=ACCESSIBILITY_LOCATIONS)
    c.value(rec, "HotlinePhoneNumber", path, pattern=_PHONE)
    c.info_texts(rec, "AdditionalInfo", path, required=False)
    c.info_texts(rec, "ChargingStationLocationReference", path, required=False)
    if rec.get("GeoChargingPointEntrance") is not None:
        check_geo(c, rec["GeoChargingPointEntrance"], f"{path}.GeoChargingPointEntrance")
    open24 = c.value(rec, "IsOpen24Hours", path, kind=bool)
    for i, item in enumerate(c.items(rec, "OpeningTimes", path, required=open24 is False)):
        where = f"{path}.OpeningTimes[{i}]"
        opening = c.obj(item, where)
        c.value(opening, "on", where, enum=DAYS)
        for j, period in enumerate(c.items(opening, "Period", where, aliases=("Periods",))):
            span = c.obj(period, f"{where}.Period[{j}]")
            c.value(span, "begin", f"{where}.Period[{j}]", pattern=_HHMM)
            c.value(span, "end", f"{where}.Period[{j}]", pattern=_HHMM)
    c.value(rec, "HubOperatorID", path, required=False, pattern=ids.OPERATOR_ID)
    c.value(rec, "ClearinghouseID", path, required=False, max_len=20)
    c.value(rec, "IsHubjectCompatible", path, kind=bool)
    c.value(rec, "DynamicInfoAvailable", path, enum=("true", "false", "auto"))
    return evse_id if isinstance(evse_id, str) else None


def check_currency(c: Checker, parent: dict[str, Any], name: str, path: str) -> None:
    c.value(parent, name, path, pattern=_CURRENCY)


def check_pricing_product(c: Checker, value: Any, path: str) -> str | None:
    """One PricingProductDataRecord; returns its ProductID."""
    rec = c.obj(value, path)
    product = c.value(rec, "ProductID", path, min_len=1, max_len=50)
    c.value(rec, "ReferenceUnit", path, enum=REFERENCE_UNITS)
    check_currency(c, rec, "ProductPriceCurrency", path)
    c.value(rec, "PricePerReferenceUnit", path, kind=float, minimum=0)
    c.value(rec, "MaximumProductChargingPower", path, kind=float, minimum=0)
    c.value(rec, "IsValid24hours", path, kind=bool)
    for i, item in enumerate(c.items(rec, "ProductAvailabilityTimes", path)):
        where = f"{path}.ProductAvailabilityTimes[{i}]"
        times = c.obj(item, where)
        c.value(times, "on", where, enum=DAYS)
        for j, period in enumerate(c.items(times, "Periods", where, aliases=("Period",))):
            span = c.obj(period, f"{where}.Periods[{j}]")
            c.value(span, "begin", f"{where}.Periods[{j}]", pattern=_HHMM)
            c.value(span, "end", f"{where}.Periods[{j}]", pattern=_HHMM)
    for i, item in enumerate(c.items(rec, "AdditionalReferences", path, required=False)):
        where = f"{path}.AdditionalReferences[{i}]"
        ref = c.obj(item, where)
        c.value(ref, "AdditionalReference", where, enum=ADDITIONAL_REFERENCES)
        c.value(ref, "AdditionalReferenceUnit", where, enum=REFERENCE_UNITS)
        c.value(ref, "PricePerAdditionalReferenceUnit", where, kind=float, minimum=0)
    return product if isinstance(product, str) else None
