"""Price a charging session with a Tariff (mod_tariffs.asciidoc: TariffElement, PriceComponent).

Per dimension (FLAT, ENERGY, TIME, PARKING_TIME) the first element that has a component of
that type sets the price; elements with restrictions are skipped (the generated tariffs have
none). `step_size` rounds the billed volume up: Wh for ENERGY, seconds for TIME and
PARKING_TIME. Prices exclude VAT; `vat` (percent) gives the incl_vat amounts. Amounts are
rounded to 4 decimals.

Editions: a 2.1.1 tariff has no `vat` (its amounts are excl. VAT and incl. VAT alike); a 2.3.0
tariff says with `tax_included` whether its prices include the taxes (YES: the VAT is taken out).
`price_object` writes an amount pair as the edition's price: a 2.1.1 number (excl. VAT), a 2.2.1
Price {excl_vat, incl_vat}, a 2.3.0 Price {before_taxes, taxes: [{name, amount}]}; `read_price`
reads any of them back as (excl, incl).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Costs", "price_object", "price_session", "read_price"]


@dataclass(frozen=True, slots=True)
class Costs:
    fixed: tuple[float, float]  # (excl_vat, incl_vat)
    energy: tuple[float, float]
    time: tuple[float, float]
    parking: tuple[float, float]

    @property
    def total(self) -> tuple[float, float]:
        parts = (self.fixed, self.energy, self.time, self.parking)
        return round(sum(p[0] for p in parts), 4), round(sum(p[1] for p in parts), 4)

    @staticmethod
    def price(amounts: tuple[float, float]) -> dict[str, float]:
        return {"excl_vat": amounts[0], "incl_vat": amounts[1]}


def _component(tariff: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for element in tariff.get("elements") or []:
        if element.get("restrictions"):
            continue
        for component in element.get("price_components") or []:
            if component.get("type") == kind:
                return dict(component)
    return None


def _charge(
    component: dict[str, Any] | None, volume: float, unit_per_step: float, *, tax_included: bool = False
) -> tuple[float, float]:
    """`volume` in the dimension's unit (kWh, hours, 1); `unit_per_step` converts step_size."""
    if component is None or volume <= 0:
        return 0.0, 0.0
    step = max(int(component.get("step_size") or 1), 1) * unit_per_step
    billed = math.ceil(round(volume / step, 9)) * step
    vat = component.get("vat")
    if tax_included:  # 2.3.0 tax_included=YES: the price includes the VAT
        incl = round(billed * float(component["price"]), 4)
        excl = round(incl / (1 + float(vat) / 100), 4) if vat is not None else incl
        return excl, incl
    excl = round(billed * float(component["price"]), 4)
    incl = round(excl * (1 + float(vat) / 100), 4) if vat is not None else excl
    return excl, incl


def price_session(
    tariff: dict[str, Any] | None, *, energy_kwh: float, charging_hours: float, parking_hours: float = 0.0
) -> Costs:
    """The costs of a session that charged `energy_kwh` during `charging_hours`."""
    if tariff is None:
        zero = (0.0, 0.0)
        return Costs(zero, zero, zero, zero)
    included = tariff.get("tax_included") == "YES"
    return Costs(
        fixed=_charge(_component(tariff, "FLAT"), 1.0, 1.0, tax_included=included),
        energy=_charge(_component(tariff, "ENERGY"), energy_kwh, 0.001, tax_included=included),
        time=_charge(_component(tariff, "TIME"), charging_hours, 1 / 3600, tax_included=included),
        parking=_charge(_component(tariff, "PARKING_TIME"), parking_hours, 1 / 3600, tax_included=included),
    )


def price_object(amounts: tuple[float, float], version: str = "2.2.1") -> Any:
    """(excl, incl) as the edition writes a price: 2.1.1 a number (excl. VAT), 2.2.1 a Price
    {excl_vat, incl_vat}, 2.3.0 a Price {before_taxes, taxes} (one VAT TaxAmount when there is VAT)."""
    excl, incl = amounts
    if version == "2.1.1":
        return excl
    if version == "2.3.0":
        price: dict[str, Any] = {"before_taxes": excl}
        if round(incl - excl, 4):
            price["taxes"] = [{"name": "VAT", "amount": round(incl - excl, 4)}]
        return price
    return Costs.price(amounts)


def read_price(value: Any) -> tuple[float, float]:
    """A price of any edition as (excl, incl); ValueError for something that is not one."""
    if isinstance(value, bool):
        raise ValueError("a price is not a boolean")
    if isinstance(value, int | float):
        return float(value), float(value)
    if isinstance(value, dict):
        if isinstance(value.get("before_taxes"), int | float) and not isinstance(value["before_taxes"], bool):
            excl = float(value["before_taxes"])
            taxes = value.get("taxes") or []
            if not isinstance(taxes, list) or not all(
                isinstance(t, dict) and isinstance(t.get("amount"), int | float) for t in taxes
            ):
                raise ValueError("taxes must be TaxAmount objects")
            return excl, round(excl + sum(float(t["amount"]) for t in taxes), 4)
        if isinstance(value.get("excl_vat"), int | float):
            excl = float(value["excl_vat"])
            incl = value.get("incl_vat")
            return excl, float(incl) if isinstance(incl, int | float) else excl
    raise ValueError(f"not a price: {value!r}")
