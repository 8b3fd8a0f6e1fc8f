# mypy: disable-error-code="assignment"
# (2.3.0 classes subclass their 2.2.1 counterparts and redeclare the fields whose type changed)
"""OCPI 2.3.0 Tariffs module objects (2.3.0 mod_tariffs.asciidoc): min_price/max_price are
PriceLimit, tax_included is required, preauthorize_amount is new; price components carry prices
including or excluding taxes as tax_included says."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from hub.ocpi.models.base import OcpiModel
from hub.ocpi.models.types import Number
from hub.ocpi.models.v221 import tariffs as v221
from hub.ocpi.models.v221.tariffs import PriceComponent, TariffElement, TariffRestrictions
from hub.ocpi.models.v230.enums import TaxIncluded
from hub.ocpi.models.v230.locations import EnergyMix

__all__ = ["PriceComponent", "PriceLimit", "Tariff", "TariffElement", "TariffRestrictions"]


class PriceLimit(OcpiModel):
    """mod_tariffs.asciidoc, PriceLimit class."""

    before_taxes: Number
    after_taxes: Number | None = None


class Tariff(v221.Tariff):
    """mod_tariffs.asciidoc, Tariff object."""

    min_price: PriceLimit | None = None
    max_price: PriceLimit | None = None
    preauthorize_amount: Number | None = None
    elements: Annotated[list[TariffElement], Field(min_length=1)]
    tax_included: TaxIncluded
    energy_mix: EnergyMix | None = None
