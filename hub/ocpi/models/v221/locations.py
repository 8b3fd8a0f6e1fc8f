"""OCPI 2.2.1 Locations module objects (mod_locations.asciidoc, "Object description" and
"Data types"). Enumerations: `hub.ocpi.models.v221.enums`."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from hub.ocpi.models.base import OcpiModel, patch_of
from hub.ocpi.models.types import (
    LATITUDE_PATTERN,
    LONGITUDE_PATTERN,
    URL,
    Boolean,
    CiString,
    DateTime,
    DisplayText,
    Int,
    Number,
    String,
    TimeOfDay,
)
from hub.ocpi.models.v221.enums import (
    Capability,
    ConnectorFormat,
    ConnectorType,
    EnergySourceCategory,
    EnvironmentalImpactCategory,
    Facility,
    ImageCategory,
    ParkingRestriction,
    ParkingType,
    PowerType,
    Status,
    TokenType,
)

__all__ = [
    "AdditionalGeoLocation",
    "BusinessDetails",
    "Connector",
    "ConnectorPatch",
    "EVSE",
    "EVSEPatch",
    "EnergyMix",
    "EnergySource",
    "EnvironmentalImpact",
    "ExceptionalPeriod",
    "GeoLocation",
    "Hours",
    "Image",
    "Location",
    "LocationPatch",
    "PublishTokenType",
    "RegularHours",
    "StatusSchedule",
]

Latitude = Annotated[str, Field(strict=True, max_length=10, pattern=LATITUDE_PATTERN)]
Longitude = Annotated[str, Field(strict=True, max_length=11, pattern=LONGITUDE_PATTERN)]


class GeoLocation(OcpiModel):
    """mod_locations.asciidoc, GeoLocation class."""

    latitude: Latitude
    longitude: Longitude


class AdditionalGeoLocation(OcpiModel):
    """mod_locations.asciidoc, AdditionalGeoLocation class."""

    latitude: Latitude
    longitude: Longitude
    name: DisplayText | None = None


class Image(OcpiModel):
    """mod_locations.asciidoc, Image class (width/height are int(5))."""

    url: URL
    thumbnail: URL | None = None
    category: ImageCategory
    type: Annotated[str, CiString(4)]
    width: Annotated[Int, Field(ge=0, le=99999)] | None = None
    height: Annotated[Int, Field(ge=0, le=99999)] | None = None


class BusinessDetails(OcpiModel):
    """mod_locations.asciidoc, BusinessDetails class."""

    name: Annotated[str, String(100)]
    website: URL | None = None
    logo: Image | None = None


class EnergySource(OcpiModel):
    """mod_locations.asciidoc, EnergySource class (percentage 0-100)."""

    source: EnergySourceCategory
    percentage: Annotated[Number, Field(ge=0, le=100)]


class EnvironmentalImpact(OcpiModel):
    """mod_locations.asciidoc, EnvironmentalImpact class (amount in g/kWh)."""

    category: EnvironmentalImpactCategory
    amount: Number


class EnergyMix(OcpiModel):
    """mod_locations.asciidoc, EnergyMix class."""

    is_green_energy: Boolean
    energy_sources: list[EnergySource] | None = None
    environ_impact: list[EnvironmentalImpact] | None = None
    supplier_name: Annotated[str, String(64)] | None = None
    energy_product_name: Annotated[str, String(64)] | None = None


class ExceptionalPeriod(OcpiModel):
    """mod_locations.asciidoc, ExceptionalPeriod class."""

    period_begin: DateTime
    period_end: DateTime


class RegularHours(OcpiModel):
    """mod_locations.asciidoc, RegularHours class (weekday 1 = Monday ... 7 = Sunday)."""

    weekday: Annotated[Int, Field(ge=1, le=7)]
    period_begin: TimeOfDay
    period_end: TimeOfDay


class Hours(OcpiModel):
    """mod_locations.asciidoc, Hours class: when `twentyfourseven` is false, `regular_hours`
    needs at least one entry."""

    twentyfourseven: Boolean
    regular_hours: list[RegularHours] | None = None
    exceptional_openings: list[ExceptionalPeriod] | None = None
    exceptional_closings: list[ExceptionalPeriod] | None = None

    @model_validator(mode="after")
    def _regular_hours_when_not_always_open(self) -> Self:
        if not self.twentyfourseven and not self.regular_hours:
            raise ValueError("regular_hours is required when twentyfourseven is false")
        return self


class PublishTokenType(OcpiModel):
    """mod_locations.asciidoc, PublishTokenType class: at least one of uid, visual_number or
    group_id; uid needs type; visual_number needs issuer."""

    uid: Annotated[str, CiString(36)] | None = None
    type: TokenType | None = None
    visual_number: Annotated[str, String(64)] | None = None
    issuer: Annotated[str, String(64)] | None = None
    group_id: Annotated[str, CiString(36)] | None = None

    @model_validator(mode="after")
    def _identifies_a_token(self) -> Self:
        if self.uid is None and self.visual_number is None and self.group_id is None:
            raise ValueError("one of uid, visual_number or group_id is required")
        if self.uid is not None and self.type is None:
            raise ValueError("type is required when uid is set")
        if self.visual_number is not None and self.issuer is None:
            raise ValueError("issuer is required when visual_number is set")
        return self


class StatusSchedule(OcpiModel):
    """mod_locations.asciidoc, StatusSchedule class."""

    period_begin: DateTime
    period_end: DateTime | None = None
    status: Status


class Connector(OcpiModel):
    """mod_locations.asciidoc, Connector object."""

    id: Annotated[str, CiString(36)]
    standard: ConnectorType
    format: ConnectorFormat
    power_type: PowerType
    max_voltage: Int
    max_amperage: Int
    max_electric_power: Int | None = None
    tariff_ids: list[Annotated[str, CiString(36)]] | None = None
    terms_and_conditions: URL | None = None
    last_updated: DateTime


class EVSE(OcpiModel):
    """mod_locations.asciidoc, EVSE object."""

    uid: Annotated[str, CiString(36)]
    evse_id: Annotated[str, CiString(48)] | None = None
    status: Status
    status_schedule: list[StatusSchedule] | None = None
    capabilities: list[Capability] | None = None
    connectors: Annotated[list[Connector], Field(min_length=1)]
    floor_level: Annotated[str, String(4)] | None = None
    coordinates: GeoLocation | None = None
    physical_reference: Annotated[str, String(16)] | None = None
    directions: list[DisplayText] | None = None
    parking_restrictions: list[ParkingRestriction] | None = None
    images: list[Image] | None = None
    last_updated: DateTime


class Location(OcpiModel):
    """mod_locations.asciidoc, Location object."""

    country_code: Annotated[str, CiString(2)]
    party_id: Annotated[str, CiString(3)]
    id: Annotated[str, CiString(36)]
    publish: Boolean
    publish_allowed_to: list[PublishTokenType] | None = None
    name: Annotated[str, String(255)] | None = None
    address: Annotated[str, String(45)]
    city: Annotated[str, String(45)]
    postal_code: Annotated[str, String(10)] | None = None
    state: Annotated[str, String(20)] | None = None
    country: Annotated[str, String(3)]
    coordinates: GeoLocation
    related_locations: list[AdditionalGeoLocation] | None = None
    parking_type: ParkingType | None = None
    evses: list[EVSE] | None = None
    directions: list[DisplayText] | None = None
    operator: BusinessDetails | None = None
    suboperator: BusinessDetails | None = None
    owner: BusinessDetails | None = None
    facilities: list[Facility] | None = None
    time_zone: Annotated[str, String(255)]
    opening_times: Hours | None = None
    charging_when_closed: Boolean | None = None
    images: list[Image] | None = None
    energy_mix: EnergyMix | None = None
    last_updated: DateTime


LocationPatch = patch_of(Location)
EVSEPatch = patch_of(EVSE)
ConnectorPatch = patch_of(Connector)
