"""OICP `StatusCode.Code` <-> OCPI outcomes (oicp-bridge.md §2).

One OICP code stands for different OCPI things depending on the exchange: an envelope
`status_code`, an `AllowedType` of a real-time authorization, a `CommandResponseType` or a
`CommandResultType`. `ocpi_outcome` gives all of them for a code; the reverse helpers pick the
OICP code to answer HBS with for each OCPI outcome. Over OICP the business result always travels
in the body with HTTP 200 (`OICP_HTTP_STATUS`); over OCPI the HTTP status follows the hub's error
tree (`ocpi_http_status`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hub.errors import (
    ClientApiError,
    ClientError,
    HubError,
    InvalidParameters,
    MissingEndpoints,
    NotEnoughInformation,
    OcpiError,
    ReceiverTimeout,
    ReceiverUnreachable,
    ServerError,
    UnknownLocation,
    UnknownReceiver,
    UnknownToken,
    UnsupportedVersion,
)

__all__ = [
    "OICP_HTTP_STATUS",
    "OcpiOutcome",
    "OicpCode",
    "ocpi_error",
    "ocpi_http_status",
    "ocpi_outcome",
    "oicp_code_for_allowed",
    "oicp_code_for_command_response",
    "oicp_code_for_command_result",
    "oicp_code_for_ocpi_status",
]

OICP_HTTP_STATUS = 200  # processed OICP requests answer 200; success or failure is in StatusCode/Result


class OicpCode(StrEnum):
    """OICP 2.3 CodeType values."""

    SUCCESS = "000"
    HUBJECT_SYSTEM_ERROR = "001"
    HUBJECT_DATABASE_ERROR = "002"
    DATA_TRANSACTION_ERROR = "009"
    UNAUTHORIZED_ACCESS = "017"
    INCONSISTENT_EVSE_ID = "018"
    INCONSISTENT_EVCO_ID = "019"
    SYSTEM_ERROR = "021"
    DATA_ERROR = "022"
    QR_INVALID_CREDENTIALS = "101"
    RFID_INVALID_UID = "102"
    RFID_NOT_READABLE = "103"
    PLC_INVALID_EVCO_ID = "105"
    NO_POSITIVE_AUTHENTICATION = "106"
    QR_APP_TIMEOUT = "110"
    PLC_INVALID_UNDERLYING_EVCO_ID = "120"
    PLC_INVALID_CERTIFICATE = "121"
    PLC_TIMEOUT = "122"
    EVCO_ID_LOCKED = "200"
    NO_VALID_CONTRACT = "210"
    PARTNER_NOT_FOUND = "300"
    PARTNER_NO_RESPONSE = "310"
    SERVICE_NOT_AVAILABLE = "320"
    SESSION_INVALID = "400"
    EVSE_COMMUNICATION_FAILED = "501"
    NO_EV_CONNECTED = "510"
    EVSE_ALREADY_RESERVED = "601"
    EVSE_ALREADY_IN_USE = "602"
    UNKNOWN_EVSE_ID = "603"
    EVSE_NOT_HUBJECT_COMPATIBLE = "604"
    EVSE_OUT_OF_SERVICE = "700"


@dataclass(frozen=True, slots=True)
class OcpiOutcome:
    """What an OICP code means for the OCPI party: the envelope status code and, where the
    exchange has one, the AllowedType / CommandResponseType / CommandResultType to report."""

    status_code: int
    allowed: str | None = None
    command_response: str | None = None
    command_result: str | None = None
    retry: bool = False  # a transient HBS-side failure: try again later
    alert: bool = False  # a configuration error on our side (certificate vs ID): operators must act


_C = OicpCode
_NOT_ALLOWED = OcpiOutcome(1000, allowed="NOT_ALLOWED", command_response="REJECTED", command_result="REJECTED")
_OUTCOMES: dict[OicpCode, OcpiOutcome] = {
    _C.SUCCESS: OcpiOutcome(1000, allowed="ALLOWED", command_response="ACCEPTED", command_result="ACCEPTED"),
    _C.HUBJECT_SYSTEM_ERROR: OcpiOutcome(3000, retry=True),
    _C.HUBJECT_DATABASE_ERROR: OcpiOutcome(3000, retry=True),
    _C.DATA_TRANSACTION_ERROR: OcpiOutcome(3000, retry=True),
    _C.UNAUTHORIZED_ACCESS: OcpiOutcome(3001, alert=True),
    _C.INCONSISTENT_EVSE_ID: OcpiOutcome(2001),
    _C.INCONSISTENT_EVCO_ID: OcpiOutcome(2001),
    _C.SYSTEM_ERROR: OcpiOutcome(3000, retry=True),
    _C.DATA_ERROR: OcpiOutcome(2001),
    _C.QR_INVALID_CREDENTIALS: _NOT_ALLOWED,
    _C.RFID_INVALID_UID: _NOT_ALLOWED,
    _C.RFID_NOT_READABLE: _NOT_ALLOWED,
    _C.PLC_INVALID_EVCO_ID: _NOT_ALLOWED,
    _C.NO_POSITIVE_AUTHENTICATION: _NOT_ALLOWED,
    _C.QR_APP_TIMEOUT: OcpiOutcome(4002, retry=True),
    _C.PLC_INVALID_UNDERLYING_EVCO_ID: _NOT_ALLOWED,
    _C.PLC_INVALID_CERTIFICATE: _NOT_ALLOWED,
    _C.PLC_TIMEOUT: OcpiOutcome(4002, retry=True),
    _C.EVCO_ID_LOCKED: OcpiOutcome(1000, allowed="BLOCKED", command_response="REJECTED", command_result="REJECTED"),
    _C.NO_VALID_CONTRACT: OcpiOutcome(4001),
    _C.PARTNER_NOT_FOUND: OcpiOutcome(4001),
    _C.PARTNER_NO_RESPONSE: OcpiOutcome(4002, retry=True),
    _C.SERVICE_NOT_AVAILABLE: OcpiOutcome(4003, retry=True),
    _C.SESSION_INVALID: OcpiOutcome(2001, command_response="UNKNOWN_SESSION", command_result="REJECTED"),
    _C.EVSE_COMMUNICATION_FAILED: OcpiOutcome(1000, command_response="ACCEPTED", command_result="FAILED"),
    _C.NO_EV_CONNECTED: OcpiOutcome(1000, command_response="ACCEPTED", command_result="FAILED"),
    _C.EVSE_ALREADY_RESERVED: OcpiOutcome(1000, command_response="ACCEPTED", command_result="REJECTED"),
    _C.EVSE_ALREADY_IN_USE: OcpiOutcome(1000, command_response="ACCEPTED", command_result="EVSE_OCCUPIED"),
    _C.UNKNOWN_EVSE_ID: OcpiOutcome(2003),
    _C.EVSE_NOT_HUBJECT_COMPATIBLE: OcpiOutcome(1000, command_response="NOT_SUPPORTED"),
    _C.EVSE_OUT_OF_SERVICE: OcpiOutcome(1000, command_response="ACCEPTED", command_result="EVSE_INOPERATIVE"),
}
_UNKNOWN_CODE = OcpiOutcome(3000)  # a code outside CodeType: treat as an HBS system error


def ocpi_outcome(code: str) -> OcpiOutcome:
    """The OCPI meaning of an OICP StatusCode.Code relayed from HBS (unknown codes: 3000)."""
    try:
        return _OUTCOMES[OicpCode(code.strip())]
    except ValueError:
        return _UNKNOWN_CODE


_ERRORS: dict[int, type[OcpiError]] = {
    2000: ClientError,
    2001: InvalidParameters,
    2002: NotEnoughInformation,
    2003: UnknownLocation,
    2004: UnknownToken,
    3000: ServerError,
    3001: ClientApiError,
    3002: UnsupportedVersion,
    3003: MissingEndpoints,
    4000: HubError,
    4001: UnknownReceiver,
    4002: ReceiverTimeout,
    4003: ReceiverUnreachable,
}


def ocpi_error(code: str, description: str | None = None) -> OcpiError | None:
    """The hub error to answer the OCPI party with for an OICP code, or None when the code is a
    business outcome carried in a 1000 response (authorization or command results)."""
    status = ocpi_outcome(code).status_code
    if status == 1000:
        return None
    detail = f"OICP status {code.strip()}" + (f": {description}" if description else "")
    return _ERRORS[status](detail)


def ocpi_http_status(status_code: int) -> int:
    """HTTP status the hub uses with an OCPI status code (hub.errors conventions)."""
    if status_code == 1000:
        return 200
    error = _ERRORS.get(status_code) or _ERRORS[status_code // 1000 * 1000]
    return error.http_status


def oicp_code_for_ocpi_status(status_code: int, *, token_is_evco: bool = False) -> OicpCode:
    """The code to answer HBS with when the OCPI exchange ended with `status_code`.

    2004 (unknown token) is `105` for EvcoID-identified tokens, `102` for RFID UIDs.
    """
    if status_code == 1000:
        return _C.SUCCESS
    if status_code == 2003:
        return _C.UNKNOWN_EVSE_ID
    if status_code == 2004:
        return _C.PLC_INVALID_EVCO_ID if token_is_evco else _C.RFID_INVALID_UID
    if 2000 <= status_code < 3000:
        return _C.DATA_ERROR
    hub_errors = {4001: _C.PARTNER_NOT_FOUND, 4002: _C.PARTNER_NO_RESPONSE, 4003: _C.SERVICE_NOT_AVAILABLE}
    return hub_errors.get(status_code, _C.SYSTEM_ERROR)


def oicp_code_for_allowed(allowed: str, *, token_is_evco: bool = False) -> OicpCode:
    """The code for an OCPI AllowedType: ALLOWED `000`; BLOCKED of an EvcoID token `200`
    (EvcoID locked); every other refusal `106` (no positive authentication response)."""
    if allowed == "ALLOWED":
        return _C.SUCCESS
    if allowed == "BLOCKED" and token_is_evco:
        return _C.EVCO_ID_LOCKED
    return _C.NO_POSITIVE_AUTHENTICATION


def oicp_code_for_command_response(result: str, *, reservation: bool = False) -> OicpCode:
    """The code for an OCPI CommandResponseType. A REJECTED reservation is `601`; other
    REJECTED answers have no code of their own and become `022` (data error) - a design choice."""
    codes = {
        "ACCEPTED": _C.SUCCESS,
        "NOT_SUPPORTED": _C.EVSE_NOT_HUBJECT_COMPATIBLE,
        "UNKNOWN_SESSION": _C.SESSION_INVALID,
    }
    if result == "REJECTED" and reservation:
        return _C.EVSE_ALREADY_RESERVED
    return codes.get(result, _C.DATA_ERROR)


def oicp_code_for_command_result(result: str, *, reservation: bool = False) -> OicpCode:
    """The code for an OCPI CommandResultType (TIMEOUT = the driver never plugged in, `510`).
    REJECTED is `601` for reservations, else `022`; CANCELED_RESERVATION likewise `022`;
    UNKNOWN_RESERVATION is `400` (a reservation is keyed by its SessionID)."""
    codes = {
        "ACCEPTED": _C.SUCCESS,
        "FAILED": _C.EVSE_COMMUNICATION_FAILED,
        "TIMEOUT": _C.NO_EV_CONNECTED,
        "EVSE_OCCUPIED": _C.EVSE_ALREADY_IN_USE,
        "EVSE_INOPERATIVE": _C.EVSE_OUT_OF_SERVICE,
        "NOT_SUPPORTED": _C.EVSE_NOT_HUBJECT_COMPATIBLE,
        "UNKNOWN_RESERVATION": _C.SESSION_INVALID,
    }
    if result == "REJECTED" and reservation:
        return _C.EVSE_ALREADY_RESERVED
    return codes.get(result, _C.DATA_ERROR)
