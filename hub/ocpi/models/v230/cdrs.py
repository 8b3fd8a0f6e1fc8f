# mypy: disable-error-code="assignment"
# (2.3.0 classes subclass their 2.2.1 counterparts and redeclare the fields whose type changed)
"""OCPI 2.3.0 CDRs module objects (2.3.0 mod_cdrs.asciidoc): 2.2.1 structure with the 2.3.0
Price, Tariff and TokenType (an OpenEnum)."""

from __future__ import annotations

from hub.ocpi.models.types import OpenEnum
from hub.ocpi.models.v221 import cdrs as v221
from hub.ocpi.models.v221.cdrs import CdrDimension, ChargingPeriod, SignedData, SignedValue
from hub.ocpi.models.v230.tariffs import Tariff
from hub.ocpi.models.v230.types import Price

__all__ = ["CDR", "CdrDimension", "CdrLocation", "CdrToken", "ChargingPeriod", "SignedData", "SignedValue"]


class CdrToken(v221.CdrToken):
    """mod_cdrs.asciidoc, CdrToken class (type is the TokenType OpenEnum)."""

    type: OpenEnum


class CdrLocation(v221.CdrLocation):
    """mod_cdrs.asciidoc, CdrLocation class (connector_standard is the ConnectorType OpenEnum)."""

    connector_standard: OpenEnum


class CDR(v221.CDR):
    """mod_cdrs.asciidoc, CDR object."""

    cdr_token: CdrToken
    cdr_location: CdrLocation
    tariffs: list[Tariff] | None = None
    total_cost: Price
    total_fixed_cost: Price | None = None
    total_energy_cost: Price | None = None
    total_time_cost: Price | None = None
    total_parking_cost: Price | None = None
    total_reservation_cost: Price | None = None
