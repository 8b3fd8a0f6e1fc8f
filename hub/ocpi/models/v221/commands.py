"""OCPI 2.2.1 Commands module objects (mod_commands.asciidoc, "Object description").

The command object is chosen by the CommandType in the URL: `COMMAND_OBJECTS`."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from hub.ocpi.models.base import OcpiModel
from hub.ocpi.models.types import URL, CiString, DateTime, DisplayText, Int
from hub.ocpi.models.v221.enums import CommandResponseType, CommandResultType, CommandType
from hub.ocpi.models.v221.tokens import Token

__all__ = [
    "COMMAND_OBJECTS",
    "CancelReservation",
    "CommandResponse",
    "CommandResult",
    "ReserveNow",
    "StartSession",
    "StopSession",
    "UnlockConnector",
]


class CancelReservation(OcpiModel):
    """mod_commands.asciidoc, CancelReservation object."""

    response_url: URL
    reservation_id: Annotated[str, CiString(36)]


class CommandResponse(OcpiModel):
    """mod_commands.asciidoc, CommandResponse object (the CPO's immediate answer)."""

    result: CommandResponseType
    timeout: Annotated[Int, Field(ge=0)]
    message: list[DisplayText] | None = None


class CommandResult(OcpiModel):
    """mod_commands.asciidoc, CommandResult object (posted later to the response_url)."""

    result: CommandResultType
    message: list[DisplayText] | None = None


class ReserveNow(OcpiModel):
    """mod_commands.asciidoc, ReserveNow object."""

    response_url: URL
    token: Token
    expiry_date: DateTime
    reservation_id: Annotated[str, CiString(36)]
    location_id: Annotated[str, CiString(36)]
    evse_uid: Annotated[str, CiString(36)] | None = None
    authorization_reference: Annotated[str, CiString(36)] | None = None


class StartSession(OcpiModel):
    """mod_commands.asciidoc, StartSession object: evse_uid is required when connector_id is set."""

    response_url: URL
    token: Token
    location_id: Annotated[str, CiString(36)]
    evse_uid: Annotated[str, CiString(36)] | None = None
    connector_id: Annotated[str, CiString(36)] | None = None
    authorization_reference: Annotated[str, CiString(36)] | None = None

    @model_validator(mode="after")
    def _evse_for_connector(self) -> Self:
        if self.connector_id is not None and self.evse_uid is None:
            raise ValueError("evse_uid is required when connector_id is set")
        return self


class StopSession(OcpiModel):
    """mod_commands.asciidoc, StopSession object."""

    response_url: URL
    session_id: Annotated[str, CiString(36)]


class UnlockConnector(OcpiModel):
    """mod_commands.asciidoc, UnlockConnector object."""

    response_url: URL
    location_id: Annotated[str, CiString(36)]
    evse_uid: Annotated[str, CiString(36)]
    connector_id: Annotated[str, CiString(36)]


COMMAND_OBJECTS: dict[str, type[OcpiModel]] = {
    CommandType.CANCEL_RESERVATION: CancelReservation,
    CommandType.RESERVE_NOW: ReserveNow,
    CommandType.START_SESSION: StartSession,
    CommandType.STOP_SESSION: StopSession,
    CommandType.UNLOCK_CONNECTOR: UnlockConnector,
}
