# mypy: disable-error-code="assignment"
# (2.3.0 classes subclass their 2.2.1 counterparts and redeclare the fields whose type changed)
"""OCPI 2.3.0 Commands module objects (2.3.0 mod_commands.asciidoc): the 2.2.1 objects with the
2.3.0 Token; CommandType is an OpenEnum, so an unknown command is not validated."""

from __future__ import annotations

from hub.ocpi.models.base import OcpiModel
from hub.ocpi.models.v221 import commands as v221
from hub.ocpi.models.v221.commands import (
    CancelReservation,
    CommandResponse,
    CommandResult,
    StopSession,
    UnlockConnector,
)
from hub.ocpi.models.v221.enums import CommandType
from hub.ocpi.models.v230.tokens import Token

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


class ReserveNow(v221.ReserveNow):
    """mod_commands.asciidoc, ReserveNow object."""

    token: Token


class StartSession(v221.StartSession):
    """mod_commands.asciidoc, StartSession object."""

    token: Token


COMMAND_OBJECTS: dict[str, type[OcpiModel]] = {
    CommandType.CANCEL_RESERVATION: CancelReservation,
    CommandType.RESERVE_NOW: ReserveNow,
    CommandType.START_SESSION: StartSession,
    CommandType.STOP_SESSION: StopSession,
    CommandType.UNLOCK_CONNECTOR: UnlockConnector,
}
