"""OCPI 2.1.1 Commands module objects (mod_commands.md, 3. Object description; the 2.1.1-d2 text
corrects the response data to CommandResponse). The asynchronous result is a CommandResponse too."""

from __future__ import annotations

from typing import Annotated

from hub.ocpi.models.base import OcpiModel
from hub.ocpi.models.types import URL, AsciiString, DateTime, Int
from hub.ocpi.models.v211.enums import CommandResponseType, CommandType
from hub.ocpi.models.v211.tokens import Token

__all__ = ["COMMAND_OBJECTS", "CommandResponse", "ReserveNow", "StartSession", "StopSession", "UnlockConnector"]


class CommandResponse(OcpiModel):
    """mod_commands.md 3.1, CommandResponse object."""

    result: CommandResponseType


class ReserveNow(OcpiModel):
    """mod_commands.md 3.2, ReserveNow object (reservation_id is an int in 2.1.1)."""

    response_url: URL
    token: Token
    expiry_date: DateTime
    reservation_id: Int
    location_id: Annotated[str, AsciiString(39)]
    evse_uid: Annotated[str, AsciiString(39)] | None = None


class StartSession(OcpiModel):
    """mod_commands.md 3.3, StartSession object."""

    response_url: URL
    token: Token
    location_id: Annotated[str, AsciiString(39)]
    evse_uid: Annotated[str, AsciiString(39)] | None = None


class StopSession(OcpiModel):
    """mod_commands.md 3.4, StopSession object."""

    response_url: URL
    session_id: Annotated[str, AsciiString(36)]


class UnlockConnector(OcpiModel):
    """mod_commands.md 3.5, UnlockConnector object."""

    response_url: URL
    location_id: Annotated[str, AsciiString(39)]
    evse_uid: Annotated[str, AsciiString(39)]
    connector_id: Annotated[str, AsciiString(36)]


COMMAND_OBJECTS: dict[str, type[OcpiModel]] = {
    CommandType.RESERVE_NOW: ReserveNow,
    CommandType.START_SESSION: StartSession,
    CommandType.STOP_SESSION: StopSession,
    CommandType.UNLOCK_CONNECTOR: UnlockConnector,
}
