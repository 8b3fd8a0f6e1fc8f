"""OCPI 2.1.1 Locations module objects (mod_locations.md, 3. Object description, 4. Data types)."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from hub.ocpi.models.base import OcpiModel, patch_of
from hub.ocpi.models.types import (
    LATITUDE_PATTERN_211,
    LONGITUDE_PATTERN_211,
    URL,
    AsciiString,
    Boolean,
    DateTime,
    Int,
    Number,
    TimeOfDay,
)
from hub.ocpi.models.v211.enums import Capability, ConnectorType, Facility, LocationType, PowerType
from hub.ocpi.models.v211.types import DisplayText
from hub.ocpi.models.v221.enums import (
    ConnectorFormat,
    EnergySourceCategory,
    EnvironmentalImpactCategory,
    ImageCategory,
    ParkingRestriction,
    Status,
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
    "RegularHours",
    "StatusSchedule",
]

Latitude = Annotated[str, Field(strict=True, max_length=10, pattern=LATITUDE_PATTERN_211)]
Longitude = Annotated[str, Field(strict=True, max_length=11, pattern=LONGITUDE_PATTERN_211)]


class GeoLocation(OcpiModel):
    """mod_locations.md 4.12, GeoLocation class (exactly 6 decimals)."""

    latitude: Latitude
    longitude: Longitude


class AdditionalGeoLocation(OcpiModel):
    """mod_locations.md 4.1, AdditionalGeoLocation class."""

    latitude: Latitude
    longitude: Longitude
    name: DisplayText | None = None


class Image(OcpiModel):
    """mod_locations.md 4.14, Image class."""

    url: URL
    thumbnail: URL | None = None
    category: ImageCategory
    type: Annotated[str, AsciiString(4)]
    width: Annotated[Int, Field(ge=0, le=99999)] | None = None
    height: Annotated[Int, Field(ge=0, le=99999)] | None = None


class BusinessDetails(OcpiModel):
    """mod_locations.md 4.1 (second), BusinessDetails class."""

    name: Annotated[str, AsciiString(100)]
    website: URL | None = None
    logo: Image | None = None


class EnergySource(OcpiModel):
    """mod_locations.md 4.6, EnergySource class."""

    source: EnergySourceCategory
    percentage: Annotated[Number, Field(ge=0, le=100)]


class EnvironmentalImpact(OcpiModel):
    """mod_locations.md 4.8, EnvironmentalImpact class (the field is `source`; 2.2 renamed it)."""

    source: EnvironmentalImpactCategory
    amount: Number


class EnergyMix(OcpiModel):
    """mod_locations.md 4.5, EnergyMix class."""

    is_green_energy: Boolean
    energy_sources: list[EnergySource] | None = None
    environ_impact: list[EnvironmentalImpact] | None = None
    supplier_name: Annotated[str, AsciiString(64)] | None = None
    energy_product_name: Annotated[str, AsciiString(64)] | None = None


class ExceptionalPeriod(OcpiModel):
    """mod_locations.md 4.10, ExceptionalPeriod class."""

    period_begin: DateTime
    period_end: DateTime


class RegularHours(OcpiModel):
    """mod_locations.md 4.19, RegularHours class."""

    weekday: Annotated[Int, Field(ge=1, le=7)]
    period_begin: TimeOfDay
    period_end: TimeOfDay


class Hours(OcpiModel):
    """mod_locations.md 4.13, Hours class: a choice of regular_hours or twentyfourseven (read here
    as: one of them is given, and twentyfourseven=true comes without regular_hours)."""

    regular_hours: list[RegularHours] | None = None
    twentyfourseven: Boolean | None = None
    exceptional_openings: list[ExceptionalPeriod] | None = None
    exceptional_closings: list[ExceptionalPeriod] | None = None

    @model_validator(mode="after")
    def _one_of_two(self) -> Self:
        if self.twentyfourseven is None and self.regular_hours is None:
            raise ValueError("one of regular_hours or twentyfourseven is required")
        if self.twentyfourseven and self.regular_hours:
            raise ValueError("regular_hours and twentyfourseven=true exclude each other")
        return self


class StatusSchedule(OcpiModel):
    """mod_locations.md 4.21, StatusSchedule class."""

    period_begin: DateTime
    period_end: DateTime | None = None
    status: Status


class Connector(OcpiModel):
    """mod_locations.md 3.3, Connector object."""

    id: Annotated[str, AsciiString(36)]
    standard: ConnectorType
    format: ConnectorFormat
    power_type: PowerType
    voltage: Int
    amperage: Int
    tariff_id: Annotated[str, AsciiString(36)] | None = None
    terms_and_conditions: URL | None = None
    last_updated: DateTime


class EVSE(OcpiModel):
    """mod_locations.md 3.2, EVSE object."""

    uid: Annotated[str, AsciiString(39)]
    evse_id: Annotated[str, AsciiString(48)] | None = None
    status: Status
    status_schedule: list[StatusSchedule] | None = None
    capabilities: list[Capability] | None = None
    connectors: Annotated[list[Connector], Field(min_length=1)]
    floor_level: Annotated[str, AsciiString(4)] | None = None
    coordinates: GeoLocation | None = None
    physical_reference: Annotated[str, AsciiString(16)] | None = None
    directions: list[DisplayText] | None = None
    parking_restrictions: list[ParkingRestriction] | None = None
    images: list[Image] | None = None
    last_updated: DateTime


class Location(OcpiModel):
    """mod_locations.md 3.1, Location object."""

    id: Annotated[str, AsciiString(39)]
    type: LocationType
    name: Annotated[str, AsciiString(255)] | None = None
    address: Annotated[str, AsciiString(45)]
    city: Annotated[str, AsciiString(45)]
    postal_code: Annotated[str, AsciiString(10)]
    country: Annotated[str, AsciiString(3)]
    coordinates: GeoLocation
    related_locations: list[AdditionalGeoLocation] | None = None
    evses: list[EVSE] | None = None
    directions: list[DisplayText] | None = None
    operator: BusinessDetails | None = None
    suboperator: BusinessDetails | None = None
    owner: BusinessDetails | None = None
    facilities: list[Facility] | None = None
    time_zone: Annotated[str, AsciiString(255)] | None = None
    opening_times: Hours | None = None
    charging_when_closed: Boolean | None = None
    images: list[Image] | None = None
    energy_mix: EnergyMix | None = None
    last_updated: DateTime


# 2.1.1 does not make last_updated mandatory in a PATCH (mod_locations.md 2.2.3), 2.2 does.
LocationPatch = patch_of(Location, required=frozenset())
EVSEPatch = patch_of(EVSE, required=frozenset())
ConnectorPatch = patch_of(Connector, required=frozenset())
