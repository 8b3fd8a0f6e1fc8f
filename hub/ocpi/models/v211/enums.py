"""OCPI 2.1.1 enumerations that differ from 2.2.1, by spec file. Those with the same values
(ConnectorFormat, DayOfWeek, EnergySourceCategory, EnvironmentalImpactCategory, ImageCategory,
ParkingRestriction, Status, TariffDimensionType, WhitelistType) come from
`hub.ocpi.models.v221.enums`."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "Allowed",
    "AuthMethod",
    "Capability",
    "CdrDimensionType",
    "CommandResponseType",
    "CommandType",
    "ConnectorType",
    "Facility",
    "LocationType",
    "ModuleID",
    "PowerType",
    "SessionStatus",
    "TokenType",
    "VersionNumber",
]

# --- mod_locations.md -------------------------------------------------------------------------


class Capability(StrEnum):
    """mod_locations.md 4.2, Capability enum."""

    CHARGING_PROFILE_CAPABLE = "CHARGING_PROFILE_CAPABLE"
    CREDIT_CARD_PAYABLE = "CREDIT_CARD_PAYABLE"
    REMOTE_START_STOP_CAPABLE = "REMOTE_START_STOP_CAPABLE"
    RESERVABLE = "RESERVABLE"
    RFID_READER = "RFID_READER"
    UNLOCK_CAPABLE = "UNLOCK_CAPABLE"


class ConnectorType(StrEnum):
    """mod_locations.md 4.4, ConnectorType enum."""

    CHADEMO = "CHADEMO"
    DOMESTIC_A = "DOMESTIC_A"
    DOMESTIC_B = "DOMESTIC_B"
    DOMESTIC_C = "DOMESTIC_C"
    DOMESTIC_D = "DOMESTIC_D"
    DOMESTIC_E = "DOMESTIC_E"
    DOMESTIC_F = "DOMESTIC_F"
    DOMESTIC_G = "DOMESTIC_G"
    DOMESTIC_H = "DOMESTIC_H"
    DOMESTIC_I = "DOMESTIC_I"
    DOMESTIC_J = "DOMESTIC_J"
    DOMESTIC_K = "DOMESTIC_K"
    DOMESTIC_L = "DOMESTIC_L"
    IEC_60309_2_single_16 = "IEC_60309_2_single_16"
    IEC_60309_2_three_16 = "IEC_60309_2_three_16"
    IEC_60309_2_three_32 = "IEC_60309_2_three_32"
    IEC_60309_2_three_64 = "IEC_60309_2_three_64"
    IEC_62196_T1 = "IEC_62196_T1"
    IEC_62196_T1_COMBO = "IEC_62196_T1_COMBO"
    IEC_62196_T2 = "IEC_62196_T2"
    IEC_62196_T2_COMBO = "IEC_62196_T2_COMBO"
    IEC_62196_T3A = "IEC_62196_T3A"
    IEC_62196_T3C = "IEC_62196_T3C"
    TESLA_R = "TESLA_R"
    TESLA_S = "TESLA_S"


class Facility(StrEnum):
    """mod_locations.md 4.11, Facility enum."""

    HOTEL = "HOTEL"
    RESTAURANT = "RESTAURANT"
    CAFE = "CAFE"
    MALL = "MALL"
    SUPERMARKET = "SUPERMARKET"
    SPORT = "SPORT"
    RECREATION_AREA = "RECREATION_AREA"
    NATURE = "NATURE"
    MUSEUM = "MUSEUM"
    BUS_STOP = "BUS_STOP"
    TAXI_STAND = "TAXI_STAND"
    TRAIN_STATION = "TRAIN_STATION"
    AIRPORT = "AIRPORT"
    CARPOOL_PARKING = "CARPOOL_PARKING"
    FUEL_STATION = "FUEL_STATION"
    WIFI = "WIFI"


class LocationType(StrEnum):
    """mod_locations.md 4.16, LocationType enum (2.2.1 replaced it with ParkingType)."""

    ON_STREET = "ON_STREET"
    PARKING_GARAGE = "PARKING_GARAGE"
    UNDERGROUND_GARAGE = "UNDERGROUND_GARAGE"
    PARKING_LOT = "PARKING_LOT"
    OTHER = "OTHER"
    UNKNOWN = "UNKNOWN"


class PowerType(StrEnum):
    """mod_locations.md 4.18, PowerType enum."""

    AC_1_PHASE = "AC_1_PHASE"
    AC_3_PHASE = "AC_3_PHASE"
    DC = "DC"


# --- mod_sessions.md / mod_cdrs.md ------------------------------------------------------------


class SessionStatus(StrEnum):
    """mod_sessions.md 4.1, SessionStatus enum."""

    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    INVALID = "INVALID"
    PENDING = "PENDING"


class AuthMethod(StrEnum):
    """mod_cdrs.md 4.1, AuthMethod enum."""

    AUTH_REQUEST = "AUTH_REQUEST"
    WHITELIST = "WHITELIST"


class CdrDimensionType(StrEnum):
    """mod_cdrs.md 4.3, CdrDimensionType enum."""

    ENERGY = "ENERGY"
    FLAT = "FLAT"
    MAX_CURRENT = "MAX_CURRENT"
    MIN_CURRENT = "MIN_CURRENT"
    PARKING_TIME = "PARKING_TIME"
    TIME = "TIME"


# --- mod_tokens.md ----------------------------------------------------------------------------


class Allowed(StrEnum):
    """mod_tokens.md 4.1, Allowed enum."""

    ALLOWED = "ALLOWED"
    BLOCKED = "BLOCKED"
    EXPIRED = "EXPIRED"
    NO_CREDIT = "NO_CREDIT"
    NOT_ALLOWED = "NOT_ALLOWED"


class TokenType(StrEnum):
    """mod_tokens.md 4.3, TokenType enum."""

    OTHER = "OTHER"
    RFID = "RFID"


# --- mod_commands.md --------------------------------------------------------------------------


class CommandResponseType(StrEnum):
    """mod_commands.md 4.1, CommandResponseType enum (TIMEOUT moved to CommandResultType in 2.2)."""

    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    ACCEPTED = "ACCEPTED"
    TIMEOUT = "TIMEOUT"
    UNKNOWN_SESSION = "UNKNOWN_SESSION"


class CommandType(StrEnum):
    """mod_commands.md 4.2, CommandType enum (no CANCEL_RESERVATION in 2.1.1)."""

    RESERVE_NOW = "RESERVE_NOW"
    START_SESSION = "START_SESSION"
    STOP_SESSION = "STOP_SESSION"
    UNLOCK_CONNECTOR = "UNLOCK_CONNECTOR"


# --- version_information_endpoint.md ----------------------------------------------------------


class ModuleID(StrEnum):
    """version_information_endpoint.md, ModuleID enum (custom modules use other identifiers)."""

    CDRS = "cdrs"
    COMMANDS = "commands"
    CREDENTIALS = "credentials"
    LOCATIONS = "locations"
    SESSIONS = "sessions"
    TARIFFS = "tariffs"
    TOKENS = "tokens"


class VersionNumber(StrEnum):
    """version_information_endpoint.md, VersionNumber enum."""

    V2_0 = "2.0"
    V2_1 = "2.1"
    V2_1_1 = "2.1.1"
