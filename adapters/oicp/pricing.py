"""OCPI Tariff <-> OICP dynamic pricing products (oicp-bridge.md §7.9).

An OICP pricing product has one main price (per kWh, hour or minute), a few named fees (start,
fixed, parking, minimum, maximum), one maximum power and one set of availability times. An OCPI
Tariff maps when it reduces to that shape; anything that would change the price a driver pays if
it were dropped (elements valid under different conditions, two main prices) is Unmappable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from adapters.oicp import ids
from adapters.oicp.errors import Unmappable
from adapters.oicp.models import (
    AdditionalReference,
    EvsePricing,
    Period,
    PricingProductData,
    PricingProductDataRecord,
    ProductAvailabilityTimes,
)
from adapters.oicp.timefmt import ocpi_time
from hub.types import PartyKey

__all__ = [
    "cost_from_pricing",
    "default_tariff",
    "evse_pricing_from_location",
    "pricing_to_tariff",
    "tariff_to_pricing",
]

Json = dict[str, Any]
Unit = Literal["HOUR", "KILOWATT_HOUR", "MINUTE"]

# restrictions that decide *whether* an element applies and have no OICP counterpart
_UNMAPPABLE_RESTRICTIONS = (
    "start_date",
    "end_date",
    "min_kwh",
    "max_kwh",
    "min_current",
    "max_current",
    "min_power",
    "min_duration",
    "max_duration",
    "reservation",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAY = {day.upper(): day for day in _DAYS}
_Window = tuple[str, str, tuple[str, ...]] | None  # (begin, end, days) or always


def _window(restrictions: Json) -> _Window:
    begin, end, days = restrictions.get("start_time"), restrictions.get("end_time"), restrictions.get("day_of_week")
    if begin is None and end is None and not days:
        return None
    return (begin or "00:00", end or "24:00", tuple(_WEEKDAY[d] for d in days or []))


def _single(found: dict[str, float], kind: str, price: float, where: str) -> None:
    if kind in found and found[kind] != price:
        raise Unmappable(where, f"two {kind} prices; an OICP product has one price per component")
    found[kind] = price


def tariff_to_pricing(tariff: Json, *, max_power_kw: float) -> PricingProductDataRecord:
    """One OCPI Tariff as one OICP PricingProductDataRecord (ProductID = Tariff.id).

    ENERGY -> KILOWATT_HOUR, TIME -> HOUR, FLAT -> START FEE, PARKING_TIME -> PARKING FEE (per hour),
    min_price/max_price -> MINIMUM/MAXIMUM FEE, start_time/end_time/day_of_week ->
    ProductAvailabilityTimes, max_power -> MaximumProductChargingPower (else `max_power_kw`, the
    EVSE's). Prices stay excl. VAT.
    Raises Unmappable for: a Tariff.id over 50 characters; non-zero ENERGY and TIME prices together;
    one component type with two prices; elements valid at different times; the restrictions
    start_date, end_date, min/max_kwh, min/max_current, min_power, min/max_duration, reservation.
    Lost: `vat`, `step_size`, `type`, `tariff_alt_text`, `tariff_alt_url`, `start_date_time` /
    `end_date_time`, `energy_mix`, the owning party (OICP scopes products by operator).
    """
    product = ids.product_id(str(tariff.get("id", "")), "id")
    prices: dict[str, float] = {}
    windows: set[_Window] = set()
    max_powers: set[float] = set()
    for index, element in enumerate(tariff.get("elements") or []):
        restrictions = element.get("restrictions") or {}
        for name in _UNMAPPABLE_RESTRICTIONS:
            if restrictions.get(name) is not None:
                raise Unmappable(f"elements[{index}].restrictions.{name}", "OICP pricing has no such condition")
        windows.add(_window(restrictions))
        if restrictions.get("max_power") is not None:
            max_powers.add(float(restrictions["max_power"]))
        for component in element.get("price_components") or []:
            _single(prices, component["type"], float(component["price"]), f"elements[{index}].price_components")
    if not prices:
        raise Unmappable("elements", "no price component")
    if len(windows) > 1:
        raise Unmappable("elements[].restrictions", "elements apply at different times; an OICP product has one")
    if len(max_powers) > 1:
        raise Unmappable("elements[].restrictions.max_power", "several power limits; an OICP product has one")
    if prices.get("ENERGY") and prices.get("TIME"):
        raise Unmappable("elements[].price_components", "ENERGY and TIME prices together; OICP has one main unit")
    unit: Unit = "HOUR" if prices.get("TIME") else "KILOWATT_HOUR"
    main = prices.get("TIME") or prices.get("ENERGY", 0.0)
    fees: list[AdditionalReference] = []

    def fee(name: Literal["START FEE", "PARKING FEE", "MINIMUM FEE", "MAXIMUM FEE"], amount: float, per: Unit) -> None:
        fees.append(
            AdditionalReference(
                additional_reference=name, additional_reference_unit=per, price_per_additional_reference_unit=amount
            )
        )

    if "FLAT" in prices:
        fee("START FEE", prices["FLAT"], unit)
    if "PARKING_TIME" in prices:
        fee("PARKING FEE", prices["PARKING_TIME"], "HOUR")
    if tariff.get("min_price"):
        fee("MINIMUM FEE", float(tariff["min_price"]["excl_vat"]), unit)
    if tariff.get("max_price"):
        fee("MAXIMUM FEE", float(tariff["max_price"]["excl_vat"]), unit)
    (window,) = windows
    if window is None:
        availability = [ProductAvailabilityTimes(periods=[Period(begin="00:00", end="24:00")], on="Everyday")]
    else:
        begin, end, days = window
        availability = [
            ProductAvailabilityTimes(periods=[Period(begin=begin, end=end)], on=day) for day in days or ("Everyday",)
        ]
    return PricingProductDataRecord(
        product_id=product,
        reference_unit=unit,
        product_price_currency=tariff["currency"],
        price_per_reference_unit=main,
        maximum_product_charging_power=max_powers.pop() if max_powers else max_power_kw,
        is_valid_24_hours=window is None,
        product_availability_times=availability,
        additional_references=fees or None,
    )


def evse_pricing_from_location(location: Json, *, provider_id: str = "*") -> list[EvsePricing]:
    """PushEVSEPricing entries for a Location: each EVSE (with an EvseID) gets the tariff_ids of its
    first connector that has any. OICP assigns products per EVSE, so differing lists of the other
    connectors are lost. EVSEs without tariff ids get no entry (OICP's default price applies)."""
    result = []
    for index, evse in enumerate(location.get("evses") or []):
        tariff_ids = next((c["tariff_ids"] for c in evse.get("connectors") or [] if c.get("tariff_ids")), None)
        if not tariff_ids or not evse.get("evse_id") or evse.get("status") in ("PLANNED", "REMOVED"):
            continue
        result.append(
            EvsePricing(
                evse_id=ids.evse_id(evse["evse_id"], f"evses[{index}].evse_id"),
                provider_id=provider_id if provider_id == "*" else ids.provider_id(provider_id),
                evse_id_product_list=[ids.product_id(t, f"evses[{index}].connectors[].tariff_ids") for t in tariff_ids],
            )
        )
    return result


def _per_hour(price: float, unit: str) -> float:
    return price * 60 if unit == "MINUTE" else price


def _restriction_sets(record: PricingProductDataRecord) -> list[Json]:
    if record.is_valid_24_hours:
        return [{}]
    result = []
    for times in record.product_availability_times:
        days = {"Everyday": _DAYS, "Workdays": _DAYS[:5], "Weekend": _DAYS[5:]}.get(times.on, (times.on,))
        for period in times.periods:
            restriction: Json = {"start_time": period.begin, "end_time": period.end}
            if times.on != "Everyday":
                restriction["day_of_week"] = [d.upper() for d in days]
            result.append(restriction)
    return result or [{}]


def pricing_to_tariff(record: PricingProductDataRecord, *, party: PartyKey, last_updated: datetime) -> Json:
    """An OICP pricing product as an OCPI Tariff of the CPO `party` (§7.9, OICP -> OCPI).

    KILOWATT_HOUR -> ENERGY, HOUR/MINUTE -> TIME (per hour), START/FIXED FEE -> FLAT, PARKING FEE ->
    PARKING_TIME, MINIMUM/MAXIMUM FEE -> min_price/max_price (excl. VAT only: VAT is unknown),
    availability times -> one element per period, MaximumProductChargingPower -> max_power.
    Every component has `vat` unknown (omitted) and step_size 1. Lost: the product's ProviderID scope
    (the caller delivers per-EMP products only to that eMSP).
    """
    main = "ENERGY" if record.reference_unit == "KILOWATT_HOUR" else "TIME"
    components = [
        {"type": main, "price": _per_hour(record.price_per_reference_unit, record.reference_unit), "step_size": 1}
    ]
    tariff: Json = {}
    for ref in record.additional_references or []:
        amount = ref.price_per_additional_reference_unit
        if ref.additional_reference in ("START FEE", "FIXED FEE"):
            components.append({"type": "FLAT", "price": amount, "step_size": 1})
        elif ref.additional_reference == "PARKING FEE":
            price = _per_hour(amount, ref.additional_reference_unit)
            components.append({"type": "PARKING_TIME", "price": price, "step_size": 1})
        else:
            tariff["min_price" if ref.additional_reference == "MINIMUM FEE" else "max_price"] = {"excl_vat": amount}
    elements = []
    for restriction in _restriction_sets(record):
        restriction = restriction | {"max_power": record.maximum_product_charging_power}
        elements.append({"price_components": components, "restrictions": restriction})
    return {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "id": ids.tariff_id_of_product(record.product_id),
        "currency": record.product_price_currency,
        "elements": elements,
        **tariff,
        "last_updated": ocpi_time(last_updated),
    }


def default_tariff(
    data: PricingProductData, *, party: PartyKey, last_updated: datetime, tariff_id: str = "DEFAULT"
) -> Json:
    """OICP's PricingDefaultPrice (the price at EVSEs without a product) as an OCPI Tariff."""
    main = "ENERGY" if data.pricing_default_reference_unit == "KILOWATT_HOUR" else "TIME"
    price = _per_hour(data.pricing_default_price, data.pricing_default_reference_unit)
    return {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "id": tariff_id,
        "currency": data.pricing_default_price_currency,
        "elements": [{"price_components": [{"type": main, "price": price, "step_size": 1}]}],
        "last_updated": ocpi_time(last_updated),
    }


def cost_from_pricing(
    record: PricingProductDataRecord, *, energy_kwh: float, charging_hours: float, parking_hours: float
) -> float:
    """The price excl. VAT of one charge under a pricing product (OICP CDRs carry no price: §7.8)."""
    if record.reference_unit == "KILOWATT_HOUR":
        total = record.price_per_reference_unit * energy_kwh
    else:
        total = _per_hour(record.price_per_reference_unit, record.reference_unit) * charging_hours
    floor, ceiling = 0.0, float("inf")
    for ref in record.additional_references or []:
        amount = ref.price_per_additional_reference_unit
        if ref.additional_reference in ("START FEE", "FIXED FEE"):
            total += amount
        elif ref.additional_reference == "PARKING FEE":
            total += _per_hour(amount, ref.additional_reference_unit) * parking_hours
        elif ref.additional_reference == "MINIMUM FEE":
            floor = amount
        else:
            ceiling = amount
    return round(min(max(total, floor), ceiling), 4)
