"""OCPI 2.1.1 Tariffs module objects (mod_tariffs.md, 3. Object description, 4. Data types)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from hub.ocpi.models.base import OcpiModel, patch_of
from hub.ocpi.models.types import URL, AsciiString, Date, DateTime, Int, Number, TimeOfDay
from hub.ocpi.models.v211.locations import EnergyMix
from hub.ocpi.models.v211.types import DisplayText
from hub.ocpi.models.v221.enums import DayOfWeek, TariffDimensionType

__all__ = ["PriceComponent", "Tariff", "TariffElement", "TariffPatch", "TariffRestrictions"]


class PriceComponent(OcpiModel):
    """mod_tariffs.md 4.2, PriceComponent class (no vat in 2.1.1)."""

    type: TariffDimensionType
    price: Number
    step_size: Int


class TariffRestrictions(OcpiModel):
    """mod_tariffs.md 4.5, TariffRestrictions class."""

    start_time: TimeOfDay | None = None
    end_time: TimeOfDay | None = None
    start_date: Date | None = None
    end_date: Date | None = None
    min_kwh: Number | None = None
    max_kwh: Number | None = None
    min_power: Number | None = None
    max_power: Number | None = None
    min_duration: Int | None = None
    max_duration: Int | None = None
    day_of_week: list[DayOfWeek] | None = None


class TariffElement(OcpiModel):
    """mod_tariffs.md 4.3, TariffElement class."""

    price_components: Annotated[list[PriceComponent], Field(min_length=1)]
    restrictions: TariffRestrictions | None = None


class Tariff(OcpiModel):
    """mod_tariffs.md 3.1, Tariff object."""

    id: Annotated[str, AsciiString(36)]
    currency: Annotated[str, AsciiString(3)]
    tariff_alt_text: list[DisplayText] | None = None
    tariff_alt_url: URL | None = None
    elements: Annotated[list[TariffElement], Field(min_length=1)]
    energy_mix: EnergyMix | None = None
    last_updated: DateTime


# mod_tariffs.md 2.2.3: a PATCH carries only the fields to update (no mandatory last_updated in 2.1.1).
TariffPatch = patch_of(Tariff, required=frozenset())
