"""OCPI 2.2.1 Tariffs module objects (mod_tariffs.asciidoc, "Object description" and "Data types")."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from hub.ocpi.models.base import OcpiModel
from hub.ocpi.models.types import URL, CiString, Date, DateTime, DisplayText, Int, Number, Price, String, TimeOfDay
from hub.ocpi.models.v221.enums import DayOfWeek, ReservationRestrictionType, TariffDimensionType, TariffType
from hub.ocpi.models.v221.locations import EnergyMix

__all__ = ["PriceComponent", "Tariff", "TariffElement", "TariffRestrictions"]


class PriceComponent(OcpiModel):
    """mod_tariffs.asciidoc, PriceComponent class (price excl. VAT, vat in percent)."""

    type: TariffDimensionType
    price: Number
    vat: Number | None = None
    step_size: Int


class TariffRestrictions(OcpiModel):
    """mod_tariffs.asciidoc, TariffRestrictions class (times and dates are local)."""

    start_time: TimeOfDay | None = None
    end_time: TimeOfDay | None = None
    start_date: Date | None = None
    end_date: Date | None = None
    min_kwh: Number | None = None
    max_kwh: Number | None = None
    min_current: Number | None = None
    max_current: Number | None = None
    min_power: Number | None = None
    max_power: Number | None = None
    min_duration: Int | None = None
    max_duration: Int | None = None
    day_of_week: list[DayOfWeek] | None = None
    reservation: ReservationRestrictionType | None = None


class TariffElement(OcpiModel):
    """mod_tariffs.asciidoc, TariffElement class."""

    price_components: Annotated[list[PriceComponent], Field(min_length=1)]
    restrictions: TariffRestrictions | None = None


class Tariff(OcpiModel):
    """mod_tariffs.asciidoc, Tariff object."""

    country_code: Annotated[str, CiString(2)]
    party_id: Annotated[str, CiString(3)]
    id: Annotated[str, CiString(36)]
    currency: Annotated[str, String(3)]
    type: TariffType | None = None
    tariff_alt_text: list[DisplayText] | None = None
    tariff_alt_url: URL | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    elements: Annotated[list[TariffElement], Field(min_length=1)]
    start_date_time: DateTime | None = None
    end_date_time: DateTime | None = None
    energy_mix: EnergyMix | None = None
    last_updated: DateTime
