"""OCPI 2.2.1 ChargingProfiles module objects (mod_charging_profiles.asciidoc, "Object description"
and "Data types"). Unchanged in 2.3.0."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from hub.ocpi.models.base import OcpiModel
from hub.ocpi.models.types import URL, DateTime, Int, Number
from hub.ocpi.models.v221.enums import ChargingProfileResponseType, ChargingProfileResultType, ChargingRateUnit

__all__ = [
    "ActiveChargingProfile",
    "ActiveChargingProfileResult",
    "ChargingProfile",
    "ChargingProfilePeriod",
    "ChargingProfileResponse",
    "ChargingProfileResult",
    "ClearProfileResult",
    "SetChargingProfile",
]


class ChargingProfilePeriod(OcpiModel):
    """mod_charging_profiles.asciidoc, ChargingProfilePeriod class."""

    start_period: Annotated[Int, Field(ge=0)]
    limit: Number


class ChargingProfile(OcpiModel):
    """mod_charging_profiles.asciidoc, ChargingProfile class."""

    start_date_time: DateTime | None = None
    duration: Int | None = None
    charging_rate_unit: ChargingRateUnit
    min_charging_rate: Number | None = None
    charging_profile_period: list[ChargingProfilePeriod] | None = None


class ActiveChargingProfile(OcpiModel):
    """mod_charging_profiles.asciidoc, ActiveChargingProfile class."""

    start_date_time: DateTime
    charging_profile: ChargingProfile


class ChargingProfileResponse(OcpiModel):
    """mod_charging_profiles.asciidoc, ChargingProfileResponse object."""

    result: ChargingProfileResponseType
    timeout: Annotated[Int, Field(ge=0)]


class ActiveChargingProfileResult(OcpiModel):
    """mod_charging_profiles.asciidoc, ActiveChargingProfileResult object."""

    result: ChargingProfileResultType
    profile: ActiveChargingProfile | None = None


class ChargingProfileResult(OcpiModel):
    """mod_charging_profiles.asciidoc, ChargingProfileResult object."""

    result: ChargingProfileResultType


class ClearProfileResult(OcpiModel):
    """mod_charging_profiles.asciidoc, ClearProfileResult object."""

    result: ChargingProfileResultType


class SetChargingProfile(OcpiModel):
    """mod_charging_profiles.asciidoc, SetChargingProfile object."""

    charging_profile: ChargingProfile
    response_url: URL
