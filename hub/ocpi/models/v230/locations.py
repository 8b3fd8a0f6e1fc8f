# mypy: disable-error-code="assignment"
# (2.3.0 classes subclass their 2.2.1 counterparts and redeclare the fields whose type changed)
"""OCPI 2.3.0 Locations module objects (2.3.0 mod_locations.asciidoc): the 2.2.1 classes with
OpenEnums for Capability, ConnectorType, EnvironmentalImpactCategory, Facility, ImageCategory,
ParkingRestriction, ParkingType and TokenType; new Parking, EVSEParking, Connector.capabilities,
EVSE.parking / accepted_service_providers, Location.parking_places / help_phone."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from hub.ocpi.models.base import OcpiModel, patch_of
from hub.ocpi.models.types import Boolean, CiString, Number, OpenEnum, String
from hub.ocpi.models.v221 import locations as v221
from hub.ocpi.models.v221.locations import (
    AdditionalGeoLocation,
    EnergySource,
    ExceptionalPeriod,
    GeoLocation,
    Hours,
    RegularHours,
    StatusSchedule,
)
from hub.ocpi.models.v230.enums import EVSEPosition, ParkingDirection

__all__ = [
    "AdditionalGeoLocation",
    "BusinessDetails",
    "Connector",
    "ConnectorPatch",
    "EVSE",
    "EVSEParking",
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
    "Parking",
    "PublishTokenType",
    "RegularHours",
    "StatusSchedule",
]


class Image(v221.Image):
    """mod_locations.asciidoc, Image class (category is an OpenEnum)."""

    category: OpenEnum


class BusinessDetails(v221.BusinessDetails):
    """mod_locations.asciidoc, BusinessDetails class."""

    logo: Image | None = None


class EnvironmentalImpact(v221.EnvironmentalImpact):
    """mod_locations.asciidoc, EnvironmentalImpact class (category is an OpenEnum)."""

    category: OpenEnum


class EnergyMix(v221.EnergyMix):
    """mod_locations.asciidoc, EnergyMix class."""

    environ_impact: list[EnvironmentalImpact] | None = None


class PublishTokenType(v221.PublishTokenType):
    """mod_locations.asciidoc, PublishTokenType class (type is the TokenType OpenEnum)."""

    type: OpenEnum | None = None


class Parking(OcpiModel):
    """mod_locations.asciidoc, Parking object (new in 2.3.0, for AFIR)."""

    id: Annotated[str, CiString(36)]
    physical_reference: Annotated[str, String(12)] | None = None
    vehicle_types: Annotated[list[OpenEnum], Field(min_length=1)]
    max_vehicle_weight: Number | None = None
    max_vehicle_height: Number | None = None
    max_vehicle_length: Number | None = None
    max_vehicle_width: Number | None = None
    parking_space_length: Number | None = None
    parking_space_width: Number | None = None
    dangerous_goods_allowed: Boolean | None = None
    direction: ParkingDirection | None = None
    drive_through: Boolean | None = None
    restricted_to_type: Boolean
    reservation_required: Boolean
    time_limit: Number | None = None
    roofed: Boolean | None = None
    images: list[Image] | None = None
    lighting: Boolean | None = None
    refrigeration_outlet: Boolean | None = None
    standards: list[Annotated[str, CiString(36)]] | None = None
    apds_reference: Annotated[str, CiString()] | None = None


class EVSEParking(OcpiModel):
    """mod_locations.asciidoc, EVSEParking class."""

    parking_id: Annotated[str, CiString(36)]
    evse_position: EVSEPosition | None = None


class Connector(v221.Connector):
    """mod_locations.asciidoc, Connector object (standard is an OpenEnum; capabilities is new)."""

    standard: OpenEnum
    capabilities: list[OpenEnum] | None = None


class EVSE(v221.EVSE):
    """mod_locations.asciidoc, EVSE object (parking and accepted_service_providers are new)."""

    capabilities: list[OpenEnum] | None = None
    connectors: Annotated[list[Connector], Field(min_length=1)]
    parking_restrictions: list[OpenEnum] | None = None
    parking: list[EVSEParking] | None = None
    images: list[Image] | None = None
    accepted_service_providers: list[Annotated[str, String(50)]] | None = None


class Location(v221.Location):
    """mod_locations.asciidoc, Location object (parking_places and help_phone are new)."""

    publish_allowed_to: list[PublishTokenType] | None = None
    parking_type: OpenEnum | None = None
    evses: list[EVSE] | None = None
    parking_places: list[Parking] | None = None
    operator: BusinessDetails | None = None
    suboperator: BusinessDetails | None = None
    owner: BusinessDetails | None = None
    facilities: list[OpenEnum] | None = None
    images: list[Image] | None = None
    energy_mix: EnergyMix | None = None
    help_phone: Annotated[str, CiString(25)] | None = None


LocationPatch = patch_of(Location)
EVSEPatch = patch_of(EVSE)
ConnectorPatch = patch_of(Connector)
