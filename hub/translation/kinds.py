"""The objects the translation layer knows."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ObjectKind"]


class ObjectKind(StrEnum):
    LOCATION = "Location"
    EVSE = "EVSE"
    CONNECTOR = "Connector"
    SESSION = "Session"
    CDR = "CDR"
    TARIFF = "Tariff"
    TOKEN = "Token"
    AUTHORIZATION_INFO = "AuthorizationInfo"
    LOCATION_REFERENCES = "LocationReferences"
    START_SESSION = "StartSession"
    STOP_SESSION = "StopSession"
    RESERVE_NOW = "ReserveNow"
    CANCEL_RESERVATION = "CancelReservation"
    UNLOCK_CONNECTOR = "UnlockConnector"
    COMMAND_RESPONSE = "CommandResponse"
    COMMAND_RESULT = "CommandResult"
    CREDENTIALS = "Credentials"
