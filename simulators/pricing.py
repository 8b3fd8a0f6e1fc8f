"""Price a charging session with a Tariff (mod_tariffs.asciidoc: TariffElement, PriceComponent).

Per dimension (FLAT, ENERGY, TIME, PARKING_TIME) the first element that has a component of
that type sets the price; elements with restrictions are skipped (the generated tariffs have
none). `step_size` rounds the billed volume up: Wh for ENERGY, seconds for TIME and
PARKING_TIME. Prices exclude VAT; `vat` (percent) gives the incl_vat amounts. Amounts are
rounded to 4 decimals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Costs", "price_session"]


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


def _charge(component: dict[str, Any] | None, volume: float, unit_per_step: float) -> tuple[float, float]:
    """`volume` in the dimension's unit (kWh, hours, 1); `unit_per_step` converts step_size."""
    if component is None or volume <= 0:
        return 0.0, 0.0
    step = max(int(component.get("step_size") or 1), 1) * unit_per_step
    billed = math.ceil(round(volume / step, 9)) * step
    excl = round(billed * float(component["price"]), 4)
    vat = component.get("vat")
    incl = round(excl * (1 + float(vat) / 100), 4) if vat is not None else excl
    return excl, incl


def price_session(
    tariff: dict[str, Any] | None, *, energy_kwh: float, charging_hours: float, parking_hours: float = 0.0
) -> Costs:
    """The costs of a session that charged `energy_kwh` during `charging_hours`."""
    if tariff is None:
        zero = (0.0, 0.0)
        return Costs(zero, zero, zero, zero)
    return Costs(
        fixed=_charge(_component(tariff, "FLAT"), 1.0, 1.0),
        energy=_charge(_component(tariff, "ENERGY"), energy_kwh, 0.001),
        time=_charge(_component(tariff, "TIME"), charging_hours, 1 / 3600),
        parking=_charge(_component(tariff, "PARKING_TIME"), parking_hours, 1 / 3600),
    )
