"""OCPI 2.1.1 CDRs module objects (mod_cdrs.md, 3. Object description, 4. Data types)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from hub.ocpi.models.base import OcpiModel
from hub.ocpi.models.types import AsciiString, CiString, DateTime, Number
from hub.ocpi.models.v211.enums import AuthMethod, CdrDimensionType
from hub.ocpi.models.v211.locations import Location
from hub.ocpi.models.v211.tariffs import Tariff

__all__ = ["CDR", "CdrDimension", "ChargingPeriod"]


class CdrDimension(OcpiModel):
    """mod_cdrs.md 4.2, CdrDimension class."""

    type: CdrDimensionType
    volume: Number


class ChargingPeriod(OcpiModel):
    """mod_cdrs.md 4.4, ChargingPeriod class."""

    start_date_time: DateTime
    dimensions: Annotated[list[CdrDimension], Field(min_length=1)]


class CDR(OcpiModel):
    """mod_cdrs.md 3.1, CDR object (the Location holds only the relevant EVSE and Connector)."""

    id: Annotated[str, CiString(36)]
    start_date_time: DateTime
    stop_date_time: DateTime
    auth_id: Annotated[str, AsciiString(36)]
    auth_method: AuthMethod
    location: Location
    meter_id: Annotated[str, AsciiString(255)] | None = None
    currency: Annotated[str, AsciiString(3)]
    tariffs: list[Tariff] | None = None
    charging_periods: Annotated[list[ChargingPeriod], Field(min_length=1)]
    total_cost: Number
    total_energy: Number
    total_time: Number
    total_parking_time: Number | None = None
    remark: Annotated[str, AsciiString(255)] | None = None
    last_updated: DateTime
