"""Every enumeration of OCPI 2.2.1, grouped by the spec file that defines it.

They live in one module because the object modules refer to each other's enumerations
(a Location's PublishTokenType uses TokenType, a Token uses ProfileType, ...).
Values are validated as given: OCPI enumerations are case-sensitive (types.asciidoc, string).

ConnectionStatus and InterfaceRole are the hub's vocabulary (`hub.types`), re-exported here so
the models and the rest of the hub speak of one enum each.
"""

from __future__ import annotations

from enum import StrEnum

from hub.types import ConnectionStatus, InterfaceRole

__all__ = [
    "AllowedType",
    "AuthMethod",
    "Capability",
    "CdrDimensionType",
    "ChargingPreferencesResponse",
    "ChargingProfileResponseType",
    "ChargingProfileResultType",
    "ChargingRateUnit",
    "CommandResponseType",
    "CommandResultType",
    "CommandType",
    "ConnectionStatus",
    "ConnectorFormat",
    "ConnectorType",
    "DayOfWeek",
    "EnergySourceCategory",
    "EnvironmentalImpactCategory",
    "Facility",
    "ImageCategory",
    "InterfaceRole",
    "ModuleID",
    "ParkingRestriction",
    "ParkingType",
    "PowerType",
    "ProfileType",
    "ReservationRestrictionType",
    "SessionStatus",
    "Status",
    "TariffDimensionType",
    "TariffType",
    "TokenType",
    "VersionNumber",
    "WhitelistType",
]

# --- mod_locations.asciidoc -------------------------------------------------------------------


class Capability(StrEnum):
    """mod_locations.asciidoc, Capability enum."""

    CHARGING_PROFILE_CAPABLE = "CHARGING_PROFILE_CAPABLE"
    CHARGING_PREFERENCES_CAPABLE = "CHARGING_PREFERENCES_CAPABLE"
    CHIP_CARD_SUPPORT = "CHIP_CARD_SUPPORT"
    CONTACTLESS_CARD_SUPPORT = "CONTACTLESS_CARD_SUPPORT"
    CREDIT_CARD_PAYABLE = "CREDIT_CARD_PAYABLE"
    DEBIT_CARD_PAYABLE = "DEBIT_CARD_PAYABLE"
    PED_TERMINAL = "PED_TERMINAL"
    REMOTE_START_STOP_CAPABLE = "REMOTE_START_STOP_CAPABLE"
    RESERVABLE = "RESERVABLE"
    RFID_READER = "RFID_READER"
    START_SESSION_CONNECTOR_REQUIRED = "START_SESSION_CONNECTOR_REQUIRED"
    TOKEN_GROUP_CAPABLE = "TOKEN_GROUP_CAPABLE"
    UNLOCK_CAPABLE = "UNLOCK_CAPABLE"


class ConnectorFormat(StrEnum):
    """mod_locations.asciidoc, ConnectorFormat enum."""

    SOCKET = "SOCKET"
    CABLE = "CABLE"


class ConnectorType(StrEnum):
    """mod_locations.asciidoc, ConnectorType enum."""

    CHADEMO = "CHADEMO"
    CHAOJI = "CHAOJI"
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
    DOMESTIC_M = "DOMESTIC_M"
    DOMESTIC_N = "DOMESTIC_N"
    DOMESTIC_O = "DOMESTIC_O"
    GBT_AC = "GBT_AC"
    GBT_DC = "GBT_DC"
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
    NEMA_5_20 = "NEMA_5_20"
    NEMA_6_30 = "NEMA_6_30"
    NEMA_6_50 = "NEMA_6_50"
    NEMA_10_30 = "NEMA_10_30"
    NEMA_10_50 = "NEMA_10_50"
    NEMA_14_30 = "NEMA_14_30"
    NEMA_14_50 = "NEMA_14_50"
    PANTOGRAPH_BOTTOM_UP = "PANTOGRAPH_BOTTOM_UP"
    PANTOGRAPH_TOP_DOWN = "PANTOGRAPH_TOP_DOWN"
    TESLA_R = "TESLA_R"
    TESLA_S = "TESLA_S"


class EnergySourceCategory(StrEnum):
    """mod_locations.asciidoc, EnergySourceCategory enum."""

    NUCLEAR = "NUCLEAR"
    GENERAL_FOSSIL = "GENERAL_FOSSIL"
    COAL = "COAL"
    GAS = "GAS"
    GENERAL_GREEN = "GENERAL_GREEN"
    SOLAR = "SOLAR"
    WIND = "WIND"
    WATER = "WATER"


class EnvironmentalImpactCategory(StrEnum):
    """mod_locations.asciidoc, EnvironmentalImpactCategory enum."""

    NUCLEAR_WASTE = "NUCLEAR_WASTE"
    CARBON_DIOXIDE = "CARBON_DIOXIDE"


class Facility(StrEnum):
    """mod_locations.asciidoc, Facility enum."""

    HOTEL = "HOTEL"
    RESTAURANT = "RESTAURANT"
    CAFE = "CAFE"
    MALL = "MALL"
    SUPERMARKET = "SUPERMARKET"
    SPORT = "SPORT"
    RECREATION_AREA = "RECREATION_AREA"
    NATURE = "NATURE"
    MUSEUM = "MUSEUM"
    BIKE_SHARING = "BIKE_SHARING"
    BUS_STOP = "BUS_STOP"
    TAXI_STAND = "TAXI_STAND"
    TRAM_STOP = "TRAM_STOP"
    METRO_STATION = "METRO_STATION"
    TRAIN_STATION = "TRAIN_STATION"
    AIRPORT = "AIRPORT"
    PARKING_LOT = "PARKING_LOT"
    CARPOOL_PARKING = "CARPOOL_PARKING"
    FUEL_STATION = "FUEL_STATION"
    WIFI = "WIFI"


class ImageCategory(StrEnum):
    """mod_locations.asciidoc, ImageCategory enum."""

    CHARGER = "CHARGER"
    ENTRANCE = "ENTRANCE"
    LOCATION = "LOCATION"
    NETWORK = "NETWORK"
    OPERATOR = "OPERATOR"
    OTHER = "OTHER"
    OWNER = "OWNER"


class ParkingRestriction(StrEnum):
    """mod_locations.asciidoc, ParkingRestriction enum."""

    EV_ONLY = "EV_ONLY"
    PLUGGED = "PLUGGED"
    DISABLED = "DISABLED"
    CUSTOMERS = "CUSTOMERS"
    MOTORCYCLES = "MOTORCYCLES"


class ParkingType(StrEnum):
    """mod_locations.asciidoc, ParkingType enum."""

    ALONG_MOTORWAY = "ALONG_MOTORWAY"
    PARKING_GARAGE = "PARKING_GARAGE"
    PARKING_LOT = "PARKING_LOT"
    ON_DRIVEWAY = "ON_DRIVEWAY"
    ON_STREET = "ON_STREET"
    UNDERGROUND_GARAGE = "UNDERGROUND_GARAGE"


class PowerType(StrEnum):
    """mod_locations.asciidoc, PowerType enum."""

    AC_1_PHASE = "AC_1_PHASE"
    AC_2_PHASE = "AC_2_PHASE"
    AC_2_PHASE_SPLIT = "AC_2_PHASE_SPLIT"
    AC_3_PHASE = "AC_3_PHASE"
    DC = "DC"


class Status(StrEnum):
    """mod_locations.asciidoc, Status enum (of an EVSE)."""

    AVAILABLE = "AVAILABLE"
    BLOCKED = "BLOCKED"
    CHARGING = "CHARGING"
    INOPERATIVE = "INOPERATIVE"
    OUTOFORDER = "OUTOFORDER"
    PLANNED = "PLANNED"
    REMOVED = "REMOVED"
    RESERVED = "RESERVED"
    UNKNOWN = "UNKNOWN"


# --- mod_sessions.asciidoc --------------------------------------------------------------------


class ChargingPreferencesResponse(StrEnum):
    """mod_sessions.asciidoc, ChargingPreferencesResponse enum."""

    ACCEPTED = "ACCEPTED"
    DEPARTURE_REQUIRED = "DEPARTURE_REQUIRED"
    ENERGY_NEED_REQUIRED = "ENERGY_NEED_REQUIRED"
    NOT_POSSIBLE = "NOT_POSSIBLE"
    PROFILE_TYPE_NOT_SUPPORTED = "PROFILE_TYPE_NOT_SUPPORTED"


class ProfileType(StrEnum):
    """mod_sessions.asciidoc, ProfileType enum."""

    CHEAP = "CHEAP"
    FAST = "FAST"
    GREEN = "GREEN"
    REGULAR = "REGULAR"


class SessionStatus(StrEnum):
    """mod_sessions.asciidoc, SessionStatus enum (the text says RESERVED, the value is RESERVATION)."""

    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    INVALID = "INVALID"
    PENDING = "PENDING"
    RESERVATION = "RESERVATION"


# --- mod_cdrs.asciidoc ------------------------------------------------------------------------


class AuthMethod(StrEnum):
    """mod_cdrs.asciidoc, AuthMethod enum."""

    AUTH_REQUEST = "AUTH_REQUEST"
    COMMAND = "COMMAND"
    WHITELIST = "WHITELIST"


class CdrDimensionType(StrEnum):
    """mod_cdrs.asciidoc, CdrDimensionType enum (CURRENT, ENERGY_EXPORT, ENERGY_IMPORT, POWER and
    STATE_OF_CHARGE are meant for Sessions only; a CDR carrying them is not rejected here)."""

    CURRENT = "CURRENT"
    ENERGY = "ENERGY"
    ENERGY_EXPORT = "ENERGY_EXPORT"
    ENERGY_IMPORT = "ENERGY_IMPORT"
    MAX_CURRENT = "MAX_CURRENT"
    MIN_CURRENT = "MIN_CURRENT"
    MAX_POWER = "MAX_POWER"
    MIN_POWER = "MIN_POWER"
    PARKING_TIME = "PARKING_TIME"
    POWER = "POWER"
    RESERVATION_TIME = "RESERVATION_TIME"
    STATE_OF_CHARGE = "STATE_OF_CHARGE"
    TIME = "TIME"


# --- mod_tariffs.asciidoc ---------------------------------------------------------------------


class DayOfWeek(StrEnum):
    """mod_tariffs.asciidoc, DayOfWeek enum."""

    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


class ReservationRestrictionType(StrEnum):
    """mod_tariffs.asciidoc, ReservationRestrictionType enum."""

    RESERVATION = "RESERVATION"
    RESERVATION_EXPIRES = "RESERVATION_EXPIRES"


class TariffDimensionType(StrEnum):
    """mod_tariffs.asciidoc, TariffDimensionType enum."""

    ENERGY = "ENERGY"
    FLAT = "FLAT"
    PARKING_TIME = "PARKING_TIME"
    TIME = "TIME"


class TariffType(StrEnum):
    """mod_tariffs.asciidoc, TariffType enum."""

    AD_HOC_PAYMENT = "AD_HOC_PAYMENT"
    PROFILE_CHEAP = "PROFILE_CHEAP"
    PROFILE_FAST = "PROFILE_FAST"
    PROFILE_GREEN = "PROFILE_GREEN"
    REGULAR = "REGULAR"


# --- mod_tokens.asciidoc ----------------------------------------------------------------------


class AllowedType(StrEnum):
    """mod_tokens.asciidoc, AllowedType enum."""

    ALLOWED = "ALLOWED"
    BLOCKED = "BLOCKED"
    EXPIRED = "EXPIRED"
    NO_CREDIT = "NO_CREDIT"
    NOT_ALLOWED = "NOT_ALLOWED"


class TokenType(StrEnum):
    """mod_tokens.asciidoc, TokenType enum."""

    AD_HOC_USER = "AD_HOC_USER"
    APP_USER = "APP_USER"
    OTHER = "OTHER"
    RFID = "RFID"


class WhitelistType(StrEnum):
    """mod_tokens.asciidoc, WhitelistType enum."""

    ALWAYS = "ALWAYS"
    ALLOWED = "ALLOWED"
    ALLOWED_OFFLINE = "ALLOWED_OFFLINE"
    NEVER = "NEVER"


# --- mod_commands.asciidoc --------------------------------------------------------------------


class CommandResponseType(StrEnum):
    """mod_commands.asciidoc, CommandResponseType enum."""

    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    ACCEPTED = "ACCEPTED"
    UNKNOWN_SESSION = "UNKNOWN_SESSION"


class CommandResultType(StrEnum):
    """mod_commands.asciidoc, CommandResultType enum."""

    ACCEPTED = "ACCEPTED"
    CANCELED_RESERVATION = "CANCELED_RESERVATION"
    EVSE_OCCUPIED = "EVSE_OCCUPIED"
    EVSE_INOPERATIVE = "EVSE_INOPERATIVE"
    FAILED = "FAILED"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    TIMEOUT = "TIMEOUT"
    UNKNOWN_RESERVATION = "UNKNOWN_RESERVATION"


class CommandType(StrEnum):
    """mod_commands.asciidoc, CommandType enum (the last segment of the command URL)."""

    CANCEL_RESERVATION = "CANCEL_RESERVATION"
    RESERVE_NOW = "RESERVE_NOW"
    START_SESSION = "START_SESSION"
    STOP_SESSION = "STOP_SESSION"
    UNLOCK_CONNECTOR = "UNLOCK_CONNECTOR"


# --- mod_charging_profiles.asciidoc -----------------------------------------------------------


class ChargingRateUnit(StrEnum):
    """mod_charging_profiles.asciidoc, ChargingRateUnit enum."""

    W = "W"
    A = "A"


class ChargingProfileResponseType(StrEnum):
    """mod_charging_profiles.asciidoc, ChargingProfileResponseType enum."""

    ACCEPTED = "ACCEPTED"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    TOO_OFTEN = "TOO_OFTEN"
    UNKNOWN_SESSION = "UNKNOWN_SESSION"


class ChargingProfileResultType(StrEnum):
    """mod_charging_profiles.asciidoc, ChargingProfileResultType enum."""

    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    UNKNOWN = "UNKNOWN"


# --- mod_hub_client_info.asciidoc -------------------------------------------------------------


# ConnectionStatus: the hub's own (hub.types), imported above.


# --- version_information_endpoint.asciidoc ----------------------------------------------------


# InterfaceRole: the hub's own (hub.types), imported above.


class ModuleID(StrEnum):
    """version_information_endpoint.asciidoc, ModuleID enum. Custom modules (same section) use
    other identifiers: `Endpoint.identifier` is therefore checked as a string, not this enum."""

    CDRS = "cdrs"
    CHARGINGPROFILES = "chargingprofiles"
    COMMANDS = "commands"
    CREDENTIALS = "credentials"
    HUBCLIENTINFO = "hubclientinfo"
    LOCATIONS = "locations"
    SESSIONS = "sessions"
    TARIFFS = "tariffs"
    TOKENS = "tokens"


class VersionNumber(StrEnum):
    """version_information_endpoint.asciidoc, VersionNumber enum."""

    V2_0 = "2.0"
    V2_1 = "2.1"
    V2_1_1 = "2.1.1"
    V2_2 = "2.2"
    V2_2_1 = "2.2.1"
