"""OICP 2.3 StatusCode values the simulated hub answers with (oicp-bridge.md §2), in its own words."""

from __future__ import annotations

from typing import Any

__all__ = ["DESCRIPTIONS", "status"]

DESCRIPTIONS: dict[str, str] = {
    "000": "Success",
    "001": "Hub system error",
    "002": "Hub database error",
    "009": "Data transaction error",
    "017": "Unauthorized access",
    "018": "Inconsistent EvseID",
    "019": "Inconsistent EvcoID",
    "021": "System error",
    "022": "Data error",
    "101": "QR code authentication failed: invalid credentials",
    "102": "RFID authentication failed: invalid UID",
    "103": "RFID authentication failed: card not readable",
    "105": "PLC authentication failed: invalid EvcoID",
    "106": "No positive authentication response",
    "110": "QR code app authentication failed: time out",
    "120": "PLC authentication failed: invalid underlying EvcoID",
    "121": "PLC authentication failed: invalid certificate",
    "122": "PLC authentication failed: time out",
    "200": "EvcoID locked",
    "210": "No valid contract",
    "300": "Partner not found",
    "310": "Partner did not respond",
    "320": "Service not available",
    "400": "Session is invalid",
    "501": "Communication to EVSE failed",
    "510": "No EV connected to EVSE",
    "601": "EVSE already reserved",
    "602": "EVSE already in use / wrong token",
    "603": "Unknown EVSE ID",
    "604": "EVSE ID is not Hubject compatible",
    "700": "EVSE out of service",
}


def status(code: str, additional_info: str | None = None, description: str | None = None) -> dict[str, Any]:
    """A StatusCode object."""
    out: dict[str, Any] = {"Code": code, "Description": description or DESCRIPTIONS.get(code, "Error")}
    if additional_info:
        out["AdditionalInfo"] = additional_info[:1000]
    return out
