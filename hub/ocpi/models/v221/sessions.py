"""OCPI 2.2.1 Sessions module objects (mod_sessions.asciidoc, "Object description" and "Data types")."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from hub.ocpi.models.base import OcpiModel, patch_of
from hub.ocpi.models.types import Boolean, CiString, DateTime, Number, Price, String
from hub.ocpi.models.v221.cdrs import CdrToken, ChargingPeriod
from hub.ocpi.models.v221.enums import AuthMethod, ProfileType, SessionStatus

__all__ = ["ChargingPreferences", "Session", "SessionPatch"]


class Session(OcpiModel):
    """mod_sessions.asciidoc, Session object (evse_uid and connector_id may be `#NA` for a
    reservation)."""

    country_code: Annotated[str, CiString(2)]
    party_id: Annotated[str, CiString(3)]
    id: Annotated[str, CiString(36)]
    start_date_time: DateTime
    end_date_time: DateTime | None = None
    kwh: Number
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: Annotated[str, CiString(36)] | None = None
    location_id: Annotated[str, CiString(36)]
    evse_uid: Annotated[str, CiString(36)]
    connector_id: Annotated[str, CiString(36)]
    meter_id: Annotated[str, String(255)] | None = None
    currency: Annotated[str, String(3)]
    charging_periods: list[ChargingPeriod] | None = None
    total_cost: Price | None = None
    status: SessionStatus
    last_updated: DateTime


class ChargingPreferences(OcpiModel):
    """mod_sessions.asciidoc, ChargingPreferences object (energy_need in kWh)."""

    profile_type: ProfileType
    departure_time: DateTime | None = None
    energy_need: Annotated[Number, Field(ge=0)] | None = None
    discharge_allowed: Boolean | None = None


SessionPatch = patch_of(Session)
