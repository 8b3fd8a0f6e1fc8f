"""OCPI 2.3.0 enumerations that are new, and the known values of the OpenEnums.

An OpenEnum field (2.3.0 types.asciidoc, OpenEnum type) accepts any string: the classes below
document the values the spec knows (and let tests generate them); fields use `OpenEnum`.
Closed 2.3.0 enumerations unchanged from 2.2.1 are imported from `hub.ocpi.models.v221.enums`.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "CaptureStatusCode",
    "ConnectorCapability",
    "EVSEPosition",
    "InvoiceCreator",
    "ParkingDirection",
    "TaxIncluded",
    "VehicleType",
]


class ConnectorCapability(StrEnum):
    """mod_locations.asciidoc, ConnectorCapability OpenEnum (known values)."""

    ISO_15118_2_PLUG_AND_CHARGE = "ISO_15118_2_PLUG_AND_CHARGE"
    ISO_15118_20_PLUG_AND_CHARGE = "ISO_15118_20_PLUG_AND_CHARGE"


class EVSEPosition(StrEnum):
    """mod_locations.asciidoc, EVSEPosition enum."""

    LEFT = "LEFT"
    RIGHT = "RIGHT"
    CENTER = "CENTER"


class ParkingDirection(StrEnum):
    """mod_locations.asciidoc, ParkingDirection enum."""

    PARALLEL = "PARALLEL"
    PERPENDICULAR = "PERPENDICULAR"
    ANGLE = "ANGLE"


class VehicleType(StrEnum):
    """mod_locations.asciidoc, VehicleType OpenEnum (known values)."""

    MOTORCYCLE = "MOTORCYCLE"
    PERSONAL_VEHICLE = "PERSONAL_VEHICLE"
    PERSONAL_VEHICLE_WITH_TRAILER = "PERSONAL_VEHICLE_WITH_TRAILER"
    VAN = "VAN"
    SEMI_TRACTOR = "SEMI_TRACTOR"
    RIGID = "RIGID"
    TRUCK_WITH_TRAILER = "TRUCK_WITH_TRAILER"
    BUS = "BUS"
    DISABLED = "DISABLED"


class TaxIncluded(StrEnum):
    """mod_tariffs.asciidoc, TaxIncluded enum."""

    YES = "YES"
    NO = "NO"
    NOT_APPLICABLE = "N/A"


class InvoiceCreator(StrEnum):
    """mod_payments.asciidoc, InvoiceCreator enum."""

    CPO = "CPO"
    PTP = "PTP"


class CaptureStatusCode(StrEnum):
    """mod_payments.asciidoc, CaptureStatusCode enum."""

    SUCCESS = "SUCCESS"
    PARTIAL_SUCCESS = "PARTIAL_SUCCESS"
    FAILED = "FAILED"
