"""OCPI 2.1.1 Sessions module objects (mod_sessions.md, 3. Object description, 4. Data types)."""

from __future__ import annotations

from typing import Annotated

from hub.ocpi.models.base import OcpiModel, patch_of
from hub.ocpi.models.types import AsciiString, DateTime, Number
from hub.ocpi.models.v211.cdrs import ChargingPeriod
from hub.ocpi.models.v211.enums import AuthMethod, SessionStatus
from hub.ocpi.models.v211.locations import Location

__all__ = ["Session", "SessionPatch"]


class Session(OcpiModel):
    """mod_sessions.md 3.1, Session object (total_cost is a number excl. VAT)."""

    id: Annotated[str, AsciiString(36)]
    start_datetime: DateTime
    end_datetime: DateTime | None = None
    kwh: Number
    auth_id: Annotated[str, AsciiString(36)]
    auth_method: AuthMethod
    location: Location
    meter_id: Annotated[str, AsciiString(255)] | None = None
    currency: Annotated[str, AsciiString(3)]
    charging_periods: list[ChargingPeriod] | None = None
    total_cost: Number | None = None
    status: SessionStatus
    last_updated: DateTime


SessionPatch = patch_of(Session, required=frozenset())
