"""OCPI 2.2.1 CDRs module objects (mod_cdrs.asciidoc, "Object description" and "Data types")."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from hub.ocpi.models.base import OcpiModel
from hub.ocpi.models.types import Boolean, CiString, DateTime, Int, Number, Price, String
from hub.ocpi.models.v221.enums import (
    AuthMethod,
    CdrDimensionType,
    ConnectorFormat,
    ConnectorType,
    PowerType,
    TokenType,
)
from hub.ocpi.models.v221.locations import GeoLocation
from hub.ocpi.models.v221.tariffs import Tariff

__all__ = ["CDR", "CdrDimension", "CdrLocation", "CdrToken", "ChargingPeriod", "SignedData", "SignedValue"]


class CdrDimension(OcpiModel):
    """mod_cdrs.asciidoc, CdrDimension class."""

    type: CdrDimensionType
    volume: Number


class ChargingPeriod(OcpiModel):
    """mod_cdrs.asciidoc, ChargingPeriod class."""

    start_date_time: DateTime
    dimensions: Annotated[list[CdrDimension], Field(min_length=1)]
    tariff_id: Annotated[str, CiString(36)] | None = None


class CdrToken(OcpiModel):
    """mod_cdrs.asciidoc, CdrToken class (country_code and party_id are new in 2.2.1)."""

    country_code: Annotated[str, CiString(2)]
    party_id: Annotated[str, CiString(3)]
    uid: Annotated[str, CiString(36)]
    type: TokenType
    contract_id: Annotated[str, CiString(36)]


class CdrLocation(OcpiModel):
    """mod_cdrs.asciidoc, CdrLocation class."""

    id: Annotated[str, CiString(36)]
    name: Annotated[str, String(255)] | None = None
    address: Annotated[str, String(45)]
    city: Annotated[str, String(45)]
    postal_code: Annotated[str, String(10)] | None = None
    state: Annotated[str, String(20)] | None = None
    country: Annotated[str, String(3)]
    coordinates: GeoLocation
    evse_uid: Annotated[str, CiString(36)]
    evse_id: Annotated[str, CiString(48)]
    connector_id: Annotated[str, CiString(36)]
    connector_standard: ConnectorType
    connector_format: ConnectorFormat
    connector_power_type: PowerType


class SignedValue(OcpiModel):
    """mod_cdrs.asciidoc, SignedValue class."""

    nature: Annotated[str, CiString(32)]
    plain_data: Annotated[str, String(512)]
    signed_data: Annotated[str, String(5000)]


class SignedData(OcpiModel):
    """mod_cdrs.asciidoc, SignedData class."""

    encoding_method: Annotated[str, CiString(36)]
    encoding_method_version: Int | None = None
    public_key: Annotated[str, String(512)] | None = None
    signed_values: Annotated[list[SignedValue], Field(min_length=1)]
    url: Annotated[str, String(512)] | None = None


class CDR(OcpiModel):
    """mod_cdrs.asciidoc, CDR object (id is CiString(39) to leave room for a Credit CDR suffix;
    a Credit CDR needs credit_reference_id)."""

    country_code: Annotated[str, CiString(2)]
    party_id: Annotated[str, CiString(3)]
    id: Annotated[str, CiString(39)]
    start_date_time: DateTime
    end_date_time: DateTime
    session_id: Annotated[str, CiString(36)] | None = None
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: Annotated[str, CiString(36)] | None = None
    cdr_location: CdrLocation
    meter_id: Annotated[str, String(255)] | None = None
    currency: Annotated[str, String(3)]
    tariffs: list[Tariff] | None = None
    charging_periods: Annotated[list[ChargingPeriod], Field(min_length=1)]
    signed_data: SignedData | None = None
    total_cost: Price
    total_fixed_cost: Price | None = None
    total_energy: Number
    total_energy_cost: Price | None = None
    total_time: Number
    total_time_cost: Price | None = None
    total_parking_time: Number | None = None
    total_parking_cost: Price | None = None
    total_reservation_cost: Price | None = None
    remark: Annotated[str, String(255)] | None = None
    invoice_reference_id: Annotated[str, CiString(39)] | None = None
    credit: Boolean | None = None
    credit_reference_id: Annotated[str, CiString(39)] | None = None
    home_charging_compensation: Boolean | None = None
    last_updated: DateTime

    @model_validator(mode="after")
    def _credit_needs_reference(self) -> Self:
        if self.credit and self.credit_reference_id is None:
            raise ValueError("credit_reference_id is required for a Credit CDR")
        return self
